//go:build !amd64 || purego

package dsp

// vectorFFT is false: this build has no vector kernels (another
// architecture, or -tags purego); RealFFT runs its pure-Go path.
var vectorFFT = false

// vecPlan is empty without vector kernels.
type vecPlan struct{ on bool }

func (f *RealFFT) initVector()                                      {}
func (f *RealFFT) vectorCoefficients(dst []complex128, x []float64) { panic("dsp: no vector FFT") }
func (f *RealFFT) vectorAddPower(dst, x []float64)                  { panic("dsp: no vector FFT") }
