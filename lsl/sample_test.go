package lsl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

// TestSampleBytes pins the framing against liblsl's save_streambuf
// layout, written out by hand.
func TestSampleBytes(t *testing.T) {
	le := binary.LittleEndian
	ts := le.AppendUint64(nil, math.Float64bits(1.5))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, c := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"float32", appendNumbers(appendTag(nil, 1.5, false), FormatFloat32, []float32{1, -2}),
			cat([]byte{2}, ts, le.AppendUint32(nil, math.Float32bits(1)), le.AppendUint32(nil, math.Float32bits(-2)))},
		{"int16 deduced", appendNumbers(appendTag(nil, 0, true), FormatInt16, []int16{-1, 258}),
			[]byte{1, 0xff, 0xff, 2, 1}},
		{"int8", appendNumbers(appendTag(nil, 0, true), FormatInt8, []int8{-128, 127}), []byte{1, 0x80, 0x7f}},
		{"int64", appendNumbers(appendTag(nil, 0, true), FormatInt64, []int64{-2}), cat([]byte{1}, le.AppendUint64(nil, math.MaxUint64-1))},
		{"string short", appendString(nil, "ab"), []byte{1, 2, 'a', 'b'}},
		{"string 255", appendString(nil, strings.Repeat("x", 255))[:2], []byte{1, 255}},
		{"string 256", appendString(nil, strings.Repeat("x", 256))[:5], []byte{4, 0, 1, 0, 0}},
		{"float to string", appendNumbers(nil, FormatString, []float32{0.1}), append([]byte{1, 10}, "0.10000000"...)},
		{"int to string", appendNumbers(nil, FormatString, []int32{-7}), []byte{1, 2, '-', '7'}},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, c.got, c.want)
		}
	}
}

// TestSampleRoundTrip encodes samples of every format and decodes them
// at every split point: a partial sample must report errShort and append
// nothing.
func TestSampleRoundTrip(t *testing.T) {
	for _, f := range allFormats {
		const nch = 3
		src := testPattern(f, nch, 4)
		var b []byte
		b = appendTag(b, 42.25, false)
		b, _ = appendChunkSample(b, f, src, 0)
		b = appendTag(b, 0, true)
		b, _ = appendChunkSample(b, f, testPattern(f, nch, 2), 0)
		if f == FormatString {
			b = appendTag(b, 0, true)
			b = appendString(b, strings.Repeat("é", 200)) // 400 bytes: 4-byte length
			b = appendString(b, "")
			b = appendString(b, "z")
		}
		{
			d := sampleDecoder{format: f, channels: nch, order: binary.LittleEndian, maxStringLen: 1 << 20}
			for cut := 0; cut < len(b); cut++ {
				var c Chunk
				c.Reset(f, nch)
				n, _, _, err := d.decode(b[:cut], &c)
				if n == 0 && !errors.Is(err, errShort) {
					if cut < firstLen(t, &d, b) {
						t.Fatalf("%v: cut at %d: %v", f, cut, err)
					}
				}
				if errors.Is(err, errShort) && c.values() != 0 {
					t.Fatalf("%v: partial sample at %d appended %d values", f, cut, c.values())
				}
			}
			var c Chunk
			c.Reset(f, nch)
			rest := b
			var stamps []float64
			var deduced []bool
			for len(rest) > 0 {
				n, ts, ded, err := d.decode(rest, &c)
				if err != nil {
					t.Fatalf("%v: %v", f, err)
				}
				rest = rest[n:]
				stamps, deduced = append(stamps, ts), append(deduced, ded)
			}
			c.Timestamps = stamps
			var first Chunk
			appendSamples(&first, &c, 0, 1)
			first.Timestamps[0] = src.Timestamps[0]
			if !equalSample(&first, src) {
				t.Errorf("%v: first sample %+v, want %+v", f, first, src)
			}
			if stamps[0] != 42.25 || deduced[0] || !deduced[1] {
				t.Errorf("%v: stamps %v deduced %v", f, stamps, deduced)
			}
			if f == FormatString && (c.Strings[6] != strings.Repeat("é", 200) || c.Strings[7] != "" || c.Strings[8] != "z") {
				t.Errorf("strings %q", c.Strings[6:])
			}
		}
	}
}

func firstLen(t *testing.T, d *sampleDecoder, b []byte) int {
	var c Chunk
	c.Reset(d.format, d.channels)
	n, _, _, err := d.decode(b, &c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDecodeBigEndianAndSubnormals(t *testing.T) {
	be := binary.BigEndian
	b := []byte{2}
	b = be.AppendUint64(b, math.Float64bits(3.25))
	b = be.AppendUint32(b, math.Float32bits(-1.5))
	b = be.AppendUint32(b, 0x00000001) // smallest subnormal
	b = be.AppendUint32(b, 0x80400000) // negative subnormal
	d := sampleDecoder{format: FormatFloat32, channels: 3, order: be, suppressSub: true}
	var c Chunk
	c.Reset(FormatFloat32, 3)
	n, ts, _, err := d.decode(b, &c)
	if err != nil || n != len(b) || ts != 3.25 {
		t.Fatalf("n %d ts %v err %v", n, ts, err)
	}
	if c.Float32[0] != -1.5 || math.Float32bits(c.Float32[1]) != 0 || math.Float32bits(c.Float32[2]) != 0x80000000 {
		t.Errorf("values %v (bits %x %x)", c.Float32, math.Float32bits(c.Float32[1]), math.Float32bits(c.Float32[2]))
	}
}

func TestDecodeErrors(t *testing.T) {
	d := sampleDecoder{format: FormatString, channels: 1, order: binary.LittleEndian, maxStringLen: 100}
	var c Chunk
	c.Reset(FormatString, 1)
	for _, b := range [][]byte{
		{3},                              // tag
		{1, 3, 0, 0, 0},                  // length width 3
		{1, 4, 101, 0, 0, 0},             // over maxStringLen
		{1, 8, 0, 0, 0, 0, 0, 0, 0, 128}, // 2^63
	} {
		if _, _, _, err := d.decode(b, &c); !errors.Is(err, ErrProtocol) {
			t.Errorf("% x: %v, want ErrProtocol", b, err)
		}
		if c.Len() != 0 || len(c.Strings) != 0 {
			t.Errorf("% x appended", b)
		}
	}
}

// TestTestPatterns pins liblsl's assign_test_pattern values.
func TestTestPatterns(t *testing.T) {
	p := testPattern(FormatInt8, 130, 4)
	if p.Int8[0] != 5 || p.Int8[1] != -6 || p.Int8[121] != -126 || p.Int8[122] != 0 || p.Int8[123] != -1 {
		t.Errorf("int8 %v", p.Int8[:4])
	}
	if p := testPattern(FormatInt16, 2, 2); p.Int16[0] != 259 || p.Int16[1] != -260 {
		t.Errorf("int16 %v", p.Int16)
	}
	if p := testPattern(FormatInt64, 2, 4); p.Int64[0] != 2147483653 || p.Int64[1] != -2147483654 {
		t.Errorf("int64 %v", p.Int64)
	}
	if p := testPattern(FormatDouble64, 2, 2); p.Float64[0] != 16777219 || p.Float64[1] != -16777220 {
		t.Errorf("double %v", p.Float64)
	}
	if p := testPattern(FormatString, 3, 4); strings.Join(p.Strings, ",") != "10,-11,12" {
		t.Errorf("string %v", p.Strings)
	}
	if p := testPattern(FormatFloat32, 2, 4); p.Float32[0] != 4 || p.Float32[1] != -5 || p.Timestamps[0] != 123456.789 {
		t.Errorf("float %v", p)
	}
}

func TestAppendStringsParses(t *testing.T) {
	b, err := appendStrings(nil, FormatInt16, []string{"-3", "300"})
	if err != nil || !bytes.Equal(b, []byte{0xfd, 0xff, 0x2c, 0x01}) {
		t.Errorf("% x %v", b, err)
	}
	if _, err := appendStrings(nil, FormatInt8, []string{"300"}); err == nil {
		t.Error("int8 300 accepted")
	}
	if _, err := appendStrings(nil, FormatFloat32, []string{"left"}); err == nil {
		t.Error(`float "left" accepted`)
	}
}
