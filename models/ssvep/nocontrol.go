package ssvep

import (
	"fmt"
	"math"
	"slices"
)

// Rest labels a no-control trial (the user attends no target) in training
// and calibration data, and is the decision NoControl.Decide returns when it
// picks no target.
const Rest = -1

// Argmax returns the index of the largest score, the first on ties. NaN
// scores never win. An empty slice panics.
func Argmax(scores []float64) int {
	if len(scores) == 0 {
		panic("ssvep: argmax of no scores")
	}
	best := 0
	for i, s := range scores {
		if s > scores[best] || math.IsNaN(scores[best]) {
			best = i
		}
	}
	return best
}

// NoControlRule is the statistic a no-control detector thresholds.
type NoControlRule string

// No-control rules.
const (
	// NoControlNone never refuses a target.
	NoControlNone NoControlRule = ""
	// NoControlTop thresholds the top score.
	NoControlTop NoControlRule = "top"
	// NoControlMargin thresholds the margin between the top score and the
	// runner-up, which does not depend on the scores' overall level (a
	// noisy window raises every CCA correlation alike).
	NoControlMargin NoControlRule = "margin"
)

// Valid reports whether r is a known rule.
func (r NoControlRule) Valid() bool {
	return r == NoControlNone || r == NoControlTop || r == NoControlMargin
}

// NoControl detects the no-control state for asynchronous use: a window
// whose statistic (top score, or top minus runner-up) is below Threshold is
// no-control; otherwise its decision is the top-scoring target.
type NoControl struct {
	Rule      NoControlRule `json:"rule"`
	Threshold float64       `json:"threshold"`
}

// Statistic returns the rule's statistic of scores: the top score for
// NoControlTop, the top minus the runner-up for NoControlMargin, +Inf for
// NoControlNone. Margin with fewer than two scores panics.
func (nc NoControl) Statistic(scores []float64) float64 {
	switch nc.Rule {
	case NoControlNone:
		return math.Inf(1)
	case NoControlTop:
		return scores[Argmax(scores)]
	case NoControlMargin:
		if len(scores) < 2 {
			panic("ssvep: no-control margin of fewer than two scores")
		}
		top, second := math.Inf(-1), math.Inf(-1)
		for _, s := range scores {
			if s > top {
				top, second = s, top
			} else if s > second {
				second = s
			}
		}
		return top - second
	}
	panic(fmt.Sprintf("ssvep: unknown no-control rule %q", nc.Rule))
}

// Decide returns the top-scoring target's index, or Rest when the
// statistic is below the threshold.
func (nc NoControl) Decide(scores []float64) int {
	if nc.Rule != NoControlNone && nc.Statistic(scores) < nc.Threshold {
		return Rest
	}
	return Argmax(scores)
}

// CalibrateNoControl chooses the threshold of rule from labelled
// calibration windows: scores[i] are window i's target scores and
// labels[i] its target index, or Rest. The threshold maximises the balanced
// accuracy of Decide, the mean over the classes present (Rest and every
// target) of the fraction of that class's windows decided correctly; a
// target window counts as correct only if it is accepted and its top score
// is its target. Candidate thresholds are the smallest statistic (accept
// everything), the midpoints between consecutive distinct statistics, and
// just above the largest (refuse everything); among equally good
// candidates the middle one of the longest run of consecutive optimal
// candidates is taken (the first such run on ties), which keeps the
// threshold away from the calibration windows.
//
// An error reports an invalid rule, mismatched lengths, a label outside
// [Rest, targets), or calibration data without both rest and target
// windows.
func CalibrateNoControl(rule NoControlRule, scores [][]float64, labels []int) (NoControl, error) {
	nc := NoControl{Rule: rule}
	stat, hit, count, err := nc.calibrationStats(scores, labels)
	if err != nil {
		return NoControl{}, err
	}
	cands := thresholdCandidates(stat)
	value := calibrationAccuracies(cands, stat, hit, labels, count)
	nc.Threshold = cands[middleOfLongestBest(value)]
	return nc, nil
}

// calibrationStats validates CalibrateNoControl's arguments and returns
// each window's statistic, whether it is a target window whose top score is
// its target (a hit), and the windows per class: count[0] rest, count[k+1]
// target k.
func (nc NoControl) calibrationStats(scores [][]float64, labels []int) (stat []float64, hit []bool, count []int, err error) {
	rule := nc.Rule
	if rule == NoControlNone || !rule.Valid() {
		return nil, nil, nil, fmt.Errorf("ssvep: no-control calibration needs rule %q or %q, got %q", NoControlTop, NoControlMargin, rule)
	}
	if len(scores) != len(labels) {
		return nil, nil, nil, fmt.Errorf("ssvep: no-control calibration: %d score rows for %d labels", len(scores), len(labels))
	}
	if len(scores) == 0 {
		return nil, nil, nil, fmt.Errorf("ssvep: no-control calibration without windows")
	}
	nt := len(scores[0])
	if nt == 0 || (rule == NoControlMargin && nt < 2) {
		return nil, nil, nil, fmt.Errorf("ssvep: no-control calibration: %d targets is too few for rule %q", nt, rule)
	}
	count = make([]int, nt+1)
	stat = make([]float64, len(scores))
	hit = make([]bool, len(scores))
	for i, s := range scores {
		if err := checkCalibrationWindow(s, i, labels[i], nt); err != nil {
			return nil, nil, nil, err
		}
		l := labels[i]
		count[l+1]++
		stat[i] = nc.Statistic(s)
		hit[i] = l != Rest && Argmax(s) == l
	}
	if count[0] == 0 || len(scores) == count[0] {
		return nil, nil, nil, fmt.Errorf("ssvep: no-control calibration needs both rest and target windows (%d rest of %d)", count[0], len(scores))
	}
	return stat, hit, count, nil
}

// checkCalibrationWindow checks calibration window i: nt finite scores s
// and a label l in [Rest, nt).
func checkCalibrationWindow(s []float64, i, l, nt int) error {
	if len(s) != nt {
		return fmt.Errorf("ssvep: no-control calibration: window %d has %d scores, want %d", i, len(s), nt)
	}
	if l < Rest || l >= nt {
		return fmt.Errorf("ssvep: no-control calibration: window %d label %d outside [%d, %d)", i, l, Rest, nt)
	}
	for _, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("ssvep: no-control calibration: window %d has score %v", i, v)
		}
	}
	return nil
}

// thresholdCandidates returns the smallest statistic, the midpoints
// between consecutive distinct statistics, and the next float above the
// largest, in increasing order.
func thresholdCandidates(stat []float64) []float64 {
	sorted := slices.Clone(stat)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	cands := make([]float64, 0, len(sorted)+1)
	cands = append(cands, sorted[0])
	for j := 1; j < len(sorted); j++ {
		cands = append(cands, sorted[j-1]+(sorted[j]-sorted[j-1])/2)
	}
	return append(cands, math.Nextafter(sorted[len(sorted)-1], math.Inf(1)))
}

// calibrationAccuracies returns the balanced accuracy of each candidate
// threshold over the classes present in count (see calibrationStats).
func calibrationAccuracies(cands, stat []float64, hit []bool, labels, count []int) []float64 {
	classes := 0
	for _, c := range count {
		if c > 0 {
			classes++
		}
	}
	correct := make([]int, len(count))
	value := make([]float64, len(cands))
	for j, t := range cands {
		clear(correct)
		for i, s := range stat {
			l := labels[i]
			if s < t {
				if l == Rest {
					correct[0]++
				}
			} else if hit[i] {
				correct[l+1]++
			}
		}
		v := 0.0
		for c, n := range count {
			if n > 0 {
				v += float64(correct[c]) / float64(n)
			}
		}
		value[j] = v / float64(classes)
	}
	return value
}

// middleOfLongestBest returns the index of the middle element of the
// longest run of consecutive maxima of value (the first such run on ties;
// the lower middle of an even run).
func middleOfLongestBest(value []float64) int {
	best := slices.Max(value)
	bestStart, bestLen := -1, 0
	for j := 0; j < len(value); {
		if value[j] != best {
			j++
			continue
		}
		k := j
		for k < len(value) && value[k] == best {
			k++
		}
		if k-j > bestLen {
			bestStart, bestLen = j, k-j
		}
		j = k
	}
	return bestStart + (bestLen-1)/2
}
