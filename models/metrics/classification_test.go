package metrics

import (
	"math"
	"testing"
)

func TestCohenKappa(t *testing.T) {
	// sklearn.metrics.cohen_kappa_score([0,0,1,1,2,2,2,0], [0,1,1,1,2,0,2,0])
	// = 0.6190476190476191 (hand check: p_o = 6/8, p_e = (3·3+2·3+3·2)/64).
	truth := []int{0, 0, 1, 1, 2, 2, 2, 0}
	pred := []int{0, 1, 1, 1, 2, 0, 2, 0}
	po := 6.0 / 8
	pe := (3.0*3 + 2*3 + 3*2) / 64
	want := (po - pe) / (1 - pe)
	if got := CohenKappa(pred, truth, 3); math.Abs(got-want) > 1e-15 {
		t.Errorf("kappa %v, want %v", got, want)
	}
	if got := CohenKappa(truth, truth, 3); got != 1 {
		t.Errorf("perfect agreement: kappa %v", got)
	}
	// Predicting one class always: agreement equals chance.
	if got := CohenKappa([]int{1, 1, 1, 1}, []int{0, 1, 0, 1}, 2); got != 0 {
		t.Errorf("constant predictor: kappa %v, want 0", got)
	}
	if got := CohenKappa([]int{0, 0}, []int{0, 0}, 2); !math.IsNaN(got) {
		t.Errorf("one class only: kappa %v, want NaN", got)
	}
}

func TestBalancedAccuracyMulti(t *testing.T) {
	truth := []int{0, 0, 1, 1, 2, 2, 2, 0}
	pred := []int{0, 1, 1, 1, 2, 0, 2, 0}
	want := (2.0/3 + 1 + 2.0/3) / 3
	if got := BalancedAccuracyMulti(pred, truth, 3); math.Abs(got-want) > 1e-15 {
		t.Errorf("balanced accuracy %v, want %v", got, want)
	}
	// A class absent from truth does not count (sklearn warns and skips).
	if got := BalancedAccuracyMulti([]int{0, 2}, []int{0, 0}, 3); got != 0.5 {
		t.Errorf("absent class: %v, want 0.5", got)
	}
}

func TestStratifiedGroupFolds(t *testing.T) {
	labels := make([]int, 103)
	for i := range labels {
		labels[i] = i % 5
	}
	fold := StratifiedGroupFolds(labels, 4, 7)
	per := make([][5]int, 4)
	total := make([]int, 4)
	for g, f := range fold {
		per[f][labels[g]]++
		total[f]++
	}
	for c := range 5 {
		lo, hi := 1000, 0
		for f := range 4 {
			lo, hi = min(lo, per[f][c]), max(hi, per[f][c])
		}
		if hi-lo > 1 {
			t.Errorf("class %d spread %d…%d over folds", c, lo, hi)
		}
	}
	lo, hi := 1000, 0
	for _, n := range total {
		lo, hi = min(lo, n), max(hi, n)
	}
	if hi-lo > 1 {
		t.Errorf("fold sizes %v", total)
	}
	again := StratifiedGroupFolds(labels, 4, 7)
	other := StratifiedGroupFolds(labels, 4, 8)
	same := true
	for i := range fold {
		if fold[i] != again[i] {
			t.Fatal("same seed, different folds")
		}
		same = same && fold[i] == other[i]
	}
	if same {
		t.Error("seeds 7 and 8 give the same folds")
	}
}
