//go:build !amd64 || purego

package dsp

// vecPlan is empty without vector kernels.
type vecPlan struct{ on bool }

func (f *RealFFT) initVector()                                      {}
func (f *RealFFT) vectorCoefficients(dst []complex128, x []float64) { panic("dsp: no vector FFT") }
func (f *RealFFT) vectorAddPower(dst, x []float64)                  { panic("dsp: no vector FFT") }

func (f *RealFFT) on4() bool                                           { return false }
func (f *RealFFT) addPower4(dst *[4][]float64, x *[4][]float64)        { panic("dsp: no vector FFT") }
func (f *RealFFT) coefficients4(dst *[4][]complex128, x *[4][]float64) { panic("dsp: no vector FFT") }
