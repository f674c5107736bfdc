package seizure

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// AUROC returns the area under the ROC curve of scores for labels (true =
// positive) as the Mann–Whitney statistic: U/(n₊·n₋) with U = R₊ −
// n₊(n₊+1)/2, R₊ the sum of the positives' ranks among all scores, ties
// given their average rank (so a tie counts one half). It is NaN when a
// class is empty.
func AUROC(scores []float64, labels []bool) float64 {
	if len(scores) != len(labels) {
		panic(fmt.Sprintf("seizure: auroc: %d scores, %d labels", len(scores), len(labels)))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rpos float64
	var npos int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		rank := float64(i+1+j) / 2 // average of ranks i+1 … j
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rpos += rank
				npos++
			}
		}
		i = j
	}
	nneg := len(scores) - npos
	if npos == 0 || nneg == 0 {
		return math.NaN()
	}
	u := rpos - float64(npos)*float64(npos+1)/2
	return u / (float64(npos) * float64(nneg))
}

// BalancedAccuracy returns (sensitivity + specificity)/2 of the decisions
// scores ≥ threshold against labels, with sensitivity and specificity as
// fractions; NaN when a class is empty.
func BalancedAccuracy(scores []float64, labels []bool, threshold float64) float64 {
	if len(scores) != len(labels) {
		panic(fmt.Sprintf("seizure: balanced accuracy: %d scores, %d labels", len(scores), len(labels)))
	}
	var tp, tn, np, nn int
	for i, s := range scores {
		if labels[i] {
			np++
			if s >= threshold {
				tp++
			}
		} else {
			nn++
			if s < threshold {
				tn++
			}
		}
	}
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	return (float64(tp)/float64(np) + float64(tn)/float64(nn)) / 2
}

// groupClasses returns the class of each group for
// metrics.StratifiedGroupFoldsPerClass: 0 for a seizure group, 1 for
// background, so seizure groups are dealt first.
func groupClasses(groupLabel []bool) []int {
	c := make([]int, len(groupLabel))
	for g, l := range groupLabel {
		if !l {
			c[g] = 1
		}
	}
	return c
}

// BestThreshold returns the decision threshold that maximises
// BalancedAccuracy(scores, labels, threshold): a midpoint between two
// consecutive distinct scores (or just beyond the extremes); of several
// equally good ones, the one nearest 0.5. Choose it on training data only
// (e.g. inner cross-validation), never on the scores it will be judged on.
func BestThreshold(scores []float64, labels []bool) float64 {
	s := slices.Clone(scores)
	slices.Sort(s)
	s = slices.Compact(s)
	cands := []float64{s[0] - 1e-9}
	for i := 1; i < len(s); i++ {
		cands = append(cands, (s[i-1]+s[i])/2)
	}
	cands = append(cands, s[len(s)-1]+1e-9)
	best, bestBA := 0.5, math.Inf(-1)
	for _, c := range cands {
		ba := BalancedAccuracy(scores, labels, c)
		if ba > bestBA || (ba == bestBA && math.Abs(c-0.5) < math.Abs(best-0.5)) {
			best, bestBA = c, ba
		}
	}
	return best
}
