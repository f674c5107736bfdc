package ssvep_test

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// tdcaSet returns perClass synthetic 1 s windows (256 Hz, 8 channels,
// phase-locked responses of amplitude amp) of each of the 3 exoskeleton
// targets and of rest (noise).
func tdcaSet(s *synth, perClass, n int) ([][][]float64, []int) {
	x, y := s.trials(perClass, n)
	for range perClass {
		x, y = append(x, s.rest(n)), append(y, ssvep.Rest)
	}
	return x, y
}

// TestTDCASeparates trains TDCA with rest as a class on 6 synthetic
// trials per class and decides 20 fresh windows per class: every target
// well above chance (0.25). Rest's own template (the mean of noise
// windows) matches a rest window no better than the targets' do (6/20
// measured): what SelectTDCA's threshold rules are for (TestSelectTDCA).
// The model file round-trips to bit-identical scores, and a damaged one
// is refused with the reason.
func TestTDCASeparates(t *testing.T) {
	const n = 256
	s := newSynth(exoFreqs, 0.5*math.Pi, 256, 8, 0.15, 31)
	tx, ty := tdcaSet(s, 6, n)
	m, err := ssvep.TrainTDCA(ssvep.TDCAConfig{SampleRate: 256, Freqs: exoFreqs, Delays: 2, Components: 2}, tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	saved := buf.String()
	back, err := ssvep.LoadDecoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	ex, ey := tdcaSet(s, 20, n)
	correct := map[int]int{}
	for i, x := range ex {
		s1, l1, err := ssvep.ScoreDecide(m, nil, x)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := back.Scores(nil, x)
		l2, _ := back.Decide(x)
		if !slices.Equal(s1, s2) || l1 != l2 {
			t.Fatalf("window %d: reloaded %v, %d; trained %v, %d", i, s2, l2, s1, l1)
		}
		if l1 == ey[i] {
			correct[ey[i]]++
		}
	}
	t.Logf("correct of 20 per class: %v", correct)
	for _, c := range []int{0, 1, 2} {
		if correct[c] < 16 {
			t.Errorf("class %d: %d/20 correct, want ≥ 16 (chance 5)", c, correct[c])
		}
	}
	if back.Method() != ssvep.MethodTDCA || !slices.Equal(back.(*ssvep.TDCA).Classes(), []int{ssvep.Rest, 0, 1, 2}) {
		t.Errorf("reloaded %s with classes %v", back.Method(), back.(*ssvep.TDCA).Classes())
	}
	bad := strings.Replace(saved, `"classes":[-1,0,1,2]`, `"classes":[-1,0,1]`, 1)
	if _, err := ssvep.LoadTDCA(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "lack target 2") {
		t.Errorf("classes without a target: %v", err)
	}
}

// TestTDCATargetsOnly: without rest trials TDCA never decides rest and
// its decision is the top target score; 2 trials per target suffice, 1
// does not.
func TestTDCATargetsOnly(t *testing.T) {
	const n = 256
	s := newSynth(exoFreqs, 0.5*math.Pi, 256, 4, 0.3, 32)
	tx, ty := s.trials(3, n)
	m, err := ssvep.TrainTDCA(ssvep.TDCAConfig{SampleRate: 256, Freqs: exoFreqs}, tx, ty)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Config(); c.Components != 4 || c.Delays != 0 || c.Harmonics != 5 {
		t.Errorf("defaults: %d components, %d delays, %d harmonics; want 4 (all of 4 channels), 0, 5", c.Components, c.Delays, c.Harmonics)
	}
	correct := 0
	for k := range exoFreqs {
		for range 10 {
			x := s.window(k, n, 0)
			sc, l, err := ssvep.ScoreDecide(m, nil, x)
			if err != nil {
				t.Fatal(err)
			}
			if l != ssvep.Argmax(sc) {
				t.Fatalf("decision %d, top score %d", l, ssvep.Argmax(sc))
			}
			if l == k {
				correct++
			}
		}
	}
	if correct < 27 {
		t.Errorf("%d/30 correct, want ≥ 27", correct)
	}
	if _, err := ssvep.TrainTDCA(ssvep.TDCAConfig{SampleRate: 256, Freqs: exoFreqs}, tx[:3], ty[:3]); err == nil || !strings.Contains(err.Error(), "want ≥ 2") {
		t.Errorf("one trial per target: %v", err)
	}
}

// TestSelectTDCA: on two sessions of 2 s phase-locked trials (3 targets
// and rest), SelectTDCA trains on the 1 s windows every 0.5 s (3 a
// trial), records its choice, chooses a threshold rule for rest (rest's
// template matches noise poorly), decides a third session well above
// chance, and the reloaded model keeps the selection and decides the
// same.
func TestSelectTDCA(t *testing.T) {
	const fs = 256.0
	s := newSynth(exoFreqs, 0.5*math.Pi, fs, 6, 0.2, 33)
	cal, _, err := ssvep.NewCalibration(map[string]float64{"a": exoFreqs[0], "b": exoFreqs[1], "c": exoFreqs[2]}, []string{"rest"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cal.SampleRate, cal.Offsets, cal.Span = fs, []float64{0}, 2
	for sess := range 2 {
		x, y := tdcaSet(s, 4, int(2*fs))
		for i := range x {
			cal.Trials, cal.Labels, cal.Sessions = append(cal.Trials, x[i]), append(cal.Labels, y[i]), append(cal.Sessions, sess)
		}
	}
	cal.Recordings = 2
	var log strings.Builder
	d, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: ssvep.MethodTDCA, NoControl: ssvep.NoControlAuto, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
	m := d.(*ssvep.TDCA)
	sel := m.Selection()
	if sel == nil || sel.Windows != 3*len(cal.Trials) || sel.Folds != 2 || sel.Candidates != 33 || sel.AugmentStep != 0.5 ||
		sel.Delays != m.Config().Delays || sel.Components != m.Config().Components {
		t.Fatalf("selection %+v (config %+v)", sel, m.Config())
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ssvep.LoadDecoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.(*ssvep.TDCA).Selection(); got == nil || *got != *sel {
		t.Errorf("reloaded selection %+v, want %+v", got, sel)
	}
	ex, ey := tdcaSet(s, 10, int(fs))
	correct := 0
	for i, x := range ex {
		a, _ := d.Decide(x)
		b, _ := back.Decide(x)
		if a != b {
			t.Fatalf("window %d: reloaded %d, trained %d", i, b, a)
		}
		if a == ey[i] {
			correct++
		}
	}
	t.Logf("held-out: %d/40 correct", correct)
	if correct < 32 || sel.Rule == ssvep.NoControlClass || m.NoControl().Rule != sel.Rule {
		t.Errorf("held-out %d/40 correct, want ≥ 32 (chance 10); rule %q, model's %q: want a threshold rule", correct, sel.Rule, m.NoControl().Rule)
	}
}

// TestStackTDCA: fbcca+ts-lr+tdca calibrates the stack with TDCA's
// out-of-fold scores as three more features; its model file holds the
// three parts and reloads to the same decisions; a file naming the
// two-part method with three parts is refused.
func TestStackTDCA(t *testing.T) {
	cal := latencyCalibration(t, 0.5, 2, 0.3, true)
	var log strings.Builder
	d, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: ssvep.MethodStackTDCA, NoControl: ssvep.NoControlAuto, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
	st := d.(*ssvep.Stacked)
	if st.Method() != ssvep.MethodStackTDCA || !strings.Contains(log.String(), "tdca part:") {
		t.Fatalf("method %s", st.Method())
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
	test, err := cal.AtOffset(st.Offset())
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range test.Trials {
		s1, a, _ := ssvep.ScoreDecide(d, nil, x)
		s2, _ := back.Scores(nil, x)
		b, _ := back.Decide(x)
		if a != b || !slices.Equal(s1, s2) {
			t.Fatalf("trial %d: reloaded %d %v, trained %d %v", i, b, s2, a, s1)
		}
	}
	bad := strings.Replace(saved, `"method":"fbcca+ts-lr+tdca"`, `"method":"fbcca+ts-lr"`, 1)
	if _, err := ssvep.LoadStacked(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "with 3 parts") {
		t.Errorf("two-part method with three parts: %v", err)
	}
}
