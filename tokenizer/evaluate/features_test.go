package evaluate

import (
	"math"
	"slices"
	"testing"

	"github.com/neurostream/neurostream/tokenizer"
)

// TestTokenFeatures checks the bag of tokens of a two-channel example
// against its definition, per channel and pooled.
func TestTokenFeatures(t *testing.T) {
	const tol = 1e-12
	v, err := tokenizer.ReadFile("../testdata/vocab-sim.arrow")
	if err != nil {
		t.Fatal(err)
	}
	V, C := v.Size(), v.Cells()
	per := V + C + C*C
	// Channel 0: tokens 3, 3, 200; channel 1: one token of a third cell
	// (id o).
	c3, c200 := v.Cell(3), v.Cell(200)
	o := int32(V - 1)
	for v.Cell(int(o)) == c3 || v.Cell(int(o)) == c200 {
		o--
	}
	toks := [][]int32{{3, 3, 200}, {o}}
	c7 := v.Cell(int(o))
	if c3 == c200 {
		t.Fatalf("tokens 3 and 200 share cell %d; the test wants two cells", c3)
	}
	all := bagParts{true, true, true}
	for _, tc := range []struct {
		pool  bool
		parts bagParts
		dim   int
		want  map[int32]float64
	}{
		{false, all, 2 * per, map[int32]float64{
			3: 2.0 / 3, 200: 1.0 / 3, int32(V + c3): 2.0 / 3, int32(V + c200): 1.0 / 3,
			int32(V + C + c3*C + c3): 1.0 / 3, int32(V + C + c3*C + c200): 1.0 / 3,
			int32(per) + o: 1, int32(per + V + c7): 1,
		}},
		{true, all, per, map[int32]float64{
			3: 1.0 / 3, 200: 1.0 / 6, int32(V + c3): 1.0 / 3, int32(V + c200): 1.0 / 6,
			int32(V + C + c3*C + c3): 1.0 / 6, int32(V + C + c3*C + c200): 1.0 / 6,
			o: 0.5, int32(V + c7): 0.5,
		}},
		{false, bagParts{tokens: true}, 2 * per, map[int32]float64{3: 2.0 / 3, 200: 1.0 / 3, int32(per) + o: 1}},
	} {
		s, dim := tokenFeatures(v, toks, tc.pool, tc.parts)
		if dim != tc.dim || !slices.IsSorted(s.Index) || len(s.Index) != len(tc.want) {
			t.Errorf("pool %v, %v: dim %d, indices %v, want dim %d and %d entries", tc.pool, tc.parts, dim, s.Index, tc.dim, len(tc.want))
			continue
		}
		for i, j := range s.Index {
			if math.Abs(s.Value[i]-tc.want[j]) > tol {
				t.Errorf("pool %v, %v: feature %d = %v, want %v", tc.pool, tc.parts, j, s.Value[i], tc.want[j])
			}
		}
	}
}

// TestPoolBP averages each band over channels.
func TestPoolBP(t *testing.T) {
	got := poolBP([]float64{1, 2, 3, 4, 5, 3, 4, 5, 6, 7})
	if !slices.Equal(got, []float64{2, 3, 4, 5, 6}) {
		t.Errorf("poolBP = %v", got)
	}
}

// TestParseLabels numbers classes in the order they first appear.
func TestParseLabels(t *testing.T) {
	l, err := parseLabels(" T0 = rest , T1=imagery,T2=imagery")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.classes, []string{"rest", "imagery"}) || l.byDesc["T0"] != 0 || l.byDesc["T1"] != 1 || l.byDesc["T2"] != 1 || l.folder {
		t.Errorf("labels %+v", l)
	}
	if l, err := parseLabels("folder"); err != nil || !l.folder {
		t.Errorf("folder: %+v, %v", l, err)
	}
	if p, err := parseBagParts([]string{" bigrams", "tokens"}); err != nil || p.String() != "tokens+bigrams" {
		t.Errorf("parts %v, %v", p, err)
	}
}
