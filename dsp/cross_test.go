package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// sameBitsC reports whether a and b are equal to the bit, or both NaN.
func sameBitsC(a, b complex128) bool {
	eq := func(x, y float64) bool {
		return math.Float64bits(x) == math.Float64bits(y) || (math.IsNaN(x) && math.IsNaN(y))
	}
	return eq(real(a), real(b)) && eq(imag(a), imag(b))
}

// crossRandom returns a bin's spectra for the cross kernel: 2b rows of ld
// values, normal with magnitudes spread over 10^±6 so that rounding
// differs between orders of operations.
func crossRandom(r *rand.Rand, ld, b int) []float64 {
	u := make([]float64, 2*b*ld)
	for i := range u {
		u[i] = r.NormFloat64() * math.Pow(10, 12*r.Float64()-6)
	}
	return u
}

// TestCrossKernel checks the AVX2 kernel against crossGo, its pure-Go
// form, on random spectra, strides, segment counts (odd ones included),
// row offsets and block counts: the kernel performs crossGo's operations
// in crossGo's order without FMA, so the results must agree to the bit.
func TestCrossKernel(t *testing.T) {
	if !useAVX2 {
		t.Skip("no cross kernel in this build or on this CPU (pure-Go path only)")
	}
	r := rand.New(rand.NewPCG(18, 1))
	for trial := range 300 {
		ld := 8 * (1 + r.IntN(9))
		b := 1 + r.IntN(13)
		nblkMax := ld / 8
		nblk := r.IntN(nblkMax + 1)
		i0 := 8 * r.IntN(nblkMax-nblk+1)
		j := r.IntN(ld - 1)
		u := crossRandom(r, ld, b)
		d0, d1 := make([]complex128, 8*nblk+3), make([]complex128, 8*nblk+3)
		for i := range d0 {
			d0[i] = complex(r.NormFloat64(), r.NormFloat64())
			d1[i] = complex(r.NormFloat64(), r.NormFloat64())
		}
		w0, w1 := append([]complex128(nil), d0...), append([]complex128(nil), d1...)
		crossGo(w0, w1, u, ld, b, j, i0, nblk)
		cross(d0, d1, u, ld, b, j, i0, nblk) // crossAVX2, useAVX2 being set
		for i := range d0 {
			if !sameBitsC(d0[i], w0[i]) || !sameBitsC(d1[i], w1[i]) {
				t.Fatalf("trial %d (ld %d, b %d, j %d, i0 %d, nblk %d) row %d: kernel %v %v, pure Go %v %v",
					trial, ld, b, j, i0, nblk, i, d0[i], d1[i], w0[i], w1[i])
			}
		}
	}
}

// TestCrossSums checks crossScratch.add, the packed triangle through the
// kernel in column pairs with tiles on the diagonal, against csdOuterAdd
// segment after segment: bit for bit, for channel counts that leave every
// tail (odd counts, partial blocks of eight, one column short of a pair)
// and for the kernel and its pure-Go form.
func TestCrossSums(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 2))
	paths := []bool{false}
	if useAVX2 {
		paths = append(paths, true)
	}
	defer func(v bool) { useAVX2 = v }(useAVX2)
	for _, vec := range paths {
		useAVX2 = vec
		for _, n := range []int{1, 2, 3, 5, 7, 8, 9, 10, 15, 16, 17, 19, 23, 24, 31, 33, 64, 65} {
			for _, b := range []int{1, 2, 3, 7} {
				t.Run(fmt.Sprintf("avx2=%v/n=%d/b=%d", vec, n, b), func(t *testing.T) {
					ld := crossStride(n)
					u := crossRandom(r, ld, b)
					np := n * (n + 1) / 2
					want := make([]complex128, np)
					for i := range want {
						want[i] = complex(r.NormFloat64(), r.NormFloat64())
					}
					got := append([]complex128(nil), want...)
					for s := range b {
						csdOuterAdd(want, u[s*ld:s*ld+n], u[(b+s)*ld:(b+s)*ld+n])
					}
					var xs crossScratch
					xs.add(got, u, n, ld, b)
					for j := range n {
						for i := 0; i <= j; i++ {
							p := CSDPackedIndex(i, j)
							if !sameBitsC(got[p], want[p]) {
								t.Fatalf("(%d,%d): %v, csdOuterAdd %v", i, j, got[p], want[p])
							}
						}
					}
				})
			}
		}
	}
}

// TestCSDCrossPaths checks CSD.Compute, CSDStream.Compute and
// CSDAccumulator with the cross kernel against the same plans without it:
// equal to the bit where the fallback is csdOuterAdd (fewer than
// csdGemvChannels channels or csdGemvSegments segments a batch), within
// 1e-12 of √(S_ii·S_jj) where it is gonum's dgemv, which sums each batch
// in another order.
func TestCSDCrossPaths(t *testing.T) {
	if !useCross {
		t.Skip("no cross kernel in this build or on this CPU (pure-Go path only)")
	}
	defer func(v bool) { useCross = v }(useCross)
	for _, ch := range []int{3, 19, 24, 64} {
		for _, samples := range []int{64, 96, 32 * 9, 32 * 40} {
			plan, err := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 100, SegmentLen: 64}, Channels: ch})
			if err != nil {
				t.Fatal(err)
			}
			x := csdRandom(ch, samples)
			nseg := plan.Segments(samples)
			run := func(on bool) (oneShot, stream, acc *CSDMatrix) {
				useCross = on
				oneShot = plan.Compute(nil, x)
				stream = plan.NewStream().Compute(nil, x, 0)
				a := plan.NewAccumulator()
				var sp []*SegmentSpectra
				for s := range nseg {
					sp = append(sp, plan.Spectra(nil, x, s*plan.Step()))
				}
				a.Accumulate(sp...)
				return oneShot, stream, a.Result(nil)
			}
			g0, g1, g2 := run(true)
			w0, w1, w2 := run(false)
			exact := ch < csdGemvChannels || min(plan.batch, nseg) < csdGemvSegments
			for m, pair := range [][2]*CSDMatrix{{g0, w0}, {g1, w1}, {g2, w2}} {
				got, want := pair[0], pair[1]
				for f := range got.Bins() {
					for j := range ch {
						for i := 0; i <= j; i++ {
							a, w := got.At(f, i, j), want.At(f, i, j)
							if m == 2 || exact { // the accumulator's fallback is csdOuterAdd
								if !sameBitsC(a, w) {
									t.Fatalf("%d ch, %d segments, result %d, bin %d (%d,%d): kernel %v, pure Go %v", ch, nseg, m, f, i, j, a, w)
								}
								continue
							}
							scale := math.Sqrt(real(want.At(f, i, i)) * real(want.At(f, j, j)))
							if cmplx.Abs(a-w) > 1e-12*scale {
								t.Fatalf("%d ch, %d segments, result %d, bin %d (%d,%d): kernel %v, gemv %v", ch, nseg, m, f, i, j, a, w)
							}
						}
					}
				}
			}
		}
	}
}
