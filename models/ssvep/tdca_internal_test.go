package ssvep

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestDiscriminantFilters: the filters solve S_b·w = λ·S_w·w with λ
// descending and wᵀ·S_w·w = 1, on random positive definite scatters.
func TestDiscriminantFilters(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const d = 7
	random := func(n int) *mat.SymDense {
		a := mat.NewDense(d, n, nil)
		for i := range d {
			for j := range n {
				a.Set(i, j, r.NormFloat64())
			}
		}
		s := mat.NewSymDense(d, nil)
		s.SymOuterK(1, a)
		return s
	}
	sb, sw := random(3), random(40)
	w, err := discriminantFilters(sb, sw, 4)
	if err != nil {
		t.Fatal(err)
	}
	prev := math.Inf(1)
	for j, v := range w {
		x := mat.NewVecDense(d, v)
		var bw, ww mat.VecDense
		bw.MulVec(sb, x)
		ww.MulVec(sw, x)
		norm := mat.Dot(x, &ww)
		lambda := mat.Dot(x, &bw) / norm
		if math.Abs(norm-1) > 1e-9 || lambda > prev+1e-12 {
			t.Fatalf("filter %d: wᵀS_ww = %v, λ = %v after %v", j, norm, lambda, prev)
		}
		prev = lambda
		for i := range d {
			if diff := bw.AtVec(i) - lambda*ww.AtVec(i); math.Abs(diff) > 1e-9*(1+math.Abs(bw.AtVec(i))) {
				t.Fatalf("filter %d row %d: S_b·w − λ·S_w·w = %v", j, i, diff)
			}
		}
	}
	if prev > 1e-9 { // S_b has rank 3: the 4th eigenvalue is 0
		t.Errorf("4th eigenvalue %v, want 0 (S_b of rank 3)", prev)
	}
}
