package edf

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
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

// TestZoom checks block-by-block evaluation against the direct sum, for
// even and odd lengths, prime lengths, ratios that are
// not whole, outputs spanning many blocks, and both the direct sums and
// the chirp-z path.
func TestZoom(t *testing.T) {
	const tol = 1e-10
	rng := rand.New(rand.NewPCG(1, 2))
	fft := func(l int) *fourier.CmplxFFT { return fourier.NewCmplxFFT(l) }
	for _, c := range [][2]int{{1, 4}, {2, 5}, {3, 7}, {8, 24}, {14, 512}, {67, 201}, {128, 1000}, {131, 262}, {97, 389}, {10, 3001}, {600, 1800}, {101, 1000}, {1009, 4000}, {1024, 1030}} {
		n, m := c[0], c[1]
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		want := directUpsample(x, m)
		p := newZoomPlan(int64(n), int64(m), fft)
		if p.inv != nil && p.Len() < int(p.block)+p.bins-1 {
			t.Fatalf("n=%d m=%d: work length %d < block %d + %d bins - 1", n, m, p.Len(), p.block, p.bins)
		}
		work := make([]complex128, p.Len())
		d := p.coefficients(x, work)
		got := make([]float64, m)
		for a := int64(0); a < int64(m); a += p.block {
			p.eval(got[a:min(a+p.block, int64(m))], d, a, work)
		}
		for j := range want {
			if math.Abs(got[j]-want[j]) > tol {
				t.Fatalf("n=%d m=%d: y[%d] = %v, want %v", n, m, j, got[j], want[j])
			}
		}
	}
}

func TestGoodSize(t *testing.T) {
	for _, c := range [][2]int{{1, 1}, {7, 8}, {11, 12}, {13, 15}, {17, 18}, {1001, 1024}, {1025, 1080}} {
		if got := goodSize(c[0]); got != c[1] {
			t.Errorf("goodSize(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}
