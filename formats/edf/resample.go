package edf

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/dsp/fourier"
)

// upsample writes into dst (len m) the FFT-resampled x, exactly as
// mne.filter.resample(x, m, len(x), npad=0) does with its default boxcar
// window: the spectrum of x, with the Nyquist bin halved when len(x) is
// even, scaled by m/len(x) and zero-padded to m points. m must be at
// least len(x). An empty x gives zeros (MNE leaves an unread channel 0).
func upsample(dst, x []float64) {
	n, m := len(x), len(dst)
	if n == 0 {
		clear(dst)
		return
	}
	spec := make([]complex128, m/2+1)
	rfft(spec[:n/2+1], x)
	if n%2 == 0 {
		spec[n/2] = complex(real(spec[n/2])*0.5, imag(spec[n/2])*0.5)
	}
	w := float64(m) / float64(n)
	for k := 0; k <= n/2; k++ {
		spec[k] = complex(real(spec[k])*w, imag(spec[k])*w)
	}
	irfft(dst, spec)
	inv := 1 / float64(m)
	for i := range dst {
		dst[i] *= inv
	}
}

// maxGonumFactor is the largest prime factor for which gonum's FFTPACK
// (whose cost grows with each prime factor) is used; longer prime
// factors, as from a prime number of records, go through Bluestein.
const maxGonumFactor = 61

func largestPrimeFactor(n int) int {
	p := 1
	for f := 2; f*f <= n; f++ {
		for n%f == 0 {
			p, n = f, n/f
		}
	}
	if n > 1 {
		p = max(p, n)
	}
	return p
}

// rfft writes the unnormalized forward DFT bins 0..len(x)/2 of x.
func rfft(dst []complex128, x []float64) {
	n := len(x)
	if largestPrimeFactor(n) <= maxGonumFactor {
		fourier.NewFFT(n).Coefficients(dst, x)
		return
	}
	z := make([]complex128, n)
	for i, v := range x {
		z[i] = complex(v, 0)
	}
	bluestein(z, false)
	copy(dst, z[:n/2+1])
}

// irfft writes the unnormalized inverse real DFT of length len(dst) of
// the half spectrum spec (len(dst)/2+1 bins). Like numpy's irfft, the
// imaginary parts of bin 0 and, for even lengths, of the last bin are
// ignored.
func irfft(dst []float64, spec []complex128) {
	m := len(dst)
	if largestPrimeFactor(m) <= maxGonumFactor {
		fourier.NewFFT(m).Sequence(dst, spec)
		return
	}
	z := make([]complex128, m)
	z[0] = complex(real(spec[0]), 0)
	for k := 1; k < len(spec); k++ {
		z[k] = spec[k]
		z[m-k] = cmplx.Conj(spec[k])
	}
	if m%2 == 0 {
		z[m/2] = complex(real(spec[m/2]), 0)
	}
	bluestein(z, true)
	for i := range dst {
		dst[i] = real(z[i])
	}
}

// bluestein computes the unnormalized DFT of x in place (inverse: the
// conjugate kernel) for any length, as a convolution with a chirp done
// by power-of-two FFTs: O(n log n) whatever n's factors.
func bluestein(x []complex128, inverse bool) {
	n := len(x)
	if n <= 1 {
		return
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	// chirp[j] = exp(sign·iπ j²/n), with j² reduced mod 2n to keep the
	// angle small and exact.
	chirp := make([]complex128, n)
	for j := range chirp {
		q := (uint64(j) * uint64(j)) % uint64(2*n)
		s, c := math.Sincos(sign * math.Pi * float64(q) / float64(n))
		chirp[j] = complex(c, s)
	}
	l := 1
	for l < 2*n-1 {
		l <<= 1
	}
	a := make([]complex128, l)
	b := make([]complex128, l)
	for j := range x {
		a[j] = x[j] * chirp[j]
	}
	b[0] = cmplx.Conj(chirp[0])
	for j := 1; j < n; j++ {
		b[j] = cmplx.Conj(chirp[j])
		b[l-j] = b[j]
	}
	f := fourier.NewCmplxFFT(l)
	f.Coefficients(a, a)
	f.Coefficients(b, b)
	for i := range a {
		a[i] *= b[i]
	}
	f.Sequence(a, a)
	inv := 1 / float64(l)
	for k := range x {
		x[k] = a[k] * chirp[k] * complex(inv, 0)
	}
}
