package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/simulate"
)

// seizureSim is a simulated session (128 Hz, 240 s) with one seizure.
func seizureSim(t *testing.T, seed uint64, onset, dur float64) *simulate.Session {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration, cfg.SampleRate = seed, 240, 128
	cfg.Seizures.Enabled = true
	cfg.Seizures.Events = []simulate.SeizureEvent{{Onset: onset, Duration: dur}}
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTrainSeizureSimulated: the flags reach seizure.TrainRecordings
// (whose tests in models/seizure check the training itself) and the
// command prints its summary and estimate and writes the model file.
func TestTrainSeizureSimulated(t *testing.T) {
	dir := t.TempDir()
	for i, on := range []float64{60, 150} {
		s := seizureSim(t, uint64(10+i), on, 50)
		if err := writeEDF(filepath.Join(dir, "sess", "s"+string(rune('1'+i))+".edf"), s, "sim", "sim"); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	out := filepath.Join(dir, "model.json")
	stdout, stderr, err := runTrain(t, "seizure", "--data", filepath.Join(dir, "sess"), "--window", "4", "--hop", "2", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	t.Log(stdout)
	if !regexp.MustCompile(`(?m)^5-fold cross-validated \(grouped by contiguous blocks.*\): balanced accuracy [0-9.]+%, AUROC [0-9.]+$`).MatchString(stdout) {
		t.Errorf("no cross-validation line:\n%s", stdout)
	}
	if !strings.Contains(stdout, "2 recordings") || !regexp.MustCompile(`seizure: [1-9][0-9]* windows`).MatchString(stdout) {
		t.Errorf("counts missing:\n%s", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := seizure.Load(f); err != nil {
		t.Fatal(err)
	}
}

func TestTrainSeizureErrors(t *testing.T) {
	dir := t.TempDir()
	a := seizureSim(t, 1, 60, 40)
	if err := writeEDF(filepath.Join(dir, "a.edf"), a, "sim", "sim"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	out := filepath.Join(dir, "m.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"seizure", "--out", out}, "give --data and --out"},
		{[]string{"seizure", "--data", dir}, "give --data and --out"},
		{[]string{"seizure", "--data", dir, "--out", out, "--window", "0"}, "--window"},
		{[]string{"seizure", "--data", dir, "--out", out, "--hop", "-1"}, "--hop"},
		{[]string{"seizure", "--data", filepath.Join(dir, "a.edf"), "--out", out, "--folds", "1"}, "--folds must be at least 2"},
		{[]string{"seizure", "--data", filepath.Join(dir, "a.edf"), "--out", out, "--labels", ""}, "--labels: give at least one"},
		{[]string{"seizure", "--data", filepath.Join(dir, "a.edf"), "--out", out, "--labels", "spike"}, "both classes"},
		{[]string{"seizure", "--data", filepath.Join(dir, "a.edf"), "--out", out, "--classifier", "svm"}, "--classifier \"svm\": want logreg or gbt"},
		{[]string{"seizure", "--data", filepath.Join(dir, "a.edf"), "--out", out, "--reference", "bipolar"}, "--reference \"bipolar\""},
	} {
		_, _, err := runTrain(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

// TestTrainSeizureTrees: --classifier gbt --extended --reference average
// writes a tree model on the extended features that loads and separates a
// seizure window from background.
func TestTrainSeizureTrees(t *testing.T) {
	dir := t.TempDir()
	a := seizureSim(t, 3, 60, 40)
	path := filepath.Join(dir, "a.edf")
	if err := writeEDF(path, a, "sim", "sim"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	out := filepath.Join(dir, "m.json")
	if stdout, stderr, err := runTrain(t, "seizure", "--data", path, "--classifier", "gbt", "--extended", "--reference", "average", "--no-cv", "--out", out); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := seizure.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Trees) == 0 || m.Weights != nil || !m.Features.Extended {
		t.Errorf("model: %d trees, %d weights, extended %v; want a tree model on extended features", len(m.Trees), len(m.Weights), m.Features.Extended)
	}
}
