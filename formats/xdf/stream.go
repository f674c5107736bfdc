package xdf

import (
	"math"
	"strconv"
	"strings"
)

// Format is a stream's channel format, as its header's channel_format
// names it.
type Format string

// The channel formats of XDF 1.0 (and LSL).
const (
	Int8     Format = "int8"
	Int16    Format = "int16"
	Int32    Format = "int32"
	Int64    Format = "int64"
	Float32  Format = "float32"
	Double64 Format = "double64"
	String   Format = "string"
)

// Size is the bytes one value takes in a Samples chunk: 1, 2, 4 or 8, and
// 0 for String (whose values have their own lengths) or an unknown format.
func (f Format) Size() int {
	switch f {
	case Int8:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Int64, Double64:
		return 8
	}
	return 0
}

// Valid reports whether f is one of the XDF channel formats.
func (f Format) Valid() bool { return f == String || f.Size() > 0 }

// Numeric reports whether f is a number format.
func (f Format) Numeric() bool { return f.Size() > 0 }

// ChannelInfo is one entry of a stream header's desc/channels/channel list
// (the XDF meta-data conventions; LSL writes the same).
type ChannelInfo struct {
	Label string
	Unit  string
	Type  string
}

// Stream is one stream of an XDF file: its header, its samples and their
// time stamps, as pyxdf's load_xdf returns them.
type Stream struct {
	// ID is the stream id of the file's chunks (not a position).
	ID uint32
	// Name and Type are the header's name and type ("EEG", "Markers", …),
	// as written.
	Name, Type string
	// ChannelCount, NominalRate (Hz; 0 for an irregular stream) and
	// Format are the header's channel_count, nominal_srate and
	// channel_format.
	ChannelCount int
	NominalRate  float64
	Format       Format
	// Channels lists desc/channels/channel as the header gives it; it may
	// have fewer (or more) entries than ChannelCount.
	Channels []ChannelInfo
	// Header is the stream header's <info> element; Footer the stream
	// footer's, or nil when the file has none.
	Header, Footer *Element

	// Timestamps holds one time stamp per sample in seconds: as written
	// (or, where a sample has none, the previous one plus 1/NominalRate),
	// then synchronised and dejittered as the Sync options ask.
	Timestamps []float64
	// ClockTimes and ClockValues are the ClockOffset chunks' collection
	// times (on the stream's clock) and offsets (add one to a time stamp
	// to get the recording computer's clock), in file order.
	ClockTimes, ClockValues []float64
	// EffectiveRate is the rate the dejittered time stamps show, in Hz,
	// as pyxdf's effective_srate: the samples of all segments (less one
	// per segment) over the segments' total duration; 0 for an irregular
	// or empty stream.
	EffectiveRate float64
	// Segments are the [first, last] sample index ranges (inclusive)
	// between breaks in the time stamps that dejittering found (pyxdf's
	// segments); ClockSegments the ranges that clock synchronisation
	// treated with one clock offset model each (pyxdf's clock_segments).
	Segments, ClockSegments [][2]int

	// The values, sample-major (sample i, channel c at i*ChannelCount+c),
	// in the one field that matches Format. Nil for a stream whose values
	// were not loaded (see Reader.Streams).
	Int8     []int8
	Int16    []int16
	Int32    []int32
	Int64    []int64
	Float32  []float32
	Double64 []float64
	Strings  []string
}

// Len returns the number of samples.
func (s *Stream) Len() int { return len(s.Timestamps) }

// Float64 returns numeric sample i of channel c as a float64 (exact except
// for int64 values beyond ±2^53). It panics for a string stream or a
// stream whose values were not loaded.
func (s *Stream) Float64(i, c int) float64 {
	k := i*s.ChannelCount + c
	switch s.Format {
	case Int8:
		return float64(s.Int8[k])
	case Int16:
		return float64(s.Int16[k])
	case Int32:
		return float64(s.Int32[k])
	case Int64:
		return float64(s.Int64[k])
	case Float32:
		return float64(s.Float32[k])
	case Double64:
		return s.Double64[k]
	}
	panic("xdf: Float64 of a " + string(s.Format) + " stream")
}

// Text returns sample i of channel c as text: a string value as it is, a
// number in decimal (integers, and doubles with an integer value, without
// a fraction or exponent; other floats in the shortest form that reads
// back the same value).
func (s *Stream) Text(i, c int) string {
	k := i*s.ChannelCount + c
	switch s.Format {
	case String:
		return s.Strings[k]
	case Int8:
		return strconv.FormatInt(int64(s.Int8[k]), 10)
	case Int16:
		return strconv.FormatInt(int64(s.Int16[k]), 10)
	case Int32:
		return strconv.FormatInt(int64(s.Int32[k]), 10)
	case Int64:
		return strconv.FormatInt(s.Int64[k], 10)
	case Float32:
		return formatFloat(float64(s.Float32[k]), 32)
	}
	return formatFloat(s.Double64[k], 64)
}

func formatFloat(v float64, bits int) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, bits)
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

// canDropSamples reports whether the header says
// desc/synchronization/can_drop_samples is true (video and HMD streams),
// which pyxdf does not dejitter.
func (s *Stream) canDropSamples() bool {
	return strings.EqualFold(s.Header.Value("desc", "synchronization", "can_drop_samples"), "true")
}

// footerSampleCount returns the footer's sample_count, if it has one that
// is a number.
func (s *Stream) footerSampleCount() (int, bool) {
	if s.Footer == nil || s.Footer.Child("sample_count") == nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(s.Footer.Value("sample_count")))
	return n, err == nil
}

// truncate keeps the first n samples.
func (s *Stream) truncate(n int) {
	s.Timestamps = s.Timestamps[:n]
	k := n * s.ChannelCount
	cut := func(l int) int { return min(l, k) }
	s.Int8 = s.Int8[:cut(len(s.Int8))]
	s.Int16 = s.Int16[:cut(len(s.Int16))]
	s.Int32 = s.Int32[:cut(len(s.Int32))]
	s.Int64 = s.Int64[:cut(len(s.Int64))]
	s.Float32 = s.Float32[:cut(len(s.Float32))]
	s.Double64 = s.Double64[:cut(len(s.Double64))]
	s.Strings = s.Strings[:cut(len(s.Strings))]
}
