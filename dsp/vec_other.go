//go:build !amd64 || purego

package dsp

// useAVX2 is false: this build has no vector kernels (another
// architecture, or -tags purego), so everything runs in pure Go.
var useAVX2 = false

// useCross is false: the CSD sums run on csdOuterAdd and gonum's dgemv.
var useCross = false

func sumBlocks(x []float64) float64         { return sumBlocksGo(x) }
func subMul(dst, x, w []float64, c float64) { subMulGo(dst, x, w[:len(dst)], c) }
func cross(d0, d1 []complex128, u []float64, ld, b, j, i0, nblk int) {
	crossGo(d0, d1, u, ld, b, j, i0, nblk)
}
