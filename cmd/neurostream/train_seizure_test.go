package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/testenv"
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

// TestTrainSeizureEventsTSVInFolder: a --data folder holding recordings
// and their documented sibling <name>_events.tsv files trains, the TSV
// rows labelling the seizure. Before, the folder's listing took the .tsv
// for a plain-text recording ("text: Options.SampleRate is required").
func TestTrainSeizureEventsTSVInFolder(t *testing.T) {
	dir := t.TempDir()
	// b's seizure is labelled only by its events file.
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration, cfg.SampleRate = 23, 240, 128
	plain, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	a := seizureSim(t, 21, 60, 50)
	defer a.Close()
	if err := writeEDF(filepath.Join(dir, "a.edf"), a, "sim", "sim"); err != nil {
		t.Fatal(err)
	}
	if err := writeEDF(filepath.Join(dir, "b.edf"), plain, "sim", "sim"); err != nil {
		t.Fatal(err)
	}
	writeSzcoreTSV(t, filepath.Join(dir, "b_events.tsv"), 100, 40, 240)
	out := filepath.Join(dir, "m.json")
	stdout, stderr, err := runTrain(t, "seizure", "--data", dir, "--no-cv", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	// a: starts 60…106 s inside [60, 110); b: 100…136 s inside [100, 140).
	if !strings.Contains(stdout, "2 recordings, ") || !strings.Contains(stdout, "seizure: 43 windows") {
		t.Errorf("output:\n%s%s", stdout, stderr)
	}
}

// TestTrainSeizurePlainText trains on Bonn segments, plain-text files
// with no sample rate of their own, given by --rate; S001's whole segment
// is a seizure by its events file in --events-tsv. Before, train seizure
// had no rate option and refused plain-text recordings.
func TestTrainSeizurePlainText(t *testing.T) {
	bonn := filepath.Join(testenv.DataDir(t), "bonn-epilepsy")
	events := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(events, "S001_events.tsv"), 0, 23.6, 23.6)
	var data []string
	for _, f := range []string{"S/S001.txt", "Z/Z001.txt", "O/O001.txt"} {
		data = append(data, filepath.Join(bonn, f))
	}
	out := filepath.Join(t.TempDir(), "bonn.json")
	stdout, stderr, err := runTrain(t, "seizure", "--data", strings.Join(data, ","), "--rate", "173.61", "--events-tsv", events, "--no-cv", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	t.Logf("\n%s%s", stdout, stderr)
	if !strings.Contains(stdout, "3 recordings, 30 windows of 4 s every 2 s at 173.61 Hz, 1 channels (S001)") || !strings.Contains(stdout, "seizure: 10 windows") {
		t.Errorf("output:\n%s", stdout)
	}
	if _, _, err := runTrain(t, "seizure", "--data", data[0], "--out", out); err == nil || !strings.Contains(err.Error(), "--rate: required for the plain-text recording") {
		t.Errorf("no --rate: %v", err)
	}
}

// TestTrainSeizureChannelFiles trains on the Malow record, 21 text files
// of one channel each in one folder beside a README, read as one
// recording with --channel-files (and named by --channel-labels); its
// seizure (from 355 s) comes from an events file in --events-tsv: 249
// windows, of which the two straddling the onset (352, 354 s) are skipped.
func TestTrainSeizureChannelFiles(t *testing.T) {
	malow := filepath.Join(testenv.DataDir(t), "malow-seizure-eeg")
	events := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(events, "malow-seizure-eeg_events.tsv"), 355, 145, 500)
	out := filepath.Join(t.TempDir(), "malow.json")
	labels := "Fp1,Fp2,F3,F4,C3,C4,P3,P4,O1,O2,SP1,SP2,F7,F8,T3,T4,T5,T6,Fz,Cz,Pz"
	stdout, stderr, err := runTrain(t, "seizure", "--data", malow, "--channel-files", "ch*.inp", "--rate", "100",
		"--channel-labels", labels, "--channels", "T3,T5,O1", "--events-tsv", events, "--no-cv", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	t.Logf("\n%s%s", stdout, stderr)
	if !strings.Contains(stdout, "1 recordings, 247 windows of 4 s every 2 s at 100 Hz, 3 channels (T3,T5,O1)") {
		t.Errorf("output:\n%s", stdout)
	}
}
