package gdf

import "gonum.org/v1/gonum/dsp/fourier"

// upsampler is mne.filter.resample(x, m, n, npad=0) for one record of n
// samples: FFT, the even-length Nyquist bin halved, the spectrum
// zero-padded to m points and scaled by m/n, inverse FFT (numpy's irfft
// normalisation 1/m). A call does not allocate.
type upsampler struct {
	n, m     int
	fwd, inv *fourier.FFT
	cn, cm   []complex128
}

// newUpsampler returns the upsampler from n to m points. The m-point
// inverse plan and spectrum come from out, which every upsampler of a
// reader shares (they all go to the record's m samples): a header can
// list a signal for each rate below m, and a plan each would take memory
// quadratic in the record's size.
func newUpsampler(n int, out *upsampler) *upsampler {
	return &upsampler{
		n: n, m: out.m,
		fwd: fourier.NewFFT(n), inv: out.inv,
		cn: make([]complex128, n/2+1), cm: out.cm,
	}
}

// newOutput returns what the upsamplers to m points share.
func newOutput(m int) *upsampler {
	return &upsampler{m: m, inv: fourier.NewFFT(m), cm: make([]complex128, m/2+1)}
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
