package tokenizer

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
)

// Power levels put back what the per-frame normalisation of the motifs
// removes: a frame's power level (Token.Power) is the mean of its log
// patch powers, and a vocabulary trained with levels quantises it into
// Levels() codes per channel type, at quantiles of the training frames'
// levels. Level 0 holds the quietest 1/Levels() of the training frames of
// that type, level Levels()−1 the loudest. Unlike the tokens, levels
// depend on the device, unit and gain: that is their point (rest versus
// motor imagery is largely a change of mu and beta power), and why they
// are learnt per channel type, whose units differ (V, T, T/m).

// MaxLevels is the largest number of power levels Train makes.
const MaxLevels = 1024

// NoLevels is the TrainConfig.Levels of a vocabulary without power levels.
const NoLevels = -1

// Levels returns the number of power levels per channel type, 0 for a
// vocabulary without them (trained with NoLevels or read from a version 1
// file).
func (v *Vocabulary) Levels() int { return v.levels }

// LevelTypes returns the channel types that have power levels, sorted.
func (v *Vocabulary) LevelTypes() []string { return slices.Sorted(maps.Keys(v.edges)) }

// LevelEdges returns the Levels()−1 ascending edges of the power levels of
// channel type kind (read-only), nil when it has none.
func (v *Vocabulary) LevelEdges(kind string) []float64 { return v.edges[kind] }

// Level returns the power level, in [0, Levels()), of a frame of a channel
// of type kind ("eeg", "meg_mag", "meg_grad": formats.ChannelType) whose
// Token.Power is power: the number of kind's edges at or below it. A
// silent frame (−Inf) or one with non-finite samples (NaN) is level 0. It
// returns −1 when the vocabulary has no levels for kind.
func (v *Vocabulary) Level(kind string, power float64) int {
	e, ok := v.edges[kind]
	if !ok {
		return -1
	}
	if math.IsNaN(power) {
		return 0
	}
	return sort.Search(len(e), func(i int) bool { return e[i] > power })
}

// learnLevels sets v's power levels: n per channel type of powers, at the
// quantiles of its values, for every type with at least n finite values.
func (v *Vocabulary) learnLevels(powers map[string][]float64, n int) {
	for kind, p := range powers {
		if e := levelEdges(p, n); e != nil {
			if v.edges == nil {
				v.levels, v.edges = n, map[string][]float64{}
			}
			v.edges[kind] = e
		}
	}
}

// levelEdges returns the n−1 edges splitting the finite values of powers
// into n equally full levels: edge k is the value of rank ⌊k·m/n⌋ among
// the m finite values in ascending order. It returns nil when there are
// fewer than n finite values.
func levelEdges(powers []float64, n int) []float64 {
	var x []float64
	for _, p := range powers {
		if !math.IsInf(p, 0) && !math.IsNaN(p) {
			x = append(x, p)
		}
	}
	if len(x) < n {
		return nil
	}
	slices.Sort(x)
	e := make([]float64, n-1)
	for k := range e {
		e[k] = x[(k+1)*len(x)/n]
	}
	return e
}

// checkLevels checks the level edges of a vocabulary read from a file.
func checkLevels(levels int, edges map[string][]float64) error {
	if levels < 2 || levels > MaxLevels {
		return fmt.Errorf("%d power levels: want 2 to %d", levels, MaxLevels)
	}
	if len(edges) == 0 {
		return fmt.Errorf("power levels without edges for any channel type")
	}
	for kind, e := range edges {
		if kind == "" {
			return fmt.Errorf("power level edges of an unnamed channel type")
		}
		if len(e) != levels-1 {
			return fmt.Errorf("channel type %s: %d power level edges, want %d", kind, len(e), levels-1)
		}
		for i, x := range e {
			if math.IsNaN(x) || math.IsInf(x, 0) || (i > 0 && x < e[i-1]) {
				return fmt.Errorf("channel type %s: power level edge %d is %v: want finite ascending edges", kind, i, x)
			}
		}
	}
	return nil
}
