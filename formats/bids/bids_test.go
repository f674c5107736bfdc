package bids

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/simulate"
)

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		name string
		want Entities
		ext  string
		err  string
	}{
		{"sub-01_ses-01_task-szMonitoring_run-00_eeg.edf", Entities{"01", "01", "szMonitoring", "", "00"}, ".edf", ""},
		{"sub-p7_task-rest_eeg.BDF", Entities{Subject: "p7", Task: "rest"}, ".bdf", ""},
		{"sub-01_task-rest_acq-hd_run-2_eeg.vhdr", Entities{Subject: "01", Task: "rest", Acquisition: "hd", Run: "2"}, ".vhdr", ""},
		{"sub-01_task-rest_eeg.set", Entities{Subject: "01", Task: "rest"}, ".set", ""},
		{"sub-01_task-rest_eeg.json", Entities{}, "", `extension ".json" is not a BIDS EEG data format`},
		{"sub-01_task-rest_ieeg.edf", Entities{}, "", "must end in _eeg.edf"},
		{"sub-01_task-rest.edf", Entities{}, "", "must end in _eeg.edf"},
		{"sub-01_ses-01_eeg.edf", Entities{}, "", "task- entity is missing"},
		{"ses-01_task-rest_eeg.edf", Entities{}, "", "sub- entity is missing"},
		{"task-rest_sub-01_eeg.edf", Entities{}, "", "sub- is repeated or out of order"},
		{"sub-01_run-1_task-rest_eeg.edf", Entities{}, "", "task- is repeated or out of order"},
		{"sub-01_sub-02_task-rest_eeg.edf", Entities{}, "", "sub- is repeated"},
		{"sub-01_task-rest_foo-1_eeg.edf", Entities{}, "", `entity "foo" is not one of`},
		{"sub-01_task-rest_recording_eeg.edf", Entities{}, "", `"recording" is not a key-value entity`},
		{"sub-01_task-_eeg.edf", Entities{}, "", "task- has an empty value"},
		{"sub-0.1_task-rest_eeg.edf", Entities{}, "", "sub-0.1: a label is letters and digits only"},
		{"sub-01_task-rest_run-a_eeg.edf", Entities{}, "", "run-a: a run is an index, digits only"},
	} {
		e, ext, err := ParseName(c.name)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err == "" && (e != c.want || ext != c.ext):
			t.Errorf("%s: %+v %q, want %+v %q", c.name, e, ext, c.want, c.ext)
		case c.err == "" && e.ID()+"_eeg" != c.name[:len(c.name)-len(ext)]:
			t.Errorf("%s: ID %q does not rebuild the name", c.name, e.ID())
		}
	}
}

// writeEDF writes a simulated session of dur seconds, with a seizure at
// 20–35 s when seizure is set, as EDF+ at path.
func writeEDF(t *testing.T, path string, dur float64, seizure bool) {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.SampleRate, cfg.Duration = 128, dur
	cfg.Montage.Labels = []string{"Fp1", "Fp2", "T3", "T4"}
	if seizure {
		cfg.Seizures.Enabled = true
		cfg.Seizures.Events = []simulate.SeizureEvent{{Onset: 20, Duration: 15}}
	}
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := edf.WriteRecording(f, s, edf.WriteOptions{RecordDuration: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWalk builds a small dataset: two subjects, sessions and none,
// recordings with and without events, sidecars, companion files, and
// folders that are not EEG.
func TestWalk(t *testing.T) {
	root := t.TempDir()
	j := func(p ...string) string { return filepath.Join(append([]string{root}, p...)...) }
	eeg1 := j("sub-01", "ses-01", "eeg", "sub-01_ses-01_task-szMonitoring_run-00_eeg.edf")
	writeEDF(t, eeg1, 60, true)
	ev1 := j("sub-01", "ses-01", "eeg", "sub-01_ses-01_task-szMonitoring_run-00_events.tsv")
	if err := szcore.WriteFile(ev1, []szcore.Event{{Onset: 20, Duration: 15, EventType: "sz", Confidence: 1, RecordingDuration: 60}}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, j("sub-01", "ses-01", "eeg", "sub-01_ses-01_task-szMonitoring_run-00_eeg.json"), "{}")
	writeFile(t, j("sub-01", "ses-01", "eeg", "sub-01_ses-01_task-szMonitoring_run-00_channels.tsv"), "name\ttype\nFp1\tEEG\n")
	writeFile(t, j("sub-01", "sub-01_sessions.tsv"), "session_id\nses-01\n")
	eeg2 := j("sub-01", "ses-02", "eeg", "sub-01_ses-02_task-szMonitoring_run-01_eeg.edf")
	writeEDF(t, eeg2, 30, false)
	writeFile(t, j("sub-01", "ses-03", "anat", "sub-01_ses-03_T1w.nii"), "x")
	eeg3 := j("sub-02", "eeg", "sub-02_task-rest_eeg.edf")
	writeEDF(t, eeg3, 30, false)
	writeFile(t, j("sub-02", "eeg", "sub-02_task-rest_events.tsv"),
		"onset\tduration\teventType\trecordingDuration\n0\t30\tbckg\t30\n")
	writeFile(t, j("sub-02", "eeg", "notes.txt"), "not a recording")
	writeFile(t, j("derivatives", "sub-09", "eeg", "garbage_eeg.edf"), "x")
	writeFile(t, j("participants.tsv"), "participant_id\nsub-01\nsub-02\n")

	recs, err := Walk(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, eeg, events string }{
		{"sub-01_ses-01_task-szMonitoring_run-00", eeg1, ev1},
		{"sub-01_ses-02_task-szMonitoring_run-01", eeg2, ""},
		{"sub-02_task-rest", eeg3, j("sub-02", "eeg", "sub-02_task-rest_events.tsv")},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d recordings %+v, want %d", len(recs), recs, len(want))
	}
	for i, w := range want {
		if r := recs[i]; r.ID() != w.id || r.EEG != w.eeg || r.Events != w.events {
			t.Errorf("recording %d: %s %s %q, want %s %s %q", i, r.ID(), r.EEG, r.Events, w.id, w.eeg, w.events)
		}
	}
	if r := recs[0]; r.Subject != "01" || r.Session != "01" || r.Task != "szMonitoring" || r.Run != "00" {
		t.Errorf("entities %+v", r.Entities)
	}
	// The listed files are the recording and its annotations.
	ev, err := recs[0].ReadEvents()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := open.File(recs[0].EEG, open.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if len(ev) != 1 || ev[0].RecordingDuration != rec.Info().Duration() || len(rec.Info().Channels) != 4 {
		t.Errorf("events %+v for a recording of %v s with %d channels", ev, rec.Info().Duration(), len(rec.Info().Channels))
	}
	if ev, err := recs[1].ReadEvents(); ev != nil || err != nil {
		t.Errorf("recording without events file: %v, %v", ev, err)
	}
}

func TestWalkErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []string
		want  string
	}{
		{"not a dataset", []string{"data/x_eeg.edf"}, "no sub-* folders"},
		{"bad name", []string{"sub-01/eeg/sub-01_rest_eeg.edf"}, `sub-01/eeg/sub-01_rest_eeg.edf: "rest" is not a key-value entity`},
		{"no eeg suffix", []string{"sub-01/eeg/recording.edf"}, "sub-01/eeg/recording.edf: name must end in _eeg.edf"},
		{"subject mismatch", []string{"sub-01/eeg/sub-02_task-rest_eeg.edf"}, "sub-02 in the name, but the file is in folder sub-01"},
		{"session mismatch", []string{"sub-01/ses-01/eeg/sub-01_ses-02_task-rest_eeg.edf"}, "ses-02 in the name, but the file is in folder ses-01"},
		{"session missing in name", []string{"sub-01/ses-01/eeg/sub-01_task-rest_eeg.edf"}, "no ses- entity in the name, but the file is in folder ses-01"},
		{"session without folder", []string{"sub-01/eeg/sub-01_ses-01_task-rest_eeg.edf"}, "not in a ses-01 folder"},
		{"bad subject folder", []string{"sub-0_1/eeg/x.json"}, "folder sub-0_1: a subject label"},
		{"duplicate", []string{"sub-01/eeg/sub-01_task-rest_eeg.edf", "sub-01/eeg/sub-01_task-rest_eeg.bdf"}, "are the same recording (sub-01_task-rest)"},
	} {
		root := t.TempDir()
		for _, f := range c.files {
			writeFile(t, filepath.Join(root, filepath.FromSlash(f)), "x")
		}
		_, err := Walk(root)
		if err == nil || !strings.Contains(filepath.ToSlash(err.Error()), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// sub-* folders without recordings are a dataset with nothing in it.
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "sub-01", "anat", "x.nii"), "x")
	if recs, err := Walk(root); err != nil || len(recs) != 0 {
		t.Errorf("empty dataset: %v, %v", recs, err)
	}
}

// FuzzParseName: any name parses or is refused, never panics; a parsed
// one starts with its ID.
func FuzzParseName(f *testing.F) {
	f.Add("sub-01_ses-01_task-szMonitoring_run-00_eeg.edf")
	f.Add("sub-x_task-a_acq-b_eeg.bdf")
	f.Add("sub-01__eeg.edf")
	f.Fuzz(func(t *testing.T, name string) {
		e, rest, err := ParseName(name)
		if err != nil {
			return
		}
		if !strings.HasPrefix(name, e.ID()) {
			t.Errorf("%q parsed to %+v (ID %q), rest %q", name, e, e.ID(), rest)
		}
	})
}
