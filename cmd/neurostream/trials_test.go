package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/sinks"
	"github.com/neurostream/neurostream/simulate"
)

// readResults returns every record of the result files of kind k in
// dir; release them.
func readResults(t *testing.T, dir string, k arrowout.Kind) []arrow.Record {
	t.Helper()
	recs, err := sinks.ReadFiles(dir, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatalf("no %s result files in %s", k, dir)
	}
	return recs
}

func column(t *testing.T, rec arrow.Record, name string) arrow.Array {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %q in %v", name, rec.Schema())
	}
	return rec.Column(idx[0])
}

// TestSSVEPTrialsConfig runs configs/ssvep-trials.yaml: one decision per
// simulated trial, at its onset sample, with the trial's code, and (the
// simulated SSVEP being clear) the right target for nearly every trial.
func TestSSVEPTrialsConfig(t *testing.T) {
	out := t.TempDir()
	t.Setenv("NEUROSTREAM_OUTPUT_DIR", out)
	if s, err := runMain(t, "run", "--config", "../../configs/ssvep-trials.yaml"); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	// The same simulation the config describes: its trials are the truth.
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.SampleRate, cfg.Duration = 3, 256, 62
	cfg.LineNoise.Enabled, cfg.Blinks.Enabled = true, true
	cfg.SSVEP.Enabled, cfg.SSVEP.Frequencies = true, []float64{8, 11, 13, 15}
	sim, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{} // onset sample → code
	codes := map[string]int{"ssvep/8Hz": 1, "ssvep/11Hz": 2, "ssvep/13Hz": 3, "ssvep/15Hz": 4}
	for _, a := range sim.Info().Annotations {
		if c, ok := codes[a.Description]; ok && a.Onset+2 <= cfg.Duration {
			want[int64(a.Onset*256+0.5)] = c
		}
	}
	if len(want) < 8 {
		t.Fatalf("simulation has %d trials", len(want))
	}
	got := map[int64]int{}
	correct := 0
	for _, rec := range readResults(t, out, arrowout.KindSSVEP) {
		win := column(t, rec, "window").(*array.Int64)
		code := column(t, rec, "event_code").(*array.Int32)
		dec := column(t, rec, "decision").(*array.Int32)
		for i := range int(rec.NumRows()) {
			if code.IsNull(i) {
				t.Fatalf("row %d: event_code null in trial mode", i)
			}
			got[win.Value(i)] = int(code.Value(i))
			if int(dec.Value(i)) == int(code.Value(i))-1 {
				correct++
			}
		}
		rec.Release()
	}
	if len(got) != len(want) {
		t.Fatalf("%d trial rows %v, want %d %v", len(got), got, len(want), want)
	}
	for s, c := range want {
		if got[s] != c {
			t.Errorf("trial at sample %d: code %d, want %d", s, got[s], c)
		}
	}
	acc := float64(correct) / float64(len(want))
	t.Logf("trial-mode FBCCA on %d simulated 2 s trials: accuracy %.3f", len(want), acc)
	if acc < 0.8 {
		t.Errorf("accuracy %.3f over %d trials, want ≥ 0.8", acc, len(want))
	}
}

// ssvepTrialRows runs a pipeline configuration and returns, per trial row,
// the event code and the decision.
func ssvepTrialRows(t *testing.T, yaml string) (codes, decisions []int) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(f, []byte(yaml+"output: {dir: "+filepath.Join(dir, "out")+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := runMain(t, "run", "--config", f); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	for _, rec := range readResults(t, filepath.Join(dir, "out"), arrowout.KindSSVEP) {
		code := column(t, rec, "event_code").(*array.Int32)
		dec := column(t, rec, "decision").(*array.Int32)
		for i := range int(rec.NumRows()) {
			codes = append(codes, int(code.Value(i)))
			decisions = append(decisions, int(dec.Value(i)))
		}
		rec.Release()
	}
	return codes, decisions
}

// TestSSVEPTrialModeTRCA: an eTRCA model trained by `train ssvep` on one
// simulated session decodes another session's trials in trial mode from
// the pipeline YAML, each decision locked to its onset.
func TestSSVEPTrialModeTRCA(t *testing.T) {
	dir := t.TempDir()
	edfPath := filepath.Join(dir, "calibration.edf")
	if err := writeEDF(edfPath, ssvepSim(t, 1, 146), "X", "calibration"); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model.json")
	if stdout, stderr, err := runTrain(t, "ssvep", "--data", edfPath, "--events", simEvents, "--offset", "0.1",
		"--length", "2", "--method", "etrca", "--channels", "O1,O2,P3,Pz,P4,T5,T6", "--notch", "50", "--no-cv", "--out", model); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	codes, decisions := ssvepTrialRows(t, `
source:
  simulate: {sessions: 1, seed: 2, duration: 146, ssvep: {enabled: true}}
  stim:
    events:
      - {description: ssvep/8Hz, code: 1}
      - {description: ssvep/11Hz, code: 2}
      - {description: ssvep/13Hz, code: 3}
      - {description: ssvep/15Hz, code: 4}
window: {length_seconds: 2, events: {stim_channel: STI, offset_seconds: 0.1}}
preprocess: [{type: notch, freq: 50}]
stages: [{type: ssvep, method: etrca, model: `+model+`}]
`)
	if len(codes) != 24 {
		t.Fatalf("%d trial rows, want 24", len(codes))
	}
	correct := 0
	for i, c := range codes {
		if decisions[i] == c-1 {
			correct++
		}
	}
	t.Logf("trial-mode eTRCA, held-out simulated session: %d/%d", correct, len(codes))
	if correct < 18 { // chance is 6 of 24
		t.Errorf("%d of 24 trials right, want ≥ 18", correct)
	}
}

// TestSSVEPTrialModeExoskeleton decodes every exoskeleton session in trial
// mode through the pipeline: the -eve.fif events become a stim channel,
// windows of 4 s start 0.14 s after each 13/21/17 Hz onset, FBCCA decides.
// The offline evaluation (models/ssvep, docs/ssvep.md) measures 0.854 on
// the same trials with a notch started from steady state.
func TestSSVEPTrialModeExoskeleton(t *testing.T) {
	dir := filepath.Join(testenv.DataDir(t), "ssvep-exoskeleton")
	codes, decisions := ssvepTrialRows(t, `
source:
  files: {paths: [`+dir+`]}
  stim:
    events: [{description: "2", code: 2}, {description: "3", code: 3}, {description: "4", code: 4}]
window: {length_seconds: 4, events: {stim_channel: STI, offset_seconds: 0.14}}
preprocess: [{type: notch, freq: 50}]
stages: [{type: ssvep, method: fbcca, frequencies: [13, 21, 17]}]
`)
	if len(codes) != 288 {
		t.Fatalf("%d trial rows, want 288 (12 sessions × 24 target trials)", len(codes))
	}
	correct := 0
	for i, c := range codes {
		if decisions[i] == c-2 {
			correct++
		}
	}
	acc := float64(correct) / float64(len(codes))
	t.Logf("trial-mode FBCCA, exoskeleton, 3 targets, 4 s: %d/%d = %.3f", correct, len(codes), acc)
	if acc < 0.633 { // chance + 0.30, the offline test's bound
		t.Errorf("accuracy %.3f, want ≥ 0.633", acc)
	}
}

// TestEventConfigErrors names each mistake in stim and event-window keys.
func TestEventConfigErrors(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(f, []byte(`
source:
  simulate: {sessions: 1}
  stim:
    channel: STI
    events: [{description: a, code: 0}, {description: a, code: 2}, {code: 3}]
window: {length_seconds: 2, hop_seconds: 1, events: {stim_channel: STI, codes: [1, -2]}}
preprocess: [{type: resample, up: 1, down: 2}]
stages: [{type: psd}]
`), 0o644)
	out, err := runMain(t, "config", "validate", f)
	if err == nil {
		t.Fatalf("validate accepted a bad file:\n%s", out)
	}
	for _, want := range []string{
		"source.stim.events[0].code: want a positive event code, got 0",
		`source.stim.events[1].description: "a" repeats source.stim.events[0]`,
		"source.stim.events[2].description: empty",
		"window.events.codes[1]: want a positive event code, got -2",
		"window.hop: not used with window.events",
		"preprocess[0]: resample would smear the stim channel",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}
