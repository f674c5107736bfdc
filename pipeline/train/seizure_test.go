package train_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/pipeline/train"
	"github.com/neurostream/neurostream/simulate"
)

// TestSeizureDataset cuts 4 s windows every 2 s from a folder of two
// 240 s recordings: one annotated with a seizure at 60–110 s, one whose
// seizure, 140–180 s, is only in its SzCORE events file beside it (which
// the folder's listing must not take for a recording). Worked out by
// hand: 119 windows each; the first has 24 ictal windows (starts
// 60…106) and skips 2 (58, 108), the second 19 ictal (140…176) and skips
// 2 (138, 178).
func TestSeizureDataset(t *testing.T) {
	dir := t.TempDir()
	writeEDF(t, filepath.Join(dir, "a.edf"), simSeizure(t, 1, [2]float64{60, 50}))
	writeEDF(t, filepath.Join(dir, "b_eeg.edf"), simSeizure(t, 2))
	if err := szcore.WriteFile(filepath.Join(dir, "b_events.tsv"), []szcore.Event{
		{Onset: 140, Duration: 40, EventType: "sz", Confidence: math.NaN(), RecordingDuration: 240}}); err != nil {
		t.Fatal(err)
	}
	var notes strings.Builder
	d, err := train.SeizureDataset(context.Background(), train.SeizureConfig{Input: train.Input{Files: config.Files{Paths: []string{dir}}},
		Channels: []string{"T3", "T5"}, Notes: &notes})
	if err != nil {
		t.Fatal(err)
	}
	if ictal, back := d.Counts(); d.Recordings != 2 || ictal != 24+19 || back != 93+98 {
		t.Fatalf("%d recordings, %d seizure and %d background windows; want 2, 43, 191", d.Recordings, ictal, back)
	}
	if d.Features.SampleRate != 128 || d.Features.WindowLen != 512 || d.Features.Channels != 2 || !slices.Equal(d.Channels, []string{"T3", "T5"}) {
		t.Errorf("features %+v, channels %v", d.Features, d.Channels)
	}
	// Window positions count the skipped ones: the first ictal window of
	// each recording is its 31st (start 60 s) and 71st (start 140 s).
	first := map[int]int{}
	for i, r := range d.Recording {
		if _, ok := first[r]; !ok && d.Y[i] {
			first[r] = d.Position[i]
		}
	}
	if first[0] != 30 || first[1] != 70 {
		t.Errorf("first ictal window positions %v, want 30 and 70", first)
	}
	if len(d.X[0]) != 2*17 {
		t.Errorf("%d features, want 34", len(d.X[0]))
	}
	want := "2 recordings, 234 windows of 4 s every 2 s at 128 Hz, 2 channels (T3,T5)\n  seizure: 43 windows\n  background: 191 windows"
	if d.String() != want {
		t.Errorf("summary\n%s\nwant\n%s", d, want)
	}
	if notes.Len() != 0 {
		t.Errorf("notes: %s", notes.String())
	}

	// Labels that match nothing: background only, with a note; an events
	// folder without the file: another note.
	notes.Reset()
	d, err = train.SeizureDataset(context.Background(), train.SeizureConfig{Input: train.Input{Files: config.Files{Paths: []string{filepath.Join(dir, "a.edf")}}},
		Labels: []string{"spike"}, EventsDir: t.TempDir(), Notes: &notes})
	if err != nil {
		t.Fatal(err)
	}
	if ictal, back := d.Counts(); ictal != 0 || back != 119 {
		t.Errorf("%d seizure, %d background windows; want 0, 119", ictal, back)
	}
	for _, n := range []string{"a.edf: no events TSV in", "a.edf: no seizure labels, background windows only"} {
		if !strings.Contains(notes.String(), n) {
			t.Errorf("notes lack %q:\n%s", n, notes.String())
		}
	}
}

// TestSeizureDatasetBIDS reads a BIDS-EEG folder as run does: its
// recordings (sub-*/ses-*/eeg/*_eeg.edf), their seizures from the sibling
// *_events.tsv files.
func TestSeizureDatasetBIDS(t *testing.T) {
	root := t.TempDir()
	for i, sub := range []string{"01", "02"} {
		base := filepath.Join(root, "sub-"+sub, "ses-01", "eeg", "sub-"+sub+"_ses-01_task-szMonitoring_run-00")
		writeEDF(t, base+"_eeg.edf", simSeizure(t, uint64(30+i)))
		if err := szcore.WriteFile(base+"_events.tsv", []szcore.Event{
			{Onset: 100, Duration: 40, EventType: "sz", Confidence: math.NaN(), RecordingDuration: 240}}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := train.SeizureDataset(context.Background(), train.SeizureConfig{Input: train.Input{Files: config.Files{Paths: []string{root}}},
		Channels: []string{"T3"}})
	if err != nil {
		t.Fatal(err)
	}
	// 100…136 s inside [100, 140) in each.
	if ictal, back := d.Counts(); d.Recordings != 2 || ictal != 2*19 {
		t.Errorf("%d recordings, %d seizure and %d background windows; want 2, 38", d.Recordings, ictal, back)
	}
}

func TestSeizureDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	a := writeEDF(t, filepath.Join(dir, "a.edf"), simSeizure(t, 1, [2]float64{60, 40}))
	cfg := simulateConfig(60, 256)
	b := writeEDF(t, filepath.Join(dir, "b.edf"), sim(t, cfg))
	text := filepath.Join(dir, "c.txt")
	os.WriteFile(text, []byte("1\n2\n"), 0o644)
	in := func(paths ...string) train.Input {
		return train.Input{Files: config.Files{Paths: paths}, Names: train.FlagNames}
	}
	for _, c := range []struct {
		cfg  train.SeizureConfig
		want string
	}{
		{train.SeizureConfig{Input: in(a, b)}, "b.edf: 256 Hz, 19 channels; earlier recordings: 128 Hz, 19 channels"},
		{train.SeizureConfig{Input: in(a), Channels: []string{"Nope"}}, `no channel "Nope"`},
		{train.SeizureConfig{Input: in(a), Hop: -1}, "--window 4 s, --hop -1 s: want lengths > 0"},
		{train.SeizureConfig{Input: in(a), Reference: "bipolar"}, `--reference "bipolar"`},
		{train.SeizureConfig{Input: in(text)}, "--rate: required for the plain-text recording"},
		{train.SeizureConfig{Input: in(t.TempDir())}, "no recordings in this folder"},
		{train.SeizureConfig{Input: in()}, "no recordings: give --data"},
	} {
		_, err := train.SeizureDataset(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.cfg.Files.Paths, err, c.want)
		}
	}
}

// TestSeizureFeaturesMatchStage is the one-path test: a detector trained
// by train.Seizure (common average reference, 4 s windows every 2 s) and
// run by `run`'s pipeline with the seizure stage over the same recording
// scores every window exactly as it scores the training features of that
// window: the stage computes, bit for bit, the features training saw.
// (Before, training read the file in float64, referenced by hand and
// computed features the wire's float32 samples never give.) With a
// running baseline and pooled channels too: training's baseline sees
// every window, the skipped ones included, as the stage's does.
func TestSeizureFeaturesMatchStage(t *testing.T) {
	dir := t.TempDir()
	path := writeEDF(t, filepath.Join(dir, "a.edf"), simSeizure(t, 5, [2]float64{80, 60}))
	for _, cfg := range []train.SeizureConfig{{}, {Baseline: 20, PoolChannels: true}} {
		t.Run(fmt.Sprintf("baseline=%v,pool=%v", cfg.Baseline, cfg.PoolChannels), func(t *testing.T) {
			testSeizureFeaturesMatchStage(t, path, cfg)
		})
	}
}

func testSeizureFeaturesMatchStage(t *testing.T, path string, cfg train.SeizureConfig) {
	channels := []string{"Fp1", "F3", "C3", "T3", "T5", "O1", "Cz"}
	cfg.Input = train.Input{Files: config.Files{Paths: []string{path}}}
	cfg.Reference, cfg.Channels = "average", channels
	d, err := train.SeizureDataset(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.NoCV = true
	m, err := train.Seizure(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	model := writeModel(t, "seizure.json", m.Save)

	c := config.Default()
	c.Source.Files.Paths = []string{path}
	c.Window = config.Window{LengthSeconds: 4, HopSeconds: 2}
	c.Preprocess = []config.Stage{{Type: "reference", Options: map[string]any{"types": []string{"eeg"}}}}
	c.Stages = []config.Stage{{Type: "seizure", Options: map[string]any{"model": model, "channels": channels}}}
	sink := &rows{kind: arrowout.KindSeizure, got: map[string]map[int64]any{}, windows: map[string][]int64{},
		keep: func(rec arrow.Record, i int) (any, bool) {
			if column[*array.String](rec, "row_type").Value(i) != arrowout.SeizureRowWindow {
				return nil, false
			}
			return column[*array.Float64](rec, "probability").Value(i), true
		}}
	runConfig(t, &c, sink)
	got := sink.got["a"]
	if len(got) != 119 {
		t.Fatalf("stage scored %d windows, want 119", len(got))
	}
	if got, want := m.Features.BaselineSeconds, cfg.Baseline; got != want {
		t.Fatalf("model's baseline %v s, want %v", got, want)
	}
	for i, x := range d.X {
		start := int64(d.Position[i]) * 256
		if p := m.Probability(x); got[start] != p {
			t.Fatalf("window at sample %d: stage probability %v, training features give %v", start, got[start], p)
		}
	}
	t.Logf("%d labelled windows: the stage's probability equals the model's on the training features, bit for bit", len(d.X))
}

// simulateConfig is a 19-channel simulation of seconds s at rate Hz.
func simulateConfig(seconds, rate float64) simulate.Config {
	c := simulate.DefaultConfig()
	c.Duration, c.SampleRate = seconds, rate
	return c
}
