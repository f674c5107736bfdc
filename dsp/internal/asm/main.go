// Command asm generates package dsp's AVX2 kernels (../../vec_amd64.s and
// its Go declarations ../../vec_amd64_stub.go) with avo: RealFFT's stages
// and split step, and the sum and taper of Welch-type segments. Run it through `go generate ./dsp` from the repository root. It is a
// module of its own so that the main module does not depend on avo.
//
// The kernels work on the "block" layout of the vector path: complex
// element t of a length-M sequence (M a multiple of 4) sits at
// z[8·(t/4) + t%4] (real part) and z[8·(t/4) + 4 + t%4] (imaginary part),
// four real parts then four imaginary parts per 64-byte block, so that one
// YMM register holds the real (or imaginary) parts of four consecutive
// elements and one pointer reaches both halves. Every kernel performs the
// floating-point operations of the pure-Go path in fft.go in the same
// order, without FMA, so that both paths give the same bits.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")
	stage0Radix4()
	for _, r := range []int{2, 3, 4, 5} {
		stage(r)
	}
	split(false)
	split(true)
	sum()
	subMul()
	cross()
	split4(false)
	split4(true)
	Generate()
}

// cvec returns a 32-byte read-only constant holding v four times.
func cvec(name string, v float64) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := range 4 {
		DATA(8*i, F64(v))
	}
	return m
}

var consts = map[string]Mem{}

// k returns the 4-wide constant v, declared once.
func k(name string, v float64) Mem {
	if m, ok := consts[name]; ok {
		return m
	}
	m := cvec(name, v)
	consts[name] = m
	return m
}

// signMask is the sign bit of each lane, for exact negation.
func signMask() Mem {
	if m, ok := consts["signbits"]; ok {
		return m
	}
	m := GLOBL("signbits", RODATA|NOPTR)
	for i := range 4 {
		DATA(8*i, U64(1<<63))
	}
	consts["signbits"] = m
	return m
}

// cplx is four complex numbers: real and imaginary parts.
type cplx struct{ r, i reg.VecVirtual }

func newC() cplx { return cplx{YMM(), YMM()} }

func add(a, b cplx) cplx {
	c := newC()
	VADDPD(b.r, a.r, c.r)
	VADDPD(b.i, a.i, c.i)
	return c
}

func sub(a, b cplx) cplx {
	c := newC()
	VSUBPD(b.r, a.r, c.r)
	VSUBPD(b.i, a.i, c.i)
	return c
}

// addMinusI is a + (−i)·b = (a.r + b.i, a.i − b.r); subMinusI is
// a − (−i)·b = (a.r − b.i, a.i + b.r).
func addMinusI(a, b cplx) cplx {
	c := newC()
	VADDPD(b.i, a.r, c.r)
	VSUBPD(b.r, a.i, c.i)
	return c
}

func subMinusI(a, b cplx) cplx {
	c := newC()
	VSUBPD(b.i, a.r, c.r)
	VADDPD(b.r, a.i, c.i)
	return c
}

// mulStore stores t·w, computed as Go computes a complex128 product
// (re = tr·wr − ti·wi, im = tr·wi + ti·wr), at d (real) and d+32
// (imaginary). w.r and w.i are operands: registers or 32-byte memory.
func mulStore(t cplx, wr, wi Op, d Mem) {
	a, b := YMM(), YMM()
	VMULPD(wr, t.r, a)
	VMULPD(wi, t.i, b)
	VSUBPD(b, a, a)
	VMOVUPD(a, d)
	VMULPD(wi, t.r, a)
	VMULPD(wr, t.i, b)
	VADDPD(b, a, a)
	VMOVUPD(a, d.Offset(32))
}

func store(c cplx, d Mem) {
	VMOVUPD(c.r, d)
	VMOVUPD(c.i, d.Offset(32))
}

func load(m Mem) cplx {
	c := newC()
	VMOVUPD(m, c.r)
	VMOVUPD(m.Offset(32), c.i)
	return c
}

// cross adds the cross-products of a pair of columns of one frequency
// bin's segment spectra to a packed cross-spectral matrix: for blocks
// blk < nblk of eight rows i = i0 + 8·blk + l (l < 8) and the columns
// c = j, j+1, it adds Σ_s conj(x_si)·x_sc to d0[8·blk + l] (c = j) and
// d1[8·blk + l] (c = j+1), where x_sc = u[s·ld + c] + i·u[(b+s)·ld + c].
// Each entry is loaded, the segments' products are added to it one at a
// time in segment order, each as Go computes csdOuterAdd's
// (xr·yr + xi·yi, xr·yi − xi·yr) without FMA, and it is stored back: the
// same operations in the same order as the pure-Go path, so the same bits.
// The 8×2 tile keeps its 16 complex sums (8 registers), the rows' four
// vectors and a column's two broadcasts in the 16 YMM registers, so each
// segment costs 4 loads and 4 broadcasts for 16 multiplies and 16 adds.
func cross() {
	TEXT("crossAVX2", NOSPLIT, "func(d0, d1 []complex128, u []float64, ld, b, j, i0, nblk int)")
	Doc("crossAVX2 adds a column pair's cross-products, eight rows at a time; see the generator.")
	d0 := Load(Param("d0").Base(), GP64())
	d1 := Load(Param("d1").Base(), GP64())
	u := Load(Param("u").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	b := Load(Param("b"), GP64())
	j := Load(Param("j"), GP64())
	i0 := Load(Param("i0"), GP64())
	nblk := Load(Param("nblk"), GP64())
	SHLQ(Imm(3), ld) // bytes between segments
	im := GP64()     // bytes from a real part to its imaginary part: 8·b·ld
	MOVQ(ld, im)
	IMULQ(b, im)
	xb := GP64() // the block's first row, segment 0
	LEAQ(Mem{Base: u, Index: i0, Scale: 8}, xb)
	yb := GP64() // column j, segment 0
	LEAQ(Mem{Base: u, Index: j, Scale: 8}, yb)
	TESTQ(nblk, nblk)
	JZ(LabelRef("done"))
	TESTQ(b, b)
	JZ(LabelRef("done"))
	Label("block")
	// Load the tile: per column, two vectors of four real parts and two
	// of four imaginary parts, deinterleaved from complex128.
	var re, imv [2][2]reg.VecVirtual
	for c, d := range []reg.Register{d0, d1} {
		for v := range 2 {
			a, e := YMM(), YMM()
			VMOVUPD(Mem{Base: d, Disp: 64 * v}, a)    // r0 i0 r1 i1
			VMOVUPD(Mem{Base: d, Disp: 64*v + 32}, e) // r2 i2 r3 i3
			lo, hi := YMM(), YMM()
			VPERM2F128(Imm(0x20), e, a, lo) // r0 i0 r2 i2
			VPERM2F128(Imm(0x31), e, a, hi) // r1 i1 r3 i3
			re[c][v], imv[c][v] = YMM(), YMM()
			VUNPCKLPD(hi, lo, re[c][v])  // r0 r1 r2 r3
			VUNPCKHPD(hi, lo, imv[c][v]) // i0 i1 i2 i3
		}
	}
	ps, ys, s := GP64(), GP64(), GP64()
	MOVQ(xb, ps)
	MOVQ(yb, ys)
	MOVQ(b, s)
	Label("seg")
	var xr, xi [2]reg.VecVirtual
	for v := range 2 {
		xr[v], xi[v] = YMM(), YMM()
		VMOVUPD(Mem{Base: ps, Disp: 32 * v}, xr[v])
		VMOVUPD(Mem{Base: ps, Index: im, Scale: 1, Disp: 32 * v}, xi[v])
	}
	for c := range 2 {
		yr, yi := YMM(), YMM()
		VBROADCASTSD(Mem{Base: ys, Disp: 8 * c}, yr)
		VBROADCASTSD(Mem{Base: ys, Index: im, Scale: 1, Disp: 8 * c}, yi)
		for v := range 2 {
			t1, t2 := YMM(), YMM()
			VMULPD(yr, xr[v], t1)
			VMULPD(yi, xi[v], t2)
			VADDPD(t2, t1, t1)
			VADDPD(t1, re[c][v], re[c][v])
			VMULPD(yi, xr[v], t1)
			VMULPD(yr, xi[v], t2)
			VSUBPD(t2, t1, t1)
			VADDPD(t1, imv[c][v], imv[c][v])
		}
	}
	ADDQ(ld, ps)
	ADDQ(ld, ys)
	DECQ(s)
	JNZ(LabelRef("seg"))
	for c, d := range []reg.Register{d0, d1} {
		for v := range 2 {
			lo, hi, t := YMM(), YMM(), YMM()
			VUNPCKLPD(imv[c][v], re[c][v], lo) // r0 i0 r2 i2
			VUNPCKHPD(imv[c][v], re[c][v], hi) // r1 i1 r3 i3
			VPERM2F128(Imm(0x20), hi, lo, t)
			VMOVUPD(t, Mem{Base: d, Disp: 64 * v})
			VPERM2F128(Imm(0x31), hi, lo, t)
			VMOVUPD(t, Mem{Base: d, Disp: 64*v + 32})
		}
	}
	ADDQ(Imm(64), xb)
	ADDQ(Imm(128), d0)
	ADDQ(Imm(128), d1)
	DECQ(nblk)
	JNZ(LabelRef("block"))
	Label("done")
	VZEROUPPER()
	RET()
}

// split4 is the real-FFT split step of four interleaved transforms (lane
// c of block t holds element t of transform c; fft_vec_amd64.go's
// transform4) for k = 1..m−1, vectorised over the four transforms with
// the twiddle w[k] = e^{−2πik/(2m)} broadcast: X[k] = E + w·O with
// E = (Z[k] + conj Z[m−k])/2 and O = (Z[k] − conj Z[m−k])/(2i), in the
// pure-Go order. It stores X[k]'s real and imaginary parts in block k of
// out (8 float64 per block) or, with power, |X[k]|² = re·re + im·im at
// out[4k..4k+3].
func split4(power bool) {
	name := "split4AVX2"
	if power {
		name = "split4PowerAVX2"
	}
	TEXT(name, NOSPLIT, "func(out, z []float64, w []complex128, m int)")
	Doc(name + " is the split step of four interleaved transforms; see the generator.")
	out := Load(Param("out").Base(), GP64())
	z := Load(Param("z").Base(), GP64())
	w := Load(Param("w").Base(), GP64())
	m := Load(Param("m"), GP64())
	zc := GP64() // block m−k
	MOVQ(m, zc)
	SHLQ(Imm(6), zc)
	ADDQ(z, zc)
	SUBQ(Imm(64), zc)
	ADDQ(Imm(64), z) // block k = 1
	ADDQ(Imm(16), w) // w[1]
	if power {
		ADDQ(Imm(32), out)
	} else {
		ADDQ(Imm(64), out)
	}
	n := GP64()
	MOVQ(m, n)
	DECQ(n)
	JLE(LabelRef("done"))
	half, sign := k("half", 0.5), signMask()
	Label("loop")
	zr, zi, cr, ci := YMM(), YMM(), YMM(), YMM()
	VMOVUPD(Mem{Base: z}, zr)
	VMOVUPD(Mem{Base: z, Disp: 32}, zi)
	VMOVUPD(Mem{Base: zc}, cr)
	VMOVUPD(Mem{Base: zc, Disp: 32}, ci)
	er, ei, or, oi := YMM(), YMM(), YMM(), YMM()
	VADDPD(cr, zr, er)
	VMULPD(half, er, er)
	VSUBPD(ci, zi, ei)
	VMULPD(half, ei, ei)
	VADDPD(ci, zi, or)
	VMULPD(half, or, or)
	VSUBPD(cr, zr, oi)
	VXORPD(sign, oi, oi)
	VMULPD(half, oi, oi)
	wr, wi := YMM(), YMM()
	VBROADCASTSD(Mem{Base: w}, wr)
	VBROADCASTSD(Mem{Base: w, Disp: 8}, wi)
	t := YMM()
	VMULPD(wr, or, t)
	VADDPD(t, er, er)
	VMULPD(wi, oi, t)
	VSUBPD(t, er, er)
	VMULPD(wr, oi, t)
	VADDPD(t, ei, ei)
	VMULPD(wi, or, t)
	VADDPD(t, ei, ei)
	if power {
		VMULPD(er, er, er)
		VMULPD(ei, ei, ei)
		VADDPD(ei, er, er)
		VMOVUPD(er, Mem{Base: out})
		ADDQ(Imm(32), out)
	} else {
		VMOVUPD(er, Mem{Base: out})
		VMOVUPD(ei, Mem{Base: out, Disp: 32})
		ADDQ(Imm(64), out)
	}
	ADDQ(Imm(64), z)
	SUBQ(Imm(64), zc)
	ADDQ(Imm(16), w)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// stage0Radix4 is the first stage (stride 1) of a length-M transform
// when M is a multiple of 4: it packs the real input x (t-th complex
// element x[2t] + i·x[2t+1]) and performs the radix-4 butterflies for
// p = 0..4·blocks−1 with m0 = M/4, vectorised over p: twiddles per lane
// from tw (block layout, 24 float64 per block of four p: w1, w2, w3),
// and the four outputs y[4p+k] transposed into y's blocks.
func stage0Radix4() {
	TEXT("stage0Radix4AVX2", NOSPLIT, "func(y, x, tw []float64, m0, blocks int)")
	Doc("stage0Radix4AVX2 is the packing first radix-4 stage; see the generator.")
	y := Load(Param("y").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	tw := Load(Param("tw").Base(), GP64())
	m0 := Load(Param("m0"), GP64())
	nb := Load(Param("blocks"), GP64())
	sm := GP64() // 16·m0: bytes between x[2p] and x[2(p+m0)]
	MOVQ(m0, sm)
	SHLQ(Imm(4), sm)
	sm3 := GP64()
	LEAQ(Mem{Base: sm, Index: sm, Scale: 2}, sm3)
	TESTQ(nb, nb)
	JZ(LabelRef("done"))
	Label("loop")
	ld := func(off Mem) cplx {
		lo, hi := YMM(), YMM()
		VMOVUPD(off, lo)
		VMOVUPD(off.Offset(32), hi)
		c := newC()
		VUNPCKLPD(hi, lo, c.r)
		VUNPCKHPD(hi, lo, c.i)
		VPERMPD(Imm(0xD8), c.r, c.r)
		VPERMPD(Imm(0xD8), c.i, c.i)
		return c
	}
	a0 := ld(Mem{Base: x})
	a2 := ld(Mem{Base: x, Index: sm, Scale: 2})
	b0, b1 := add(a0, a2), sub(a0, a2)
	a1 := ld(Mem{Base: x, Index: sm, Scale: 1})
	a3 := ld(Mem{Base: x, Index: sm3, Scale: 1})
	b2, b3 := add(a1, a3), sub(a1, a3)
	o0 := add(b0, b2)
	o2 := mulTw(sub(b0, b2), Mem{Base: tw, Disp: 64})
	o1 := mulTw(addMinusI(b1, b3), Mem{Base: tw, Disp: 0})
	o3 := mulTw(subMinusI(b1, b3), Mem{Base: tw, Disp: 128})
	transposeStore(o0.r, o1.r, o2.r, o3.r, Mem{Base: y})
	transposeStore(o0.i, o1.i, o2.i, o3.i, Mem{Base: y, Disp: 32})
	ADDQ(Imm(64), x)
	ADDQ(U32(256), y)
	ADDQ(U32(192), tw)
	DECQ(nb)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// mulTw returns t·w for a vector twiddle w in block layout at m.
func mulTw(t cplx, m Mem) cplx {
	c := newC()
	a, b := YMM(), YMM()
	VMULPD(m, t.r, a)
	VMULPD(m.Offset(32), t.i, b)
	VSUBPD(b, a, c.r)
	VMULPD(m.Offset(32), t.r, a)
	VMULPD(m, t.i, b)
	VADDPD(b, a, c.i)
	return c
}

// transposeStore stores the 4×4 transpose of rows r0..r3 (lane i of row
// k is output 4p_i + k) as the real (or imaginary) halves of four blocks
// 64 bytes apart starting at d.
func transposeStore(r0, r1, r2, r3 reg.VecVirtual, d Mem) {
	t0, t1, t2, t3 := YMM(), YMM(), YMM(), YMM()
	VUNPCKLPD(r1, r0, t0) // r0[0] r1[0] r0[2] r1[2]
	VUNPCKHPD(r1, r0, t1) // r0[1] r1[1] r0[3] r1[3]
	VUNPCKLPD(r3, r2, t2)
	VUNPCKHPD(r3, r2, t3)
	u := YMM()
	VPERM2F128(Imm(0x20), t2, t0, u)
	VMOVUPD(u, d)
	VPERM2F128(Imm(0x20), t3, t1, u)
	VMOVUPD(u, d.Offset(64))
	VPERM2F128(Imm(0x31), t2, t0, u)
	VMOVUPD(u, d.Offset(128))
	VPERM2F128(Imm(0x31), t3, t1, u)
	VMOVUPD(u, d.Offset(192))
}

// stage is a radix-r Stockham stage with stride s (a multiple of 4),
// vectorised over q: for p < m and q < s (step 4) it reads
// x[q + s·(p + j·m)], j < r, and writes y[q + s·(r·p + k)], k < r, with
// twiddles tw[p·(r−1) + k − 1] broadcast.
func stage(r int) {
	name := fmt.Sprintf("stageRadix%dAVX2", r)
	TEXT(name, NOSPLIT, "func(y, x []float64, tw []complex128, s, m int)")
	Doc(name + " is a radix-" + fmt.Sprint(r) + " Stockham stage vectorised over q; see the generator.")
	y := Load(Param("y").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	tw := Load(Param("tw").Base(), GP64())
	s := Load(Param("s"), GP64())
	m := Load(Param("m"), GP64())
	ss := GP64() // 16·s: bytes between y[q+s·k] and y[q+s·(k+1)]
	MOVQ(s, ss)
	SHLQ(Imm(4), ss)
	sm := GP64() // 16·s·m: bytes between x[q+s·(p+j·m)] for j and j+1
	MOVQ(ss, sm)
	IMULQ(m, sm)
	var sm3, ss3 reg.GPVirtual
	if r >= 4 {
		sm3 = GP64()
		LEAQ(Mem{Base: sm, Index: sm, Scale: 2}, sm3)
		ss3 = GP64()
		LEAQ(Mem{Base: ss, Index: ss, Scale: 2}, ss3)
	}
	in := func(a reg.Register, j int) Mem {
		switch j {
		case 0:
			return Mem{Base: a}
		case 1:
			return Mem{Base: a, Index: sm, Scale: 1}
		case 2:
			return Mem{Base: a, Index: sm, Scale: 2}
		case 3:
			return Mem{Base: a, Index: sm3, Scale: 1}
		}
		return Mem{Base: a, Index: sm, Scale: 4}
	}
	out := func(o reg.Register, k int) Mem {
		switch k {
		case 0:
			return Mem{Base: o}
		case 1:
			return Mem{Base: o, Index: ss, Scale: 1}
		case 2:
			return Mem{Base: o, Index: ss, Scale: 2}
		case 3:
			return Mem{Base: o, Index: ss3, Scale: 1}
		}
		return Mem{Base: o, Index: ss, Scale: 4}
	}
	TESTQ(m, m)
	JZ(LabelRef("done"))
	Label("ploop")
	q := GP64()
	XORQ(q, q)
	Label("qloop")
	a := GP64()
	LEAQ(Mem{Base: x, Index: q, Scale: 1}, a)
	o := GP64()
	LEAQ(Mem{Base: y, Index: q, Scale: 1}, o)
	bw := func(k int) (reg.VecVirtual, reg.VecVirtual) {
		wr, wi := YMM(), YMM()
		VBROADCASTSD(Mem{Base: tw, Disp: 16 * (k - 1)}, wr)
		VBROADCASTSD(Mem{Base: tw, Disp: 16*(k-1) + 8}, wi)
		return wr, wi
	}
	mulOut := func(t cplx, k int) {
		wr, wi := bw(k)
		mulStore(t, wr, wi, out(o, k))
	}
	switch r {
	case 2:
		a0, a1 := load(in(a, 0)), load(in(a, 1))
		store(add(a0, a1), out(o, 0))
		mulOut(sub(a0, a1), 1)
	case 3:
		// t1 = a1+a2; t2 = a0 − t1/2; d = a1−a2; t3 = −i·s3·d;
		// y0 = a0+t1; y1 = (t2+t3)·w1; y2 = (t2−t3)·w2.
		a0, a1, a2 := load(in(a, 0)), load(in(a, 1)), load(in(a, 2))
		t1 := add(a1, a2)
		d := sub(a1, a2)
		store(add(a0, t1), out(o, 0))
		h := newC()
		VMULPD(k("half", 0.5), t1.r, h.r)
		VMULPD(k("half", 0.5), t1.i, h.i)
		t2 := sub(a0, h)
		t3 := newC()
		VMULPD(k("s3", math.Sin(2*math.Pi/3)), d.i, t3.r)
		VMULPD(k("negs3", -math.Sin(2*math.Pi/3)), d.r, t3.i)
		mulOut(add(t2, t3), 1)
		mulOut(sub(t2, t3), 2)
	case 4:
		a0, a2 := load(in(a, 0)), load(in(a, 2))
		b0, b1 := add(a0, a2), sub(a0, a2)
		a1, a3 := load(in(a, 1)), load(in(a, 3))
		b2, b3 := add(a1, a3), sub(a1, a3)
		store(add(b0, b2), out(o, 0))
		mulOut(sub(b0, b2), 2)
		mulOut(addMinusI(b1, b3), 1)
		mulOut(subMinusI(b1, b3), 3)
	case 5:
		c1, c2 := k("c1", 0.30901699437494742410), k("c2", -0.80901699437494742410)
		s1, s2 := k("s1", 0.95105651629515357212), k("s2", 0.58778525229247312917)
		a0 := load(in(a, 0))
		a1, a4 := load(in(a, 1)), load(in(a, 4))
		b1, d1 := add(a1, a4), sub(a1, a4)
		a2, a3 := load(in(a, 2)), load(in(a, 3))
		b2, d2 := add(a2, a3), sub(a2, a3)
		store(add(add(a0, b1), b2), out(o, 0))
		// e1 = a0 + c1·b1 + c2·b2, e2 = a0 + c2·b1 + c1·b2 (left to right).
		lin := func(a0, u, v cplx, cu, cv Mem) cplx {
			e := newC()
			t := YMM()
			VMULPD(cu, u.r, t)
			VADDPD(t, a0.r, e.r)
			VMULPD(cv, v.r, t)
			VADDPD(t, e.r, e.r)
			VMULPD(cu, u.i, t)
			VADDPD(t, a0.i, e.i)
			VMULPD(cv, v.i, t)
			VADDPD(t, e.i, e.i)
			return e
		}
		e1 := lin(a0, b1, b2, c1, c2)
		e2 := lin(a0, b1, b2, c2, c1)
		// f1 = s1·d1 + s2·d2, f2 = s2·d1 − s1·d2.
		f := func(cu, cv Mem, plus bool) cplx {
			e := newC()
			t := YMM()
			VMULPD(cu, d1.r, e.r)
			VMULPD(cv, d2.r, t)
			if plus {
				VADDPD(t, e.r, e.r)
			} else {
				VSUBPD(t, e.r, e.r)
			}
			VMULPD(cu, d1.i, e.i)
			VMULPD(cv, d2.i, t)
			if plus {
				VADDPD(t, e.i, e.i)
			} else {
				VSUBPD(t, e.i, e.i)
			}
			return e
		}
		f1 := f(s1, s2, true)
		mulOut(addMinusI(e1, f1), 1)
		mulOut(subMinusI(e1, f1), 4)
		f2 := f(s2, s1, false)
		mulOut(addMinusI(e2, f2), 2)
		mulOut(subMinusI(e2, f2), 3)
	}
	ADDQ(Imm(64), q)
	CMPQ(q, ss)
	JL(LabelRef("qloop"))
	ADDQ(ss, x)
	switch r {
	case 2:
		LEAQ(Mem{Base: y, Index: ss, Scale: 2}, y)
	case 3:
		LEAQ(Mem{Base: y, Index: ss, Scale: 2}, y)
		ADDQ(ss, y)
	case 4:
		LEAQ(Mem{Base: y, Index: ss, Scale: 4}, y)
	case 5:
		LEAQ(Mem{Base: y, Index: ss, Scale: 4}, y)
		ADDQ(ss, y)
	}
	ADDQ(U32(16*(r-1)), tw)
	DECQ(m)
	JNZ(LabelRef("ploop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// split is the real-FFT split step for k = 0..m−1 (the caller fixes k = 0
// and k = m): from the length-m transform z (block layout) of the
// even/odd-packed input and the twiddles w[k] = e^{−2πik/(2m)} (block
// layout), X[k] = E + w·O with E = (Z[k] + conj Z[m−k])/2 and
// O = (Z[k] − conj Z[m−k])/(2i). It stores X[k] as complex128 in dst or,
// with power, adds |X[k]|² to dst[k] (float64).
func split(power bool) {
	name, sig := "splitAVX2", "func(dst []complex128, z, w []float64, m int)"
	if power {
		name, sig = "splitPowerAVX2", "func(dst, z, w []float64, m int)"
	}
	TEXT(name, NOSPLIT, sig)
	Doc(name + " is the vectorised real-FFT split step; see the generator.")
	dst := Load(Param("dst").Base(), GP64())
	z := Load(Param("z").Base(), GP64())
	w := Load(Param("w").Base(), GP64())
	m := Load(Param("m"), GP64())
	// zk walks blocks forward from 0; prev walks backward from the last
	// block; next is the block after prev (block 0 for the first).
	zk := GP64()
	MOVQ(z, zk)
	prev := GP64()
	MOVQ(m, prev)
	SHLQ(Imm(4), prev) // 16·m bytes: the end of z
	ADDQ(z, prev)
	SUBQ(Imm(64), prev)
	next := GP64()
	MOVQ(z, next)
	nb := GP64()
	MOVQ(m, nb)
	SHRQ(Imm(2), nb)
	TESTQ(nb, nb)
	JZ(LabelRef("done"))
	half, sign := k("half", 0.5), signMask()
	Label("loop")
	zr, zi := YMM(), YMM()
	VMOVUPD(Mem{Base: zk}, zr)
	VMOVUPD(Mem{Base: zk, Disp: 32}, zi)
	// zc = Z[m−k] for the four k: lane 0 from next's lane 0, lanes 1..3
	// from prev's lanes 3, 2, 1.
	cr, ci := YMM(), YMM()
	VPERMPD(Imm(0x6F), Mem{Base: prev}, cr)
	VBLENDPD(Imm(1), Mem{Base: next}, cr, cr)
	VPERMPD(Imm(0x6F), Mem{Base: prev, Disp: 32}, ci)
	VBLENDPD(Imm(1), Mem{Base: next, Disp: 32}, ci, ci)
	er, ei, or, oi := YMM(), YMM(), YMM(), YMM()
	VADDPD(cr, zr, er)
	VMULPD(half, er, er)
	VSUBPD(ci, zi, ei)
	VMULPD(half, ei, ei)
	VADDPD(ci, zi, or)
	VMULPD(half, or, or)
	VSUBPD(cr, zr, oi)
	VXORPD(sign, oi, oi)
	VMULPD(half, oi, oi)
	// re = (er + wr·or) − wi·oi; im = (ei + wr·oi) + wi·or.
	wr, wi := YMM(), YMM()
	VMOVUPD(Mem{Base: w}, wr)
	VMOVUPD(Mem{Base: w, Disp: 32}, wi)
	t := YMM()
	VMULPD(wr, or, t)
	VADDPD(t, er, er)
	VMULPD(wi, oi, t)
	VSUBPD(t, er, er)
	VMULPD(wr, oi, t)
	VADDPD(t, ei, ei)
	VMULPD(wi, or, t)
	VADDPD(t, ei, ei)
	if power {
		VMULPD(er, er, er)
		VMULPD(ei, ei, ei)
		VADDPD(ei, er, er)
		VADDPD(Mem{Base: dst}, er, er)
		VMOVUPD(er, Mem{Base: dst})
		ADDQ(Imm(32), dst)
	} else {
		lo, hi := YMM(), YMM()
		VUNPCKLPD(ei, er, lo) // r0 i0 r2 i2
		VUNPCKHPD(ei, er, hi) // r1 i1 r3 i3
		VPERM2F128(Imm(0x20), hi, lo, t)
		VMOVUPD(t, Mem{Base: dst})
		VPERM2F128(Imm(0x31), hi, lo, t)
		VMOVUPD(t, Mem{Base: dst, Disp: 32})
		ADDQ(Imm(64), dst)
	}
	MOVQ(prev, next)
	SUBQ(Imm(64), prev)
	ADDQ(Imm(64), zk)
	ADDQ(Imm(64), w)
	DECQ(nb)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// sum returns Σ x[i] over the first 16·⌊len(x)/16⌋ elements in a fixed
// order that sum16 in ../../vec.go reproduces: sixteen running sums
// acc[j] = Σ_b x[16b + j], then v[l] = (acc[l] + acc[4+l]) +
// (acc[8+l] + acc[12+l]), then (v[0] + v[2]) + (v[1] + v[3]).
func sum() {
	TEXT("sumAVX2", NOSPLIT, "func(x []float64) float64")
	Doc("sumAVX2 is the blocked sum of sum16; see the generator.")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	SHRQ(Imm(4), n)
	acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, a := range acc {
		VXORPD(a, a, a)
	}
	TESTQ(n, n)
	JZ(LabelRef("reduce"))
	Label("loop")
	for i, a := range acc {
		VADDPD(Mem{Base: x, Disp: 32 * i}, a, a)
	}
	ADDQ(Imm(128), x)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("reduce")
	VADDPD(acc[1], acc[0], acc[0])
	VADDPD(acc[3], acc[2], acc[2])
	VADDPD(acc[2], acc[0], acc[0])
	hi := XMM()
	VEXTRACTF128(Imm(1), acc[0], hi)
	lo := acc[0].AsX()
	VADDPD(hi, lo, lo) // (v0+v2, v1+v3)
	h := XMM()
	VPERMILPD(Imm(1), lo, h)
	VADDSD(h, lo, lo)
	Store(lo, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// subMul sets dst[i] = (x[i] − c)·w[i] for the first 4·⌊len(dst)/4⌋
// elements: a segment's mean removal and taper.
func subMul() {
	TEXT("subMulAVX2", NOSPLIT, "func(dst, x, w []float64, c float64)")
	Doc("subMulAVX2 sets dst[i] = (x[i] − c)·w[i] for whole blocks of 4; see the generator.")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	w := Load(Param("w").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	SHRQ(Imm(2), n)
	cx := Load(Param("c"), XMM())
	c := YMM()
	VBROADCASTSD(cx, c)
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("loop")
	t := YMM()
	VMOVUPD(Mem{Base: x}, t)
	VSUBPD(c, t, t)
	VMULPD(Mem{Base: w}, t, t)
	VMOVUPD(t, Mem{Base: dst})
	ADDQ(Imm(32), x)
	ADDQ(Imm(32), w)
	ADDQ(Imm(32), dst)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
