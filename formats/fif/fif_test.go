package fif

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestGolden streams every raw FIF recording through ReadSamples and
// compares it with mne.io.read_raw_fif(preload=True, allow_maxshield=True).
func TestGolden(t *testing.T) {
	formatstest.EachGolden(t, []string{"mne.io.read_raw_fif"}, 1, func(t *testing.T, _ formatstest.Entry, path string, g *formatstest.Golden) {
		if g.Error != "" {
			if _, err := Open(path); err == nil {
				t.Fatalf("MNE refuses the file (%s) but Open succeeded", g.Error)
			}
			return
		}
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		checkMeta(t, r, g)
		formatstest.Check(t, r, g, formatstest.Options{})
	})
}

// TestGoldenNewReader reads each recording from memory in odd-sized chunks
// that start and end inside data buffers.
func TestGoldenNewReader(t *testing.T) {
	formatstest.EachGolden(t, []string{"mne.io.read_raw_fif"}, 1, func(t *testing.T, e formatstest.Entry, path string, g *formatstest.Golden) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), e.Source)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, r, g)
		formatstest.Check(t, r, g, formatstest.Options{ChunkLen: 997})
	})
}

func checkMeta(t *testing.T, r *Reader, g *formatstest.Golden) {
	t.Helper()
	if r.FirstSample() != g.FirstSamp {
		t.Errorf("FirstSample %d, MNE first_samp %d", r.FirstSample(), g.FirstSamp)
	}
	if g.MeasDate == nil {
		if !r.MeasDate().IsZero() {
			t.Errorf("MeasDate %v, MNE None", r.MeasDate())
		}
		return
	}
	want, err := time.Parse(time.RFC3339Nano, *g.MeasDate)
	if err != nil {
		t.Fatal(err)
	}
	if !r.MeasDate().Equal(want) {
		t.Errorf("MeasDate %v, MNE %v", r.MeasDate(), want)
	}
	start := want.Add(time.Duration(math.Round(float64(g.FirstSamp) / g.SFreq * 1e9)))
	if !r.Info().StartTime.Equal(start) {
		t.Errorf("StartTime %v, want meas_date + first_samp/sfreq = %v", r.Info().StartTime, start)
	}
}

// TestGoldenEvents compares ReadEvents with mne.read_events, and
// EventsToAnnotations with the onsets those events have on their raw file.
func TestGoldenEvents(t *testing.T) {
	formatstest.EachGolden(t, []string{"mne.read_events"}, 1, func(t *testing.T, e formatstest.Entry, path string, g *formatstest.Golden) {
		ev, err := ReadEvents(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(ev) != len(g.Events) {
			t.Fatalf("%d events, MNE %d", len(ev), len(g.Events))
		}
		for i, w := range g.Events {
			if got := [3]int64{ev[i].Sample, ev[i].Prev, ev[i].Code}; got != w {
				t.Errorf("event %d = %v, MNE %v", i, got, w)
			}
		}
		rawPath := filepath.Join(formatstest.DataDir(t), strings.Replace(e.Source, "-eve.fif", "_raw.fif", 1))
		r, err := Open(rawPath)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.FirstSample() != g.FirstSamp {
			t.Errorf("raw FirstSample %d, golden first_samp %d", r.FirstSample(), g.FirstSamp)
		}
		sfreq := r.Info().SampleRate
		ann := EventsToAnnotations(ev, r.FirstSample(), sfreq)
		for i, a := range ann {
			w := g.Events[i]
			on := float64(w[0]-g.FirstSamp) / sfreq
			if math.Abs(a.Onset-on) > 1e-9 || a.Duration != 0 || a.Description != itoa(w[2]) {
				t.Errorf("annotation %d = %+v, want onset %v code %d", i, a, on, w[2])
			}
			if a.Onset < 0 || a.Onset > r.Info().Duration() {
				t.Errorf("annotation %d onset %v outside the %v s recording", i, a.Onset, r.Info().Duration())
			}
		}
	})
}

func itoa(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	var b []byte
	for {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
		if v == 0 {
			break
		}
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// TestChannels checks the metadata MNE's golden files do not carry:
// sensor positions and the MEG units of the Vectorview recording.
func TestChannels(t *testing.T) {
	dir := formatstest.DataDir(t)
	r, err := Open(filepath.Join(dir, "format-samples/meg/141027_cropped_90Hz_raw.fif"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mag, grad int
	for _, c := range r.Info().Channels {
		switch c.Type {
		case formats.MEGMag:
			mag++
			if c.Unit != "T" {
				t.Errorf("%s: unit %q, want T", c.Label, c.Unit)
			}
		case formats.MEGGrad:
			grad++
			if c.Unit != "T/m" {
				t.Errorf("%s: unit %q, want T/m", c.Label, c.Unit)
			}
		}
		if c.Pos == nil {
			t.Errorf("%s: no position", c.Label)
			continue
		}
		// Vectorview sensors sit on a helmet about 0.1 m from the
		// device origin.
		if d := math.Hypot(math.Hypot(c.Pos[0], c.Pos[1]), c.Pos[2]); d < 0.05 || d > 0.2 {
			t.Errorf("%s: position %v is %v m from the origin", c.Label, *c.Pos, d)
		}
	}
	if mag != 102 || grad != 204 {
		t.Errorf("%d magnetometers and %d gradiometers, want 102 and 204", mag, grad)
	}
	if r.MaxShield() {
		t.Error("MaxShield set for a raw data block")
	}
}

// TestSynthetic reads recordings from the test writer and checks every
// value against the stored numbers times range*cal.
func TestSynthetic(t *testing.T) {
	chs := eegChannels(3)
	chs[1].rng, chs[1].cal = 2, 0.5e-6
	chs = append(chs, synthCh{name: "STI 014", kind: chStim, unit: unitV, rng: 1, cal: 1})
	chs = append(chs, synthCh{name: "MEG 0113", kind: chMEG, coil: 3012, unit: unitTm, rng: 1, cal: 1e-13,
		loc: [12]float32{0.1, -0.02, 0.05}})
	chs = append(chs, synthCh{name: "MEG 0111", kind: chMEG, coil: 3024, unit: unitT, rng: 1, cal: 1e-15})
	nc := len(chs)
	cases := []struct {
		name string
		s    synth
		// want: (values per sample as ramp base, or NaN for a skip) in order
		segs []seg
		ann  []formats.Annotation
		fs   int64
	}{
		{
			name: "float buffers, directory",
			s: synth{sfreq: 100, chs: chs, dir: true, parts: []synthBuf{
				{typ: typeFloat, data: ramp(10, nc, 0)}, {typ: typeFloat, data: ramp(10, nc, 1000)}}},
			segs: []seg{{10, 0}, {10, 1000}},
		},
		{
			name: "mixed types and sizes, first sample",
			s: synth{sfreq: 250, chs: chs, firstSample: 37, measDate: []int32{1500000000, 250000}, parts: []synthBuf{
				{typ: typeShort, data: ramp(7, nc, -300)},
				{typ: typeInt, data: ramp(13, nc, 70000)},
				{typ: typeDouble, data: ramp(1, nc, 0.25)},
				{typ: typeDAUPack16, data: ramp(5, nc, 5)},
				{typ: typeFloat, data: ramp(20, nc, -2)}}},
			segs: []seg{{7, -300}, {13, 70000}, {1, 0.25}, {5, 5}, {20, -2}},
			fs:   37,
		},
		{
			name: "skips",
			s: synth{sfreq: 100, chs: chs, firstSample: 100, initialSkip: 2, measDate: []int32{1500000000, 0},
				parts: []synthBuf{
					{typ: typeFloat, data: ramp(10, nc, 0)},
					{skip: 3},
					{typ: typeFloat, data: ramp(10, nc, 500)},
					{typ: typeFloat, data: ramp(10, nc, 900)}}},
			// The initial skip of 2 buffers only moves the first sample;
			// the skip of 3 ten-sample buffers reads as 30 zeros.
			segs: []seg{{10, 0}, {30, math.NaN()}, {10, 500}, {10, 900}},
			ann:  []formats.Annotation{{Onset: 0.1, Duration: 0.3, Description: "BAD_ACQ_SKIP"}},
			fs:   120,
		},
		{
			name: "maxshield",
			s: synth{sfreq: 1000, chs: chs, block: blockIASRawData, parts: []synthBuf{
				{typ: typeFloat, data: ramp(4, nc, 1)}}},
			segs: []seg{{4, 1}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.s.bytes()
			r, err := NewReader(bytes.NewReader(b), int64(len(b)), "synth_raw.fif")
			if err != nil {
				t.Fatal(err)
			}
			info := r.Info()
			want := expand(tc.segs, tc.s.chs)
			if info.NSamples != int64(len(want[0])) {
				t.Fatalf("NSamples %d, want %d", info.NSamples, len(want[0]))
			}
			if r.FirstSample() != tc.fs {
				t.Errorf("FirstSample %d, want %d", r.FirstSample(), tc.fs)
			}
			if r.MaxShield() != (tc.s.block == blockIASRawData) {
				t.Errorf("MaxShield %v", r.MaxShield())
			}
			wantTypes := []formats.ChannelType{formats.EEG, formats.EEG, formats.EEG, formats.Stim, formats.MEGGrad, formats.MEGMag}
			wantUnits := []string{"V", "V", "V", "V", "T/m", "T"}
			for c, ch := range info.Channels {
				if ch.Label != tc.s.chs[c].name || ch.Type != wantTypes[c] || ch.Unit != wantUnits[c] || ch.SampleRate != float64(tc.s.sfreq) {
					t.Errorf("channel %d = %+v", c, ch)
				}
			}
			if p := info.Channels[0].Pos; p == nil || math.Abs(p[0]-0.01) > 1e-7 {
				t.Errorf("channel 0 position %v, want (0.01, 0.02, 0.03)", p)
			}
			if info.Channels[3].Pos != nil {
				t.Errorf("stim channel position %v, want nil (all zero)", *info.Channels[3].Pos)
			}
			if len(info.Annotations) != len(tc.ann) {
				t.Fatalf("annotations %+v, want %+v", info.Annotations, tc.ann)
			}
			for i, a := range tc.ann {
				g := info.Annotations[i]
				if math.Abs(g.Onset-a.Onset) > 1e-12 || math.Abs(g.Duration-a.Duration) > 1e-12 || g.Description != a.Description {
					t.Errorf("annotation %d = %+v, want %+v", i, g, a)
				}
			}
			// Every span, including ones inside, across and at the edges of
			// buffers and skips.
			n := info.NSamples
			for start := int64(0); start <= n; start++ {
				for stop := start; stop <= n; stop++ {
					dst := make([][]float64, nc)
					for c := range dst {
						dst[c] = make([]float64, stop-start)
						for i := range dst[c] {
							dst[c][i] = math.NaN() // must be overwritten
						}
					}
					if err := r.ReadSamples(dst, start, stop); err != nil {
						t.Fatalf("ReadSamples(%d, %d): %v", start, stop, err)
					}
					for c := range dst {
						for i, v := range dst[c] {
							if w := want[c][start+int64(i)]; v != w {
								t.Fatalf("ReadSamples(%d, %d) channel %d sample %d = %v, want %v", start, stop, c, start+int64(i), v, w)
							}
						}
					}
				}
			}
		})
	}
}

// seg is n samples of ramp(n, nchan, base) values, or n zeros (a skip)
// when base is NaN.
type seg struct {
	n    int
	base float64
}

// expand is the expected ReadSamples output for segs: stored values times
// range*cal, computed the way MNE does in float64.
func expand(segs []seg, chs []synthCh) [][]float64 {
	out := make([][]float64, len(chs))
	for _, s := range segs {
		var d [][]float64
		if !math.IsNaN(s.base) {
			d = ramp(s.n, len(chs), s.base)
		}
		for i := 0; i < s.n; i++ {
			for c, ch := range chs {
				v := 0.0
				if d != nil {
					v = d[i][c] * (float64(ch.rng) * float64(ch.cal))
				}
				out[c] = append(out[c], v)
			}
		}
	}
	return out
}

// TestExtendedNames checks long channel names from FIFFB_CH_INFO blocks
// and MNE's renaming of duplicate names.
func TestExtendedNames(t *testing.T) {
	chs := eegChannels(3)
	chs[2].name = chs[0].name
	s := synth{sfreq: 10, chs: chs, parts: []synthBuf{{typ: typeFloat, data: ramp(2, 3, 0)}}}
	b := s.bytes()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "dup_raw.fif")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Info().Labels(), ","); got != "EEGA-0,EEGB,EEGA-1" {
		t.Errorf("labels %s, want EEGA-0,EEGB,EEGA-1", got)
	}
	s.extended = []string{"a rather long channel name 1", "EEGB", "x:y"}
	b = s.bytes()
	if r, err = NewReader(bytes.NewReader(b), int64(len(b)), "long_raw.fif"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Info().Labels(), "|"); got != "a rather long channel name 1|EEGB|x:y" {
		t.Errorf("labels %s", got)
	}
}

// TestAnnotations checks the FIFFB_MNE_ANNOTATIONS conversions against
// the values MNE gives for the same blocks (see TestMNE for the check
// against MNE itself).
func TestAnnotations(t *testing.T) {
	base := synth{sfreq: 100, chs: eegChannels(1), firstSample: 250,
		parts: []synthBuf{{typ: typeFloat, data: ramp(1000, 1, 0)}}}
	cases := []struct {
		name string
		date []int32
		a    synthAnnot
		want []formats.Annotation
		warn string // "": none
	}{
		{
			// No measurement date: onsets are stored from acquisition
			// sample 0; the last one is cropped to the recording's end.
			name: "no date",
			date: []int32{0, math.MaxInt32}, // FIF's "none"; else the measurement id's time counts
			a:    synthAnnot{onset: []float32{3.5, 5, 12}, end: []float32{4, 5, 14}, desc: "x:y{COLON}z:w"},
			want: []formats.Annotation{{Onset: 1, Duration: 0.5, Description: "x"}, {Onset: 2.5, Description: "y:z"},
				{Onset: 9.5, Duration: 0.5, Description: "w"}},
		},
		{
			// The annotations' time base is 1 s before the measurement;
			// one starts before the first sample and is clipped.
			name: "date and time base",
			date: []int32{1600000000, 250000},
			a: synthAnnot{onset: []float32{4.5, 2, 30}, end: []float32{5, 5, 31}, desc: "a:b:gone",
				orig: []float64{1599999999, 250000}},
			want: []formats.Annotation{{Onset: 0, Duration: 1.5, Description: "b"}, {Onset: 1, Duration: 0.5, Description: "a"}},
			warn: "annot_raw.fif: annotations: 1 of the 3 stored lie outside the data (10 s) and are dropped, as MNE does",
		},
		{
			name: "date, no time base",
			date: []int32{1600000000, 0},
			a:    synthAnnot{onset: []float32{0.25}, end: []float32{0.25}, desc: "BAD_x"},
			want: []formats.Annotation{{Onset: 0.25, Description: "BAD_x"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.measDate = tc.date
			s.annot = &tc.a
			b := s.bytes()
			r, err := NewReader(bytes.NewReader(b), int64(len(b)), "annot_raw.fif")
			if err != nil {
				t.Fatal(err)
			}
			if w := r.Info().Warnings; (tc.warn == "" && len(w) > 0) || (tc.warn != "" && (len(w) != 1 || w[0] != tc.warn)) {
				t.Errorf("warnings %q, want %q", w, tc.warn)
			}
			got := r.Info().Annotations
			if len(got) != len(tc.want) {
				t.Fatalf("annotations %+v, want %+v", got, tc.want)
			}
			for i, w := range tc.want {
				if math.Abs(got[i].Onset-w.Onset) > 1e-9 || math.Abs(got[i].Duration-w.Duration) > 1e-9 || got[i].Description != w.Description {
					t.Errorf("annotation %d = %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
}

func TestEventsToAnnotations(t *testing.T) {
	ev := []Event{{Sample: 1000, Code: 5}, {Sample: 1250, Prev: 5, Code: -1}}
	got := EventsToAnnotations(ev, 1000, 500)
	want := []formats.Annotation{{Onset: 0, Description: "5"}, {Onset: 0.5, Description: "-1"}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("annotation %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestReadEventsSynthetic reads an event file from the test writer.
func TestReadEventsSynthetic(t *testing.T) {
	b := eventFile(10, 0, 1, 20, 1, 0, 35, 0, 7)
	ev, err := ReadEventsFrom(bytes.NewReader(b), int64(len(b)), "x-eve.fif")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{10, 0, 1}, {20, 1, 0}, {35, 0, 7}}
	if len(ev) != len(want) {
		t.Fatalf("events %v, want %v", ev, want)
	}
	for i := range want {
		if ev[i] != want[i] {
			t.Errorf("event %d = %v, want %v", i, ev[i], want[i])
		}
	}
}

func eventFile(v ...int32) []byte {
	w := newFIFWriter()
	w.start(blockMNEEvents)
	w.i32(kindMNEEventList, v...)
	w.end(blockMNEEvents)
	return w.finish(false)
}

// TestOpenMissing checks that Open passes on the file system's error.
func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none_raw.fif"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want os.ErrNotExist", err)
	}
}
