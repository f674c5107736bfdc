package metrics

import (
	"fmt"
	"math"
)

// Score holds the counts and rates of one scoring, the fields of
// timescoring's _Scoring. Undefined rates are NaN, as in timescoring.
type Score struct {
	// SampleRate is the rate in Hz of the grid the counts were taken on:
	// 10 for event scoring, the requested rate for sample scoring.
	SampleRate float64
	// NumSamples is the length of the reference on that grid.
	NumSamples int
	// RefTrue counts reference events (event scoring) or positive
	// reference samples (sample scoring).
	RefTrue int
	// TP counts detected reference events or true-positive samples.
	TP int
	// FP counts false hypothesis events or false-positive samples.
	FP int

	// Sensitivity is TP/RefTrue; NaN when RefTrue is 0.
	Sensitivity float64
	// Precision is TP/(TP+FP); NaN when TP+FP is 0.
	Precision float64
	// F1 is 2·TP/(2·TP + FP + (RefTrue−TP)); NaN when RefTrue+FP is 0.
	// (timescoring 0.0.7 computes it from the counts, not from sensitivity
	// and precision, so it is 0, not NaN, when there are reference events
	// but no detections.)
	F1 float64
	// FPRate is false positives per 24 h: FP / (NumSamples/SampleRate/3600/24),
	// the recording duration taken from the reference's length on the
	// scoring grid.
	FPRate float64
}

// computeScores fills the rates from the counts, with timescoring 0.0.7's
// formulas and order of floating-point operations.
func (s *Score) computeScores() {
	nan := math.NaN()
	if s.RefTrue > 0 {
		s.Sensitivity = float64(s.TP) / float64(s.RefTrue)
	} else {
		s.Sensitivity = nan
	}
	if s.TP+s.FP > 0 {
		s.Precision = float64(s.TP) / float64(s.TP+s.FP)
	} else {
		s.Precision = nan
	}
	if s.RefTrue+s.FP == 0 {
		s.F1 = nan
	} else {
		s.F1 = float64(2*s.TP) / float64(2*s.TP+s.FP+(s.RefTrue-s.TP))
	}
	s.FPRate = float64(s.FP) / (float64(s.NumSamples) / s.SampleRate / 3600 / 24)
}

// Duration returns the scored duration in seconds, NumSamples/SampleRate.
func (s Score) Duration() float64 {
	if s.SampleRate == 0 {
		return 0
	}
	return float64(s.NumSamples) / s.SampleRate
}

// SampleScoring compares ref and hyp sample by sample on a grid of fs Hz
// (timescoring's default is 1 Hz): both are rebuilt from their events with
// round(len(mask)/rate·fs) samples; RefTrue counts positive reference
// samples, TP samples positive in both, FP samples positive only in hyp.
// This is timescoring.scoring.SampleScoring(ref, hyp, fs).
//
// It returns an error, as timescoring raises ValueError, when ref and hyp
// have different lengths on that grid. It panics if fs is not positive.
func SampleScoring(ref, hyp Annotation, fs float64) (Score, error) {
	r, h := ref.resample(fs), hyp.resample(fs)
	if len(r.Mask) != len(h.Mask) {
		return Score{}, fmt.Errorf("metrics: reference has %d samples at %g Hz, hypothesis %d: lengths must match",
			len(r.Mask), fs, len(h.Mask))
	}
	s := Score{SampleRate: fs, NumSamples: len(r.Mask)}
	for i, rv := range r.Mask {
		hv := h.Mask[i]
		switch {
		case rv && hv:
			s.TP++
			s.RefTrue++
		case rv:
			s.RefTrue++
		case hv:
			s.FP++
		}
	}
	s.computeScores()
	return s, nil
}

// EventGridRate is the rate in Hz of the grid event scoring works on:
// timescoring resamples both annotations to 10 Hz (0.1 s precision).
const EventGridRate = 10

// EventParams are the event-scoring parameters of
// timescoring.scoring.EventScoring.Parameters. Every field is used as given,
// zero included (zero tolerances or no merging are meaningful settings);
// start from DefaultEventParams for the SzCORE values.
type EventParams struct {
	// ToleranceStart extends each reference event this many seconds
	// before its onset when looking for detections. Default: 30.
	ToleranceStart float64
	// ToleranceEnd extends each reference event this many seconds after
	// its offset. Default: 60.
	ToleranceEnd float64
	// MinOverlap is the fraction of the extended reference event the
	// hypothesis must cover, exclusive (plus 1e-6), for a detection; 0 means
	// any overlap. Default: 0.
	MinOverlap float64
	// MaxEventDuration splits longer events, reference and hypothesis, into
	// pieces of at most this many seconds. Default: 300. Must be positive.
	MaxEventDuration float64
	// MinDurationBetweenEvents merges events whose gap is shorter than this
	// many seconds. Default: 90.
	MinDurationBetweenEvents float64
}

// DefaultEventParams returns the SzCORE event-scoring parameters,
// timescoring 0.0.7's defaults.
func DefaultEventParams() EventParams {
	return EventParams{
		ToleranceStart:           30,
		ToleranceEnd:             60,
		MinOverlap:               0,
		MaxEventDuration:         5 * 60,
		MinDurationBetweenEvents: 90,
	}
}

// EventScore is the result of event scoring: the counts and rates, and the
// reference and hypothesis as they were scored (at EventGridRate, after
// merging and splitting), as timescoring keeps them in self.ref and self.hyp.
type EventScore struct {
	Score
	Ref, Hyp Annotation
	// Detections is the hypothesis at EventGridRate before merging and
	// splitting: the detector's own events, which AlarmLatencies times.
	Detections Annotation
}

// EventScoring compares ref and hyp event by event, timescoring 0.0.7's
// EventScoring(ref, hyp, param):
//
//  1. Both annotations are rebuilt from their events on a 10 Hz grid
//     (EventGridRate) with round(len(mask)/rate·10) samples.
//  2. In each, events closer than MinDurationBetweenEvents are merged,
//     walking the list in order: an event whose start is less than that
//     after the end of the previous (merged) event joins it, and the merged
//     event ends where the joining event ends.
//  3. Events longer than MaxEventDuration are split into consecutive pieces
//     of MaxEventDuration (the last piece holds the rest).
//  4. RefTrue is the number of reference events. Each reference event is
//     extended by ToleranceStart before and ToleranceEnd after, clipped to
//     [0, reference duration]; it is detected (TP) when the hypothesis
//     mask covers more than MinOverlap + 1e-6 of the extended event, and
//     its extended span is then marked as a true-positive region.
//  5. A hypothesis event is a false positive when none of its samples lies
//     in a true-positive region (an event whose span holds no sample counts
//     as a false positive too).
//  6. Rates as in Score, on the 10 Hz grid of the reference.
//
// It panics if p.MaxEventDuration is not positive (timescoring loops
// forever).
func EventScoring(ref, hyp Annotation, p EventParams) EventScore {
	if !(p.MaxEventDuration > 0) {
		panic("metrics: EventParams.MaxEventDuration must be positive")
	}
	const fs = EventGridRate
	r := ref.resample(fs)
	detections := hyp.resample(fs)
	r = splitLongEvents(mergeNeighbouringEvents(r, p.MinDurationBetweenEvents), p.MaxEventDuration)
	h := splitLongEvents(mergeNeighbouringEvents(detections, p.MinDurationBetweenEvents), p.MaxEventDuration)

	s := EventScore{Score: Score{SampleRate: fs, NumSamples: len(r.Mask), RefTrue: len(r.Events)}, Ref: r, Hyp: h, Detections: detections}

	tpMask := make([]bool, len(r.Mask))
	for _, e := range extendEvents(r, p.ToleranceStart, p.ToleranceEnd) {
		a, b := pySlice(len(h.Mask), roundIndex(e.Start*fs), roundIndex(e.Stop*fs))
		n := 0
		for _, v := range h.Mask[a:b] {
			if v {
				n++
			}
		}
		overlap := float64(n) / fs / (e.Stop - e.Start)
		if overlap > p.MinOverlap+1e-6 {
			s.TP++
			a, b := pySlice(len(tpMask), roundIndex(e.Start*fs), roundIndex(e.Stop*fs))
			for i := a; i < b; i++ {
				tpMask[i] = true
			}
		}
	}
	for _, e := range h.Events {
		a, b := pySlice(len(tpMask), roundIndex(e.Start*fs), roundIndex(e.Stop*fs))
		hit := false
		for _, v := range tpMask[a:b] {
			if v {
				hit = true
				break
			}
		}
		if !hit {
			s.FP++
		}
	}
	s.computeScores()
	return s
}

// mergeNeighbouringEvents is EventScoring._mergeNeighbouringEvents.
func mergeNeighbouringEvents(a Annotation, minGap float64) Annotation {
	merged := append([]Event(nil), a.Events...)
	for i := 1; i < len(merged); {
		if merged[i].Start-merged[i-1].Stop < minGap {
			merged[i-1].Stop = merged[i].Stop
			merged = append(merged[:i], merged[i+1:]...)
			continue
		}
		i++
	}
	return AnnotationFromEvents(merged, a.SampleRate, len(a.Mask))
}

// splitLongEvents is EventScoring._splitLongEvents: the list grows while it
// is walked, so a remainder that is still too long is split again.
func splitLongEvents(a Annotation, maxDuration float64) Annotation {
	split := append([]Event(nil), a.Events...)
	for i := 0; i < len(split); i++ {
		e := split[i]
		if e.Stop-e.Start > maxDuration {
			split[i] = Event{e.Start, e.Start + maxDuration}
			split = append(split, Event{})
			copy(split[i+2:], split[i+1:])
			split[i+1] = Event{e.Start + maxDuration, e.Stop}
		}
	}
	return AnnotationFromEvents(split, a.SampleRate, len(a.Mask))
}

// extendEvents is EventScoring._extendEvents: each event widened by before
// and after seconds, clipped to [0, duration of a].
func extendEvents(a Annotation, before, after float64) []Event {
	dur := float64(len(a.Mask)) / a.SampleRate
	ext := make([]Event, len(a.Events))
	for i, e := range a.Events {
		ext[i] = Event{pyMax(0, e.Start-before), pyMin(dur, e.Stop+after)}
	}
	return ext
}

// pyMax and pyMin are Python's max(a, b) and min(a, b) for floats: the
// first argument wins ties and NaN comparisons (math.Max would propagate
// NaN).
func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}
