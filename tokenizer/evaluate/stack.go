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
// weightGrid) of the experts' weighted product
// softmax_c(Σ_e w_e·logp[e][i·classes+c]), fitted to the experts'
// log-probabilities of held-out examples (inner cross-validation) as in
// stacking (Wolpert 1992), with the one-standard-error rule (Breiman et
// al. 1984; Hastie et al., The Elements of Statistical Learning, 7.10)
// choosing which experts take part:
//
//   - for every non-empty subset of the experts, the weights (zero
//     outside it, on the grid) with the largest class-balanced mean
//     log-likelihood at the labels y; ties go to the first point in grid
//     order, the smaller weights;
//   - the best subset's mean log-likelihood and its standard error over
//     the examples;
//   - the subset with the fewest features (Σ dims[e] of its experts;
//     ties to the higher log-likelihood) whose log-likelihood is within
//     one standard error of the best.
//
// Choosing the weights by the best log-likelihood alone keeps an expert
// whose gain is within the noise of a few inner folds: the shape bag,
// with about 28 times as many features as the level bag, is kept by such
// chance gains on EEGMMIDB and then loses in the outer fold
// (docs/tokenizer.md). Examples whose rows are all zero (never held out)
// are left out.
func stackWeights(logp [][]float64, dims []int, y []int, classes int) []float64 {
	sw := linear.SampleWeights(y, classes, true)
	n := len(y)
	var held []int
	for i := range n {
		for _, lp := range logp {
			if hasNonZero(lp[i*classes : (i+1)*classes]) {
				held = append(held, i)
				break
			}
		}
	}
	E := len(logp)
	type subset struct {
		w    []float64
		ll   float64
		rows []float64 // per-example log-likelihood, in held's order
	}
	best := make([]subset, 1<<E) // by bit mask of the experts with w_e > 0
	idx := make([]int, E)        // odometer over the grid
	w := make([]float64, E)
	s := make([]float64, classes)
	rows := make([]float64, len(held))
	for {
		mask := 0
		for e, k := range idx {
			w[e] = weightGrid[k]
			if k > 0 {
				mask |= 1 << e
			}
		}
		if mask != 0 {
			ll := 0.0
			for j, i := range held {
				clear(s)
				for e, lp := range logp {
					for c := range classes {
						s[c] += w[e] * lp[i*classes+c]
					}
				}
				rows[j] = s[y[i]] - logSumExp(s)
				ll += sw[i] * rows[j]
			}
			if b := &best[mask]; b.w == nil || ll > b.ll {
				b.w, b.ll, b.rows = append(b.w[:0], w...), ll, append(b.rows[:0], rows...)
			}
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
			break
		}
	}
	top := 0
	for m := 1; m < len(best); m++ {
		if top == 0 || best[m].ll > best[top].ll {
			top = m
		}
	}
	bound := best[top].ll - weightedSE(best[top].rows, held, sw)
	choice, size := top, subsetSize(top, dims)
	for m := 1; m < len(best); m++ {
		if best[m].ll < bound {
			continue
		}
		if z := subsetSize(m, dims); z < size || z == size && best[m].ll > best[choice].ll {
			choice, size = m, z
		}
	}
	return best[choice].w
}

// weightedSE returns the standard error of the weighted sum
// Σ sw[held[j]]·x[j] when the x[j] are independent draws with a common
// variance: √(Σ sw²·(x − mean)² · m/(m − 1)) over the m held-out
// examples, mean the weighted mean.
func weightedSE(x []float64, held []int, sw []float64) float64 {
	m := len(held)
	if m < 2 {
		return 0
	}
	total, mean := 0.0, 0.0
	for j, i := range held {
		total += sw[i]
		mean += sw[i] * x[j]
	}
	mean /= total
	ss := 0.0
	for j, i := range held {
		ss += sw[i] * sw[i] * (x[j] - mean) * (x[j] - mean)
	}
	return math.Sqrt(ss * float64(m) / float64(m-1))
}

// subsetSize returns the number of features of the experts in mask.
func subsetSize(mask int, dims []int) int {
	z := 0
	for e, d := range dims {
		if mask&(1<<e) != 0 {
			z += d
		}
	}
	return z
}

func hasNonZero(x []float64) bool {
	for _, v := range x {
		if v != 0 {
			return true
		}
	}
	return false
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
