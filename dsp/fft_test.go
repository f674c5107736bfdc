package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// fftLengths are the lengths the vector path is checked on: powers of 2
// and 2^a·3^b·5^c from 4 to 65536, odd lengths and lengths with another
// prime factor (which fall back to the pure-Go path or gonum).
func fftLengths() []int {
	var ns []int
	for n := 4; n <= 1<<16; n++ {
		r := n
		for _, p := range []int{2, 3, 5} {
			for r%p == 0 {
				r /= p
			}
		}
		if r == 1 {
			ns = append(ns, n)
		}
	}
	return append(ns, 1, 2, 3, 7, 14, 22, 98, 1001, 4097)
}

// pureRealFFT returns a plan for n that runs the pure-Go path whatever the
// CPU: the oracle of the vector path.
func pureRealFFT(n int) *RealFFT {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	useAVX2 = false
	return NewRealFFT(n)
}

// TestRealFFTVector checks the vector path against the pure-Go path on
// every length of fftLengths: the kernels perform the same floating-point
// operations in the same order, so the results agree to the bit (up to
// the sign of zeros); the test allows 1e-12 relative to Σ|x|.
func TestRealFFTVector(t *testing.T) {
	const tol = 1e-12
	if !useAVX2 {
		t.Skip("no vector FFT in this build or on this CPU (pure-Go path only)")
	}
	r := rand.New(rand.NewPCG(5, 6))
	vectorLengths := 0
	for _, n := range fftLengths() {
		x := make([]float64, n)
		var l1 float64
		for i := range x {
			x[i] = r.NormFloat64()
			l1 += math.Abs(x[i])
		}
		f, ref := NewRealFFT(n), pureRealFFT(n)
		if f.vec.on {
			vectorLengths++
		}
		got := f.Coefficients(nil, x)
		want := ref.Coefficients(nil, x)
		if k, d := maxDiff(got, want); d > tol*l1 {
			t.Errorf("n=%d (radices %v, vector %v): bin %d = %v, pure Go %v", n, f.radix, f.vec.on, k, got[k], want[k])
		} else if d != 0 {
			t.Logf("n=%d: max |Δ| %g", n, d)
		}
		p0 := make([]float64, n/2+1)
		for k := range p0 {
			p0[k] = float64(k)
		}
		gp := f.AddPower(append([]float64(nil), p0...), x)
		wp := ref.AddPower(append([]float64(nil), p0...), x)
		for k := range gp {
			if d := math.Abs(gp[k] - wp[k]); d > tol*(l1*l1+p0[k]) {
				t.Errorf("n=%d: AddPower bin %d = %v, pure Go %v", n, k, gp[k], wp[k])
				break
			}
		}
	}
	if vectorLengths < 100 {
		t.Errorf("only %d lengths ran the vector path", vectorLengths)
	}
}

func maxDiff(a, b []complex128) (int, float64) {
	k, d := 0, 0.0
	for i := range a {
		if e := cmplx.Abs(a[i] - b[i]); e > d || math.IsNaN(e) {
			k, d = i, e
		}
	}
	return k, d
}

// TestRealFFTAddPower checks AddPower against |Coefficients|² added to
// dst, on whichever path the build runs.
func TestRealFFTAddPower(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{4, 7, 8, 30, 64, 100, 256, 1000} {
		f := NewRealFFT(n)
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		c := f.Coefficients(nil, x)
		dst := make([]float64, n/2+1)
		for k := range dst {
			dst[k] = float64(k)
		}
		f.AddPower(dst, x)
		for k, v := range c {
			want := float64(k) + (real(v)*real(v) + imag(v)*imag(v))
			if dst[k] != want {
				t.Errorf("n=%d bin %d: %v, want %v", n, k, dst[k], want)
			}
		}
		if got := f.AddPower(nil, x); got[1] != real(c[1])*real(c[1])+imag(c[1])*imag(c[1]) {
			t.Errorf("n=%d: AddPower(nil) bin 1 = %v", n, got[1])
		}
		if a := testing.AllocsPerRun(10, func() { f.AddPower(dst, x); f.Coefficients(c, x) }); a != 0 {
			t.Errorf("n=%d: %v allocations per AddPower and Coefficients, want 0", n, a)
		}
	}
}

// BenchmarkRealFFT times Coefficients and AddPower on the vector path
// (where the build and CPU have it) and the pure-Go path side by side.
func BenchmarkRealFFT(b *testing.B) {
	for _, n := range []int{128, 256, 500, 512, 1000, 1024, 4096} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rand.NormFloat64()
		}
		dst := make([]complex128, n/2+1)
		pw := make([]float64, n/2+1)
		for _, path := range []string{"vector", "purego"} {
			f := NewRealFFT(n)
			if path == "purego" {
				f = pureRealFFT(n)
			} else if !f.vec.on {
				continue
			}
			b.Run(fmt.Sprintf("%s/n=%d", path, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f.Coefficients(dst, x)
				}
			})
			b.Run(fmt.Sprintf("%s/power/n=%d", path, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f.AddPower(pw, x)
				}
			})
		}
	}
}

// TestVectorKernels checks the sum and taper kernels against their
// pure-Go forms, to the bit, on lengths around the block sizes.
func TestVectorKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 100, 256, 1000} {
		x, w := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], w[i] = r.NormFloat64()*1e-6+1e-3, r.Float64()
		}
		nb := n &^ 15
		want := 0.0
		if nb > 0 {
			want = sumBlocksGo(x[:nb])
		}
		for _, v := range x[nb:] {
			want += v
		}
		if got := blockSum(x); got != want {
			t.Errorf("n=%d: blockSum %v, pure Go %v", n, got, want)
		}
		var seq float64
		for _, v := range x {
			seq += v
		}
		if d := math.Abs(blockSum(x) - seq); d > 1e-15*float64(n)*math.Abs(seq) {
			t.Errorf("n=%d: blockSum %v, left-to-right sum %v", n, blockSum(x), seq)
		}
		got, ref := make([]float64, n), make([]float64, n)
		subMul(got, x, w, 1e-3)
		subMulGo(ref, x, w, 1e-3)
		for i := range got {
			if got[i] != ref[i] {
				t.Errorf("n=%d: subMul[%d] = %v, pure Go %v", n, i, got[i], ref[i])
				break
			}
		}
	}
}

// BenchmarkWelchPaths times Welch PSD (nperseg 256, 50 % overlap, Hann)
// with the AVX2 kernels and with the pure-Go path, in one run.
func BenchmarkWelchPaths(b *testing.B) {
	for _, path := range []string{"vector", "purego"} {
		for _, n := range []int{4096, 153600} {
			b.Run(fmt.Sprintf("%s/n=%d", path, n), func(b *testing.B) {
				if path == "vector" && !useAVX2 {
					b.Skip("no vector kernels in this build or on this CPU")
				}
				defer func(v bool) { useAVX2 = v }(useAVX2)
				useAVX2 = path == "vector"
				w, _ := NewWelch(WelchConfig{SampleRate: 256, SegmentLen: 256})
				r := rand.New(rand.NewPCG(1, 2))
				x := make([]float64, n)
				for i := range x {
					x[i] = r.NormFloat64()
				}
				dst := make([]float64, w.Len())
				b.ReportAllocs()
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					w.PSD(dst, x)
				}
			})
		}
	}
}
