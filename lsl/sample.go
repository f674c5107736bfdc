package lsl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Chunk holds consecutive samples of one stream: a timestamp per sample
// and the values sample-major (interleaved: sample i, channel ch is at
// i*Channels+ch) in the one slice that matches Format.
type Chunk struct {
	Format   ChannelFormat
	Channels int
	// Timestamps are seconds on the outlet's LSL clock, one per sample:
	// the time the source stamped (deduced ones filled in as liblsl does:
	// previous + 1/NominalRate). Add the inlet's TimeCorrection offset to
	// map them onto this machine's LocalClock.
	Timestamps []float64

	Float32 []float32
	Float64 []float64
	Int8    []int8
	Int16   []int16
	Int32   []int32
	Int64   []int64
	Strings []string

	// UID is the uid of the outlet instance the samples came from (set by
	// Inlet.Pull). It changes when the inlet recovered onto a restarted
	// outlet.
	UID string
	// Recovered is set on the first chunk after the inlet reconnected:
	// samples the outlet pushed while no connection existed are missing
	// before it (LSL buffers only for connected inlets).
	Recovered bool
}

// Len is the number of samples.
func (c *Chunk) Len() int { return len(c.Timestamps) }

// Reset empties c for samples of the given format and channel count,
// keeping its slices' storage.
func (c *Chunk) Reset(format ChannelFormat, channels int) {
	c.Format, c.Channels = format, channels
	c.Timestamps = c.Timestamps[:0]
	c.Float32, c.Float64 = c.Float32[:0], c.Float64[:0]
	c.Int8, c.Int16, c.Int32, c.Int64 = c.Int8[:0], c.Int16[:0], c.Int32[:0], c.Int64[:0]
	clear(c.Strings)
	c.Strings = c.Strings[:0]
	c.UID, c.Recovered = "", false
}

// values returns the number of values held in the slice of c.Format.
func (c *Chunk) values() int {
	switch c.Format {
	case FormatFloat32:
		return len(c.Float32)
	case FormatDouble64:
		return len(c.Float64)
	case FormatInt8:
		return len(c.Int8)
	case FormatInt16:
		return len(c.Int16)
	case FormatInt32:
		return len(c.Int32)
	case FormatInt64:
		return len(c.Int64)
	case FormatString:
		return len(c.Strings)
	}
	return 0
}

// truncate drops values past n.
func (c *Chunk) truncate(n int) {
	switch c.Format {
	case FormatFloat32:
		c.Float32 = c.Float32[:n]
	case FormatDouble64:
		c.Float64 = c.Float64[:n]
	case FormatInt8:
		c.Int8 = c.Int8[:n]
	case FormatInt16:
		c.Int16 = c.Int16[:n]
	case FormatInt32:
		c.Int32 = c.Int32[:n]
	case FormatInt64:
		c.Int64 = c.Int64[:n]
	case FormatString:
		clear(c.Strings[n:])
		c.Strings = c.Strings[:n]
	}
}

// Value returns sample i, channel ch of a numeric chunk as float64 (NaN
// for strings).
func (c *Chunk) Value(i, ch int) float64 {
	k := i*c.Channels + ch
	switch c.Format {
	case FormatFloat32:
		return float64(c.Float32[k])
	case FormatDouble64:
		return c.Float64[k]
	case FormatInt8:
		return float64(c.Int8[k])
	case FormatInt16:
		return float64(c.Int16[k])
	case FormatInt32:
		return float64(c.Int32[k])
	case FormatInt64:
		return float64(c.Int64[k])
	}
	return math.NaN()
}

// samples checks c against a stream of the given channel count and
// returns its number of samples: len(Timestamps), or with no timestamps
// the values over the channels.
func (c *Chunk) samples(channels int) (int, error) {
	if !c.Format.valid() {
		return 0, fmt.Errorf("lsl: chunk format %v", c.Format)
	}
	if c.Channels != channels {
		return 0, fmt.Errorf("lsl: chunk of %d channels for a stream of %d", c.Channels, channels)
	}
	v := c.values()
	if c.Timestamps == nil {
		if v%channels != 0 {
			return 0, fmt.Errorf("lsl: chunk has %d values, not a multiple of %d channels", v, channels)
		}
		return v / channels, nil
	}
	if v != len(c.Timestamps)*channels {
		return 0, fmt.Errorf("lsl: chunk has %d values for %d timestamps of %d channels", v, len(c.Timestamps), channels)
	}
	return len(c.Timestamps), nil
}

// Sample framing of data protocol 1.10, as liblsl's sample::save_streambuf
// writes it: a tag byte, the timestamp unless deduced, then the values in
// the agreed byte order (numbers at their natural width, strings as a
// length-prefixed byte string whose prefix is 1 byte giving the width of
// the length, 1, 2, 4 or 8, then the length).
const (
	tagDeduced     = 1
	tagTransmitted = 2
)

// DeducedTimestamp is liblsl's LSL_DEDUCED_TIMESTAMP: a sample pushed
// with it is sent without a timestamp and the receiver deduces one from
// the previous sample and the nominal rate.
const DeducedTimestamp = -1.0

// errShort means the buffer holds only part of a sample.
var errShort = errors.New("lsl: partial sample")

// ErrProtocol wraps data that does not follow the protocol (bad tag,
// string length over the limit, test patterns that differ, malformed
// headers).
var ErrProtocol = errors.New("lsl: protocol error")

// sampleDecoder reads samples of one stream from the data feed.
type sampleDecoder struct {
	format       ChannelFormat
	channels     int
	order        binary.ByteOrder
	suppressSub  bool
	maxStringLen int
}

// decode reads one sample from b, appending its values to c (not its
// timestamp: deduction is the caller's). It returns the bytes used, the
// timestamp and whether it was deduced; errShort when b ends inside the
// sample (nothing appended); an ErrProtocol error on a bad tag or a string
// longer than maxStringLen.
func (d *sampleDecoder) decode(b []byte, c *Chunk) (n int, ts float64, deduced bool, err error) {
	if len(b) == 0 {
		return 0, 0, false, errShort
	}
	switch b[0] {
	case tagDeduced:
		n, deduced = 1, true
	case tagTransmitted:
		if len(b) < 9 {
			return 0, 0, false, errShort
		}
		ts = math.Float64frombits(d.order.Uint64(b[1:9]))
		n = 9
	default:
		return 0, 0, false, fmt.Errorf("%w: sample tag %d, want 1 or 2", ErrProtocol, b[0])
	}
	if d.format == FormatString {
		m, err := d.decodeStrings(b[n:], c)
		if err != nil {
			return 0, 0, false, err
		}
		return n + m, ts, deduced, nil
	}
	size := d.format.Size() * d.channels
	if len(b)-n < size {
		return 0, 0, false, errShort
	}
	d.decodeNumbers(b[n:n+size], c)
	return n + size, ts, deduced, nil
}

func (d *sampleDecoder) decodeNumbers(b []byte, c *Chunk) {
	o := d.order
	switch d.format {
	case FormatFloat32:
		for i := 0; i < len(b); i += 4 {
			u := o.Uint32(b[i:])
			if d.suppressSub && u&0x7fffffff <= 0x007fffff {
				u &= 0x80000000
			}
			c.Float32 = append(c.Float32, math.Float32frombits(u))
		}
	case FormatDouble64:
		for i := 0; i < len(b); i += 8 {
			u := o.Uint64(b[i:])
			if d.suppressSub && u&0x7fffffffffffffff <= 0x000fffffffffffff {
				u &= 0x8000000000000000
			}
			c.Float64 = append(c.Float64, math.Float64frombits(u))
		}
	case FormatInt8:
		for _, v := range b {
			c.Int8 = append(c.Int8, int8(v))
		}
	case FormatInt16:
		for i := 0; i < len(b); i += 2 {
			c.Int16 = append(c.Int16, int16(o.Uint16(b[i:])))
		}
	case FormatInt32:
		for i := 0; i < len(b); i += 4 {
			c.Int32 = append(c.Int32, int32(o.Uint32(b[i:])))
		}
	case FormatInt64:
		for i := 0; i < len(b); i += 8 {
			c.Int64 = append(c.Int64, int64(o.Uint64(b[i:])))
		}
	}
}

func (d *sampleDecoder) decodeStrings(b []byte, c *Chunk) (int, error) {
	start := len(c.Strings)
	n := 0
	for range d.channels {
		if n >= len(b) {
			c.truncate(start)
			return 0, errShort
		}
		width := int(b[n])
		n++
		if width != 1 && width != 2 && width != 4 && width != 8 {
			c.truncate(start)
			return 0, fmt.Errorf("%w: string length of %d bytes, want 1, 2, 4 or 8", ErrProtocol, width)
		}
		if len(b)-n < width {
			c.truncate(start)
			return 0, errShort
		}
		var l uint64
		switch width {
		case 1:
			l = uint64(b[n])
		case 2:
			l = uint64(d.order.Uint16(b[n:]))
		case 4:
			l = uint64(d.order.Uint32(b[n:]))
		case 8:
			l = d.order.Uint64(b[n:])
		}
		n += width
		if l > uint64(d.maxStringLen) {
			c.truncate(start)
			return 0, fmt.Errorf("%w: string of %d bytes, over the %d-byte limit", ErrProtocol, l, d.maxStringLen)
		}
		if uint64(len(b)-n) < l {
			c.truncate(start)
			return 0, errShort
		}
		c.Strings = append(c.Strings, string(b[n:n+int(l)]))
		n += int(l)
	}
	return n, nil
}

// maxSampleBytes bounds one encoded sample, which the reader must hold
// whole before decoding it.
func (d *sampleDecoder) maxSampleBytes() int {
	if d.format == FormatString {
		return 9 + d.channels*(9+d.maxStringLen)
	}
	return 9 + d.channels*d.format.Size()
}

// appendTag writes a sample's header.
func appendTag(dst []byte, ts float64, deduced bool) []byte {
	if deduced {
		return append(dst, tagDeduced)
	}
	dst = append(dst, tagTransmitted)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(ts))
}

func appendString(dst []byte, s string) []byte {
	switch l := uint64(len(s)); {
	case l <= 0xff:
		dst = append(dst, 1, byte(l))
	case l <= 0xffffffff:
		dst = append(dst, 4)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(l))
	default:
		dst = append(dst, 8)
		dst = binary.LittleEndian.AppendUint64(dst, l)
	}
	return append(dst, s...)
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

// appendNumbers encodes x little-endian in format f, converting each value
// as a Go conversion does (liblsl converts with static_cast); into a
// string stream they are written as liblsl's to_string writes them.
func appendNumbers[T number](dst []byte, f ChannelFormat, x []T) []byte {
	le := binary.LittleEndian
	switch f {
	case FormatFloat32:
		for _, v := range x {
			dst = le.AppendUint32(dst, math.Float32bits(float32(v)))
		}
	case FormatDouble64:
		for _, v := range x {
			dst = le.AppendUint64(dst, math.Float64bits(float64(v)))
		}
	case FormatInt8:
		for _, v := range x {
			dst = append(dst, byte(int8(v)))
		}
	case FormatInt16:
		for _, v := range x {
			dst = le.AppendUint16(dst, uint16(int16(v)))
		}
	case FormatInt32:
		for _, v := range x {
			dst = le.AppendUint32(dst, uint32(int32(v)))
		}
	case FormatInt64:
		for _, v := range x {
			dst = le.AppendUint64(dst, uint64(int64(v)))
		}
	case FormatString:
		for _, v := range x {
			dst = appendString(dst, numberString(v))
		}
	}
	return dst
}

func numberString[T number](v T) string {
	switch x := any(v).(type) {
	case float32:
		return formatFloatPrec(float64(x), 8)
	case float64:
		return formatDouble(x)
	}
	return strconv.FormatInt(int64(v), 10)
}

// formatFloatPrec is formatDouble with prec significant digits.
func formatFloatPrec(v float64, prec int) string {
	if prec == 16 {
		return formatDouble(v)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	e := strconv.FormatFloat(v, 'e', prec-1, 64)
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	exp, _ := strconv.Atoi(e[i+1:])
	if exp < -4 || exp >= prec {
		return e
	}
	return strconv.FormatFloat(v, 'f', prec-1-exp, 64)
}

// appendStrings encodes x in format f; numeric formats parse each string
// (as liblsl's from_string), and a string that is no number is an error.
func appendStrings(dst []byte, f ChannelFormat, x []string) ([]byte, error) {
	if f == FormatString {
		for _, s := range x {
			dst = appendString(dst, s)
		}
		return dst, nil
	}
	le := binary.LittleEndian
	for _, s := range x {
		if f.isFloat() {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("lsl: %q is not a %v value", s, f)
			}
			if f == FormatFloat32 {
				dst = le.AppendUint32(dst, math.Float32bits(float32(v)))
			} else {
				dst = le.AppendUint64(dst, math.Float64bits(v))
			}
			continue
		}
		v, err := strconv.ParseInt(s, 10, f.Size()*8)
		if err != nil {
			return nil, fmt.Errorf("lsl: %q is not a %v value", s, f)
		}
		switch f {
		case FormatInt8:
			dst = append(dst, byte(v))
		case FormatInt16:
			dst = le.AppendUint16(dst, uint16(v))
		case FormatInt32:
			dst = le.AppendUint32(dst, uint32(v))
		case FormatInt64:
			dst = le.AppendUint64(dst, uint64(v))
		}
	}
	return dst, nil
}

// appendChunkSample encodes the values of sample i of c in format f,
// converting from c.Format.
func appendChunkSample(dst []byte, f ChannelFormat, c *Chunk, i int) ([]byte, error) {
	lo, hi := i*c.Channels, (i+1)*c.Channels
	switch c.Format {
	case FormatFloat32:
		return appendNumbers(dst, f, c.Float32[lo:hi]), nil
	case FormatDouble64:
		return appendNumbers(dst, f, c.Float64[lo:hi]), nil
	case FormatInt8:
		return appendNumbers(dst, f, c.Int8[lo:hi]), nil
	case FormatInt16:
		return appendNumbers(dst, f, c.Int16[lo:hi]), nil
	case FormatInt32:
		return appendNumbers(dst, f, c.Int32[lo:hi]), nil
	case FormatInt64:
		return appendNumbers(dst, f, c.Int64[lo:hi]), nil
	case FormatString:
		return appendStrings(dst, f, c.Strings[lo:hi])
	}
	return nil, fmt.Errorf("lsl: chunk format %v", c.Format)
}

// testPatternTimestamp is the timestamp of both test-pattern samples.
const testPatternTimestamp = 123456.789

// testPattern returns liblsl's test-pattern sample (sample::
// assign_test_pattern) for offset 4 or 2: both sides send and check the
// two after the feed header, so a mismatch in byte order, width or framing
// shows before any data. Channel k holds ±(k+offset+base), negative on odd
// k, reduced modulo the type's maximum for integers; strings are
// ±(k+10) in decimal, whatever the offset.
func testPattern(f ChannelFormat, channels, offset int) *Chunk {
	c := &Chunk{Format: f, Channels: channels, Timestamps: []float64{testPatternTimestamp}}
	sign := func(k int) int64 {
		if k%2 == 0 {
			return 1
		}
		return -1
	}
	for k := range channels {
		switch f {
		case FormatFloat32:
			c.Float32 = append(c.Float32, float32(sign(k))*float32(k+offset))
		case FormatDouble64:
			c.Float64 = append(c.Float64, float64(sign(k))*float64(k+offset+16777217))
		case FormatInt32:
			c.Int32 = append(c.Int32, int32(sign(k)*(int64(k+offset+65537)%math.MaxInt32)))
		case FormatInt16:
			c.Int16 = append(c.Int16, int16(sign(k)*(int64(k+offset+257)%math.MaxInt16)))
		case FormatInt8:
			c.Int8 = append(c.Int8, int8(sign(k)*(int64(k+offset+1)%math.MaxInt8)))
		case FormatInt64:
			c.Int64 = append(c.Int64, sign(k)*(int64(k)+2147483649+int64(offset)))
		case FormatString:
			c.Strings = append(c.Strings, strconv.FormatInt(sign(k)*int64(k+10), 10))
		}
	}
	return c
}

// equalSample compares sample 0 of a and b bit for bit (liblsl compares
// with memcmp), timestamps included.
func equalSample(a, b *Chunk) bool {
	if a.Len() != 1 || b.Len() != 1 || a.Format != b.Format || a.Channels != b.Channels ||
		math.Float64bits(a.Timestamps[0]) != math.Float64bits(b.Timestamps[0]) {
		return false
	}
	for k := range a.Channels {
		switch a.Format {
		case FormatFloat32:
			if math.Float32bits(a.Float32[k]) != math.Float32bits(b.Float32[k]) {
				return false
			}
		case FormatDouble64:
			if math.Float64bits(a.Float64[k]) != math.Float64bits(b.Float64[k]) {
				return false
			}
		case FormatString:
			if a.Strings[k] != b.Strings[k] {
				return false
			}
		case FormatInt64:
			if a.Int64[k] != b.Int64[k] {
				return false
			}
		default:
			if a.Value(0, k) != b.Value(0, k) {
				return false
			}
		}
	}
	return true
}
