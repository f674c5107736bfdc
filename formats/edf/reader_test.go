package edf

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

func open(t *testing.T, b []byte, name string) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDecode checks scaling, units, stim handling and BDF sign extension
// on hand-built files.
func TestDecode(t *testing.T) {
	ramp := func(rec, i int) int32 { return int32(rec*1000 + i - 500) }
	for _, bdf := range []bool{false, true} {
		f := rawFile{records: 3, bdf: bdf, reserved: "EDF+C", sigs: []rawSignal{
			{label: "Fz", dim: "uV", pmin: "-3276.8", pmax: "3276.7", n: 4, digital: ramp},
			{label: "Mz", dim: "mV", pmin: "100", pmax: "-100", dmin: "-1000", dmax: "1000", n: 4, digital: ramp},
			{label: "Temp", dim: "degC", pmin: "0", pmax: "50", dmin: "0", dmax: "500", n: 4, digital: ramp},
			{label: "STATUS", dim: "Boolean", pmin: "0", pmax: "1", dmin: "0", dmax: "1", n: 4,
				digital: func(rec, i int) int32 { return -1 - int32(i) }},
		}}
		if bdf {
			f.reserved = "24BIT"
		}
		name := "x.edf"
		r := open(t, f.bytes(), name)
		info := r.Info()
		wantFormat := "EDF+C"
		if bdf {
			wantFormat = "BDF"
		}
		if info.Format != wantFormat || info.SampleRate != 4 || info.NSamples != 12 {
			t.Fatalf("bdf=%v: format %q rate %v n %d", bdf, info.Format, info.SampleRate, info.NSamples)
		}
		wantUnits := []string{"V", "V", "degC", "Boolean"}
		wantTypes := []formats.ChannelType{formats.EEG, formats.EEG, formats.EEG, formats.Stim}
		if bdf {
			wantUnits[3] = "" // raw trigger codes
		}
		for c, ch := range info.Channels {
			if ch.Unit != wantUnits[c] || ch.Type != wantTypes[c] {
				t.Errorf("bdf=%v channel %d: unit %q type %q, want %q %q", bdf, c, ch.Unit, ch.Type, wantUnits[c], wantTypes[c])
			}
		}
		if want := time.Date(2024, 1, 2, 10, 20, 30, 0, time.UTC); !info.StartTime.Equal(want) {
			t.Errorf("start %v, want %v", info.StartTime, want)
		}
		got := formatstest.ReadAll(t, r)
		for rec := 0; rec < 3; rec++ {
			for i := 0; i < 4; i++ {
				d := float64(ramp(rec, i))
				k := rec*4 + i
				want := []float64{
					(d*0.1 + (-3276.8 - -32768*0.1)) * 1e-6,
					(d*-0.1 + (100 - -1000*-0.1)) * 1e-3,
					d*0.1 + 0,
				}
				for c, w := range want {
					if math.Abs(got[c][k]-w) > 1e-12*math.Max(1, math.Abs(w)) {
						t.Errorf("bdf=%v channel %d sample %d = %v, want %v", bdf, c, k, got[c][k], w)
					}
				}
				// Stim: the digital -1-i, scaled (EDF) or raw (BDF),
				// truncated and masked to 17 bits as MNE does.
				st := float64((-1 - int64(i)) & (1<<17 - 1))
				if got[3][k] != st {
					t.Errorf("bdf=%v stim sample %d = %v, want %v", bdf, k, got[3][k], st)
				}
			}
		}
	}
}

// TestChunks checks that any split of the range reads the same values.
func TestChunks(t *testing.T) {
	f := rawFile{records: 7, sigs: []rawSignal{
		{label: "A", dim: "uV", n: 10, digital: func(rec, i int) int32 { return int32(rec*37 + i*i) }},
		{label: "B", dim: "uV", n: 5, digital: func(rec, i int) int32 { return int32(rec*3 - i*11) }},
		{label: "Trigger", dim: "", pmin: "-32768", pmax: "32767", n: 3, digital: func(rec, i int) int32 { return int32(rec + i) }},
	}}
	r := open(t, f.bytes(), "c.edf")
	whole := formatstest.ReadAll(t, r)
	n := r.Info().NSamples
	for _, step := range []int64{1, 3, 7, 10, 13, n} {
		for start := int64(0); start < n; start += step {
			stop := min(start+step, n)
			dst := [][]float64{make([]float64, stop-start), make([]float64, stop-start), make([]float64, stop-start)}
			if err := r.ReadSamples(dst, start, stop); err != nil {
				t.Fatal(err)
			}
			for c := range dst {
				for i, v := range dst[c] {
					if v != whole[c][start+int64(i)] {
						t.Fatalf("step %d: channel %d sample %d = %v, whole read %v", step, c, start+int64(i), v, whole[c][start+int64(i)])
					}
				}
			}
		}
	}
	// The lower-rate stim channel is held within each record: 3 samples
	// over 10 output samples.
	want := []float64{0, 0, 0, 0, 1, 1, 1, 2, 2, 2}
	for i, w := range want {
		if whole[2][10+i] != w+1 {
			t.Errorf("held trigger sample %d = %v, want %v", 10+i, whole[2][10+i], w+1)
		}
	}
}

// TestMalformed checks that broken files give a *formats.Error naming the
// field and byte offset.
func TestMalformed(t *testing.T) {
	good := rawFile{records: 2, reserved: "EDF+C", sigs: []rawSignal{
		{label: "A", dim: "uV", n: 4},
		{label: "B", dim: "uV", n: 4},
	}}
	type tc struct {
		name   string
		b      []byte
		size   int64 // 0: len(b)
		field  string
		offset int64
	}
	mod := func(f func(*rawFile)) []byte {
		g := good
		g.sigs = append([]rawSignal(nil), good.sigs...)
		f(&g)
		return g.bytes()
	}
	whole := good.bytes()
	cases := []tc{
		{name: "empty", b: nil, field: "header", offset: 0},
		{name: "truncated fixed header", b: whole[:200], field: "header", offset: 0},
		{name: "truncated signal headers", b: whole[:600], field: "signal headers", offset: 600},
		{name: "bad signal count", b: func() []byte { b := bytes.Clone(whole); copy(b[252:], "x2  "); return b }(), field: "number of signals", offset: 252},
		{name: "bad header bytes", b: mod(func(f *rawFile) { f.headerBytes = "999" }), field: "number of header bytes", offset: 184},
		{name: "bad record count", b: mod(func(f *rawFile) { f.nrec = "two" }), field: "number of data records", offset: 236},
		{name: "bad duration", b: mod(func(f *rawFile) { f.dur = "1s" }), field: "duration of a data record", offset: 244},
		{name: "negative duration", b: mod(func(f *rawFile) { f.dur = "-1" }), field: "duration of a data record", offset: 244},
		{name: "bad physical minimum", b: mod(func(f *rawFile) { f.sigs[1].pmin = "low" }), field: "signal 1 physical minimum", offset: 256 + 2*104 + 8},
		{name: "bad digital maximum", b: mod(func(f *rawFile) { f.sigs[0].dmax = "1e" }), field: "signal 0 digital maximum", offset: 256 + 2*(104+24)},
		{name: "bad sample count", b: mod(func(f *rawFile) { f.sigs[1].n = -4 }), field: "signal 1 number of samples", offset: 256 + 2*(104+32+80) + 8},
		{name: "bad time of day", b: mod(func(f *rawFile) { f.time = "25.00.00" }), field: "start time", offset: 176},
		// The size claims both records, the bytes hold one and a half.
		{name: "truncated data", b: whole[:len(whole)-8], size: int64(len(whole)), field: "data record 1", offset: int64(len(whole) - 8)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size := c.size
			if size == 0 {
				size = int64(len(c.b))
			}
			r, err := NewReader(bytes.NewReader(c.b), size, "bad.edf")
			if err == nil {
				info := r.Info()
				dst := make([][]float64, len(info.Channels))
				for i := range dst {
					dst[i] = make([]float64, info.NSamples)
				}
				err = r.ReadSamples(dst, 0, info.NSamples)
			}
			var fe *formats.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *formats.Error", err)
			}
			if fe.File != "bad.edf" || fe.Field != c.field || fe.Offset != c.offset {
				t.Errorf("error %q names (%q, %q, %d), want (%q, %q, %d)", fe, fe.File, fe.Field, fe.Offset, "bad.edf", c.field, c.offset)
			}
		})
	}
}

// TestRange checks ReadSamples' range errors and the empty range.
func TestRange(t *testing.T) {
	f := rawFile{records: 2, sigs: []rawSignal{{label: "A", dim: "uV", n: 4}}}
	r := open(t, f.bytes(), "r.edf")
	if err := r.ReadSamples([][]float64{{}}, 8, 8); err != nil {
		t.Errorf("empty range at the end: %v", err)
	}
	for _, rg := range [][2]int64{{-1, 0}, {7, 9}, {5, 4}} {
		n := max(rg[1]-rg[0], 0)
		if err := r.ReadSamples([][]float64{make([]float64, n)}, rg[0], rg[1]); err == nil {
			t.Errorf("range %v: no error", rg)
		}
	}
}

// TestHeaderFields checks parsing details MNE has: Python number syntax,
// dates from the EDF+ recording field, two-digit years, the annotation-
// only file and the record count taken from the file size.
func TestHeaderFields(t *testing.T) {
	f := rawFile{records: 3, nrec: "-1", dur: "0,5", date: "01.01.99", time: "1.2.3",
		sigs: []rawSignal{{label: "  A ", dim: "uV", pmin: " -1_0.5", pmax: "+1e1", n: 2}}}
	b := f.bytes()
	// A decimal comma is not accepted in the record duration (MNE's
	// float() refuses it too) but is in physical ranges.
	if _, err := NewReader(bytes.NewReader(b), int64(len(b)), "h.edf"); err == nil || !strings.Contains(err.Error(), "duration") {
		t.Fatalf("duration with a comma: %v", err)
	}
	f.dur = "0.5"
	f.sigs[0].pmin = "-10,5"
	b = f.bytes()
	// The recording field has a valid date, which wins over dd.mm.yy.
	r := open(t, b, "h.edf")
	info := r.Info()
	if r.Header().NRecords != -1 || info.NSamples != 6 || info.SampleRate != 4 {
		t.Errorf("NRecords %d, NSamples %d, rate %v", r.Header().NRecords, info.NSamples, info.SampleRate)
	}
	if info.Channels[0].Label != "A" || r.Header().Signals[0].PhysMin != -10.5 || r.Header().Signals[0].PhysMax != 10 {
		t.Errorf("label %q, range %v..%v", info.Channels[0].Label, r.Header().Signals[0].PhysMin, r.Header().Signals[0].PhysMax)
	}
	if want := time.Date(2024, 1, 2, 1, 2, 3, 0, time.UTC); !info.StartTime.Equal(want) {
		t.Errorf("start %v, want %v", info.StartTime, want)
	}
	h := *r.Header()
	for _, c := range []struct {
		rec, date, time string
		want            time.Time
	}{
		{"Startdate 02-jan-2024 X X", "01.01.99", "00.00.00", time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}, // 4 subfields
		{"Startdate 31-FEB-2024 X X X", "01.01.84", "23.59.59", time.Date(2084, 1, 1, 23, 59, 59, 0, time.UTC)},
		{"Startdate 5-Mar-2024 X X X", "", "x", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)}, // a bad time is midnight
		{"Startdate  5-Mar-2024 X X X", "", "12.00.00", time.Time{}},                         // six subfields, no dd.mm.yy
		{"", "1.2.85", "12.00.00", time.Date(1985, 2, 1, 12, 0, 0, 0, time.UTC)},
		{"", "31.02.85", "12.00.00", time.Time{}},
	} {
		h.Recording, h.StartDate, h.StartTime = c.rec, c.date, c.time
		got, ok, err := h.measDate()
		if err != nil || got != c.want || ok == c.want.IsZero() {
			t.Errorf("%q %q %q: %v %v %v, want %v", c.rec, c.date, c.time, got, ok, err, c.want)
		}
	}
}

// TestAnnotationOnly checks that a file with only an annotation signal
// (a hypnogram) opens with no channels and its annotations, unsorted
// input sorted and not cropped.
func TestAnnotationOnly(t *testing.T) {
	f := rawFile{records: 1, dur: "0", reserved: "EDF+C", sigs: []rawSignal{{label: "EDF Annotations", n: 40,
		tal: func(int) string {
			return "+0\x14\x14\x00+60\x1530\x14Sleep stage 2\x14\x00+0\x1560\x14Sleep stage W\x14\x00"
		}}}}
	r := open(t, f.bytes(), "hyp.edf")
	info := r.Info()
	want := []formats.Annotation{{Onset: 0, Duration: 60, Description: "Sleep stage W"}, {Onset: 60, Duration: 30, Description: "Sleep stage 2"}}
	if len(info.Channels) != 0 || info.NSamples != 0 || len(info.Annotations) != 2 {
		t.Fatalf("%d channels, %d samples, annotations %v", len(info.Channels), info.NSamples, info.Annotations)
	}
	for i, a := range info.Annotations {
		if a != want[i] {
			t.Errorf("annotation %d = %v, want %v", i, a, want[i])
		}
	}
	if err := r.ReadSamples(nil, 0, 0); err != nil {
		t.Error(err)
	}
}

// TestLargeRecordAnnotations covers reading only the annotation span of
// large records, with two annotation signals in MNE's order.
func TestLargeRecordAnnotations(t *testing.T) {
	var sigs []rawSignal
	for c := 0; c < 20; c++ {
		sigs = append(sigs, rawSignal{label: string(rune('A' + c)), dim: "uV", n: 2048})
	}
	sigs = append(sigs, rawSignal{label: "EDF Annotations", n: 20, tal: func(rec int) string {
		return "+" + string(rune('0'+rec)) + "\x14\x14\x00+" + string(rune('0'+rec)) + ".5\x14first\x14\x00"
	}})
	sigs = append(sigs, rawSignal{label: "EDF Annotations", n: 10, tal: func(rec int) string {
		return "+" + string(rune('0'+rec)) + ".25\x14second\x14\x00"
	}})
	b := rawFile{records: 3, reserved: "EDF+C", sigs: sigs}.bytes()
	r := open(t, b, "large.edf")
	want := []formats.Annotation{a(0.25, 0, "second"), a(0.5, 0, "first"), a(1.25, 0, "second"), a(1.5, 0, "first"), a(2.25, 0, "second"), a(2.5, 0, "first")}
	if got := r.Info().Annotations; !equalAnns(got, want) {
		t.Errorf("annotations %v, want %v", got, want)
	}
	if len(r.Info().Channels) != 20 {
		t.Errorf("%d channels, want 20", len(r.Info().Channels))
	}
	_, err := NewReader(bytes.NewReader(b[:len(b)-100]), int64(len(b)), "large.edf")
	var fe *formats.Error
	if !errors.As(err, &fe) || fe.Field != "data record 2 annotations" {
		t.Errorf("truncated last record: %v", err)
	}
}
