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
)

// MethodStack is the stacked ensemble of FBCCA and TS-LR (Stacked).
const MethodStack = "fbcca+ts-lr"

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
	parts   []Decoder
	sm      *linear.Softmax
	classes []int // class k of sm: Rest or a target index
	freqs   []float64
	part    []float64 // one part's scores
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
// trial. An error reports fewer than two folds or a failed training.
func TrainStacked(cfg TrainConfig, trials [][][]float64, labels, folds []int) (*Stacked, error) {
	d := &Stacked{freqs: slices.Clone(cfg.Freqs)}
	var oof [][][]float64 // [part][trial][score]
	for _, pc := range stackParts(cfg) {
		s, err := CrossValidatedScores(pc, trials, labels, folds, false)
		if err != nil {
			return nil, fmt.Errorf("ssvep: stacked %s: %w", pc.Method, err)
		}
		oof = append(oof, s)
		p, err := TrainDecoder(pc, trials, labels)
		if err != nil {
			return nil, fmt.Errorf("ssvep: stacked %s: %w", pc.Method, err)
		}
		d.parts = append(d.parts, p)
	}
	d.classes = slices.Sorted(slices.Values(labels))
	d.classes = slices.Compact(d.classes)
	if len(d.classes) < 2 {
		return nil, fmt.Errorf("ssvep: stacked: trials of %d class, want ≥ 2", len(d.classes))
	}
	X := make([]linear.Sparse, len(trials))
	y := make([]int, len(trials))
	for i := range trials {
		var f []float64
		for _, s := range oof {
			f = append(f, s[i]...)
		}
		X[i], y[i] = linear.Dense(f), slices.Index(d.classes, labels[i])
	}
	var err error
	if d.sm, err = linear.Train(X, y, len(d.classes), d.dim(), linear.Config{Lambda: stackLambda, Balanced: true}); err != nil {
		return nil, fmt.Errorf("ssvep: stacked: %w", err)
	}
	d.prepare()
	return d, nil
}

func (d *Stacked) dim() int { return len(d.parts) * len(d.freqs) }

func (d *Stacked) prepare() {
	d.part = make([]float64, len(d.freqs))
	d.feat = make([]float64, d.dim())
	d.probs = make([]float64, len(d.classes))
}

// Method returns MethodStack.
func (d *Stacked) Method() string { return MethodStack }

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

// classProbabilities writes every class's probability for window x into
// d.probs.
func (d *Stacked) classProbabilities(x [][]float64) error {
	for k, p := range d.parts {
		s, err := p.Scores(d.part, x)
		if err != nil {
			return err
		}
		copy(d.feat[k*len(d.freqs):], s)
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
//	{"format": "neurostream-ssvep-stack", "version": 1,
//	 "method": "fbcca+ts-lr", "freqs": [...],
//	 "parts": [{the parts' model files}], "classes": [-1, 0, …],
//	 "weights": [class][part·target], "bias": [class]}
const (
	StackModelFormat  = "neurostream-ssvep-stack"
	StackModelVersion = 1
)

var stackKind = modelfile.Kind{Format: StackModelFormat, Oldest: StackModelVersion, Newest: StackModelVersion}

type stackFile struct {
	modelfile.Header
	Method  string            `json:"method"`
	Freqs   []float64         `json:"freqs"`
	Parts   []json.RawMessage `json:"parts"`
	Classes []int             `json:"classes"`
	Weights [][]float64       `json:"weights"`
	Bias    []float64         `json:"bias"`
}

// Save writes the ensemble, its parts' model files inside, as one model
// file.
func (d *Stacked) Save(w io.Writer) error {
	f := stackFile{Header: modelfile.Header{Format: StackModelFormat, Version: StackModelVersion},
		Method: MethodStack, Freqs: d.freqs, Classes: d.classes, Bias: d.sm.Bias}
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
	if f.Method != MethodStack || len(f.Parts) != 2 {
		return nil, fmt.Errorf("method %q with %d parts: want %s with 2", f.Method, len(f.Parts), MethodStack)
	}
	d := &Stacked{freqs: f.Freqs, classes: f.Classes}
	for k, raw := range f.Parts {
		p, err := LoadDecoder(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", k, err)
		}
		if want := []string{MethodFBCCA, MethodTSLR}[k]; p.Method() != want || !slices.Equal(p.Freqs(), f.Freqs) {
			return nil, fmt.Errorf("part %d is %s for %v Hz, want %s for %v Hz", k, p.Method(), p.Freqs(), want, f.Freqs)
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
