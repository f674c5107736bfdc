package ssvep

import (
	"fmt"
	"math"
	"slices"

	"github.com/neurostream/neurostream/dsp"
)

// Filter-bank design constants, those of Chen et al. (2015) as implemented
// in Nakanishi's filterbank.m (the reference code of both the FBCCA and the
// TRCA papers): [N, Wn] = cheb1ord(Wp, Ws, 3, 40); cheby1(N, 0.5, Wn).
const (
	// FilterRippleDB is the Chebyshev type I pass-band ripple, dB.
	FilterRippleDB = 0.5
	// FilterPassLossDB is the largest pass-band loss cheb1ord designs for, dB.
	FilterPassLossDB = 3
	// FilterStopAttenDB is the smallest stop-band attenuation cheb1ord
	// designs for, dB.
	FilterStopAttenDB = 40
	// DefaultSubBands is the number of sub-bands unless configured: 5.
	DefaultSubBands = 5
)

// SubBand is one band-pass filter of a filter bank, edges in Hz. The pass
// band [PassLow, PassHigh] keeps a gain within FilterRippleDB of 1; the stop
// edges StopLow < PassLow and StopHigh > PassHigh are where the attenuation
// must reach FilterStopAttenDB, which fixes the filter order.
type SubBand struct {
	PassLow  float64 `json:"pass_low"`
	PassHigh float64 `json:"pass_high"`
	StopLow  float64 `json:"stop_low"`
	StopHigh float64 `json:"stop_high"`
}

// chenStopLow are filterbank.m's lower stop edges for sub-bands 1..10.
var chenStopLow = [...]float64{4, 10, 16, 24, 32, 40, 48, 56, 64, 72}

// ChenSubBands returns the first n sub-bands of the FBCCA filter bank
// (Chen et al. 2015, method M3; Nakanishi's filterbank.m): sub-band k =
// 1..n passes [8k−2, PassHigh] Hz with lower stop edge 4, 10, 16, 24, 32,
// 40, 48, 56, 64, 72 Hz for k = 1..10 and 8(k−1) Hz beyond. The upper edges
// are 90 Hz (pass) and 100 Hz (stop) as in the paper, capped for low sample
// rates: PassHigh = min(90, 0.9·fs/2) and StopHigh = min(100, (PassHigh +
// fs/2)/2), e.g. 57.6/60.8 Hz at 128 Hz and 90/95 Hz at 200 Hz; at 250 and
// 256 Hz they are the paper's. An error reports a sub-band whose lower pass
// edge is not below PassHigh.
func ChenSubBands(n int, sampleRate float64) ([]SubBand, error) {
	if n < 1 {
		return nil, fmt.Errorf("ssvep: filter bank needs ≥ 1 sub-band, got %d", n)
	}
	if !(sampleRate > 0) || math.IsInf(sampleRate, 0) {
		return nil, fmt.Errorf("ssvep: sample rate must be positive and finite, got %v", sampleRate)
	}
	nyq := sampleRate / 2
	passHigh := min(90, 0.9*nyq)
	stopHigh := min(100, (passHigh+nyq)/2)
	bands := make([]SubBand, n)
	for k := 1; k <= n; k++ {
		stop := 8 * float64(k-1)
		if k <= len(chenStopLow) {
			stop = chenStopLow[k-1]
		}
		b := SubBand{PassLow: 8*float64(k) - 2, PassHigh: passHigh, StopLow: stop, StopHigh: stopHigh}
		if b.PassLow >= passHigh {
			return nil, fmt.Errorf("ssvep: sub-band %d starts at %v Hz, not below its upper edge %v Hz at %v Hz sampling: use at most %d sub-bands",
				k, b.PassLow, passHigh, sampleRate, k-1)
		}
		bands[k-1] = b
	}
	return bands, nil
}

// DefaultWeights writes the FBCCA sub-band weights w(k) = k^−1.25 + 0.25,
// k = 1..len(dst) (Chen et al. 2015: a = 1.25, b = 0.25) into dst and
// returns it.
func DefaultWeights(dst []float64) []float64 {
	for i := range dst {
		dst[i] = math.Pow(float64(i+1), -1.25) + 0.25
	}
	return dst
}

// Cheb1Order returns the order cheb1ord gives a digital Chebyshev type I
// band-pass with band b at sampleRate Hz, FilterPassLossDB of pass-band loss
// and FilterStopAttenDB of stop-band attenuation: exactly
// scipy.signal.cheb1ord([PassLow, PassHigh], [StopLow, StopHigh], 3, 40,
// fs=sampleRate) (MATLAB's cheb1ord gives the same). With prewarped edges
// p = tan(π·f_p/fs), s = tan(π·f_s/fs),
//
//	ν = min over both stop edges of |(s² − p_lo·p_hi) / (s·(p_lo − p_hi))|
//	N = ⌈acosh(√((10^(40/10) − 1)/(10^(3/10) − 1))) / acosh(ν)⌉.
//
// The natural frequencies cheb1ord returns are the pass edges. An error
// reports edges out of order or outside (0, fs/2).
func Cheb1Order(b SubBand, sampleRate float64) (int, error) {
	nyq := sampleRate / 2
	if !(0 < b.StopLow && b.StopLow < b.PassLow && b.PassLow < b.PassHigh && b.PassHigh < b.StopHigh && b.StopHigh < nyq) {
		return 0, fmt.Errorf("ssvep: sub-band %+v Hz: want 0 < stop low < pass low < pass high < stop high < fs/2 = %v Hz", b, nyq)
	}
	warp := func(f float64) float64 { return math.Tan(math.Pi * (f / nyq) / 2) }
	p0, p1 := warp(b.PassLow), warp(b.PassHigh)
	nat := math.Inf(1)
	for _, f := range []float64{b.StopLow, b.StopHigh} {
		s := warp(f)
		nat = min(nat, math.Abs((s*s-p0*p1)/(s*(p0-p1))))
	}
	gstop := math.Pow(10, 0.1*FilterStopAttenDB)
	gpass := math.Pow(10, 0.1*FilterPassLossDB)
	return int(math.Ceil(math.Acosh(math.Sqrt((gstop-1)/(gpass-1))) / math.Acosh(nat))), nil
}

// FilterBankConfig selects a filter bank. The zero value is Chen's five
// sub-bands, zero-phase, with the FBCCA weights.
type FilterBankConfig struct {
	// SubBands is the number of Chen sub-bands (see ChenSubBands); with
	// Bands set it must be 0 or len(Bands). Default: 5.
	SubBands int `json:"sub_bands,omitempty"`
	// Bands overrides the sub-band edges. Default: ChenSubBands.
	Bands []SubBand `json:"bands,omitempty"`
	// Weights are the per-sub-band weights of the scores. Default:
	// DefaultWeights (k^−1.25 + 0.25).
	Weights []float64 `json:"weights,omitempty"`
	// Causal filters each window forward only (scipy.signal.sosfilt from
	// the steady state of its first sample, as a streaming filter would)
	// instead of zero-phase forward-backward (scipy.signal.sosfiltfilt,
	// the papers' filtfilt). Zero-phase filtering needs the whole window,
	// so it suits trial mode and offline work; causal filtering has the
	// group delay of the filter. Default: false (zero-phase).
	Causal bool `json:"causal,omitempty"`
}

// FilterBank splits a window into sub-bands: sub-band k is a digital
// Chebyshev type I band-pass, dsp.Cheby1(N_k, FilterRippleDB, [PassLow,
// PassHigh], Bandpass, fs) with N_k = Cheb1Order (scipy's
// cheby1(N, 0.5, Wn, 'bandpass', output='sos')), applied as second-order
// sections either zero-phase (dsp.FiltFilt, scipy.signal.sosfiltfilt with
// its odd padding; Nakanishi's filterbank.m uses MATLAB filtfilt on the
// transfer function, the same filter with another edge padding) or causal
// (dsp.SOSFilter). A FilterBank is not safe for concurrent use.
type FilterBank struct {
	bands    []SubBand
	weights  []float64
	orders   []int
	sos      []dsp.SOS
	causal   bool
	rate     float64
	channels int
	ff       []*dsp.FiltFilt
	sf       []*dsp.SOSFilter
}

// NewFilterBank designs the filter bank cfg for windows of the given
// number of channels at sampleRate Hz. An error reports an invalid
// configuration.
func NewFilterBank(cfg FilterBankConfig, sampleRate float64, channels int) (*FilterBank, error) {
	if channels < 1 {
		return nil, fmt.Errorf("ssvep: filter bank for %d channels", channels)
	}
	bands := slices.Clone(cfg.Bands)
	if len(bands) == 0 {
		n := cfg.SubBands
		if n == 0 {
			n = DefaultSubBands
		}
		var err error
		if bands, err = ChenSubBands(n, sampleRate); err != nil {
			return nil, err
		}
	} else if cfg.SubBands != 0 && cfg.SubBands != len(bands) {
		return nil, fmt.Errorf("ssvep: filter bank: %d sub-bands but %d band edges", cfg.SubBands, len(bands))
	}
	weights := slices.Clone(cfg.Weights)
	if len(weights) == 0 {
		weights = DefaultWeights(make([]float64, len(bands)))
	}
	if len(weights) != len(bands) {
		return nil, fmt.Errorf("ssvep: filter bank: %d weights for %d sub-bands", len(weights), len(bands))
	}
	for i, w := range weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("ssvep: filter bank: weight %d must be finite and ≥ 0, got %v", i, w)
		}
	}
	fb := &FilterBank{bands: bands, weights: weights, causal: cfg.Causal, rate: sampleRate, channels: channels}
	for k, b := range bands {
		order, err := Cheb1Order(b, sampleRate)
		if err != nil {
			return nil, fmt.Errorf("ssvep: filter bank sub-band %d: %w", k+1, err)
		}
		sos, err := dsp.Cheby1(order, FilterRippleDB, []float64{b.PassLow, b.PassHigh}, dsp.Bandpass, sampleRate)
		if err != nil {
			return nil, fmt.Errorf("ssvep: filter bank sub-band %d: %w", k+1, err)
		}
		fb.orders = append(fb.orders, order)
		fb.sos = append(fb.sos, sos)
		if cfg.Causal {
			f, err := dsp.NewSOSFilter(sos, channels, dsp.InitSteady)
			if err != nil {
				return nil, err
			}
			fb.sf = append(fb.sf, f)
		} else {
			f, err := dsp.NewFiltFilt(sos)
			if err != nil {
				return nil, err
			}
			fb.ff = append(fb.ff, f)
		}
	}
	return fb, nil
}

// Len returns the number of sub-bands.
func (fb *FilterBank) Len() int { return len(fb.bands) }

// Channels returns the number of channels per window.
func (fb *FilterBank) Channels() int { return fb.channels }

// SampleRate returns the sample rate in Hz.
func (fb *FilterBank) SampleRate() float64 { return fb.rate }

// Causal reports whether windows are filtered forward only.
func (fb *FilterBank) Causal() bool { return fb.causal }

// Band returns sub-band k's edges (k from 0).
func (fb *FilterBank) Band(k int) SubBand { return fb.bands[k] }

// Order returns sub-band k's Chebyshev prototype order (the band-pass has
// twice as many poles, Order(k) sections).
func (fb *FilterBank) Order(k int) int { return fb.orders[k] }

// SOS returns a copy of sub-band k's second-order sections, for a streaming
// stage that keeps a dsp.SOSFilter's state across windows and scores with
// ScoresSubBands.
func (fb *FilterBank) SOS(k int) dsp.SOS { return slices.Clone(fb.sos[k]) }

// Weights writes the sub-band weights into dst (length Len; nil allocates)
// and returns it.
func (fb *FilterBank) Weights(dst []float64) []float64 {
	dst = useVector(dst, len(fb.weights))
	copy(dst, fb.weights)
	return dst
}

// MinSamples returns the shortest window the bank filters: zero-phase
// filtering needs more samples than the odd padding of every sub-band
// (scipy's padlen); causal filtering needs one.
func (fb *FilterBank) MinSamples() int {
	n := 1
	for _, f := range fb.ff {
		n = max(n, f.PadLen()+1)
	}
	return n
}

// Config returns the resolved configuration (every default filled in).
func (fb *FilterBank) Config() FilterBankConfig {
	return FilterBankConfig{SubBands: len(fb.bands), Bands: slices.Clone(fb.bands), Weights: slices.Clone(fb.weights), Causal: fb.causal}
}

// Filter writes sub-band k of the window x[channel][sample] into dst (the
// shape of x; nil allocates; dst[c] may be x[c]) and returns it. A causal
// bank starts every window from the steady state of its first samples. An
// error reports a zero-phase window not longer than the padding.
func (fb *FilterBank) Filter(dst, x [][]float64, k int) ([][]float64, error) {
	if len(x) != fb.channels {
		panic(fmt.Sprintf("ssvep: filter bank: window has %d channels, want %d", len(x), fb.channels))
	}
	if dst == nil {
		dst = make([][]float64, len(x))
	} else if len(dst) != len(x) {
		panic(fmt.Sprintf("ssvep: filter bank: dst has %d channels, want %d", len(dst), len(x)))
	}
	if fb.causal {
		f := fb.sf[k]
		f.Reset()
		return f.FilterChannels(dst, x), nil
	}
	for c, row := range x {
		out, err := fb.ff[k].Filter(dst[c], row)
		if err != nil {
			return dst, fmt.Errorf("ssvep: sub-band %d: %w", k+1, err)
		}
		dst[c] = out
	}
	return dst, nil
}
