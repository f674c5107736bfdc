package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/models/linear"
	"github.com/neurostream/neurostream/models/metrics"
	"github.com/neurostream/neurostream/tokenizer"
)

func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Evaluate time-frequency motif tokens",
	}
	cmd.AddCommand(newTokensReportCmd())
	return cmd
}

// tokensReportOptions are the flags of `neurostream tokens report`.
type tokensReportOptions struct {
	in      tokenInput
	vocab   string
	labels  string
	folds   int
	inner   int
	seed    uint64
	refit   bool
	pool    bool
	parts   []string
	lambdas []float64
}

func newTokensReportCmd() *cobra.Command {
	var o tokensReportOptions
	cmd := &cobra.Command{
		Use:   "report --vocab VOCAB.arrow --data FILES|DIRS --labels folder|DESC=CLASS,...",
		Short: "Codebook usage, reconstruction, mutual information and a downstream check of a tokenizer",
		Long: "report tokenizes labelled examples with a vocabulary and prints:\n" +
			"  - codebook usage on the data: perplexity and perplexity / vocabulary size;\n" +
			"  - reconstruction: the motifs' squared distance to their codewords, relative to their energy and variance;\n" +
			"  - mutual information between a token and its example's label, in bits: plug-in, Miller–Madow and the\n" +
			"    mean over label shuffles (the estimator's bias);\n" +
			"  - a downstream check: a multinomial L2 logistic regression on a bag of tokens (token and cell\n" +
			"    frequencies plus cell bigrams, per channel) against the same classifier on log and relative band\n" +
			"    powers (delta…gamma, Welch on the same 200 Hz samples), with the same cross-validation folds\n" +
			"    (whole recordings held out) and the L2 penalty chosen by an inner cross-validation; Cohen's kappa\n" +
			"    and balanced accuracy of the pooled out-of-fold predictions.\n\n" +
			"--labels folder makes every recording one example labelled by its folder's name (the Bonn sets);\n" +
			"--labels T0=rest,T1=imagery,T2=imagery makes every annotation with a listed description one example\n" +
			"of its class, over the annotation's span. --refit retrains the vocabulary (same parameters and seed)\n" +
			"inside every fold on the training recordings only; otherwise the given vocabulary is used throughout\n" +
			"(it never saw labels, but may have seen the test recordings).",
		Example: "  neurostream tokens report --vocab vocab.arrow --data ../shared/data/bonn-epilepsy --text-rate 173.61 --labels folder\n" +
			"  neurostream tokens report --vocab vocab.arrow --data ../shared/data/eegmmidb-motor-imagery --labels T0=rest,T1=imagery,T2=imagery",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTokensReport(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	o.in.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.vocab, "vocab", "", "vocabulary `FILE` (from neurostream train tokenizer)")
	f.StringVar(&o.labels, "labels", "", "folder, or DESC=CLASS,... annotation descriptions and their classes")
	f.IntVar(&o.folds, "folds", 5, "cross-validation folds (at most one per recording)")
	f.IntVar(&o.inner, "inner-folds", 3, "inner cross-validation folds choosing the L2 penalty")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the fold assignment and label shuffles")
	f.BoolVar(&o.refit, "refit", false, "retrain the vocabulary inside each fold on its training recordings only")
	f.BoolVar(&o.pool, "pool-channels", false, "one bag of tokens and one band-power set over all channels (default: per channel)")
	f.StringSliceVar(&o.parts, "token-features", []string{"tokens", "cells", "bigrams"}, "bag-of-tokens parts: tokens (token frequencies), cells (cell frequencies), bigrams (cell bigrams)")
	f.Float64SliceVar(&o.lambdas, "lambdas", []float64{1e-3, 1e-2, 1e-1, 1, 10, 100}, "L2 penalties the inner cross-validation chooses from")
	return cmd
}

// reportLabels maps examples to classes.
type reportLabels struct {
	folder  bool
	byDesc  map[string]int
	classes []string
}

func parseReportLabels(spec string) (*reportLabels, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("give --labels: folder, or comma-separated DESC=CLASS pairs")
	}
	if spec == "folder" {
		return &reportLabels{folder: true}, nil
	}
	l := &reportLabels{byDesc: map[string]int{}}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		desc, class, ok := strings.Cut(item, "=")
		desc, class = strings.TrimSpace(desc), strings.TrimSpace(class)
		if !ok || desc == "" || class == "" {
			return nil, fmt.Errorf("--labels %q: want DESC=CLASS", item)
		}
		if _, dup := l.byDesc[desc]; dup {
			return nil, fmt.Errorf("--labels: description %q given twice", desc)
		}
		l.byDesc[desc] = l.class(class)
	}
	if len(l.classes) < 2 {
		return nil, errors.New("--labels: give at least two classes")
	}
	return l, nil
}

// class returns the index of a class name, adding it when new.
func (l *reportLabels) class(name string) int {
	if i := slices.Index(l.classes, name); i >= 0 {
		return i
	}
	l.classes = append(l.classes, name)
	return len(l.classes) - 1
}

// reportExample is one labelled span of one recording.
type reportExample struct {
	rec, class int
	// Token frames from … to−1 of every channel; the token support is
	// samples [lo, hi) at 200 Hz.
	from, to int64
	lo, hi   int
	logBP    []float64 // log10 band power per channel and band
	relBP    []float64 // relative band power per channel and band
}

// reportData is every recording at 200 Hz and its examples.
type reportData struct {
	x        [][][]float64 // x[rec][channel] at 200 Hz
	labels   [][]string    // channel labels per recording
	ex       []reportExample
	channels int // channels per recording when all agree, else 0
	motifs   [][]float64
}

func runTokensReport(stdout, stderr io.Writer, o tokensReportOptions) error {
	if o.vocab == "" {
		return errors.New("give --vocab")
	}
	if o.folds < 2 || o.inner < 2 {
		return errors.New("--folds and --inner-folds must be at least 2")
	}
	if len(o.lambdas) == 0 {
		return errors.New("--lambdas: give at least one penalty")
	}
	for _, l := range o.lambdas {
		if !(l > 0) {
			return fmt.Errorf("--lambdas: %v is not a positive penalty", l)
		}
	}
	v, err := tokenizer.ReadFile(o.vocab)
	if err != nil {
		return fmt.Errorf("--vocab: %w", err)
	}
	lab, err := parseReportLabels(o.labels)
	if err != nil {
		return err
	}
	files, err := o.in.files()
	if err != nil {
		return err
	}
	d, err := loadReportData(stderr, o, v, lab, files)
	if err != nil {
		return err
	}
	if len(d.ex) == 0 {
		return errors.New("no labelled examples: check --labels")
	}
	classes := len(lab.classes)
	perClass := make([]int, classes)
	for _, e := range d.ex {
		perClass[e.class]++
	}
	fc := v.Features
	fmt.Fprintf(stdout, "vocabulary %s: %d tokens in %d cells, context ±%d frames, %d Hz patches, trained on %d motifs (seed %d)\n",
		o.vocab, v.Size(), v.Cells(), fc.Context, fc.PatchBins, v.Provenance.Motifs, v.Provenance.Seed)
	var cs []string
	for k, c := range lab.classes {
		cs = append(cs, fmt.Sprintf("%s %d", c, perClass[k]))
	}
	fmt.Fprintf(stdout, "data: %d examples from %d recordings, %d classes (%s)\n", len(d.ex), len(d.x), classes, strings.Join(cs, ", "))

	// Tokens of every example with the given vocabulary.
	toks := tokenizeExamples(v, d)
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
	pp := tokenizer.Perplexity(counts)
	fmt.Fprintf(stdout, "usage: %d tokens, perplexity %.1f = %.3f × vocabulary size\n", len(flat), pp, pp/float64(v.Size()))
	var all []float64
	for _, m := range d.motifs {
		all = append(all, m...)
	}
	rc := v.Reconstruct(all, 20000)
	fmt.Fprintf(stdout, "reconstruction: relative error %.4f of the motif energy, %.3f of the motif variance (one codeword: %.4f, 1); two-level = exhaustive nearest for %.1f%%\n",
		rc.Relative, rc.Unexplained, rc.Baseline, 100*rc.Recall)
	mi := tokenizer.TokenLabelMI(flat, flatLabel, flatEx, v.Size(), classes, 20, o.seed)
	fmt.Fprintf(stdout, "mutual information token;label: plug-in %.4f bits, Miller–Madow %.4f, shuffled example labels %.4f, excess %.4f (H(label) %.3f bits, %d tokens)\n",
		mi.PlugIn, mi.MillerMadow, mi.Shuffled, mi.Excess(), mi.LabelEntropy, mi.N)

	// Cross-validation folds over recordings.
	nrec := len(d.x)
	groupLabel := make([]int, nrec)
	mixed := false
	for i := range groupLabel {
		groupLabel[i] = -1
	}
	for _, e := range d.ex {
		if groupLabel[e.rec] >= 0 && groupLabel[e.rec] != e.class {
			mixed = true
		}
		groupLabel[e.rec] = e.class
	}
	used := 0
	for _, g := range groupLabel {
		if g >= 0 {
			used++
		}
	}
	k := min(o.folds, used)
	if k < 2 {
		return fmt.Errorf("cross-validation needs labelled examples in at least 2 recordings, found %d", used)
	}
	fold := groupFolds(groupLabel, mixed, k, o.seed)
	how := "stratified by class"
	if mixed {
		how = "recordings hold several classes, not stratified"
	}
	if k == used {
		how += ", leave-one-recording-out"
	}
	fmt.Fprintf(stdout, "classification: %d-fold cross-validation over recordings (%s), multinomial L2 logistic regression, penalty from %v by %d-fold inner CV\n",
		k, how, o.lambdas, o.inner)
	if o.refit {
		fmt.Fprintf(stdout, "vocabulary retrained in every fold on its training recordings only\n")
	}
	res, err := crossValidateTokens(stderr, o, v, d, toks, fold, k, classes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  %-32s %7s %18s %s\n", "features", "kappa", "balanced accuracy", "λ per fold")
	for _, r := range res {
		fmt.Fprintf(stdout, "  %-32s %7.3f %18.3f %v\n", r.name, r.kappa, r.ba, r.lambdas)
	}
	return nil
}

// groupFolds assigns recordings folds: stratified by class when each holds
// one class, otherwise shuffled round-robin. Recordings without examples
// (label −1) get fold −1.
func groupFolds(groupLabel []int, mixed bool, k int, seed uint64) []int {
	var idx []int
	var labels []int
	for g, l := range groupLabel {
		if l >= 0 {
			idx = append(idx, g)
			if mixed {
				l = 0
			}
			labels = append(labels, l)
		}
	}
	f := metrics.StratifiedGroupFolds(labels, k, seed)
	fold := make([]int, len(groupLabel))
	for i := range fold {
		fold[i] = -1
	}
	for i, g := range idx {
		fold[g] = f[i]
	}
	return fold
}

// loadReportData reads the recordings, resamples them to 200 Hz and cuts
// the labelled examples with their band powers.
func loadReportData(stderr io.Writer, o tokensReportOptions, v *tokenizer.Vocabulary, lab *reportLabels, files []string) (*reportData, error) {
	fc := v.Features
	ctx := int64(fc.Context)
	d := &reportData{channels: -1}
	welch, err := dsp.NewWelch(dsp.WelchConfig{SampleRate: tokenizer.SampleRate, SegmentLen: tokenizer.SampleRate})
	if err != nil {
		return nil, err
	}
	freqs := welch.Freqs(nil)
	psd := make([]float64, welch.Len())
	rs := map[float64]*tokenizer.Resampler{}
	col, err := tokenizer.NewCollector(fc)
	if err != nil {
		return nil, err
	}
	prog := &progress{w: stderr}
	for fi, path := range files {
		rec, err := o.in.read(path)
		if err != nil {
			return nil, err
		}
		rate := rec.info.SampleRate
		r, ok := rs[rate]
		if !ok {
			if r, err = tokenizer.NewResampler(rate); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			rs[rate] = r
		}
		x := make([][]float64, len(rec.x))
		for c, ch := range rec.x {
			x[c] = r.Resample(ch)
		}
		n := len(x[0])
		// Spans in seconds with their classes.
		type span struct {
			t0, t1 float64
			class  int
		}
		var spans []span
		if lab.folder {
			spans = append(spans, span{0, float64(n) / tokenizer.SampleRate, lab.class(filepath.Base(filepath.Dir(path)))})
		} else {
			for _, a := range rec.info.Annotations {
				if c, ok := lab.byDesc[strings.TrimSpace(a.Description)]; ok {
					spans = append(spans, span{a.Onset, a.Onset + a.Duration, c})
				}
			}
		}
		recIdx := len(d.x)
		added := 0
		for _, s := range spans {
			s0 := max(0, int64(math.Ceil(s.t0*tokenizer.SampleRate-1e-9)))
			s1 := min(int64(n), int64(math.Floor(s.t1*tokenizer.SampleRate+1e-9)))
			from := (s0+tokenizer.Hop-1)/tokenizer.Hop + ctx
			if s1 < tokenizer.NFFT {
				continue
			}
			to := (s1-tokenizer.NFFT)/tokenizer.Hop - ctx + 1
			if to <= from {
				continue
			}
			e := reportExample{rec: recIdx, class: s.class, from: from, to: to,
				lo: int((from - ctx) * tokenizer.Hop), hi: int((to-1+ctx)*tokenizer.Hop + tokenizer.NFFT)}
			for _, ch := range x {
				welch.PSD(psd, ch[e.lo:e.hi])
				total := dsp.BandPower(psd, freqs, 1, 45)
				for _, b := range dsp.StandardBands {
					p := dsp.BandPower(psd, freqs, b.Low, b.High)
					e.logBP = append(e.logBP, math.Log10(max(p, 1e-300)))
					rel := 0.0
					if total > 0 {
						rel = p / total
					}
					e.relBP = append(e.relBP, rel)
				}
			}
			d.ex = append(d.ex, e)
			added++
		}
		if added == 0 {
			fmt.Fprintf(stderr, "note: %s: no labelled span long enough for a token, skipped\n", path)
			prog.step("read recordings", fi+1, len(files))
			continue
		}
		col.Motifs = col.Motifs[:0]
		for _, ch := range x {
			col.Add(ch, tokenizer.SampleRate)
		}
		d.motifs = append(d.motifs, slices.Clone(col.Motifs))
		d.x = append(d.x, x)
		d.labels = append(d.labels, rec.labels)
		switch {
		case d.channels == -1:
			d.channels = len(x)
		case d.channels != len(x) || !slices.Equal(rec.labels, d.labels[0]):
			d.channels = 0
		}
		prog.step("read recordings", fi+1, len(files))
	}
	return d, nil
}

// tokenizeExamples returns toks[example][channel] = the example's token ids.
func tokenizeExamples(v *tokenizer.Vocabulary, d *reportData) [][][]int32 {
	toks := make([][][]int32, len(d.ex))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			tk := v.NewTokenizer()
			var buf []tokenizer.Token
			for i := range next {
				e := d.ex[i]
				for _, ch := range d.x[e.rec] {
					buf = tk.AppendFrames(buf[:0], ch[e.lo:e.hi], int64(e.lo), e.from, e.to)
					ids := make([]int32, len(buf))
					for j, t := range buf {
						ids[j] = t.ID
					}
					toks[i] = append(toks[i], ids)
				}
			}
		})
	}
	for i := range d.ex {
		next <- i
	}
	close(next)
	wg.Wait()
	return toks
}

// tokenFeatures is the bag of tokens of one example: per channel (or
// pooled), token frequencies, cell frequencies and cell-bigram
// frequencies, each normalised by the channel's count. It returns the
// vector and the feature dimension.
func tokenFeatures(v *tokenizer.Vocabulary, toks [][]int32, pool bool, parts bagParts) (linear.Sparse, int) {
	V, C := v.Size(), v.Cells()
	per := V + C + C*C
	nch := len(toks)
	if pool {
		nch = 1
	}
	m := map[int32]float64{}
	for c, ids := range toks {
		base := int32(c * per)
		if pool {
			base = 0
		}
		if len(ids) == 0 {
			continue
		}
		w := 1 / float64(len(ids))
		if pool {
			w /= float64(len(toks))
		}
		prev := -1
		for _, id := range ids {
			cell := v.Cell(int(id))
			if parts.tokens {
				m[base+id] += w
			}
			if parts.cells {
				m[base+int32(V+cell)] += w
			}
			if prev >= 0 && parts.bigrams {
				m[base+int32(V+C+prev*C+cell)] += w
			}
			prev = cell
		}
	}
	s := linear.Sparse{}
	for j := range m {
		s.Index = append(s.Index, j)
	}
	slices.Sort(s.Index)
	for _, j := range s.Index {
		s.Value = append(s.Value, m[j])
	}
	return s, nch * per
}

// bagParts selects the parts of a bag of tokens.
type bagParts struct{ tokens, cells, bigrams bool }

// String names the parts in the report, e.g. "tokens+cells+bigrams".
func (b bagParts) String() string {
	var p []string
	for _, x := range []struct {
		on   bool
		name string
	}{{b.tokens, "tokens"}, {b.cells, "cells"}, {b.bigrams, "bigrams"}} {
		if x.on {
			p = append(p, x.name)
		}
	}
	return strings.Join(p, "+")
}

func parseBagParts(parts []string) (bagParts, error) {
	var b bagParts
	for _, p := range parts {
		switch strings.TrimSpace(p) {
		case "tokens":
			b.tokens = true
		case "cells":
			b.cells = true
		case "bigrams":
			b.bigrams = true
		default:
			return b, fmt.Errorf("--token-features %q: want tokens, cells or bigrams", p)
		}
	}
	if b == (bagParts{}) {
		return b, errors.New("--token-features: give at least one of tokens, cells, bigrams")
	}
	return b, nil
}

// poolBP averages band-power features over channels (5 bands each).
func poolBP(x []float64) []float64 {
	nb := len(dsp.StandardBands)
	out := make([]float64, nb)
	for i, v := range x {
		out[i%nb] += v / float64(len(x)/nb)
	}
	return out
}

type cvResult struct {
	name      string
	kappa, ba float64
	lambdas   []float64
}

// crossValidateTokens runs the outer cross-validation for the token and
// band-power feature sets, with the same folds.
func crossValidateTokens(stderr io.Writer, o tokensReportOptions, v *tokenizer.Vocabulary, d *reportData, toks [][][]int32, fold []int, k, classes int) ([]cvResult, error) {
	pool := o.pool || d.channels <= 0
	y := make([]int, len(d.ex))
	exFold := make([]int, len(d.ex))
	for i, e := range d.ex {
		y[i] = e.class
		exFold[i] = fold[e.rec]
	}
	bpX := func(rel bool) ([]linear.Sparse, int) {
		X := make([]linear.Sparse, len(d.ex))
		dim := 0
		for i, e := range d.ex {
			f := e.logBP
			if rel {
				f = e.relBP
			}
			if pool {
				f = poolBP(f)
			}
			X[i], dim = linear.Dense(f), len(f)
		}
		return X, dim
	}
	parts, err := parseBagParts(o.parts)
	if err != nil {
		return nil, err
	}
	tokX := func(v *tokenizer.Vocabulary, toks [][][]int32) ([]linear.Sparse, int) {
		X := make([]linear.Sparse, len(d.ex))
		dim := 0
		for i := range d.ex {
			X[i], dim = tokenFeatures(v, toks[i], pool, parts)
		}
		return X, dim
	}
	type set struct {
		name string
		// x returns the features of every example for outer fold f.
		x func(f int) ([]linear.Sparse, int, error)
	}
	tx, tdim := tokX(v, toks)
	tokName := "tokens (" + parts.String() + ")"
	sets := []set{
		{tokName, func(f int) ([]linear.Sparse, int, error) {
			if !o.refit {
				return tx, tdim, nil
			}
			// Retrain the vocabulary on the fold's training recordings.
			var motifs []float64
			for r, m := range d.motifs {
				if fold[r] != f && fold[r] >= 0 {
					motifs = append(motifs, m...)
				}
			}
			fv, err := tokenizer.Train(motifs, tokenizer.TrainConfig{
				Features: refitFeatures(v.Features), Size: v.Size(), Cells: v.Cells(),
				Iterations: v.Provenance.Iterations, Seed: v.Provenance.Seed,
			})
			if err != nil {
				return nil, 0, fmt.Errorf("fold %d: retraining the vocabulary: %w", f, err)
			}
			x, dim := tokX(fv, tokenizeExamples(fv, d))
			return x, dim, nil
		}},
	}
	for _, rel := range []bool{false, true} {
		x, dim := bpX(rel)
		name := "band power (log10)"
		if rel {
			name = "band power (relative)"
		}
		sets = append(sets, set{name, func(int) ([]linear.Sparse, int, error) { return x, dim, nil }})
	}
	type job struct{ s, f int }
	pred := make([][]int, len(sets))
	lams := make([][]float64, len(sets))
	for s := range sets {
		pred[s] = make([]int, len(d.ex))
		lams[s] = make([]float64, k)
	}
	errs := make([]error, len(sets)*k)
	var wg sync.WaitGroup
	jobs := make(chan job)
	var mu sync.Mutex
	done := 0
	prog := &progress{w: stderr}
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				X, dim, err := sets[j.s].x(j.f)
				if err == nil {
					var lam float64
					lam, err = fitFold(X, y, exFold, j.f, d, dim, classes, o, pred[j.s])
					lams[j.s][j.f] = lam
				}
				errs[j.s*k+j.f] = err
				mu.Lock()
				done++
				prog.step("cross-validation", done, len(sets)*k)
				mu.Unlock()
			}
		})
	}
	for f := range k {
		for s := range sets {
			jobs <- job{s, f}
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []cvResult
	for s, st := range sets {
		out = append(out, cvResult{
			name:    st.name,
			kappa:   metrics.CohenKappa(pred[s], y, classes),
			ba:      metrics.BalancedAccuracyMulti(pred[s], y, classes),
			lambdas: lams[s],
		})
	}
	return out, nil
}

// refitFeatures turns a vocabulary's (defaulted) features back into a
// FeatureConfig Train reads the same way.
func refitFeatures(fc tokenizer.FeatureConfig) tokenizer.FeatureConfig {
	if fc.Context == 0 {
		fc.Context = tokenizer.NoContext
	}
	return fc
}

// fitFold chooses the penalty by inner cross-validation on the training
// examples of outer fold f, trains on all of them and writes the
// predictions of fold f's examples into pred. It returns the penalty.
func fitFold(X []linear.Sparse, y, exFold []int, f int, d *reportData, dim, classes int, o tokensReportOptions, pred []int) (float64, error) {
	var train []int
	for i, ef := range exFold {
		if ef != f {
			train = append(train, i)
		}
	}
	// Inner folds over the training recordings.
	groupLabel := make([]int, len(d.x))
	for i := range groupLabel {
		groupLabel[i] = -1
	}
	mixed := false
	for _, i := range train {
		r := d.ex[i].rec
		if groupLabel[r] >= 0 && groupLabel[r] != y[i] {
			mixed = true
		}
		groupLabel[r] = y[i]
	}
	used := 0
	for _, g := range groupLabel {
		if g >= 0 {
			used++
		}
	}
	lambda := o.lambdas[0]
	if len(o.lambdas) > 1 && used >= 2 {
		ki := min(o.inner, used)
		inner := groupFolds(groupLabel, mixed, ki, o.seed+uint64(f)+1)
		best := math.Inf(-1)
		for _, lam := range o.lambdas {
			var ip, it []int
			for g := range ki {
				var tx []linear.Sparse
				var ty []int
				var hold []int
				for _, i := range train {
					if inner[d.ex[i].rec] == g {
						hold = append(hold, i)
					} else {
						tx, ty = append(tx, X[i]), append(ty, y[i])
					}
				}
				if len(hold) == 0 || len(tx) == 0 {
					continue
				}
				m, err := linear.Train(tx, ty, classes, dim, linear.Config{Lambda: lam, Balanced: true})
				if err != nil {
					return 0, err
				}
				for _, i := range hold {
					ip, it = append(ip, m.Predict(X[i])), append(it, y[i])
				}
			}
			score := metrics.CohenKappa(ip, it, classes)
			if math.IsNaN(score) {
				score = -1
			}
			if score >= best { // ties go to the larger penalty
				best, lambda = score, lam
			}
		}
	}
	var tx []linear.Sparse
	var ty []int
	for _, i := range train {
		tx, ty = append(tx, X[i]), append(ty, y[i])
	}
	m, err := linear.Train(tx, ty, classes, dim, linear.Config{Lambda: lambda, Balanced: true})
	if err != nil {
		return 0, fmt.Errorf("fold %d: %w", f, err)
	}
	for i, ef := range exFold {
		if ef == f {
			pred[i] = m.Predict(X[i])
		}
	}
	return lambda, nil
}
