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

// RestConfig configures a rest (no-control) detector. The zero value is
// the defaults.
type RestConfig struct {
	// Estimator, BandWidth, Harmonics, Order and Broadband select the
	// extended covariance whose tangent vector is part of the features
	// (see RiemannConfig). Defaults: oas, 1 Hz, 1, 4, false.
	Estimator riemann.Estimator `json:"estimator,omitempty"`
	BandWidth float64           `json:"band_width,omitempty"`
	Harmonics int               `json:"harmonics,omitempty"`
	Order     int               `json:"order,omitempty"`
	Broadband bool              `json:"broadband,omitempty"`
	// Mean configures the tangent space's reference. Default: pyriemann's.
	Mean riemann.MeanConfig `json:"mean,omitzero"`
	// Lambda is the L2 penalty of the logistic regression on the
	// standardised features (linear.LogisticConfig). Default: 0.1.
	Lambda float64 `json:"lambda,omitempty"`
	// Threshold is the probability of rest at or above which a window is
	// decided Rest. Default: 0.5 (classes are balanced in training).
	Threshold float64 `json:"threshold,omitempty"`
}

func (c RestConfig) resolve() (RestConfig, error) {
	if c.Estimator == "" {
		c.Estimator = riemann.OAS
	}
	if c.Lambda == 0 {
		c.Lambda = 0.1
	}
	if c.Threshold == 0 {
		c.Threshold = 0.5
	}
	if !c.Estimator.Valid() {
		return c, fmt.Errorf("ssvep: rest detector: covariance estimator %q: want scm, lwf or oas", c.Estimator)
	}
	if !(c.Lambda > 0) || !(c.Threshold > 0 && c.Threshold < 1) {
		return c, fmt.Errorf("ssvep: rest detector: lambda %v and threshold %v: want > 0 and in (0, 1)", c.Lambda, c.Threshold)
	}
	return c, nil
}

// RestDetector is a decoder with a no-control (rest) detector: a binary
// L2 logistic regression (linear.TrainLogistic, classes balanced) on the
// standardised features
//
//	[s_1 … s_K, s_top − s_second, δ(C, M_rest), δ(C, M_control), diag L]
//
// where s are the base decoder's target scores, C the window's extended
// covariance (the bands around every target frequency), δ the Riemannian
// distance, M_rest and M_control the Riemannian means of the rest and of
// the target calibration windows, and L = log(M^{−1/2}·C·M^{−1/2}) C's
// logarithmic map at the mean M of all calibration windows, whose
// diagonal is each band's log power relative to M. These few covariance
// features, not the whole tangent vector (hundreds of values for a few
// dozen calibration windows), keep the regression from fitting noise. A window whose probability of rest reaches Threshold is
// decided Rest; otherwise the base decoder's top target. The scores tell
// how well the best target matches; the covariance features tell whether
// the occipital rhythms at the target frequencies look like those of
// attended windows at all, which the scores alone cannot say.
//
// Not safe for concurrent use.
type RestDetector struct {
	base    Decoder
	cfg     RestConfig
	ext     *riemann.Extended
	ts      *riemann.TangentSpace
	means   [2]*mat.SymDense // rest, control
	dist    [2]riemann.Distancer
	logm    *mat.SymDense
	lr      *linear.Logistic
	mean    []float64 // feature standardisation
	std     []float64
	cov     *mat.SymDense
	scores  []float64
	feature []float64
}

// restFeatureLen returns the number of features for K targets and an n×n
// extended covariance.
func restFeatureLen(targets, n int) int { return targets + 3 + n }

// TrainRest trains a rest detector for base on labelled windows: trials
// (target index or Rest in labels, both needed) and scores[i], base's
// target scores of trial i. For a trained base decoder the scores must be
// out of fold (CrossValidatedScores): scores of its own training windows
// are too good. An error reports an invalid configuration, inconsistent
// inputs, or a failed fit.
func TrainRest(base Decoder, cfg RestConfig, scores [][]float64, trials [][][]float64, labels []int) (*RestDetector, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if len(scores) != len(trials) || len(labels) != len(trials) || len(trials) == 0 {
		return nil, fmt.Errorf("ssvep: rest detector: %d score rows, %d trials, %d labels", len(scores), len(trials), len(labels))
	}
	d := &RestDetector{base: base, cfg: cfg}
	if err := d.build(); err != nil {
		return nil, err
	}
	covs := make([]*mat.SymDense, len(trials))
	y := make([]bool, len(trials))
	for i, x := range trials {
		if covs[i], err = d.covariance(nil, x); err != nil {
			return nil, fmt.Errorf("ssvep: rest detector: trial %d: %w", i, err)
		}
		y[i] = labels[i] == Rest
	}
	if d.ts, err = riemann.FitTangentSpace(covs, cfg.Mean); err != nil {
		return nil, fmt.Errorf("ssvep: rest detector: %w", err)
	}
	var groups [2][]*mat.SymDense
	for i, c := range covs {
		if y[i] {
			groups[0] = append(groups[0], c)
		} else {
			groups[1] = append(groups[1], c)
		}
	}
	for g, name := range []string{"rest", "target"} {
		if len(groups[g]) == 0 {
			return nil, fmt.Errorf("ssvep: rest detector: no %s trials", name)
		}
		m, _, err := riemann.Mean(nil, groups[g], nil, cfg.Mean)
		if err != nil {
			return nil, fmt.Errorf("ssvep: rest detector: %s mean: %w", name, err)
		}
		if err := d.setMean(g, m); err != nil {
			return nil, err
		}
	}
	X := make([][]float64, len(trials))
	for i := range trials {
		if len(scores[i]) != len(base.Freqs()) {
			return nil, fmt.Errorf("ssvep: rest detector: trial %d has %d scores, want %d", i, len(scores[i]), len(base.Freqs()))
		}
		if X[i], err = d.features(nil, scores[i], covs[i]); err != nil {
			return nil, fmt.Errorf("ssvep: rest detector: trial %d: %w", i, err)
		}
	}
	d.mean, d.std = standardize(X)
	for _, row := range X {
		d.scale(row)
	}
	if d.lr, err = linear.TrainLogistic(X, y, linear.LogisticConfig{Lambda: cfg.Lambda, Balanced: true}); err != nil {
		return nil, fmt.Errorf("ssvep: rest detector: %w", err)
	}
	return d, nil
}

// build designs the extended signal and the scratch space.
func (d *RestDetector) build() error {
	var err error
	d.ext, err = riemann.NewExtended(riemann.ExtendedConfig{Freqs: d.base.Freqs(), SampleRate: d.base.SampleRate(),
		Channels: d.base.Channels(), BandWidth: d.cfg.BandWidth, Harmonics: d.cfg.Harmonics, Order: d.cfg.Order, Broadband: d.cfg.Broadband})
	if err != nil {
		return fmt.Errorf("ssvep: rest detector: %w", err)
	}
	d.cov = mat.NewSymDense(d.ext.Dim(), nil)
	d.logm = mat.NewSymDense(d.ext.Dim(), nil)
	d.feature = make([]float64, restFeatureLen(len(d.base.Freqs()), d.ext.Dim()))
	return nil
}

func (d *RestDetector) covariance(dst *mat.SymDense, x [][]float64) (*mat.SymDense, error) {
	if len(x) == 0 || len(x[0]) < d.ext.MinSamples() {
		return dst, fmt.Errorf("window too short for the band filters: want ≥ %d samples", d.ext.MinSamples())
	}
	if err := checkWindow(x, d.base.Channels(), len(x[0])); err != nil {
		return dst, err
	}
	return d.ext.Covariance(dst, x, d.cfg.Estimator)
}

// features writes the unstandardised features of scores s and covariance c
// into dst (nil allocates).
func (d *RestDetector) features(dst []float64, s []float64, c mat.Symmetric) ([]float64, error) {
	if dst == nil {
		dst = make([]float64, restFeatureLen(len(s), c.SymmetricDim()))
	}
	copy(dst, s)
	top, second := math.Inf(-1), math.Inf(-1)
	for _, v := range s {
		if v > top {
			top, second = v, top
		} else if v > second {
			second = v
		}
	}
	if len(s) < 2 {
		second = top
	}
	dst[len(s)] = top - second
	for g := range d.dist {
		v, err := d.dist[g].Distance(c)
		if err != nil {
			return dst, err
		}
		dst[len(s)+1+g] = v
	}
	if _, err := d.ts.LogMap(d.logm, c); err != nil {
		return dst, err
	}
	for i := range c.SymmetricDim() {
		dst[len(s)+3+i] = d.logm.At(i, i)
	}
	return dst, nil
}

// setMean sets the rest (g = 0) or control (g = 1) mean.
func (d *RestDetector) setMean(g int, m *mat.SymDense) error {
	d.means[g] = m
	if err := d.dist[g].SetReference(m); err != nil {
		return fmt.Errorf("ssvep: rest detector: %w", err)
	}
	return nil
}

// standardize returns each column's mean and standard deviation (1 for a
// constant column).
func standardize(X [][]float64) (mean, std []float64) {
	p := len(X[0])
	mean, std = make([]float64, p), make([]float64, p)
	for _, r := range X {
		for j, v := range r {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(X))
	}
	for _, r := range X {
		for j, v := range r {
			std[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(len(X)))
		if !(std[j] > 0) {
			std[j] = 1
		}
	}
	return mean, std
}

func (d *RestDetector) scale(row []float64) {
	for j := range row {
		row[j] = (row[j] - d.mean[j]) / d.std[j]
	}
}

// Base returns the base decoder.
func (d *RestDetector) Base() Decoder { return d.base }

// Method returns the base decoder's method.
func (d *RestDetector) Method() string { return d.base.Method() }

// Freqs returns the targets' frequencies in Hz.
func (d *RestDetector) Freqs() []float64 { return d.base.Freqs() }

// SampleRate returns the windows' sample rate in Hz.
func (d *RestDetector) SampleRate() float64 { return d.base.SampleRate() }

// Channels returns the number of channels per window.
func (d *RestDetector) Channels() int { return d.base.Channels() }

// ChannelNames returns the base decoder's channel labels, or nil.
func (d *RestDetector) ChannelNames() []string {
	if n, ok := d.base.(interface{ ChannelNames() []string }); ok {
		return n.ChannelNames()
	}
	return nil
}

// Offset returns the base decoder's window offset after a trial's onset
// in s (see TrainingFree.Offset), 0 if it has none.
func (d *RestDetector) Offset() float64 {
	if o, ok := d.base.(interface{ Offset() float64 }); ok {
		return o.Offset()
	}
	return 0
}

// Threshold returns the probability of rest at or above which Decide
// returns Rest.
func (d *RestDetector) Threshold() float64 { return d.cfg.Threshold }

// Scores writes the base decoder's target scores into dst and returns it.
func (d *RestDetector) Scores(dst []float64, x [][]float64) ([]float64, error) {
	return d.base.Scores(dst, x)
}

// RestProbability returns the probability that the window x, whose base
// target scores are s, is a rest window. An error reports a window the
// filters cannot take or bad data.
func (d *RestDetector) RestProbability(s []float64, x [][]float64) (float64, error) {
	c, err := d.covariance(d.cov, x)
	if err != nil {
		return math.NaN(), fmt.Errorf("ssvep: rest detector: %w", err)
	}
	if _, err := d.features(d.feature, s, c); err != nil {
		return math.NaN(), fmt.Errorf("ssvep: rest detector: %w", err)
	}
	d.scale(d.feature)
	return d.lr.Probability(d.feature), nil
}

// Decide returns Rest when the window's probability of rest reaches the
// threshold, otherwise the base decoder's top-scoring target.
func (d *RestDetector) Decide(x [][]float64) (int, error) {
	var err error
	if d.scores, err = d.base.Scores(d.scores, x); err != nil {
		return Rest, err
	}
	p, err := d.RestProbability(d.scores, x)
	if err != nil {
		return Rest, err
	}
	if p >= d.cfg.Threshold {
		return Rest, nil
	}
	return Argmax(d.scores), nil
}

// TrainWithRest trains cfg's method on the target trials and a rest
// detector for it on all trials (RestDetector), with the base method's
// scores out of fold: folds[i] names trial i's fold (its calibration
// session or recording, ≥ 2 distinct). This is the calibration a
// `train ssvep` with rest trials runs for any method.
func TrainWithRest(cfg TrainConfig, rest RestConfig, trials [][][]float64, labels, folds []int) (*RestDetector, error) {
	scores, err := CrossValidatedScores(cfg, trials, labels, folds, true)
	if err != nil {
		return nil, err
	}
	var tx [][][]float64
	var ty []int
	for i, l := range labels {
		if l != Rest {
			tx, ty = append(tx, trials[i]), append(ty, l)
		}
	}
	base, err := TrainDecoder(cfg, tx, ty)
	if err != nil {
		return nil, err
	}
	return TrainRest(base, rest, scores, trials, labels)
}

// Model file of a decoder with a rest detector:
//
//	{"format": "neurostream-ssvep-rest", "version": 1,
//	 "base": {the base decoder's model file},
//	 "config": RestConfig, "reference": [row][col],
//	 "rest_mean": [row][col], "control_mean": [row][col],
//	 "feature_mean": [...], "feature_std": [...],
//	 "weights": [...], "bias": b, "lambda": λ}
const (
	RestModelFormat  = "neurostream-ssvep-rest"
	RestModelVersion = 1
)

var restKind = modelfile.Kind{Format: RestModelFormat, Oldest: RestModelVersion, Newest: RestModelVersion}

type restFile struct {
	modelfile.Header
	Base        json.RawMessage `json:"base"`
	Config      RestConfig      `json:"config"`
	Reference   [][]float64     `json:"reference"`
	RestMean    [][]float64     `json:"rest_mean"`
	ControlMean [][]float64     `json:"control_mean"`
	FeatureMean []float64       `json:"feature_mean"`
	FeatureStd  []float64       `json:"feature_std"`
	Weights     []float64       `json:"weights"`
	Bias        float64         `json:"bias"`
	Lambda      float64         `json:"lambda"`
}

// Save writes the detector and its base decoder as one model file.
func (d *RestDetector) Save(w io.Writer) error {
	var base bytes.Buffer
	if err := d.base.Save(&base); err != nil {
		return err
	}
	f := restFile{Header: modelfile.Header{Format: RestModelFormat, Version: RestModelVersion},
		Base: bytes.TrimSpace(base.Bytes()), Config: d.cfg, Reference: symRows(d.ts.Reference()),
		RestMean: symRows(d.means[0]), ControlMean: symRows(d.means[1]),
		FeatureMean: d.mean, FeatureStd: d.std, Weights: d.lr.Weights, Bias: d.lr.Bias, Lambda: d.lr.Lambda}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save rest detector: %w", err)
	}
	return nil
}

// LoadRest reads a model file written by RestDetector.Save. An error names
// what is wrong.
func LoadRest(r io.Reader) (*RestDetector, error) {
	return loadFile(r, restKind, "rest detector", restFromFile)
}

func restFromFile(f *restFile) (*RestDetector, error) {
	base, err := LoadDecoder(bytes.NewReader(f.Base))
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if _, ok := base.(*RestDetector); ok {
		return nil, fmt.Errorf("base is a rest detector itself")
	}
	cfg, err := f.Config.resolve()
	if err != nil {
		return nil, err
	}
	d := &RestDetector{base: base, cfg: cfg}
	if err := d.build(); err != nil {
		return nil, err
	}
	ref, err := rowsSym(f.Reference)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	if ref.SymmetricDim() != d.ext.Dim() {
		return nil, fmt.Errorf("reference is %d×%d, the extended signal has %d rows", ref.SymmetricDim(), ref.SymmetricDim(), d.ext.Dim())
	}
	if d.ts, err = riemann.NewTangentSpace(ref); err != nil {
		return nil, err
	}
	for g, rows := range [][][]float64{f.RestMean, f.ControlMean} {
		m, err := rowsSym(rows)
		if err != nil {
			return nil, fmt.Errorf("%s mean: %w", []string{"rest", "control"}[g], err)
		}
		if m.SymmetricDim() != d.ext.Dim() {
			return nil, fmt.Errorf("%s mean is %d×%d, the extended signal has %d rows", []string{"rest", "control"}[g], m.SymmetricDim(), m.SymmetricDim(), d.ext.Dim())
		}
		if err := d.setMean(g, m); err != nil {
			return nil, err
		}
	}
	p := len(d.feature)
	for name, v := range map[string][]float64{"feature_mean": f.FeatureMean, "feature_std": f.FeatureStd, "weights": f.Weights} {
		if err := finiteVector(v, p); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if slices.ContainsFunc(f.FeatureStd, func(v float64) bool { return !(v > 0) }) {
		return nil, fmt.Errorf("feature_std holds a value ≤ 0")
	}
	if math.IsNaN(f.Bias) || math.IsInf(f.Bias, 0) {
		return nil, fmt.Errorf("bias is %v", f.Bias)
	}
	d.mean, d.std = f.FeatureMean, f.FeatureStd
	d.lr = &linear.Logistic{Weights: f.Weights, Bias: f.Bias, Lambda: f.Lambda}
	return d, nil
}
