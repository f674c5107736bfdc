package tokenizer

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
)

// Power levels put back what the per-frame normalisation of the motifs
// removes. A frame's band powers (Token.Powers) are ln of its power in
// each of Bands; a vocabulary trained with levels quantises each into
// Levels() codes per band and channel type, at quantiles of the training
// frames' band powers: level 0 of a band holds the quietest 1/Levels() of
// the training frames of that type in that band, level Levels()−1 the
// loudest. Unlike the tokens, levels depend on the device, unit and gain:
// that is their point (rest versus motor imagery is largely a change of
// alpha and beta power), and why they are learnt per channel type, whose
// units differ (V, T, T/m).

// MaxLevels is the largest number of power levels Train makes.
const MaxLevels = 256

// NoLevels is the TrainConfig.Levels of a vocabulary without power levels.
const NoLevels = -1

// Levels returns the number of power levels per band and channel type, 0
// for a vocabulary without them (trained with NoLevels or read from a
// version 1 file).
func (v *Vocabulary) Levels() int { return v.levels }

// LevelTypes returns the channel types that have power levels, sorted.
func (v *Vocabulary) LevelTypes() []string { return slices.Sorted(maps.Keys(v.edges)) }

// LevelEdges returns the Levels()−1 ascending edges of the power levels of
// band b (an index into Bands) of channel type kind (read-only), nil when
// the type has none.
func (v *Vocabulary) LevelEdges(kind string, b int) []float64 {
	e, ok := v.edges[kind]
	if !ok {
		return nil
	}
	return e[b]
}

// HasLevels reports whether v has power levels for channel type kind
// ("eeg", "meg_mag", "meg_grad": formats.ChannelType).
func (v *Vocabulary) HasLevels(kind string) bool {
	_, ok := v.edges[kind]
	return ok
}

// Level returns the power level, in [0, Levels()), of band power p in
// band b (an index into Bands) of a frame of a channel of type kind: the
// number of the band's edges at or below p. A band without power (−Inf)
// or a frame with non-finite samples (NaN) is level 0. It returns −1 when
// v has no levels for kind.
func (v *Vocabulary) Level(kind string, b int, p float64) int {
	e, ok := v.edges[kind]
	if !ok {
		return -1
	}
	if math.IsNaN(p) {
		return 0
	}
	return sort.Search(len(e[b]), func(i int) bool { return e[b][i] > p })
}

// AppendLevels appends the power levels of t's band powers, one per band
// in the order of Bands, to dst; it returns dst unchanged when v has no
// levels for kind.
func (v *Vocabulary) AppendLevels(dst []int32, kind string, t *Token) []int32 {
	if !v.HasLevels(kind) {
		return dst
	}
	for b, p := range t.Powers {
		dst = append(dst, int32(v.Level(kind, b, p)))
	}
	return dst
}

// learnLevels sets v's power levels: n per band and channel type of
// powers (NumBands values per frame), at the quantiles of each band's
// values, for every type with at least n finite values in every band.
func (v *Vocabulary) learnLevels(powers map[string][]float64, n int) {
	for kind, p := range powers {
		edges := make([][]float64, NumBands)
		x := make([]float64, len(p)/NumBands)
		for b := range edges {
			for i := range x {
				x[i] = p[i*NumBands+b]
			}
			if edges[b] = levelEdges(x, n); edges[b] == nil {
				edges = nil
				break
			}
		}
		if edges == nil {
			continue
		}
		if v.edges == nil {
			v.levels, v.edges = n, map[string][][]float64{}
		}
		v.edges[kind] = edges
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
func checkLevels(levels int, edges map[string][][]float64) error {
	if levels < 2 || levels > MaxLevels {
		return fmt.Errorf("%d power levels: want 2 to %d", levels, MaxLevels)
	}
	if len(edges) == 0 {
		return fmt.Errorf("power levels without edges for any channel type")
	}
	for kind, bands := range edges {
		if kind == "" {
			return fmt.Errorf("power level edges of an unnamed channel type")
		}
		if len(bands) != NumBands {
			return fmt.Errorf("channel type %s: power level edges of %d bands, want %d", kind, len(bands), NumBands)
		}
		for b, e := range bands {
			if len(e) != levels-1 {
				return fmt.Errorf("channel type %s, band %s: %d power level edges, want %d", kind, Bands[b].Name, len(e), levels-1)
			}
			for i, x := range e {
				if math.IsNaN(x) || math.IsInf(x, 0) || (i > 0 && x < e[i-1]) {
					return fmt.Errorf("channel type %s, band %s: power level edge %d is %v: want finite ascending edges", kind, Bands[b].Name, i, x)
				}
			}
		}
	}
	return nil
}
