package mneannot

import (
	"math"
	"strconv"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

func TestFromEvents(t *testing.T) {
	// 100 samples at 100 Hz: the recording spans [0, 1] s.
	got := FromEvents(
		[]float64{0.5, -0.5, 0.2, 0.9, 2, 0.2, 0.1234565},
		[]float64{0, 1, 0.3, 0.5, 1, 0.1, 0},
		[]string{"mid", "straddles start", "long", "straddles end", "after", "short", "rounded"},
		100, 100)
	want := []formats.Annotation{
		{Onset: 0, Duration: 0.5, Description: "straddles start"},
		{Onset: 0.123456, Duration: 0, Description: "rounded"},
		{Onset: 0.2, Duration: 0.1, Description: "short"},
		{Onset: 0.2, Duration: 0.3, Description: "long"},
		{Onset: 0.5, Duration: 0, Description: "mid"},
		{Onset: 0.9, Duration: 0.1, Description: "straddles end"},
	}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("annotation %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		on, off  int64
		d        float64
		start    int64
		duration float64
		ok       bool
	}{
		{10, 20, 0.1234567, 10, 0.1234567, true}, // inside: d kept unrounded
		{-5, 20, 9, 0, 20e-6, true},
		{90, 150, 9, 90, 10e-6, true},
		{100, 100, 0, 100, 0, true}, // at the end: kept
		{101, 120, 9, 0, 0, false},
		{-20, -1, 9, 0, 0, false},
	} {
		start, d, ok := Clip(c.on, c.off, 0, 100, c.d)
		if start != c.start || d != c.duration || ok != c.ok {
			t.Errorf("Clip(%d, %d) = %d, %v, %v; want %d, %v, %v", c.on, c.off, start, d, ok, c.start, c.duration, c.ok)
		}
	}
}

// timedeltaScript prints timedelta(seconds=x) and timedelta(days=x) in
// microseconds for each argument (days only below a million, where a
// GDF start date lies).
const timedeltaScript = `
import json, sys
from datetime import timedelta
us = timedelta(microseconds=1)
def days(x):
    return timedelta(days=x) // us if abs(x) < 1e6 else None
print(json.dumps([[timedelta(seconds=float(x)) // us, days(float(x))] for x in sys.argv[1:]]))
`

// TestAgainstPython checks the rounding on halves, on fractions that are
// not exact in binary, and on negative values, where the integer and
// fractional parts round apart.
func TestAgainstPython(t *testing.T) {
	xs := []float64{0, 1, -1, 0.5e-6, 1.5e-6, 2.5e-6, -0.5e-6, -1.5e-6, 0.1234565, 0.1234575, 9809.246257499999,
		1e9 + 0.0000005, -1e9 - 0.0000015, 1.9511719, 3.7, -3.7, 123456.7890125, 737850.5, 1e-7, 1 / 3.0}
	args := make([]string, len(xs))
	for i, x := range xs {
		args[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	var got [][2]*int64
	formatstest.PythonJSON(t, &got, timedeltaScript, args...)
	if len(got) != len(xs) {
		t.Fatalf("Python answered for %d of %d values", len(got), len(xs))
	}
	for i, x := range xs {
		if us := Micros(x); us != *got[i][0] {
			t.Errorf("Micros(%v) = %d, Python %d", x, us, *got[i][0])
		}
		if w := got[i][1]; w != nil {
			if us := TimedeltaMicros(x, 86400e6); us != *w {
				t.Errorf("TimedeltaMicros(%v, days) = %d, Python %d", x, us, *w)
			}
		}
	}
	if Micros(math.NaN()) != 0 || Micros(math.Inf(1)) != Micros(maxSeconds) {
		t.Error("NaN or Inf not clamped")
	}
}
