package ssvep_test

import (
	"bytes"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/simulate"
)

// ssvepSession is a simulated SSVEP session: 4 s trials at 8, 11, 13 and
// 15 Hz, 2 s apart, with background EEG, alpha, blinks and line noise
// (none with ssvep false).
func ssvepSession(t *testing.T, seed uint64, duration float64, ssvepOn bool) *simulate.Session {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration = seed, duration
	cfg.SSVEP.Enabled = ssvepOn
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var simTargets = map[string]float64{"ssvep/8Hz": 8, "ssvep/11Hz": 11, "ssvep/13Hz": 13, "ssvep/15Hz": 15}

func TestParseTargets(t *testing.T) {
	got, err := ssvep.ParseTargets(" ssvep/8Hz=8, ssvep/11Hz=11,,ssvep/13Hz=13,ssvep/15Hz= 15,a=b=9")
	want := maps.Clone(simTargets)
	want["a=b"] = 9
	if err != nil || !maps.Equal(got, want) {
		t.Fatalf("%v, %v; want %v", got, err, want)
	}
	for spec, msg := range map[string]string{
		"a=8,b":     `target "b": want CODE=FREQ`,
		"=8":        `target "=8": want CODE=FREQ`,
		"a=8,b=x":   `target "b=x": frequency must be a positive number`,
		"a=8,b=-1":  `target "b=-1": frequency must be a positive number`,
		"a=8,a=9.5": `target code "a" given twice`,
	} {
		if _, err := ssvep.ParseTargets(spec); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: error %v, want %q", spec, err, msg)
		}
	}
}

// simCalibration cuts trials of 2 s from 0.1 s after each target onset of
// a simulated session's channels notched at 50 Hz, as pipeline/train does
// from recordings (which tests it against the stage), and adds rest trials
// at the same times from a session without SSVEP when rest is set.
func simCalibration(t *testing.T, channels []string, rest bool) *ssvep.Calibration {
	t.Helper()
	restCodes := []string(nil)
	if rest {
		restCodes = []string{"rest"}
	}
	cal, labels, err := ssvep.NewCalibration(simTargets, restCodes, 2)
	if err != nil {
		t.Fatal(err)
	}
	read := func(s *simulate.Session) ([][]float64, *formats.Info) {
		info := s.Info()
		all, err := formats.ReadAll(s)
		if err != nil {
			t.Fatal(err)
		}
		var x [][]float64
		for _, l := range channels {
			x = append(x, all[slices.Index(info.Labels(), l)])
		}
		sos, err := dsp.Notch(50, 30, info.SampleRate)
		if err != nil {
			t.Fatal(err)
		}
		f, err := dsp.NewSOSFilter(sos, len(x), dsp.InitZero)
		if err != nil {
			t.Fatal(err)
		}
		f.FilterChannels(x, x)
		return x, info
	}
	x, info := read(ssvepSession(t, 1, 146, true))
	cal.SampleRate, cal.Channels, cal.Recordings = info.SampleRate, channels, 1
	cal.Trials, cal.Labels, _ = ssvep.EventTrials(x, info.SampleRate, info.Annotations, labels, 0.1, 2)
	if rest {
		y, _ := read(ssvepSession(t, 2, 146, false))
		var onsets []formats.Annotation
		for _, a := range info.Annotations {
			if _, ok := simTargets[a.Description]; ok {
				onsets = append(onsets, formats.Annotation{Onset: a.Onset, Description: "rest"})
			}
		}
		trials, restLabels, _ := ssvep.EventTrials(y, info.SampleRate, onsets[:8], labels, 0.1, 2)
		cal.Trials, cal.Labels = append(cal.Trials, trials...), append(cal.Labels, restLabels...)
	}
	return cal
}

// TestNewCalibration: codes sharing a frequency share a label, labels
// index the ascending frequencies, and bad targets are refused.
func TestNewCalibration(t *testing.T) {
	targets := maps.Clone(simTargets)
	targets["ssvep/15Hz"] = 13 // two codes, one target
	cal, labels, err := ssvep.NewCalibration(targets, []string{"rest"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"ssvep/8Hz": 0, "ssvep/11Hz": 1, "ssvep/13Hz": 2, "ssvep/15Hz": 2, "rest": ssvep.Rest}
	if !slices.Equal(cal.Freqs, []float64{8, 11, 13}) || !maps.Equal(labels, want) {
		t.Errorf("freqs %v, labels %v", cal.Freqs, labels)
	}
	for _, c := range []struct {
		targets map[string]float64
		rest    []string
		length  float64
		want    string
	}{
		{simTargets, nil, 0, "trial length 0 s"},
		{map[string]float64{"a": 8, "b": 8}, nil, 1, "at least two target frequencies"},
		{simTargets, []string{"ssvep/8Hz"}, 1, `rest code "ssvep/8Hz" is also a target code`},
	} {
		if _, _, err := ssvep.NewCalibration(c.targets, c.rest, c.length); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v %v: error %v, want %q", c.targets, c.rest, c.length, err, c.want)
		}
	}
}

// TestTrainCalibrationTRCA trains eTRCA on a simulated calibration
// session and decodes another session's trials (other noise, blinks and
// trial order, no notch) read straight from the simulator.
func TestTrainCalibrationTRCA(t *testing.T) {
	channels := []string{"O1", "O2", "P3", "Pz", "P4", "T5", "T6"}
	var log strings.Builder
	model, err := ssvep.TrainCalibration(simCalibration(t, channels, false), ssvep.TrainCalibrationConfig{
		Method: "etrca", NoControl: ssvep.NoControlMargin, Log: &log}) // no rest trials: no rule
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", log.String())
	if !regexp.MustCompile(`(?m)^leave-one-trial-out accuracy \(etrca, targets only\): 2[0-4]/24 = [0-9.]+% \(chance 25.0%\)$`).MatchString(log.String()) {
		t.Errorf("log lacks a leave-one-trial-out accuracy of at least 20/24:\n%s", log.String())
	}
	m := model.(*ssvep.TRCA)
	cfg := m.Config()
	if !cfg.Ensemble || cfg.SampleRate != 256 || strings.Join(cfg.Channels, ",") != strings.Join(channels, ",") || len(cfg.Freqs) != 4 || m.NoControl().Rule != ssvep.NoControlNone {
		t.Fatalf("model config %+v, no-control %+v", cfg, m.NoControl())
	}

	test := ssvepSession(t, 2, 146, true)
	info := test.Info()
	all, err := formats.ReadAll(test)
	if err != nil {
		t.Fatal(err)
	}
	var data [][]float64
	for _, name := range cfg.Channels {
		data = append(data, all[slices.Index(info.Labels(), name)])
	}
	codes := map[string]int{"ssvep/8Hz": 0, "ssvep/11Hz": 1, "ssvep/13Hz": 2, "ssvep/15Hz": 3}
	trials, labels, _ := ssvep.EventTrials(data, info.SampleRate, info.Annotations, codes, 0.1, 2)
	if len(trials) != 24 {
		t.Fatalf("%d held-out trials, want 24", len(trials))
	}
	correct := 0
	for i, x := range trials {
		s, err := m.Scores(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		if ssvep.Argmax(s) == labels[i] {
			correct++
		}
	}
	t.Logf("held-out accuracy %d/%d", correct, len(trials))
	if correct < 18 { // measured 24/24 (seeds 1 and 2); chance is 6
		t.Errorf("held-out accuracy %d/24, want ≥ 18", correct)
	}
}

// TestTrainCalibrationCanonical calibrates FBCCA and CCA with rest trials:
// the margin rule's threshold is chosen on their scores, the model file
// round-trips, and its decoder scores as the calibration did.
func TestTrainCalibrationCanonical(t *testing.T) {
	channels := []string{"O1", "O2", "Pz"}
	cal := simCalibration(t, channels, true)
	for _, method := range []string{"fbcca", "cca"} {
		var log strings.Builder
		model, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: method, NoControl: ssvep.NoControlMargin,
			SubBands: 3, Harmonics: 3, Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("\n%s", log.String())
		m := model.(*ssvep.TrainingFree)
		if !strings.Contains(log.String(), "rest: 8 trials") || !strings.Contains(log.String(), "accuracy on the calibration trials ("+method+", training-free, targets only): ") ||
			!strings.Contains(log.String(), "no-control rule margin, threshold") {
			t.Errorf("%s: log:\n%s", method, log.String())
		}
		c := m.Config()
		if m.NoControl().Rule != ssvep.NoControlMargin || !(m.NoControl().Threshold > 0) || c.Harmonics != 3 ||
			c.Samples != 512 || !slices.Equal(m.ChannelNames(), channels) || (method == "fbcca") != (c.FilterBank.SubBands == 3) {
			t.Errorf("%s: model %+v", method, c)
		}
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatal(err)
		}
		saved := buf.String()
		if !strings.Contains(saved, `"rest_trials":8`) {
			t.Errorf("%s: model file lacks the rest trial count:\n%s", method, saved)
		}
		back, err := ssvep.LoadDecoder(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range cal.Trials {
			s1, _ := m.Scores(nil, x)
			s2, _ := back.Scores(nil, x)
			d1, _ := m.Decide(x)
			d2, _ := back.Decide(x)
			if !slices.Equal(s1, s2) || d1 != d2 {
				t.Errorf("%s: trial %d: reloaded model scores %v, decides %d; saved %v, %d", method, i, s2, d2, s1, d1)
			}
		}
		if b := back.(*ssvep.TrainingFree); b.NoControl() != m.NoControl() || !slices.Equal(b.ChannelNames(), channels) {
			t.Errorf("%s: reloaded no-control %+v, channels %v", method, b.NoControl(), b.ChannelNames())
		}
	}
	if _, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: "fbcca"}); err == nil || !strings.Contains(err.Error(), `no-control rule "": want auto, top, margin or detector`) {
		t.Errorf("rest trials without a rule: %v", err)
	}
	if _, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: "svm", NoControl: ssvep.NoControlTop}); err == nil || !strings.Contains(err.Error(), `method "svm"`) {
		t.Errorf("unknown method: %v", err)
	}
	for _, c := range []struct{ extra, want string }{
		{`"channel_names": ["a"]`, "1 channel names for 2 channels"},
		{`"trials_per_target": [1]`, "1 trial counts for 2 targets"},
		{`"no_control": {"rule": "peak", "threshold": 1}`, `no-control rule "peak"`},
	} {
		file := `{"format": "neurostream-ssvep-trainingfree", "version": 1, "method": "fbcca", "config": {"freqs": [8, 9], "sample_rate": 256, "samples": 512, "channels": 2}, ` + c.extra + `}`
		if _, err := ssvep.LoadTrainingFree(strings.NewReader(file)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bad file %s: %v, want %q", c.extra, err, c.want)
		}
	}
}

// TestFoldsEveryClass: a one-recording calibration that opens with a
// block of one class (the exoskeleton protocol: 8 rest trials, then the
// targets mixed) gets folds that each hold every class, and each fold
// is a contiguous run of each class's trials in event order; with two
// recordings the folds are the recordings.
func TestFoldsEveryClass(t *testing.T) {
	cal := &ssvep.Calibration{Freqs: []float64{13, 17, 21}}
	order := "11111111342324234342423423243432"
	for _, r := range order {
		l := int(r-'1') - 1 // '1' is rest, '2'..'4' the targets 0..2
		if r == '1' {
			l = ssvep.Rest
		}
		cal.Trials = append(cal.Trials, [][]float64{{0}})
		cal.Labels = append(cal.Labels, l)
	}
	folds := cal.Folds()
	perFold := make(map[int]map[int]int)
	last := make(map[int]int)
	for i, f := range folds {
		l := cal.Labels[i]
		if perFold[f] == nil {
			perFold[f] = make(map[int]int)
		}
		perFold[f][l]++
		if f < last[l] {
			t.Fatalf("trial %d (label %d) in fold %d after one in fold %d: a class's folds must follow event order", i, l, f, last[l])
		}
		last[l] = f
	}
	if len(perFold) != 4 {
		t.Fatalf("%d folds, want 4: %v", len(perFold), folds)
	}
	for f, n := range perFold {
		for _, l := range []int{ssvep.Rest, 0, 1, 2} {
			if n[l] != 2 {
				t.Errorf("fold %d holds %d trials of label %d, want 2 (folds %v)", f, n[l], l, folds)
			}
		}
	}
	cal.Sessions = make([]int, len(order))
	for i := range cal.Sessions {
		cal.Sessions[i] = 1 - i%2
	}
	for i, f := range cal.Folds() {
		if want := 1 - i%2; f != want {
			t.Fatalf("two recordings: trial %d in fold %d, want %d (its recording)", i, f, want)
		}
	}
}

// TestTrainCalibrationPhaseLockNote: on trials whose response has a
// random phase per trial, etrca's leave-one-trial-out accuracy stays near
// chance while training-free fbcca decides them, and training says so;
// on phase-locked trials it does not.
func TestTrainCalibrationPhaseLockNote(t *testing.T) {
	cal, err := latencyCalibration(t, 0, 2, 0.3, false).AtOffset(0)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	if _, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: ssvep.MethodETRCA, Log: &log}); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", log.String())
	if !regexp.MustCompile(`(?m)^note: training-free fbcca decides these target trials better: \d+/64 = [0-9.]+% against etrca's [0-9.]+%; TRCA needs stimulation phase-locked`).MatchString(log.String()) {
		t.Errorf("random phases: no note on phase locking in the log")
	}
	log.Reset()
	if _, err := ssvep.TrainCalibration(simCalibration(t, []string{"O1", "O2", "P3", "Pz", "P4", "T5", "T6"}, false),
		ssvep.TrainCalibrationConfig{Method: ssvep.MethodETRCA, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "note:") {
		t.Errorf("phase-locked trials: %s", log.String())
	}
}
