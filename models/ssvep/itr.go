package ssvep

import (
	"fmt"
	"math"
)

// BitsPerSelection returns the information one selection carries by the
// Wolpaw formula (Wolpaw et al. 2002), for classes ≥ 2 equally likely
// targets chosen with accuracy p:
//
//	B = log2 N + P·log2 P + (1−P)·log2((1−P)/(N−1))   bits.
//
// Limits and clamp: at P = 1 the last term is 0 (lim x·log x = 0), so
// B = log2 N; at P = 1/N, B = 0; for P < 1/N the formula turns positive
// again (systematic errors would carry information the user cannot
// exploit), so B is clamped to 0 for every P ≤ 1/N, as BCI papers report
// below-chance ITR. classes < 2 or p outside [0, 1] panics.
func BitsPerSelection(classes int, p float64) float64 {
	if classes < 2 {
		panic(fmt.Sprintf("ssvep: ITR of %d classes", classes))
	}
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("ssvep: ITR accuracy %v outside [0, 1]", p))
	}
	n := float64(classes)
	if p <= 1/n {
		return 0
	}
	b := math.Log2(n) + p*math.Log2(p)
	if p < 1 {
		b += (1 - p) * math.Log2((1-p)/(n-1))
	}
	return max(b, 0)
}

// ITR returns the Wolpaw information transfer rate in bits/min:
// BitsPerSelection(classes, p)·60/T, where T is the time per selection in
// seconds, including the gaze shift (and any pause) between selections:
// for SSVEP, T = window length + gaze-shift time (0.5 s in Chen et al.
// 2015 and Nakanishi et al. 2018). T ≤ 0 or non-finite panics.
func ITR(classes int, p, seconds float64) float64 {
	if !(seconds > 0) || math.IsInf(seconds, 0) {
		panic(fmt.Sprintf("ssvep: ITR selection time %v s", seconds))
	}
	return BitsPerSelection(classes, p) * 60 / seconds
}
