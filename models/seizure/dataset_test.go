package seizure

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
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

// simDataset cuts 4 s windows every 2 s from the channels of simulated
// sessions and labels them by their seizure annotations, as
// pipeline/train does from recordings (which tests it against the
// stage).
func simDataset(t *testing.T, channels []string, sessions ...*simulate.Session) *Dataset {
	t.Helper()
	d := &Dataset{Window: 4, Hop: 2, Channels: channels}
	for r, s := range sessions {
		info := s.Info()
		all, err := formats.ReadAll(s)
		if err != nil {
			t.Fatal(err)
		}
		x := make([][]float64, len(channels))
		for i, l := range channels {
			x[i] = all[slices.Index(info.Labels(), l)]
		}
		ex, err := NewExtractor(FeatureConfig{SampleRate: info.SampleRate, WindowLen: int(4 * info.SampleRate), Channels: len(channels)})
		if err != nil {
			t.Fatal(err)
		}
		d.Features = ex.Config()
		spans := SeizureSpans(info.Annotations, []string{"seizure"}, nil)
		wlen, hop := d.Features.WindowLen, int(2*info.SampleRate)
		win := make([][]float64, len(x))
		for k, start := 0, 0; start+wlen <= len(x[0]); k, start = k+1, start+hop {
			c := WindowClass(float64(start)/info.SampleRate, float64(start+wlen)/info.SampleRate, spans)
			if c < 0 {
				continue
			}
			for i := range x {
				win[i] = x[i][start : start+wlen]
			}
			d.X, d.Y = append(d.X, ex.Features(nil, win)), append(d.Y, c == 1)
			d.Recording, d.Position = append(d.Recording, r), append(d.Position, k)
		}
		d.Recordings++
	}
	return d
}

func TestMergeSpansAndWindowClass(t *testing.T) {
	got := mergeSpans([]Span{{50, 60}, {10, 20}, {20, 25}, {55, 58}, {30, 31}})
	if want := []Span{{10, 25}, {30, 31}, {50, 60}}; !slices.Equal(got, want) {
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
		if got := WindowClass(c.t0, c.t1, []Span{{10, 25}, {30, 31}, {50, 60}}); got != c.want {
			t.Errorf("window [%v, %v): class %d, want %d", c.t0, c.t1, got, c.want)
		}
	}
}

// TestSeizureSpans: annotations with a label (any case, spaces trimmed)
// and seizure rows of the events file, merged; other rows ignored.
func TestSeizureSpans(t *testing.T) {
	ann := []formats.Annotation{{Onset: 10, Duration: 5, Description: " Seizure "}, {Onset: 30, Duration: 1, Description: "spike"}}
	ev := []szcore.Event{{Onset: 14, Duration: 6, EventType: "sz_foc_ia"}, {Onset: 50, Duration: 10, EventType: "bckg"}}
	if got, want := SeizureSpans(ann, []string{"seizure"}, ev), []Span{{10, 20}}; !slices.Equal(got, want) {
		t.Errorf("spans %v, want %v", got, want)
	}
}

func TestEventsFile(t *testing.T) {
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
		got := EventsFile(filepath.Join(dir, c.rec), c.dir)
		if want := filepath.Join(dir, c.want); got != want && (c.want != "" || got != "") {
			t.Errorf("%s in %q: %q, want %q", c.rec, c.dir, got, c.want)
		}
	}
}

// TestCrossValidate: with at least k recordings the groups are the
// recordings, with fewer they are blocks of windows; too few groups of a
// class skip the estimate. The seizures of simulated sessions are easy to
// tell apart, so the estimate must be high.
func TestCrossValidate(t *testing.T) {
	var all, ictal []*simulate.Session
	for i, on := range []float64{60, 150, 100, 0, 0} {
		if on > 0 {
			s := simSession(t, uint64(10+i), [2]float64{on, 50})
			all, ictal = append(all, s), append(ictal, s)
		} else {
			all = append(all, simSession(t, uint64(10+i)))
		}
	}
	channels := []string{"T3", "T5", "C3"}
	allData, seizureOnly := simDataset(t, channels, all...), simDataset(t, channels, ictal...)
	tc := TrainConfig{Balanced: true}
	for _, c := range []struct {
		d        *Dataset
		k        int
		grouping string
		skipped  string
	}{
		{allData, 5, "grouped by recording", ""},
		{allData, 6, "grouped by contiguous blocks of ≤ 4 windows, fewer than 6 recordings", ""},
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
	if _, err := CrossValidate(allData, tc, 1, 1); err == nil {
		t.Error("k 1 accepted")
	}
}

// TestTrainDataset: the log holds the dataset summary and the estimate;
// a dataset of one class, or one fold, is refused.
func TestTrainDataset(t *testing.T) {
	d := simDataset(t, []string{"T3", "T5"}, simSession(t, 3, [2]float64{60, 40}))
	var log, notes strings.Builder
	cfg := TrainDatasetConfig{Train: TrainConfig{Balanced: true}, Seed: 1, Log: &log, Notes: &notes}
	m, err := TrainDataset(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := "1 recordings, 117 windows of 4 s every 2 s at 128 Hz, 2 channels (T3,T5)\n  seizure: 19 windows\n  background: 98 windows\n" +
		"5-fold cross-validated (grouped by contiguous blocks of ≤ 4 windows, fewer than 5 recordings): balanced accuracy "
	if !strings.HasPrefix(log.String(), want) || len(m.Weights) != 34 || notes.Len() != 0 {
		t.Errorf("log\n%s\nwant it to start with\n%s\n%d weights, notes %q", log.String(), want, len(m.Weights), notes.String())
	}
	background := *d
	background.Y = make([]bool, len(d.Y))
	if _, err := TrainDataset(&background, cfg); err == nil || !strings.Contains(err.Error(), "need windows of both classes (seizure 0, background 117)") {
		t.Errorf("one class: %v", err)
	}
	cfg.Folds = 1
	if _, err := TrainDataset(d, cfg); err == nil || !strings.Contains(err.Error(), "1 folds, want at least 2") {
		t.Errorf("one fold: %v", err)
	}
}
