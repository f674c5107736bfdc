package tokenizer

import (
	"fmt"
	"math"

	"github.com/neurostream/neurostream/dsp"
)

// The fixed STFT of the motif features (TFM-Tokenizer's): 1 s frames every
// 0.5 s at 200 Hz, 1 Hz bins.
const (
	// SampleRate is the rate in Hz every channel is resampled to.
	SampleRate = 200
	// NFFT is the frame length and FFT size in samples (1 s).
	NFFT = 200
	// Hop is the frame step in samples (0.5 s).
	Hop = 100
	// Bins is the number of power bins kept: 0–99 Hz.
	Bins = 100
)

// FeatureConfig sets the motif features. Zero fields take the defaults.
type FeatureConfig struct {
	// PatchBins is the width of a frequency patch in 1 Hz bins; it must
	// divide Bins. Default: 5 (20 patches).
	PatchBins int
	// Context is the number of neighbouring frames on each side of a
	// motif's centre frame. Default: 1 (a 3-frame, 2 s motif). Use
	// NoContext for single-frame motifs.
	Context int
}

// NoContext is the FeatureConfig.Context of single-frame motifs.
const NoContext = -1

// withDefaults returns c with defaults filled in, or an error naming the
// bad field.
func (c FeatureConfig) withDefaults() (FeatureConfig, error) {
	if c.PatchBins == 0 {
		c.PatchBins = 5
	}
	switch {
	case c.Context == 0:
		c.Context = 1
	case c.Context == NoContext:
		c.Context = 0
	}
	if c.PatchBins < 1 || Bins%c.PatchBins != 0 {
		return c, fmt.Errorf("tokenizer: patch bins %d must divide %d", c.PatchBins, Bins)
	}
	if c.Context < 0 || c.Context > 16 {
		return c, fmt.Errorf("tokenizer: context %d frames: want 0 to 16 (-1 for none)", c.Context)
	}
	return c, nil
}

// Patches returns the number of patches per frame.
func (c FeatureConfig) Patches() int { return Bins / c.PatchBins }

// Frames returns the frames per motif, 2·Context+1.
func (c FeatureConfig) Frames() int { return 2*c.Context + 1 }

// Dim returns the motif vector length, Patches·Frames.
func (c FeatureConfig) Dim() int { return c.Patches() * c.Frames() }

// SupportLen returns the samples (at SampleRate) one token depends on:
// NFFT + 2·Context·Hop.
func (c FeatureConfig) SupportLen() int { return NFFT + 2*c.Context*Hop }

// NumFrames returns the STFT frames of a signal of n samples at SampleRate:
// ⌊(n−NFFT)/Hop⌋+1, or 0 when n < NFFT.
func NumFrames(n int) int {
	if n < NFFT {
		return 0
	}
	return (n-NFFT)/Hop + 1
}

// featurizer computes frame vectors. It is not safe for concurrent use.
type featurizer struct {
	cfg   FeatureConfig
	stft  *dsp.STFT
	power []float64
}

func newFeaturizer(cfg FeatureConfig) *featurizer {
	stft, err := dsp.NewSTFT(dsp.STFTConfig{
		SampleRate: SampleRate, SegmentLen: NFFT, Overlap: NFFT - Hop, NFFT: NFFT,
		DetrendSegments: true, Detrend: dsp.DetrendConstant,
		NoBoundary: true, NoPadding: true,
	})
	if err != nil {
		panic(err) // constant configuration
	}
	return &featurizer{cfg: cfg, stft: stft, power: make([]float64, NFFT/2+1)}
}

// NumBands is the number of frequency bands of a frame's power levels.
const NumBands = 5

// Band is a frequency band of whole 1 Hz bins: Low … High−1 Hz.
type Band struct {
	Name      string
	Low, High int
}

// Bands are the bands of a frame's band powers (Token.Powers) and power
// levels: the classical EEG bands of dsp.StandardBands (delta 1–4, theta
// 4–8, alpha 8–12, beta 12–30, gamma 30–45 Hz), each summing the frame's
// bins from its low edge up to, not including, its high edge, so that no
// bin counts twice.
var Bands = [NumBands]Band{{"delta", 1, 4}, {"theta", 4, 8}, {"alpha", 8, 12}, {"beta", 12, 30}, {"gamma", 30, 45}}

// frame fills dst (length Patches) with the normalised log-patch vector of
// the NFFT samples x: patch p is log(Σ power of bins p·PatchBins … +
// PatchBins−1 + floor), then the patches are z-scored across the frame. The
// floor, 1e-10 of the mean patch power, keeps silent bands finite without
// depending on the unit; a frame whose patches are all equal (a silent or
// constant channel) gives zeros.
//
// It also fills bands (length NumBands) with the frame's band powers, the
// level that the normalisation removes: ln of the sum of the power bins of
// each of Bands, in ln(unit²) of x (the one-sided power spectrum of the
// Hann-windowed frame, as dsp.STFT computes it); −Inf for a band without
// power, NaN for a frame with non-finite samples.
func (f *featurizer) frame(dst, bands, x []float64) {
	f.bandPowers(bands, x)
	w := f.cfg.PatchBins
	total := 0.0
	for k := range Bins {
		total += f.power[k]
	}
	floor := 1e-10 * total / float64(len(dst))
	if !(floor > 0) {
		clear(dst)
		return
	}
	mean := 0.0
	for p := range dst {
		s := floor
		for _, v := range f.power[p*w : (p+1)*w] {
			s += v
		}
		dst[p] = math.Log(s)
		mean += dst[p]
	}
	mean /= float64(len(dst))
	ss := 0.0
	for p, v := range dst {
		d := v - mean
		dst[p] = d
		ss += d * d
	}
	sd := math.Sqrt(ss / float64(len(dst)))
	if !(sd > 1e-9) || math.IsInf(sd, 0) {
		clear(dst)
		return
	}
	inv := 1 / sd
	for p := range dst {
		dst[p] *= inv
	}
}

// bandPowers fills bands (length NumBands) with the band powers of the
// NFFT samples x (see frame), leaving their power spectrum in f.power.
func (f *featurizer) bandPowers(bands, x []float64) {
	f.stft.Power(f.power, x[:NFFT])
	for b, band := range Bands {
		s := 0.0
		for _, v := range f.power[band.Low:band.High] {
			s += v
		}
		bands[b] = math.Log(s)
	}
}

// motif fills dst (length Dim) with the concatenation of the frame
// vectors frames (Frames of them, Patches values each, oldest first),
// L2-normalised; an all-zero motif stays zero.
func motif(dst []float64, frames []float64) {
	copy(dst, frames)
	ss := 0.0
	for _, v := range dst {
		ss += v * v
	}
	if ss == 0 {
		return
	}
	inv := 1 / math.Sqrt(ss)
	for i := range dst {
		dst[i] *= inv
	}
}
