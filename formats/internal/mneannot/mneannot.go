// Package mneannot does to annotations what MNE's Raw.set_annotations does (sort, then crop to
// the recording in whole microseconds), so that every reader reports the onsets MNE reports.
package mneannot

import (
	"math"
	"sort"

	"github.com/neurostream/neurostream/formats"
)

// FromEvents turns raw events into what raw.annotations holds after
// MNE's Annotations constructor and Raw.set_annotations: sorted by
// (onset, duration, file order), then cropped to [0, n/sfreq] in whole
// microseconds (datetime arithmetic): events entirely outside are dropped,
// events straddling an edge are clipped, and every kept onset is rounded
// to the microsecond.
func FromEvents(onset, duration []float64, desc []string, sfreq float64, n int64) []formats.Annotation {
	anns := make([]formats.Annotation, len(onset))
	for i := range anns {
		anns[i] = formats.Annotation{Onset: onset[i], Duration: duration[i], Description: desc[i]}
	}
	Sort(anns)
	// tmax is raw.times[-1] + 1/sfreq.
	tmax := Micros(float64(n-1)/sfreq + 1/sfreq)
	out := anns[:0]
	for _, a := range anns {
		on := Micros(a.Onset)
		on, d, ok := Clip(on, on+Micros(a.Duration), 0, tmax, a.Duration)
		if !ok {
			continue
		}
		out = append(out, formats.Annotation{Onset: float64(on) / 1e6, Duration: d, Description: a.Description})
	}
	return out
}

// Sort orders annotations by onset, then duration, keeping ties in file
// order, like MNE's Annotations._sort.
func Sort(a []formats.Annotation) {
	sort.SliceStable(a, func(i, j int) bool {
		if a[i].Onset != a[j].Onset {
			return a[i].Onset < a[j].Onset
		}
		return a[i].Duration < a[j].Duration
	})
}

// Clip crops the span [on, off] to [lo, hi], all in microseconds, as
// Annotations.crop does: ok is false when they do not overlap. A span that
// is not clipped keeps its duration d as it was, since MNE does not round
// it; a clipped one gets the clipped length in seconds.
func Clip(on, off, lo, hi int64, d float64) (start int64, duration float64, ok bool) {
	if on > hi || off < lo {
		return 0, 0, false
	}
	if on < lo || off > hi {
		on, off = max(on, lo), min(off, hi)
		d = float64(off-on) / 1e6
	}
	return on, d, true
}

// maxSeconds bounds the seconds Micros converts so that a sum of two
// results cannot overflow; anything that large is far outside a recording
// and lands on the same side of the crop either way.
const maxSeconds = 4e12

// Micros is Python's timedelta(seconds=x) in whole microseconds: the
// integer part exactly, the fraction rounded half to even on the total.
// NaN gives 0, and x is clamped to ±4e12 s so that sums cannot overflow.
func Micros(x float64) int64 { return TimedeltaMicros(x, 1e6) }

// TimedeltaMicros follows CPython's delta_new/accum for a float argument
// with the given microseconds per unit (1e6 for seconds=, 86400e6 for
// days=), clamped like Micros.
func TimedeltaMicros(x float64, perUnit float64) int64 {
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
