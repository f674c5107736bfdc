package evaluate

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus"
)

// Config configures Run. Zero fields take the defaults.
type Config struct {
	// Input names the labelled recordings and the channels to read: the
	// recordings cross-validated over, or, with TestPaths, the training
	// data.
	Input corpus.Input
	// TestPaths are held-out labelled recordings (files or folders), read
	// with Input's channels and text options. When set, the classifiers
	// (and, with Refit, the vocabulary) are fitted on Input's recordings
	// only, the penalty and the bag chosen by the inner cross-validation
	// over them, and the report measures the test recordings: data
	// neither fitted. Default: none, cross-validation over Input.
	TestPaths []string
	// Vocabulary is the vocabulary to evaluate.
	// Default: read from VocabFile.
	Vocabulary *tokenizer.Vocabulary
	// VocabFile names the vocabulary in the report, and is read when
	// Vocabulary is nil. Required then.
	VocabFile string
	// Labels says what the examples and their classes are: "folder"
	// makes every recording one example labelled by its folder's name
	// (the Bonn sets); "T0=rest,T1=imagery,T2=imagery" makes every
	// annotation with a listed description one example of its class,
	// over the annotation's span. Classes are numbered in the order they
	// first appear. Required.
	Labels string
	// Folds is the number of outer cross-validation folds, at least 2; a
	// fold holds whole recordings, so there are at most as many folds as
	// recordings with examples. Default: 5.
	Folds int
	// InnerFolds is the number of inner cross-validation folds that
	// choose the L2 penalty, at least 2. Default: 3.
	InnerFolds int
	// Seed seeds the fold assignment and the label shuffles of the
	// mutual information. Default: 0.
	Seed uint64
	// Refit retrains the vocabulary (same parameters and seed) inside
	// every outer fold on its training recordings only; otherwise
	// Vocabulary is used throughout (it never saw labels, but may have
	// seen the test recordings). Default: false.
	Refit bool
	// PoolChannels makes one bag of tokens and one band-power set over
	// all channels instead of one per channel; they are pooled anyway
	// when the recordings do not share their channels. Default: false.
	PoolChannels bool
	// TokenFeatures are the parts of the bag of tokens: "tokens" (token
	// frequencies), "cells" (cell frequencies), "bigrams" (cell bigrams
	// of consecutive frames) describe the spectral shape; "levels"
	// (band power levels) and "level-cells" (band level × cell pairs)
	// the power, and need a vocabulary with power levels. When the parts
	// mix both kinds, the report has three bags: the shape parts, the
	// level parts, and their product of experts (two classifiers whose
	// log-probabilities add up, each with its own penalty). Default:
	// tokens, cells, bigrams, and levels when the vocabulary has them
	// (level × cell pairs multiply the level features by the cells for
	// little more information on short examples).
	TokenFeatures []string
	// Lambdas are the L2 penalties the inner cross-validation chooses
	// from, each positive. Default: 0.001, 0.01, 0.1, 1, 10, 100.
	Lambdas []float64
	// Log receives progress lines ("cross-validation 12/15") and notes
	// on recordings without an example. Default: nil, silent.
	Log io.Writer
}

// withDefaults returns cfg with its defaults filled in, its labels and
// bag-of-tokens parts, or a *corpus.FieldError naming the bad field.
func (cfg Config) withDefaults() (Config, *labels, bagParts, error) {
	if cfg.Vocabulary == nil && cfg.VocabFile == "" {
		return cfg, nil, bagParts{}, fmt.Errorf("give %w", &corpus.FieldError{Field: "evaluate.Config.VocabFile"})
	}
	for _, f := range []struct {
		n     *int
		def   int
		field string
	}{{&cfg.Folds, 5, "Folds"}, {&cfg.InnerFolds, 3, "InnerFolds"}} {
		if *f.n == 0 {
			*f.n = f.def
		}
		if *f.n < 2 {
			return cfg, nil, bagParts{}, &corpus.FieldError{Field: "evaluate.Config." + f.field, Msg: fmt.Sprintf("%d: want at least 2", *f.n)}
		}
	}
	if len(cfg.Lambdas) == 0 {
		cfg.Lambdas = []float64{1e-3, 1e-2, 1e-1, 1, 10, 100}
	}
	for _, l := range cfg.Lambdas {
		if !(l > 0) {
			return cfg, nil, bagParts{}, &corpus.FieldError{Field: "evaluate.Config.Lambdas", Err: fmt.Errorf("%v is not a positive penalty", l)}
		}
	}
	var parts bagParts
	if len(cfg.TokenFeatures) != 0 {
		var err error
		if parts, err = parseBagParts(cfg.TokenFeatures); err != nil {
			return cfg, nil, parts, err
		}
	}
	lab, err := parseLabels(cfg.Labels)
	if err != nil {
		return cfg, nil, parts, err
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return cfg, lab, parts, nil
}

// Report is what Run measured.
type Report struct {
	// VocabFile and Vocabulary are the vocabulary evaluated: with test
	// data and Refit, the file's retrained on the training recordings.
	VocabFile  string
	Vocabulary *tokenizer.Vocabulary
	// Classes are the class names, PerClass the examples of each.
	Classes  []string
	PerClass []int
	// Examples and Recordings count the examples and the recordings
	// that hold them: every one in cross-validation, the test data's
	// with Config.TestPaths.
	Examples, Recordings int
	// Test says the classifiers were tested on held-out recordings
	// (Config.TestPaths); TrainPerClass, TrainExamples and
	// TrainRecordings then describe the training data.
	Test                           bool
	TrainPerClass                  []int
	TrainExamples, TrainRecordings int
	// Tokens counts the tokens of the examples (every channel);
	// Perplexity is the perplexity of their counts.
	Tokens     int
	Perplexity float64
	// Reconstruction is the vocabulary's error on the motifs of the
	// recordings with examples (recall over at most 20 000).
	Reconstruction tokenizer.Reconstruction
	// MutualInformation is between a token and its example's label, with
	// 20 shuffles of the examples' labels; LevelInformation the same for
	// the power level of each band (tokenizer.Bands), nil without levels.
	MutualInformation tokenizer.MutualInformation
	LevelInformation  []tokenizer.MutualInformation
	// Folds is the number of outer folds used (1 with test data),
	// InnerFolds and Lambdas the inner cross-validation's, Refit whether
	// the vocabulary was retrained per fold.
	Folds      int
	InnerFolds int
	Lambdas    []float64
	Refit      bool
	// Mixed says recordings hold several classes (the folds are then
	// not stratified by class); LeaveOneOut says every fold holds one
	// recording.
	Mixed, LeaveOneOut bool
	// Results are the downstream check of each feature set: the bags of
	// tokens, then log10 and relative band power.
	Results []Result
}

// Result is the cross-validated classification with one feature set.
type Result struct {
	// Features names the feature set, e.g. "band power (log10)".
	Features string
	// Kappa and BalancedAccuracy are Cohen's kappa and the balanced
	// accuracy of the pooled out-of-fold predictions (of the test
	// recordings' examples with Config.TestPaths).
	Kappa, BalancedAccuracy float64
	// Lambdas are the penalties chosen in each outer fold; for a product
	// of experts, the shape expert's, and LevelLambdas the power-level
	// expert's, Weights their weights in each fold (nil otherwise).
	Lambdas, LevelLambdas []float64
	Weights               [][]float64
}

// Run cuts the labelled examples of cfg.Input, tokenizes them with the
// vocabulary and measures it (docs/tokenizer.md, "Report"). The same
// inputs and Seed give the same Report whatever GOMAXPROCS.
func Run(cfg Config) (*Report, error) {
	cfg, lab, parts, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	v := cfg.Vocabulary
	if v == nil {
		if v, err = tokenizer.ReadFile(cfg.VocabFile); err != nil {
			return nil, &corpus.FieldError{Field: "evaluate.Config.VocabFile", Err: err}
		}
	}
	if parts, err = vocabParts(parts, v); err != nil {
		return nil, err
	}
	d, err := loadAll(&cfg, v, lab)
	if err != nil {
		return nil, err
	}
	r := &Report{VocabFile: cfg.VocabFile, Vocabulary: v, Classes: lab.classes, InnerFolds: cfg.InnerFolds, Lambdas: cfg.Lambdas, Refit: cfg.Refit}
	fold, k, err := r.folds(&cfg, d)
	if err != nil {
		return nil, err
	}
	if r.Test && cfg.Refit {
		// One training set: retrain the vocabulary on it once, and
		// measure everything with it.
		if v, err = refit(v, d, fold, 0); err != nil {
			return nil, err
		}
		r.Vocabulary, cfg.Refit = v, false
	}
	toks := tokenize(v, d)
	r.measure(d, toks, cfg.Seed)
	sets := featureSets(&cfg, parts, v, d, toks, fold)
	if r.Results, err = crossValidate(&cfg, sets, d, fold, k, len(r.Classes), cfg.Log); err != nil {
		return nil, err
	}
	return r, nil
}

// vocabParts returns the bag's parts, by default every part v has, or an
// error when parts need power levels v has not.
func vocabParts(parts bagParts, v *tokenizer.Vocabulary) (bagParts, error) {
	switch {
	case parts == bagParts{} && v.Levels() > 0:
		return bagParts{tokens: true, cells: true, bigrams: true, levels: true}, nil
	case parts == bagParts{}:
		return bagParts{tokens: true, cells: true, bigrams: true}, nil
	case parts.power() != bagParts{} && v.Levels() == 0:
		return parts, &corpus.FieldError{Field: partsField, Msg: parts.power().String(),
			Err: errors.New("the vocabulary has no power levels (a version 1 file): retrain it with neurostream train tokenizer")}
	}
	return parts, nil
}

// loadAll reads the recordings of cfg.Input and cfg.TestPaths.
func loadAll(cfg *Config, v *tokenizer.Vocabulary, lab *labels) (*data, error) {
	files, err := cfg.Input.Files()
	if err != nil {
		return nil, err
	}
	var testFiles []string
	if len(cfg.TestPaths) > 0 {
		in := cfg.Input
		in.Paths = cfg.TestPaths
		if testFiles, err = in.Files(); err != nil {
			var fe *corpus.FieldError
			if errors.As(err, &fe) && fe.Field == "corpus.Input.Paths" {
				fe.Field = "evaluate.Config.TestPaths"
			}
			return nil, err
		}
	}
	l, err := newLoader(cfg.Input, v, lab, cfg.Log)
	if err != nil {
		return nil, err
	}
	d := &data{channels: -1}
	if err := l.load(d, files, false); err != nil {
		return nil, err
	}
	if err := l.load(d, testFiles, true); err != nil {
		return nil, err
	}
	if len(d.ex) == 0 {
		return nil, fmt.Errorf("no labelled examples: check %w", &corpus.FieldError{Field: labelsField})
	}
	return d, nil
}

// folds assigns the recordings outer folds (fold[recording], k of them):
// k-fold cross-validation, or, with test data, the test recordings in
// fold 0 and the training recordings in fold 1 (never scored), k = 1. It
// fills in the report's data counts and fold description.
func (r *Report) folds(cfg *Config, d *data) (fold []int, k int, err error) {
	r.PerClass = make([]int, len(r.Classes))
	if len(cfg.TestPaths) == 0 {
		for _, e := range d.ex {
			r.PerClass[e.class]++
		}
		r.Examples, r.Recordings = len(d.ex), len(d.x)
		groupLabel, mixed, used := recordingLabels(d, nil)
		k = min(cfg.Folds, used)
		if k < 2 {
			return nil, 0, fmt.Errorf("cross-validation needs labelled examples in at least 2 recordings, found %d", used)
		}
		r.Folds, r.Mixed, r.LeaveOneOut = k, mixed, k == used
		return groupFolds(groupLabel, mixed, k, cfg.Seed), k, nil
	}
	r.Test, r.TrainPerClass, r.Folds = true, make([]int, len(r.Classes)), 1
	for _, e := range d.ex {
		if d.test[e.rec] {
			r.PerClass[e.class]++
			r.Examples++
		} else {
			r.TrainPerClass[e.class]++
			r.TrainExamples++
		}
	}
	fold = make([]int, len(d.x))
	for rec, test := range d.test {
		if test {
			r.Recordings++
		} else {
			fold[rec] = 1
			r.TrainRecordings++
		}
	}
	switch {
	case r.TrainRecordings == 0:
		return nil, 0, fmt.Errorf("no labelled examples in the training data: check %w", &corpus.FieldError{Field: "corpus.Input.Paths"})
	case r.Recordings == 0:
		return nil, 0, fmt.Errorf("no labelled examples in the test data: check %w", &corpus.FieldError{Field: "evaluate.Config.TestPaths"})
	}
	return fold, 1, nil
}

// measure fills in the usage, reconstruction and mutual information of
// the tokens toks of the measured examples: every one, or the test
// data's.
func (r *Report) measure(d *data, toks [][][]tokenizer.Token, seed uint64) {
	v := r.Vocabulary
	counts := make([]int64, v.Size())
	var flat []int32
	var levels [tokenizer.NumBands][]int32
	var flatLabel, flatEx, levelLabel, levelEx []int
	var motifs []float64
	for rec, m := range d.motifs {
		if d.test[rec] == r.Test {
			motifs = append(motifs, m...)
		}
	}
	for i, e := range d.ex {
		if d.test[e.rec] != r.Test {
			continue
		}
		for c, ch := range toks[i] {
			for _, t := range ch {
				counts[t.ID]++
				flat = append(flat, t.ID)
				flatLabel = append(flatLabel, e.class)
				flatEx = append(flatEx, i)
				if kind := d.kinds[e.rec][c]; v.HasLevels(kind) {
					for b, p := range t.Powers {
						levels[b] = append(levels[b], int32(v.Level(kind, b, p)))
					}
					levelLabel = append(levelLabel, e.class)
					levelEx = append(levelEx, i)
				}
			}
		}
	}
	r.Tokens = len(flat)
	r.Perplexity = tokenizer.Perplexity(counts)
	r.Reconstruction = v.Reconstruct(motifs, 20000)
	r.MutualInformation = tokenizer.TokenLabelMI(flat, flatLabel, flatEx, v.Size(), len(r.Classes), 20, seed)
	if len(levelLabel) > 0 {
		for b := range levels {
			r.LevelInformation = append(r.LevelInformation, tokenizer.TokenLabelMI(levels[b], levelLabel, levelEx, v.Levels(), len(r.Classes), 20, seed))
		}
	}
}

// Write prints the report as `neurostream tokens report` does.
func (r *Report) Write(w io.Writer) error {
	v, rc, mi := r.Vocabulary, r.Reconstruction, r.MutualInformation
	fc := v.Features
	name := r.VocabFile
	if name != "" {
		name = " " + name
	}
	levels := ""
	if v.Levels() > 0 {
		levels = fmt.Sprintf(", %d power levels per band (%s)", v.Levels(), strings.Join(v.LevelTypes(), ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vocabulary%s: %d tokens in %d cells, context ±%d frames, %d Hz patches%s, trained on %d motifs (seed %d)\n",
		name, v.Size(), v.Cells(), fc.Context, fc.PatchBins, levels, v.Provenance.Motifs, v.Provenance.Seed)
	if r.Test {
		fmt.Fprintf(&b, "training data: %d examples from %d recordings (%s)\n", r.TrainExamples, r.TrainRecordings, r.classCounts(r.TrainPerClass))
		fmt.Fprintf(&b, "test data: %d examples from %d recordings, %d classes (%s); the measures below are on the test data\n",
			r.Examples, r.Recordings, len(r.Classes), r.classCounts(r.PerClass))
	} else {
		fmt.Fprintf(&b, "data: %d examples from %d recordings, %d classes (%s)\n", r.Examples, r.Recordings, len(r.Classes), r.classCounts(r.PerClass))
	}
	fmt.Fprintf(&b, "usage: %d tokens, perplexity %.1f = %.3f × vocabulary size\n", r.Tokens, r.Perplexity, r.Perplexity/float64(v.Size()))
	fmt.Fprintf(&b, "reconstruction: relative error %.4f of the motif energy, %.3f of the motif variance (one codeword: %.4f, 1); two-level = exhaustive nearest for %.1f%%\n",
		rc.Relative, rc.Unexplained, rc.Baseline, 100*rc.Recall)
	writeMI(&b, "token", mi)
	if r.LevelInformation != nil {
		var ex []string
		for i, m := range r.LevelInformation {
			ex = append(ex, fmt.Sprintf("%s %.4f", tokenizer.Bands[i].Name, m.Excess()))
		}
		fmt.Fprintf(&b, "mutual information power level;label, excess over shuffled example labels per band: %s bits\n", strings.Join(ex, ", "))
	}
	r.writeResults(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// classCounts is "F 80, N 80, …".
func (r *Report) classCounts(n []int) string {
	var cs []string
	for k, c := range r.Classes {
		cs = append(cs, fmt.Sprintf("%s %d", c, n[k]))
	}
	return strings.Join(cs, ", ")
}

func writeMI(b *strings.Builder, what string, mi tokenizer.MutualInformation) {
	fmt.Fprintf(b, "mutual information %s;label: plug-in %.4f bits, Miller–Madow %.4f, shuffled example labels %.4f, excess %.4f (H(label) %.3f bits, %d %ss)\n",
		what, mi.PlugIn, mi.MillerMadow, mi.Shuffled, mi.Excess(), mi.LabelEntropy, mi.N, what)
}

// writeResults prints how the classifiers were evaluated and their table.
func (r *Report) writeResults(b *strings.Builder) {
	if r.Test {
		fmt.Fprintf(b, "classification: trained on the training data, tested on the test data, multinomial L2 logistic regression, penalty from %v by %d-fold inner CV over the training recordings\n",
			r.Lambdas, r.InnerFolds)
	} else {
		how := "stratified by class"
		if r.Mixed {
			how = "recordings hold several classes, not stratified"
		}
		if r.LeaveOneOut {
			how += ", leave-one-recording-out"
		}
		fmt.Fprintf(b, "classification: %d-fold cross-validation over recordings (%s), multinomial L2 logistic regression, penalty from %v by %d-fold inner CV\n",
			r.Folds, how, r.Lambdas, r.InnerFolds)
	}
	switch {
	case r.Refit && r.Test:
		fmt.Fprintf(b, "vocabulary retrained on the training recordings only\n")
	case r.Refit:
		fmt.Fprintf(b, "vocabulary retrained in every fold on its training recordings only\n")
	}
	for _, res := range r.Results {
		if res.LevelLambdas != nil {
			fmt.Fprintf(b, "A × B: product of two classifiers, on bags A and B, each with its penalty by the inner CV (λ A + λ B), weighted to fit the inner CV's probabilities, a bag left out (weight 0) unless it gains more than one standard error of their log-likelihood (weights A B)\n")
			break
		}
	}
	width := 32
	for _, res := range r.Results {
		width = max(width, utf8.RuneCountInString(res.Features))
	}
	perFold := "λ per fold"
	if r.Test {
		perFold = "λ"
	}
	fmt.Fprintf(b, "  %-*s %7s %18s %s\n", width, "features", "kappa", "balanced accuracy", perFold)
	for _, res := range r.Results {
		fmt.Fprintf(b, "  %-*s %7.3f %18.3f %v", width, res.Features, res.Kappa, res.BalancedAccuracy, res.Lambdas)
		if res.LevelLambdas != nil {
			fmt.Fprintf(b, " + %v, weights %v", res.LevelLambdas, res.Weights)
		}
		b.WriteByte('\n')
	}
}
