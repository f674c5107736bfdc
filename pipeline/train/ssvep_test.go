package train_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/pipeline/train"
)

var simTargets = map[string]float64{"ssvep/8Hz": 8, "ssvep/11Hz": 11, "ssvep/13Hz": 13, "ssvep/15Hz": 15}

func files(paths ...string) train.Input {
	return train.Input{Files: config.Files{Paths: paths}, Names: train.FlagNames}
}

// TestSSVEPCalibration cuts the 24 trials of a simulated 146 s session (6
// per target; codes sharing a frequency share a label) and skips a
// recording without any of the events, with a note; it writes nothing in
// the working folder (run's default output folder, out, is not made).
func TestSSVEPCalibration(t *testing.T) {
	dir := t.TempDir()
	cwd := t.TempDir()
	t.Chdir(cwd)
	defer func() {
		if left, _ := os.ReadDir(cwd); len(left) > 0 {
			t.Errorf("training left %s in the working folder", left[0].Name())
		}
	}()
	writeEDF(t, filepath.Join(dir, "a.edf"), simSSVEP(t, 1, 146))
	cfg := simulateConfig(20, 256)
	writeEDF(t, filepath.Join(dir, "b.edf"), sim(t, cfg))
	targets := maps.Clone(simTargets)
	targets["ssvep/15Hz"] = 13 // two codes, one target
	var notes strings.Builder
	cal, err := train.SSVEPCalibration(context.Background(), train.SSVEPConfig{Input: files(dir), Targets: targets, Offset: 0.1, Length: 2,
		Channels: []string{"O1", "O2"}, Notch: 50, Notes: &notes})
	if err != nil {
		t.Fatal(err)
	}
	want := "1 recordings, 24 trials of 2 s at 256 Hz, 2 channels (O1,O2)\n  8 Hz: 6 trials\n  11 Hz: 6 trials\n  13 Hz: 12 trials"
	if got := cal.String(); got != want {
		t.Errorf("summary\n%s\nwant\n%s", got, want)
	}
	if len(cal.Trials[0]) != 2 || len(cal.Trials[0][0]) != 512 {
		t.Errorf("trial of %d×%d, want 2×512", len(cal.Trials[0]), len(cal.Trials[0][0]))
	}
	if !strings.Contains(notes.String(), "b.edf: none of the listed events, skipped") {
		t.Errorf("notes: %q", notes.String())
	}

	for _, c := range []struct {
		cfg  train.SSVEPConfig
		want string
	}{
		{train.SSVEPConfig{Input: files(dir), Targets: simTargets}, "trial length 0 s"},
		{train.SSVEPConfig{Input: files(dir), Targets: map[string]float64{"a": 8, "b": 8}, Length: 1}, "at least two target frequencies"},
		{train.SSVEPConfig{Input: files(dir), Targets: simTargets, Rest: []string{"ssvep/8Hz"}, Length: 1}, `rest code "ssvep/8Hz" is also a target code`},
		{train.SSVEPConfig{Input: files(dir), Targets: map[string]float64{"x": 8, "y": 9}, Length: 1}, "no trials"},
		{train.SSVEPConfig{Input: files(dir), Targets: simTargets, Length: 1, Channels: []string{"Nope"}}, `no channel "Nope"`},
	} {
		if _, err := train.SSVEPCalibration(context.Background(), c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

// TestSSVEPTrialsMatchStage is the one-path test for SSVEP: a model
// trained by train.SSVEP (notch 50 Hz, 2 s from 0.1 s after each onset)
// and run by `run`'s pipeline in trial mode with the ssvep stage over the
// same recording scores and decides every trial exactly as the model
// scores and decides the training trial matrix of that event: the stage
// decodes, bit for bit, the trials training saw, whatever the method and
// decision rule (eTRCA; mdm and ts-lr; the 15 Hz trials taken as rest for
// mdm with rest as a class, ts-lr and fbcca with a rest detector, fbcca
// with a margin threshold, fbcca chosen by cross-validation, the stacked
// fbcca+ts-lr). (Before, training notched from the steady
// state in float64 and cut trials at round((onset + offset)·rate); the
// stage decoded cca, fbcca, trca and etrca only.)
func TestSSVEPTrialsMatchStage(t *testing.T) {
	path := writeEDF(t, filepath.Join(t.TempDir(), "cal.edf"), simSSVEP(t, 1, 146))
	channels := []string{"O1", "O2", "P3", "Pz", "P4"}
	for _, tc := range []struct {
		method string
		rule   ssvep.NoControlRule
	}{
		{"etrca", ""}, {ssvep.MethodMDM, ""}, {ssvep.MethodTSLR, ""},
		{ssvep.MethodMDM, ssvep.NoControlClass}, {ssvep.MethodTSLR, ssvep.NoControlDetector},
		{"fbcca", ssvep.NoControlDetector}, {"fbcca", ssvep.NoControlMargin}, {"fbcca", ssvep.NoControlAuto},
		{ssvep.MethodStack, ssvep.NoControlClass},
	} {
		cfg := train.SSVEPConfig{Input: files(path), Targets: simTargets, Offset: 0.1, Length: 2, Channels: channels, Notch: 50,
			Model: ssvep.TrainCalibrationConfig{Method: tc.method, NoControl: tc.rule, NoCV: true}}
		if tc.rule == ssvep.NoControlAuto {
			// Offset, harmonics, bank and rule chosen by cross-validation;
			// the pipeline cuts windows from the onset, the stage decodes
			// the model's part of them.
			cfg.Offsets = []float64{0.05, 0.1, 0.2}
		}
		if tc.rule != "" {
			cfg.Targets = maps.Clone(simTargets)
			delete(cfg.Targets, "ssvep/15Hz")
			cfg.Rest = []string{"ssvep/15Hz"}
		}
		trialsMatchStage(t, cfg, path)
	}
}

// trialsMatchStage trains cfg's model on the recording at path, runs it
// through the pipeline and compares.
func trialsMatchStage(t *testing.T, cfg train.SSVEPConfig, path string) {
	t.Helper()
	name := cfg.Model.Method + "/" + string(cfg.Model.NoControl)
	cal, err := train.SSVEPCalibration(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := train.SSVEP(context.Background(), cfg)
	if err != nil {
		t.Fatal(name, err)
	}
	model := writeModel(t, "model.json", m.Save)
	window := config.Window{LengthSeconds: 2, Events: config.Events{StimChannel: "STI", OffsetSeconds: 0.1}}
	if cfg.Offsets != nil {
		offset := m.(interface{ Offset() float64 }).Offset()
		if cal, err = cal.AtOffset(offset); err != nil {
			t.Fatal(err)
		}
		window = config.Window{LengthSeconds: 2.5, Events: config.Events{StimChannel: "STI"}}
		t.Logf("%s: offset %g s chosen", name, offset)
	}

	c := config.Default()
	c.Source.Files.Paths = []string{path}
	var codes []config.StimEvent
	for i, d := range slices.Sorted(maps.Keys(simTargets)) {
		codes = append(codes, config.StimEvent{Description: d, Code: i + 1})
	}
	c.Source.Stim = config.Stim{Channel: "STI", Events: codes}
	c.Window = window
	c.Preprocess = []config.Stage{{Type: "notch", Options: map[string]any{"freq": 50}}}
	c.Stages = []config.Stage{{Type: "ssvep", Options: map[string]any{"model": model}}}
	type decoded struct {
		scores   []float64
		decision int
	}
	sink := &rows{kind: arrowout.KindSSVEP, got: map[string]map[int64]any{}, windows: map[string][]int64{},
		keep: func(rec arrow.Record, i int) (any, bool) {
			l := column[*array.List](rec, "scores")
			v := l.ListValues().(*array.Float64)
			from, to := l.ValueOffsets(i)
			return decoded{slices.Clone(v.Float64Values()[from:to]), int(column[*array.Int32](rec, "decision").Value(i))}, true
		}}
	runConfig(t, &c, sink)
	starts := sink.windows["cal"]
	if len(starts) != len(cal.Trials) {
		t.Fatalf("%s: stage decoded %d trials, training cut %d", name, len(starts), len(cal.Trials))
	}
	rest := 0
	for i, x := range cal.Trials {
		want, err := m.Scores(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		l, err := m.Decide(x)
		if err != nil {
			t.Fatal(err)
		}
		if l == ssvep.Rest {
			rest++
		}
		if got := sink.got["cal"][starts[i]].(decoded); !slices.Equal(got.scores, want) || got.decision != l {
			t.Fatalf("%s: trial %d (window at %d): stage scores %v, decision %d; training trial gives %v, %d", name, i, starts[i], got.scores, got.decision, want, l)
		}
	}
	if cfg.Rest != nil && rest == 0 {
		t.Errorf("%s: no trial decided rest: the rule is not exercised", name)
	}
	t.Logf("%s: %d trials (%d decided rest): the stage's scores and decisions equal the model's on the training trial matrices, bit for bit", name, len(cal.Trials), rest)
}

// TestSSVEPExoskeleton trains eTRCA and calibrates FBCCA on exoskeleton
// subject 1 (its FIF recordings with their -eve.fif events, and its GDF
// twin, whose OpenViBE codes are not listed: skipped) with its rest
// trials: the margin no-control rule is calibrated for both, and the
// targets are the three frequencies, ascending.
func TestSSVEPExoskeleton(t *testing.T) {
	dir := filepath.Join(testenv.DataDir(t), "ssvep-exoskeleton", "subject01")
	for _, method := range []string{"etrca", "fbcca"} {
		var log, notes strings.Builder
		m, err := train.SSVEP(context.Background(), train.SSVEPConfig{Input: files(dir),
			Targets: map[string]float64{"2": 13, "3": 21, "4": 17}, Rest: []string{"1"}, Notch: 50, Offset: 0.14, Length: 2,
			Model: ssvep.TrainCalibrationConfig{Method: method, NoControl: ssvep.NoControlMargin, Log: &log}, Notes: &notes})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s:\n%s%s", method, log.String(), notes.String())
		if !regexp.MustCompile(`2 recordings, 64 trials .*\n(.|\n)*rest: 16 trials`).MatchString(log.String()) ||
			!strings.Contains(log.String(), "no-control rule margin, threshold") || !strings.Contains(notes.String(), ".gdf: none of the listed events, skipped") {
			t.Errorf("%s: log lacks the trial counts or the threshold, or notes the GDF twin:\n%s%s", method, log.String(), notes.String())
		}
		var freqs []float64
		var nc ssvep.NoControl
		freqs, nc = m.Freqs(), m.(interface{ NoControl() ssvep.NoControl }).NoControl()
		if nc.Rule != ssvep.NoControlMargin || !slices.Equal(freqs, []float64{13, 17, 21}) {
			t.Errorf("%s: no-control %+v, freqs %v; want the margin rule, [13 17 21]", method, nc, freqs)
		}
	}
	_, err := train.SSVEP(context.Background(), train.SSVEPConfig{Input: files(dir),
		Targets: map[string]float64{"2": 13, "3": 21}, Rest: []string{"1"}, Length: 2})
	if err == nil || !strings.Contains(err.Error(), `no-control rule "": want auto, top, margin or detector`) {
		t.Errorf("rest trials without a rule: error %v", err)
	}
}

// TestSSVEPMuseCSV reads the NeuroTechX Muse recordings (CSV with a
// timestamps and a Marker0 column: 1 = 30 Hz, 2 = 20 Hz) through the
// source options run has for them, and calibrates FBCCA on their trials.
func TestSSVEPMuseCSV(t *testing.T) {
	dir := filepath.Join(testenv.DataDir(t), "ssvep-muse-eeg-notebooks", "subject1")
	var log strings.Builder
	in := files(dir)
	in.Files.SampleRate, in.Files.TimeColumn, in.Files.MarkerColumn = 256, "timestamps", "Marker0"
	_, err := train.SSVEP(context.Background(), train.SSVEPConfig{Input: in, Targets: map[string]float64{"1": 30, "2": 20},
		Length: 2, Model: ssvep.TrainCalibrationConfig{Method: "fbcca", Log: &log}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
	m := regexp.MustCompile(`6 recordings, (\d+) trials of 2 s at 256 Hz, 5 channels \(TP9,AF7,AF8,TP10,Right AUX\)`).FindStringSubmatch(log.String())
	if m == nil || !strings.Contains(log.String(), "accuracy on the calibration trials (fbcca, training-free, targets only)") {
		t.Errorf("log:\n%s", log.String())
	}
	// Rates fitted from the time column differ a little per file; the
	// error says which option fixes one.
	in.Files.SampleRate = 0
	_, err = train.SSVEPCalibration(context.Background(), train.SSVEPConfig{Input: in, Targets: map[string]float64{"1": 30, "2": 20}, Length: 2})
	if err == nil || !strings.Contains(err.Error(), "set --rate to read them at one rate") {
		t.Errorf("fitted rates: %v", err)
	}
}

// TestSSVEPSpanNote: a method that trains on augmented windows, trained
// without a span, says which option would give it more windows; with a
// span, or for a method that does not augment, nothing is said.
func TestSSVEPSpanNote(t *testing.T) {
	path := writeEDF(t, filepath.Join(t.TempDir(), "cal.edf"), simSSVEP(t, 1, 146))
	for _, tc := range []struct {
		method string
		span   float64
		note   bool
	}{{ssvep.MethodStack, 0, true}, {ssvep.MethodStack, 3, false}, {"fbcca", 0, false}} {
		var notes strings.Builder
		in := files(path)
		_, err := train.SSVEP(context.Background(), train.SSVEPConfig{Input: in, Targets: simTargets, Length: 2, Span: tc.span,
			Channels: []string{"O1", "O2", "P3", "Pz", "P4"}, Notch: 50, Notes: &notes,
			Model: ssvep.TrainCalibrationConfig{Method: tc.method}})
		if err != nil {
			t.Fatalf("%s, span %g: %v", tc.method, tc.span, err)
		}
		got := strings.Contains(notes.String(), "note: "+tc.method+" trains on one window per trial and candidate offset; given how long each trial's stimulation lasts (--span S)")
		if got != tc.note {
			t.Errorf("%s, span %g: notes %q, want the span note %v", tc.method, tc.span, notes.String(), tc.note)
		}
	}
}
