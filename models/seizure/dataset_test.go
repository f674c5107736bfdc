package seizure

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/simulate"
)

// simSession is a simulated session (128 Hz, 240 s) with the given
// seizures (onset, duration), none when empty.
func simSession(t *testing.T, seed uint64, seizures ...[2]float64) *simulate.Session {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration, cfg.SampleRate = seed, 240, 128
	for _, s := range seizures {
		cfg.Seizures.Enabled = true
		cfg.Seizures.Events = append(cfg.Seizures.Events, simulate.SeizureEvent{Onset: s[0], Duration: s[1]})
	}
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writeSession writes a simulated session as EDF+ at path.
func writeSession(t *testing.T, path string, s *simulate.Session) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := edf.WriteRecording(f, s, edf.WriteOptions{Patient: "sim", Recording: "sim", RecordDuration: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMergeSpansAndWindowClass(t *testing.T) {
	got := mergeSpans([]span{{50, 60}, {10, 20}, {20, 25}, {55, 58}, {30, 31}})
	if want := []span{{10, 25}, {30, 31}, {50, 60}}; !slices.Equal(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	for _, c := range []struct {
		t0, t1 float64
		want   int
	}{
		{10, 14, 1}, {21, 25, 1}, // inside (the end is exclusive)
		{0, 4, 0}, {26, 30, 0}, {25, 29, 0}, {60, 64, 0}, // touching none
		{8, 12, -1}, {24, 28, -1}, {29, 33, -1}, {5, 70, -1}, // partly inside
	} {
		if got := windowClass(c.t0, c.t1, []span{{10, 25}, {30, 31}, {50, 60}}); got != c.want {
			t.Errorf("window [%v, %v): class %d, want %d", c.t0, c.t1, got, c.want)
		}
	}
}

func TestSzcoreSibling(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "annotations")
	for _, p := range []string{"a_events.tsv", "sub-01_run-01_events.tsv", "annotations/c_events.tsv"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ rec, dir, want string }{
		{"a.edf", "", "a_events.tsv"},
		{"sub-01_run-01_eeg.edf", "", "sub-01_run-01_events.tsv"}, // _eeg dropped
		{"b.edf", "", ""},
		{"c.edf", other, "annotations/c_events.tsv"},
		{"a.edf", other, ""}, // only the folder given is searched
	} {
		got := szcoreSibling(filepath.Join(dir, c.rec), c.dir)
		if want := filepath.Join(dir, c.want); got != want && (c.want != "" || got != "") {
			t.Errorf("%s in %q: %q, want %q", c.rec, c.dir, got, c.want)
		}
	}
}

// TestReadDataset cuts 4 s windows every 2 s from two 240 s recordings:
// one annotated with a seizure at 60–110 s, one whose seizure, 140–180 s,
// is only in its SzCORE events file. Worked out by hand: 119 windows each;
// the first has 24 ictal windows (starts 60…106) and skips 2 (58, 108), the
// second 19 ictal (140…176) and skips 2 (138, 178).
func TestReadDataset(t *testing.T) {
	dir := t.TempDir()
	writeSession(t, filepath.Join(dir, "a.edf"), simSession(t, 1, [2]float64{60, 50}))
	writeSession(t, filepath.Join(dir, "b_eeg.edf"), simSession(t, 2))
	if err := szcore.WriteFile(filepath.Join(dir, "b_events.tsv"), []szcore.Event{
		{Onset: 140, Duration: 40, EventType: "sz", Confidence: math.NaN(), RecordingDuration: 240}}); err != nil {
		t.Fatal(err)
	}
	var notes strings.Builder
	// The files, not the folder: a folder's listing would take the .tsv
	// for a plain-text recording.
	d, err := ReadDataset([]string{filepath.Join(dir, "a.edf"), filepath.Join(dir, "b_eeg.edf")},
		DatasetConfig{Channels: []string{"T3", "T5"}, Notes: &notes})
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
	d, err = ReadDataset([]string{filepath.Join(dir, "a.edf")}, DatasetConfig{Labels: []string{"spike"}, EventsDir: t.TempDir(), Notes: &notes})
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

func TestReadDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.edf")
	writeSession(t, a, simSession(t, 1, [2]float64{60, 40}))
	cfg := simulate.DefaultConfig()
	cfg.Duration, cfg.SampleRate = 60, 256
	b, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	writeSession(t, filepath.Join(dir, "b.edf"), b)
	text := filepath.Join(dir, "c.txt")
	os.WriteFile(text, []byte("1\n2\n"), 0o644)
	for _, c := range []struct {
		paths []string
		cfg   DatasetConfig
		want  string
	}{
		{[]string{a, filepath.Join(dir, "b.edf")}, DatasetConfig{}, "b.edf: 256 Hz, 19 channels; earlier recordings: 128 Hz, 19 channels"},
		{[]string{a}, DatasetConfig{Channels: []string{"Nope"}}, `no channel "Nope"`},
		{[]string{a}, DatasetConfig{Hop: -1}, "hop -1 s: want lengths > 0"},
		{[]string{a}, DatasetConfig{Reference: "bipolar"}, `reference "bipolar"`},
		{[]string{text}, DatasetConfig{}, "c.txt: a plain-text recording carries no sample rate"},
		{[]string{t.TempDir()}, DatasetConfig{}, "no recordings"},
	} {
		_, err := ReadDataset(c.paths, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %+v: error %v, want %q", c.paths, c.cfg, err, c.want)
		}
	}
}

// TestCrossValidate: with at least k recordings the groups are the
// recordings, with fewer they are blocks of windows; too few groups of a
// class skip the estimate. The seizures of simulated sessions are easy to
// tell apart, so the estimate must be high.
func TestCrossValidate(t *testing.T) {
	dir := t.TempDir()
	var ictal []string
	for i, on := range []float64{60, 150, 100, 0, 0} {
		p := filepath.Join(dir, string(rune('a'+i))+".edf")
		if on > 0 {
			writeSession(t, p, simSession(t, uint64(10+i), [2]float64{on, 50}))
			ictal = append(ictal, p)
		} else {
			writeSession(t, p, simSession(t, uint64(10+i)))
		}
	}
	cfg := DatasetConfig{Channels: []string{"T3", "T5", "C3"}}
	all, err := ReadDataset([]string{dir}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	seizureOnly, err := ReadDataset(ictal, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc := TrainConfig{Balanced: true}
	for _, c := range []struct {
		d        *Dataset
		k        int
		grouping string
		skipped  string
	}{
		{all, 5, "grouped by recording", ""},
		{all, 6, "grouped by contiguous blocks of ≤ 4 windows, fewer than 6 recordings", ""},
		{seizureOnly, 3, "", "3 seizure and 0 background groups (need 2 each)"},
	} {
		cv, err := CrossValidate(c.d, tc, c.k, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(cv)
		if cv.Grouping != c.grouping || cv.Skipped != c.skipped {
			t.Errorf("k %d: %+v, want grouping %q, skipped %q", c.k, cv, c.grouping, c.skipped)
		}
		if c.skipped == "" && (cv.Folds != c.k || cv.BalancedAccuracy < 0.9 || cv.AUROC < 0.95) {
			t.Errorf("k %d: %v", c.k, cv)
		}
	}
	if _, err := CrossValidate(all, tc, 1, 1); err == nil {
		t.Error("k 1 accepted")
	}
}

// TestTrainRecordings: the log holds the dataset summary and the
// estimate; a dataset of one class, or one fold, is refused.
func TestTrainRecordings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.edf")
	writeSession(t, path, simSession(t, 3, [2]float64{60, 40}))
	var log, notes strings.Builder
	cfg := TrainRecordingsConfig{Dataset: DatasetConfig{Channels: []string{"T3", "T5"}, Notes: &notes},
		Train: TrainConfig{Balanced: true}, Seed: 1, Log: &log}
	m, err := TrainRecordings([]string{path}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := "1 recordings, 117 windows of 4 s every 2 s at 128 Hz, 2 channels (T3,T5)\n  seizure: 19 windows\n  background: 98 windows\n" +
		"5-fold cross-validated (grouped by contiguous blocks of ≤ 4 windows, fewer than 5 recordings): balanced accuracy "
	if !strings.HasPrefix(log.String(), want) || len(m.Weights) != 34 || notes.Len() != 0 {
		t.Errorf("log\n%s\nwant it to start with\n%s\n%d weights, notes %q", log.String(), want, len(m.Weights), notes.String())
	}
	for _, c := range []struct {
		change func(*TrainRecordingsConfig)
		want   string
	}{
		{func(c *TrainRecordingsConfig) { c.Dataset.Labels = []string{"spike"} }, "need windows of both classes (seizure 0, background 119)"},
		{func(c *TrainRecordingsConfig) { c.Folds = 1 }, "1 folds, want at least 2"},
	} {
		bad := cfg
		c.change(&bad)
		if _, err := TrainRecordings([]string{path}, bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
