package ssvep_test

import (
	"math"
	"math/rand/v2"
)

// synth generates seeded synthetic SSVEP windows: target k is a response
// at Freqs[k] and its second harmonic, with phase k·PhaseStep at stimulus
// onset (so trials are phase-locked, as TRCA needs), projected onto the
// channels by a fixed per-target spatial pattern, plus white noise of unit
// variance per channel, a DC offset and a slow drift.
type synth struct {
	Freqs      []float64
	PhaseStep  float64 // radians between consecutive targets
	SampleRate float64
	Channels   int
	Amplitude  float64 // of the fundamental, relative to the noise SD
	rng        *rand.Rand
	patterns   [][]float64
}

func newSynth(freqs []float64, phaseStep, rate float64, channels int, amplitude float64, seed uint64) *synth {
	s := &synth{Freqs: freqs, PhaseStep: phaseStep, SampleRate: rate, Channels: channels, Amplitude: amplitude,
		rng: rand.New(rand.NewPCG(seed, 0x55))}
	for range freqs {
		p := make([]float64, channels)
		for c := range p {
			p[c] = 0.5 + s.rng.Float64() // every channel sees the response
		}
		s.patterns = append(s.patterns, p)
	}
	return s
}

// window returns samples samples of target k starting at onset sample
// start (start > 0 shifts the phase as a later window of the same trial).
func (s *synth) window(k, samples, start int) [][]float64 {
	x := make([][]float64, s.Channels)
	f, ph := s.Freqs[k], float64(k)*s.PhaseStep
	drift := s.rng.Float64() * 2 * math.Pi
	for c := range x {
		x[c] = make([]float64, samples)
		dc := 10 * s.rng.NormFloat64()
		for i := range x[c] {
			tt := float64(start+i) / s.SampleRate
			sig := math.Sin(2*math.Pi*f*tt+ph) + 0.5*math.Sin(2*math.Pi*2*f*tt+2*ph+0.4)
			x[c][i] = s.Amplitude*s.patterns[k][c]*sig + s.rng.NormFloat64() + dc + 2*math.Sin(2*math.Pi*0.3*tt+drift)
		}
	}
	return x
}

// trials returns perTarget windows of every target, labels interleaved.
func (s *synth) trials(perTarget, samples int) ([][][]float64, []int) {
	var x [][][]float64
	var l []int
	for range perTarget {
		for k := range s.Freqs {
			x = append(x, s.window(k, samples, 0))
			l = append(l, k)
		}
	}
	return x, l
}

// rest returns a window of noise only.
func (s *synth) rest(samples int) [][]float64 {
	x := make([][]float64, s.Channels)
	for c := range x {
		x[c] = make([]float64, samples)
		for i := range x[c] {
			x[c][i] = s.rng.NormFloat64()
		}
	}
	return x
}

// speller40 is the simulated 40-target set of the issue: 8–15.8 Hz in
// 0.2 Hz steps, phases in steps of 0.5π (Wang et al. 2017 benchmark
// layout).
func speller40() []float64 {
	f := make([]float64, 40)
	for i := range f {
		f[i] = 8 + 0.2*float64(i)
	}
	return f
}
