package dsp

import (
	"fmt"
	"math"
	"slices"
)

// Detrend selects what is removed from each segment before windowing.
type Detrend int

const (
	// DetrendConstant subtracts the segment mean (scipy's default).
	DetrendConstant Detrend = iota
	// DetrendNone leaves segments as they are.
	DetrendNone
	// DetrendLinear subtracts the least-squares line.
	DetrendLinear
)

// Scaling selects the PSD normalisation.
type Scaling int

const (
	// ScalingDensity gives a power spectral density in unit²/Hz:
	// |X|² / (fs · Σw²), as scipy.signal.welch(scaling='density').
	ScalingDensity Scaling = iota
	// ScalingSpectrum gives a power spectrum in unit²: |X|² / (Σw)².
	ScalingSpectrum
)

// Average selects how segment periodograms are combined.
type Average int

const (
	// AverageMean is the arithmetic mean (scipy's default).
	AverageMean Average = iota
	// AverageMedian is the median divided by its bias for the segment
	// count, as scipy's average='median'.
	AverageMedian
)

// WelchConfig configures a Welch plan. Zero fields take scipy.signal.welch's
// defaults.
type WelchConfig struct {
	// SampleRate in Hz. Required.
	SampleRate float64
	// SegmentLen is nperseg, samples per segment. Required.
	SegmentLen int
	// Overlap is noverlap in samples. Default: SegmentLen/2. Use a negative
	// value for no overlap.
	Overlap int
	// NFFT is the FFT length (zero-padding when > SegmentLen).
	// Default: SegmentLen.
	NFFT int
	// Window holds SegmentLen taper weights. Default: periodic Hann, as
	// scipy.signal.get_window('hann', nperseg).
	Window []float64
	// Detrend default: DetrendConstant.
	Detrend Detrend
	// Scaling default: ScalingDensity.
	Scaling Scaling
	// Average default: AverageMean.
	Average Average
}

// Welch is a reusable plan computing Welch power spectra of signals of any
// length ≥ SegmentLen.
type Welch struct {
	cfg     WelchConfig
	step    int
	scale   float64
	fft     *RealFFT
	seg     []float64
	seg4    [4][]float64 // four tapered segments, for RealFFT's four-at-once path
	periods [][]float64  // per-segment periodograms, only for AverageMedian
	col     []float64
}

// NewWelch returns a plan for cfg.
func NewWelch(cfg WelchConfig) (*Welch, error) {
	if !(cfg.SampleRate > 0) || math.IsInf(cfg.SampleRate, 0) {
		return nil, fmt.Errorf("dsp: welch: sample rate must be positive and finite, got %v", cfg.SampleRate)
	}
	if err := segmentParams("welch", cfg.SegmentLen, &cfg.Overlap, &cfg.NFFT, &cfg.Window); err != nil {
		return nil, err
	}
	s, s2 := windowSums(cfg.Window)
	w := &Welch{
		cfg:  cfg,
		step: cfg.SegmentLen - cfg.Overlap,
		fft:  NewRealFFT(cfg.NFFT),
		seg:  make([]float64, cfg.NFFT),
	}
	if w.fft.on4() {
		w.seg4 = newSeg4(cfg.NFFT)
	}
	switch cfg.Scaling {
	case ScalingDensity:
		w.scale = 1 / (cfg.SampleRate * s2)
	case ScalingSpectrum:
		w.scale = 1 / (s * s)
	default:
		return nil, fmt.Errorf("dsp: welch: unknown scaling %d", cfg.Scaling)
	}
	return w, nil
}

// Config returns the plan's configuration with defaults filled in.
func (w *Welch) Config() WelchConfig { return w.cfg }

// Len returns the number of frequency bins, NFFT/2+1.
func (w *Welch) Len() int { return w.cfg.NFFT/2 + 1 }

// Segments returns how many segments a signal of n samples is split into:
// (n-Overlap)/(SegmentLen-Overlap), as scipy.
func (w *Welch) Segments(n int) int {
	if n < w.cfg.SegmentLen {
		return 0
	}
	return (n - w.cfg.Overlap) / w.step
}

// Freqs fills dst (length Len(); nil allocates) with the bin frequencies in
// Hz, bin k at k·SampleRate/NFFT, and returns it.
func (w *Welch) Freqs(dst []float64) []float64 {
	dst = useDst(dst, w.Len(), "Welch.Freqs")
	for k := range dst {
		dst[k] = float64(k) * w.cfg.SampleRate / float64(w.cfg.NFFT)
	}
	return dst
}

// PSD fills dst (length Len(); nil allocates) with the one-sided Welch
// estimate of x's power spectrum and returns it, with scipy.signal.welch
// semantics (return_onesided=True): every bin but DC (and Nyquist for even
// NFFT) is doubled; units unit²/Hz (ScalingDensity) or unit²
// (ScalingSpectrum). len(x) must be at least SegmentLen; trailing samples
// that do not fill a segment are ignored, as in scipy. dst must not alias
// x. With a non-nil dst PSD does not allocate (with AverageMedian: after
// the first call for a given segment count).
func (w *Welch) PSD(dst, x []float64) []float64 {
	const op = "Welch.PSD"
	checkMinLen(op, "x", len(x), w.cfg.SegmentLen, "SegmentLen")
	nseg := w.Segments(len(x))
	nf := w.Len()
	dst = useDst(dst, nf, op)
	median := w.cfg.Average == AverageMedian
	if median {
		for len(w.periods) < nseg {
			w.periods = append(w.periods, make([]float64, nf))
		}
		if cap(w.col) < nseg {
			w.col = make([]float64, nseg)
		}
	} else {
		clear(dst)
	}
	s := 0
	if w.fft.on4() {
		// Lengths without a vector path of their own (n = 250, 500):
		// four segments at once, their powers added in segment order.
		if w.seg4[0] == nil {
			w.seg4 = newSeg4(w.cfg.NFFT)
		}
		for ; s+4 <= nseg; s += 4 {
			dst4 := [4][]float64{dst, dst, dst, dst}
			for i := range 4 {
				off := (s + i) * w.step
				taperSegment(w.seg4[i], x[off:off+w.cfg.SegmentLen], w.cfg.Window, w.cfg.Detrend)
				if median {
					dst4[i] = w.periods[s+i]
					clear(dst4[i])
				}
			}
			w.fft.addPower4(&dst4, &w.seg4)
		}
	}
	for ; s < nseg; s++ {
		// The FFT's split step and |X|² in one pass (RealFFT.AddPower),
		// as WelchStream does, so both sum the same periodograms.
		taperSegment(w.seg, x[s*w.step:s*w.step+w.cfg.SegmentLen], w.cfg.Window, w.cfg.Detrend)
		if median {
			p := w.periods[s]
			clear(p)
			w.fft.AddPower(p, w.seg)
			continue
		}
		w.fft.AddPower(dst, w.seg)
	}
	if !median {
		w.scale1(dst, w.scale/float64(nseg))
		return dst
	}
	col := w.col[:nseg]
	bias := medianBias(nseg)
	for k := range dst {
		for s := range col {
			col[s] = w.periods[s][k]
		}
		dst[k] = median64(col) / bias
	}
	w.scale1(dst, w.scale)
	return dst
}

// newSeg4 returns four segment buffers of n samples.
func newSeg4(n int) [4][]float64 {
	var s [4][]float64
	for i := range s {
		s[i] = make([]float64, n)
	}
	return s
}

// scale1 turns the combined periodograms in dst into the one-sided
// estimate: times norm, and times 2 for every bin but DC and (even NFFT)
// Nyquist.
func (w *Welch) scale1(dst []float64, norm float64) {
	last := len(dst) - 1
	if w.cfg.NFFT%2 == 1 {
		last = len(dst)
	}
	for k := range dst {
		v := dst[k] * norm
		if k > 0 && k < last {
			v *= 2
		}
		dst[k] = v
	}
}

// taperSegment copies seg into buf (of the FFT length), removes its trend,
// multiplies it by window and zero-pads the rest of buf: the preparation
// every Welch-type estimate (PSD, CSD) applies to a segment.
func taperSegment(buf, seg, window []float64, detrend Detrend) {
	n := len(seg)
	b := buf[:n]
	window = window[:n]
	// One pass where the trend is a constant (subMul: (x − m)·w, on the
	// AVX2 kernel where it runs); blockSum's fixed blocked order gives the
	// same mean on every path.
	switch detrend {
	case DetrendConstant:
		subMul(b, seg, window, blockSum(seg)/float64(n))
	case DetrendLinear:
		copy(b, seg)
		detrendLinear(b)
		subMul(b, b, window, 0)
	default:
		subMul(b, seg, window, 0)
	}
	clear(buf[n:])
}

// segmentParams checks a segmented estimate's parameters and fills
// scipy's defaults: noverlap nperseg/2 when 0 (none when negative), nfft
// nperseg when 0, a periodic Hann window when nil (a given window is
// copied).
func segmentParams(what string, nperseg int, overlap, nfft *int, window *[]float64) error {
	if nperseg < 1 {
		return fmt.Errorf("dsp: %s: segment length must be ≥ 1, got %d", what, nperseg)
	}
	switch {
	case *overlap == 0:
		*overlap = nperseg / 2
	case *overlap < 0:
		*overlap = 0
	}
	if *overlap >= nperseg {
		return fmt.Errorf("dsp: %s: overlap %d must be less than segment length %d", what, *overlap, nperseg)
	}
	if *nfft == 0 {
		*nfft = nperseg
	}
	if *nfft < nperseg {
		return fmt.Errorf("dsp: %s: nfft %d shorter than segment length %d", what, *nfft, nperseg)
	}
	if *window == nil {
		*window = Hann(nil, nperseg, true)
		return nil
	}
	if len(*window) != nperseg {
		return fmt.Errorf("dsp: %s: window has %d weights, segment length is %d", what, len(*window), nperseg)
	}
	*window = slices.Clone(*window)
	return nil
}

// detrendLinear subtracts the least-squares line through (i, x[i]).
func detrendLinear(x []float64) {
	n := float64(len(x))
	if len(x) < 2 {
		if len(x) == 1 {
			x[0] = 0
		}
		return
	}
	mt := (n - 1) / 2
	var mx, sxy, sxx float64
	for _, v := range x {
		mx += v
	}
	mx /= n
	for i, v := range x {
		d := float64(i) - mt
		sxy += d * (v - mx)
		sxx += d * d
	}
	slope := sxy / sxx
	for i := range x {
		x[i] -= mx + slope*(float64(i)-mt)
	}
}

// medianBias is scipy.signal._spectral_py._median_bias: the expected
// ratio of the sample median to the mean of n chi-squared(2) periodograms.
func medianBias(n int) float64 {
	var b float64
	for k := 1; k <= (n-1)/2; k++ {
		b += 1/float64(2*k+1) - 1/float64(2*k)
	}
	return 1 + b
}

// median64 returns the median of x, reordering x.
func median64(x []float64) float64 {
	slices.Sort(x)
	n := len(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

// windowSums returns Σw and Σw², the window's coherent gain and energy
// that the spectrum and density scalings divide by.
func windowSums(w []float64) (s, s2 float64) {
	for _, v := range w {
		s += v
		s2 += v * v
	}
	return s, s2
}

// Hann fills dst (length n; nil allocates) with an n-point Hann window,
// w[i] = 0.5 − 0.5·cos(2πi/d), and returns it. periodic selects the
// DFT-even form used for spectral analysis (d = n, scipy's
// get_window('hann', n), sym=False); otherwise the symmetric form (d = n−1,
// scipy.signal.windows.hann(n)). n = 1 gives [1].
func Hann(dst []float64, n int, periodic bool) []float64 {
	return winCosine(dst, n, periodic, 0.5, 0.5, 0, "Hann")
}
