package records

import (
	"math"
	"strings"
)

// Kind is how a channel's samples reach the output grid.
type Kind int

const (
	// Same: one stored sample per output sample.
	Same Kind = iota
	// Masked: a stim channel at the grid's rate, truncated and masked to
	// 17 bits (see StimMask).
	Masked
	// Held: a stim channel at another rate, held within each record (see
	// ZeroHold).
	Held
	// Resampled: a lower-rate signal channel, FFT-upsampled (each format
	// says over what span).
	Resampled
)

// KindOf returns the Kind of a channel with n samples per record on a
// grid of spr, as MNE brings each kind to the grid.
func KindOf(n, spr int64, stim bool) Kind {
	switch {
	case n == spr && stim:
		return Masked
	case n == spr:
		return Same
	case stim:
		return Held
	}
	return Resampled
}

// ZeroHold returns, for each of m output samples of a record, the input
// sample (of n) that MNE's zero-order hold picks for a stim channel:
// scipy's interp1d(np.linspace(0, 1, n+1), kind="zero") evaluated at
// np.linspace(0, 1, m, endpoint=False), on the same floating-point grid.
func ZeroHold(n, m int) []int32 {
	idx := make([]int32, m)
	stepN, stepM := 1/float64(n), 1/float64(m)
	i := 0
	for j := range idx {
		x := float64(j) * stepM
		for i+1 < n && float64(i+1)*stepN <= x {
			i++
		}
		idx[j] = int32(i)
	}
	return idx
}

// StimMask is MNE's np.bitwise_and(x.astype(int), 2**17 - 1) for a stim
// channel at the full rate: truncation toward zero, then the low 17 bits.
func StimMask(v float64) float64 {
	if math.IsNaN(v) || v >= 9.223372036854775807e18 || v < -9.223372036854775808e18 {
		// numpy's out-of-range conversion gives INT64_MIN, whose low
		// bits are 0.
		return 0
	}
	return float64(int64(v) & (1<<17 - 1))
}

// Calibration returns MNE's cal and offset of a channel: cal = physical
// range / digital range, with an undefined (zero or non-finite) digital
// range or a zero physical range taken as 1, and offset = physMin −
// digMin·cal, each operation rounded (no fused multiply-add), so that
// (d·cal + offset)·gain is the value MNE computes. digRange is passed in
// because a format may compute it its own way (GDF 1 in wrapping int64).
func Calibration(physMin, physMax, digMin, digRange float64) (cal, offset float64) {
	phys := physMax - physMin
	if phys == 0 {
		phys = 1
	}
	if digRange == 0 || math.IsNaN(digRange) || math.IsInf(digRange, 0) {
		digRange = 1
	}
	cal = phys / digRange
	return cal, physMin - float64(digMin*cal)
}

// StimChannels marks MNE's default stim channels (stim_channel="auto"
// for EDF, the GDF reader's choice): the first channel named "status" and
// the first named "trigger", in any case.
func StimChannels(labels []string) []bool {
	stim := make([]bool, len(labels))
	seen := map[string]bool{}
	for i, l := range labels {
		low := strings.ToLower(l)
		if (low == "status" || low == "trigger") && !seen[low] {
			seen[low] = true
			stim[i] = true
		}
	}
	return stim
}
