//go:build !amd64 || purego

package dsp

// useAVX2 is false: this build has no vector kernels (another
// architecture, or -tags purego), so everything runs in pure Go.
var useAVX2 = false

func sumBlocks(x []float64) float64         { return sumBlocksGo(x) }
func subMul(dst, x, w []float64, c float64) { subMulGo(dst, x, w[:len(dst)], c) }
