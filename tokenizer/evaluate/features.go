package evaluate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/models/linear"
	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus"
)

// bagParts selects the parts of a bag of tokens: the token, cell and
// cell-bigram frequencies describe the spectral shape, the band power
// levels and level×cell pairs the power the shape's normalisation
// removed.
type bagParts struct{ tokens, cells, bigrams, levels, levelCells bool }

// partNames are the parts' names, in the order String writes them.
var partNames = []string{"tokens", "cells", "bigrams", "levels", "level-cells"}

func (b bagParts) flags() []bool { return []bool{b.tokens, b.cells, b.bigrams, b.levels, b.levelCells} }

// String names the parts in the report, e.g. "tokens+cells+bigrams".
func (b bagParts) String() string {
	var p []string
	for i, on := range b.flags() {
		if on {
			p = append(p, partNames[i])
		}
	}
	return strings.Join(p, "+")
}

// shape returns the shape parts of b, power its power-level parts.
func (b bagParts) shape() bagParts {
	return bagParts{tokens: b.tokens, cells: b.cells, bigrams: b.bigrams}
}
func (b bagParts) power() bagParts { return bagParts{levels: b.levels, levelCells: b.levelCells} }

const partsField = "evaluate.Config.TokenFeatures"

func parseBagParts(parts []string) (bagParts, error) {
	var b bagParts
	for _, p := range parts {
		switch strings.TrimSpace(p) {
		case "tokens":
			b.tokens = true
		case "cells":
			b.cells = true
		case "bigrams":
			b.bigrams = true
		case "levels":
			b.levels = true
		case "level-cells":
			b.levelCells = true
		default:
			return b, &corpus.FieldError{Field: partsField, Msg: fmt.Sprintf("%q: want tokens, cells, bigrams, levels or level-cells", p)}
		}
	}
	if b == (bagParts{}) {
		return b, &corpus.FieldError{Field: partsField, Err: errors.New("give at least one of tokens, cells, bigrams, levels, level-cells")}
	}
	return b, nil
}

// bagLayout is where each part of one channel's bag starts.
type bagLayout struct {
	V, C, L                                 int // tokens, cells, power levels
	cells, bigrams, levels, levelCells, per int // offsets and the size
}

func newBagLayout(v *tokenizer.Vocabulary) bagLayout {
	l := bagLayout{V: v.Size(), C: v.Cells(), L: max(1, v.Levels())}
	l.cells = l.V
	l.bigrams = l.cells + l.C
	l.levels = l.bigrams + l.C*l.C
	l.levelCells = l.levels + tokenizer.NumBands*(l.L-1)
	l.per = l.levelCells + l.C*tokenizer.NumBands*(l.L-1)
	return l
}

// tokenFeatures is the bag of tokens of one example: per channel c (or
// pooled over channels), the frequencies of the example's tokens, of
// their cells and of consecutive-frame cell bigrams, and the power levels:
// per band b, the share of frames at level ≥ k in b (k = 1 … L−1), and of
// tokens of cell i whose centre frame is at level ≥ k in b. Levels are
// ordered, so they are coded cumulatively: a linear weight on "level ≥ k"
// is the step from level k−1 to k, and the L2 penalty then favours scores
// that change smoothly with the level rather than one free weight per
// level. A frame's level depends on that frame alone, so the level shares
// count every frame of the example, powers[c] (NumBands band powers per
// frame), context frames included, as band power does; the level × cell
// pairs count the tokens' centre frames. toks[c] are channel c's tokens,
// kinds[c] its type (for Vocabulary.Level); a channel without levels for
// its type has no level features. Each part is normalised by the
// channel's count of tokens or frames. It returns the vector and the
// feature dimension.
func tokenFeatures(v *tokenizer.Vocabulary, toks [][]tokenizer.Token, powers [][]float64, kinds []string, pool bool, parts bagParts) (linear.Sparse, int) {
	l := newBagLayout(v)
	nch := len(toks)
	if pool {
		nch = 1
	}
	m := map[int32]float64{}
	for c, ch := range toks {
		base := int32(c * l.per)
		if pool {
			base = 0
		}
		pw := 1.0
		if pool {
			pw = 1 / float64(len(toks))
		}
		if parts.levels && v.HasLevels(kinds[c]) && len(powers[c]) > 0 {
			addLevels(m, v, kinds[c], powers[c], base+int32(l.levels), l.L, pw*tokenizer.NumBands/float64(len(powers[c])))
		}
		if len(ch) == 0 {
			continue
		}
		w := pw / float64(len(ch))
		prev := -1
		for _, t := range ch {
			cell := v.Cell(int(t.ID))
			if parts.tokens {
				m[base+t.ID] += w
			}
			if parts.cells {
				m[base+int32(l.cells+cell)] += w
			}
			if prev >= 0 && parts.bigrams {
				m[base+int32(l.bigrams+prev*l.C+cell)] += w
			}
			prev = cell
			if parts.levelCells && v.HasLevels(kinds[c]) {
				off := base + int32(l.levelCells+cell*tokenizer.NumBands*(l.L-1))
				addLevels(m, v, kinds[c], t.Powers[:], off, l.L, w)
			}
		}
	}
	s := linear.Sparse{}
	for j := range m {
		s.Index = append(s.Index, j)
	}
	slices.Sort(s.Index)
	for _, j := range s.Index {
		s.Value = append(s.Value, m[j])
	}
	return s, nch * l.per
}

// addLevels adds weight w to m[off + b·(L−1) + k−1] for every band b and
// level k = 1 … the level of each frame's band power in powers
// (NumBands per frame) on a channel of type kind.
func addLevels(m map[int32]float64, v *tokenizer.Vocabulary, kind string, powers []float64, off int32, L int, w float64) {
	for i, p := range powers {
		b := i % tokenizer.NumBands
		base := off + int32(b*(L-1))
		for k := range v.Level(kind, b, p) {
			m[base+int32(k)] += w
		}
	}
}

// poolBP averages band-power features over channels (5 bands each).
func poolBP(x []float64) []float64 {
	nb := len(dsp.StandardBands)
	out := make([]float64, nb)
	for i, v := range x {
		out[i%nb] += v / float64(len(x)/nb)
	}
	return out
}
