package riemann

import (
	"fmt"
	"math"
	"slices"

	"github.com/neurostream/neurostream/dsp"
	"gonum.org/v1/gonum/mat"
)

// ExtendedConfig configures the extended SSVEP signal: MOABB's
// FilterBankSSVEP paradigm with its default filters (a band of BandWidth Hz
// centred on every stimulus frequency) and ExtendedSSVEPSignal (the band
// copies stacked as channels).
type ExtendedConfig struct {
	// Freqs are the stimulus frequencies in Hz, one band each, in this
	// order. Required.
	Freqs []float64 `json:"freqs"`
	// SampleRate is the windows' sample rate in Hz. Required.
	SampleRate float64 `json:"sample_rate"`
	// Channels is the number of channels of a window. Required.
	Channels int `json:"channels"`
	// BandWidth is the width of each band in Hz: band k passes [f_k −
	// BandWidth/2, f_k + BandWidth/2]. Default: 1 (MOABB's [f − 0.5,
	// f + 0.5]).
	BandWidth float64 `json:"band_width,omitempty"`
	// Harmonics is the number of harmonics h = 1…Harmonics of every
	// frequency that get a band, centred on h·f (harmonic-major: all
	// frequencies' bands at h = 1, then at h = 2, …). Default: 1 (MOABB's
	// bands at the stimulus frequencies only).
	Harmonics int `json:"harmonics,omitempty"`
	// Order is the Butterworth order of each band-pass (2·Order poles).
	// Default: 4 (MNE's IIR default, which MOABB's raw.filter(method="iir")
	// uses).
	Order int `json:"order,omitempty"`
	// Broadband stacks the unfiltered window before the bands as well.
	// Default: false (MOABB stacks the bands only).
	Broadband bool `json:"broadband,omitempty"`
	// Causal filters each window forward only, from the steady state of
	// its first sample (scipy.signal.sosfilt with sosfilt_zi·x[0]), instead
	// of zero-phase forward-backward (scipy.signal.sosfiltfilt with its
	// default odd padding). MOABB filters the continuous recording
	// zero-phase before cutting epochs; a decoder that sees one window at a
	// time can only filter that window, or take bands a streaming filter
	// made (Stack). Default: false (zero-phase).
	Causal bool `json:"causal,omitempty"`
}

func (c ExtendedConfig) resolve() (ExtendedConfig, error) {
	if c.BandWidth == 0 {
		c.BandWidth = 1
	}
	if c.Order == 0 {
		c.Order = 4
	}
	if c.Harmonics == 0 {
		c.Harmonics = 1
	}
	if len(c.Freqs) == 0 {
		return c, fmt.Errorf("riemann: extended signal: no stimulus frequencies")
	}
	if c.Channels < 1 {
		return c, fmt.Errorf("riemann: extended signal of %d channels", c.Channels)
	}
	if !(c.SampleRate > 0) || math.IsInf(c.SampleRate, 0) {
		return c, fmt.Errorf("riemann: extended signal: sample rate %v Hz, want > 0", c.SampleRate)
	}
	if !(c.BandWidth > 0) || c.Order < 1 || c.Harmonics < 1 {
		return c, fmt.Errorf("riemann: extended signal: band width %v Hz, order %d and harmonics %d, want > 0, ≥ 1 and ≥ 1", c.BandWidth, c.Order, c.Harmonics)
	}
	for i, f := range c.centres() {
		lo, hi := f-c.BandWidth/2, f+c.BandWidth/2
		if !(lo > 0 && hi < c.SampleRate/2) {
			return c, fmt.Errorf("riemann: extended signal: band %d [%v, %v] Hz outside (0, %v) Hz", i, lo, hi, c.SampleRate/2)
		}
	}
	c.Freqs = slices.Clone(c.Freqs)
	return c, nil
}

// centres returns the bands' centre frequencies in Hz, harmonic-major.
func (c ExtendedConfig) centres() []float64 {
	var out []float64
	for h := 1; h <= c.Harmonics; h++ {
		for _, f := range c.Freqs {
			out = append(out, float64(h)*f)
		}
	}
	return out
}

// Extended builds extended SSVEP signals and their covariances. It is not
// safe for concurrent use.
type Extended struct {
	cfg ExtendedConfig
	sos []dsp.SOS
	ff  []*dsp.FiltFilt
	sf  []*dsp.SOSFilter
	buf [][]float64 // the stacked signal
	cov *Covariance
}

// NewExtended designs the bands: band k is dsp.Butter(Order, [f_k −
// BandWidth/2, f_k + BandWidth/2], Bandpass, SampleRate), f_k its centre
// (a stimulus frequency or a harmonic of one), scipy's
// butter(Order, band, 'bandpass', fs=SampleRate, output='sos') and MNE's
// construct_iir_filter with its default iir_params. An error reports an
// invalid configuration or a band outside (0, SampleRate/2).
func NewExtended(cfg ExtendedConfig) (*Extended, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	e := &Extended{cfg: cfg}
	for i, f := range cfg.centres() {
		sos, err := dsp.Butter(cfg.Order, []float64{f - cfg.BandWidth/2, f + cfg.BandWidth/2}, dsp.Bandpass, cfg.SampleRate)
		if err != nil {
			return nil, fmt.Errorf("riemann: extended signal band %d: %w", i, err)
		}
		e.sos = append(e.sos, sos)
		if cfg.Causal {
			sf, err := dsp.NewSOSFilter(sos, cfg.Channels, dsp.InitSteady)
			if err != nil {
				return nil, err
			}
			e.sf = append(e.sf, sf)
		} else {
			ff, err := dsp.NewFiltFilt(sos)
			if err != nil {
				return nil, err
			}
			e.ff = append(e.ff, ff)
		}
	}
	return e, nil
}

// Config returns the configuration with its defaults filled in.
func (e *Extended) Config() ExtendedConfig {
	c := e.cfg
	c.Freqs = slices.Clone(c.Freqs)
	return c
}

// Bands returns the number of bands (len(Freqs)·Harmonics).
func (e *Extended) Bands() int { return len(e.sos) }

// SOS returns a copy of band k's second-order sections, for a streaming
// filter whose output Stack takes.
func (e *Extended) SOS(k int) dsp.SOS { return slices.Clone(e.sos[k]) }

// Dim returns the number of rows of the extended signal: Channels·Bands,
// plus Channels with Broadband.
func (e *Extended) Dim() int {
	n := e.cfg.Channels * len(e.sos)
	if e.cfg.Broadband {
		n += e.cfg.Channels
	}
	return n
}

// MinSamples returns the shortest window Signal filters: zero-phase
// filtering needs more samples than every band's odd padding.
func (e *Extended) MinSamples() int {
	n := 2
	for _, f := range e.ff {
		n = max(n, f.PadLen()+1)
	}
	return n
}

// Signal writes the extended signal of the window x[channel][sample] into
// dst (Dim() rows of len(x[0]) samples; nil allocates) and returns it: row
// k·Channels + c is channel c band-passed around Freqs[k] (MOABB's
// ExtendedSSVEPSignal order: band-major; bands as Harmonics says), after Channels rows of the
// unfiltered window with Broadband. A window of the wrong shape panics; an
// error reports a zero-phase window not longer than the filters' padding.
func (e *Extended) Signal(dst, x [][]float64) ([][]float64, error) {
	if len(x) != e.cfg.Channels {
		panic(fmt.Sprintf("riemann: extended signal: window has %d channels, want %d", len(x), e.cfg.Channels))
	}
	n := len(x[0])
	dst = useRows(dst, e.Dim(), n)
	off := 0
	if e.cfg.Broadband {
		for c := range x {
			copy(dst[c], x[c])
		}
		off = e.cfg.Channels
	}
	for k := range e.sos {
		rows := dst[off+k*e.cfg.Channels : off+(k+1)*e.cfg.Channels]
		if e.cfg.Causal {
			e.sf[k].Reset()
			e.sf[k].FilterChannels(rows, x)
			continue
		}
		for c, row := range x {
			if _, err := e.ff[k].Filter(rows[c], row); err != nil {
				return dst, fmt.Errorf("riemann: extended signal band %d: %w", k, err)
			}
		}
	}
	return dst, nil
}

// Stack writes the extended signal of a window already split into bands
// by the caller — bands[k][channel][sample] is band k, e.g. from a
// streaming dsp.SOSFilter of SOS(k) that keeps its state across windows —
// into dst (nil allocates) and returns it; x is the unfiltered window,
// used with Broadband only (nil otherwise). Shapes that disagree panic.
func (e *Extended) Stack(dst [][]float64, x [][]float64, bands [][][]float64) [][]float64 {
	if len(bands) != len(e.sos) {
		panic(fmt.Sprintf("riemann: extended signal: %d bands, want %d", len(bands), len(e.sos)))
	}
	n := len(bands[0][0])
	dst = useRows(dst, e.Dim(), n)
	off := 0
	if e.cfg.Broadband {
		if len(x) != e.cfg.Channels {
			panic(fmt.Sprintf("riemann: extended signal: broadband window has %d channels, want %d", len(x), e.cfg.Channels))
		}
		for c := range x {
			copy(dst[c], x[c])
		}
		off = e.cfg.Channels
	}
	for k, b := range bands {
		if len(b) != e.cfg.Channels {
			panic(fmt.Sprintf("riemann: extended signal: band %d has %d channels, want %d", k, len(b), e.cfg.Channels))
		}
		for c, row := range b {
			copy(dst[off+k*e.cfg.Channels+c], row)
		}
	}
	return dst
}

// Covariance writes the estimator est's covariance of the extended signal
// of x into dst (Dim()×Dim(); nil allocates) and returns it: what MOABB's
// SSVEP pipelines feed MDM and the tangent space. Errors as Signal and
// Covariance.Estimate.
func (e *Extended) Covariance(dst *mat.SymDense, x [][]float64, est Estimator) (*mat.SymDense, error) {
	var err error
	if e.buf, err = e.Signal(e.buf, x); err != nil {
		return useSym(dst, e.Dim(), "extended covariance"), err
	}
	return e.estimate(dst, e.buf, est)
}

// StackCovariance is Covariance for bands filtered by the caller (see
// Stack).
func (e *Extended) StackCovariance(dst *mat.SymDense, x [][]float64, bands [][][]float64, est Estimator) (*mat.SymDense, error) {
	e.buf = e.Stack(e.buf, x, bands)
	return e.estimate(dst, e.buf, est)
}

func (e *Extended) estimate(dst *mat.SymDense, sig [][]float64, est Estimator) (*mat.SymDense, error) {
	n := len(sig[0])
	if est == "" {
		est = SCM
	}
	if e.cov == nil || e.cov.cfg.Samples != n || e.cov.cfg.Estimator != est {
		var err error
		if e.cov, err = NewCovariance(CovarianceConfig{Estimator: est, Channels: len(sig), Samples: n}); err != nil {
			return useSym(dst, e.Dim(), "extended covariance"), err
		}
	}
	return e.cov.Estimate(dst, sig)
}

// useRows returns dst resized to rows×n, reusing its storage.
func useRows(dst [][]float64, rows, n int) [][]float64 {
	if len(dst) != rows {
		dst = make([][]float64, rows)
	}
	for i := range dst {
		if cap(dst[i]) < n {
			dst[i] = make([]float64, n)
		}
		dst[i] = dst[i][:n]
	}
	return dst
}
