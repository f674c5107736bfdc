package edf

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// directUpsample evaluates MNE's FFT resampling as its trigonometric
// polynomial: y[j] = (1/n)·Σ_k c_k X_k e^{2πi k j/m}, with X the DFT of x
// and the Nyquist bin of an even n weighted ½.
func directUpsample(x []float64, m int) []float64 {
	n := len(x)
	X := make([]complex128, n/2+1)
	for k := range X {
		for j, v := range x {
			X[k] += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*j%n)/float64(n)))
		}
	}
	y := make([]float64, m)
	for j := range y {
		s := real(X[0])
		for k := 1; k < len(X); k++ {
			w := 2.0
			if n%2 == 0 && k == n/2 {
				w = 1 // ½ for the halved bin, times 2 for both signs
			}
			s += w * real(X[k]*cmplx.Exp(complex(0, 2*math.Pi*float64(k*j%m)/float64(m))))
		}
		y[j] = s / float64(n)
	}
	return y
}

func TestUpsample(t *testing.T) {
	const tol = 1e-10
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range [][2]int{{1, 4}, {2, 5}, {3, 7}, {8, 24}, {14, 512}, {67, 201}, {128, 1000}, {131, 262}, {97, 389}} {
		n, m := c[0], c[1]
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		got := make([]float64, m)
		upsample(got, x)
		want := directUpsample(x, m)
		for j := range want {
			if math.Abs(got[j]-want[j]) > tol {
				t.Fatalf("n=%d m=%d: y[%d] = %v, want %v", n, m, j, got[j], want[j])
			}
		}
	}
}

// TestBluestein checks the prime-length path against a direct DFT.
func TestBluestein(t *testing.T) {
	const tol = 1e-9
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 5, 67, 101, 257} {
		x := make([]complex128, n)
		for i := range x {
			x[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		for _, inverse := range []bool{false, true} {
			sign := -1.0
			if inverse {
				sign = 1
			}
			want := make([]complex128, n)
			for k := range want {
				for j, v := range x {
					want[k] += v * cmplx.Exp(complex(0, sign*2*math.Pi*float64(k*j%n)/float64(n)))
				}
			}
			got := append([]complex128(nil), x...)
			bluestein(got, inverse)
			for k := range want {
				if cmplx.Abs(got[k]-want[k]) > tol*float64(n) {
					t.Fatalf("n=%d inverse=%v: X[%d] = %v, want %v", n, inverse, k, got[k], want[k])
				}
			}
		}
	}
}
