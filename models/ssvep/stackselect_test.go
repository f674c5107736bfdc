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

// TestCalibrationWindows: Windows cuts every trial's windows of Length
// from the offset every step, as far as the span reaches, the first the
// decision window of AtOffset; WindowFolds puts every window in its
// trial's fold (contiguous blocks of each class's trials in one recording here), so
// that no trial has windows on both sides of a fold (a held-out trial's
// windows on the training side would leak it).
func TestCalibrationWindows(t *testing.T) {
	cal := latencyCalibration(t, 0.5, 2, 0.3, true) // trials of 1.55 s from offset 0, Length 1 s
	cal.Span = 1.5
	cal.Sessions = nil // one recording: 4 contiguous blocks
	w, trial, err := cal.Windows(0, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Trials) != 3*len(cal.Trials) || len(trial) != len(w.Trials) || len(w.Labels) != len(w.Trials) {
		t.Fatalf("%d windows, %d trial indices, %d labels of %d trials: want 3 windows a trial (0, 0.25, 0.5 s)", len(w.Trials), len(trial), len(w.Labels), len(cal.Trials))
	}
	at, err := cal.AtOffset(0)
	if err != nil {
		t.Fatal(err)
	}
	folds, wf := cal.Folds(), cal.WindowFolds(trial)
	for j, x := range w.Trials {
		i, k := trial[j], j%3
		if w.Labels[j] != cal.Labels[i] || wf[j] != folds[i] || len(x[0]) != 256 || x[1][0] != cal.Trials[i][1][k*64] {
			t.Fatalf("window %d (trial %d, start %d): label %d fold %d, %d samples; want %d, %d, 256 from sample %d", j, i, k*64, w.Labels[j], wf[j], len(x[0]), cal.Labels[i], folds[i], k*64)
		}
		if k == 0 && !slices.Equal(x[2], at.Trials[i][2]) {
			t.Fatalf("trial %d: first window is not the decision window", i)
		}
	}
	for f := range slices.Max(wf) + 1 { // no trial on both sides of a fold
		for j := range trial {
			for k := range trial {
				if trial[j] == trial[k] && (wf[j] == f) != (wf[k] == f) {
					t.Fatalf("trial %d has windows %d and %d on both sides of fold %d", trial[j], j, k, f)
				}
			}
		}
	}
	late, trial, err := cal.Windows(0.5, 0.25)
	if err != nil || len(late.Trials) != len(cal.Trials) || trial[5] != 5 {
		t.Errorf("from 0.5 s: %d windows of %d trials (%v): want the decision windows only", len(late.Trials), len(cal.Trials), err)
	}
}

// spanCalibration is sessions of trials whose response lasts the whole
// 4 s span: per session reps trials of each of 4 targets and of rest
// (noise), cut from the onset (offset 0) for 1 s decision windows.
func spanCalibration(t *testing.T, seed uint64, sessions, reps int, amp float64) *ssvep.Calibration {
	t.Helper()
	const fs, channels, span = 128.0, 4, 4.0
	cal, _, err := ssvep.NewCalibration(map[string]float64{"a": 9, "b": 11, "c": 13, "d": 15}, []string{"rest"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cal.SampleRate, cal.Channels, cal.Offsets, cal.Span = fs, []string{"O1", "Oz", "O2", "POz"}, []float64{0}, span
	r := rand.New(rand.NewPCG(seed, 3))
	n := int(span * fs)
	for s := range sessions {
		for range reps {
			for k := -1; k < 4; k++ {
				phase := r.Float64() * 2 * math.Pi
				x := make([][]float64, channels)
				for c := range x {
					x[c] = make([]float64, n)
					for i := range x[c] {
						x[c][i] = r.NormFloat64()
						if k != ssvep.Rest {
							x[c][i] += amp * math.Sin(2*math.Pi*cal.Freqs[k]*float64(i)/fs+phase+0.5*float64(c))
						}
					}
				}
				cal.Trials, cal.Labels, cal.Sessions = append(cal.Trials, x), append(cal.Labels, k), append(cal.Sessions, s)
			}
		}
	}
	cal.Recordings = sessions
	return cal
}

// TestSelectStackedAugmentation: on two calibration sessions of 3 trials
// per class whose response fills a 4 s span, the stacked fbcca+ts-lr
// trained on every 1 s window (every 0.5 s: 7 a trial) decides a third
// session's 1 s decision windows better than trained on the decision
// windows alone (measured 48/75 against 23/75, chance 15); its selection
// says so, and the model file keeps the offset and the selection.
func TestSelectStackedAugmentation(t *testing.T) {
	cal := spanCalibration(t, 11, 2, 3, 0.2)
	test, err := spanCalibration(t, 12, 1, 15, 0.2).AtOffset(0)
	if err != nil {
		t.Fatal(err)
	}
	correct := map[float64]int{}
	for _, step := range []float64{-1, 0.5} {
		var log strings.Builder
		cfg := ssvep.TrainCalibrationConfig{Method: ssvep.MethodStack, NoControl: ssvep.NoControlAuto, AugmentStep: step, Log: &log,
			Riemann: ssvep.RiemannConfig{BandWidth: 2, Harmonics: 1}}
		d, err := ssvep.TrainCalibration(cal, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("augment step %g:\n%s", step, log.String())
		sel := d.(*ssvep.Stacked).Selection()
		wantWindows := len(cal.Trials)
		if step > 0 {
			wantWindows *= 7
		}
		if sel == nil || sel.Windows != wantWindows || sel.Bands != "given" || sel.Folds != 2 || sel.OffsetSeconds != 0 {
			t.Errorf("step %g: selection %+v, want %d windows", step, sel, wantWindows)
		}
		for i, x := range test.Trials {
			if l, err := d.Decide(x); err != nil {
				t.Fatal(err)
			} else if l == test.Labels[i] {
				correct[step]++
			}
		}
	}
	t.Logf("held-out session, 75 trials: %d correct without augmentation, %d with", correct[-1], correct[0.5])
	if correct[0.5] < correct[-1]+8 {
		t.Errorf("with augmentation %d/75 correct, without %d: want ≥ 8 more", correct[0.5], correct[-1])
	}
}

// TestSelectStackedOffset: with responses from 0.5 s, the stack chooses
// the 0.5 s offset among 0 and 0.5 s, with the default bands; the model file
// keeps the choice (version 2) and the reloaded model decides as the
// trained one; a version-1 file of the same model (no selection) still
// loads, at offset 0.
func TestSelectStackedOffset(t *testing.T) {
	cal := latencyCalibration(t, 0.5, 2, 0.3, true)
	var log strings.Builder
	d, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: ssvep.MethodStack, NoControl: ssvep.NoControlAuto, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
	st := d.(*ssvep.Stacked)
	if sel := st.Selection(); sel == nil || sel.OffsetSeconds != 0.5 || st.Offset() != 0.5 || sel.Candidates != 2 || sel.Bands != ssvep.StackBands.Name {
		t.Errorf("selection %+v", sel)
	}
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		t.Fatal(err)
	}
	saved := buf.String()
	back, err := ssvep.LoadDecoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if o := back.(*ssvep.Stacked).Offset(); o != 0.5 || !strings.Contains(saved, `"version":2`) {
		t.Errorf("reloaded offset %g; file %.60s", o, saved)
	}
	test, err := cal.AtOffset(0.5)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range test.Trials {
		a, _ := d.Decide(x)
		b, _ := back.Decide(x)
		if a != b {
			t.Fatalf("trial %d: reloaded %d, trained %d", i, b, a)
		}
	}
	i := strings.LastIndex(saved, `,"selection":`)
	v1 := strings.Replace(saved[:i], `"version":2`, `"version":1`, 1) + "}"
	old, err := ssvep.LoadStacked(strings.NewReader(v1))
	if err != nil || old.Offset() != 0 || old.Selection() != nil {
		t.Errorf("version 1 file: %v", err)
	}
	if _, err := ssvep.LoadStacked(strings.NewReader(strings.Replace(saved, `"version":2`, `"version":1`, 1))); err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Errorf("version 1 file with a selection: %v", err)
	}
}

// TestNestedTrainingFree: on noise (one session, 8 trials of each of 4
// targets and rest, no response; 8 seeds), fbcca's selection, the best of
// its candidates on the calibration's own folds, claims more than chance
// on average, while the nested estimate that ChooseMethod compares, which
// scores each fold by a selection made without it, does not (measured:
// 0.247 against 0.200, chance 0.2; the standard error of either mean is
// about 0.022). With a strong response the nested estimate is 1 and auto
// keeps fbcca, the simpler, over the stack; with a single rest trial,
// which one fold's training trials lack, auto still calibrates.
func TestNestedTrainingFree(t *testing.T) {
	cfg := ssvep.TrainCalibrationConfig{Method: ssvep.MethodFBCCA, NoControl: ssvep.NoControlAuto}
	const seeds = 8
	var claimed, nested float64
	for seed := uint64(1); seed <= seeds; seed++ {
		noise := spanCalibration(t, seed, 1, 8, 0)
		d, err := ssvep.SelectTrainingFree(noise, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := d.(*ssvep.RestDetector); ok {
			d = r.Base()
		}
		n, err := ssvep.NestedTrainingFree(noise, cfg)
		if err != nil {
			t.Fatal(err)
		}
		claimed, nested = claimed+d.(*ssvep.TrainingFree).Selection().Accuracy/seeds, nested+n/seeds
	}
	t.Logf("noise, mean of %d seeds: selection's out-of-fold accuracy %.3f, nested %.3f (chance 0.2)", seeds, claimed, nested)
	if claimed < nested+0.03 || math.Abs(nested-0.2) > 0.03 {
		t.Errorf("noise: selection %.3f, nested %.3f: want the nested estimate within 0.03 of chance and ≥ 0.03 below the selection's", claimed, nested)
	}

	strong := spanCalibration(t, 6, 1, 8, 1)
	if n, err := ssvep.NestedTrainingFree(strong, cfg); err != nil || n != 1 {
		t.Errorf("strong response: nested %.3f (%v), want 1", n, err)
	}
	var log strings.Builder
	auto, err := ssvep.TrainCalibration(strong, ssvep.TrainCalibrationConfig{Method: ssvep.MethodAuto, NoControl: ssvep.NoControlAuto, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if auto.Method() != ssvep.MethodFBCCA || !strings.Contains(log.String(), "fbcca nested accuracy 1.000") {
		t.Errorf("auto chose %s, want fbcca:\n%s", auto.Method(), log.String())
	}

	var x [][][]float64
	var y, s []int
	for i, l := range strong.Labels {
		if l != ssvep.Rest || !slices.Contains(y, ssvep.Rest) {
			x, y, s = append(x, strong.Trials[i]), append(y, l), append(s, strong.Sessions[i])
		}
	}
	strong.Trials, strong.Labels, strong.Sessions = x, y, s // one rest trial
	if _, err := ssvep.TrainCalibration(strong, ssvep.TrainCalibrationConfig{Method: ssvep.MethodAuto, NoControl: ssvep.NoControlAuto}); err != nil {
		t.Errorf("one rest trial: %v", err)
	}
}
