package xdf

import (
	"fmt"
	"math"
	"slices"
)

// Sync configures what load_xdf calls clock synchronisation and jitter
// removal. The zero value is pyxdf's defaults: both on, with clock reset
// handling.
type Sync struct {
	// NoClockSync leaves every stream's time stamps on its own clock
	// (pyxdf's synchronize_clocks=False). Default: false (synchronise).
	NoClockSync bool
	// NoClockResets fits one clock offset model to a whole stream
	// instead of one per stretch between clock resets
	// (handle_clock_resets=False). Default: false (detect resets).
	NoClockResets bool
	// NoDejitter keeps the time stamps of regular streams as written
	// (dejitter_timestamps=False). Default: false (dejitter).
	NoDejitter bool

	// JitterBreakSeconds and JitterBreakSamples: a gap between two time
	// stamps of a regular stream longer than both this many seconds and
	// this many sample intervals splits it into segments dejittered
	// separately (jitter_break_threshold_seconds, _samples).
	// Default: 1 s and 500 samples.
	JitterBreakSeconds float64
	JitterBreakSamples float64

	// ClockResetSeconds, ClockResetStds, ClockResetOffsetSeconds and
	// ClockResetOffsetStds: a clock reset is where the interval between
	// two ClockOffset chunks goes backwards, or both lies this many
	// seconds and median absolute deviations from the median interval
	// and changes the offset by this many seconds and deviations
	// (clock_reset_threshold_seconds, _stds, _offset_seconds,
	// _offset_stds). Default: 5 s, 5, 1 s, 10.
	ClockResetSeconds       float64
	ClockResetStds          float64
	ClockResetOffsetSeconds float64
	ClockResetOffsetStds    float64

	// WinsorThreshold is the residual in seconds beyond which the robust
	// (Huber) fit of clock offsets treats a measurement as an outlier
	// (winsor_threshold). Default: 0.0001.
	WinsorThreshold float64
}

func (o Sync) withDefaults() Sync {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.JitterBreakSeconds, 1)
	def(&o.JitterBreakSamples, 500)
	def(&o.ClockResetSeconds, 5)
	def(&o.ClockResetStds, 5)
	def(&o.ClockResetOffsetSeconds, 1)
	def(&o.ClockResetOffsetStds, 10)
	def(&o.WinsorThreshold, 0.0001)
	return o
}

// Validate reports a negative or non-finite threshold, naming the field.
func (o Sync) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"JitterBreakSeconds", o.JitterBreakSeconds}, {"JitterBreakSamples", o.JitterBreakSamples},
		{"ClockResetSeconds", o.ClockResetSeconds}, {"ClockResetStds", o.ClockResetStds},
		{"ClockResetOffsetSeconds", o.ClockResetOffsetSeconds}, {"ClockResetOffsetStds", o.ClockResetOffsetStds},
		{"WinsorThreshold", o.WinsorThreshold},
	} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("xdf: Sync.%s %v: want a finite value ≥ 0", f.name, f.v)
		}
	}
	return nil
}

// process does to every stream what load_xdf does after reading: drop the
// pylsl#67 garbage, synchronise clocks, dejitter.
func process(f *File, o Sync, warn func(format string, args ...any)) {
	o = o.withDefaults()
	if !o.NoClockSync {
		for _, s := range f.Streams {
			truncateCorruptedOffsets(s, warn)
		}
		for _, s := range f.Streams {
			clockSync(s, o, warn)
		}
	}
	for _, s := range f.Streams {
		if o.NoDejitter {
			s.EffectiveRate = 0
			if n := len(s.Timestamps); n > 0 {
				if s.NominalRate != 0 && n > 1 {
					s.EffectiveRate = float64(n-1) / (s.Timestamps[n-1] - s.Timestamps[0])
				}
				s.Segments = append(s.Segments, [2]int{0, n - 1})
			}
			continue
		}
		dejitter(s, o, warn)
	}
}

// truncateCorruptedOffsets undoes the pylsl#67 / liblsl#246 bug as pyxdf's
// _truncate_corrupted_offsets does: when a stream has more samples than
// its footer's sample_count and its last clock offset is an outlier, both
// the extra samples and that offset go.
func truncateCorruptedOffsets(s *Stream, warn func(string, ...any)) {
	count, ok := s.footerSampleCount()
	if !ok || len(s.Timestamps) <= count || count < 0 {
		return
	}
	if len(s.ClockTimes) < 3 || !corruptedLastOffset(s.ClockTimes, s.ClockValues) {
		return
	}
	warn("stream %d: the last clock offset is an outlier and the stream has %d samples, its footer says %d: both truncated (pylsl#67)", s.ID, len(s.Timestamps), count)
	s.ClockTimes = s.ClockTimes[:len(s.ClockTimes)-1]
	s.ClockValues = s.ClockValues[:len(s.ClockValues)-1]
	s.truncate(count)
}

// corruptedLastOffset is pyxdf's _detect_corrupted_clock_offset: the last
// interval between offsets is over 10 times the median of the others, or
// the last value lies over 10 scaled MADs from the median of the others.
func corruptedLastOffset(times, values []float64) bool {
	n := len(times)
	intervals := make([]float64, n-1)
	for i := range intervals {
		intervals[i] = times[i+1] - times[i]
	}
	medInterval := median(intervals[:len(intervals)-1])
	last := math.Abs(intervals[len(intervals)-1])
	var ratio float64
	switch {
	case medInterval > 0:
		ratio = last / medInterval
	case last > 0:
		ratio = math.Inf(1)
	default:
		ratio = 1
	}
	medValue := median(values[:n-1])
	dev := make([]float64, n-1)
	for i := range dev {
		dev[i] = math.Abs(values[i] - medValue)
	}
	mad := median(dev)
	z := 0.0
	if mad > eps {
		z = math.Abs(values[n-1]-medValue) / (1.4826 * mad)
	}
	return ratio > 10 || z > 10
}

// eps is numpy's finfo(float).eps.
const eps = 0x1p-52

// median is numpy's median: the middle value, or the mean of the two
// middle values, NaN if any value is NaN.
func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	for _, v := range s {
		if math.IsNaN(v) {
			return math.NaN()
		}
	}
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// clockSync is pyxdf's _clock_sync for one stream: fit offset = a + b·t
// to the ClockOffset measurements (robustly, once per stretch between
// clock resets) and add the fitted offset to every time stamp.
func clockSync(s *Stream, o Sync, warn func(string, ...any)) {
	ts, ct, cv := s.Timestamps, s.ClockTimes, s.ClockValues
	if len(ts) == 0 || len(ct) == 0 {
		return
	}
	ranges := [][2]int{{0, len(ct) - 1}}
	if !o.NoClockResets && len(ct) > 1 {
		ranges = clockResets(ct, cv, o)
	}
	coef := make([][2]float64, len(ranges))
	for i, r := range ranges {
		if r[0] == r[1] {
			coef[i] = [2]float64{cv[r[0]], 0}
			continue
		}
		c, ok := robustFit(ct[r[0]:r[1]+1], cv[r[0]:r[1]+1], o.WinsorThreshold)
		if !ok {
			warn("stream %d: clock offsets %d to %d cannot be used for synchronisation", s.ID, r[0], r[1])
		}
		coef[i] = c
	}
	if len(ranges) == 1 {
		c := coef[0]
		for k := range ts {
			ts[k] += c[0] + c[1]*ts[k]
		}
		s.ClockSegments = append(s.ClockSegments, [2]int{0, len(ts) - 1})
		return
	}
	// Time stamps are taken to increase: a stretch ends at the first
	// time stamp closer to the next stretch's first offset than to its
	// own last one.
	start := 0
	for i, r := range ranges {
		stop := len(ts)
		if next := r[1] + 1; next < len(ct) {
			end, nextStart := ct[r[1]], ct[next]
			stop = start
			for stop < len(ts) && math.Abs(ts[stop]-end) < math.Abs(ts[stop]-nextStart) {
				stop++
			}
		}
		if start == stop {
			warn("stream %d: no samples in clock offsets %d to %d, skipped", s.ID, r[0], r[1])
			continue
		}
		s.ClockSegments = append(s.ClockSegments, [2]int{start, stop - 1})
		c := coef[i]
		for k := start; k < stop; k++ {
			ts[k] += c[0] + c[1]*ts[k]
		}
		start = stop
	}
}

// clockResets is pyxdf's _detect_clock_resets: the clock offset index
// ranges (inclusive) between resets.
func clockResets(ct, cv []float64, o Sync) [][2]int {
	n := len(ct) - 1
	td, vd := make([]float64, n), make([]float64, n)
	for i := range n {
		td[i] = ct[i+1] - ct[i]
		vd[i] = cv[i+1] - cv[i]
	}
	tg := glitches(td, o.ClockResetStds, o.ClockResetSeconds)
	vg := glitches(vd, o.ClockResetOffsetStds, o.ClockResetOffsetSeconds)
	breaks := make([]bool, n)
	for i := range breaks {
		breaks[i] = td[i] < 0 || (tg[i] && vg[i])
	}
	return segmentIndices(breaks)
}

// glitches is pyxdf's _segment_clock_diff: differences further than
// thStds median absolute deviations and thSecs seconds from the median.
func glitches(d []float64, thStds, thSecs float64) []bool {
	med := median(d)
	shift := make([]float64, len(d))
	abs := make([]float64, len(d))
	for i, v := range d {
		shift[i] = v - med
		abs[i] = math.Abs(shift[i])
	}
	mad := median(abs) + eps
	out := make([]bool, len(d))
	for i := range d {
		out[i] = math.Abs(shift[i]/mad) > thStds && abs[i] > thSecs
	}
	return out
}

// segmentIndices is pyxdf's _find_segment_indices: the [first, last]
// ranges of len(breaks)+1 items split after each true entry.
func segmentIndices(breaks []bool) [][2]int {
	var seg [][2]int
	start := 0
	for i, b := range breaks {
		if b {
			seg = append(seg, [2]int{start, i})
			start = i + 1
		}
	}
	return append(seg, [2]int{start, len(breaks)})
}

// robustFit is pyxdf's _robust_fit of clock offsets: the least-Huber-loss
// line value = a + b·time, by 1000 iterations of ADMM (Boyd's
// huber_fit), with times and values in units of the winsor threshold w,
// so residuals beyond w count linearly. It returns (a, b) in seconds and
// seconds per second, and false with (0, 0) where numpy raises
// LinAlgError (all times equal).
//
// The problem is badly conditioned when the clock times are large (LSL
// clocks count from boot: 10⁵–10⁶ s, so 10⁹–10¹⁰ in units of w), and
// ADMM's 1000 iterations accumulate rounding: on clock_resets.xdf pyxdf's
// own result moves by 1.7e-8 s between two OpenBLAS kernels
// (OPENBLAS_CORETYPE=Haswell and Sandybridge). So the arithmetic here
// follows what numpy 2.3 with its OpenBLAS 0.3.30 does on x86-64 with
// AVX2 (the Haswell kernels, also used on Zen) operation by operation —
// the sums of Aᵀy as dgemv_n sums two rows, AᵀA as dsyrk's blocked FMA
// chains, A·x as dgemv_t, the Cholesky factor as potf2 and each 2×2 solve
// as getf2/getrs — and agrees with it to the last bit there; other
// kernels (AVX-512) give pyxdf results about 1e-9 s away.
func robustFit(times, values []float64, w float64) ([2]float64, bool) {
	const rho, iters = 1.0, 1000
	n := len(times)
	a := make([]float64, n) // second column of A; the first is all ones
	y := make([]float64, n)
	for i := range n {
		a[i] = times[i] / w
		y[i] = values[i] / w
	}
	offset := a[0]
	for _, v := range a {
		if v < offset || math.IsNaN(v) {
			offset = v
			if math.IsNaN(v) {
				break
			}
		}
	}
	for i := range a {
		a[i] -= offset
	}
	// L = cholesky(AᵀA): LAPACK's potf2 fails only on a pivot ≤ 0.
	s01, s11 := syrk2(a)
	l11 := math.Sqrt(float64(n))
	l21 := s01 * (1 / l11)
	d := s11 - float64(l21*l21)
	if d <= 0 {
		return [2]float64{}, false
	}
	l22 := math.Sqrt(d)
	L := [2][2]float64{{l11, 0}, {l21, l22}}
	U := [2][2]float64{{l11, l21}, {0, l22}}
	aty0, aty1 := gemvN2(a, y)

	z := make([]float64, n)
	u := make([]float64, n)
	zu := make([]float64, n)
	var x [2]float64
	for range iters {
		for i := range n {
			zu[i] = z[i] - u[i]
		}
		r0, r1 := gemvN2(a, zu)
		t, ok := solve2(L, [2]float64{aty0 + r0, aty1 + r1})
		if !ok {
			return [2]float64{}, false
		}
		if x, ok = solve2(U, t); !ok {
			return [2]float64{}, false
		}
		for i := range n {
			di := x[0] + float64(a[i]*x[1]) - y[i] + u[i]
			inv := 0.0
			if di != 0 {
				inv = 1 / di
			}
			tmp := math.Max(0, 1-float64((1+1/rho)*math.Abs(inv)))
			zi := float64(rho/(1+rho)*di) + float64(float64(1/(1+rho)*tmp)*di)
			z[i] = zi
			u[i] = di - zi
		}
	}
	x[0] -= float64(x[1] * offset)
	x[0] *= w
	return x, true
}

// gemmQ is OpenBLAS's DGEMM_DEFAULT_Q on x86-64: dsyrk sums the inner
// dimension in blocks of about this many terms.
const gemmQ = 256

// syrk2 returns (Σa, Σa²), the off-diagonal and last entries of AᵀA for
// A = [1 a], as OpenBLAS's dsyrk computes them: the terms split into
// blocks as level3_syrk.c splits K, each block a chain of fused
// multiply-adds (the Haswell dgemm kernel), the blocks added in order.
func syrk2(a []float64) (s01, s11 float64) {
	for ls := 0; ls < len(a); {
		m := len(a) - ls
		if m >= 2*gemmQ {
			m = gemmQ
		} else if m > gemmQ {
			m = (m + 1) / 2
		}
		var s, ss float64
		for _, v := range a[ls : ls+m] {
			s += v
			ss = math.FMA(v, v, ss)
		}
		s01 += s
		s11 += ss
		ls += m
	}
	return s01, s11
}

// gemvN2 returns (Σv, Σa·v), Aᵀv for A = [1 a], summed as OpenBLAS's
// dgemv_n_4.c does for two rows: pairs of rounded products added to a
// running sum, four terms per step, the rest one by one. The float64
// conversions keep the Go compiler from fusing what OpenBLAS rounds.
func gemvN2(a, v []float64) (s0, s1 float64) {
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i] + v[i+1]
		s1 += float64(a[i]*v[i]) + float64(a[i+1]*v[i+1])
		s0 += v[i+2] + v[i+3]
		s1 += float64(a[i+2]*v[i+2]) + float64(a[i+3]*v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += v[i]
		s1 += float64(a[i] * v[i])
	}
	return s0, s1
}

// solve2 solves m·x = b as numpy's linalg.solve does for a 2×2 system
// (OpenBLAS's dgesv): getf2's LU with partial pivoting (the multiplier
// by a reciprocal), then getrs's two triangular solves (by division).
// It reports false for an exactly singular m, where numpy raises
// LinAlgError.
func solve2(m [2][2]float64, b [2]float64) ([2]float64, bool) {
	if math.Abs(m[1][0]) > math.Abs(m[0][0]) {
		m[0], m[1] = m[1], m[0]
		b[0], b[1] = b[1], b[0]
	}
	if m[0][0] == 0 {
		return [2]float64{}, false
	}
	l := m[1][0]
	if math.Abs(m[0][0]) >= 0x1p-1022 {
		l *= 1 / m[0][0]
	}
	u11 := m[1][1] - float64(l*m[0][1])
	if u11 == 0 {
		return [2]float64{}, false
	}
	x1 := (b[1] - float64(b[0]*l)) / u11
	x0 := (b[0] - float64(x1*m[0][1])) / m[0][0]
	return [2]float64{x0, x1}, true
}
