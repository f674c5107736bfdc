package seizure

import (
	"errors"
	"fmt"
	"math"

	"github.com/neurostream/neurostream/dsp"
)

// FeatureConfig specifies the features of one window. It is stored in the
// model file, so a model always computes the features it was trained on.
type FeatureConfig struct {
	// SampleRate of the window in Hz. Required.
	SampleRate float64 `json:"sample_rate"`
	// WindowLen is the window length in samples. Required.
	WindowLen int `json:"window_len"`
	// Channels is the number of channels per window. Required.
	Channels int `json:"channels"`
	// SegmentLen is the Welch segment (nperseg) in samples, with a periodic
	// Hann taper, half overlap and constant detrend.
	// Default: the largest power of two ≤ 2·SampleRate, at most WindowLen.
	SegmentLen int `json:"segment_len"`
	// Coherence adds, for Channels > 1, the mean magnitude-squared
	// coherence over all channel pairs in the theta and alpha bands.
	// Default: false.
	Coherence bool `json:"coherence"`
	// Extended adds 20 features per channel (see extendedFeatures) after
	// the 17 of every model. Default: false. Omitted from the model file
	// when false, so such files read as before.
	Extended bool `json:"extended,omitempty"`
	// BaselineSeconds, when > 0, makes the features relative to the
	// recording's own running baseline (Baseline, time constant
	// BaselineSeconds): the detector sees each feature's z-score against
	// its exponentially weighted mean and variance over the recording's
	// earlier windows. Default: 0, absolute features. Omitted from the
	// model file when 0, so such files read as before.
	BaselineSeconds float64 `json:"baseline_seconds,omitempty"`
	// PoolChannels gives the model, instead of each channel's features,
	// their mean, smallest and largest value over the channels (after the
	// baseline, when there is one), so that it does not learn where the
	// training seizures were: "mean_<f>", "min_<f>", "max_<f>" for each
	// per-channel feature f, then the coherence features. Default: false.
	// Omitted from the model file when false.
	PoolChannels bool `json:"pool_channels,omitempty"`
}

// Spectral ranges in Hz. Bands are dsp.StandardBands (delta 1–4, theta
// 4–8, alpha 8–12, beta 12–30, gamma 30–45); the spectral edge and entropy
// use [SpectrumLow, SpectrumHigh], clipped to the Nyquist frequency.
const (
	SpectrumLow  = 0.5
	SpectrumHigh = 45
	// EdgeFraction is the spectral-edge fraction (SEF90).
	EdgeFraction = 0.9
)

// channelFeatures names the per-channel features in order. Units for input
// in volts (formats readers return SI units):
//
//	log_line_length     log10 of mean |x[t+1]−x[t]|, x in V (log10 V/sample)
//	log_variance        log10 of the variance = Hjorth activity (log10 V²)
//	kurtosis            excess kurtosis m4/m2² − 3 (dimensionless)
//	hjorth_mobility     √(var(x′)/var(x)), x′ the first difference (1/sample)
//	hjorth_complexity   mobility(x′)/mobility(x) (dimensionless)
//	log_power_<band>    log10 of Welch band power (log10 V²), 5 bands
//	rel_power_<band>    band power / sum of the 5 band powers, 5 bands
//	spectral_edge_90    SEF90 over 0.5–45 Hz (Hz)
//	spectral_entropy    normalised Shannon entropy of the PSD over 0.5–45 Hz
//	                    (0–1)
//
// Logarithms are taken of max(value, 1e-30) so silent channels stay finite.
var channelFeatures = func() []string {
	names := []string{"log_line_length", "log_variance", "kurtosis", "hjorth_mobility", "hjorth_complexity"}
	for _, b := range dsp.StandardBands {
		names = append(names, "log_power_"+b.Name)
	}
	for _, b := range dsp.StandardBands {
		names = append(names, "rel_power_"+b.Name)
	}
	return append(names, "spectral_edge_90", "spectral_entropy")
}()

// extendedFeatures are the per-channel features FeatureConfig.Extended
// adds, chosen from the Bonn literature before measuring them (see
// docs/seizure.md):
//
//	skewness            m3/m2^1.5 (dimensionless)
//	zero_crossings      sign changes of x − mean(x) per second (Hz)
//	higuchi_fd          Higuchi fractal dimension, k = 1…8 (1–2)
//	log_teager          log10 of mean |x[t]² − x[t−1]·x[t+1]|, the
//	                    Teager–Kaiser energy (log10 V²)
//	acf_zero            first lag at which the autocorrelation of x is
//	                    ≤ 0, up to 0.5 s (s): a quarter period of the
//	                    dominant rhythm
//	rel_power_<a>_<b>   Welch power in the 2 Hz bands 1–3, 3–5, …, 29–31 Hz
//	                    as a share of the 5 standard bands' sum (15 bands)
var extendedFeatures = func() []string {
	names := []string{"skewness", "zero_crossings", "higuchi_fd", "log_teager", "acf_zero"}
	for _, b := range narrowBands {
		names = append(names, "rel_power_"+b.Name)
	}
	return names
}()

// narrowBands are 2 Hz bands from 1 to 31 Hz.
var narrowBands = func() []dsp.Band {
	var bs []dsp.Band
	for lo := 1; lo < 31; lo += 2 {
		bs = append(bs, dsp.Band{Name: fmt.Sprintf("%d_%d", lo, lo+2), Low: float64(lo), High: float64(lo + 2)})
	}
	return bs
}()

// higuchiKMax is the largest Higuchi interval.
const higuchiKMax = 8

// acfMaxLag is the longest autocorrelation lag searched, in seconds.
const acfMaxLag = 0.5

var coherenceBands = []dsp.Band{dsp.StandardBands[1], dsp.StandardBands[2]} // theta, alpha

const logFloor = 1e-30

// Extractor is a reusable feature plan for windows of one FeatureConfig.
// It owns scratch space and is not safe for concurrent use.
type Extractor struct {
	cfg   FeatureConfig
	welch *dsp.Welch
	csd   *dsp.CSD
	mat   *dsp.CSDMatrix
	psd   []float64
	freqs []float64
	diff  []float64
	coh   []float64
	band  []float64
	names []string
	input []string // the model's input names (pooled, or names)
}

// NewExtractor returns a plan for cfg; errors name the invalid field.
func NewExtractor(cfg FeatureConfig) (*Extractor, error) {
	if !(cfg.SampleRate > 0) || math.IsInf(cfg.SampleRate, 0) {
		return nil, errors.New("seizure: FeatureConfig.SampleRate must be positive")
	}
	if cfg.Channels < 1 {
		return nil, errors.New("seizure: FeatureConfig.Channels must be at least 1")
	}
	if cfg.WindowLen < 8 {
		return nil, errors.New("seizure: FeatureConfig.WindowLen must be at least 8 samples")
	}
	if !(cfg.BaselineSeconds >= 0) || math.IsInf(cfg.BaselineSeconds, 0) {
		return nil, fmt.Errorf("seizure: FeatureConfig.BaselineSeconds %v: want a finite time constant ≥ 0 s", cfg.BaselineSeconds)
	}
	if cfg.SegmentLen == 0 {
		n := 1
		for 2*n <= int(2*cfg.SampleRate) {
			n *= 2
		}
		cfg.SegmentLen = min(n, cfg.WindowLen)
	}
	if cfg.SegmentLen < 8 || cfg.SegmentLen > cfg.WindowLen {
		return nil, fmt.Errorf("seizure: FeatureConfig.SegmentLen %d outside [8, WindowLen=%d]", cfg.SegmentLen, cfg.WindowLen)
	}
	wcfg := dsp.WelchConfig{SampleRate: cfg.SampleRate, SegmentLen: cfg.SegmentLen}
	w, err := dsp.NewWelch(wcfg)
	if err != nil {
		return nil, fmt.Errorf("seizure: %w", err)
	}
	e := &Extractor{cfg: cfg, welch: w}
	e.psd = make([]float64, w.Len())
	e.freqs = w.Freqs(nil)
	e.diff = make([]float64, cfg.WindowLen)
	e.band = make([]float64, len(dsp.StandardBands))
	for c := range cfg.Channels {
		for _, n := range channelFeatures {
			e.names = append(e.names, fmt.Sprintf("ch%d_%s", c, n))
		}
		if cfg.Extended {
			for _, n := range extendedFeatures {
				e.names = append(e.names, fmt.Sprintf("ch%d_%s", c, n))
			}
		}
	}
	if cfg.Coherence && cfg.Channels > 1 {
		e.csd, err = dsp.NewCSD(dsp.CSDConfig{WelchConfig: wcfg, Channels: cfg.Channels})
		if err != nil {
			return nil, fmt.Errorf("seizure: %w", err)
		}
		e.mat = e.csd.NewMatrix()
		e.coh = make([]float64, cfg.Channels*(cfg.Channels-1)/2*e.csd.Len())
		e.names = append(e.names, "mean_msc_theta", "mean_msc_alpha")
	}
	e.input = e.names
	if cfg.PoolChannels {
		per := e.perChannel()
		e.input = nil
		for _, agg := range []string{"mean_", "min_", "max_"} {
			for _, n := range e.names[:per] {
				e.input = append(e.input, agg+n[len("ch0_"):])
			}
		}
		e.input = append(e.input, e.names[per*cfg.Channels:]...)
	}
	return e, nil
}

// perChannel returns the number of features of each channel.
func (e *Extractor) perChannel() int {
	if e.cfg.Extended {
		return len(channelFeatures) + len(extendedFeatures)
	}
	return len(channelFeatures)
}

// InputNames returns the names of the model's inputs: Names, or with
// PoolChannels the pooled features. The slice must not be modified.
func (e *Extractor) InputNames() []string { return e.input }

// InputLen returns the number of model inputs.
func (e *Extractor) InputLen() int { return len(e.input) }

// Input fills dst (InputLen) with the model's inputs from the features f
// (Len, as Features gives them, after the baseline when there is one) and
// returns it: f itself without PoolChannels (dst unused), else each
// per-channel feature's mean, smallest and largest value over the
// channels, then the features of no channel. It does not allocate.
func (e *Extractor) Input(dst, f []float64) []float64 {
	if !e.cfg.PoolChannels {
		return f
	}
	if len(f) != len(e.names) || len(dst) != len(e.input) {
		panic(fmt.Sprintf("seizure: input: %d features into %d inputs, want %d into %d", len(f), len(dst), len(e.names), len(e.input)))
	}
	per, nc := e.perChannel(), e.cfg.Channels
	for j := range per {
		sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
		for c := range nc {
			v := f[c*per+j]
			sum += v
			lo, hi = min(lo, v), max(hi, v)
		}
		dst[j], dst[per+j], dst[2*per+j] = sum/float64(nc), lo, hi
	}
	copy(dst[3*per:], f[per*nc:])
	return dst
}

// Config returns the configuration with defaults filled in.
func (e *Extractor) Config() FeatureConfig { return e.cfg }

// Len returns the number of features.
func (e *Extractor) Len() int { return len(e.names) }

// Names returns the feature names in order: channel-major blocks
// "ch<c>_<feature>" (see channelFeatures), then the coherence features.
// The slice must not be modified.
func (e *Extractor) Names() []string { return e.names }

// Features fills dst with the features of the window x (x[c] is channel c,
// WindowLen samples, in V for the documented units) and returns it. A nil
// dst allocates; a dst of the wrong length panics, as does a window of the
// wrong shape. dst does not alias x. Features does not allocate with a
// non-nil dst.
func (e *Extractor) Features(dst []float64, x [][]float64) []float64 {
	if len(x) != e.cfg.Channels {
		panic(fmt.Sprintf("seizure: features: %d channels, want %d", len(x), e.cfg.Channels))
	}
	if dst == nil {
		dst = make([]float64, e.Len())
	} else if len(dst) != e.Len() {
		panic(fmt.Sprintf("seizure: features: dst length %d, want %d", len(dst), e.Len()))
	}
	nyq := e.cfg.SampleRate / 2
	hi := min(SpectrumHigh, nyq)
	k := 0
	for c, ch := range x {
		if len(ch) != e.cfg.WindowLen {
			panic(fmt.Sprintf("seizure: features: channel %d has %d samples, want %d", c, len(ch), e.cfg.WindowLen))
		}
		k += e.timeFeatures(dst[k:], ch)
		e.welch.PSD(e.psd, ch)
		var total float64
		for b, band := range dsp.StandardBands {
			e.band[b] = dsp.BandPower(e.psd, e.freqs, band.Low, min(band.High, nyq))
			total += e.band[b]
		}
		for b := range e.band {
			dst[k] = math.Log10(max(e.band[b], logFloor))
			k++
		}
		for b := range e.band {
			r := 0.0
			if total > 0 {
				r = e.band[b] / total
			}
			dst[k] = r
			k++
		}
		dst[k] = finite(dsp.SpectralEdge(e.psd, e.freqs, EdgeFraction, SpectrumLow, hi), 0)
		dst[k+1] = finite(dsp.SpectralEntropy(e.psd, e.freqs, SpectrumLow, hi, true), 0)
		k += 2
		if e.cfg.Extended {
			k += e.extended(dst[k:], ch, total)
		}
	}
	if e.csd != nil {
		e.csd.Compute(e.mat, x)
		e.mat.Connectivity(e.coh, dsp.MSC, nil)
		nf := e.csd.Len()
		for b, band := range coherenceBands {
			var s float64
			var n int
			for p := 0; p < len(e.coh); p += nf {
				for f, fr := range e.freqs {
					if fr >= band.Low && fr <= band.High {
						s += finite(e.coh[p+f], 0)
						n++
					}
				}
			}
			dst[k+b] = s / float64(max(n, 1))
		}
	}
	return dst
}

func finite(v, otherwise float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return otherwise
	}
	return v
}

// timeFeatures writes the five time-domain features of ch to dst and
// returns how many it wrote.
func (e *Extractor) timeFeatures(dst, ch []float64) int {
	n := float64(len(ch))
	var mean float64
	for _, v := range ch {
		mean += v
	}
	mean /= n
	var m2, m4 float64
	for _, v := range ch {
		d := (v - mean) * (v - mean)
		m2 += d
		m4 += d * d
	}
	m2 /= n
	m4 /= n
	d1 := e.diff[:len(ch)-1]
	var ll float64
	for i := range d1 {
		d1[i] = ch[i+1] - ch[i]
		ll += math.Abs(d1[i])
	}
	ll /= float64(len(d1))
	v1 := variance(d1)
	var v2 float64
	{
		// variance of the second difference, without another buffer
		var s, ss float64
		m := float64(len(d1) - 1)
		for i := 1; i < len(d1); i++ {
			s += d1[i] - d1[i-1]
		}
		mu := s / m
		for i := 1; i < len(d1); i++ {
			d := d1[i] - d1[i-1] - mu
			ss += d * d
		}
		v2 = ss / m
	}
	kurt, mob, comp := 0.0, 0.0, 0.0
	if m2 > 0 {
		kurt = m4/(m2*m2) - 3
		mob = math.Sqrt(v1 / m2)
	}
	if v1 > 0 && mob > 0 {
		comp = math.Sqrt(v2/v1) / mob
	}
	dst[0] = math.Log10(max(ll, logFloor))
	dst[1] = math.Log10(max(m2, logFloor))
	dst[2] = kurt
	dst[3] = mob
	dst[4] = comp
	return 5
}

func variance(x []float64) float64 {
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var s float64
	for _, v := range x {
		s += (v - mean) * (v - mean)
	}
	return s / float64(len(x))
}

// extended writes the extendedFeatures of ch to dst, given the PSD in
// e.psd and the sum of the standard band powers, and returns how many it
// wrote.
func (e *Extractor) extended(dst, ch []float64, total float64) int {
	n := len(ch)
	var mean float64
	for _, v := range ch {
		mean += v
	}
	mean /= float64(n)
	var m2, m3 float64
	crossings := 0
	for i, v := range ch {
		d := v - mean
		m2 += d * d
		m3 += d * d * d
		if i > 0 && (d >= 0) != (ch[i-1]-mean >= 0) {
			crossings++
		}
	}
	m2 /= float64(n)
	m3 /= float64(n)
	skew := 0.0
	if m2 > 0 {
		skew = m3 / math.Pow(m2, 1.5)
	}
	var teager float64
	for i := 1; i < n-1; i++ {
		teager += math.Abs(ch[i]*ch[i] - ch[i-1]*ch[i+1])
	}
	teager /= float64(n - 2)

	// First non-positive autocorrelation (of the mean-removed signal).
	maxLag := min(int(acfMaxLag*e.cfg.SampleRate), n-1)
	zero := maxLag
	for lag := 1; lag <= maxLag; lag++ {
		var r float64
		for i := lag; i < n; i++ {
			r += (ch[i] - mean) * (ch[i-lag] - mean)
		}
		if r <= 0 {
			zero = lag
			break
		}
	}

	dst[0] = skew
	dst[1] = float64(crossings) * e.cfg.SampleRate / float64(n)
	dst[2] = higuchi(ch, higuchiKMax)
	dst[3] = math.Log10(max(teager, logFloor))
	dst[4] = float64(zero) / e.cfg.SampleRate
	nyq := e.cfg.SampleRate / 2
	for b, band := range narrowBands {
		r := 0.0
		if total > 0 && band.Low < nyq {
			r = dsp.BandPower(e.psd, e.freqs, band.Low, min(band.High, nyq)) / total
		}
		dst[5+b] = r
	}
	return 5 + len(narrowBands)
}

// higuchi returns the Higuchi fractal dimension of x over intervals
// k = 1…kmax: the slope of log L(k) against log(1/k), L(k) the mean over
// offsets m of the normalised curve length of x[m], x[m+k], x[m+2k], ….
// A constant signal gives 0.
func higuchi(x []float64, kmax int) float64 {
	n := len(x)
	var sx, sy, sxx, sxy float64
	pts := 0
	for k := 1; k <= kmax; k++ {
		var lk float64
		for m := range k {
			steps := (n - 1 - m) / k
			if steps < 1 {
				continue
			}
			var l float64
			for i := 1; i <= steps; i++ {
				l += math.Abs(x[m+i*k] - x[m+(i-1)*k])
			}
			lk += l * float64(n-1) / (float64(steps) * float64(k)) / float64(k)
		}
		lk /= float64(k)
		if !(lk > 0) {
			return 0
		}
		u, v := math.Log(1/float64(k)), math.Log(lk)
		sx, sy, sxx, sxy = sx+u, sy+v, sxx+u*u, sxy+u*v
		pts++
	}
	den := float64(pts)*sxx - sx*sx
	if pts < 2 || den == 0 {
		return 0
	}
	return (float64(pts)*sxy - sx*sy) / den
}
