package tokenizer

import (
	"fmt"
	"math"

	"github.com/neurostream/neurostream/dsp"
)

// Ratio returns the smallest up/down with rate·up/down = SampleRate to
// within 1e-9 relative: the factors of dsp.ResamplePoly and of the
// pipeline's resample step that bring a channel at rate Hz to the
// tokenizer's rate. Rates given with a few decimals (Bonn's 173.61 Hz:
// 20000/17361) are exact; the denominator is at most 10⁶.
func Ratio(rate float64) (up, down int, err error) {
	if !(rate > 0) || math.IsInf(rate, 0) {
		return 0, 0, fmt.Errorf("tokenizer: sample rate %v Hz: want a positive finite rate", rate)
	}
	target := SampleRate / rate
	// Continued fraction convergents of target.
	h0, h1 := 0.0, 1.0 // numerators
	k0, k1 := 1.0, 0.0 // denominators
	x := target
	for range 64 {
		a := math.Floor(x)
		h0, h1 = h1, a*h1+h0
		k0, k1 = k1, a*k1+k0
		if k1 > 1e6 || h1 > 1e6 {
			break
		}
		if math.Abs(h1/k1-target) <= 1e-9*target {
			return int(h1), int(k1), nil
		}
		if x-a < 1e-12 {
			break
		}
		x = 1 / (x - a)
	}
	return 0, 0, fmt.Errorf("tokenizer: sample rate %v Hz: no ratio up/down ≤ 10⁶ reaches %d Hz", rate, SampleRate)
}

// Resampler brings whole signals at one rate to SampleRate, reusing the
// polyphase filter across signals (it is long for ratios like
// 20000/17361). It is not safe for concurrent use.
type Resampler struct {
	rate float64
	rs   *dsp.Resampler // nil when rate is SampleRate
}

// NewResampler returns a Resampler from rate Hz to SampleRate with the
// factors of Ratio.
func NewResampler(rate float64) (*Resampler, error) {
	up, down, err := Ratio(rate)
	if err != nil {
		return nil, err
	}
	r := &Resampler{rate: rate}
	if up != down {
		if r.rs, err = dsp.NewResampler(up, down, 1); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Resample returns x at SampleRate, as dsp.ResamplePoly(x, up, down); x
// itself when no resampling is needed.
func (r *Resampler) Resample(x []float64) []float64 {
	if r.rs == nil {
		return x
	}
	n := dsp.ResampledLen(len(x), r.rs.Up(), r.rs.Down())
	dst := make([]float64, n)
	k := r.rs.OutputLen(0, len(x))
	r.rs.Process(dst[:k:k], x, 0)
	r.rs.Flush(dst[k:], 0)
	return dst
}

// Resample returns x, sampled at rate Hz, resampled to SampleRate with
// dsp.ResamplePoly and the factors of Ratio; x itself at SampleRate.
func Resample(x []float64, rate float64) ([]float64, error) {
	r, err := NewResampler(rate)
	if err != nil {
		return nil, err
	}
	return r.Resample(x), nil
}
