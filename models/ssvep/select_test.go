package ssvep_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// latencyCalibration is two sessions of 1 s trials whose response lasts
// from `from` to `to` s after the onset, cut at the candidate offsets 0
// and 0.5 s: 8 trials of each of 4 targets and 8 of rest (noise) per
// session.
func latencyCalibration(t *testing.T, from, to, amp float64, rest bool) *ssvep.Calibration {
	t.Helper()
	const fs, channels = 256.0, 3
	var restCodes []string
	if rest {
		restCodes = []string{"rest"}
	}
	cal, _, err := ssvep.NewCalibration(map[string]float64{"a": 9, "b": 11, "c": 13, "d": 15}, restCodes, 1)
	if err != nil {
		t.Fatal(err)
	}
	cal.SampleRate, cal.Channels, cal.Offsets = fs, []string{"O1", "Oz", "O2"}, []float64{0, 0.5}
	r := rand.New(rand.NewPCG(7, 1))
	n := int(math.Round(1.55 * fs))
	for s := range 2 {
		for range 8 {
			for k := -1; k < 4; k++ {
				if k == ssvep.Rest && !rest {
					continue
				}
				phase := r.Float64() * 2 * math.Pi
				x := make([][]float64, channels)
				for c := range x {
					x[c] = make([]float64, n)
					for i := range x[c] {
						x[c][i] = r.NormFloat64()
						if tt := float64(i) / fs; k != ssvep.Rest && tt >= from && tt < to {
							x[c][i] += amp * math.Sin(2*math.Pi*cal.Freqs[k]*tt+phase+0.4*float64(c))
						}
					}
				}
				cal.Trials, cal.Labels, cal.Sessions = append(cal.Trials, x), append(cal.Labels, k), append(cal.Sessions, s)
			}
		}
	}
	cal.Recordings = 2
	return cal
}

// TestSelectTrainingFree: with responses that start 0.5 s after the
// onset, the cross-validated calibration chooses the 0.5 s offset and a
// rule for the rest trials, across the two sessions; the model file keeps
// the choice, and the reloaded model decides as the calibrated one.
// With responses that end 1 s after the onset it chooses offset 0 (the
// preferred 0.5 s would see half a response). Without rest trials the
// rule is none.
func TestSelectTrainingFree(t *testing.T) {
	cal := latencyCalibration(t, 0.5, 2, 0.3, true)
	for _, method := range []string{"fbcca", "cca"} {
		var log strings.Builder
		d, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: method, NoControl: ssvep.NoControlAuto, Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s:\n%s", method, log.String())
		tf, ok := d.(*ssvep.TrainingFree)
		if !ok {
			tf = d.(*ssvep.RestDetector).Base().(*ssvep.TrainingFree)
		}
		sel := tf.Selection()
		if sel == nil || sel.OffsetSeconds != 0.5 || sel.Rule == ssvep.NoControlNone || sel.Folds != 2 || sel.FoldKind != "one per recording" ||
			!(sel.Accuracy > 0.5) || (method == "fbcca") != (sel.FilterBank != "") {
			t.Errorf("%s: selection %+v", method, sel)
		}
		if o := d.(interface{ Offset() float64 }).Offset(); o != 0.5 {
			t.Errorf("%s: offset %g, want 0.5", method, o)
		}
		var buf bytes.Buffer
		if err := d.Save(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ssvep.LoadDecoder(&buf)
		if err != nil {
			t.Fatal(err)
		}
		test, err := cal.AtOffset(0.5)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range test.Trials {
			a, _ := d.Decide(x)
			b, _ := back.Decide(x)
			if a != b {
				t.Fatalf("%s: trial %d: reloaded model decides %d, calibrated %d", method, i, b, a)
			}
		}
		if o := back.(interface{ Offset() float64 }).Offset(); o != 0.5 {
			t.Errorf("%s: reloaded offset %g", method, o)
		}
	}
	early, err := ssvep.TrainCalibration(latencyCalibration(t, 0, 1, 0.3, true), ssvep.TrainCalibrationConfig{Method: "fbcca", NoControl: ssvep.NoControlAuto})
	if err != nil {
		t.Fatal(err)
	}
	if o := early.(interface{ Offset() float64 }).Offset(); o != 0 {
		t.Errorf("responses in [0, 1) s: offset %g chosen, want 0", o)
	}
	d, err := ssvep.TrainCalibration(latencyCalibration(t, 0.5, 2, 0.3, false), ssvep.TrainCalibrationConfig{Method: "fbcca", NoControl: ssvep.NoControlAuto})
	if err != nil {
		t.Fatal(err)
	}
	if sel := d.(*ssvep.TrainingFree).Selection(); sel.Rule != ssvep.NoControlNone || sel.OffsetSeconds != 0.5 || !slices.Contains([]int{2, 3, 4, 5}, sel.Harmonics) {
		t.Errorf("without rest: selection %+v", sel)
	}
	if _, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: "etrca", NoControl: ssvep.NoControlMargin}); err == nil || !strings.Contains(err.Error(), "candidate offsets") {
		t.Errorf("candidate offsets with etrca: %v", err)
	}
}
