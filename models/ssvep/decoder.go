package ssvep

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/blas/blas64"
)

// CCAConfig describes a training-free decoder's targets and windows.
type CCAConfig struct {
	// Freqs are the targets' stimulus frequencies in Hz; score k belongs to
	// Freqs[k].
	Freqs []float64 `json:"freqs"`
	// SampleRate is the windows' sample rate in Hz.
	SampleRate float64 `json:"sample_rate"`
	// Samples is the window length in samples.
	Samples int `json:"samples"`
	// Channels is the number of channels per window.
	Channels int `json:"channels"`
	// Harmonics is the number of harmonics Nh of the reference signals
	// (see Reference); every harmonic of every target must lie below the
	// Nyquist frequency. Default: 5, or fewer when the 5th harmonic of the
	// highest target would reach the Nyquist frequency.
	Harmonics int `json:"harmonics,omitempty"`
}

// resolve validates c and fills in the defaults.
func (c CCAConfig) resolve() (CCAConfig, error) {
	if err := validateTargets(c.Freqs, c.SampleRate); err != nil {
		return c, err
	}
	if c.Samples < 2 {
		return c, fmt.Errorf("ssvep: window of %d samples: want ≥ 2", c.Samples)
	}
	if c.Channels < 1 {
		return c, fmt.Errorf("ssvep: window of %d channels: want ≥ 1", c.Channels)
	}
	h, err := resolveHarmonics(c.Harmonics, c.Freqs, c.SampleRate)
	if err != nil {
		return c, err
	}
	c.Harmonics = h
	c.Freqs = slices.Clone(c.Freqs)
	return c, nil
}

// ccaCore holds the reference bases of every target and the window's
// buffers, shared by CCA and FBCCA. The targets' bases sit side by side in
// one samples×Σrank matrix, so one matrix product gives Qxᵀ·Qy for every
// target at once.
type ccaCore struct {
	cfg     CCAConfig
	refs    []float64 // samples × width, row-major: target k in columns off[k]…off[k]+rank[k]
	width   int
	off     []int
	rank    []int
	win     basis
	product []float64 // channels × width
	svd     svdWork
}

func newCCACore(cfg CCAConfig) (ccaCore, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return ccaCore{}, err
	}
	c := ccaCore{cfg: cfg}
	n := cfg.Samples
	ref := Reference(nil, cfg.Freqs[0], cfg.SampleRate, cfg.Harmonics, n)
	bases := make([]basis, len(cfg.Freqs))
	for k, f := range cfg.Freqs {
		Reference(ref, f, cfg.SampleRate, cfg.Harmonics, n)
		bases[k].factor(ref, n)
		c.off = append(c.off, c.width)
		c.rank = append(c.rank, bases[k].rank)
		c.width += bases[k].rank
	}
	c.refs = make([]float64, n*c.width)
	for k, b := range bases {
		for i := range n {
			copy(c.refs[i*c.width+c.off[k]:i*c.width+c.off[k]+b.rank], b.q[i*b.cols:i*b.cols+b.rank])
		}
	}
	c.win.grow(n, cfg.Channels)
	c.product = make([]float64, cfg.Channels*c.width)
	return c, nil
}

// correlate sets the window basis from x (finite, checked) and writes the
// largest canonical correlation with every target's references into dst.
func (c *ccaCore) correlate(dst []float64, x [][]float64) error {
	c.win.factor(x, c.cfg.Samples)
	r := c.win.rank
	if r == 0 || c.width == 0 {
		clear(dst)
		return nil
	}
	gemmTNSerial(c.win.matrix(), blas64.General{Rows: c.cfg.Samples, Cols: c.width, Stride: c.width, Data: c.refs},
		blas64.General{Rows: r, Cols: c.width, Stride: c.width, Data: c.product[:r*c.width]})
	for k := range dst {
		m := blas64.General{Rows: r, Cols: c.rank[k], Stride: c.width, Data: c.product[c.off[k]:]}
		n, err := c.svd.singular(m)
		if err != nil {
			return fmt.Errorf("target %v Hz: %w", c.cfg.Freqs[k], err)
		}
		dst[k] = 0
		if n > 0 {
			dst[k] = c.svd.s[0]
		}
	}
	return nil
}

// CCA is the standard training-free SSVEP decoder (Lin et al. 2006): the
// score of target k is the largest canonical correlation ρ_k between the
// window and target k's sine-cosine references (Reference, Nh harmonics),
// computed as CanonicalCorrelation does. Scores are in [0, 1].
type CCA struct {
	core ccaCore
}

// NewCCA returns a CCA decoder. An error reports an invalid configuration.
func NewCCA(cfg CCAConfig) (*CCA, error) {
	core, err := newCCACore(cfg)
	if err != nil {
		return nil, err
	}
	return &CCA{core: core}, nil
}

// Config returns the configuration with its defaults filled in.
func (d *CCA) Config() CCAConfig {
	c := d.core.cfg
	c.Freqs = slices.Clone(c.Freqs)
	return c
}

// Scores writes the largest canonical correlation of the window
// x[channel][sample] with each target's references into dst (length
// len(Freqs); nil allocates) and returns it.
func (d *CCA) Scores(dst []float64, x [][]float64) ([]float64, error) {
	dst = useVector(dst, len(d.core.cfg.Freqs))
	if err := checkWindow(x, d.core.cfg.Channels, d.core.cfg.Samples); err != nil {
		return dst, fmt.Errorf("ssvep: window: %w", err)
	}
	if err := d.core.correlate(dst, x); err != nil {
		return dst, fmt.Errorf("ssvep: %w", err)
	}
	return dst, nil
}

// FBCCAConfig describes a filter-bank CCA decoder.
type FBCCAConfig struct {
	CCAConfig
	// FilterBank selects the sub-bands, their weights and the filtering
	// mode. Default: Chen's 5 sub-bands, zero-phase, w(k) = k^−1.25 + 0.25.
	FilterBank FilterBankConfig `json:"filter_bank"`
}

// FBCCA is filter-bank CCA (Chen et al. 2015): the window is split into
// sub-bands by a FilterBank, each sub-band is correlated with every
// target's (unfiltered) references as in CCA, and target k scores
//
//	ρ̃_k = Σ_n w(n)·(ρ_k^n)²,   w(n) = n^−1.25 + 0.25,
//
// the weighted sum of squared sub-band correlations. Squares, not
// correlations, are weighted, as in the paper's combination formula: ρ ≥ 0, so
// squaring keeps each sub-band's ranking while giving a sub-band where the
// target clearly stands out more say than several weak ones (ρ² is the
// share of the sub-band's variance the references explain). Scores lie in
// [0, Σ w(n)].
type FBCCA struct {
	core ccaCore
	fb   *FilterBank
	sub  [][]float64
	corr []float64
}

// NewFBCCA returns a filter-bank CCA decoder. An error reports an invalid
// configuration, including a zero-phase window too short for the filters'
// padding (FilterBank.MinSamples).
func NewFBCCA(cfg FBCCAConfig) (*FBCCA, error) {
	core, err := newCCACore(cfg.CCAConfig)
	if err != nil {
		return nil, err
	}
	fb, err := NewFilterBank(cfg.FilterBank, core.cfg.SampleRate, core.cfg.Channels)
	if err != nil {
		return nil, err
	}
	if n := fb.MinSamples(); core.cfg.Samples < n {
		return nil, fmt.Errorf("ssvep: fbcca: window of %d samples is too short for zero-phase filtering: want ≥ %d", core.cfg.Samples, n)
	}
	return &FBCCA{core: core, fb: fb, sub: useMatrix(nil, core.cfg.Channels, core.cfg.Samples), corr: make([]float64, len(core.cfg.Freqs))}, nil
}

// Config returns the configuration with its defaults filled in.
func (d *FBCCA) Config() FBCCAConfig {
	c := d.core.cfg
	c.Freqs = slices.Clone(c.Freqs)
	return FBCCAConfig{CCAConfig: c, FilterBank: d.fb.Config()}
}

// FilterBank returns the decoder's filter bank (shared, not a copy).
func (d *FBCCA) FilterBank() *FilterBank { return d.fb }

// Scores writes the FBCCA score ρ̃_k of the window x[channel][sample] for
// every target into dst (length len(Freqs); nil allocates) and returns it.
func (d *FBCCA) Scores(dst []float64, x [][]float64) ([]float64, error) {
	dst = useVector(dst, len(d.core.cfg.Freqs))
	if err := checkWindow(x, d.core.cfg.Channels, d.core.cfg.Samples); err != nil {
		return dst, fmt.Errorf("ssvep: window: %w", err)
	}
	clear(dst)
	for n := range d.fb.Len() {
		if _, err := d.fb.Filter(d.sub, x, n); err != nil {
			return dst, err
		}
		if err := d.addBand(dst, d.sub, n); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// ScoresSubBands is Scores for a window already split into sub-bands:
// sub[n][channel][sample] is sub-band n, filtered by the caller, e.g. by
// streaming dsp.SOSFilters built from FilterBank().SOS(n) that keep their
// state across windows.
func (d *FBCCA) ScoresSubBands(dst []float64, sub [][][]float64) ([]float64, error) {
	dst = useVector(dst, len(d.core.cfg.Freqs))
	if len(sub) != d.fb.Len() {
		panic(fmt.Sprintf("ssvep: fbcca: %d sub-bands, want %d", len(sub), d.fb.Len()))
	}
	for n := range sub {
		if err := checkWindow(sub[n], d.core.cfg.Channels, d.core.cfg.Samples); err != nil {
			return dst, fmt.Errorf("ssvep: sub-band %d: %w", n+1, err)
		}
	}
	clear(dst)
	for n := range sub {
		if err := d.addBand(dst, sub[n], n); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// Correlations writes the sub-band correlations ρ_k^n into dst (length
// Len·len(Freqs), row-major: dst[n·len(Freqs)+k]; nil allocates) and
// returns it.
func (d *FBCCA) Correlations(dst []float64, x [][]float64) ([]float64, error) {
	nt := len(d.core.cfg.Freqs)
	dst = useVector(dst, d.fb.Len()*nt)
	if err := checkWindow(x, d.core.cfg.Channels, d.core.cfg.Samples); err != nil {
		return dst, fmt.Errorf("ssvep: window: %w", err)
	}
	for n := range d.fb.Len() {
		if _, err := d.fb.Filter(d.sub, x, n); err != nil {
			return dst, err
		}
		if err := d.core.correlate(dst[n*nt:(n+1)*nt], d.sub); err != nil {
			return dst, fmt.Errorf("ssvep: sub-band %d: %w", n+1, err)
		}
	}
	return dst, nil
}

func (d *FBCCA) addBand(dst []float64, sub [][]float64, n int) error {
	if err := d.core.correlate(d.corr, sub); err != nil {
		return fmt.Errorf("ssvep: sub-band %d: %w", n+1, err)
	}
	w := d.fb.weights[n]
	for k, r := range d.corr {
		dst[k] += w * r * r
	}
	return nil
}
