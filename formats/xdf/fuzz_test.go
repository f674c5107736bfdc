package xdf

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// FuzzRead: arbitrary bytes open as a recording or fail with a
// *formats.Error, never panic; what opens streams the same in any spans,
// and Read (every stream's values) agrees with it.
func FuzzRead(f *testing.F) {
	f.Add(sessionBytes())
	b := newBuilder()
	b.stream(1, "s", "Markers", 2, 0, String)
	b.strings(1, [][]string{{"a", "\xff"}, {"", "long"}}, []float64{1, 2})
	b.stream(2, "x", "EEG", 2, 10, Double64)
	b.numeric(2, Double64, [][]float64{{1, 2}, {3, 4}, {5, 6}}, []float64{1, math.NaN(), 1.3})
	b.offset(2, 1, 0.5)
	b.offset(2, 2, 0.5)
	b.offset(2, 1.5, 0.7)
	b.footer(2, 2)
	f.Add(b.Bytes())
	for _, n := range []string{"minimal.xdf", "clock_resets.xdf", "empty_streams.xdf"} {
		if d, err := os.ReadFile(filepath.Join(formatstest.SeedDir(), "xdf-example-files", n)); err == nil {
			f.Add(d[:min(len(d), 16<<10)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.xdf", Options{})
		if err != nil {
			var fe *formats.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *formats.Error", err, err)
			}
			return
		}
		info := r.Info()
		if info.NSamples > int64(len(data)) || len(info.Channels) > len(data) {
			t.Fatalf("%d samples of %d channels from %d bytes", info.NSamples, len(info.Channels), len(data))
		}
		for _, a := range info.Annotations {
			if !(a.Onset >= 0) || math.Round(a.Onset*info.SampleRate) >= float64(info.NSamples) {
				t.Fatalf("annotation %+v outside the %d samples", a, info.NSamples)
			}
		}
		whole, err := formats.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		parts := readSpans(t, r, 7)
		for c := range whole {
			for i := range whole[c] {
				if math.Float64bits(whole[c][i]) != math.Float64bits(parts[c][i]) {
					t.Fatalf("channel %d sample %d: %v whole, %v in spans", c, i, whole[c][i], parts[c][i])
				}
			}
		}
		file, err := Read(bytes.NewReader(data), int64(len(data)), "fuzz.xdf", Sync{})
		if err != nil {
			t.Fatalf("Read fails where NewReader did not: %v", err)
		}
		s := file.Stream(r.Stream().ID)
		if s.Len() != int(info.NSamples) {
			t.Fatalf("Read has %d samples, NewReader %d", s.Len(), info.NSamples)
		}
		for c := range whole {
			for i := range whole[c] {
				if v := s.Float64(i, c) * r.scale[c]; math.Float64bits(v) != math.Float64bits(whole[c][i]) {
					t.Fatalf("channel %d sample %d: %v from Read, %v from ReadSamples", c, i, v, whole[c][i])
				}
			}
		}
	})
}
