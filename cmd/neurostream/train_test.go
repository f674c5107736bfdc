package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/simulate"
)

// runTrain runs `neurostream train` on a root of its own.
func runTrain(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runSub(t, newTrainCmd(), args...)
}

// ssvepSim is a simulated SSVEP session: 4 s trials at 8, 11, 13 and
// 15 Hz, 2 s apart, with background EEG, alpha, blinks and line noise.
func ssvepSim(t *testing.T, seed uint64, duration float64) *simulate.Session {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration = seed, duration
	cfg.SSVEP.Enabled = true
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadTRCAFile(t *testing.T, path string) *ssvep.TRCA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ssvep.LoadTRCA(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const simEvents = "ssvep/8Hz=8,ssvep/11Hz=11,ssvep/13Hz=13,ssvep/15Hz=15"

// TestTrainSSVEPSimulated: the flags reach ssvep.TrainRecordings (whose
// tests in models/ssvep check the training itself) and the command prints
// its summary and writes the model file.
func TestTrainSSVEPSimulated(t *testing.T) {
	dir := t.TempDir()
	edfPath := filepath.Join(dir, "calibration.edf")
	if err := writeEDF(edfPath, ssvepSim(t, 1, 146), "X", "calibration"); err != nil {
		t.Fatal(err)
	}
	channels := "O1,O2,P3,Pz,P4,T5,T6"
	out := filepath.Join(dir, "model.json")
	stdout, stderr, err := runTrain(t, "ssvep", "--data", edfPath, "--events", simEvents, "--offset", "0.1",
		"--length", "2", "--method", "etrca", "--channels", channels, "--notch", "50", "--sub-bands", "3", "--out", out)
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("\n%s%s", stdout, stderr)
	for _, want := range []string{"8 Hz: 6 trials", "15 Hz: 6 trials", "leave-one-trial-out accuracy (etrca", "model written to " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	cfg := loadTRCAFile(t, out).Config()
	if !cfg.Ensemble || cfg.SampleRate != 256 || strings.Join(cfg.Channels, ",") != channels || len(cfg.Freqs) != 4 || cfg.FilterBank.SubBands != 3 {
		t.Fatalf("model config %+v", cfg)
	}
}

func TestTrainSSVEPErrors(t *testing.T) {
	for _, args := range [][]string{
		{"ssvep", "--events", "a=8,b=9", "--length", "1", "--out", "x.json"},                    // no --data
		{"ssvep", "--data", "x.edf", "--events", "a=8", "--length", "1", "--out", "x.json"},     // one target
		{"ssvep", "--data", "x.edf", "--events", "a=8,b=x", "--length", "1", "--out", "x.json"}, // bad frequency
		{"ssvep", "--data", "x.edf", "--events", "a=8,b=9", "--out", "x.json"},                  // no length
		{"ssvep", "--data", "x.edf", "--events", "a=8,b=9", "--length", "1", "--method", "svm", "--out", "x.json"},
		{"ssvep", "--data", "x.edf", "--events", "a=8,b=9", "--rest", "a", "--length", "1", "--out", "x.json"},
	} {
		if _, _, err := runTrain(t, args...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestTrainSSVEPFBCCA: --method fbcca (and cca) is allowed: with --rest
// trials it calibrates the no-control rule and writes a model file the
// ssvep stage loads. Before, train ssvep refused them, so rest detection
// for the training-free decoders had no CLI.
func TestTrainSSVEPFBCCA(t *testing.T) {
	dir := filepath.Join(testenv.DataDir(t), "ssvep-exoskeleton", "subject01")
	out := filepath.Join(t.TempDir(), "fbcca.json")
	stdout, stderr, err := runTrain(t, "ssvep", "--data", dir, "--events", "2=13,3=21,4=17", "--rest", "1", "--notch", "50",
		"--offset", "0.14", "--length", "2", "--method", "fbcca", "--harmonics", "3", "--sub-bands", "4", "--no-control", "margin", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	t.Logf("\n%s%s", stdout, stderr)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ssvep.LoadTrainingFree(f)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Config(); m.Method() != "fbcca" || m.NoControl().Rule != ssvep.NoControlMargin || c.Harmonics != 3 || c.FilterBank.SubBands != 4 {
		t.Errorf("model %s %+v, no-control %+v", m.Method(), c, m.NoControl())
	}
	if !strings.Contains(stdout, "accuracy on the calibration trials (fbcca") || !strings.Contains(stdout, "no-control rule margin, threshold") {
		t.Errorf("output:\n%s", stdout)
	}
}

// TestTrainSSVEPRiemannRest: --method mdm|ts-lr and the rest detector
// have a CLI: ts-lr with --no-control detector and mdm with rest as a
// class write model files LoadDecoder reads, of the right method and
// format. Before, train ssvep refused both methods and had no detector.
func TestTrainSSVEPRiemannRest(t *testing.T) {
	dir := filepath.Join(testenv.DataDir(t), "ssvep-exoskeleton", "subject01")
	for _, c := range []struct{ method, rule, format string }{
		{"ts-lr", "detector", ssvep.RestModelFormat},
		{"mdm", "class", ssvep.RiemannModelFormat},
	} {
		out := filepath.Join(t.TempDir(), c.method+".json")
		stdout, stderr, err := runTrain(t, "ssvep", "--data", dir, "--events", "2=13,3=21,4=17", "--rest", "1", "--notch", "50",
			"--offset", "0.5", "--length", "2", "--method", c.method, "--no-control", c.rule, "--out", out)
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", c.method, err, stdout, stderr)
		}
		t.Logf("\n%s%s", stdout, stderr)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ssvep.LoadDecoder(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if m.Method() != c.method || !strings.Contains(string(b), `"format":"`+c.format+`"`) {
			t.Errorf("%s: model of method %s, file %.80s", c.method, m.Method(), b)
		}
	}
}

// TestTrainSSVEPCSV: the NeuroTechX Muse CSVs (timestamps and Marker0
// columns) are read with --time-column and --marker-column, their marker
// values being the event codes. Before, train ssvep could not read them.
func TestTrainSSVEPCSV(t *testing.T) {
	path := filepath.Join(testenv.DataDir(t), "ssvep-muse-eeg-notebooks", "subject1", "session1", "data_2017-09-14-21.20.04.csv")
	out := filepath.Join(t.TempDir(), "muse.json")
	stdout, stderr, err := runTrain(t, "ssvep", "--data", path, "--time-column", "timestamps", "--marker-column", "Marker0",
		"--events", "1=30,2=20", "--length", "2", "--method", "cca", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	t.Logf("\n%s%s", stdout, stderr)
	if !regexp.MustCompile(`1 recordings, \d+ trials of 2 s at 256\.\d* Hz, 5 channels \(TP9,AF7,AF8,TP10,Right AUX\)`).MatchString(stdout) {
		t.Errorf("output:\n%s", stdout)
	}
	// Without the columns, the marker column is a channel and no event is
	// found: the error says what to give.
	if _, _, err := runTrain(t, "ssvep", "--data", path, "--events", "1=30,2=20", "--length", "2", "--out", out); err == nil || !strings.Contains(err.Error(), "--rate") {
		t.Errorf("no rate, no time column: %v", err)
	}
}
