package analyze

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/formats/formatstest"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/simulate"
)

func eeg(labels ...string) []formats.Channel {
	var chs []formats.Channel
	for _, l := range labels {
		chs = append(chs, formats.Channel{Label: l, Type: formats.EEG, Unit: "V"})
	}
	return chs
}

// TestMatchMontage: labels match ignoring case, blanks, an "EEG " prefix
// and PhysioNet's dots; T7/T8/P7/P8 stand for T3/T4/T5/T6 only where the
// old name is absent; a label found twice, a non-EEG channel and a
// derivation ("O1-Pz") do not match.
func TestMatchMontage(t *testing.T) {
	want := []string{"Fp1", "T3", "T5", "O1"}
	for _, tc := range []struct {
		name             string
		chs              []formats.Channel
		labels, renamed  []string
		missing          []string
		missingSubstring string
	}{
		{name: "exact", chs: eeg("O1", "T5", "T3", "Fp1", "Cz"), labels: []string{"Fp1", "T3", "T5", "O1"}},
		{name: "case, prefix, dots", chs: eeg("FP1", "EEG T3", "t5..", " O1 "), labels: []string{"FP1", "EEG T3", "t5..", " O1 "}},
		{name: "10-10 names", chs: eeg("Fp1", "T7", "P7", "O1"), labels: []string{"Fp1", "T7", "P7", "O1"}, renamed: []string{"T7 for T3", "P7 for T5"}},
		{name: "old name first", chs: eeg("Fp1", "T7", "T3", "T5", "O1"), labels: []string{"Fp1", "T3", "T5", "O1"}},
		{name: "twice", chs: eeg("Fp1", "FP1", "T3", "T5", "O1"), labels: []string{"T3", "T5", "O1"}, missing: []string{"Fp1 (ambiguous: Fp1, FP1)"}},
		{name: "not eeg", chs: append(eeg("Fp1", "T3", "T5"), formats.Channel{Label: "O1", Type: formats.Misc}), labels: []string{"Fp1", "T3", "T5"}, missing: []string{"O1"}},
		{name: "derivation", chs: eeg("EEG Fp1-Pz", "T3", "T5", "O1-Pz"), labels: []string{"T3", "T5"}, missing: []string{"Fp1", "O1"}},
	} {
		labels, renamed, missing := MatchMontage(tc.chs, want)
		if !slices.Equal(labels, tc.labels) || !slices.Equal(renamed, tc.renamed) || !slices.Equal(missing, tc.missing) {
			t.Errorf("%s: labels %q renamed %q missing %q; want %q %q %q", tc.name, labels, renamed, missing, tc.labels, tc.renamed, tc.missing)
		}
	}
}

// writeSim writes a simulated EEG recording as EDF+ and returns its path.
func writeSim(t *testing.T, cfg simulate.Config, recordSeconds float64) string {
	t.Helper()
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := filepath.Join(t.TempDir(), "rec.edf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := edf.WriteRecording(f, s, edf.WriteOptions{RecordDuration: recordSeconds}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs a planned pipeline to the end and returns its summary.
func run(t *testing.T, c *config.Config) *config.Built {
	t.Helper()
	b, err := c.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pipeline.New(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if errs := b.Source.Errors(); len(errs) > 0 {
		t.Fatalf("recordings skipped: %v", errs)
	}
	return b
}

// TestPlanResampledSeizure: a 300 Hz recording whose 10-20 channels carry
// 10-10 names, with two more EEG channels, gets the seizure
// pipeline resampled by 64/75 to the model's 256 Hz, its channels in the
// model's order and the other EEG channels left out of the average
// reference; run, it finds the simulated seizure at 60–100 s. The spectral
// pipeline runs on the recording as it is (300 Hz, all 21 channels).
func TestPlanResampledSeizure(t *testing.T) {
	labels := []string{"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2", "Oz", "Fpz"}
	cfg := simulate.DefaultConfig()
	cfg.SampleRate, cfg.Duration, cfg.Seed = 300, 180, 3
	cfg.Montage.Labels = labels
	cfg.Seizures.Enabled, cfg.Seizures.Events = true, []simulate.SeizureEvent{{Onset: 60, Duration: 40}}
	path := writeSim(t, cfg, 1)
	out := t.TempDir()
	p, err := New(path, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if p.Seizure == nil {
		t.Fatalf("no seizure pipeline: %s", p.SeizureSkipped)
	}
	notes := strings.Join(p.SeizureNotes, "\n")
	for _, want := range []string{"from 300 Hz to the model's 256 Hz (×64/75", "the other 2 EEG channels left out", "T7 for T3, T8 for T4, P7 for T5, P8 for T6"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if got := p.Seizure.Stages[0].Options["channels"]; !slices.Equal(got.([]string), labels[:19]) {
		t.Errorf("seizure channels %v", got)
	}
	if _, err := os.Stat(filepath.Join(out, "seizure", "seizure-sim.json")); err != nil {
		t.Errorf("the model is not in the output: %v", err)
	}

	sz := run(t, p.Seizure).Summary.Seizures()
	if len(sz) != 1 || len(sz[0].Events) != 1 {
		t.Fatalf("seizure summary %+v, want one event", sz)
	}
	if e := sz[0].Events[0]; e.Onset < 55 || e.Onset > 75 || e.Offset < 90 || e.Offset > 115 {
		t.Errorf("event %.1f–%.1f s, want about 60–100 s", e.Onset, e.Offset)
	}
	if caution, err := p.SeizureCaution(); err != nil || caution != "" {
		t.Errorf("caution %q, %v for a 40 s seizure in 180 s", caution, err)
	}
	// The same file with the event widened to 150 s of the 180: cautioned.
	files, _ := filepath.Glob(filepath.Join(p.Seizure.Output.SzCORE, "*_events.tsv"))
	if len(files) != 1 {
		t.Fatalf("annotation files %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	f := strings.Split(lines[1], "\t")
	f[0], f[1] = "10", "150"
	lines[1] = strings.Join(f, "\t")
	if err := os.WriteFile(files[0], []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if caution, err := p.SeizureCaution(); err != nil || !strings.Contains(caution, "the events cover 83% of the recording") {
		t.Errorf("caution %q, %v for 150 s of seizure in 180 s", caution, err)
	}

	ss := run(t, p.Spectral).Summary.Sessions()
	if len(ss) != 1 || ss[0].Channels != 21 || ss[0].Windows != 179 || len(ss[0].Bands) != 5 {
		t.Fatalf("spectral summary %+v", ss)
	}
	for _, b := range ss[0].Bands {
		if !(b.Power > 0) {
			t.Errorf("band %s: power %g", b.Band, b.Power)
		}
	}
}

// TestPlanSkipsSeizure: without the 19 channels, at a rate with no small
// ratio to 256 Hz, or shorter than the model's window, the seizure
// pipeline is skipped, saying why; the spectral one still runs.
func TestPlanSkipsSeizure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     float64
		duration float64
		labels   []string
		why      string
	}{
		{"montage", 256, 10, []string{"Fp1", "Fp2", "O1", "O2"}, "this recording lacks F7, F3"},
		{"rate", 256.5, 10, nil, "256.5 Hz cannot be resampled to it"},
		{"short", 256, 3, nil, "3 s of signal is shorter than the model's 4 s window"},
	} {
		record := 1.0
		if tc.rate != float64(int(tc.rate)) {
			record = 2 // whole samples per record
		}
		cfg := simulate.DefaultConfig()
		cfg.SampleRate, cfg.Duration = tc.rate, tc.duration
		cfg.Montage.Labels = tc.labels
		p, err := New(writeSim(t, cfg, record), Options{Out: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Seizure != nil || !strings.Contains(p.SeizureSkipped, tc.why) {
			t.Errorf("%s: skipped %q, want it to say %q", tc.name, p.SeizureSkipped, tc.why)
		}
		if p.Spectral == nil {
			t.Errorf("%s: no spectral pipeline", tc.name)
		}
	}
}

// TestPlanErrors: a plain-text recording without a rate is an option
// error; a recording shorter than the analysis window, or one whose SSVEP
// channel is not there, fails its plan naming the problem.
func TestPlanErrors(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "x.txt")
	os.WriteFile(txt, []byte(strings.Repeat("1\n", 1000)), 0o644)
	var oe *OptionError
	if _, err := New(txt, Options{Out: dir, TextNames: config.TextOptionNames{SampleRate: "--rate"}}); !errors.As(err, &oe) || !strings.Contains(err.Error(), "give it with --rate") {
		t.Errorf("text without a rate: %v", err)
	}
	if _, err := New(txt, Options{Out: dir, SampleRate: 1000}); err == nil || !strings.Contains(err.Error(), "1 s of signal, shorter than the 2 s analysis window") {
		t.Errorf("short: %v", err)
	}
	if p, err := New(txt, Options{Out: dir, SampleRate: 100}); err != nil || p.Seizure != nil {
		t.Errorf("10 s at 100 Hz: %v", err)
	}
	cfg := simulate.DefaultConfig()
	cfg.Duration = 10
	if _, err := New(writeSim(t, cfg, 1), Options{Out: dir, SSVEPFrequencies: []float64{8, 10}, SSVEPChannels: []string{"Oz"}}); err == nil || !strings.Contains(err.Error(), `stages[1] (ssvep): ssvep: channels: channel "Oz" is not in this session`) {
		t.Errorf("missing SSVEP channel: %v", err)
	}
}

// TestPlanRealRecordings: the PhysioNet motor-imagery EDF (160 Hz, 64
// channels labelled "Fp1.", "T7..") gets the seizure pipeline resampled by
// 8/5 with its 10-10 names; the DSI-24 recording's "EEG O1-Pz"
// derivations do not match and say so.
func TestPlanRealRecordings(t *testing.T) {
	data := formatstest.DataDir(t)
	p, err := New(filepath.Join(data, "eegmmidb-motor-imagery", "S001", "S001R04.edf"), Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Seizure == nil || !slices.Contains(p.SeizureNotes, "channels T7.. for T3, T8.. for T4, P7.. for T5, P8.. for T6") ||
		!strings.Contains(strings.Join(p.SeizureNotes, "\n"), "×8/5") {
		t.Errorf("eegmmidb: %q %q", p.SeizureSkipped, p.SeizureNotes)
	}
	p, err = New(filepath.Join(data, "ssvep-marley", "wearable_demo_trial2", "Marley_01_raw.edf"), Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Seizure != nil || !strings.Contains(p.SeizureSkipped, "has none of them among its EEG channels (EEG P3-Pz") {
		t.Errorf("marley: %q", p.SeizureSkipped)
	}
}

func TestOutDirs(t *testing.T) {
	paths := []string{"a/rec.edf", "b/rec.edf", "c/x_raw.fif"}
	for _, tc := range []struct {
		out  string
		in   []string
		want []string
	}{
		{"", paths, []string{"out/analyze-rec", "out/analyze-rec-2", "out/analyze-x"}},
		{"res", paths[:1], []string{"res"}},
		{"res", paths, []string{"res/rec", "res/rec-2", "res/x"}},
	} {
		if got := OutDirs(tc.out, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("OutDirs(%q, %q) = %q, want %q", tc.out, tc.in, got, tc.want)
		}
	}
}
