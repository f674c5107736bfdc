package gdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestGolden reads every GDF recording in the shared data (GDF 2.10 and
// OpenViBE's GDF 1.25) and compares it with MNE's read_raw_gdf.
func TestGolden(t *testing.T) {
	formatstest.RunGolden(t, "mne.io.read_raw_gdf", 3, Open, func(t *testing.T, r *Reader, g *formatstest.Golden) {
		formatstest.Check(t, r, g, formatstest.Options{})
		formatstest.Check(t, r, g, formatstest.Options{ChunkLen: 4099})
		formatstest.CheckStart(t, r.Info().StartTime, g.MeasDate)
	})
}

// sig describes one synthetic signal.
type sig struct {
	label, dim             string
	code                   uint16
	pmin, pmax, dmin, dmax float64
	spr                    int
	typ                    DataType
}

// spec describes a synthetic GDF file.
type spec struct {
	version string // "GDF 1.25", "GDF 2.10", …
	sigs    []sig
	nrec    int
	dur     [2]uint32
	date1   string // GDF 1 start "YYYYMMDDhhmmsscc"
	date2   uint64 // GDF 2 start
	extra   int    // bytes of header beyond the variable header (GDF 2)
	events  []byte
}

// raw is the digital value of signal c, record rec, sample j.
func raw(c, rec, j int) float64 { return float64((c*37+rec*11+j*5)%200 - 100) }

func (s spec) v1() bool { return s.version < "GDF 1.9" }

func (s spec) bytes() []byte {
	le := binary.LittleEndian
	ns := len(s.sigs)
	hlen := 256*(ns+1) + s.extra
	b := make([]byte, hlen)
	copy(b, s.version)
	if s.v1() {
		copy(b[8:], "P01 Patient")
		copy(b[88:], "synthetic")
		copy(b[168:], s.date1)
		le.PutUint64(b[184:], uint64(hlen))
		le.PutUint32(b[252:], uint32(ns))
	} else {
		copy(b[8:], "P01 Patient")
		le.PutUint64(b[168:], s.date2)
		le.PutUint16(b[184:], uint16(hlen/256))
		le.PutUint16(b[252:], uint16(ns))
	}
	le.PutUint64(b[236:], uint64(s.nrec))
	le.PutUint32(b[244:], s.dur[0])
	le.PutUint32(b[248:], s.dur[1])
	at := func(col, width, i int) []byte { o := 256 + col*ns + width*i; return b[o : o+width] }
	for i, g := range s.sigs {
		copy(at(0, 16, i), g.label)
		copy(at(16, 80, i), "AgAgCl")
		if s.v1() {
			copy(at(96, 8, i), g.dim)
			le.PutUint64(at(104, 8, i), math.Float64bits(g.pmin))
			le.PutUint64(at(112, 8, i), math.Float64bits(g.pmax))
			le.PutUint64(at(120, 8, i), uint64(int64(g.dmin)))
			le.PutUint64(at(128, 8, i), uint64(int64(g.dmax)))
		} else {
			copy(at(96, 6, i), g.dim)
			le.PutUint16(at(102, 2, i), g.code)
			for k, v := range []float64{g.pmin, g.pmax, g.dmin, g.dmax} {
				le.PutUint64(at(104+8*k, 8, i), math.Float64bits(v))
			}
		}
		le.PutUint32(at(216, 4, i), uint32(g.spr))
		le.PutUint32(at(220, 4, i), uint32(g.typ))
	}
	var buf bytes.Buffer
	buf.Write(b)
	for rec := 0; rec < s.nrec; rec++ {
		for c, g := range s.sigs {
			for j := 0; j < g.spr; j++ {
				v := raw(c, rec, j)
				switch g.typ {
				case Int8:
					buf.WriteByte(byte(int8(v)))
				case UInt8:
					buf.WriteByte(byte(v + 100))
				case Int16:
					binary.Write(&buf, le, int16(v*300))
				case UInt16:
					binary.Write(&buf, le, uint16(v*300+30000))
				case Int32:
					binary.Write(&buf, le, int32(v*1e6))
				case UInt32:
					binary.Write(&buf, le, uint32(v*1e6+1e9))
				case Int64:
					binary.Write(&buf, le, int64(v*1e12))
				case UInt64:
					binary.Write(&buf, le, uint64(v*1e12+1e15))
				case Float32:
					binary.Write(&buf, le, float32(v/7))
				case Float64:
					binary.Write(&buf, le, v/7)
				}
			}
		}
	}
	buf.Write(s.events)
	return buf.Bytes()
}

// digital is what spec.bytes stored for raw value v in type t.
func digital(t DataType, v float64) float64 {
	switch t {
	case UInt8:
		return v + 100
	case Int16:
		return v * 300
	case UInt16:
		return v*300 + 30000
	case Int32:
		return v * 1e6
	case UInt32:
		return v*1e6 + 1e9
	case Int64:
		return v * 1e12
	case UInt64:
		return v*1e12 + 1e15
	case Float32:
		return float64(float32(v / 7))
	case Float64:
		return v / 7
	}
	return v
}

// eventTable builds an event table in the layout of the given version.
func eventTable(version float64, mode byte, sr float32, ev []Event) []byte {
	le := binary.LittleEndian
	n := len(ev)
	b := make([]byte, 8)
	b[0] = mode
	if version < 1.94 {
		b[1], b[2], b[3] = byte(int(sr)), byte(int(sr)>>8), byte(int(sr)>>16)
		le.PutUint32(b[4:], uint32(n))
	} else {
		b[1], b[2], b[3] = byte(n), byte(n>>8), byte(n>>16)
		le.PutUint32(b[4:], math.Float32bits(sr))
	}
	for _, e := range ev {
		b = le.AppendUint32(b, e.Position)
	}
	for _, e := range ev {
		b = le.AppendUint16(b, e.Type)
	}
	if mode == 3 {
		for _, e := range ev {
			b = le.AppendUint16(b, e.Channel)
		}
		for _, e := range ev {
			b = le.AppendUint32(b, e.Duration)
		}
	}
	return b
}

var testEvents = []Event{
	{Position: 11, Type: 0x8100, Channel: 0, Duration: 5},
	{Position: 0, Type: 1, Duration: 1}, // wraps in MNE's uint32 arithmetic: dropped
	{Position: 2, Type: 0x7ffe, Channel: 2, Duration: 0},
	{Position: 39, Type: 33024, Duration: 100}, // clipped at the end
	{Position: 2, Type: 7, Duration: 3},
	{Position: 1000, Type: 9, Duration: 1}, // after the end: dropped
}

// baseSpec is a 3-signal file of 10 records of 4 samples at 1/0.5 s: 8 Hz.
func baseSpec(version string, typ DataType) spec {
	v2 := version >= "GDF 1.9"
	dim := func(s string, c uint16) (string, uint16) {
		if v2 {
			return s, c
		}
		return s, 0
	}
	uv, uvc := dim("uV", 4275)
	mv, mvc := dim("mV", 4274)
	return spec{
		version: version,
		nrec:    10,
		dur:     [2]uint32{1, 2},
		sigs: []sig{
			{label: "Cz", dim: uv, code: uvc, pmin: -500, pmax: 500, dmin: -32768, dmax: 32767, spr: 4, typ: typ},
			{label: "EMG", dim: mv, code: mvc, pmin: -2, pmax: 3, dmin: -100, dmax: 100, spr: 4, typ: typ},
			{label: "Trigger", dim: "", pmin: 0, pmax: 255, dmin: 0, dmax: 255, spr: 4, typ: typ},
		},
	}
}

func TestSynthetic(t *testing.T) {
	for _, version := range []string{"GDF 1.25", "GDF 2.10", "GDF 2.20"} {
		for _, typ := range []DataType{Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float32, Float64} {
			t.Run(version+"/"+typ.String(), func(t *testing.T) {
				s := baseSpec(version, typ)
				vn := 1.25
				if version != "GDF 1.25" {
					vn = 2.1
				}
				s.events = eventTable(vn, 3, 8, testEvents)
				b := s.bytes()
				r, err := NewReader(bytes.NewReader(b), int64(len(b)), "s.gdf")
				if err != nil {
					t.Fatal(err)
				}
				info := r.Info()
				if info.SampleRate != 8 || info.NSamples != 40 || info.Format != version {
					t.Fatalf("rate %v, %d samples, format %q", info.SampleRate, info.NSamples, info.Format)
				}
				wantCh := []formats.Channel{
					{Label: "Cz", Type: formats.EEG, Unit: "V", SampleRate: 8},
					{Label: "EMG", Type: formats.EEG, Unit: "mV", SampleRate: 8},
					{Label: "Trigger", Type: formats.Stim, Unit: "", SampleRate: 8},
				}
				if version != "GDF 1.25" {
					wantCh[1].Unit = "V" // code 4274 is scaled to V
				}
				for i, c := range info.Channels {
					if c != wantCh[i] {
						t.Errorf("channel %d = %+v, want %+v", i, c, wantCh[i])
					}
				}
				dst := [][]float64{make([]float64, 13), make([]float64, 13), make([]float64, 13)}
				for _, start := range []int64{0, 3, 27} {
					if err := r.ReadSamples(dst, start, start+13); err != nil {
						t.Fatal(err)
					}
					for c, g := range s.sigs {
						cal := (g.pmax - g.pmin) / (g.dmax - g.dmin)
						off := g.pmin - g.dmin*cal
						gain := []float64{1e-6, 1, 1}[c]
						if c == 1 && version != "GDF 1.25" {
							gain = 1e-3
						}
						for i, v := range dst[c] {
							k := int(start) + i
							w := (digital(typ, raw(c, k/4, k%4))*cal + off) * gain
							if c == 2 {
								w = float64(int64(w) & (1<<17 - 1))
							}
							if math.Abs(v-w) > 1e-12*math.Abs(w) {
								t.Fatalf("ch %d sample %d = %.17g, want %.17g", c, k, v, w)
							}
						}
					}
				}
				// Events at 8 Hz over 5 s, sorted by (onset, duration).
				want := []formats.Annotation{
					{Onset: 0.125, Duration: 0.125, Description: "32766"},
					{Onset: 0.125, Duration: 0.375, Description: "7"},
					{Onset: 1.25, Duration: 0.625, Description: "33024"},
					{Onset: 4.75, Duration: 0.25, Description: "33024"},
				}
				want[3].Duration = 0.25 // 12.5 s of event clipped to the end at 5 s
				checkAnnotations(t, info.Annotations, want)
			})
		}
	}
}

func checkAnnotations(t *testing.T, got, want []formats.Annotation) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("annotations %+v, want %+v", got, want)
	}
	for i := range got {
		if math.Abs(got[i].Onset-want[i].Onset) > 1e-12 || math.Abs(got[i].Duration-want[i].Duration) > 1e-12 || got[i].Description != want[i].Description {
			t.Errorf("annotation %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestStartTime(t *testing.T) {
	s := baseSpec("GDF 1.25", Int16)
	s.date1 = "2012070619021642"
	b := s.bytes()
	h, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if w := time.Date(2012, 7, 6, 19, 2, 16, 420000000, time.UTC); !h.StartTime.Equal(w) {
		t.Errorf("GDF 1 start %v, want %v", h.StartTime, w)
	}
	s = baseSpec("GDF 2.10", Int16)
	// 2020-03-01 12:00 UTC is day 737850.5 after 0000-01-00 (+367 days
	// from 0001-01-01).
	days := float64(time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC).Sub(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)).Hours()/24) + 730485 + 367
	s.date2 = uint64(days * (1 << 32))
	if h, err = ParseHeader(s.bytes()); err != nil {
		t.Fatal(err)
	}
	if w := time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC); !h.StartTime.Equal(w) {
		t.Errorf("GDF 2 start %v, want %v", h.StartTime, w)
	}
}

// TestMixedRates checks a lower-rate signal (FFT-upsampled per record) and
// a lower-rate stim channel (held per record).
func TestMixedRates(t *testing.T) {
	s := baseSpec("GDF 2.10", Float64)
	s.sigs[1].spr = 1 // constant within a record: upsampling keeps it
	s.sigs[2].spr = 2
	b := s.bytes()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "m.gdf")
	if err != nil {
		t.Fatal(err)
	}
	if sr := r.Info().Channels[1].SampleRate; sr != 2 {
		t.Errorf("native rate %v, want 2", sr)
	}
	dst := [][]float64{make([]float64, 40), make([]float64, 40), make([]float64, 40)}
	if err := r.ReadSamples(dst, 0, 40); err != nil {
		t.Fatal(err)
	}
	g := s.sigs[1]
	cal := (g.pmax - g.pmin) / (g.dmax - g.dmin)
	for k := 0; k < 40; k++ {
		w := (raw(1, k/4, 0)/7*cal + g.pmin - g.dmin*cal) * 1e-3
		if math.Abs(dst[1][k]-w) > 1e-12 {
			t.Fatalf("upsampled sample %d = %g, want %g", k, dst[1][k], w)
		}
		if w := raw(2, k/4, (k%4)/2) / 7; math.Abs(dst[2][k]-w) > 1e-12 {
			t.Fatalf("held stim sample %d = %g, want %g", k, dst[2][k], w)
		}
	}
}

func TestMalformed(t *testing.T) {
	good := baseSpec("GDF 2.10", Int16)
	good.events = eventTable(2.1, 1, 8, testEvents)
	gb := good.bytes()
	le := binary.LittleEndian
	dataEnd := int64(1024 + 10*3*4*2)
	cases := []struct {
		name   string
		edit   func(b []byte) []byte
		field  string
		offset int64
	}{
		{"short", func(b []byte) []byte { return b[:100] }, "fixed header", 100},
		{"magic", func(b []byte) []byte { copy(b, "EDF"); return b }, "version", 0},
		{"version", func(b []byte) []byte { copy(b[4:], "x.yz"); return b }, "version", 4},
		{"no signals", func(b []byte) []byte { le.PutUint16(b[252:], 0); return b }, "number of signals", 252},
		{"header length", func(b []byte) []byte { le.PutUint16(b[184:], 2); return b }, "header length", 184},
		{"records", func(b []byte) []byte { le.PutUint64(b[236:], math.MaxUint64); return b }, "number of records", 236},
		{"denominator", func(b []byte) []byte { le.PutUint32(b[248:], 0); return b }, "record duration", 248},
		{"type", func(b []byte) []byte { le.PutUint32(b[256+220*3+4:], 9); return b }, "data type", 256 + 220*3 + 4},
		{"spr", func(b []byte) []byte { le.PutUint32(b[256+216*3+8:], 0xffffffff); return b }, "samples per record", 256 + 216*3 + 8},
		{"truncated data", func(b []byte) []byte { return b[:1100] }, "data records", 1100},
		{"truncated events", func(b []byte) []byte { return b[:len(b)-3] }, "event table", int64(len(gb) - 3)},
		{"truncated event header", func(b []byte) []byte { return b[:dataEnd+5] }, "event table header", dataEnd + 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.edit(append([]byte(nil), gb...))
			_, err := NewReader(bytes.NewReader(b), int64(len(b)), "x.gdf")
			var fe *formats.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *formats.Error", err)
			}
			if fe.File != "x.gdf" || fe.Field != c.field || fe.Offset != c.offset {
				t.Errorf("err = %v (field %q offset %d), want field %q offset %d", err, fe.Field, fe.Offset, c.field, c.offset)
			}
		})
	}
	t.Run("data shorter than size", func(t *testing.T) {
		// The reader promises more bytes than it has: ReadSamples fails
		// with the offset where the data ends.
		nb := baseSpec("GDF 2.10", Int16).bytes() // no event table
		r, err := NewReader(bytes.NewReader(nb[:1100]), int64(len(nb)), "x.gdf")
		if err != nil {
			t.Fatal(err)
		}
		dst := [][]float64{make([]float64, 40), make([]float64, 40), make([]float64, 40)}
		err = r.ReadSamples(dst, 0, 40)
		var fe *formats.Error
		if !errors.As(err, &fe) || fe.Field != "data records" || fe.Offset != 1100 {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestHugeRecord checks that a header announcing enormous records costs
// nothing until samples are read, and that those must then exist.
func TestHugeRecord(t *testing.T) {
	s := baseSpec("GDF 1.25", Int8)
	s.sigs[0].spr = 1 << 30
	s.nrec = 0
	b := s.bytes()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "huge.gdf")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().NSamples != 0 {
		t.Fatalf("%d samples", r.Info().NSamples)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("NewReader allocated %d bytes for an empty recording", d)
	}
	binary.LittleEndian.PutUint64(b[236:], 1) // one record, not in the file
	if _, err := NewReader(bytes.NewReader(b), int64(len(b)), "huge.gdf"); err == nil {
		t.Error("a record larger than the file was accepted")
	}
}

// TestStreaming checks that ReadSamples reads exactly the records covering
// the range, in one ReadAt.
func TestStreaming(t *testing.T) {
	s := baseSpec("GDF 1.25", Float64)
	s.nrec = 1000
	b := s.bytes()
	cr := &formatstest.CountingReaderAt{R: bytes.NewReader(b)}
	r, err := NewReader(cr, int64(len(b)), "s.gdf")
	if err != nil {
		t.Fatal(err)
	}
	cr.Calls, cr.Bytes = 0, 0
	dst := [][]float64{make([]float64, 9), make([]float64, 9), make([]float64, 9)}
	if err := r.ReadSamples(dst, 2002, 2011); err != nil { // records 500..502
		t.Fatal(err)
	}
	if cr.Calls != 1 || cr.Bytes != 3*r.file.Layout.Bytes {
		t.Errorf("%d ReadAt calls, %d bytes; want 1 call, %d bytes", cr.Calls, cr.Bytes, 3*r.file.Layout.Bytes)
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, v := range []string{"GDF 1.25", "GDF 2.10", "GDF 2.20"} {
		f.Add(baseSpec(v, Int16).bytes()[:1024])
	}
	// Regression seeds: a huge samples-per-record count made the reader
	// allocate per-record buffers for samples the file does not hold.
	huge := baseSpec("GDF 1.25", Int8)
	huge.sigs[0].spr = 0x20202020
	huge.nrec = 0
	hb := huge.bytes()
	f.Add(hb)
	hb = bytes.Clone(hb)
	binary.LittleEndian.PutUint64(hb[236:], 1) // one record, not in the file
	f.Add(hb)
	for _, p := range realFiles() {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b[:min(len(b), 4096)])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader("fuzz.gdf", b)
		if err != nil {
			formatstest.AsError(t, err)
			return
		}
		if len(h.Signals) == 0 || h.Duration[1] == 0 || h.NRecords < 0 {
			t.Fatalf("accepted invalid header %+v", h)
		}
		// Whatever the header says, a reader on these bytes must not
		// panic: it refuses them or reads them.
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), "fuzz.gdf")
		if err != nil {
			return
		}
		n := min(r.Info().NSamples, 64)
		dst := make([][]float64, len(r.Info().Channels))
		for c := range dst {
			dst[c] = make([]float64, n)
		}
		if err := r.ReadSamples(dst, r.Info().NSamples-n, r.Info().NSamples); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseEvents(f *testing.F) {
	f.Add(eventTable(1.25, 1, 256, testEvents), 1.25)
	f.Add(eventTable(2.1, 3, 256, testEvents), 2.1)
	f.Add(eventTable(1.9, 3, 256, testEvents[:2]), 1.9)
	f.Fuzz(func(t *testing.T, b []byte, version float64) {
		et, err := ParseEvents(b, version)
		if err != nil {
			formatstest.AsError(t, err)
			return
		}
		ann := et.Annotations(256, 1000)
		for i, a := range ann {
			// MNE keeps an event starting exactly at the end, clipped to 0 s.
			if a.Onset < 0 || a.Duration < 0 || a.Onset+a.Duration > 1000.0/256+1e-6 {
				t.Fatalf("annotation %d outside the recording: %+v", i, a)
			}
		}
	})
}

// realFiles lists the shared GDF files when present; fuzzing works without.
func realFiles() []string {
	var out []string
	for _, pat := range []string{"format-samples/gdf/*.gdf", "ssvep-exoskeleton/*/*.gdf"} {
		m, _ := filepath.Glob(filepath.Join(formatstest.SeedDir(), pat))
		out = append(out, m...)
	}
	return out
}

func BenchmarkReadSamples(b *testing.B) {
	for _, c := range []struct {
		name string
		spr  int
	}{{"OpenViBE-1-sample-records", 1}, {"512-sample-records", 512}} {
		b.Run(c.name, func(b *testing.B) {
			s := baseSpec("GDF 1.25", Float32)
			s.nrec = 100000 / c.spr
			for i := range s.sigs {
				s.sigs[i].spr = c.spr
			}
			data := s.bytes()
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "b.gdf")
			if err != nil {
				b.Fatal(err)
			}
			const span = 1000
			dst := [][]float64{make([]float64, span), make([]float64, span), make([]float64, span)}
			n := r.Info().NSamples
			if err := r.ReadSamples(dst, 0, span); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(span * 3 * 4)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := int64(i*span+7) % (n - span)
				if err := r.ReadSamples(dst, start, start+span); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("upsampled", func(b *testing.B) {
		s := baseSpec("GDF 2.10", Int16)
		s.nrec = 1000
		s.sigs[0].spr, s.sigs[1].spr, s.sigs[2].spr = 256, 100, 64
		data := s.bytes()
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "b.gdf")
		if err != nil {
			b.Fatal(err)
		}
		const span = 1000
		dst := [][]float64{make([]float64, span), make([]float64, span), make([]float64, span)}
		if err := r.ReadSamples(dst, 0, span); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := int64(i*span) % (r.Info().NSamples - span)
			if err := r.ReadSamples(dst, start, start+span); err != nil {
				b.Fatal(err)
			}
		}
	})
}
