// Package wire is the input topic's chunk format: one Arrow IPC stream per
// Kafka message, one float32 column per channel (docs/wire-format.md).
//
// An Encoder turns a Chunk into message bytes, a Decoder turns them back,
// and a Validator, one per session, checks that consecutive chunks form one
// continuous recording: same channels, rate and clock, no gap, duplicate or
// reordering, and no NaN/Inf unless allowed. Failures carry a Reason that
// the pipeline puts in the dead-letter headers.
package wire

import (
	"math"

	"github.com/neurostream/neurostream/formats"
)

// Schema metadata keys and the format version, as written on the wire.
const (
	KeySession     = "neurostream.session"
	KeySampleRate  = "neurostream.sample_rate"
	KeyFirstSample = "neurostream.first_sample"
	KeyStartTimeNS = "neurostream.start_time_ns"
	KeySeq         = "neurostream.seq"
	KeyVersion     = "neurostream.version"
	// KeyFinal is optional: "true" marks the session's last chunk, "false"
	// or absent any other. Readers that predate it ignore it, so it needs
	// no new Version.
	KeyFinal = "neurostream.final"

	// Version is the value of KeyVersion this package writes and the only
	// one it reads.
	Version = "1"
)

// Field (column) metadata keys.
const (
	FieldKeyType = "type" // formats.ChannelType
	FieldKeyUnit = "unit" // SI unit: "V", "T", "T/m", …
	FieldKeyPos  = "pos"  // optional "x,y,z" in metres
)

// Chunk is one message of the input topic: consecutive samples of every
// channel of one session.
type Chunk struct {
	// Session identifies the recording; it is also the Kafka message key.
	Session string
	// SampleRate is in Hz, the same for every channel.
	SampleRate float64
	// FirstSample is the index of row 0 on the session's sample clock
	// (sample 0 is the session's first sample).
	FirstSample int64
	// StartTimeNS is the Unix time in nanoseconds of the session's sample 0
	// (not of this chunk's row 0).
	StartTimeNS int64
	// Seq is the chunk's sequence number within the session: 0 for the
	// first chunk, +1 for each following one.
	Seq int64
	// Channels describes the columns in order. Channel.SampleRate is not
	// sent: Encode ignores it and Decode sets it to SampleRate.
	Channels []formats.Channel
	// Data[c][i] is channel c's value at row i, in the channel's Unit. All
	// Data[c] have the same length.
	Data [][]float32
	// Final marks the session's last chunk: the pipeline finishes the
	// session once it is processed (docs/wire-format.md, "Session end").
	Final bool
}

// Len returns the number of rows (samples per channel).
func (c *Chunk) Len() int {
	if len(c.Data) == 0 {
		return 0
	}
	return len(c.Data[0])
}

// LastSample returns FirstSample + Len(): the sample index one past the last
// row, which is the FirstSample the session's next chunk carries. Decode
// refuses chunks where that sum overflows int64; for a chunk built by hand
// the result saturates at math.MaxInt64 instead of wrapping negative, so
// comparisons on the sample clock stay ordered.
func (c *Chunk) LastSample() int64 {
	n := int64(c.Len())
	if c.FirstSample > math.MaxInt64-n {
		return math.MaxInt64
	}
	return c.FirstSample + n
}
