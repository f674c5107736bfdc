package ssvep_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// bandSessions returns two sessions of 2 s windows at 256 Hz, 3 channels,
// targets 13, 15 and 17 Hz and rest, 8 trials of each per session, where
// only the upper sub-bands tell the classes apart: a target's response is
// its third harmonic alone (39, 45, 51 Hz: FBCCA's sub-bands 1–5 all pass
// it, ts-lr's bands around f and 2f do not), and every trial, rest too,
// carries a strong distractor at a random target's fundamental, which only
// sub-bands 1 and 2 (≥ 6 and ≥ 14 Hz) pass.
func bandSessions(t *testing.T) (freqs []float64, x [][][]float64, y, session []int) {
	t.Helper()
	const fs, channels, n = 256.0, 3, 512
	freqs = []float64{13, 15, 17}
	r := rand.New(rand.NewPCG(3, 5))
	for s := range 2 {
		for range 8 {
			for k := ssvep.Rest; k < len(freqs); k++ {
				d := freqs[r.IntN(len(freqs))]
				pd, ps := r.Float64()*2*math.Pi, r.Float64()*2*math.Pi
				w := make([][]float64, channels)
				for c := range w {
					w[c] = make([]float64, n)
					for i := range w[c] {
						tt := float64(i) / fs
						w[c][i] = r.NormFloat64() + 1.5*math.Sin(2*math.Pi*d*tt+pd+0.3*float64(c))
						if k != ssvep.Rest {
							w[c][i] += 0.3 * math.Sin(2*math.Pi*3*freqs[k]*tt+ps+0.5*float64(c))
						}
					}
				}
				x, y, session = append(x, w), append(y, k), append(session, s)
			}
		}
	}
	return freqs, x, y, session
}

// TestStackedBands: where only the upper sub-bands carry the classes
// (bandSessions), the stack whose regression reads FBCCA's sub-band
// correlations (fbcca-bands+ts-lr) decides a held-out session better than
// the one reading their fixed-weight sum (fbcca+ts-lr), its regression
// has one weight per sub-band and target besides ts-lr's, and its model
// file round-trips to the same decisions.
func TestStackedBands(t *testing.T) {
	freqs, x, y, session := bandSessions(t)
	tx, ty, folds, ex, ey := splitFirstSession(x, y, session)
	correct := map[string]int{}
	for _, m := range []string{ssvep.MethodStack, ssvep.MethodStackBands} {
		cfg := ssvep.TrainConfig{Method: m, SampleRate: 256, Freqs: freqs}
		d, buf := trainStackedSaved(t, cfg, tx, ty, folds)
		var f struct{ Weights [][]float64 }
		if err := json.Unmarshal(buf.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{ssvep.MethodStack: 6, ssvep.MethodStackBands: 5*3 + 3}[m]; len(f.Weights[0]) != want {
			t.Errorf("%s: %d weights per class, want %d", m, len(f.Weights[0]), want)
		}
		back, err := ssvep.LoadDecoder(buf)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if back.Method() != m {
			t.Errorf("reloaded method %s, want %s", back.Method(), m)
		}
		for i, w := range ex {
			s1, l1, err := ssvep.ScoreDecide(d, nil, w)
			if err != nil {
				t.Fatal(err)
			}
			s2, l2, _ := ssvep.ScoreDecide(back, nil, w)
			if !slices.Equal(s1, s2) || l1 != l2 {
				t.Fatalf("%s trial %d: reloaded %v, %d; trained %v, %d", m, i, s2, l2, s1, l1)
			}
			if l1 == ey[i] {
				correct[m]++
			}
		}
	}
	t.Logf("held-out session of %d: %s %d correct, %s %d", len(ex), ssvep.MethodStack, correct[ssvep.MethodStack],
		ssvep.MethodStackBands, correct[ssvep.MethodStackBands])
	if correct[ssvep.MethodStackBands] < correct[ssvep.MethodStack]+4 {
		t.Errorf("%s %d/%d correct, want ≥ 4 more than %s's %d", ssvep.MethodStackBands, correct[ssvep.MethodStackBands], len(ex),
			ssvep.MethodStack, correct[ssvep.MethodStack])
	}
}
