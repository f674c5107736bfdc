package ssvep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/linear"
	"github.com/neurostream/neurostream/models/modelfile"
	"github.com/neurostream/neurostream/models/riemann"
	"gonum.org/v1/gonum/mat"
)

// MethodStack is the stacked ensemble of FBCCA and TS-LR (Stacked).
const MethodStack = "fbcca+ts-lr"

// MethodStackTDCA is the stacked ensemble of FBCCA, TS-LR and TDCA
// (Stacked; SelectStacked).
const MethodStackTDCA = "fbcca+ts-lr+tdca"

// MethodStackBands is the stacked ensemble of FBCCA and TS-LR whose
// regression reads FBCCA's sub-band correlations ρ_n,k (one feature per
// sub-band and target) instead of their fixed-weight sum (Stacked).
const MethodStackBands = "fbcca-bands+ts-lr"

// StackMethods are the stacked ensembles' methods (Stacked,
// SelectStacked).
func StackMethods() []string { return []string{MethodStack, MethodStackBands, MethodStackTDCA} }

// isStack reports whether method is one of StackMethods.
func isStack(method string) bool { return slices.Contains(StackMethods(), method) }

// stackLambda is the L2 penalty of the stacking regression on its
// standardised features.
const stackLambda = 0.1

// Stacked is an ensemble of decoders combined by stacking: a multinomial
// L2 logistic regression (linear.Train, classes balanced, λ = 0.1 on the
// standardised features) over the concatenated target scores of its
// parts — FBCCA's correlations and TS-LR's log-odds — predicts rest or a
// target. Trained on the parts' out-of-fold scores (CrossValidatedScores
// over the calibration's folds), it learns how far to trust each part,
// and rest from how both score a window. Scores are the probabilities of
// the targets; Decide the most probable class, Rest included. Not safe
// for concurrent use.
type Stacked struct {
	method  string // MethodStack, MethodStackBands or MethodStackTDCA
	parts   []Decoder
	sm      *linear.Softmax
	classes []int // class k of sm: Rest or a target index
	freqs   []float64
	sel     *StackSelection // what SelectStacked chose, if it made d
	part    []float64       // one part's scores
	feat    []float64
	probs   []float64
}

// stackParts returns the TrainConfigs of the stacked parts: fbcca with
// cfg.FBCCA, ts-lr with cfg.Riemann.
func stackParts(cfg TrainConfig) []TrainConfig {
	f, r := cfg, cfg
	f.Method, r.Method = MethodFBCCA, MethodTSLR
	return []TrainConfig{f, r}
}

// TrainStacked trains the stacked ensemble of fbcca (cfg.FBCCA) and ts-lr
// (cfg.Riemann; rest, if labelled, as a class) on trials labelled by
// target index or Rest: the stacking regression on the parts' scores out
// of folds (folds[i] is trial i's fold, ≥ 2 distinct), the parts on every
// trial. The trials may be several windows of each calibration trial
// (Calibration.Windows) whose folds keep a trial's windows together
// (Calibration.WindowFolds). An error reports fewer than two folds or a
// failed training. With cfg.Method MethodStackBands the regression reads
// fbcca's sub-band correlations (MethodStackBands), else its scores.
func TrainStacked(cfg TrainConfig, trials [][][]float64, labels, folds []int) (*Stacked, error) {
	fb, err := stackFBCCA(cfg, trials)
	if err != nil {
		return nil, err
	}
	sd, err := newStackData(cfg, fb, trials, labels, folds, nil)
	if err != nil {
		return nil, err
	}
	return sd.train()
}

// stackFBCCA builds the stack's fbcca part for the trials' shape.
func stackFBCCA(cfg TrainConfig, trials [][][]float64) (*TrainingFree, error) {
	pc := stackParts(cfg)[0]
	p, err := TrainDecoder(pc, trials, nil)
	if err != nil {
		return nil, fmt.Errorf("ssvep: stacked %s: %w", pc.Method, err)
	}
	return p.(*TrainingFree), nil
}

// stackData is what the stack's parts make of a set of windows, computed
// once for every fold: fbcca's scores and ts-lr's extended covariances.
type stackData struct {
	cfg RiemannConfig // ts-lr's, resolved
	fb  *TrainingFree
	// bands, with MethodStackBands, makes fbScores fbcca's sub-band
	// correlations (FBCCA.Correlations) rather than its scores.
	bands    bool
	labels   []int
	folds    []int
	fbScores [][]float64
	covs     []*mat.SymDense
	channels int
	// tdca, with MethodStackTDCA, is the TDCA part trained on every
	// window and tdcaScores every window's out-of-fold TDCA target
	// scores.
	tdca       *TDCA
	tdcaScores [][]float64
}

// newStackData scores the windows with fb (its sub-band correlations
// with cfg.Method MethodStackBands) and computes their ts-lr covariances;
// fbScores, when given, are fb's scores of the windows.
func newStackData(cfg TrainConfig, fb *TrainingFree, trials [][][]float64, labels, folds []int, fbScores [][]float64) (*stackData, error) {
	if len(trials) == 0 || len(labels) != len(trials) || len(folds) != len(trials) {
		return nil, fmt.Errorf("ssvep: stacked: %d trials, %d labels, %d folds", len(trials), len(labels), len(folds))
	}
	rc := stackParts(cfg)[1].Riemann
	rc.Method, rc.SampleRate, rc.Freqs, rc.Channels = MethodTSLR, cfg.SampleRate, cfg.Freqs, cfg.Channels
	rc, err := rc.resolve()
	if err != nil {
		return nil, err
	}
	sd := &stackData{cfg: rc, fb: fb, bands: cfg.Method == MethodStackBands, labels: labels, folds: folds, fbScores: fbScores, channels: len(trials[0])}
	ext, err := riemann.NewExtended(rc.extended(sd.channels))
	if err != nil {
		return nil, err
	}
	sd.covs = make([]*mat.SymDense, len(trials))
	for i, x := range trials {
		if err := checkWindow(x, sd.channels, len(trials[0][0])); err != nil {
			return nil, fmt.Errorf("ssvep: stacked: trial %d: %w", i, err)
		}
		if sd.covs[i], err = ext.Covariance(nil, x, rc.Estimator); err != nil {
			return nil, fmt.Errorf("ssvep: stacked: trial %d: %w", i, err)
		}
	}
	if sd.fbScores == nil {
		sd.fbScores = make([][]float64, len(trials))
		for i, x := range trials {
			if sd.fbScores[i], err = fbFeatures(fb, sd.bands, nil, x); err != nil {
				return nil, fmt.Errorf("ssvep: stacked: trial %d: %w", i, err)
			}
		}
	}
	return sd, nil
}

// fbFeatures writes fb's stacking features of window x into dst (nil
// allocates): its scores, or with bands its sub-band correlations.
func fbFeatures(fb *TrainingFree, bands bool, dst []float64, x [][]float64) ([]float64, error) {
	if !bands {
		return fb.Scores(dst, x)
	}
	f, ok := fb.d.(*FBCCA)
	if !ok {
		return dst, fmt.Errorf("ssvep: %s: part %s has no sub-bands", MethodStackBands, fb.Method())
	}
	return f.Correlations(dst, x)
}

// tslr trains ts-lr on the windows keep admits.
func (sd *stackData) tslr(keep func(i int) bool) (*Riemann, error) {
	var covs []*mat.SymDense
	var y []int
	for i, c := range sd.covs {
		if keep(i) {
			covs, y = append(covs, c), append(y, sd.labels[i])
		}
	}
	d, err := TrainRiemannCovariances(sd.cfg, sd.channels, covs, y)
	if err != nil {
		return nil, fmt.Errorf("ssvep: stacked %s: %w", MethodTSLR, err)
	}
	return d, nil
}

// features returns every window's stacking features: fbcca's scores,
// the out-of-fold ts-lr target scores and, with a TDCA part, its
// out-of-fold target scores.
func (sd *stackData) features() ([][]float64, error) {
	ids := slices.Sorted(slices.Values(sd.folds))
	if ids = slices.Compact(ids); len(ids) < 2 {
		return nil, fmt.Errorf("ssvep: stacked: cross-validation needs ≥ 2 folds, got %d", len(ids))
	}
	feat := make([][]float64, len(sd.covs))
	for _, f := range ids {
		d, err := sd.tslr(func(i int) bool { return sd.folds[i] != f })
		if err != nil {
			return nil, fmt.Errorf("fold %d held out: %w", f, err)
		}
		for i, g := range sd.folds {
			if g != f {
				continue
			}
			s, err := d.ScoresCovariance(nil, sd.covs[i])
			if err != nil {
				return nil, err
			}
			feat[i] = append(slices.Clone(sd.fbScores[i]), s...)
			if sd.tdca != nil {
				feat[i] = append(feat[i], sd.tdcaScores[i]...)
			}
		}
	}
	return feat, nil
}

// stackClasses returns the sorted distinct labels.
func stackClasses(labels []int) ([]int, error) {
	classes := slices.Compact(slices.Sorted(slices.Values(labels)))
	if len(classes) < 2 {
		return nil, fmt.Errorf("ssvep: stacked: trials of %d class, want ≥ 2", len(classes))
	}
	return classes, nil
}

// meta trains the stacking regression on the feature rows keep admits.
func meta(feat [][]float64, labels, classes []int, keep func(i int) bool) (*linear.Softmax, error) {
	var X []linear.Sparse
	var y []int
	for i, f := range feat {
		if keep(i) {
			X, y = append(X, linear.Dense(f)), append(y, slices.Index(classes, labels[i]))
		}
	}
	sm, err := linear.Train(X, y, len(classes), len(feat[0]), linear.Config{Lambda: stackLambda, Balanced: true})
	if err != nil {
		return nil, fmt.Errorf("ssvep: stacked: %w", err)
	}
	return sm, nil
}

// train trains the stack on every window: the regression on the
// out-of-fold features, ts-lr on every window.
func (sd *stackData) train() (*Stacked, error) {
	feat, err := sd.features()
	if err != nil {
		return nil, err
	}
	return sd.trainOn(feat)
}

func (sd *stackData) trainOn(feat [][]float64) (*Stacked, error) {
	d := &Stacked{method: MethodStack, freqs: slices.Clone(sd.cfg.Freqs)}
	if sd.bands {
		d.method = MethodStackBands
	}
	var err error
	if d.classes, err = stackClasses(sd.labels); err != nil {
		return nil, err
	}
	all := func(int) bool { return true }
	ts, err := sd.tslr(all)
	if err != nil {
		return nil, err
	}
	d.parts = []Decoder{sd.fb, ts}
	if sd.tdca != nil {
		d.method, d.parts = MethodStackTDCA, append(d.parts, sd.tdca)
	}
	if d.sm, err = meta(feat, sd.labels, d.classes, all); err != nil {
		return nil, err
	}
	d.prepare()
	return d, nil
}

// width returns the number of stacking features part k gives: one per
// target, or with MethodStackBands one per sub-band and target for fbcca.
func (d *Stacked) width(k int) int {
	if k == 0 && d.method == MethodStackBands {
		return d.parts[0].(*TrainingFree).d.(*FBCCA).fb.Len() * len(d.freqs)
	}
	return len(d.freqs)
}

func (d *Stacked) dim() int {
	n := 0
	for k := range d.parts {
		n += d.width(k)
	}
	return n
}

func (d *Stacked) prepare() {
	d.part = make([]float64, d.width(0))
	d.feat = make([]float64, d.dim())
	d.probs = make([]float64, len(d.classes))
}

// Method returns the stack's method, one of StackMethods.
func (d *Stacked) Method() string { return d.method }

// Freqs returns the targets' frequencies in Hz.
func (d *Stacked) Freqs() []float64 { return slices.Clone(d.freqs) }

// SampleRate returns the windows' sample rate in Hz.
func (d *Stacked) SampleRate() float64 { return d.parts[0].SampleRate() }

// Channels returns the number of channels per window.
func (d *Stacked) Channels() int { return d.parts[0].Channels() }

// ChannelNames returns the channel labels of the first part that names
// them, or nil.
func (d *Stacked) ChannelNames() []string {
	for _, p := range d.parts {
		if n, ok := p.(interface{ ChannelNames() []string }); ok && n.ChannelNames() != nil {
			return n.ChannelNames()
		}
	}
	return nil
}

// Samples returns the window length in samples of the parts fixed to one
// (FBCCA's).
func (d *Stacked) Samples() int {
	for _, p := range d.parts {
		if w, ok := p.(interface{ Samples() int }); ok {
			return w.Samples()
		}
	}
	return 0
}

// Offset returns the start of the decision window after a trial's onset
// in s that SelectStacked chose (0 without a selection), as
// TrainingFree.Offset.
func (d *Stacked) Offset() float64 {
	if d.sel == nil {
		return 0
	}
	return d.sel.OffsetSeconds
}

// Selection returns what SelectStacked chose, or nil.
func (d *Stacked) Selection() *StackSelection {
	if d.sel == nil {
		return nil
	}
	s := *d.sel
	return &s
}

// classProbabilities writes every class's probability for window x into
// d.probs.
func (d *Stacked) classProbabilities(x [][]float64) error {
	at := 0
	for k, p := range d.parts {
		var s []float64
		var err error
		if k == 0 {
			s, err = fbFeatures(p.(*TrainingFree), d.method == MethodStackBands, d.part, x)
		} else {
			s, err = p.Scores(d.part[:len(d.freqs)], x)
		}
		if err != nil {
			return err
		}
		at += copy(d.feat[at:], s)
	}
	d.sm.Probabilities(d.probs, linear.Dense(d.feat))
	return nil
}

func (d *Stacked) scoreDecide(dst []float64, x [][]float64) ([]float64, int, error) {
	dst = useVector(dst, len(d.freqs))
	if err := d.classProbabilities(x); err != nil {
		return dst, Rest, err
	}
	clear(dst)
	for k, c := range d.classes {
		if c != Rest {
			dst[c] = d.probs[k]
		}
	}
	return dst, d.classes[Argmax(d.probs)], nil
}

// Scores writes the probability of every target into dst (nil
// allocates) and returns it.
func (d *Stacked) Scores(dst []float64, x [][]float64) ([]float64, error) {
	dst, _, err := d.scoreDecide(dst, x)
	return dst, err
}

// Decide returns the most probable class: a target index or Rest.
func (d *Stacked) Decide(x [][]float64) (int, error) {
	_, l, err := d.scoreDecide(nil, x)
	return l, err
}

// Model file of a stacked ensemble:
//
//	{"format": "neurostream-ssvep-stack", "version": 2,
//	 "method": "fbcca+ts-lr" | "fbcca-bands+ts-lr" | "fbcca+ts-lr+tdca",
//	 "freqs": [...], "parts": [{the parts' model files}],
//	 "classes": [-1, 0, …], "weights": [class][feature], "bias": [class],
//	 (parts: fbcca, ts-lr and, for fbcca+ts-lr+tdca, tdca; features: each
//	 part's scores in turn, one per target, but for fbcca-bands+ts-lr
//	 fbcca's sub-band correlations, sub-band-major)
//	 "selection": StackSelection (offset_seconds, bands,
//	              augment_step_seconds, windows, folds, fold_kind,
//	              cv_accuracy, candidates, tdca_delays,
//	              tdca_components)}
//
// selection is left out when the stack was trained without one
// (TrainStacked). Version 1 files, which have no selection, are read as
// such; version 2 added it, so that a version-1 reader cannot decode a
// chosen offset's model from the onset. fbcca-bands+ts-lr is a method
// value of version 2: a reader without it refuses the file by its method.
const (
	StackModelFormat  = "neurostream-ssvep-stack"
	StackModelVersion = 2
)

var stackKind = modelfile.Kind{Format: StackModelFormat, Oldest: 1, Newest: StackModelVersion}

type stackFile struct {
	modelfile.Header
	Method    string            `json:"method"`
	Freqs     []float64         `json:"freqs"`
	Parts     []json.RawMessage `json:"parts"`
	Classes   []int             `json:"classes"`
	Weights   [][]float64       `json:"weights"`
	Bias      []float64         `json:"bias"`
	Selection *StackSelection   `json:"selection,omitempty"`
}

// Save writes the ensemble, its parts' model files inside, as one model
// file.
func (d *Stacked) Save(w io.Writer) error {
	f := stackFile{Header: modelfile.Header{Format: StackModelFormat, Version: StackModelVersion},
		Method: d.method, Freqs: d.freqs, Classes: d.classes, Bias: d.sm.Bias, Selection: d.sel}
	for _, p := range d.parts {
		var b bytes.Buffer
		if err := p.Save(&b); err != nil {
			return err
		}
		f.Parts = append(f.Parts, bytes.TrimSpace(b.Bytes()))
	}
	for k := range d.sm.Classes {
		f.Weights = append(f.Weights, d.sm.Weights[k*d.sm.Dim:(k+1)*d.sm.Dim])
	}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save stacked model: %w", err)
	}
	return nil
}

// LoadStacked reads a model file written by Stacked.Save. An error names
// what is wrong.
func LoadStacked(r io.Reader) (*Stacked, error) {
	return loadFile(r, stackKind, "stacked model", stackFromFile)
}

func stackFromFile(f *stackFile) (*Stacked, error) {
	want := map[string][]string{MethodStack: {MethodFBCCA, MethodTSLR}, MethodStackBands: {MethodFBCCA, MethodTSLR},
		MethodStackTDCA: {MethodFBCCA, MethodTSLR, MethodTDCA}}[f.Method]
	if want == nil || len(f.Parts) != len(want) {
		return nil, fmt.Errorf("method %q with %d parts: want %s or %s with 2, %s with 3", f.Method, len(f.Parts), MethodStack, MethodStackBands, MethodStackTDCA)
	}
	if sel := f.Selection; sel != nil && (f.Version < 2 || !(sel.OffsetSeconds >= 0) || math.IsInf(sel.OffsetSeconds, 0)) {
		return nil, fmt.Errorf("selection offset %v s in a version %d file: want ≥ 0, version ≥ 2", sel.OffsetSeconds, f.Version)
	}
	d := &Stacked{method: f.Method, freqs: f.Freqs, classes: f.Classes, sel: f.Selection}
	for k, raw := range f.Parts {
		p, err := LoadDecoder(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", k, err)
		}
		if p.Method() != want[k] || !slices.Equal(p.Freqs(), f.Freqs) {
			return nil, fmt.Errorf("part %d is %s for %v Hz, want %s for %v Hz", k, p.Method(), p.Freqs(), want[k], f.Freqs)
		}
		if _, ok := p.(*TrainingFree); k == 0 && !ok {
			return nil, fmt.Errorf("part 0 is %T, want a plain %s", p, MethodFBCCA)
		}
		d.parts = append(d.parts, p)
	}
	if len(f.Classes) < 2 || len(f.Weights) != len(f.Classes) || len(f.Bias) != len(f.Classes) {
		return nil, fmt.Errorf("%d classes, %d weight rows, %d biases", len(f.Classes), len(f.Weights), len(f.Bias))
	}
	for _, c := range f.Classes {
		if c < Rest || c >= len(f.Freqs) {
			return nil, fmt.Errorf("class %d outside [%d, %d)", c, Rest, len(f.Freqs))
		}
	}
	d.sm = &linear.Softmax{Classes: len(f.Classes), Dim: d.dim(), Bias: f.Bias}
	for k, row := range f.Weights {
		if err := finiteVector(row, d.dim()); err != nil {
			return nil, fmt.Errorf("weights[%d]: %w", k, err)
		}
		d.sm.Weights = append(d.sm.Weights, row...)
	}
	if slices.ContainsFunc(f.Bias, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }) {
		return nil, fmt.Errorf("bias holds a non-finite value")
	}
	d.prepare()
	return d, nil
}
