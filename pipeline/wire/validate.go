package wire

import (
	"errors"
	"fmt"

	"github.com/neurostream/neurostream/formats"
)

// Reason says why a chunk was not accepted. Its value goes into the
// dead-letter headers.
type Reason string

// Reasons, as written in dead-letter headers.
const (
	ReasonDecode     Reason = "decode"       // not a valid chunk message (*DecodeError)
	ReasonLimit      Reason = "limit"        // a valid message beyond the Decoder's Limits (*DecodeError)
	ReasonChannelSet Reason = "channel_set"  // labels, types or units differ from the session's
	ReasonSampleRate Reason = "sample_rate"  // rate differs from the session's
	ReasonGap        Reason = "gap"          // samples missing before this chunk (chunk accepted)
	ReasonDuplicate  Reason = "duplicate"    // every sample already seen, seq already seen
	ReasonOutOfOrder Reason = "out_of_order" // starts before the expected sample otherwise
	ReasonNonFinite  Reason = "non_finite"   // NaN or ±Inf under the Reject policy
	ReasonSession    Reason = "session"      // session id differs from the validator's
	ReasonStartTime  Reason = "start_time"   // start_time_ns differs from the session's
)

// ReasonOf returns the Reason carried by err (a *Error or *DecodeError,
// possibly wrapped), or "" when err carries none.
func ReasonOf(err error) Reason {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Reason
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

// Error is a chunk that does not continue its session correctly.
type Error struct {
	Reason Reason
	// Session, Seq and FirstSample are the chunk's own.
	Session     string
	Seq         int64
	FirstSample int64
	// Msg says what was expected and what was found.
	Msg string
	// Err is an underlying error, if any.
	Err error
}

// Error formats as "session s12 chunk 40 (sample 20992): gap: expected
// first_sample 20480, got 20992 (512 samples missing)".
func (e *Error) Error() string {
	s := fmt.Sprintf("session %s chunk %d (sample %d): %s", e.Session, e.Seq, e.FirstSample, e.Reason)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// NonFinitePolicy says what a Validator does with NaN and ±Inf samples.
type NonFinitePolicy int

const (
	// Reject makes a chunk holding any NaN or ±Inf an error (ReasonNonFinite)
	// naming the first such channel and row. It is the default: one NaN fed
	// to an IIR filter poisons its state for the rest of the session.
	Reject NonFinitePolicy = iota
	// Allow passes NaN and ±Inf through, for pipelines whose first stage
	// handles them (e.g. marks them as bad segments).
	Allow
)

// There is deliberately no zero-filling policy: replacing samples is signal
// repair, which belongs in a preprocessing stage that can say what it did,
// not in a validator that must report, not alter, what arrived.

func (p NonFinitePolicy) String() string {
	switch p {
	case Reject:
		return "reject"
	case Allow:
		return "allow"
	}
	return fmt.Sprintf("NonFinitePolicy(%d)", int(p))
}

// Validator checks that the chunks of one session form one continuous
// recording. The pipeline keeps one per session.
//
// The first chunk Check accepts fixes the session id, channel set (labels,
// types and units, in order; positions are not compared), sample rate and
// start time; every later chunk must match them.
//
// Continuity is judged on the sample clock, which is authoritative; seq
// only tells a redelivered chunk from a rewound producer. With the expected
// first sample E and expected seq S:
//
//   - FirstSample == E: accepted, whatever Seq is. A seq jump or restart
//     with continuous samples loses no data (a producer that restarted and
//     renumbered), so it is accepted and S becomes Seq+1.
//   - FirstSample < E: rejected. ReasonDuplicate when every sample was
//     already seen (LastSample() <= E) and Seq < S, as for a redelivered
//     message; otherwise ReasonOutOfOrder (samples overlap new ones, or a
//     new seq carries old samples).
//   - FirstSample > E: ReasonGap, naming the number of missing samples.
//     The chunk itself is accepted: the validator moves past it (E becomes
//     LastSample(), S becomes Seq+1), so the stream continues and the next
//     chunk is not reported again. Gaps are reported, never bridged; the
//     pipeline decides what the discontinuity means for its windows.
//
// A rejected chunk leaves the validator unchanged; ReasonGap is the only
// error after which its state has moved. Checks run in this order, the
// first failure wins: session, channel set, sample rate, start time,
// duplicate/out-of-order, non-finite values, gap. A chunk rejected for
// NaN/Inf therefore does not advance E, and the next good chunk reports its
// samples as a gap.
//
// Until it has accepted a chunk or been Reset, a Validator has no E or S and
// accepts any position (a consumer may join a session mid-stream).
//
// A Validator is not safe for concurrent use.
type Validator struct {
	policy NonFinitePolicy

	fixed    bool
	session  string
	rate     float64
	start    int64
	channels []chanKey

	anchored   bool
	nextSeq    int64
	nextSample int64
}

type chanKey struct {
	label string
	typ   formats.ChannelType
	unit  string
}

// NewValidator returns a Validator for one session.
func NewValidator(policy NonFinitePolicy) *Validator {
	return &Validator{policy: policy}
}

// Expected returns the seq and first sample the next chunk should carry, or
// -1, -1 before the validator is anchored by a chunk or Reset.
func (v *Validator) Expected() (seq, firstSample int64) {
	if !v.anchored {
		return -1, -1
	}
	return v.nextSeq, v.nextSample
}

// Reset sets the expected seq and first sample of the next chunk, as
// rebuilt after a restart or rebalance. A negative argument clears them, so
// that the next chunk is accepted at any position. The session's id,
// channel set, rate and start time, once fixed, are kept: a new session
// needs a new Validator.
func (v *Validator) Reset(seq, firstSample int64) {
	if seq < 0 || firstSample < 0 {
		v.anchored, v.nextSeq, v.nextSample = false, 0, 0
		return
	}
	v.anchored, v.nextSeq, v.nextSample = true, seq, firstSample
}

func (v *Validator) fail(c *Chunk, r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Session: c.Session, Seq: c.Seq, FirstSample: c.FirstSample, Msg: fmt.Sprintf(format, args...)}
}

// Check checks c against the session so far and, unless it returns an
// error other than ReasonGap, records it as accepted. Errors are *Error.
// It panics if len(c.Data) != len(c.Channels) or the columns differ in
// length, which Decode never produces.
func (v *Validator) Check(c *Chunk) error {
	if len(c.Data) != len(c.Channels) {
		panic(fmt.Sprintf("wire: Check: %d data columns for %d channels", len(c.Data), len(c.Channels)))
	}
	rows := c.Len()
	for i := range c.Data {
		if len(c.Data[i]) != rows {
			panic(fmt.Sprintf("wire: Check: column %d has %d rows, column 0 has %d", i, len(c.Data[i]), rows))
		}
	}

	if v.fixed {
		if c.Session != v.session {
			return v.fail(c, ReasonSession, "expected session %q, got %q", v.session, c.Session)
		}
		if msg := v.channelDiff(c.Channels); msg != "" {
			return v.fail(c, ReasonChannelSet, "%s", msg)
		}
		if c.SampleRate != v.rate {
			return v.fail(c, ReasonSampleRate, "expected %v Hz, got %v Hz", v.rate, c.SampleRate)
		}
		if c.StartTimeNS != v.start {
			return v.fail(c, ReasonStartTime, "expected start_time_ns %d, got %d", v.start, c.StartTimeNS)
		}
	}

	last := c.LastSample()
	if v.anchored && c.FirstSample < v.nextSample {
		if last <= v.nextSample && c.Seq < v.nextSeq {
			return v.fail(c, ReasonDuplicate, "samples %d..%d already seen (expected seq %d, first_sample %d)",
				c.FirstSample, last, v.nextSeq, v.nextSample)
		}
		overlap := min(last, v.nextSample) - c.FirstSample
		return v.fail(c, ReasonOutOfOrder, "expected seq %d first_sample %d, got seq %d first_sample %d (%d samples already seen)",
			v.nextSeq, v.nextSample, c.Seq, c.FirstSample, overlap)
	}

	if v.policy == Reject {
		if err := v.checkFinite(c); err != nil {
			return err
		}
	}

	var gap *Error
	if v.anchored && c.FirstSample > v.nextSample {
		gap = v.fail(c, ReasonGap, "expected first_sample %d, got %d (%d samples missing)",
			v.nextSample, c.FirstSample, c.FirstSample-v.nextSample)
	}
	if !v.fixed {
		v.fix(c)
	}
	v.anchored, v.nextSeq, v.nextSample = true, c.Seq+1, last
	if gap != nil {
		return gap
	}
	return nil
}

func (v *Validator) fix(c *Chunk) {
	v.fixed = true
	v.session, v.rate, v.start = c.Session, c.SampleRate, c.StartTimeNS
	v.channels = v.channels[:0]
	for _, ch := range c.Channels {
		v.channels = append(v.channels, chanKey{ch.Label, ch.Type, ch.Unit})
	}
}

// channelDiff describes the first difference between the session's channel
// set and chans, or returns "".
func (v *Validator) channelDiff(chans []formats.Channel) string {
	for i := range min(len(chans), len(v.channels)) {
		want, got := v.channels[i], chans[i]
		if got.Label != want.label || got.Type != want.typ || got.Unit != want.unit {
			return fmt.Sprintf("channel %d: expected %q (%s, %s), got %q (%s, %s)",
				i, want.label, want.typ, want.unit, got.Label, got.Type, got.Unit)
		}
	}
	if len(chans) != len(v.channels) {
		return fmt.Sprintf("expected %d channels, got %d", len(v.channels), len(chans))
	}
	return ""
}

// checkFinite returns a ReasonNonFinite error naming the first NaN or ±Inf
// (in channel order, then row order) and how many there are.
func (v *Validator) checkFinite(c *Chunk) *Error {
	for i, col := range c.Data {
		j := firstNonFinite(col)
		if j < 0 {
			continue
		}
		bad := 0
		for _, rest := range c.Data[i:] {
			for _, x := range rest {
				if x-x != 0 {
					bad++
				}
			}
		}
		return v.fail(c, ReasonNonFinite, "channel %q row %d (sample %d) is %v; %d non-finite values in the chunk",
			c.Channels[i].Label, j, c.FirstSample+int64(j), col[j], bad)
	}
	return nil
}

// firstNonFinite returns the index of the first NaN or ±Inf in xs, or -1.
func firstNonFinite(xs []float32) int {
	for j, x := range xs {
		if x-x != 0 { // NaN or ±Inf: x-x is NaN; it is 0 for every finite x
			return j
		}
	}
	return -1
}
