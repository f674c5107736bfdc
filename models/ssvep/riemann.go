package ssvep

import (
	"fmt"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/riemann"
	"gonum.org/v1/gonum/mat"
)

// Riemannian decoder methods (MOABB's SSVEP pipelines).
const (
	// MethodMDM is minimum distance to the Riemannian mean of the extended
	// covariances (MOABB's SSVEP_MDM).
	MethodMDM = "mdm"
	// MethodTSLR is tangent space + logistic regression on the extended
	// covariances (MOABB's SSVEP_TS, pyRiemann TangentSpace then
	// scikit-learn LogisticRegression).
	MethodTSLR = "ts-lr"
)

// RiemannConfig configures TrainRiemann. The zero value of every optional
// field is MOABB's FilterBankSSVEP paradigm with its SSVEP_MDM or SSVEP_TS
// pipeline: bands [f − 0.5, f + 0.5] Hz around each target (order-4
// Butterworth), the band copies stacked (ExtendedSSVEPSignal), OAS
// covariances, then MDM or tangent space + LogisticRegression(C=1).
type RiemannConfig struct {
	// Method is MethodMDM or MethodTSLR. Required.
	Method string `json:"method"`
	// SampleRate is the trials' sample rate in Hz. Required.
	SampleRate float64 `json:"sample_rate"`
	// Freqs are the targets' stimulus frequencies in Hz: a trial labelled
	// k was recorded while the user attended Freqs[k]; each gives a band.
	// Required.
	Freqs []float64 `json:"freqs"`
	// Channels optionally names the trials' channels (kept in the model
	// file to check the montage).
	Channels []string `json:"channels,omitempty"`
	// Estimator is the covariance estimator: scm, lwf or oas. Default: oas
	// (MOABB's SSVEP pipelines).
	Estimator riemann.Estimator `json:"estimator,omitempty"`
	// BandWidth is the width of each target's band in Hz. Default: 1.
	BandWidth float64 `json:"band_width,omitempty"`
	// Harmonics is the number of harmonics of every target that get a
	// band (riemann.ExtendedConfig). Default: 1.
	Harmonics int `json:"harmonics,omitempty"`
	// Order is the Butterworth order of the bands. Default: 4.
	Order int `json:"order,omitempty"`
	// Broadband adds the unfiltered window to the extended signal.
	// Default: false (MOABB's bands only).
	Broadband bool `json:"broadband,omitempty"`
	// Causal filters each window forward only instead of zero-phase (see
	// riemann.ExtendedConfig). Default: false.
	Causal bool `json:"causal,omitempty"`
	// Mean configures the Riemannian means (MDM's centroids, the tangent
	// space's reference). Default: pyriemann's.
	Mean riemann.MeanConfig `json:"mean,omitzero"`
	// C is ts-lr's inverse L2 regularisation (scikit-learn's C). Default: 1.
	C float64 `json:"c,omitempty"`
	// Standardize z-scores ts-lr's tangent features before the penalty.
	// Default: false (as scikit-learn).
	Standardize bool `json:"standardize,omitempty"`
}

// extended returns the extended-signal configuration for a window of
// channels.
func (c RiemannConfig) extended(channels int) riemann.ExtendedConfig {
	return riemann.ExtendedConfig{Freqs: c.Freqs, SampleRate: c.SampleRate, Channels: channels,
		BandWidth: c.BandWidth, Harmonics: c.Harmonics, Order: c.Order, Broadband: c.Broadband, Causal: c.Causal}
}

func (c RiemannConfig) resolve() (RiemannConfig, error) {
	if c.Method != MethodMDM && c.Method != MethodTSLR {
		return c, fmt.Errorf("ssvep: riemannian method %q: want %s or %s", c.Method, MethodMDM, MethodTSLR)
	}
	if err := validateTargets(c.Freqs, c.SampleRate); err != nil {
		return c, err
	}
	if c.Estimator == "" {
		c.Estimator = riemann.OAS
	}
	if !c.Estimator.Valid() {
		return c, fmt.Errorf("ssvep: covariance estimator %q: want scm, lwf or oas", c.Estimator)
	}
	if c.Method == MethodMDM && (c.C != 0 || c.Standardize) {
		return c, fmt.Errorf("ssvep: c and standardize are for method %s only", MethodTSLR)
	}
	if c.Method == MethodTSLR && c.C == 0 {
		c.C = 1
	}
	c.Freqs = slices.Clone(c.Freqs)
	c.Channels = slices.Clone(c.Channels)
	return c, nil
}

// Riemann is a trained Riemannian SSVEP decoder (MOABB's SSVEP_MDM or
// SSVEP_TS pipeline). A window x[channel][sample] of any length the
// filters take (MinSamples) is band-passed around every target frequency,
// the bands are stacked as channels (riemann.Extended), and their
// covariance C is classified among the classes the model was trained on:
// the targets and, when the training trials held rest trials, Rest.
//
// Scores are per target, higher for a better match: −δ(C, M_k), the
// Riemannian distance to the target's centroid, for mdm; the class
// log-odds Bias_k + W_k·v of the tangent vector v for ts-lr. Decide picks
// the best class, Rest included, so a model trained with rest trials
// detects the no-control state itself.
//
// Not safe for concurrent use: give each goroutine a Clone.
type Riemann struct {
	cfg      RiemannConfig
	channels int
	classes  []int // ascending: Rest (−1) first when trained with it, then targets
	ext      *riemann.Extended
	mdm      *riemann.MDM
	tslr     *riemann.TSLR
	cov      *mat.SymDense
	cls      []float64
}

// TrainRiemann trains a Riemannian decoder on trials[i][channel][sample]
// (all of one shape) labelled by target index (into cfg.Freqs) or Rest.
// Every target needs at least one trial. An error reports an invalid
// configuration, inconsistent trials or labels, or a failed fit.
func TrainRiemann(cfg RiemannConfig, trials [][][]float64, labels []int) (*Riemann, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if len(trials) != len(labels) || len(trials) == 0 {
		return nil, fmt.Errorf("ssvep: %s: %d trials, %d labels", cfg.Method, len(trials), len(labels))
	}
	channels := len(trials[0])
	if cfg.Channels != nil && len(cfg.Channels) != channels {
		return nil, fmt.Errorf("ssvep: %s: %d channel names for %d channels", cfg.Method, len(cfg.Channels), channels)
	}
	if err := checkLabels(cfg, labels); err != nil {
		return nil, err
	}
	ext, err := riemann.NewExtended(cfg.extended(channels))
	if err != nil {
		return nil, err
	}
	covs := make([]*mat.SymDense, len(trials))
	for i, x := range trials {
		if err := checkWindow(x, channels, len(trials[0][0])); err != nil {
			return nil, fmt.Errorf("ssvep: %s: trial %d: %w", cfg.Method, i, err)
		}
		if covs[i], err = ext.Covariance(nil, x, cfg.Estimator); err != nil {
			return nil, fmt.Errorf("ssvep: %s: trial %d: %w", cfg.Method, i, err)
		}
	}
	return TrainRiemannCovariances(cfg, channels, covs, labels)
}

// TrainRiemannCovariances is TrainRiemann for extended covariances the
// caller computed — with Riemann.Extended's StackCovariance from bands a
// streaming filter made, say — of windows of the given number of
// channels: covs[i] is trial i's, labelled labels[i].
func TrainRiemannCovariances(cfg RiemannConfig, channels int, covs []*mat.SymDense, labels []int) (*Riemann, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if len(covs) != len(labels) || len(covs) == 0 {
		return nil, fmt.Errorf("ssvep: %s: %d covariances, %d labels", cfg.Method, len(covs), len(labels))
	}
	if cfg.Channels != nil && len(cfg.Channels) != channels {
		return nil, fmt.Errorf("ssvep: %s: %d channel names for %d channels", cfg.Method, len(cfg.Channels), channels)
	}
	if err := checkLabels(cfg, labels); err != nil {
		return nil, err
	}
	d := &Riemann{cfg: cfg, channels: channels}
	if d.ext, err = riemann.NewExtended(cfg.extended(channels)); err != nil {
		return nil, err
	}
	for i, c := range covs {
		if c.SymmetricDim() != d.ext.Dim() {
			return nil, fmt.Errorf("ssvep: %s: covariance %d is %d×%d, the extended signal has %d rows", cfg.Method, i, c.SymmetricDim(), c.SymmetricDim(), d.ext.Dim())
		}
	}
	switch cfg.Method {
	case MethodMDM:
		d.mdm, err = riemann.TrainMDM(covs, labels, cfg.Mean)
	default:
		d.tslr, err = riemann.TrainTSLR(covs, labels, riemann.TSLRConfig{Mean: cfg.Mean, C: cfg.C, Standardize: cfg.Standardize})
	}
	if err != nil {
		return nil, fmt.Errorf("ssvep: %w", err)
	}
	d.prepare()
	return d, nil
}

// checkLabels reports a label outside [Rest, targets) or a target without
// trials.
func checkLabels(cfg RiemannConfig, labels []int) error {
	count := make([]int, len(cfg.Freqs))
	for i, l := range labels {
		if l < Rest || l >= len(cfg.Freqs) {
			return fmt.Errorf("ssvep: %s: trial %d label %d outside [%d, %d)", cfg.Method, i, l, Rest, len(cfg.Freqs))
		}
		if l != Rest {
			count[l]++
		}
	}
	if k := slices.Index(count, 0); k >= 0 {
		return fmt.Errorf("ssvep: %s: no trial of target %d (%v Hz)", cfg.Method, k, cfg.Freqs[k])
	}
	return nil
}

// prepare sets the classes and scratch space from the trained classifier.
func (d *Riemann) prepare() {
	if d.mdm != nil {
		d.classes = d.mdm.Classes()
	} else {
		d.classes = d.tslr.Classes()
	}
	d.cov = mat.NewSymDense(d.ext.Dim(), nil)
	d.cls = make([]float64, len(d.classes))
}

// Clone returns a decoder with the same parameters and its own scratch
// space and filters.
func (d *Riemann) Clone() *Riemann {
	c := &Riemann{cfg: d.cfg, channels: d.channels}
	var err error
	if c.ext, err = riemann.NewExtended(d.cfg.extended(d.channels)); err != nil {
		panic("ssvep: riemann clone: " + err.Error())
	}
	if d.mdm != nil {
		c.mdm = d.mdm.Clone()
	} else {
		c.tslr = d.tslr.Clone()
	}
	c.prepare()
	return c
}

// Method returns MethodMDM or MethodTSLR.
func (d *Riemann) Method() string { return d.cfg.Method }

// Config returns the configuration with its defaults filled in.
func (d *Riemann) Config() RiemannConfig {
	c := d.cfg
	c.Freqs, c.Channels = slices.Clone(c.Freqs), slices.Clone(c.Channels)
	return c
}

// Freqs returns the targets' frequencies in Hz.
func (d *Riemann) Freqs() []float64 { return slices.Clone(d.cfg.Freqs) }

// Channels returns the number of channels per window.
func (d *Riemann) Channels() int { return d.channels }

// HasRest reports whether the model was trained with rest trials (Decide
// can return Rest).
func (d *Riemann) HasRest() bool { return d.classes[0] == Rest }

// Extended returns the decoder's extended-signal plan (shared), for a
// stream that filters the bands itself (Extended().SOS(k)) and decodes
// with ScoresCovariance.
func (d *Riemann) Extended() *riemann.Extended { return d.ext }

// MinSamples returns the shortest window the decoder filters.
func (d *Riemann) MinSamples() int { return d.ext.MinSamples() }

// Covariance writes the extended covariance of the window x into dst
// (nil allocates) and returns it. A wrong channel count panics; an error
// reports a non-finite sample or a window too short for the filters.
func (d *Riemann) Covariance(dst *mat.SymDense, x [][]float64) (*mat.SymDense, error) {
	if len(x) == 0 {
		panic("ssvep: riemann: window has no channel")
	}
	if err := checkWindow(x, d.channels, len(x[0])); err != nil {
		return dst, fmt.Errorf("ssvep: window: %w", err)
	}
	if len(x[0]) < d.MinSamples() {
		return dst, fmt.Errorf("ssvep: %s: window of %d samples is too short for the band filters: want ≥ %d", d.cfg.Method, len(x[0]), d.MinSamples())
	}
	return d.ext.Covariance(dst, x, d.cfg.Estimator)
}

// classScores writes the score of every class of c into d.cls: −δ for
// mdm, log-odds for ts-lr.
func (d *Riemann) classScores(c mat.Symmetric) error {
	if d.mdm != nil {
		if _, err := d.mdm.Distances(d.cls, c); err != nil {
			return fmt.Errorf("ssvep: %w", err)
		}
		for k, v := range d.cls {
			d.cls[k] = -v
		}
		return nil
	}
	if _, err := d.tslr.LogOdds(d.cls, c); err != nil {
		return fmt.Errorf("ssvep: %w", err)
	}
	return nil
}

// ScoresCovariance writes every target's score of the extended covariance
// c into dst (length len(Freqs); nil allocates) and returns it.
func (d *Riemann) ScoresCovariance(dst []float64, c mat.Symmetric) ([]float64, error) {
	dst = useVector(dst, len(d.cfg.Freqs))
	if err := d.classScores(c); err != nil {
		return dst, err
	}
	off := 0
	if d.HasRest() {
		off = 1
	}
	copy(dst, d.cls[off:])
	return dst, nil
}

// DecideCovariance returns the best class of the extended covariance c: a
// target index, or Rest.
func (d *Riemann) DecideCovariance(c mat.Symmetric) (int, error) {
	if err := d.classScores(c); err != nil {
		return Rest, err
	}
	return d.classes[Argmax(d.cls)], nil
}

// Scores writes every target's score of the window x[channel][sample]
// into dst (length len(Freqs); nil allocates) and returns it. Errors as
// Covariance.
func (d *Riemann) Scores(dst []float64, x [][]float64) ([]float64, error) {
	c, err := d.Covariance(d.cov, x)
	if err != nil {
		return useVector(dst, len(d.cfg.Freqs)), err
	}
	return d.ScoresCovariance(dst, c)
}

// Decide returns the decision for the window x: the best class among the
// targets and, for a model trained with rest trials, Rest. Errors as
// Covariance.
func (d *Riemann) Decide(x [][]float64) (int, error) {
	c, err := d.Covariance(d.cov, x)
	if err != nil {
		return Rest, err
	}
	return d.DecideCovariance(c)
}

// symRows returns the full rows of a symmetric matrix.
func symRows(a mat.Symmetric) [][]float64 {
	n := a.SymmetricDim()
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, n)
		for j := range out[i] {
			out[i][j] = a.At(i, j)
		}
	}
	return out
}

// rowsSym returns the symmetric matrix of full rows; an error reports a
// matrix that is not square, not symmetric, or not finite.
func rowsSym(rows [][]float64) (*mat.SymDense, error) {
	n := len(rows)
	if n == 0 {
		return nil, fmt.Errorf("empty matrix")
	}
	s := mat.NewSymDense(n, nil)
	for i, r := range rows {
		if len(r) != n {
			return nil, fmt.Errorf("row %d has %d entries, want %d", i, len(r), n)
		}
		for j := i; j < n; j++ {
			if math.IsNaN(r[j]) || math.IsInf(r[j], 0) {
				return nil, fmt.Errorf("entry (%d, %d) is %v", i, j, r[j])
			}
			if r[j] != rows[j][i] {
				return nil, fmt.Errorf("entries (%d, %d) and (%d, %d) differ", i, j, j, i)
			}
			s.SetSym(i, j, r[j])
		}
	}
	return s, nil
}
