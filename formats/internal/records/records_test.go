package records

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// synth is a file of recs records after a 10-byte header, each holding
// spr one-byte samples of 2 channels (channel-major within a record):
// sample i of channel c is byte (i + 100c) % 256.
func synth(recs, spr int64) ([]byte, *File) {
	b := make([]byte, 10+recs*2*spr)
	for r := range recs {
		for c := range int64(2) {
			for j := range spr {
				b[10+r*2*spr+c*spr+j] = byte((r*spr + j + 100*c) % 256)
			}
		}
	}
	f := &File{
		Name:      "synth",
		Data:      bytes.NewReader(b),
		MaxBuffer: 1 << 20,
		Layout:    Layout{Offset: 10, Bytes: 2 * spr, Samples: spr, Records: recs},
		Info:      formats.Info{Channels: make([]formats.Channel, 2), NSamples: recs * spr},
		ShortRead: func(s ShortRead) error {
			return fmt.Errorf("records %d+%d at %d: %w", s.First, s.Count, s.Offset(), s.Err)
		},
	}
	return b, f
}

// decodeBytes is the synthetic format's record decoder.
func decodeBytes(spr int64) func(dst [][]float64, rec []byte, s Span) {
	return func(dst [][]float64, rec []byte, s Span) {
		for c := range dst {
			for j := s.Lo; j < s.Hi; j++ {
				dst[c][s.At+j-s.Lo] = float64(rec[int64(c)*spr+j])
			}
		}
	}
}

func TestReadSamplesStitchesRecords(t *testing.T) {
	const recs, spr = 20, 7
	for _, maxBuf := range []int64{1, 3 * 2 * spr, 1 << 20} {
		for _, r := range [][2]int64{{0, 0}, {0, 1}, {6, 8}, {5, 40}, {0, recs * spr}, {recs*spr - 1, recs * spr}} {
			_, f := synth(recs, spr)
			f.MaxBuffer = maxBuf
			dst := [][]float64{make([]float64, r[1]-r[0]), make([]float64, r[1]-r[0])}
			if err := f.ReadSamples(dst, r[0], r[1], decodeBytes(spr)); err != nil {
				t.Fatal(err)
			}
			for c := range dst {
				for i, v := range dst[c] {
					if want := float64((r[0] + int64(i) + 100*int64(c)) % 256); v != want {
						t.Fatalf("MaxBuffer %d, [%d, %d): dst[%d][%d] = %v, want %v", maxBuf, r[0], r[1], c, i, v, want)
					}
				}
			}
		}
	}
}

// TestReadRecordsBounded: a read fetches whole records in as few ReadAt
// calls as MaxBuffer allows, and the buffer never holds more than that.
func TestReadRecordsBounded(t *testing.T) {
	const recs, spr = 100, 5
	b, f := synth(recs, spr)
	cr := &formatstest.CountingReaderAt{R: bytes.NewReader(b)}
	f.Data = cr
	f.MaxBuffer = 30 // 3 records of 10 bytes
	dst := [][]float64{make([]float64, 50), make([]float64, 50)}
	if err := f.ReadSamples(dst, 12, 62, decodeBytes(spr)); err != nil { // records 2..12: 11 records
		t.Fatal(err)
	}
	if cr.Calls != 4 || cr.Bytes != 110 || len(f.buf) != 30 {
		t.Errorf("%d ReadAt calls, %d bytes, a %d-byte buffer; want 4 calls, 110 bytes, 30", cr.Calls, cr.Bytes, len(f.buf))
	}
	// A record larger than MaxBuffer is still read whole.
	_, f = synth(recs, spr)
	f.Data = cr
	f.MaxBuffer = 4
	cr.Calls, cr.Bytes = 0, 0
	if err := f.ReadSamples(dst[:2:2], 0, 50, decodeBytes(spr)); err != nil {
		t.Fatal(err)
	}
	if cr.Calls != 10 || cr.Bytes != 100 {
		t.Errorf("%d ReadAt calls, %d bytes; want 10 calls of one record", cr.Calls, cr.Bytes)
	}
}

func TestReadSamplesNoAllocation(t *testing.T) {
	_, f := synth(50, 9)
	dst := [][]float64{make([]float64, 40), make([]float64, 40)}
	decode := decodeBytes(9)
	f.ReadSamples(dst, 0, 40, decode)
	if n := testing.AllocsPerRun(20, func() { f.ReadSamples(dst, 17, 57, decode) }); n != 0 {
		t.Errorf("%v allocations per read, want 0", n)
	}
}

func TestShortRead(t *testing.T) {
	b, f := synth(10, 4)
	f.Data = bytes.NewReader(b[:10+3*8+5]) // cut inside record 3
	dst := [][]float64{make([]float64, 30), make([]float64, 30)}
	err := f.ReadSamples(dst, 2, 32, decodeBytes(4))
	if err == nil || err.Error() != "records 0+8 at 39: unexpected EOF" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %v", err)
	}
}

func TestBegin(t *testing.T) {
	_, f := synth(3, 4)
	calls := 0
	f.Prepare = func() error { calls++; return errors.New("no plan") }
	dst := [][]float64{nil, nil}
	if ok, err := f.Begin(dst, 5, 5); ok || err != nil || calls != 0 {
		t.Errorf("empty range: %v, %v, %d Prepare calls; want nothing read, no Prepare", ok, err, calls)
	}
	err := f.ReadSamples([][]float64{make([]float64, 20), make([]float64, 20)}, 0, 20, decodeBytes(4))
	var fe *formats.Error
	if err == nil || errors.As(err, &fe) {
		t.Errorf("out of range: %v; want CheckRange's error", err)
	}
	f.RangeField = "sample range"
	err = f.ReadSamples([][]float64{make([]float64, 20), make([]float64, 20)}, 0, 20, decodeBytes(4))
	if !errors.As(err, &fe) || fe.Field != "sample range" || fe.File != "synth" {
		t.Errorf("out of range with RangeField: %v", err)
	}
	one := [][]float64{make([]float64, 1), make([]float64, 1)}
	for range 2 {
		if _, err := f.Begin(one, 0, 1); err == nil || err.Error() != "no plan" {
			t.Errorf("Prepare's error: got %v", err)
		}
	}
	if calls != 1 {
		t.Errorf("Prepare ran %d times, want once", calls)
	}
}

// TestZeroHold compares with scipy's interp1d(np.linspace(0, 1, n+1),
// np.r_[x, x[-1]], kind="zero")(np.linspace(0, 1, m, endpoint=False)) on
// x = arange(n).
func TestZeroHold(t *testing.T) {
	for _, c := range []struct {
		n, m int
		want []int32
	}{
		{1, 4, []int32{0, 0, 0, 0}},
		{2, 5, []int32{0, 0, 0, 1, 1}},
		{3, 6, []int32{0, 0, 1, 1, 2, 2}},
		{3, 10, []int32{0, 0, 0, 0, 1, 1, 1, 2, 2, 2}},
		{5, 3, []int32{0, 1, 3}},
	} {
		if got := ZeroHold(c.n, c.m); !slices.Equal(got, c.want) {
			t.Errorf("ZeroHold(%d, %d) = %v, want %v", c.n, c.m, got, c.want)
		}
	}
}

func TestStimMask(t *testing.T) {
	for _, c := range []struct{ v, want float64 }{
		{5.9, 5}, {-1, 1<<17 - 1}, {1<<17 + 3, 3}, {math.NaN(), 0}, {math.Inf(1), 0}, {-1e19, 0}, {1e19, 0},
	} {
		if got := StimMask(c.v); got != c.want {
			t.Errorf("StimMask(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestCalibration(t *testing.T) {
	for _, c := range []struct{ pmin, pmax, dmin, drange, cal, off float64 }{
		{-100, 100, -2048, 4095, 200.0 / 4095, -100 + 2048*200.0/4095},
		{5, 5, 0, 10, 0.1, 5},        // zero physical range: 1
		{0, 1, 3, 0, 1, -3},          // zero digital range: 1
		{0, 1, 0, math.NaN(), 1, 0},  // undefined: 1
		{0, 2, 0, math.Inf(1), 2, 0}, // undefined: 1
		{-1, 1, -32768, 65535, 2.0 / 65535, -1 + 32768*2.0/65535},
	} {
		cal, off := Calibration(c.pmin, c.pmax, c.dmin, c.drange)
		if cal != c.cal || math.Abs(off-c.off) > 1e-15 {
			t.Errorf("Calibration(%v, %v, %v, %v) = %v, %v; want %v, %v", c.pmin, c.pmax, c.dmin, c.drange, cal, off, c.cal, c.off)
		}
	}
}

func TestStimChannels(t *testing.T) {
	got := StimChannels([]string{"Fz", "STATUS", "Status", "trigger", "Trigger", "x"})
	if want := []bool{false, true, false, true, false, false}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		n    int64
		stim bool
		want Kind
	}{{8, false, Same}, {8, true, Masked}, {2, true, Held}, {12, true, Held}, {2, false, Resampled}} {
		if got := KindOf(c.n, 8, c.stim); got != c.want {
			t.Errorf("KindOf(%d, 8, %v) = %v, want %v", c.n, c.stim, got, c.want)
		}
	}
}
