package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Confusion returns the classes×classes confusion matrix of predictions
// against truth: c[t][p] counts items of true class t predicted as p.
// Labels must lie in [0, classes); Confusion panics otherwise.
func Confusion(pred, truth []int, classes int) [][]int {
	if len(pred) != len(truth) {
		panic(fmt.Sprintf("metrics: confusion: %d predictions, %d labels", len(pred), len(truth)))
	}
	c := make([][]int, classes)
	for i := range c {
		c[i] = make([]int, classes)
	}
	for i, t := range truth {
		p := pred[i]
		if t < 0 || t >= classes || p < 0 || p >= classes {
			panic(fmt.Sprintf("metrics: confusion: item %d: label %d, prediction %d outside [0, %d)", i, t, p, classes))
		}
		c[t][p]++
	}
	return c
}

// CohenKappa returns Cohen's kappa of predictions against truth,
// (p_o − p_e)/(1 − p_e) with p_o the observed agreement and p_e the
// agreement expected from the two marginals (sklearn's
// cohen_kappa_score, unweighted). It is 1 for perfect agreement, 0 for
// chance level and NaN when p_e = 1 (both label one class only) or there
// are no items.
func CohenKappa(pred, truth []int, classes int) float64 {
	c := Confusion(pred, truth, classes)
	n := float64(len(truth))
	if n == 0 {
		return math.NaN()
	}
	var po, pe float64
	for k := range classes {
		po += float64(c[k][k])
		var row, col int
		for j := range classes {
			row += c[k][j]
			col += c[j][k]
		}
		pe += float64(row) * float64(col)
	}
	po /= n
	pe /= n * n
	if pe == 1 {
		return math.NaN()
	}
	return (po - pe) / (1 - pe)
}

// BalancedAccuracyMulti returns the mean over the classes present in truth
// of the fraction of their items predicted correctly (per-class recall),
// sklearn's balanced_accuracy_score; NaN with no items. Chance level is
// 1/(classes present).
func BalancedAccuracyMulti(pred, truth []int, classes int) float64 {
	c := Confusion(pred, truth, classes)
	var sum float64
	present := 0
	for k := range classes {
		n := 0
		for _, v := range c[k] {
			n += v
		}
		if n > 0 {
			sum += float64(c[k][k]) / float64(n)
			present++
		}
	}
	if present == 0 {
		return math.NaN()
	}
	return sum / float64(present)
}

// StratifiedGroupFolds assigns each group (a recording, a segment, a run)
// a fold in [0, k): the groups of each class, in index order, are shuffled
// with a PCG generator seeded by seed and dealt round-robin, continuing
// the deal from class to class, so every fold holds the same number of
// groups of each class (±1) and about the same number of groups. All items
// of a group share its fold. groupLabel[g] is group g's class. k must be
// at least 2.
func StratifiedGroupFolds(groupLabel []int, k int, seed uint64) []int {
	return stratifiedGroupFolds(groupLabel, k, seed, false)
}

// StratifiedGroupFoldsPerClass is StratifiedGroupFolds with the deal
// started again at fold 0 for every class: every fold still holds the same
// number of groups of each class (±1), but the first folds may hold one
// group more of several classes. It is the deal of the seizure
// cross-validations (models/seizure, `train seizure`, docs/seizure.md),
// kept so that their folds and numbers stay as published.
func StratifiedGroupFoldsPerClass(groupLabel []int, k int, seed uint64) []int {
	return stratifiedGroupFolds(groupLabel, k, seed, true)
}

func stratifiedGroupFolds(groupLabel []int, k int, seed uint64, perClass bool) []int {
	if k < 2 {
		panic("metrics: folds: k must be at least 2")
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	classes := 0
	for _, l := range groupLabel {
		classes = max(classes, l+1)
	}
	fold := make([]int, len(groupLabel))
	next := 0
	for class := range classes {
		var gs []int
		for g, l := range groupLabel {
			if l == class {
				gs = append(gs, g)
			}
		}
		rng.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
		if perClass {
			next = 0
		}
		for _, g := range gs {
			fold[g] = next
			next = (next + 1) % k
		}
	}
	return fold
}
