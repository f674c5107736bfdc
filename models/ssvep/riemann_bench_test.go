package ssvep_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurostream/neurostream/models/riemann"
	"github.com/neurostream/neurostream/models/ssvep"
)

// BenchmarkRiemannDecision measures the decision latency per window of the
// Riemannian decoders: one Decide call (band filtering, extended
// covariance, distances or tangent vector and logistic regression),
// reported as ms/decision. Sizes: 3 targets at 256 Hz (the exoskeleton
// layout), 8 to 64 channels, 1 to 4 s windows; MOABB's bands (3 bands,
// extended covariance 3·channels square) and the 2 Hz bands with second
// harmonics (6 bands; up to 32 channels: at 64 channels, 384×384
// matrices, training the models for one case took over 10 min).
// Models are trained on 4 synthetic trials per class, rest included; the
// rest detector's base is ts-lr on the targets. Single-threaded.
func BenchmarkRiemannDecision(b *testing.B) {
	for _, bands := range []struct {
		name string
		cfg  ssvep.RiemannConfig
	}{{"bands=moabb", ssvep.RiemannConfig{}}, {"bands=2Hz-h2", ssvep.RiemannConfig{BandWidth: 2, Harmonics: 2}}} {
		for _, channels := range []int{8, 16, 32, 64} {
			if bands.cfg.Harmonics > 1 && channels > 32 {
				continue
			}
			for _, win := range []float64{1, 2, 4} {
				n := int(math.Round(win * 256))
				s := newSynth(exoFreqs, 0.5*math.Pi, 256, channels, 0.5, 21)
				train, labels := s.trials(4, n)
				for range 4 {
					train, labels = append(train, s.rest(n)), append(labels, ssvep.Rest)
				}
				x := s.window(0, n, 0)
				decoders := map[string]ssvep.Decoder{}
				for _, m := range []string{ssvep.MethodMDM, ssvep.MethodTSLR} {
					cfg := bands.cfg
					cfg.Method, cfg.SampleRate, cfg.Freqs = m, 256, exoFreqs
					d, err := ssvep.TrainRiemann(cfg, train, labels)
					if err != nil {
						b.Fatal(err)
					}
					decoders[m] = d
				}
				folds := make([]int, len(train))
				for i := range folds {
					folds[i] = i % 2
				}
				rest, err := ssvep.TrainWithRest(ssvep.TrainConfig{Method: ssvep.MethodTSLR, SampleRate: 256, Freqs: exoFreqs, Riemann: bands.cfg},
					ssvep.RestConfig{BandWidth: bands.cfg.BandWidth, Harmonics: bands.cfg.Harmonics}, train, labels, folds)
				if err != nil {
					b.Fatal(err)
				}
				decoders["ts-lr+rest"] = rest
				for _, name := range []string{ssvep.MethodMDM, ssvep.MethodTSLR, "ts-lr+rest"} {
					d := decoders[name]
					b.Run(fmt.Sprintf("%s/ch=%d/window=%gs/%s", bands.name, channels, win, name), func(b *testing.B) {
						if _, err := d.Decide(x); err != nil {
							b.Fatal(err)
						}
						b.ReportAllocs()
						for b.Loop() {
							if _, err := d.Decide(x); err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/decision")
					})
				}
			}
		}
	}
}

// BenchmarkStackedDecision measures the decision latency per window of
// the stacked decoders as `train ssvep` builds them (SelectStacked):
// fbcca+ts-lr, fbcca-bands+ts-lr and fbcca+ts-lr+tdca, with FBCCA's 5
// harmonics and Chen's 5 sub-bands, ts-lr on the shipped StackBands (2 Hz
// around each target and its second harmonic: a 6·channels square
// covariance) with rest as a class, and TDCA's delays and components
// chosen by its cross-validation. One Decide call, reported as
// ms/decision: 3 targets and rest at 256 Hz, 8 to 64 channels, 1 to 4 s
// windows, single-threaded. The models are calibrated on 4 synthetic
// trials per class; their Riemannian means stop after one iteration
// (Mean.MaxIter 1), which changes the reference point but not the work a
// decision does, and keeps calibrating the 384×384 case of 64 channels
// to about two minutes (the whole benchmark: 25 min on 2 cores).
func BenchmarkStackedDecision(b *testing.B) {
	for _, channels := range []int{8, 16, 32, 64} {
		for _, win := range []float64{1, 2, 4} {
			for _, m := range ssvep.StackMethods() {
				// Calibrated inside the sub-benchmark (b.Loop times only
				// the loop), so that -bench can pick one case cheaply.
				b.Run(fmt.Sprintf("method=%s/ch=%d/window=%gs", m, channels, win), func(b *testing.B) {
					cal, s := stackBenchCalibration(b, channels, win)
					d, err := ssvep.SelectStacked(cal, ssvep.TrainCalibrationConfig{Method: m,
						Riemann: ssvep.RiemannConfig{Mean: riemann.MeanConfig{MaxIter: 1}}})
					if err != nil {
						b.Fatal(err)
					}
					x := s.window(0, len(cal.Trials[0][0]), 0)
					b.ReportAllocs()
					for b.Loop() {
						if _, err := d.Decide(x); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/decision")
				})
			}
		}
	}
}

// stackBenchCalibration is one synthetic calibration recording of 4
// trials of each exoskeleton target (phase-locked, so TDCA has templates)
// and 4 of rest, win s long at 256 Hz, and the generator of its trials.
func stackBenchCalibration(b *testing.B, channels int, win float64) (*ssvep.Calibration, *synth) {
	b.Helper()
	cal, _, err := ssvep.NewCalibration(map[string]float64{"2": 13, "3": 21, "4": 17}, []string{"1"}, win)
	if err != nil {
		b.Fatal(err)
	}
	cal.SampleRate, cal.Offsets, cal.Recordings = 256, []float64{0}, 1
	for c := range channels {
		cal.Channels = append(cal.Channels, fmt.Sprintf("E%d", c+1))
	}
	s := newSynth(cal.Freqs, 0.5*math.Pi, 256, channels, 0.5, 21)
	cal.Trials, cal.Labels = s.trials(4, int(math.Round(win*256)))
	for range 4 {
		cal.Trials, cal.Labels = append(cal.Trials, s.rest(len(cal.Trials[0][0]))), append(cal.Labels, ssvep.Rest)
	}
	cal.Sessions = make([]int, len(cal.Trials))
	return cal, s
}
