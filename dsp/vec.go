package dsp

// Pure-Go forms of the vector kernels of vec_amd64.s: the fallback on
// other CPUs and builds (-tags purego), and the oracle the kernels are
// tested against. Each performs the kernel's floating-point operations in
// the kernel's order, so both give the same bits.

// blockSum returns Σ x[i], added in a fixed blocked order rather than left to
// right: sixteen running sums over x's whole blocks of 16, combined
// pairwise, then the remaining elements in order. The order breaks the
// dependency chain of a left-to-right sum (several times faster, and
// vectorised with AVX2) and rounds no worse; it is the same on every
// path, so results do not depend on the CPU.
func blockSum(x []float64) float64 {
	nb := len(x) &^ 15
	var s float64
	if nb > 0 {
		s = sumBlocks(x[:nb])
	}
	for _, v := range x[nb:] {
		s += v
	}
	return s
}

// sumBlocksGo is the sum of blockSum over whole blocks of 16 (len(x) a
// multiple of 16): acc[j] = Σ_b x[16b+j], v[l] = (acc[l] + acc[4+l]) +
// (acc[8+l] + acc[12+l]), then (v[0] + v[2]) + (v[1] + v[3]).
func sumBlocksGo(x []float64) float64 {
	var acc [16]float64
	for b := 0; b+16 <= len(x); b += 16 {
		blk := x[b : b+16 : b+16]
		for j := range acc {
			acc[j] += blk[j]
		}
	}
	var v [4]float64
	for l := range v {
		v[l] = (acc[l] + acc[4+l]) + (acc[8+l] + acc[12+l])
	}
	return (v[0] + v[2]) + (v[1] + v[3])
}

// subMulGo sets dst[i] = (x[i] − c)·w[i] for i < len(dst): the mean
// removal and taper of a Welch-type segment in one pass (subMul, on the
// AVX2 kernel where it runs). x and w must have at least len(dst)
// elements; dst may alias x.
func subMulGo(dst, x, w []float64, c float64) {
	x, w = x[:len(dst)], w[:len(dst)]
	for i := range dst {
		dst[i] = (x[i] - c) * w[i]
	}
}

// crossGo is the column-pair kernel of the packed cross-spectral sums: for
// blocks blk < nblk of eight rows i = i0 + 8·blk + l (l < 8) and the
// columns c = j, j+1 of one frequency bin's segment spectra u (segment s,
// channel c: u[s·ld+c] + i·u[(b+s)·ld+c]), it adds conj(x_si)·x_sc to
// d0[8·blk+l] (c = j) and d1[8·blk+l] (c = j+1) for s = 0..b−1 in order,
// each product computed as csdOuterAdd computes it. u must hold rows up
// to i0 + 8·nblk and columns up to j+1 for every segment; d0 and d1 at
// least 8·nblk entries.
func crossGo(d0, d1 []complex128, u []float64, ld, b, j, i0, nblk int) {
	im := b * ld
	for c, d := range [2][]complex128{d0, d1} {
		d = d[:8*nblk]
		for r := range d {
			i := i0 + r
			acc := d[r]
			for s := range b {
				xr, xi := u[s*ld+i], u[im+s*ld+i]
				yr, yi := u[s*ld+j+c], u[im+s*ld+j+c]
				acc += complex(xr*yr+xi*yi, xr*yi-xi*yr)
			}
			d[r] = acc
		}
	}
}
