package dsp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// RealFFT is a reusable real-input FFT plan, faster than gonum's fftpack port
// (about 2.5× at the lengths EEG analysis uses) and used by every spectral
// plan in this package: for even n whose half has only
// the prime factors 2, 3 and 5, a length-n/2 complex Stockham FFT of the
// even/odd-packed input followed by the split step; otherwise gonum's
// fourier.FFT. Unnormalised, like fourier.FFT.Coefficients:
// X[k] = Σₜ x[t]·e^{−2πi k t/n}, k = 0..n/2.
//
// On amd64 CPUs with AVX2, lengths n that are multiples of 8 run the
// Stockham stages and the split step as AVX2 kernels (vec_amd64.s, about
// 4–5× faster; fft_vec_amd64.go). They perform the pure-Go path's
// floating-point operations in the same order, without FMA, so the two
// paths agree to the bit; -tags purego builds the pure-Go path only.
// Other even lengths of factors 2, 3 and 5 (n = 250, 500: 1 s at 250 and
// 500 Hz) have no stage a single transform can vectorise; there Welch.PSD,
// CSD.Compute, CSD.Spectra and Multitaper.PSD transform four segments,
// channels or tapers at once on the same kernels (the same bits);
// one-at-a-time callers (WelchStream, STFT) run the pure-Go path.
type RealFFT struct {
	n        int
	fallback *fourier.FFT
	radix    []int
	tw       [][]complex128 // per stage: tw[p*(r−1)+k−1] = e^{−2πi p k/nc}
	split    []complex128   // e^{−2πi k/n}, k = 0..n/2
	a, b     []complex128
	coef     []complex128 // AddPower's spectrum on the pure-Go path
	vec      vecPlan      // the AVX2 path (fft_vec_amd64.go)
}

// NewRealFFT returns a plan for length n ≥ 1.
func NewRealFFT(n int) *RealFFT {
	f := &RealFFT{}
	f.Reset(n)
	return f
}

// Len returns the transform length n: the length of the input sequence.
// The output has n/2+1 coefficients.
func (f *RealFFT) Len() int { return f.n }

// Reset reinitialises the plan for length n ≥ 1, reusing its memory where
// it is large enough (as gonum's fourier.FFT.Reset).
func (f *RealFFT) Reset(n int) {
	if n < 1 {
		panic(fmt.Sprintf("dsp: RealFFT.Reset: n = %d, want ≥ 1", n))
	}
	f.n = n
	f.radix = f.radix[:0]
	f.tw = f.tw[:0]
	f.vec.on = false
	if n%2 != 0 || n < 4 || !f.factor(n/2) {
		f.useFallback(n)
		return
	}
	f.fallback = nil
	m := n / 2
	nc := m
	for st, r := range f.radix {
		sub := nc / r
		var tw []complex128
		if st < cap(f.tw) {
			tw = f.tw[:st+1][st]
		}
		tw = grow(tw, sub*(r-1))
		for p := range sub {
			for k := 1; k < r; k++ {
				s, c := math.Sincos(-2 * math.Pi * float64(p*k) / float64(nc))
				tw[p*(r-1)+k-1] = complex(c, s)
			}
		}
		f.tw = append(f.tw, tw)
		nc = sub
	}
	f.split = grow(f.split, m+1)
	for k := range f.split {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.split[k] = complex(c, s)
	}
	f.a = grow(f.a, m)
	f.b = grow(f.b, m)
	f.initVector()
}

// factor splits m into the radices 4, 2, 3 and 5 of the Stockham stages,
// reporting false when m has another prime factor.
func (f *RealFFT) factor(m int) bool {
	for r := m; r > 1; {
		switch {
		case r%4 == 0:
			f.radix = append(f.radix, 4)
			r /= 4
		case r%2 == 0:
			f.radix = append(f.radix, 2)
			r /= 2
		case r%3 == 0:
			f.radix = append(f.radix, 3)
			r /= 3
		case r%5 == 0:
			f.radix = append(f.radix, 5)
			r /= 5
		default:
			f.radix = f.radix[:0]
			return false
		}
	}
	return true
}

// useFallback makes the plan a length-n gonum FFT.
func (f *RealFFT) useFallback(n int) {
	if f.fallback == nil {
		f.fallback = fourier.NewFFT(n)
		return
	}
	f.fallback.Reset(n)
}

// grow returns s resliced to n elements, reallocated when its capacity is
// short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Coefficients computes the one-sided spectrum of x, of length Len(),
// X[k] = Σₜ x[t]·e^{−2πi k t/n} for k = 0..n/2 (unnormalised, as gonum's
// fourier.FFT.Coefficients; bin k is at k·fs/n Hz for a sample rate fs),
// places it in dst, of length n/2+1, and returns dst. A nil dst allocates;
// a wrong length of x or dst panics. dst cannot alias x (their element
// types differ). Coefficients does not allocate with a non-nil dst.
func (f *RealFFT) Coefficients(dst []complex128, x []float64) []complex128 {
	const op = "RealFFT.Coefficients"
	checkLen(op, "x", len(x), f.n)
	dst = useDst(dst, f.n/2+1, op)
	if f.fallback != nil {
		return f.fallback.Coefficients(dst, x)
	}
	if f.vec.on {
		f.vectorCoefficients(dst, x)
		return dst
	}
	m := f.n / 2
	a := f.a[:m]
	for t := range a {
		a[t] = complex(x[2*t], x[2*t+1])
	}
	z := f.complexFFT()
	dst = dst[:m+1]
	z0 := z[0]
	dst[0] = complex(real(z0)+imag(z0), 0)
	dst[m] = complex(real(z0)-imag(z0), 0)
	split := f.split[:m+1]
	for k := 1; k < m; k++ {
		zk, zc := z[k], z[m-k]
		// E = (Z[k] + conj Z[m−k])/2, O = (Z[k] − conj Z[m−k])/(2i).
		er, ei := (real(zk)+real(zc))/2, (imag(zk)-imag(zc))/2
		or, oi := (imag(zk)+imag(zc))/2, -(real(zk)-real(zc))/2
		w := split[k]
		dst[k] = complex(er+real(w)*or-imag(w)*oi, ei+real(w)*oi+imag(w)*or)
	}
	return dst
}

// AddPower adds the power of x's one-sided spectrum to dst, of length
// n/2+1: dst[k] += |X[k]|² with X[k] as Coefficients computes it, and
// returns dst. A nil dst allocates (so it returns |X|²); a wrong length of
// x or dst panics. It is the periodogram sum of Welch-type estimates
// without the complex spectrum in memory: on the vector path the split
// step and the squares are one kernel. The result is the same, bit for
// bit, as adding real(c)*real(c) + imag(c)*imag(c) for the c of
// Coefficients. AddPower does not allocate with a non-nil dst.
func (f *RealFFT) AddPower(dst, x []float64) []float64 {
	const op = "RealFFT.AddPower"
	checkLen(op, "x", len(x), f.n)
	dst = useDst(dst, f.n/2+1, op)
	if f.vec.on {
		f.vectorAddPower(dst, x)
		return dst
	}
	f.coef = grow(f.coef, f.n/2+1)
	for k, c := range f.Coefficients(f.coef, x) {
		dst[k] += real(c)*real(c) + imag(c)*imag(c)
	}
	return dst
}

// complexFFT transforms f.a in place (Stockham autosort, decimation in
// frequency) and returns the buffer holding the result in natural order.
func (f *RealFFT) complexFFT() []complex128 {
	x, y := f.a, f.b
	n := len(x)
	s := 1
	for st, r := range f.radix {
		m := n / (s * r) // sub-sequence length after this stage
		tw := f.tw[st]
		switch r {
		case 2:
			for p := range m {
				w1 := tw[p]
				for q := range s {
					a0, a1 := x[q+s*p], x[q+s*(p+m)]
					y[q+s*(2*p)] = a0 + a1
					y[q+s*(2*p+1)] = (a0 - a1) * w1
				}
			}
		case 3:
			const s3 = 0.86602540378443864676 // sin(2π/3)
			for p := range m {
				w1, w2 := tw[2*p], tw[2*p+1]
				for q := range s {
					a0, a1, a2 := x[q+s*p], x[q+s*(p+m)], x[q+s*(p+2*m)]
					t1 := a1 + a2
					t2 := a0 - t1/2
					d := a1 - a2
					t3 := complex(s3*imag(d), -s3*real(d)) // −i·s3·(a1−a2)
					o := q + s*3*p
					y[o] = a0 + t1
					y[o+s] = (t2 + t3) * w1
					y[o+2*s] = (t2 - t3) * w2
				}
			}
		case 4:
			for p := range m {
				w1, w2, w3 := tw[3*p], tw[3*p+1], tw[3*p+2]
				for q := range s {
					a0, a1, a2, a3 := x[q+s*p], x[q+s*(p+m)], x[q+s*(p+2*m)], x[q+s*(p+3*m)]
					b0, b1 := a0+a2, a0-a2
					b2, b3 := a1+a3, a1-a3
					jb3 := complex(imag(b3), -real(b3)) // −i·(a1−a3)
					o := q + s*4*p
					y[o] = b0 + b2
					y[o+s] = (b1 + jb3) * w1
					y[o+2*s] = (b0 - b2) * w2
					y[o+3*s] = (b1 - jb3) * w3
				}
			}
		case 5:
			const (
				c1 = 0.30901699437494742410  // cos(2π/5)
				c2 = -0.80901699437494742410 // cos(4π/5)
				s1 = 0.95105651629515357212  // sin(2π/5)
				s2 = 0.58778525229247312917  // sin(4π/5)
			)
			for p := range m {
				w := tw[4*p : 4*p+4]
				for q := range s {
					a0 := x[q+s*p]
					a1, a2 := x[q+s*(p+m)], x[q+s*(p+2*m)]
					a3, a4 := x[q+s*(p+3*m)], x[q+s*(p+4*m)]
					b1, b2 := a1+a4, a2+a3
					d1, d2 := a1-a4, a2-a3
					e1 := a0 + complex(c1, 0)*b1 + complex(c2, 0)*b2
					e2 := a0 + complex(c2, 0)*b1 + complex(c1, 0)*b2
					f1 := complex(s1, 0)*d1 + complex(s2, 0)*d2
					f2 := complex(s2, 0)*d1 - complex(s1, 0)*d2
					if1 := complex(imag(f1), -real(f1)) // −i·f1
					if2 := complex(imag(f2), -real(f2))
					o := q + s*5*p
					y[o] = a0 + b1 + b2
					y[o+s] = (e1 + if1) * w[0]
					y[o+2*s] = (e2 + if2) * w[1]
					y[o+3*s] = (e2 - if2) * w[2]
					y[o+4*s] = (e1 - if1) * w[3]
				}
			}
		}
		x, y = y, x
		s *= r
	}
	return x
}
