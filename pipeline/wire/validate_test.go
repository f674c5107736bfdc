package wire

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
)

const chunkRows = 256

// chunk returns a 3-channel chunk of session s12 at 256 Hz with chunkRows rows of
// finite data; mods adjust it.
func chunk(seq, first int64, mods ...func(*Chunk)) *Chunk {
	c := &Chunk{Session: "s12", SampleRate: 256, FirstSample: first, StartTimeNS: 1_700_000_000_000_000_000, Seq: seq,
		Channels: []formats.Channel{
			{Label: "Fz", Type: formats.EEG, Unit: "V"},
			{Label: "C3", Type: formats.EEG, Unit: "V", Pos: &[3]float64{-0.05, 0, 0.08}},
			{Label: "MEG 0113", Type: formats.MEGGrad, Unit: "T/m"},
		}}
	for range c.Channels {
		col := make([]float32, chunkRows)
		for i := range col {
			col[i] = float32(i) * 1e-6
		}
		c.Data = append(c.Data, col)
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

func setValue(ch, row int, v float64) func(*Chunk) {
	return func(c *Chunk) { c.Data[ch][row] = float32(v) }
}

type step struct {
	c      *Chunk
	reset  []int64 // if set, Reset(reset[0], reset[1]) instead of Check
	reason Reason  // "" for accepted
	want   string  // substring of the error
}

func TestValidator(t *testing.T) {
	ok := func(c *Chunk) step { return step{c: c} }
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name            string
		policy          NonFinitePolicy
		steps           []step
		wantSeq, wantFS int64
	}{
		{name: "continuous", steps: []step{ok(chunk(0, 0)), ok(chunk(1, 256)), ok(chunk(2, 512))}, wantSeq: 3, wantFS: 768},
		{name: "first chunk anchors anywhere", steps: []step{ok(chunk(40, 10240))}, wantSeq: 41, wantFS: 10496},
		{name: "gap reported then stream continues", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 768), reason: ReasonGap, want: "expected first_sample 256, got 768 (512 samples missing)"},
			ok(chunk(2, 1024))}, wantSeq: 3, wantFS: 1280},
		{name: "gap with seq gap", steps: []step{ok(chunk(0, 0)),
			{c: chunk(3, 768), reason: ReasonGap, want: "(512 samples missing)"}}, wantSeq: 4, wantFS: 1024},
		{name: "redelivered last chunk is duplicate", steps: []step{ok(chunk(0, 0)), ok(chunk(1, 256)),
			{c: chunk(1, 256), reason: ReasonDuplicate, want: "samples 256..512 already seen"}}, wantSeq: 2, wantFS: 512},
		{name: "redelivered older chunk is duplicate", steps: []step{ok(chunk(0, 0)), ok(chunk(1, 256)),
			{c: chunk(0, 0), reason: ReasonDuplicate}}, wantSeq: 2, wantFS: 512},
		{name: "overlapping chunk is out of order", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 128), reason: ReasonOutOfOrder, want: "expected seq 1 first_sample 256, got seq 1 first_sample 128 (128 samples already seen)"}},
			wantSeq: 1, wantFS: 256},
		{name: "new seq carrying old samples is out of order", steps: []step{ok(chunk(0, 0)), ok(chunk(1, 256)),
			{c: chunk(2, 0), reason: ReasonOutOfOrder, want: "(256 samples already seen)"}}, wantSeq: 2, wantFS: 512},
		{name: "old seq overlapping new samples is out of order", steps: []step{ok(chunk(0, 0)), ok(chunk(1, 256)),
			{c: chunk(0, 384), reason: ReasonOutOfOrder}}, wantSeq: 2, wantFS: 512},
		{name: "seq jump with continuous samples accepted", steps: []step{ok(chunk(0, 0)), ok(chunk(5, 256))}, wantSeq: 6, wantFS: 512},
		{name: "seq restart with continuous samples accepted", steps: []step{ok(chunk(7, 0)), ok(chunk(0, 256))}, wantSeq: 1, wantFS: 512},
		{name: "other session", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.Session = "s13" }), reason: ReasonSession, want: `expected session "s12", got "s13"`}},
			wantSeq: 1, wantFS: 256},
		{name: "renamed channel", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.Channels[1].Label = "C4" }), reason: ReasonChannelSet,
				want: `channel 1: expected "C3" (eeg, V), got "C4" (eeg, V)`}}, wantSeq: 1, wantFS: 256},
		{name: "retyped channel", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.Channels[2].Type = formats.MEGMag }), reason: ReasonChannelSet, want: "(meg_mag, T/m)"}},
			wantSeq: 1, wantFS: 256},
		{name: "unit changed", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.Channels[0].Unit = "uV" }), reason: ReasonChannelSet, want: `got "Fz" (eeg, uV)`}},
			wantSeq: 1, wantFS: 256},
		{name: "channel dropped", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.Channels, c.Data = c.Channels[:2], c.Data[:2] }), reason: ReasonChannelSet, want: "expected 3 channels, got 2"}},
			wantSeq: 1, wantFS: 256},
		{name: "channels reordered", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.Channels[0], c.Channels[1] = c.Channels[1], c.Channels[0] }), reason: ReasonChannelSet, want: "channel 0"}},
			wantSeq: 1, wantFS: 256},
		{name: "position change is not a channel set change", steps: []step{ok(chunk(0, 0)),
			ok(chunk(1, 256, func(c *Chunk) { c.Channels[1].Pos = nil }))}, wantSeq: 2, wantFS: 512},
		{name: "sample rate changed", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.SampleRate = 256.00000000000006 }), reason: ReasonSampleRate, want: "expected 256 Hz, got 256.00000000000006 Hz"}},
			wantSeq: 1, wantFS: 256},
		{name: "start time changed", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, func(c *Chunk) { c.StartTimeNS++ }), reason: ReasonStartTime, want: "expected start_time_ns 1700000000000000000, got 1700000000000000001"}},
			wantSeq: 1, wantFS: 256},
		{name: "NaN rejected", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, setValue(1, 17, nan), setValue(2, 3, inf)), reason: ReasonNonFinite,
				want: `channel "C3" row 17 (sample 273) is NaN; 2 non-finite values in the chunk`}}, wantSeq: 1, wantFS: 256},
		{name: "-Inf rejected", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, setValue(0, 255, math.Inf(-1))), reason: ReasonNonFinite, want: `channel "Fz" row 255 (sample 511) is -Inf`}},
			wantSeq: 1, wantFS: 256},
		{name: "rejected chunk becomes the next chunk's gap", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 256, setValue(0, 0, nan)), reason: ReasonNonFinite},
			{c: chunk(2, 512), reason: ReasonGap, want: "expected first_sample 256, got 512 (256 samples missing)"}}, wantSeq: 3, wantFS: 768},
		{name: "non-finite gap chunk is rejected without advancing", steps: []step{ok(chunk(0, 0)),
			{c: chunk(1, 512, setValue(0, 0, nan)), reason: ReasonNonFinite}}, wantSeq: 1, wantFS: 256},
		{name: "duplicate wins over non-finite", steps: []step{ok(chunk(0, 0)),
			{c: chunk(0, 0, setValue(0, 0, nan)), reason: ReasonDuplicate}}, wantSeq: 1, wantFS: 256},
		{name: "Allow passes NaN and Inf", policy: Allow, steps: []step{ok(chunk(0, 0, setValue(0, 0, nan))),
			ok(chunk(1, 256, setValue(2, 9, inf), setValue(1, 1, math.Inf(-1))))}, wantSeq: 2, wantFS: 512},
		{name: "rejected first chunk fixes nothing", steps: []step{
			{c: chunk(0, 0, setValue(0, 0, nan)), reason: ReasonNonFinite},
			ok(chunk(1, 256, func(c *Chunk) { c.Session, c.SampleRate = "other", 1000 })),
			{c: chunk(2, 512), reason: ReasonSession}}, wantSeq: 2, wantFS: 512},
		{name: "fresh validator has no expectation", steps: nil, wantSeq: -1, wantFS: -1},
		{name: "Reset anchors a fresh validator", steps: []step{{reset: []int64{10, 2560}}, ok(chunk(10, 2560))}, wantSeq: 11, wantFS: 2816},
		{name: "Reset then gap", steps: []step{{reset: []int64{10, 2560}},
			{c: chunk(11, 2816), reason: ReasonGap, want: "expected first_sample 2560, got 2816"}}, wantSeq: 12, wantFS: 3072},
		{name: "Reset rewinds: re-read chunks are accepted", steps: []step{ok(chunk(0, 0)), ok(chunk(1, 256)), ok(chunk(2, 512)),
			{reset: []int64{1, 256}}, ok(chunk(1, 256)), ok(chunk(2, 512))}, wantSeq: 3, wantFS: 768},
		{name: "Reset forward: warm-up chunks before it are duplicates", steps: []step{{reset: []int64{5, 1280}},
			{c: chunk(4, 1024), reason: ReasonDuplicate}}, wantSeq: 5, wantFS: 1280},
		{name: "Reset keeps the channel set", steps: []step{ok(chunk(0, 0)), {reset: []int64{0, 0}},
			{c: chunk(0, 0, func(c *Chunk) { c.Channels[0].Label = "Cz" }), reason: ReasonChannelSet}}, wantSeq: 0, wantFS: 0},
		{name: "negative Reset clears the anchor", steps: []step{ok(chunk(0, 0)), {reset: []int64{-1, -1}},
			ok(chunk(99, 123456))}, wantSeq: 100, wantFS: 123712},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := NewValidator(tc.policy)
			for i, s := range tc.steps {
				if s.reset != nil {
					v.Reset(s.reset[0], s.reset[1])
					continue
				}
				beforeSeq, beforeFS := v.Expected()
				err := v.Check(s.c)
				if s.reason == "" {
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					continue
				}
				var ve *Error
				if !errors.As(err, &ve) || ve.Reason != s.reason {
					t.Fatalf("step %d: got %v, want reason %s", i, err, s.reason)
				}
				if ve.Session != s.c.Session || ve.Seq != s.c.Seq || ve.FirstSample != s.c.FirstSample {
					t.Errorf("step %d: error names session %q seq %d sample %d, want the chunk's", i, ve.Session, ve.Seq, ve.FirstSample)
				}
				if !strings.Contains(err.Error(), s.want) {
					t.Errorf("step %d: %q does not contain %q", i, err, s.want)
				}
				if afterSeq, afterFS := v.Expected(); s.reason != ReasonGap && (afterSeq != beforeSeq || afterFS != beforeFS) {
					t.Errorf("step %d: rejected chunk moved the validator from (%d, %d) to (%d, %d)", i, beforeSeq, beforeFS, afterSeq, afterFS)
				}
			}
			if seq, fs := v.Expected(); seq != tc.wantSeq || fs != tc.wantFS {
				t.Errorf("Expected() = %d, %d; want %d, %d", seq, fs, tc.wantSeq, tc.wantFS)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	v := NewValidator(Reject)
	c := chunk(39, 19968)
	if err := v.Check(c); err != nil {
		t.Fatal(err)
	}
	err := v.Check(chunk(40, 20736))
	const want = "session s12 chunk 40 (sample 20736): gap: expected first_sample 20224, got 20736 (512 samples missing)"
	if err == nil || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	wrapped := &Error{Reason: ReasonDecode, Session: "s", Seq: 1, FirstSample: 2, Msg: "m", Err: errors.New("cause")}
	if wrapped.Error() != "session s chunk 1 (sample 2): decode: m: cause" || !errors.Is(wrapped, wrapped.Err) {
		t.Errorf("Error with cause: %q", wrapped)
	}
}

func TestCheckPanicsOnMalformedChunk(t *testing.T) {
	for name, mod := range map[string]func(*Chunk){
		"data/channel count": func(c *Chunk) { c.Data = c.Data[:2] },
		"ragged":             func(c *Chunk) { c.Data[2] = c.Data[2][:10] },
	} {
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.HasPrefix(p.(string), "wire: Check:") {
					t.Errorf("%s: got panic %v, want a wire: Check: panic", name, p)
				}
			}()
			NewValidator(Reject).Check(chunk(0, 0, mod))
		}()
	}
}

func TestNonFinitePolicyString(t *testing.T) {
	if Reject.String() != "reject" || Allow.String() != "allow" || NonFinitePolicy(7).String() != "NonFinitePolicy(7)" {
		t.Error("NonFinitePolicy.String")
	}
}
