package ssvep

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// TRCAConfig describes a TRCA model to train.
type TRCAConfig struct {
	// SampleRate is the trials' sample rate in Hz.
	SampleRate float64 `json:"sample_rate"`
	// Freqs are the targets' stimulus frequencies in Hz: a trial labelled
	// k was recorded while the user attended Freqs[k]. TRCA learns the
	// responses from the trials and uses the frequencies only to name the
	// targets.
	Freqs []float64 `json:"freqs"`
	// Channels optionally names the trials' channels; the model file
	// keeps the names so a user of the model can check the montage.
	Channels []string `json:"channels,omitempty"`
	// Ensemble selects ensemble TRCA: every target's spatial filter is
	// applied to every target's template (Nakanishi et al. 2018).
	Ensemble bool `json:"ensemble"`
	// FilterBank selects the sub-bands, weights and filtering mode. A
	// single sub-band (SubBands: 1) is plain TRCA on [6, 90] Hz as in the
	// reference code. Default: Chen's 5 sub-bands, zero-phase, weights
	// k^−1.25 + 0.25.
	FilterBank FilterBankConfig `json:"filter_bank"`
	// NoControl selects a rule to calibrate on the trials labelled Rest
	// (see CalibrateNoControl). Target trials are then scored by
	// leave-one-trial-out models, so every target needs at least 3 trials.
	// Default: none (Rest trials are then an error).
	NoControl NoControlRule `json:"no_control,omitempty"`
}

// TRCA is a trained task-related component analysis model (Nakanishi et
// al. 2018). For every sub-band n and target k, training finds the spatial
// filter w_nk that maximises the covariance between the target's trials
// relative to their variance, the leading generalized eigenvector of
//
//	S·w = λ·Q·w,  S = Σ_{h≠h'} X̃_h·X̃_{h'}ᵀ,  Q = Ũ·Ũᵀ,
//
// where X̃_h are the target's trials (channels × samples) centred per
// channel and Ũ is their concatenation in time centred per channel (the
// reference trca.m); w is scaled to wᵀQw = 1 (scipy.linalg.eigh's
// normalisation) with its largest-magnitude entry positive. The template
// X̄_nk is the mean of the target's sub-band-n trials. A window X scores
//
//	ρ_k = Σ_n w(n)·r(X_nᵀ·W_nk, X̄_nkᵀ·W_nk)
//
// where r is Pearson's correlation of the flattened projections, W_nk =
// w_nk for TRCA and [w_n1 … w_nK] (all targets' filters) for ensemble TRCA,
// and w(n) the filter bank's weights. Unlike FBCCA, correlations and not
// their squares are weighted, as in the reference code (fb_coefs*r): r is
// signed, and a window in anti-phase with a template is a mismatch, which
// squaring would reward.
//
// A TRCA's parameters are read-only after training; its scratch buffers
// are not, so one TRCA is not safe for concurrent use: give each goroutine
// a Clone.
type TRCA struct {
	cfg       TRCAConfig
	samples   int
	channels  int
	fb        *FilterBank
	filters   [][][]float64   // [band][target][channel]
	templates [][][][]float64 // [band][target][channel][sample]
	trials    []int           // training trials per target
	noControl NoControl

	proj  [][][]float64 // [band][target]: centred projected template, samples×m row-major
	pnorm [][]float64   // [band][target]: its norm
	sub   [][]float64
	xp    []float64
}

// TrainTRCA trains a TRCA model from labelled calibration trials:
// trials[i][channel][sample] is trial i, all of one shape, aligned to
// stimulus onset the same way test windows will be; labels[i] is its target
// index into cfg.Freqs, or Rest. Every target needs at least 2 trials (3
// with a no-control rule). An error reports an invalid configuration or
// data, including calibration data whose channels are linearly dependent
// (Q not positive definite).
func TrainTRCA(cfg TRCAConfig, trials [][][]float64, labels []int) (*TRCA, error) {
	channels, samples, err := checkTRCATrials(cfg, trials, labels)
	if err != nil {
		return nil, err
	}
	fb, err := NewFilterBank(cfg.FilterBank, cfg.SampleRate, channels)
	if err != nil {
		return nil, err
	}
	if n := fb.MinSamples(); samples < n {
		return nil, fmt.Errorf("ssvep: trca: trials of %d samples are too short for zero-phase filtering: want ≥ %d", samples, n)
	}
	cfg.FilterBank = fb.Config()
	cfg.Freqs = slices.Clone(cfg.Freqs)
	cfg.Channels = slices.Clone(cfg.Channels)

	sub, err := subBandTrials(fb, trials)
	if err != nil {
		return nil, err
	}
	m, err := fitTRCA(cfg, fb, sub, labels, -1)
	if err != nil {
		return nil, fmt.Errorf("ssvep: trca: %w", err)
	}
	if cfg.NoControl == NoControlNone {
		return m, nil
	}
	if m.noControl, err = calibrateTRCA(m, sub, labels); err != nil {
		return nil, err
	}
	return m, nil
}

// checkTRCATrials validates TrainTRCA's configuration and training data
// and returns the trials' channel and sample counts.
func checkTRCATrials(cfg TRCAConfig, trials [][][]float64, labels []int) (channels, samples int, err error) {
	if err := validateTargets(cfg.Freqs, cfg.SampleRate); err != nil {
		return 0, 0, err
	}
	if !cfg.NoControl.Valid() {
		return 0, 0, fmt.Errorf("ssvep: trca: unknown no-control rule %q", cfg.NoControl)
	}
	if len(trials) == 0 || len(trials) != len(labels) {
		return 0, 0, fmt.Errorf("ssvep: trca: %d trials with %d labels", len(trials), len(labels))
	}
	channels = len(trials[0])
	if channels == 0 {
		return 0, 0, errors.New("ssvep: trca: trial 0 has no channels")
	}
	samples = len(trials[0][0])
	if cfg.Channels != nil && len(cfg.Channels) != channels {
		return 0, 0, fmt.Errorf("ssvep: trca: %d channel names for %d channels", len(cfg.Channels), channels)
	}
	nt := len(cfg.Freqs)
	count := make([]int, nt)
	rest := 0
	for i, tr := range trials {
		if err := checkTRCATrial(tr, i, channels, samples); err != nil {
			return 0, 0, err
		}
		switch l := labels[i]; {
		case l == Rest:
			rest++
		case l >= 0 && l < nt:
			count[l]++
		default:
			return 0, 0, fmt.Errorf("ssvep: trca: trial %d label %d outside [%d, %d)", i, l, Rest, nt)
		}
	}
	need := 2
	if cfg.NoControl != NoControlNone {
		need = 3
		if rest == 0 {
			return 0, 0, fmt.Errorf("ssvep: trca: no-control rule %q needs trials labelled Rest", cfg.NoControl)
		}
	} else if rest > 0 {
		return 0, 0, fmt.Errorf("ssvep: trca: %d rest trials but no no-control rule to calibrate", rest)
	}
	for k, n := range count {
		if n < need {
			return 0, 0, fmt.Errorf("ssvep: trca: target %d (%v Hz) has %d trials, want ≥ %d", k, cfg.Freqs[k], n, need)
		}
	}
	return channels, samples, nil
}

// checkTRCATrial checks that training trial i, tr, is channels×samples and
// usable as a window.
func checkTRCATrial(tr [][]float64, i, channels, samples int) error {
	if len(tr) != channels {
		return fmt.Errorf("ssvep: trca: trial %d has %d channels, want %d", i, len(tr), channels)
	}
	for c, row := range tr {
		if len(row) != samples {
			return fmt.Errorf("ssvep: trca: trial %d channel %d has %d samples, want %d", i, c, len(row), samples)
		}
	}
	if err := checkWindow(tr, channels, samples); err != nil {
		return fmt.Errorf("ssvep: trca: trial %d: %w", i, err)
	}
	return nil
}

// subBandTrials filters every trial through fb: sub[n][i] is trial i's
// sub-band n.
func subBandTrials(fb *FilterBank, trials [][][]float64) ([][][][]float64, error) {
	sub := make([][][][]float64, fb.Len())
	for n := range sub {
		sub[n] = make([][][]float64, len(trials))
		for i, tr := range trials {
			var err error
			if sub[n][i], err = fb.Filter(nil, tr, n); err != nil {
				return nil, err
			}
		}
	}
	return sub, nil
}

// calibrateTRCA calibrates the no-control rule of m's configuration on
// leave-one-trial-out scores of target trials and the full model m's
// scores of rest trials (which no template contains).
func calibrateTRCA(m *TRCA, sub [][][][]float64, labels []int) (NoControl, error) {
	cfg, fb := m.cfg, m.fb
	scores := make([][]float64, len(labels))
	window := make([][][]float64, fb.Len())
	for i, l := range labels {
		for n := range window {
			window[n] = sub[n][i]
		}
		scorer := m
		if l != Rest {
			var err error
			if scorer, err = fitTRCA(cfg, fb, sub, labels, i); err != nil {
				return NoControl{}, fmt.Errorf("ssvep: trca: leave-one-out without trial %d: %w", i, err)
			}
		}
		scores[i] = make([]float64, len(cfg.Freqs))
		scorer.scoreSubBands(scores[i], window)
	}
	return CalibrateNoControl(cfg.NoControl, scores, labels)
}

// fitTRCA computes filters and templates from sub-band trials
// sub[band][trial], leaving out trial exclude (−1: none) and Rest trials.
func fitTRCA(cfg TRCAConfig, fb *FilterBank, sub [][][][]float64, labels []int, exclude int) (*TRCA, error) {
	nt := len(cfg.Freqs)
	channels, samples := len(sub[0][0]), len(sub[0][0][0])
	m := &TRCA{cfg: cfg, samples: samples, channels: channels, fb: fb, trials: make([]int, nt)}
	m.filters = make([][][]float64, fb.Len())
	m.templates = make([][][][]float64, fb.Len())
	for i, l := range labels {
		if i != exclude && l != Rest {
			m.trials[l]++
		}
	}
	group := make([][][]float64, 0, len(labels))
	for n := range fb.Len() {
		m.filters[n] = make([][]float64, nt)
		m.templates[n] = make([][][]float64, nt)
		for k := range nt {
			group = group[:0]
			for i, l := range labels {
				if l == k && i != exclude {
					group = append(group, sub[n][i])
				}
			}
			w, err := trcaFilter(group)
			if err != nil {
				return nil, fmt.Errorf("sub-band %d target %d (%v Hz): %w", n+1, k, cfg.Freqs[k], err)
			}
			m.filters[n][k] = w
			m.templates[n][k] = meanTrial(group)
		}
	}
	m.prepare()
	return m, nil
}

// meanTrial returns the sample-wise mean of trials.
func meanTrial(trials [][][]float64) [][]float64 {
	t := useMatrix(nil, len(trials[0]), len(trials[0][0]))
	for _, tr := range trials {
		for c, row := range tr {
			for i, v := range row {
				t[c][i] += v
			}
		}
	}
	inv := 1 / float64(len(trials))
	for _, row := range t {
		for i := range row {
			row[i] *= inv
		}
	}
	return t
}

// trcaFilter returns the leading generalized eigenvector w of S·w = λ·Q·w
// for trials (channels × samples each), scaled to wᵀQw = 1 with its
// largest-magnitude entry positive.
func trcaFilter(trials [][][]float64) ([]float64, error) {
	nc, ns := len(trials[0]), len(trials[0][0])
	// Per-trial centring for S, global centring for Q.
	sum := make([]float64, nc*ns) // Σ_h X̃_h, channel-major
	global := make([]float64, nc)
	for _, tr := range trials {
		for c, row := range tr {
			mean := 0.0
			for _, v := range row {
				mean += v
			}
			global[c] += mean
			mean /= float64(ns)
			s := sum[c*ns : (c+1)*ns]
			for i, v := range row {
				s[i] += v - mean
			}
		}
	}
	for c := range global {
		global[c] /= float64(ns * len(trials))
	}
	// S = (ΣX̃)(ΣX̃)ᵀ − Σ X̃X̃ᵀ; Q = Σ (X−μ)(X−μ)ᵀ.
	s := mat.NewSymDense(nc, nil)
	q := mat.NewSymDense(nc, nil)
	xc := make([]float64, nc*ns)
	xq := make([]float64, nc*ns)
	for _, tr := range trials {
		for c, row := range tr {
			mean := 0.0
			for _, v := range row {
				mean += v
			}
			mean /= float64(ns)
			for i, v := range row {
				xc[c*ns+i] = v - mean
				xq[c*ns+i] = v - global[c]
			}
		}
		blas64.Syrk(blas.NoTrans, -1, blas64.General{Rows: nc, Cols: ns, Stride: ns, Data: xc}, 1, s.RawSymmetric())
		blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: nc, Cols: ns, Stride: ns, Data: xq}, 1, q.RawSymmetric())
	}
	blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: nc, Cols: ns, Stride: ns, Data: sum}, 1, s.RawSymmetric())

	var chol mat.Cholesky
	if !chol.Factorize(q) {
		return nil, errors.New("the trials' covariance Q is not positive definite: a flat or linearly dependent channel, or too few samples")
	}
	var l mat.TriDense
	chol.LTo(&l)
	// C = L⁻¹·S·L⁻ᵀ: A = L⁻¹S, then C = L⁻¹Aᵀ (S symmetric).
	a := mat.DenseCopyOf(s)
	lr := l.RawTriangular()
	blas64.Trsm(blas.Left, blas.NoTrans, 1, lr, a.RawMatrix())
	var at mat.Dense
	at.CloneFrom(a.T())
	blas64.Trsm(blas.Left, blas.NoTrans, 1, lr, at.RawMatrix())
	cs := mat.NewSymDense(nc, nil)
	for i := range nc {
		for j := i; j < nc; j++ {
			cs.SetSym(i, j, (at.At(i, j)+at.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cs, true) {
		return nil, errors.New("eigendecomposition did not converge")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	v := mat.Col(nil, nc-1, &vecs) // eigenvalues ascend: the last is the largest
	// w = L⁻ᵀ·v.
	wv := blas64.Vector{N: nc, Inc: 1, Data: v}
	blas64.Trsv(blas.Trans, lr, wv)
	big := 0
	for i, x := range v {
		if math.Abs(x) > math.Abs(v[big]) {
			big = i
		}
	}
	if v[big] < 0 {
		for i := range v {
			v[i] = -v[i]
		}
	}
	return v, nil
}

// prepare computes the projected templates and the scratch buffers.
func (m *TRCA) prepare() {
	nb, nt := len(m.filters), len(m.cfg.Freqs)
	width := m.width()
	m.proj = make([][][]float64, nb)
	m.pnorm = make([][]float64, nb)
	for n := range nb {
		m.proj[n] = make([][]float64, nt)
		m.pnorm[n] = make([]float64, nt)
		for k := range nt {
			p := make([]float64, m.samples*width)
			m.project(p, m.templates[n][k], n, k)
			m.pnorm[n][k] = centre(p)
			m.proj[n][k] = p
		}
	}
	m.sub = useMatrix(nil, m.channels, m.samples)
	m.xp = make([]float64, m.samples*width)
}

// width is the number of spatial filters applied per target.
func (m *TRCA) width() int {
	if m.cfg.Ensemble {
		return len(m.cfg.Freqs)
	}
	return 1
}

// project writes xᵀ·W_nk (samples × width, row-major) into dst.
func (m *TRCA) project(dst []float64, x [][]float64, n, k int) {
	clear(dst)
	if !m.cfg.Ensemble {
		w := m.filters[n][k]
		for c, row := range x {
			wc := w[c]
			for i, v := range row {
				dst[i] += wc * v
			}
		}
		return
	}
	width := len(m.cfg.Freqs)
	for j, w := range m.filters[n] {
		for c, row := range x {
			wc := w[c]
			for i, v := range row {
				dst[i*width+j] += wc * v
			}
		}
	}
}

// centre subtracts the mean of p from p and returns the norm of the result.
func centre(p []float64) float64 {
	mean := 0.0
	for _, v := range p {
		mean += v
	}
	mean /= float64(len(p))
	ss := 0.0
	for i := range p {
		p[i] -= mean
		ss += p[i] * p[i]
	}
	return math.Sqrt(ss)
}

// Config returns the configuration with its defaults filled in.
func (m *TRCA) Config() TRCAConfig {
	c := m.cfg
	c.Freqs = slices.Clone(c.Freqs)
	c.Channels = slices.Clone(c.Channels)
	c.FilterBank = m.fb.Config()
	return c
}

// Samples returns the window length in samples (the training trials').
func (m *TRCA) Samples() int { return m.samples }

// Channels returns the number of channels per window.
func (m *TRCA) Channels() int { return m.channels }

// FilterBank returns the model's filter bank (shared, not a copy).
func (m *TRCA) FilterBank() *FilterBank { return m.fb }

// NoControl returns the calibrated no-control rule (Rule NoControlNone if
// the model has none).
func (m *TRCA) NoControl() NoControl { return m.noControl }

// TrialsPerTarget returns the number of training trials of each target.
func (m *TRCA) TrialsPerTarget() []int { return slices.Clone(m.trials) }

// Filter returns a copy of the spatial filter of sub-band n (from 0) and
// target k.
func (m *TRCA) Filter(n, k int) []float64 { return slices.Clone(m.filters[n][k]) }

// Template returns a copy of the template of sub-band n and target k,
// [channel][sample].
func (m *TRCA) Template(n, k int) [][]float64 {
	t := useMatrix(nil, m.channels, m.samples)
	for c := range t {
		copy(t[c], m.templates[n][k][c])
	}
	return t
}

// Clone returns a model sharing m's read-only parameters with its own
// scratch buffers and filter bank, for use from another goroutine.
func (m *TRCA) Clone() *TRCA {
	c := *m
	fb, err := NewFilterBank(m.fb.Config(), m.cfg.SampleRate, m.channels)
	if err != nil {
		panic("ssvep: trca clone: " + err.Error()) // the same config built m.fb
	}
	c.fb = fb
	c.sub = useMatrix(nil, m.channels, m.samples)
	c.xp = make([]float64, len(m.xp))
	return &c
}

// Scores writes the TRCA score ρ_k of the window x[channel][sample] for
// every target into dst (length len(Freqs); nil allocates) and returns it.
// The window must be aligned to stimulus onset as the training trials
// were. Scores lie in [−Σw(n), Σw(n)].
func (m *TRCA) Scores(dst []float64, x [][]float64) ([]float64, error) {
	dst = useVector(dst, len(m.cfg.Freqs))
	if err := checkWindow(x, m.channels, m.samples); err != nil {
		return dst, fmt.Errorf("ssvep: window: %w", err)
	}
	clear(dst)
	for n := range m.fb.Len() {
		if _, err := m.fb.Filter(m.sub, x, n); err != nil {
			return dst, err
		}
		m.addBand(dst, m.sub, n)
	}
	return dst, nil
}

// ScoresSubBands is Scores for a window already split into sub-bands by
// the caller (sub[n][channel][sample], see FBCCA.ScoresSubBands).
func (m *TRCA) ScoresSubBands(dst []float64, sub [][][]float64) ([]float64, error) {
	dst = useVector(dst, len(m.cfg.Freqs))
	if len(sub) != m.fb.Len() {
		panic(fmt.Sprintf("ssvep: trca: %d sub-bands, want %d", len(sub), m.fb.Len()))
	}
	for n := range sub {
		if err := checkWindow(sub[n], m.channels, m.samples); err != nil {
			return dst, fmt.Errorf("ssvep: sub-band %d: %w", n+1, err)
		}
	}
	m.scoreSubBands(dst, sub)
	return dst, nil
}

func (m *TRCA) scoreSubBands(dst []float64, sub [][][]float64) {
	clear(dst)
	for n := range sub {
		m.addBand(dst, sub[n], n)
	}
}

// addBand adds w(n)·r_nk for every target k to dst, r_nk Pearson's
// correlation of the flattened projections (0 if either is constant).
func (m *TRCA) addBand(dst []float64, x [][]float64, n int) {
	w := m.fb.weights[n]
	xn := 0.0
	for k := range dst {
		// For ensemble TRCA the window's projection is the same for every
		// target.
		if k == 0 || !m.cfg.Ensemble {
			m.project(m.xp, x, n, k)
			xn = centre(m.xp)
		}
		den := xn * m.pnorm[n][k]
		if den == 0 {
			continue
		}
		dot := 0.0
		for i, v := range m.proj[n][k] {
			dot += v * m.xp[i]
		}
		dst[k] += w * dot / den
	}
}
