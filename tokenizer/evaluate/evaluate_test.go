package evaluate_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus"
	"github.com/neurostream/neurostream/tokenizer/corpus/corpustest"
	"github.com/neurostream/neurostream/tokenizer/evaluate"
)

// ssvepData writes 3 simulated SSVEP sessions and trains a 128-token
// vocabulary on them; it returns the folder and the vocabulary file.
func ssvepData(t *testing.T) (rec, vocab string) {
	t.Helper()
	dir := t.TempDir()
	rec = filepath.Join(dir, "rec")
	corpustest.WriteSSVEP(t, rec, 3)
	cfg := corpus.TrainConfig{Input: corpus.Input{Paths: []string{rec}}}
	cfg.Size, cfg.Seed = 128, 1
	tr, err := corpus.Train(cfg)
	if err != nil {
		t.Fatal(err)
	}
	vocab = filepath.Join(dir, "v.arrow")
	if err := tr.Vocabulary.WriteFile(vocab); err != nil {
		t.Fatal(err)
	}
	return rec, vocab
}

// TestRun reports on simulated SSVEP sessions, where the 8 Hz and 15 Hz
// trials differ in spectrum: tokens and band powers must both separate
// them, with the vocabulary given and retrained per fold.
func TestRun(t *testing.T) {
	rec, vocab := ssvepData(t)
	cfg := evaluate.Config{
		Input:     corpus.Input{Paths: []string{rec}, Channels: []string{"O1", "O2", "Pz", "P3", "P4"}},
		VocabFile: vocab,
		Labels:    "ssvep/8Hz=8Hz,ssvep/15Hz=15Hz",
		Seed:      1,
		Lambdas:   []float64{0.01, 1},
	}
	for _, refit := range []bool{false, true} {
		cfg.Refit = refit
		r, out := runReport(t, cfg)
		for _, want := range []string{"3 recordings, 2 classes (8Hz ", "3-fold cross-validation over recordings (recordings hold several classes, not stratified, leave-one-recording-out)",
			"perplexity", "mutual information", "Miller–Madow", "penalty from [0.01 1] by 3-fold inner CV"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("report lacks %q", want)
			}
		}
		if strings.Contains(out.String(), "vocabulary retrained in every fold") != refit {
			t.Errorf("refit %v, report:\n%s", refit, out.String())
		}
		if r.Folds != 3 || !r.Mixed || !r.LeaveOneOut || r.Recordings != 3 || r.Examples != r.PerClass[0]+r.PerClass[1] || r.Vocabulary.Size() != 128 {
			t.Errorf("report %+v", r)
		}
		names := []string{"tokens (tokens+cells+bigrams)", "tokens (levels)", "tokens (tokens+cells+bigrams) × (levels)", "band power (log10)", "band power (relative)"}
		if len(r.Results) != len(names) {
			t.Fatalf("%d results", len(r.Results))
		}
		if len(r.LevelInformation) != tokenizer.NumBands || r.LevelInformation[0].N != r.Tokens || !strings.Contains(out.String(), "mutual information power level;label, excess over shuffled example labels per band: delta ") ||
			!strings.Contains(out.String(), "16 power levels per band (eeg)") || !strings.Contains(out.String(), "A × B: product of two classifiers") {
			t.Errorf("power levels missing from the report")
		}
		for i, res := range r.Results {
			if res.Features != names[i] || len(res.Lambdas) != 3 || (res.LevelLambdas != nil) != (i == 2) || (i == 2 && len(res.LevelLambdas) != 3) {
				t.Errorf("result %d: %+v", i, res)
			}
			if res.Kappa < 0.5 {
				t.Errorf("%s: kappa %.3f on an easy task", res.Features, res.Kappa)
			}
			if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(res.Features) + ` +-?[0-9.]+ +[0-9.]+ \[`).MatchString(out.String()) {
				t.Errorf("no row %s", res.Features)
			}
		}
	}
}

// TestRunDeterministic: the same inputs give the same report whatever
// GOMAXPROCS, with a vocabulary given in memory and pooled channels.
func TestRunDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("short: two more reports")
	}
	rec, vocab := ssvepData(t)
	v, err := tokenizer.ReadFile(vocab)
	if err != nil {
		t.Fatal(err)
	}
	cfg := evaluate.Config{Input: corpus.Input{Paths: []string{rec}}, Vocabulary: v, Labels: "ssvep/8Hz=a,ssvep/11Hz=b,ssvep/15Hz=c",
		Folds: 2, InnerFolds: 2, Seed: 7, PoolChannels: true, TokenFeatures: []string{"cells"}}
	var reports [2]*evaluate.Report
	for i, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		old := runtime.GOMAXPROCS(procs)
		reports[i], err = evaluate.Run(cfg)
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(reports[0], reports[1]) {
		t.Errorf("GOMAXPROCS 1 and %d differ:\n%+v\n%+v", runtime.GOMAXPROCS(0), reports[0], reports[1])
	}
	r := reports[0]
	if r.Folds != 2 || r.LeaveOneOut || r.Results[0].Features != "tokens (cells)" || len(r.Lambdas) != 6 || len(r.Classes) != 3 {
		t.Errorf("report %+v", r)
	}
}

// TestConfigErrors: a bad configuration is refused naming its field,
// before any recording is read.
func TestConfigErrors(t *testing.T) {
	in := corpus.Input{Paths: []string{filepath.Join(t.TempDir(), "missing")}}
	ok := evaluate.Config{Input: in, VocabFile: "../testdata/vocab-sim.arrow", Labels: "folder"}
	for _, tc := range []struct {
		edit  func(*evaluate.Config)
		field string
		want  string
	}{
		{func(c *evaluate.Config) { c.VocabFile = "" }, "evaluate.Config.VocabFile", "give evaluate.Config.VocabFile"},
		{func(c *evaluate.Config) { c.VocabFile = "missing.arrow" }, "evaluate.Config.VocabFile", "evaluate.Config.VocabFile: "},
		{func(c *evaluate.Config) { c.Folds = 1 }, "evaluate.Config.Folds", "evaluate.Config.Folds 1: want at least 2"},
		{func(c *evaluate.Config) { c.InnerFolds = -3 }, "evaluate.Config.InnerFolds", "-3: want at least 2"},
		{func(c *evaluate.Config) { c.Lambdas = []float64{1, 0} }, "evaluate.Config.Lambdas", "evaluate.Config.Lambdas: 0 is not a positive penalty"},
		{func(c *evaluate.Config) { c.TokenFeatures = []string{"tokens", "words"} }, "evaluate.Config.TokenFeatures", `"words": want tokens, cells, bigrams, levels or level-cells`},
		{func(c *evaluate.Config) { c.TokenFeatures = []string{"tokens", "level-cells"} }, "evaluate.Config.TokenFeatures",
			"evaluate.Config.TokenFeatures level-cells: the vocabulary has no power levels (a version 1 file)"},
		{func(c *evaluate.Config) { c.Labels = "" }, "evaluate.Config.Labels", "give evaluate.Config.Labels: folder, or"},
		{func(c *evaluate.Config) { c.Labels = "T0=rest,T1" }, "evaluate.Config.Labels", `"T1": want DESC=CLASS`},
		{func(c *evaluate.Config) { c.Labels = "T0=rest,T0=imagery" }, "evaluate.Config.Labels", `description "T0" given twice`},
		{func(c *evaluate.Config) { c.Labels = "T1=imagery,T2=imagery" }, "evaluate.Config.Labels", "give at least two classes"},
		{func(*evaluate.Config) {}, "corpus.Input.Paths", "missing: stat"},
	} {
		cfg := ok
		tc.edit(&cfg)
		_, err := evaluate.Run(cfg)
		var fe *corpus.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want a %s error with %q", err, tc.field, tc.want)
		}
	}
}

// TestRunTestData trains the classifiers on two recordings and tests them
// on a third: the report counts and measures the test data only, the
// same report as cross-validation would not be, and bad test paths are
// named.
func TestRunTestData(t *testing.T) {
	rec, vocab := ssvepData(t)
	in := corpus.Input{Paths: []string{filepath.Join(rec, "s0.edf"), filepath.Join(rec, "s1.edf")}, Channels: []string{"O1", "O2", "Pz"}}
	cfg := evaluate.Config{Input: in, TestPaths: []string{filepath.Join(rec, "s2.edf")}, VocabFile: vocab,
		Labels: "ssvep/8Hz=8Hz,ssvep/15Hz=15Hz", Seed: 1, Lambdas: []float64{0.01, 1}, Refit: true}
	r, out := runReport(t, cfg)
	// The test recording alone, cross-validated over nothing: count its
	// examples with a report on all three.
	all, err := evaluate.Run(evaluate.Config{Input: corpus.Input{Paths: []string{rec}, Channels: in.Channels}, VocabFile: vocab,
		Labels: cfg.Labels, Seed: 1, Lambdas: []float64{0.01, 1}, TokenFeatures: []string{"cells"}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Test || r.Recordings != 1 || r.TrainRecordings != 2 || r.Examples+r.TrainExamples != all.Examples || r.Examples == 0 || r.Folds != 1 {
		t.Errorf("test report %+v; %d examples in all", r, all.Examples)
	}
	// The vocabulary measured is the one retrained on the two training
	// recordings: fewer motifs than the file's three.
	if r.Vocabulary.Provenance.Motifs >= all.Vocabulary.Provenance.Motifs || r.Vocabulary.Provenance.Motifs == 0 {
		t.Errorf("vocabulary of %d motifs, the file's %d", r.Vocabulary.Provenance.Motifs, all.Vocabulary.Provenance.Motifs)
	}
	for _, want := range []string{"training data: ", "test data: ", "trained on the training data, tested on the test data", "vocabulary retrained on the training recordings only"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, res := range r.Results {
		if len(res.Lambdas) != 1 || res.Kappa < 0.5 {
			t.Errorf("%s: kappa %.3f, λ %v", res.Features, res.Kappa, res.Lambdas)
		}
	}
	cfg.TestPaths = []string{filepath.Join(rec, "missing")}
	var fe *corpus.FieldError
	if _, err := evaluate.Run(cfg); !errors.As(err, &fe) || fe.Field != "evaluate.Config.TestPaths" {
		t.Errorf("missing test data: %v", err)
	}
}

// TestNoExamples: labels that match nothing are named.
func TestNoExamples(t *testing.T) {
	rec, vocab := ssvepData(t)
	var log bytes.Buffer
	_, err := evaluate.Run(evaluate.Config{Input: corpus.Input{Paths: []string{rec}}, VocabFile: vocab, Labels: "x=a,y=b", Log: &log})
	if err == nil || err.Error() != "no labelled examples: check evaluate.Config.Labels" {
		t.Errorf("labels matching nothing: %v", err)
	}
	if strings.Count(log.String(), "no labelled span long enough for a token, skipped") != 3 {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestRunBonn checks the documented Bonn report (docs/tokenizer.md): a
// vocabulary trained on the Bonn segments gives tokens whose 5-class
// kappa is well above chance.
func TestRunBonn(t *testing.T) {
	if testing.Short() {
		t.Skip("short: the Bonn report takes a few seconds")
	}
	in := corpus.Input{Paths: []string{filepath.Join(testenv.DataDir(t), "bonn-epilepsy")}}
	in.Text.SampleRate = 173.61
	cfg := corpus.TrainConfig{Input: in}
	cfg.Size, cfg.Seed = 256, 1
	tr, err := corpus.Train(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := evaluate.Run(evaluate.Config{Input: in, Vocabulary: tr.Vocabulary, Labels: "folder", Seed: 1, Lambdas: []float64{0.01, 1}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r.Write(&out)
	t.Log(out.String())
	if !strings.Contains(out.String(), "400 examples from 400 recordings, 5 classes (F 80, N 80, O 80, S 80, Z 80)") {
		t.Errorf("data line missing")
	}
	if res := r.Results[0]; res.Features != "tokens (tokens+cells+bigrams)" || res.Kappa < 0.6 {
		t.Errorf("Bonn 5-class kappa with tokens: %+v", res)
	}
}

// runReport runs the report of cfg and returns it with its text, logged.
func runReport(t *testing.T, cfg evaluate.Config) (*evaluate.Report, *bytes.Buffer) {
	t.Helper()
	r, err := evaluate.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	return r, &out
}
