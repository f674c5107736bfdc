package evaluate

import (
	"math"

	"github.com/neurostream/neurostream/models/linear"
)

// weightGrid are the expert weights stackWeights tries: 0, 0.1, …, 2.
var weightGrid = func() []float64 {
	var g []float64
	for i := range 21 {
		g = append(g, float64(i)/10)
	}
	return g
}()

// stackWeights returns the weights w (one per expert, each from
// weightGrid) that maximise the class-balanced mean log-likelihood of
// softmax_c(Σ_e w_e·logp[e][i·classes+c]) at the labels y: the experts'
// log-probabilities of held-out examples (inner cross-validation) combined
// as a weighted product of experts, the weights fitted as in stacking
// (Wolpert 1992), where an expert that does not help predict held-out
// data gets a small or zero weight. The grid search is exhaustive over
// 21^experts points (two experts here); ties go to the first point in
// grid order, the smaller weights. Examples whose rows are all zero
// (never held out) are left out.
func stackWeights(logp [][]float64, y []int, classes int) []float64 {
	sw := linear.SampleWeights(y, classes, true)
	n := len(y)
	held := make([]bool, n)
	for i := range held {
		for _, lp := range logp {
			for _, v := range lp[i*classes : (i+1)*classes] {
				held[i] = held[i] || v != 0
			}
		}
	}
	E := len(logp)
	idx := make([]int, E) // odometer over the grid
	w := make([]float64, E)
	best := make([]float64, E)
	bestLL := math.Inf(-1)
	s := make([]float64, classes)
	for {
		for e, k := range idx {
			w[e] = weightGrid[k]
		}
		ll := 0.0
		for i := range n {
			if !held[i] {
				continue
			}
			clear(s)
			for e, lp := range logp {
				for c := range classes {
					s[c] += w[e] * lp[i*classes+c]
				}
			}
			ll += sw[i] * (s[y[i]] - logSumExp(s))
		}
		if ll > bestLL {
			bestLL = ll
			copy(best, w)
		}
		e := 0
		for e < E {
			idx[e]++
			if idx[e] < len(weightGrid) {
				break
			}
			idx[e] = 0
			e++
		}
		if e == E {
			return best
		}
	}
}

// logSumExp returns log Σ exp(s[c]) without overflow.
func logSumExp(s []float64) float64 {
	m := math.Inf(-1)
	for _, v := range s {
		m = max(m, v)
	}
	t := 0.0
	for _, v := range s {
		t += math.Exp(v - m)
	}
	return m + math.Log(t)
}
