package evaluate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/neurostream/neurostream/models/linear"
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
	toks := [][]tokenizer.Token{{{ID: 3}, {ID: 3}, {ID: 200}}, {{ID: o}}}
	kinds := []string{"eeg", "eeg"}
	c7 := v.Cell(int(o))
	if c3 == c200 {
		t.Fatalf("tokens 3 and 200 share cell %d; the test wants two cells", c3)
	}
	all := bagParts{tokens: true, cells: true, bigrams: true}
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
		s, dim := tokenFeatures(v, toks, [][]float64{nil, nil}, kinds, tc.pool, tc.parts)
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

// TestLevelFeatures checks the power-level parts of the bag: per band,
// the share of the example's frames at level ≥ k, and of the tokens of
// cell i whose centre frame is at level ≥ k, per channel; a channel whose
// type has no levels has none.
func TestLevelFeatures(t *testing.T) {
	const tol = 1e-12
	// A vocabulary of 16 tokens in 4 cells with 4 levels per band for
	// eeg, cut at 25, 50 and 75 (band powers 0 … 99 in every band).
	r := rand.New(rand.NewPCG(1, 2))
	motifs := make([]float64, 100*60)
	for i := range motifs {
		motifs[i] = r.NormFloat64()
	}
	var powers []float64
	for i := range 100 {
		for range tokenizer.NumBands {
			powers = append(powers, float64(i))
		}
	}
	v, err := tokenizer.Train(motifs, tokenizer.TrainConfig{Size: 16, Cells: 4, Seed: 1, Powers: map[string][]float64{"eeg": powers}, Levels: 4})
	if err != nil {
		t.Fatal(err)
	}
	if e := v.LevelEdges("eeg", 3); !slices.Equal(e, []float64{25, 50, 75}) {
		t.Fatalf("edges %v", e)
	}
	const nb = tokenizer.NumBands
	l := newBagLayout(v)
	if l.per != 16+4+16+nb*3+4*nb*3 {
		t.Fatalf("layout %+v", l)
	}
	a, b := int32(0), int32(15) // cells 0 and 3
	ca, cb := v.Cell(int(a)), v.Cell(int(b))
	// Channel 0: three tokens whose centre frames have beta (band 3)
	// levels 0, 3, 2 (powers 10, 80, 60), every other band level 0, in
	// four frames whose beta levels are 1, 0, 3, 2 (30, 10, 80, 60) and
	// whose alpha levels are 0, 0, 0, 1; channel 1 (eog): no levels.
	tok := func(id int32, beta float64) tokenizer.Token {
		return tokenizer.Token{ID: id, Powers: [nb]float64{0, 0, 0, beta, 0}}
	}
	toks := [][]tokenizer.Token{{tok(a, 10), tok(b, 80), tok(b, 60)}, {tok(a, 90)}}
	frames := [][]float64{{0, 0, 0, 30, 0, 0, 0, 0, 10, 0, 0, 0, 0, 80, 0, 0, 0, 30, 60, 0}, {0, 0, 0, 90, 0}}
	kinds := []string{"eeg", "eog"}
	lv := func(b, k int) int32 { return int32(l.levels + b*3 + k - 1) }
	lc := func(cell, k int) int32 { return int32(l.levelCells + cell*nb*3 + 3*3 + k - 1) }
	s, dim := tokenFeatures(v, toks, frames, kinds, false, bagParts{levels: true, levelCells: true})
	want := map[int32]float64{
		lv(3, 1): 3.0 / 4, lv(3, 2): 2.0 / 4, lv(3, 3): 1.0 / 4, lv(2, 1): 1.0 / 4,
		lc(cb, 1): 2.0 / 3, lc(cb, 2): 2.0 / 3, lc(cb, 3): 1.0 / 3,
	}
	if ca == cb || dim != 2*l.per || len(s.Index) != len(want) {
		t.Fatalf("cells %d %d, dim %d, features %v %v, want %v", ca, cb, dim, s.Index, s.Value, want)
	}
	for i, j := range s.Index {
		if math.Abs(s.Value[i]-want[j]) > tol {
			t.Errorf("feature %d = %v, want %v", j, s.Value[i], want[j])
		}
	}
}

// TestProductOfExperts: with several feature sets, fitFold trains one
// classifier on each and predicts the class of the largest weighted sum
// of their log-probabilities; it differs from either expert alone here.
func TestProductOfExperts(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, classes = 60, 3
	d := &data{x: make([][][]float64, 4)}
	var y, exFold []int
	var a, b []linear.Sparse
	for i := range n {
		c := i % classes
		d.ex = append(d.ex, example{rec: i % 4, class: c})
		y, exFold = append(y, c), append(exFold, min(1, i%4))
		// Expert a sees classes 0 and 1 apart, b classes 1 and 2.
		a = append(a, linear.Dense([]float64{float64(min(c, 1)) + r.NormFloat64(), r.NormFloat64()}))
		b = append(b, linear.Dense([]float64{float64(max(c, 1)) + r.NormFloat64()}))
	}
	cfg := &Config{Lambdas: []float64{0.1}, InnerFolds: 2}
	pred := make([]int, n)
	lams, w, err := fitFold(cfg, []features{{a, 2}, {b, 1}}, y, exFold, 0, d, classes, pred)
	if err != nil || !slices.Equal(lams, []float64{0.1, 0.1}) || len(w) != 2 || w[0] == 0 || w[1] == 0 {
		t.Fatalf("penalties %v, weights %v, %v", lams, w, err)
	}
	var ta, tb []linear.Sparse
	var ty []int
	for i := range n {
		if exFold[i] != 0 {
			ta, tb, ty = append(ta, a[i]), append(tb, b[i]), append(ty, y[i])
		}
	}
	ma, _ := linear.Train(ta, ty, classes, 2, linear.Config{Lambda: 0.1, Balanced: true})
	mb, _ := linear.Train(tb, ty, classes, 1, linear.Config{Lambda: 0.1, Balanced: true})
	differs := 0
	for i := range n {
		if exFold[i] != 0 {
			continue
		}
		pa, pb := ma.Probabilities(nil, a[i]), mb.Probabilities(nil, b[i])
		best, score := -1, math.Inf(-1)
		for c := range classes {
			if s := w[0]*math.Log(pa[c]) + w[1]*math.Log(pb[c]); s > score {
				best, score = c, s
			}
		}
		if pred[i] != best {
			t.Errorf("example %d: predicted %d, product of experts %d", i, pred[i], best)
		}
		if best != ma.Predict(a[i]) || best != mb.Predict(b[i]) {
			differs++
		}
	}
	if differs == 0 {
		t.Error("the product never differs from the experts alone: the test shows nothing")
	}
}

// TestStackWeights: an informative expert gets weight, one of noise
// none, and the weights are on the grid.
func TestStackWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n, classes = 300, 2
	good := make([]float64, n*classes)
	noise := make([]float64, n*classes)
	y := make([]int, n)
	for i := range y {
		y[i] = i % classes
		// The good expert gives the right class 0.7.
		good[i*classes+y[i]], good[i*classes+1-y[i]] = math.Log(0.7), math.Log(0.3)
		q := r.Float64()
		noise[i*classes], noise[i*classes+1] = math.Log(q), math.Log(1-q)
	}
	w := stackWeights([][]float64{good, noise}, []int{1, 1}, y, classes)
	if w[1] != 0 || !(w[0] > 0.5) || !slices.Contains(weightGrid, w[0]) {
		t.Errorf("weights %v: want the good expert weighted, the noise not", w)
	}
	// Rows never held out (all zero) are left out.
	for i := range n / 2 {
		good[i*classes], good[i*classes+1] = 0, 0
		noise[i*classes], noise[i*classes+1] = 0, 0
	}
	if w2 := stackWeights([][]float64{good, noise}, []int{1, 1}, y, classes); !slices.Equal(w2, w) {
		t.Errorf("weights %v with half the rows empty, %v with all", w2, w)
	}
}

// TestStackWeightsOneSE: an expert of noise that happens to fit the
// held-out labels a little (its best weight under the largest
// log-likelihood alone is positive) is left out, because its gain is
// within one standard error; with few features the good expert alone is
// the simpler model.
func TestStackWeightsOneSE(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, classes = 120, 2
	good := make([]float64, n*classes)
	noise := make([]float64, n*classes)
	y := make([]int, n)
	fit := 0.0
	for i := range y {
		y[i] = i % classes
		// The good expert gives the right class 0.7 in three examples
		// of four, the wrong one 0.7 in the fourth.
		right := 0.7
		if i%4 == 3 {
			right = 0.3
		}
		good[i*classes+y[i]], good[i*classes+1-y[i]] = math.Log(right), math.Log(1-right)
		q := 0.45 + 0.1*r.Float64()
		noise[i*classes], noise[i*classes+1] = math.Log(q), math.Log(1-q)
		fit += noise[i*classes+y[i]] - noise[i*classes+1-y[i]]
	}
	if fit < 0 { // make the noise fit the labels by chance, not against them
		for i := range n {
			noise[i*classes], noise[i*classes+1] = noise[i*classes+1], noise[i*classes]
		}
	}
	// The largest log-likelihood over the whole grid, written out here,
	// weights the noise.
	sw := linear.SampleWeights(y, classes, true)
	bestLL, bestNoise := math.Inf(-1), 0.0
	for _, wg := range weightGrid {
		for _, wn := range weightGrid {
			ll := 0.0
			for i := range n {
				s := []float64{wg*good[i*classes] + wn*noise[i*classes], wg*good[i*classes+1] + wn*noise[i*classes+1]}
				ll += sw[i] * (s[y[i]] - logSumExp(s))
			}
			if ll > bestLL {
				bestLL, bestNoise = ll, wn
			}
		}
	}
	if bestNoise == 0 {
		t.Fatal("the noise gets no weight even by the largest log-likelihood: the test shows nothing")
	}
	// The noise as the many-featured shape expert (first), the good
	// one as the level expert.
	w := stackWeights([][]float64{noise, good}, []int{2080, 75}, y, classes)
	if w[0] != 0 || !(w[1] > 0) {
		t.Errorf("weights %v: want the noise (largest log-likelihood at weight %v) left out", w, bestNoise)
	}
}

// TestProductDropsNoise: a product of a level-like expert (two
// informative features) and a shape-like expert of 200 noise features
// predicts as the level expert alone, the noise weighted zero, in every
// one of several draws.
func TestProductDropsNoise(t *testing.T) {
	const n, classes, noiseDim = 60, 2, 200
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 11))
		d := &data{x: make([][][]float64, 4)}
		var y, exFold []int
		var noise, level []linear.Sparse
		for i := range n {
			// Four recordings (runs) of both classes, as in EEGMMIDB.
			c := i / 4 % classes
			d.ex = append(d.ex, example{rec: i % 4, class: c})
			y, exFold = append(y, c), append(exFold, i%4)
			x := make([]float64, noiseDim)
			for j := range x {
				x[j] = r.NormFloat64()
			}
			noise = append(noise, linear.Dense(x))
			level = append(level, linear.Dense([]float64{float64(c) + r.NormFloat64(), r.NormFloat64()}))
		}
		cfg := &Config{Lambdas: []float64{0.01, 1, 100}, InnerFolds: 3, Seed: seed}
		pred := make([]int, n)
		lams, w, err := fitFold(cfg, []features{{noise, noiseDim}, {level, 2}}, y, exFold, 0, d, classes, pred)
		if err != nil {
			t.Fatal(err)
		}
		if w[0] != 0 || !(w[1] > 0) {
			t.Errorf("seed %d: weights %v, want the noise left out", seed, w)
			continue
		}
		var tx []linear.Sparse
		var ty []int
		for i := range n {
			if exFold[i] != 0 {
				tx, ty = append(tx, level[i]), append(ty, y[i])
			}
		}
		m, err := linear.Train(tx, ty, classes, 2, linear.Config{Lambda: lams[1], Balanced: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if exFold[i] == 0 && pred[i] != m.Predict(level[i]) {
				t.Errorf("seed %d, example %d: predicted %d, the level expert alone %d", seed, i, pred[i], m.Predict(level[i]))
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
