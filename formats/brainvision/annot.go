package brainvision

import (
	"math"
	"sort"

	"github.com/neurostream/neurostream/formats"
)

// mneAnnotations turns raw events into what raw.annotations holds after
// MNE's Annotations constructor and Raw.set_annotations: sorted by
// (onset, duration, file order), then cropped to [0, n/sfreq] in whole
// microseconds (datetime arithmetic): events entirely outside are dropped,
// events straddling an edge are clipped, and every kept onset is rounded
// to the microsecond.
func mneAnnotations(onset, duration []float64, desc []string, sfreq float64, n int64) []formats.Annotation {
	idx := make([]int, len(onset))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if onset[i] != onset[j] {
			return onset[i] < onset[j]
		}
		return duration[i] < duration[j]
	})
	// tmax is raw.times[-1] + 1/sfreq.
	tmax := micros(float64(n-1)/sfreq + 1/sfreq)
	out := make([]formats.Annotation, 0, len(idx))
	for _, i := range idx {
		on := micros(onset[i])
		off := on + micros(duration[i])
		if on > tmax || off < 0 {
			continue
		}
		d := duration[i]
		if on < 0 || off > tmax {
			on = max(on, 0)
			off = min(off, tmax)
			d = float64(off-on) / 1e6
		}
		out = append(out, formats.Annotation{Onset: float64(on) / 1e6, Duration: d, Description: desc[i]})
	}
	return out
}

// maxSeconds bounds the seconds micros converts so that a sum of two
// results cannot overflow; anything that large is far outside a recording
// and lands on the same side of the crop either way.
const maxSeconds = 4e12

// micros is Python's timedelta(seconds=x) in whole microseconds: the
// integer part exactly, the fraction rounded half to even on the total.
func micros(x float64) int64 { return timedeltaMicros(x, 1e6) }

// timedeltaMicros follows CPython's delta_new/accum for a float argument
// with the given microseconds per unit.
func timedeltaMicros(x float64, perUnit float64) int64 {
	if math.IsNaN(x) {
		return 0
	}
	lim := maxSeconds * 1e6 / perUnit
	x = max(-lim, min(lim, x))
	ip, fp := math.Modf(x)
	us := int64(ip) * int64(perUnit)
	if fp == 0 {
		return us
	}
	ip2, left := math.Modf(perUnit * fp)
	us += int64(ip2)
	if left == 0 {
		return us
	}
	whole := math.Round(left)
	if math.Abs(whole-left) == 0.5 {
		odd := float64(us & 1)
		whole = 2*math.Round((left+odd)*0.5) - odd
	}
	return us + int64(whole)
}
