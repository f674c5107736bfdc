package ssvep_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurostream/neurostream/internal/cpuclock"
	"github.com/neurostream/neurostream/models/ssvep"
)

// BenchmarkDecision measures the decision latency per window: the time of
// one Scores call, which is all a decision costs (Argmax and NoControl are
// negligible), reported as ms/decision. Sizes: the exoskeleton montage (3
// targets, 8 channels, 256 Hz) and the simulated 40-target speller (64
// channels, 250 Hz), at 1, 2 and 4 s windows; TRCA models are trained on 2
// synthetic trials per target. Single-threaded; no allocation per window.
// cpu-ms/decision is the same per second of the process's CPU time.
func BenchmarkDecision(b *testing.B) {
	sets := []struct {
		name     string
		freqs    []float64
		rate     float64
		channels int
	}{
		{"targets=3/ch=8", exoFreqs, 256, 8},
		{"targets=40/ch=64", speller40(), 250, 64},
	}
	for _, set := range sets {
		for _, win := range []float64{1, 2, 4} {
			n := int(math.Round(win * set.rate))
			s := newSynth(set.freqs, 0.5*math.Pi, set.rate, set.channels, 0.2, 11)
			cfg := ssvep.CCAConfig{Freqs: set.freqs, SampleRate: set.rate, Samples: n, Channels: set.channels}
			cca, err := ssvep.NewCCA(cfg)
			if err != nil {
				b.Fatal(err)
			}
			fbcca, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg})
			if err != nil {
				b.Fatal(err)
			}
			causal, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg, FilterBank: ssvep.FilterBankConfig{Causal: true}})
			if err != nil {
				b.Fatal(err)
			}
			train, labels := s.trials(2, n)
			trca, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: set.rate, Freqs: set.freqs}, train, labels)
			if err != nil {
				b.Fatal(err)
			}
			etrca, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: set.rate, Freqs: set.freqs, Ensemble: true}, train, labels)
			if err != nil {
				b.Fatal(err)
			}
			x := s.window(0, n, 0)
			dst := make([]float64, len(set.freqs))
			for _, d := range []struct {
				name string
				d    scorer
			}{{"cca", cca}, {"fbcca", fbcca}, {"fbcca-causal", causal}, {"trca", trca}, {"etrca", etrca}} {
				b.Run(fmt.Sprintf("%s/window=%gs/%s", set.name, win, d.name), func(b *testing.B) {
					if _, err := d.d.Scores(dst, x); err != nil { // sizes the workspaces
						b.Fatal(err)
					}
					b.ReportAllocs()
					t0 := cpuclock.Now()
					for b.Loop() {
						if _, err := d.d.Scores(dst, x); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/decision")
					// Per decision of CPU time: on a shared machine the wall
					// clock also counts the time spent waiting for a core.
					b.ReportMetric(float64(cpuclock.Since(t0).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/decision")
				})
			}
		}
	}
}

// BenchmarkTrainTRCA measures ensemble TRCA training (5 sub-bands,
// zero-phase) on the exoskeleton montage: 3 targets × 8 trials of 4 s.
func BenchmarkTrainTRCA(b *testing.B) {
	s := newSynth(exoFreqs, 0.5*math.Pi, 256, 8, 0.2, 12)
	train, labels := s.trials(8, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: 256, Freqs: exoFreqs, Ensemble: true}, train, labels); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTDCADecision measures the decision latency per window of TDCA
// (Decide: Chen's 5 sub-bands, zero-phase, 2 delays, 4 components, rest
// as a class, trained on 4 synthetic trials per class): 3 targets at
// 256 Hz, 8 to 64 channels, 1 to 4 s windows, reported as ms/decision
// and cpu-ms/decision. Single-threaded; no allocation per window.
func BenchmarkTDCADecision(b *testing.B) {
	for _, channels := range []int{8, 16, 32, 64} {
		for _, win := range []float64{1, 2, 4} {
			n := int(math.Round(win * 256))
			s := newSynth(exoFreqs, 0.5*math.Pi, 256, channels, 0.5, 22)
			train, labels := tdcaSet(s, 4, n)
			m, err := ssvep.TrainTDCA(ssvep.TDCAConfig{SampleRate: 256, Freqs: exoFreqs, Delays: 2, Components: 4}, train, labels)
			if err != nil {
				b.Fatal(err)
			}
			x := s.window(0, n, 0)
			b.Run(fmt.Sprintf("ch=%d/window=%gs", channels, win), func(b *testing.B) {
				if _, err := m.Decide(x); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				t0 := cpuclock.Now()
				for b.Loop() {
					if _, err := m.Decide(x); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/decision")
				b.ReportMetric(float64(cpuclock.Since(t0).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/decision")
			})
		}
	}
}
