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

// bagParts selects the parts of a bag of tokens.
type bagParts struct{ tokens, cells, bigrams bool }

// String names the parts in the report, e.g. "tokens+cells+bigrams".
func (b bagParts) String() string {
	var p []string
	for _, x := range []struct {
		on   bool
		name string
	}{{b.tokens, "tokens"}, {b.cells, "cells"}, {b.bigrams, "bigrams"}} {
		if x.on {
			p = append(p, x.name)
		}
	}
	return strings.Join(p, "+")
}

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
		default:
			return b, &corpus.FieldError{Field: partsField, Msg: fmt.Sprintf("%q: want tokens, cells or bigrams", p)}
		}
	}
	if b == (bagParts{}) {
		return b, &corpus.FieldError{Field: partsField, Err: errors.New("give at least one of tokens, cells, bigrams")}
	}
	return b, nil
}

// tokenFeatures is the bag of tokens of one example: per channel (or
// pooled), token frequencies, cell frequencies and cell-bigram
// frequencies, each normalised by the channel's count. It returns the
// vector and the feature dimension.
func tokenFeatures(v *tokenizer.Vocabulary, toks [][]int32, pool bool, parts bagParts) (linear.Sparse, int) {
	V, C := v.Size(), v.Cells()
	per := V + C + C*C
	nch := len(toks)
	if pool {
		nch = 1
	}
	m := map[int32]float64{}
	for c, ids := range toks {
		base := int32(c * per)
		if pool {
			base = 0
		}
		if len(ids) == 0 {
			continue
		}
		w := 1 / float64(len(ids))
		if pool {
			w /= float64(len(toks))
		}
		prev := -1
		for _, id := range ids {
			cell := v.Cell(int(id))
			if parts.tokens {
				m[base+id] += w
			}
			if parts.cells {
				m[base+int32(V+cell)] += w
			}
			if prev >= 0 && parts.bigrams {
				m[base+int32(V+C+prev*C+cell)] += w
			}
			prev = cell
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
	return s, nch * per
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
