package dsp

import "fmt"

// useDst returns dst, or a new slice of n elements when dst is nil. Any
// other length is a programmer mistake and panics with a message naming
// the operation op ("Welch.PSD") and both lengths, as gonum's FFT does.
func useDst[T any](dst []T, n int, op string) []T { return useOut(dst, n, op, "dst") }

// useOut is useDst for an output argument named arg.
func useOut[T any](s []T, n int, op, arg string) []T {
	if s == nil {
		return make([]T, n)
	}
	if len(s) != n {
		panic(fmt.Sprintf("dsp: %s: len(%s) = %d, want %d", op, arg, len(s), n))
	}
	return s
}

// checkLen panics unless got == want, naming the operation op and the
// argument arg: "dsp: RealFFT.Coefficients: len(x) = 12, want 8".
func checkLen(op, arg string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("dsp: %s: len(%s) = %d, want %d", op, arg, got, want))
	}
}

// checkMinLen panics unless got ≥ want; why names the bound
// ("SegmentLen").
func checkMinLen(op, arg string, got, want int, why string) {
	if got < want {
		panic(fmt.Sprintf("dsp: %s: len(%s) = %d, want ≥ %d (%s)", op, arg, got, want, why))
	}
}

// checkChannel panics unless 0 ≤ ch < n.
func checkChannel(op string, ch, n int) {
	if ch < 0 || ch >= n {
		panic(fmt.Sprintf("dsp: %s: channel %d out of range [0, %d)", op, ch, n))
	}
}

// checkRows panics unless x has n rows of equal length, and returns that
// length (0 for no rows).
func checkRows(op string, x [][]float64, n int) int {
	checkLen(op, "x", len(x), n)
	if len(x) == 0 {
		return 0
	}
	for c, row := range x[1:] {
		if len(row) != len(x[0]) {
			panic(fmt.Sprintf("dsp: %s: len(x[%d]) = %d, want %d (len(x[0]))", op, c+1, len(row), len(x[0])))
		}
	}
	return len(x[0])
}

// useRows returns dst, or a new slice of rows when dst is nil, with a new
// row of n elements for each nil row. A wrong row count or row length
// panics naming op.
func useRows(dst [][]float64, rows, n int, op string) [][]float64 {
	dst = useDst(dst, rows, op)
	for c := range dst {
		if dst[c] == nil {
			dst[c] = make([]float64, n)
		} else if len(dst[c]) != n {
			panic(fmt.Sprintf("dsp: %s: len(dst[%d]) = %d, want %d", op, c, len(dst[c]), n))
		}
	}
	return dst
}
