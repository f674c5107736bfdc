package seizure

import "fmt"

// Smoother is a moving average over the last N window probabilities. The
// zero value is not usable; see NewSmoother.
type Smoother struct {
	ring []float64
	n    int // probabilities seen
}

// NewSmoother returns a moving average over n probabilities; it panics if
// n < 1.
func NewSmoother(n int) *Smoother {
	if n < 1 {
		panic(fmt.Sprintf("seizure: smoother over %d windows", n))
	}
	return &Smoother{ring: make([]float64, n)}
}

// Add adds p and returns the mean of the last N probabilities (fewer at the
// start). The sum is recomputed from the ring, so rounding does not drift
// over a long stream.
func (s *Smoother) Add(p float64) float64 {
	s.ring[s.n%len(s.ring)] = p
	s.n++
	k := min(s.n, len(s.ring))
	sum := 0.0
	for _, v := range s.ring[:k] {
		sum += v
	}
	return sum / float64(k)
}

// AlarmEvent is a detected seizure in seconds from the stream's first
// sample, with the sum and count of the smoothed probabilities of its ictal
// windows.
type AlarmEvent struct {
	Onset, Offset float64
	Sum           float64
	N             int
}

// Confidence is the mean smoothed probability of the event's ictal windows.
func (e AlarmEvent) Confidence() float64 { return e.Sum / float64(e.N) }

// Hysteresis turns smoothed window probabilities into seizure events. An
// event starts at the first window whose probability reaches On and ends
// at the last window before it falls below Off; events less than MergeGap
// seconds apart are merged, then events shorter than MinDuration seconds
// are dropped. Set the four thresholds and use the zero state.
type Hysteresis struct {
	On, Off, MinDuration, MergeGap float64

	ictal   bool
	cur     AlarmEvent // the open event, while ictal
	pending bool       // a closed event waits out its merge gap
	last    AlarmEvent // that event
}

// Step takes the next window's start and end in seconds (windows in order)
// and its smoothed probability p. It returns whether the state after this
// window is ictal (the immediate alarm), and the event made final at this
// window, if any.
//
// In order: a closed event whose offset lies MergeGap or more before this
// window's start is final (returned unless shorter than MinDuration); an
// ictal state ends when p < Off (this window is not part of the event); a
// background state starts an event when p ≥ On, continuing the pending
// event when it closed less than MergeGap before this window's start; an
// ictal window extends the event to its end. An event is therefore final
// MergeGap plus one window (plus up to one hop) after its offset.
func (h *Hysteresis) Step(start, end, p float64) (ictal bool, ev AlarmEvent, ok bool) {
	if h.pending && start-h.last.Offset >= h.MergeGap {
		h.pending = false
		if h.last.Offset-h.last.Onset >= h.MinDuration {
			ev, ok = h.last, true
		}
	}
	switch {
	case h.ictal && p < h.Off:
		h.ictal = false
		h.pending, h.last = true, h.cur
	case !h.ictal && p >= h.On:
		h.ictal = true
		if h.pending {
			h.cur, h.pending = h.last, false
		} else {
			h.cur = AlarmEvent{Onset: start}
		}
	}
	if h.ictal {
		h.cur.Offset = end
		h.cur.Sum += p
		h.cur.N++
	}
	return h.ictal, ev, ok
}

// Close ends the stream: it returns the event still open or waiting out
// its merge gap, if it is at least MinDuration long, and resets h. An event
// open at the end ends with the last window.
func (h *Hysteresis) Close() (ev AlarmEvent, ok bool) {
	switch {
	case h.ictal:
		ev = h.cur
	case h.pending:
		ev = h.last
	default:
		return AlarmEvent{}, false
	}
	h.ictal, h.pending, h.cur, h.last = false, false, AlarmEvent{}, AlarmEvent{}
	return ev, ev.Offset-ev.Onset >= h.MinDuration
}
