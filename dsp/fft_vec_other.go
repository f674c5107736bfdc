//go:build !amd64 || purego

package dsp

// vecPlan is empty without vector kernels.
type vecPlan struct{ on bool }

func (f *RealFFT) initVector()                                      {}
func (f *RealFFT) vectorCoefficients(dst []complex128, x []float64) { panic("dsp: no vector FFT") }
func (f *RealFFT) vectorAddPower(dst, x []float64)                  { panic("dsp: no vector FFT") }
