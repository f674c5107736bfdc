package dsp

import (
	"fmt"
	"math"
)

// MultitaperNormalization selects the multitaper PSD normalisation, MNE's
// normalization argument.
type MultitaperNormalization int

const (
	// MultitaperNormLength is MNE's default normalization='length': the
	// tapers have unit energy, so the PSD is in unit² per cycle/sample,
	// SampleRate times the density in unit²/Hz.
	MultitaperNormLength MultitaperNormalization = iota
	// MultitaperNormFull is normalization='full': the 'length' PSD divided
	// by SampleRate, a density in unit²/Hz (V²/Hz for EEG) comparable with
	// Welch's ScalingDensity.
	MultitaperNormFull
)

// MultitaperConfig configures a Multitaper plan. Zero fields take the
// defaults of mne.time_frequency.psd_array_multitaper (MNE 1.10).
type MultitaperConfig struct {
	// SampleRate in Hz. Required.
	SampleRate float64
	// Len is the number of samples per signal (n_times). Required, ≥ 2.
	Len int
	// Bandwidth is the full frequency bandwidth in Hz; frequencies within
	// ±Bandwidth/2 are smoothed together. The DPSS half-bandwidth is
	// NW = Bandwidth·Len/(2·SampleRate) and must be ≥ 0.5.
	// Default: 8·SampleRate/Len (NW = 4).
	Bandwidth float64
	// FMin and FMax crop the output to bins with FMin ≤ f ≤ FMax (Hz).
	// Default: 0 and +Inf (zero FMax means +Inf).
	FMin, FMax float64
	// Adaptive combines the tapered spectra with Thomson's iterative
	// weights as MNE's _psd_from_mt_adaptive; it is ignored (as MNE does,
	// with a warning) when fewer than 3 tapers are kept. Default: false,
	// fixed weights √λₖ.
	Adaptive bool
	// MaxIter bounds the adaptive iterations. Default: 150, as
	// psd_array_multitaper.
	MaxIter int
	// AllTapers keeps all ⌊2·NW⌋ tapers (MNE low_bias=False). Default:
	// false, keep only tapers with concentration ratio > 0.9 (or, if none,
	// the best one).
	AllTapers bool
	// Normalization default: MultitaperNormLength, MNE's default.
	Normalization MultitaperNormalization
	// KeepDC skips the mean removal (MNE remove_dc=False). Default: false,
	// the mean of the signal is subtracted before tapering.
	KeepDC bool
}

// Multitaper is a reusable plan computing multitaper power spectra of
// signals of exactly Len samples with the semantics of
// mne.time_frequency.psd_array_multitaper(output='power'): DPSS tapers
// vₖ (periodic, unit energy, scipy.signal.windows.dpss(Len, NW, ⌊2NW⌋,
// sym=False)) with concentrations λₖ, tapered spectra
// Xₖ(f) = Σₜ x[t]·vₖ[t]·e^{−2πi f t/Len} (one FFT of length Len, no padding),
// and
//
//	S(f) = 2·Σₖ |dₖ(f)·Xₖ(f)|² / Σₖ dₖ(f)²
//
// with dₖ = √λₖ (fixed weights) or the adaptive weights. The DC bin (and
// the Nyquist bin for even Len) is halved, as MNE divides those Fourier
// coefficients by √2. The result is one-sided; see MultitaperNormalization
// for units. A plan is not safe for concurrent use.
type Multitaper struct {
	cfg     MultitaperConfig
	nw      float64
	k0, k1  int // kept bins [k0, k1)
	tapers  []float64
	ratios  []float64
	rt      []float64 // √λ
	sumEig  float64
	fft     *RealFFT
	seg     []float64
	coef    []complex128
	seg4    [4][]float64    // four tapered copies, for RealFFT's four-at-once path
	coef4   [4][]complex128 // their spectra
	pow     []float64       // K × nbins |Xₖ(f)|², DC/Nyquist already halved
	dk      []float64       // K × nkeep adaptive weights
	iters   int
	nbins   int
	ntapers int
}

// NewMultitaper returns a plan for cfg. It computes the DPSS tapers once.
func NewMultitaper(cfg MultitaperConfig) (*Multitaper, error) {
	if !(cfg.SampleRate > 0) || math.IsInf(cfg.SampleRate, 0) {
		return nil, fmt.Errorf("dsp: multitaper: sample rate must be positive and finite, got %v", cfg.SampleRate)
	}
	if cfg.Len < 2 {
		return nil, fmt.Errorf("dsp: multitaper: signal length must be ≥ 2, got %d", cfg.Len)
	}
	n := cfg.Len
	nw := 4.0
	if cfg.Bandwidth != 0 {
		if !(cfg.Bandwidth > 0) || math.IsInf(cfg.Bandwidth, 0) {
			return nil, fmt.Errorf("dsp: multitaper: bandwidth must be positive and finite, got %v", cfg.Bandwidth)
		}
		nw = cfg.Bandwidth * float64(n) / (2 * cfg.SampleRate)
	} else {
		cfg.Bandwidth = 8 * cfg.SampleRate / float64(n)
	}
	if nw < 0.5 {
		return nil, fmt.Errorf("dsp: multitaper: bandwidth %v Hz gives half-bandwidth NW=%v < 0.5; use at least %v Hz",
			cfg.Bandwidth, nw, cfg.SampleRate/float64(n))
	}
	if nw >= float64(n)/2 {
		return nil, fmt.Errorf("dsp: multitaper: half-bandwidth NW=%v must be less than Len/2=%v", nw, float64(n)/2)
	}
	if cfg.FMax == 0 {
		cfg.FMax = math.Inf(1)
	}
	if math.IsNaN(cfg.FMin) || math.IsNaN(cfg.FMax) {
		return nil, fmt.Errorf("dsp: multitaper: fmin %v / fmax %v is NaN", cfg.FMin, cfg.FMax)
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 150
	}
	if cfg.MaxIter < 1 {
		return nil, fmt.Errorf("dsp: multitaper: max iterations must be ≥ 1, got %d", cfg.MaxIter)
	}
	switch cfg.Normalization {
	case MultitaperNormLength, MultitaperNormFull:
	default:
		return nil, fmt.Errorf("dsp: multitaper: unknown normalization %d", cfg.Normalization)
	}
	nbins := n/2 + 1
	k0, k1 := -1, -1
	for k := range nbins {
		f := mtFreq(k, n, cfg.SampleRate)
		if f >= cfg.FMin && f <= cfg.FMax {
			if k0 < 0 {
				k0 = k
			}
			k1 = k + 1
		}
	}
	if k0 < 0 {
		return nil, fmt.Errorf("dsp: multitaper: no frequency bin in [%v, %v] Hz", cfg.FMin, cfg.FMax)
	}

	kmax := int(2 * nw)
	all, allRatios := DPSS(nil, nil, n, nw, kmax, true)
	var keep []int
	for i, r := range allRatios {
		if cfg.AllTapers || r > 0.9 {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		best := 0
		for i, r := range allRatios {
			if r > allRatios[best] {
				best = i
			}
		}
		keep = []int{best}
	}
	K := len(keep)
	if K < 3 {
		cfg.Adaptive = false
	}
	p := &Multitaper{
		cfg: cfg, nw: nw, k0: k0, k1: k1,
		tapers:  make([]float64, K*n),
		ratios:  make([]float64, K),
		rt:      make([]float64, K),
		fft:     NewRealFFT(n),
		seg:     make([]float64, n),
		coef:    make([]complex128, nbins),
		pow:     make([]float64, K*nbins),
		nbins:   nbins,
		ntapers: K,
	}
	if p.fft.on4() {
		p.grow4()
	}
	for j, i := range keep {
		copy(p.tapers[j*n:(j+1)*n], all[i*n:(i+1)*n])
		p.ratios[j] = allRatios[i]
		p.rt[j] = math.Sqrt(allRatios[i])
		p.sumEig += p.rt[j] * p.rt[j]
	}
	if cfg.Adaptive {
		p.dk = make([]float64, 2*K*(k1-k0))
	}
	return p, nil
}

// mtFreq is numpy.fft.rfftfreq(n, 1/fs)[k], computed the same way so that
// FMin/FMax comparisons agree with MNE bit for bit.
func mtFreq(k, n int, fs float64) float64 {
	return float64(k) * (1.0 / (float64(n) * (1.0 / fs)))
}

// Config returns the plan's configuration with defaults filled in.
// Adaptive is false when fewer than 3 tapers are kept.
func (p *Multitaper) Config() MultitaperConfig { return p.cfg }

// HalfBandwidth returns the DPSS half-bandwidth NW = Bandwidth·Len/(2·SampleRate).
func (p *Multitaper) HalfBandwidth() float64 { return p.nw }

// NumTapers returns the number of DPSS tapers in use.
func (p *Multitaper) NumTapers() int { return p.ntapers }

// Tapers fills dst (length NumTapers·MultitaperConfig.Len, row-major; nil
// allocates) with the tapers in use and returns it.
func (p *Multitaper) Tapers(dst []float64) []float64 {
	dst = useDst(dst, len(p.tapers), "Multitaper.Tapers")
	copy(dst, p.tapers)
	return dst
}

// Ratios fills dst (length NumTapers; nil allocates) with the
// concentration ratios λₖ of the tapers in use and returns it.
func (p *Multitaper) Ratios(dst []float64) []float64 {
	dst = useDst(dst, p.ntapers, "Multitaper.Ratios")
	copy(dst, p.ratios)
	return dst
}

// Len returns the number of output bins (those in [FMin, FMax]).
func (p *Multitaper) Len() int { return p.k1 - p.k0 }

// Freqs fills dst (length Len(); nil allocates) with the output bin
// frequencies in Hz, k·SampleRate/MultitaperConfig.Len for the kept bins
// k, as MNE's freqs, and returns it.
func (p *Multitaper) Freqs(dst []float64) []float64 {
	dst = useDst(dst, p.Len(), "Multitaper.Freqs")
	for i := range dst {
		dst[i] = mtFreq(p.k0+i, p.cfg.Len, p.cfg.SampleRate)
	}
	return dst
}

// Iterations returns the number of adaptive iterations the last PSD call
// ran (0 for fixed weights). It equals MaxIter when the weights did not
// converge; MNE then warns and, like PSD, returns the last iterate.
func (p *Multitaper) Iterations() int { return p.iters }

// PSD fills dst (length Len(); nil allocates) with the one-sided
// multitaper PSD of x, cropped to [FMin, FMax], and returns it. len(x) must
// be MultitaperConfig.Len. dst must not alias x. PSD does not allocate
// with a non-nil dst. With Adaptive, a signal whose fixed-weight spectrum
// is zero everywhere (x constant) gives NaN, as MNE does.
func (p *Multitaper) PSD(dst, x []float64) []float64 {
	const op = "Multitaper.PSD"
	n := p.cfg.Len
	checkLen(op, "x", len(x), n)
	dst = useDst(dst, p.Len(), op)
	var mean float64
	if !p.cfg.KeepDC {
		for _, v := range x {
			mean += v
		}
		mean /= float64(n)
	}
	k := 0
	if p.fft.on4() {
		// Lengths without a vector path of their own (n = 250, 500):
		// four tapers at once, the same spectra.
		p.grow4()
		for ; k+4 <= p.ntapers; k += 4 {
			for i := range 4 {
				taper := p.tapers[(k+i)*n : (k+i+1)*n]
				seg := p.seg4[i][:n]
				for t, v := range x {
					seg[t] = (v - mean) * taper[t]
				}
			}
			p.fft.coefficients4(&p.coef4, &p.seg4)
			for i := range 4 {
				p.power(k+i, p.coef4[i])
			}
		}
	}
	for ; k < p.ntapers; k++ {
		taper := p.tapers[k*n : (k+1)*n]
		for t, v := range x {
			p.seg[t] = (v - mean) * taper[t]
		}
		p.fft.Coefficients(p.coef, p.seg)
		p.power(k, p.coef)
	}
	p.iters = 0
	if p.cfg.Adaptive {
		p.adaptive(dst)
	} else {
		for i := range dst {
			f := p.k0 + i
			var s float64
			for k := range p.ntapers {
				s += p.rt[k] * p.rt[k] * p.pow[k*p.nbins+f]
			}
			dst[i] = 2 * s / p.sumEig
		}
	}
	if p.cfg.Normalization == MultitaperNormFull {
		for i := range dst {
			dst[i] /= p.cfg.SampleRate
		}
	}
	return dst
}

// power sets taper k's one-sided power spectrum from its coefficients,
// the DC and (even n) Nyquist bins halved.
func (p *Multitaper) power(k int, coef []complex128) {
	nb := p.nbins
	pw := p.pow[k*nb : (k+1)*nb]
	for f, c := range coef {
		pw[f] = real(c)*real(c) + imag(c)*imag(c)
	}
	pw[0] /= 2
	if p.cfg.Len%2 == 0 {
		pw[nb-1] /= 2
	}
}

// grow4 allocates the four-at-once buffers once.
func (p *Multitaper) grow4() {
	if p.seg4[0] != nil {
		return
	}
	p.seg4 = newSeg4(p.cfg.Len)
	for i := range p.coef4 {
		p.coef4[i] = make([]complex128, p.nbins)
	}
}

// adaptive is MNE's _psd_from_mt_adaptive for one signal: the variance
// σ² = trapezoid(S_fixed, dx=π/nbins)/(2π) over all bins, a start estimate
// from the first two tapers, then
//
//	dₖ(f) = √λₖ·S(f) / (λₖ·S(f) + (1−λₖ)·σ²),  S(f) = 2·Σ dₖ²|Xₖ|² / Σ dₖ²
//
// until the largest (over f) mean (over k) squared change of dₖ is below
// 1e-10, checked jointly over the kept bins exactly as MNE does.
func (p *Multitaper) adaptive(dst []float64) {
	K, nb := p.ntapers, p.nbins
	// Variance from the fixed-weight estimate over all bins.
	var sum, first, last float64
	for f := range nb {
		var s float64
		for k := range K {
			s += p.rt[k] * p.rt[k] * p.pow[k*nb+f]
		}
		v := 2 * s / p.sumEig
		sum += v
		if f == 0 {
			first = v
		}
		last = v
	}
	dx := math.Pi / float64(nb)
	variance := dx * (sum - (first+last)/2) / (2 * math.Pi)

	F := p.Len()
	prev := p.dk[:K*F]
	cur := p.dk[K*F:]
	clear(prev)
	// Start from the first two tapers with fixed weights.
	for i := range dst {
		f := p.k0 + i
		var s, w float64
		for k := range 2 {
			s += p.rt[k] * p.rt[k] * p.pow[k*nb+f]
			w += p.rt[k] * p.rt[k]
		}
		dst[i] = 2 * s / w
	}
	for it := range p.cfg.MaxIter {
		p.iters = it + 1
		var maxErr float64
		for i := range F {
			s := dst[i]
			var e float64
			for k := range K {
				lam := p.ratios[k]
				d := s / (lam*s + (1-lam)*variance) * p.rt[k]
				diff := prev[k*F+i] - d
				e += diff * diff
				cur[k*F+i] = d
			}
			e /= float64(K)
			if e > maxErr || math.IsNaN(e) { // NaN sticks, as in numpy's max
				maxErr = e
			}
		}
		if maxErr < 1e-10 {
			break
		}
		for i := range F {
			f := p.k0 + i
			var s, w float64
			for k := range K {
				d := cur[k*F+i]
				s += d * d * p.pow[k*nb+f]
				w += d * d
			}
			dst[i] = 2 * s / w
		}
		prev, cur = cur, prev
	}
}
