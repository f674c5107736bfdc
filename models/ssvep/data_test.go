package ssvep_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/models/ssvep"
)

// Loaders for the shared SSVEP recordings (../shared/data, SOURCES.md
// sections 3-5). Every loader keeps the whole recording in memory (the
// files are a few MB) and cuts trials or windows from it.

// session is one recording cut into labelled trials.
type session struct {
	subject, name string
	rate          float64
	channels      []string
	// trials[i][channel][sample] starts at its stimulus onset plus the
	// loader's delay and lasts the loader's length.
	trials [][][]float64
	// labels[i] indexes the dataset's freqs, or ssvep.Rest.
	labels []int
}

// recording reads every sample of the channels named in picks (all EEG
// channels when picks is nil) and, with mains > 0, removes mains
// interference with a causal notch (dsp.Notch(mains, 30), run over the
// continuous recording from its steady state as the pipeline's notch step
// does).
func recording(t testing.TB, path string, opt open.Options, picks []string, mains float64) (*formats.Info, [][]float64) {
	t.Helper()
	r, err := open.File(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	all := make([][]float64, len(info.Channels))
	for c := range all {
		all[c] = make([]float64, info.NSamples)
	}
	if err := r.ReadSamples(all, 0, info.NSamples); err != nil {
		t.Fatal(err)
	}
	var data [][]float64
	var labels []string
	for c, ch := range info.Channels {
		if picks == nil && ch.Type == formats.EEG || slices.Contains(picks, ch.Label) {
			data = append(data, all[c])
			labels = append(labels, ch.Label)
		}
	}
	if picks != nil && len(labels) != len(picks) {
		t.Fatalf("%s: channels %q, want %q", path, labels, picks)
	}
	if mains > 0 {
		sos, err := dsp.Notch(mains, 30, info.SampleRate)
		if err != nil {
			t.Fatal(err)
		}
		f, err := dsp.NewSOSFilter(sos, len(data), dsp.InitSteady)
		if err != nil {
			t.Fatal(err)
		}
		f.FilterChannels(data, data)
	}
	cp := *info
	cp.Channels = nil
	for _, l := range labels {
		cp.Channels = append(cp.Channels, formats.Channel{Label: l})
	}
	return &cp, data
}

// cut returns data[:, start:start+n] (copied), or nil past the end.
func cut(data [][]float64, start, n int) [][]float64 {
	if start < 0 || start+n > len(data[0]) {
		return nil
	}
	w := make([][]float64, len(data))
	for c := range w {
		w[c] = slices.Clone(data[c][start : start+n])
	}
	return w
}

// eventTrials cuts a trial of length seconds at onset+delay seconds for
// every annotation whose code maps to a label in codes.
func eventTrials(t testing.TB, s *session, info *formats.Info, data [][]float64, codes map[string]int, delay, length float64) {
	t.Helper()
	trials, labels, _ := ssvep.EventTrials(data, info.SampleRate, info.Annotations, codes, delay, length)
	s.trials = append(s.trials, trials...)
	s.labels = append(s.labels, labels...)
}

// Exoskeleton (Kalunga et al. 2016): -eve.fif codes 1 = rest, 2 = 13 Hz,
// 3 = 21 Hz, 4 = 17 Hz; 5 s of stimulation from each event.
var exoFreqs = []float64{13, 17, 21}

var exoCodes = map[string]int{"1": ssvep.Rest, "2": 0, "3": 2, "4": 1}

// exoMains is the mains frequency of the exoskeleton recordings (France;
// a 50 Hz peak shows on O1).
var exoMains = 50.0

// exoSessions loads every exoskeleton session, trials of length seconds
// from stimulus onset plus delay.
func exoSessions(t testing.TB, delay, length float64) []*session {
	t.Helper()
	dir := filepath.Join(testenv.DataDir(t), "ssvep-exoskeleton")
	files, _ := filepath.Glob(filepath.Join(dir, "subject*", "*_raw.fif"))
	if len(files) == 0 {
		t.Fatalf("no exoskeleton recordings in %s", dir)
	}
	sort.Strings(files)
	var out []*session
	for _, f := range files {
		info, data := recording(t, f, open.Options{}, nil, exoMains)
		s := &session{subject: filepath.Base(filepath.Dir(f)), name: filepath.Base(f), rate: info.SampleRate, channels: info.Labels()}
		eventTrials(t, s, info, data, exoCodes, delay, length)
		out = append(out, s)
	}
	return out
}

// Muse (eeg-notebooks): Marker0 1 = 30 Hz, 2 = 20 Hz, 3 s stimuli.
var museFreqs = []float64{30, 20}

var museCodes = map[string]int{"1": 0, "2": 1}

// museMains is the mains frequency of the Muse recordings: a 60 Hz peak
// dominates TP9, and 60 Hz is the 2nd harmonic of 30 Hz and the 3rd of
// 20 Hz, so without a notch it drives the CCA scores of both targets.
var museMains = 60.0

// museSessions loads every Muse file (one session each), trials of length
// seconds from marker onset plus delay, all five electrodes.
func museSessions(t testing.TB, delay, length float64) []*session {
	t.Helper()
	dir := filepath.Join(testenv.DataDir(t), "ssvep-muse-eeg-notebooks")
	files, _ := filepath.Glob(filepath.Join(dir, "subject*", "session*", "*.csv"))
	if len(files) == 0 {
		t.Fatalf("no Muse recordings in %s", dir)
	}
	sort.Strings(files)
	var out []*session
	opt := open.Options{Text: text.Options{TimeColumn: "timestamps", MarkerColumn: "Marker0"}}
	for _, f := range files {
		info, data := recording(t, f, opt, nil, museMains)
		s := &session{subject: filepath.Base(filepath.Dir(filepath.Dir(f))), name: filepath.Base(f), rate: info.SampleRate, channels: info.Labels()}
		eventTrials(t, s, info, data, museCodes, delay, length)
		out = append(out, s)
	}
	return out
}

// Marley DSI-24 (wearable_demo_trial2): one stimulus per file, 300 Hz.
var marleyFreqs = []float64{8, 10, 12}

var marleyFiles = []struct {
	file  string
	label int
}{{"Marley_01_raw.edf", 0}, {"Marley_03_raw.edf", 1}, {"Marley_02_raw.edf", 2}}

// marleyChannels are the posterior electrodes (referenced to Pz).
var marleyChannels = []string{"EEG P3-Pz", "EEG P4-Pz", "EEG O1-Pz", "EEG O2-Pz", "EEG T5-Pz", "EEG T6-Pz"}

// marleySession cuts each stimulus file into consecutive non-overlapping
// windows of length seconds.
func marleySession(t testing.TB, length float64) *session {
	t.Helper()
	dir := filepath.Join(testenv.DataDir(t), "ssvep-marley", "wearable_demo_trial2")
	s := &session{subject: "marley", name: "wearable_demo_trial2"}
	for _, mf := range marleyFiles {
		info, data := recording(t, filepath.Join(dir, mf.file), open.Options{}, marleyChannels, 0)
		s.rate, s.channels = info.SampleRate, info.Labels()
		n := int(math.Round(length * info.SampleRate))
		for start := 0; start+n <= len(data[0]); start += n {
			s.trials = append(s.trials, cut(data, start, n))
			s.labels = append(s.labels, mf.label)
		}
	}
	return s
}

// Marley Emotiv EPOC files: 10, 6.67 (60/9), 7.5 Hz; 128 Hz.
var epocFreqs = []float64{60.0 / 9, 7.5, 10}

var epocFiles = []struct {
	glob  string
	label int
}{{"marley-6.6-*.edf", 0}, {"marley-7.5-*.edf", 1}, {"marley-10-*.edf", 2}}

var epocChannels = []string{"P7", "O1", "O2", "P8"}

func epocSession(t testing.TB, length float64) *session {
	t.Helper()
	dir := filepath.Join(testenv.DataDir(t), "ssvep-marley", "epoc")
	s := &session{subject: "marley", name: "epoc"}
	for _, ef := range epocFiles {
		files, _ := filepath.Glob(filepath.Join(dir, ef.glob))
		if len(files) != 1 {
			t.Fatalf("%s: %d files", ef.glob, len(files))
		}
		info, data := recording(t, files[0], open.Options{}, epocChannels, 0)
		s.rate, s.channels = info.SampleRate, info.Labels()
		n := int(math.Round(length * info.SampleRate))
		for start := 0; start+n <= len(data[0]); start += n {
			s.trials = append(s.trials, cut(data, start, n))
			s.labels = append(s.labels, ef.label)
		}
	}
	return s
}

// truncate returns trials cut to their first n samples (shared backing).
func truncate(trials [][][]float64, n int) [][][]float64 {
	out := make([][][]float64, len(trials))
	for i, tr := range trials {
		out[i] = make([][]float64, len(tr))
		for c := range tr {
			out[i][c] = tr[c][:n]
		}
	}
	return out
}

// scorer is what every decoder offers.
type scorer interface {
	Scores(dst []float64, x [][]float64) ([]float64, error)
}

// scoreAll scores every trial.
func scoreAll(t testing.TB, d scorer, trials [][][]float64) [][]float64 {
	t.Helper()
	out := make([][]float64, len(trials))
	for i, tr := range trials {
		s, err := d.Scores(nil, tr)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

// tally counts correct decisions.
type tally struct{ correct, total int }

func (a *tally) add(ok bool) {
	a.total++
	if ok {
		a.correct++
	}
}

func (a tally) acc() float64 {
	if a.total == 0 {
		return math.NaN()
	}
	return float64(a.correct) / float64(a.total)
}

func (a tally) String() string { return fmt.Sprintf("%d/%d", a.correct, a.total) }
