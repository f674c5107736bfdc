package linear

import (
	"math"
	"math/rand/v2"
	"testing"
)

// blobs returns n items of dim features in 3 classes: Gaussian blobs whose
// means differ in the first two features; the rest is noise, with feature
// 3 constant and large (it must be ignored).
func blobs(n, dim int, seed uint64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := [][2]float64{{0, 0}, {3, 0}, {0, 3}}
	X := make([][]float64, n)
	y := make([]int, n)
	for i := range X {
		c := i % 3
		x := make([]float64, dim)
		for j := range x {
			x[j] = rng.NormFloat64()
		}
		x[0] += centres[c][0]
		x[1] += centres[c][1]
		x[3] = 1000
		X[i], y[i] = x, c
	}
	return X, y
}

// objective is the training objective in dense form, written
// independently of Train: class-weighted mean log loss on standardised
// features plus lambda/2·‖W‖², for weights W and bias b on the
// standardised features.
func objective(X [][]float64, y []int, K int, lambda float64, W [][]float64, b []float64) float64 {
	n, dim := len(X), len(X[0])
	mean, sd := make([]float64, dim), make([]float64, dim)
	for _, x := range X {
		for j, v := range x {
			mean[j] += v / float64(n)
		}
	}
	for _, x := range X {
		for j, v := range x {
			sd[j] += (v - mean[j]) * (v - mean[j]) / float64(n)
		}
	}
	loss := 0.0
	for i, x := range X {
		s := make([]float64, K)
		for k := range K {
			s[k] = b[k]
			for j, v := range x {
				if sd[j] > 0 {
					s[k] += W[k][j] * (v - mean[j]) / math.Sqrt(sd[j])
				}
			}
		}
		z := 0.0
		for _, v := range s {
			z += math.Exp(v)
		}
		loss += (math.Log(z) - s[y[i]]) / float64(n)
	}
	for k := range K {
		for _, v := range W[k] {
			loss += lambda / 2 * v * v
		}
	}
	return loss
}

// TestTrainOptimal checks that the trained model minimises the objective:
// moving any standardised weight or intercept by ±h raises it.
func TestTrainOptimal(t *testing.T) {
	X, y := blobs(90, 5, 1)
	sp := make([]Sparse, len(X))
	for i, x := range X {
		sp[i] = Dense(x)
	}
	const lambda = 0.05
	m, err := Train(sp, y, 3, 5, Config{Lambda: lambda})
	if err != nil {
		t.Fatal(err)
	}
	// Unfold the raw weights back onto standardised features.
	n := float64(len(X))
	mean, sd := make([]float64, 5), make([]float64, 5)
	for _, x := range X {
		for j, v := range x {
			mean[j] += v / n
		}
	}
	for _, x := range X {
		for j, v := range x {
			sd[j] += (v - mean[j]) * (v - mean[j]) / n
		}
	}
	W := make([][]float64, 3)
	b := make([]float64, 3)
	for k := range 3 {
		W[k] = make([]float64, 5)
		b[k] = m.Bias[k]
		for j := range 5 {
			W[k][j] = m.Weights[k*5+j] * math.Sqrt(sd[j])
			b[k] += m.Weights[k*5+j] * mean[j]
		}
	}
	if W[0][3] != 0 || W[1][3] != 0 {
		t.Errorf("constant feature got weights %v, %v", W[0][3], W[1][3])
	}
	f0 := objective(X, y, 3, lambda, W, b)
	const h = 1e-4
	for k := range 3 {
		for j := range 6 {
			p := &b[k]
			if j < 5 {
				if j == 3 {
					continue
				}
				p = &W[k][j]
			}
			v := *p
			*p = v + h
			fp := objective(X, y, 3, lambda, W, b)
			*p = v - h
			fm := objective(X, y, 3, lambda, W, b)
			*p = v
			if g := (fp - fm) / (2 * h); math.Abs(g) > 1e-5 {
				t.Errorf("class %d parameter %d: gradient %.3g at the optimum", k, j, g)
			}
			if fp < f0-1e-12 || fm < f0-1e-12 {
				t.Errorf("class %d parameter %d: objective %v not minimal (%v, %v)", k, j, f0, fp, fm)
			}
		}
	}
	// The blobs are well separated: held-out accuracy must be high.
	Xt, yt := blobs(300, 5, 2)
	right := 0
	for i, x := range Xt {
		if m.Predict(Dense(x)) == yt[i] {
			right++
		}
	}
	if acc := float64(right) / 300; acc < 0.85 {
		t.Errorf("held-out accuracy %.3f", acc)
	}
}

// TestSparseEqualsDense: dropping zero features from the input changes
// nothing.
func TestSparseEqualsDense(t *testing.T) {
	X, y := blobs(60, 6, 3)
	dense := make([]Sparse, len(X))
	sparse := make([]Sparse, len(X))
	for i, x := range X {
		x[5] = 0
		if i%4 == 0 {
			x[5] = 2
		}
		dense[i] = Dense(x)
		var s Sparse
		for j, v := range x {
			if v != 0 {
				s.Index = append(s.Index, int32(j))
				s.Value = append(s.Value, v)
			}
		}
		sparse[i] = s
	}
	a, err := Train(dense, y, 3, 6, Config{Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(sparse, y, 3, 6, Config{Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Weights {
		if math.Abs(a.Weights[i]-b.Weights[i]) > 1e-9*(1+math.Abs(a.Weights[i])) {
			t.Fatalf("weight %d: dense %v, sparse %v", i, a.Weights[i], b.Weights[i])
		}
	}
	p := a.Probabilities(nil, dense[0])
	if s := p[0] + p[1] + p[2]; math.Abs(s-1) > 1e-12 {
		t.Errorf("probabilities sum to %v", s)
	}
}

func TestTrainErrors(t *testing.T) {
	x := []Sparse{Dense([]float64{1}), Dense([]float64{2})}
	for _, c := range []struct {
		y       []int
		classes int
	}{{[]int{0}, 2}, {[]int{0, 2}, 2}, {[]int{0, 1}, 1}} {
		if _, err := Train(x, c.y, c.classes, 1, Config{}); err == nil {
			t.Errorf("labels %v, %d classes accepted", c.y, c.classes)
		}
	}
	bad := []Sparse{{Index: []int32{1, 0}, Value: []float64{1, 1}}, Dense([]float64{0, 0})}
	if _, err := Train(bad, []int{0, 1}, 2, 2, Config{}); err == nil {
		t.Error("unsorted indices accepted")
	}
}
