package evaluate

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus"
)

// Config configures Run. Zero fields take the defaults.
type Config struct {
	// Input names the labelled recordings and the channels to read.
	Input corpus.Input
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
	// of consecutive frames). Default: all three.
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
	if len(cfg.TokenFeatures) == 0 {
		cfg.TokenFeatures = []string{"tokens", "cells", "bigrams"}
	}
	parts, err := parseBagParts(cfg.TokenFeatures)
	if err != nil {
		return cfg, nil, parts, err
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
	// VocabFile and Vocabulary are the vocabulary evaluated.
	VocabFile  string
	Vocabulary *tokenizer.Vocabulary
	// Classes are the class names, PerClass the examples of each.
	Classes  []string
	PerClass []int
	// Examples and Recordings count the examples and the recordings
	// that hold them.
	Examples, Recordings int
	// Tokens counts the tokens of all examples (every channel);
	// Perplexity is the perplexity of their counts.
	Tokens     int
	Perplexity float64
	// Reconstruction is the vocabulary's error on the motifs of the
	// recordings with examples (recall over at most 20 000).
	Reconstruction tokenizer.Reconstruction
	// MutualInformation is between a token and its example's label, with
	// 20 shuffles of the examples' labels.
	MutualInformation tokenizer.MutualInformation
	// Folds is the number of outer folds used, InnerFolds and Lambdas
	// the inner cross-validation's, Refit whether the vocabulary was
	// retrained per fold.
	Folds      int
	InnerFolds int
	Lambdas    []float64
	Refit      bool
	// Mixed says recordings hold several classes (the folds are then
	// not stratified by class); LeaveOneOut says every fold holds one
	// recording.
	Mixed, LeaveOneOut bool
	// Results are the downstream check of each feature set: the bag of
	// tokens, then log10 and relative band power.
	Results []Result
}

// Result is the cross-validated classification with one feature set.
type Result struct {
	// Features names the feature set, e.g. "band power (log10)".
	Features string
	// Kappa and BalancedAccuracy are Cohen's kappa and the balanced
	// accuracy of the pooled out-of-fold predictions.
	Kappa, BalancedAccuracy float64
	// Lambdas are the penalties chosen in each outer fold.
	Lambdas []float64
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
	files, err := cfg.Input.Files()
	if err != nil {
		return nil, err
	}
	d, err := load(cfg.Input, files, v, lab, cfg.Log)
	if err != nil {
		return nil, err
	}
	if len(d.ex) == 0 {
		return nil, fmt.Errorf("no labelled examples: check %w", &corpus.FieldError{Field: labelsField})
	}
	r := &Report{VocabFile: cfg.VocabFile, Vocabulary: v, Classes: lab.classes, PerClass: make([]int, len(lab.classes)),
		Examples: len(d.ex), Recordings: len(d.x), InnerFolds: cfg.InnerFolds, Lambdas: cfg.Lambdas, Refit: cfg.Refit}
	for _, e := range d.ex {
		r.PerClass[e.class]++
	}
	toks := tokenize(v, d)
	r.measure(d, toks, cfg.Seed)
	groupLabel, mixed, used := recordingLabels(d, nil)
	k := min(cfg.Folds, used)
	if k < 2 {
		return nil, fmt.Errorf("cross-validation needs labelled examples in at least 2 recordings, found %d", used)
	}
	r.Folds, r.Mixed, r.LeaveOneOut = k, mixed, k == used
	fold := groupFolds(groupLabel, mixed, k, cfg.Seed)
	sets := featureSets(&cfg, parts, v, d, toks, fold)
	if r.Results, err = crossValidate(&cfg, sets, d, fold, k, len(r.Classes), cfg.Log); err != nil {
		return nil, err
	}
	return r, nil
}

// measure fills in the usage, reconstruction and mutual information of
// the examples' tokens toks.
func (r *Report) measure(d *data, toks [][][]int32, seed uint64) {
	v := r.Vocabulary
	counts := make([]int64, v.Size())
	var flat []int32
	var flatLabel, flatEx []int
	for i, e := range d.ex {
		for _, ch := range toks[i] {
			for _, id := range ch {
				counts[id]++
				flat = append(flat, id)
				flatLabel = append(flatLabel, e.class)
				flatEx = append(flatEx, i)
			}
		}
	}
	r.Tokens = len(flat)
	r.Perplexity = tokenizer.Perplexity(counts)
	r.Reconstruction = v.Reconstruct(slices.Concat(d.motifs...), 20000)
	r.MutualInformation = tokenizer.TokenLabelMI(flat, flatLabel, flatEx, v.Size(), len(r.Classes), 20, seed)
}

// Write prints the report as `neurostream tokens report` does.
func (r *Report) Write(w io.Writer) error {
	v, rc, mi := r.Vocabulary, r.Reconstruction, r.MutualInformation
	fc := v.Features
	var cs []string
	for k, c := range r.Classes {
		cs = append(cs, fmt.Sprintf("%s %d", c, r.PerClass[k]))
	}
	how := "stratified by class"
	if r.Mixed {
		how = "recordings hold several classes, not stratified"
	}
	if r.LeaveOneOut {
		how += ", leave-one-recording-out"
	}
	name := r.VocabFile
	if name != "" {
		name = " " + name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vocabulary%s: %d tokens in %d cells, context ±%d frames, %d Hz patches, trained on %d motifs (seed %d)\n",
		name, v.Size(), v.Cells(), fc.Context, fc.PatchBins, v.Provenance.Motifs, v.Provenance.Seed)
	fmt.Fprintf(&b, "data: %d examples from %d recordings, %d classes (%s)\n", r.Examples, r.Recordings, len(r.Classes), strings.Join(cs, ", "))
	fmt.Fprintf(&b, "usage: %d tokens, perplexity %.1f = %.3f × vocabulary size\n", r.Tokens, r.Perplexity, r.Perplexity/float64(v.Size()))
	fmt.Fprintf(&b, "reconstruction: relative error %.4f of the motif energy, %.3f of the motif variance (one codeword: %.4f, 1); two-level = exhaustive nearest for %.1f%%\n",
		rc.Relative, rc.Unexplained, rc.Baseline, 100*rc.Recall)
	fmt.Fprintf(&b, "mutual information token;label: plug-in %.4f bits, Miller–Madow %.4f, shuffled example labels %.4f, excess %.4f (H(label) %.3f bits, %d tokens)\n",
		mi.PlugIn, mi.MillerMadow, mi.Shuffled, mi.Excess(), mi.LabelEntropy, mi.N)
	fmt.Fprintf(&b, "classification: %d-fold cross-validation over recordings (%s), multinomial L2 logistic regression, penalty from %v by %d-fold inner CV\n",
		r.Folds, how, r.Lambdas, r.InnerFolds)
	if r.Refit {
		fmt.Fprintf(&b, "vocabulary retrained in every fold on its training recordings only\n")
	}
	fmt.Fprintf(&b, "  %-32s %7s %18s %s\n", "features", "kappa", "balanced accuracy", "λ per fold")
	for _, res := range r.Results {
		fmt.Fprintf(&b, "  %-32s %7.3f %18.3f %v\n", res.Features, res.Kappa, res.BalancedAccuracy, res.Lambdas)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
