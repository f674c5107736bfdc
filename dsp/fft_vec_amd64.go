//go:build !purego

package dsp

// vecPlan is the vector path's part of a RealFFT plan for n = 2m with
// m a multiple of 4: buffers and twiddles in the block layout the kernels
// use (complex element t at z[8(t/4) + t%4] and, imaginary part,
// z[8(t/4) + 4 + t%4]).
type vecPlan struct {
	on     bool
	za, zb []float64 // the two Stockham buffers, 2m each
	tw0    []float64 // first-stage twiddles: per block of four p, w1, w2, w3
	split  []float64 // split twiddles e^{−2πik/n}, k < m
}

// initVector sets up the vector path for the plan's length when the CPU
// and the length allow it: m = n/2 a multiple of 4, so that the first
// stage has radix 4 and every later stage a stride that is a multiple of
// 4. Other lengths keep the pure-Go path.
func (f *RealFFT) initVector() {
	m := f.n / 2
	v := &f.vec
	v.on = useAVX2 && f.fallback == nil && m%4 == 0
	if !v.on {
		return
	}
	v.za = grow(v.za, 2*m)
	v.zb = grow(v.zb, 2*m)
	m0 := m / 4
	nb := m0 / 4
	v.tw0 = grow(v.tw0, 24*nb)
	tw := f.tw[0]
	for p := range 4 * nb {
		b, l := p/4, p%4
		for k := range 3 {
			w := tw[3*p+k]
			v.tw0[24*b+8*k+l] = real(w)
			v.tw0[24*b+8*k+4+l] = imag(w)
		}
	}
	v.split = grow(v.split, 2*m)
	for k := range m {
		blockSet(v.split, k, f.split[k])
	}
}

// blockSet stores c as element t of z in the block layout.
func blockSet(z []float64, t int, c complex128) {
	b := 8*(t/4) + t%4
	z[b] = real(c)
	z[b+4] = imag(c)
}

// vectorTransform leaves the length-m transform of x's even/odd packing
// in one of f.vec's buffers, in block layout, and returns that buffer.
func (f *RealFFT) vectorTransform(x []float64) []float64 {
	m := f.n / 2
	v := &f.vec
	y, z := v.za[:2*m], v.zb[:2*m]
	x = x[:2*m]
	m0 := m / 4
	nb := m0 / 4
	stage0Radix4AVX2(y, x, v.tw0[:24*nb], m0, nb)
	// The last m0 mod 4 butterflies of the first stage, as the pure-Go
	// path computes them.
	tw := f.tw[0]
	for p := 4 * nb; p < m0; p++ {
		a0 := complex(x[2*p], x[2*p+1])
		a1 := complex(x[2*(p+m0)], x[2*(p+m0)+1])
		a2 := complex(x[2*(p+2*m0)], x[2*(p+2*m0)+1])
		a3 := complex(x[2*(p+3*m0)], x[2*(p+3*m0)+1])
		b0, b1 := a0+a2, a0-a2
		b2, b3 := a1+a3, a1-a3
		jb3 := complex(imag(b3), -real(b3))
		blockSet(y, 4*p, b0+b2)
		blockSet(y, 4*p+1, (b1+jb3)*tw[3*p])
		blockSet(y, 4*p+2, (b0-b2)*tw[3*p+1])
		blockSet(y, 4*p+3, (b1-jb3)*tw[3*p+2])
	}
	s := 4
	for st := 1; st < len(f.radix); st++ {
		r := f.radix[st]
		sub := m / (s * r)
		y, z = z, y
		tw := f.tw[st][:sub*(r-1)]
		switch r {
		case 2:
			stageRadix2AVX2(y, z, tw, s, sub)
		case 3:
			stageRadix3AVX2(y, z, tw, s, sub)
		case 4:
			stageRadix4AVX2(y, z, tw, s, sub)
		case 5:
			stageRadix5AVX2(y, z, tw, s, sub)
		}
		s *= r
	}
	return y
}

// vectorCoefficients is Coefficients on the vector path.
func (f *RealFFT) vectorCoefficients(dst []complex128, x []float64) {
	m := f.n / 2
	z := f.vectorTransform(x)
	splitAVX2(dst[:m+1], z, f.vec.split[:2*m], m)
	r0, i0 := z[0], z[4]
	dst[0] = complex(r0+i0, 0)
	dst[m] = complex(r0-i0, 0)
}

// vectorAddPower is AddPower on the vector path.
func (f *RealFFT) vectorAddPower(dst, x []float64) {
	m := f.n / 2
	z := f.vectorTransform(x)
	d0 := dst[0]
	splitPowerAVX2(dst[:m+1], z, f.vec.split[:2*m], m)
	r0, i0 := z[0], z[4]
	dst[0] = d0 + (r0+i0)*(r0+i0)
	dst[m] += (r0 - i0) * (r0 - i0)
}

// Four transforms at once. For lengths whose half m is not a multiple of
// 4 (n = 250, 500: m = 125 = 5³, 250 = 2·5³) no Stockham stage of one
// transform has a stride that is a multiple of 4, so the kernels above
// cannot run. Four transforms interleaved — complex element t of
// transform c at batched index 4t + c, in the block layout — turn every
// stage of stride s into a stage of stride 4s of one length-4m sequence
// whose twiddles depend on p alone: the stage kernels run unchanged, on
// any radix sequence, and perform each transform's operations of the
// pure-Go path in its order (the same bits). The split step runs
// vectorised over the four transforms too (split4AVX2, split4PowerAVX2).
// The packing into the interleaved layout stays in Go.

// on4 reports whether the plan runs four transforms at once on the vector
// path (addPower4); otherwise callers transform one at a time.
func (f *RealFFT) on4() bool {
	return useAVX2 && f.fallback == nil && !f.vec.on && f.n >= 4
}

// transform4 leaves the length-m transforms of the even/odd packings of
// x[0..3] interleaved in one of f.vec's batched buffers and returns it.
func (f *RealFFT) transform4(x *[4][]float64) []float64 {
	m := f.n / 2
	v := &f.vec
	v.za = grow(v.za, 8*m)
	v.zb = grow(v.zb, 8*m)
	y, z := v.za[:8*m], v.zb[:8*m]
	x0, x1, x2, x3 := x[0][:2*m], x[1][:2*m], x[2][:2*m], x[3][:2*m]
	for t := range m {
		b := z[8*t : 8*t+8 : 8*t+8]
		b[0], b[1], b[2], b[3] = x0[2*t], x1[2*t], x2[2*t], x3[2*t]
		b[4], b[5], b[6], b[7] = x0[2*t+1], x1[2*t+1], x2[2*t+1], x3[2*t+1]
	}
	s := 1
	for st, r := range f.radix {
		sub := m / (s * r)
		tw := f.tw[st][:sub*(r-1)]
		switch r {
		case 2:
			stageRadix2AVX2(y, z, tw, 4*s, sub)
		case 3:
			stageRadix3AVX2(y, z, tw, 4*s, sub)
		case 4:
			stageRadix4AVX2(y, z, tw, 4*s, sub)
		case 5:
			stageRadix5AVX2(y, z, tw, 4*s, sub)
		}
		y, z = z, y
		s *= r
	}
	return z
}

// addPower4 is AddPower of x[c] into dst[c] for c < 4 (f.on4() must hold;
// lengths are the caller's to check). dst[c] may be the same slice for
// several c: the powers are added in the order c = 0..3, bin by bin, as
// four AddPower calls add them.
func (f *RealFFT) addPower4(dst *[4][]float64, x *[4][]float64) {
	m := f.n / 2
	z := f.transform4(x)
	// The split step and |X|² of bins 1..m−1 in the kernel, into the
	// buffer transform4 did not return.
	p := f.vec.za[:4*m]
	if &z[0] == &f.vec.za[0] {
		p = f.vec.zb[:4*m]
	}
	split4PowerAVX2(p, z, f.split[:m], m)
	for c := range 4 {
		d := dst[c][:m+1]
		r0, i0 := z[c], z[4+c]
		d[0] += (r0 + i0) * (r0 + i0)
		for k := 1; k < m; k++ {
			d[k] += p[4*k+c]
		}
		d[m] += (r0 - i0) * (r0 - i0)
	}
}

// coefficients4 is Coefficients of x[c] into dst[c] for c < 4 (f.on4()
// must hold; lengths are the caller's to check).
func (f *RealFFT) coefficients4(dst *[4][]complex128, x *[4][]float64) {
	m := f.n / 2
	z := f.transform4(x)
	o := f.vec.za[:8*m]
	if &z[0] == &f.vec.za[0] {
		o = f.vec.zb[:8*m]
	}
	split4AVX2(o, z, f.split[:m], m)
	for c := range 4 {
		d := dst[c][:m+1]
		r0, i0 := z[c], z[4+c]
		d[0] = complex(r0+i0, 0)
		d[m] = complex(r0-i0, 0)
		for k := 1; k < m; k++ {
			d[k] = complex(o[8*k+c], o[8*k+4+c])
		}
	}
}
