package gdf

import "gonum.org/v1/gonum/dsp/fourier"

// upsampler is mne.filter.resample(x, m, n, npad=0) for one record of n
// samples: FFT, the even-length Nyquist bin halved, the spectrum
// zero-padded to m points and scaled by m/n, inverse FFT (numpy's irfft
// normalisation 1/m). It owns all its buffers, so a call does not
// allocate.
type upsampler struct {
	n, m     int
	fwd, inv *fourier.FFT
	cn, cm   []complex128
}

func newUpsampler(n, m int) *upsampler {
	return &upsampler{
		n: n, m: m,
		fwd: fourier.NewFFT(n), inv: fourier.NewFFT(m),
		cn: make([]complex128, n/2+1), cm: make([]complex128, m/2+1),
	}
}

// resample writes the m-point version of src (length n) to dst (length m).
func (u *upsampler) resample(dst, src []float64) {
	u.fwd.Coefficients(u.cn, src)
	if u.n%2 == 0 {
		u.cn[u.n/2] *= 0.5
	}
	// W·(1/m) with W = m/n: the scale is 1/n.
	s := complex(1/float64(u.n), 0)
	for k := range u.cm {
		if k < len(u.cn) {
			u.cm[k] = u.cn[k] * s
		} else {
			u.cm[k] = 0
		}
	}
	u.inv.Sequence(dst, u.cm)
}
