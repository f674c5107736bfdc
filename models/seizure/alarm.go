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

// State returns what the average depends on, so that SetState can resume
// it elsewhere: a copy of the ring of the last N probabilities (slot n%N
// takes the next one) and how many probabilities were added.
func (s *Smoother) State() (ring []float64, n int) {
	return append([]float64(nil), s.ring...), s.n
}

// SetState resumes the average from a State of a Smoother over the same
// N; the means that follow are bit for bit the original's. An error
// reports a ring of another length or a negative count.
func (s *Smoother) SetState(ring []float64, n int) error {
	if len(ring) != len(s.ring) || n < 0 {
		return fmt.Errorf("seizure: smoother state of %d probabilities and count %d, want %d and a count ≥ 0", len(ring), n, len(s.ring))
	}
	copy(s.ring, ring)
	s.n = n
	return nil
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

// HysteresisState is what a Hysteresis carries from one window to the
// next (besides its thresholds), so that a stream can be resumed
// elsewhere.
type HysteresisState struct {
	// Ictal says an event is open: Open.
	Ictal bool
	Open  AlarmEvent
	// Pending says a closed event waits out its merge gap: Last.
	Pending bool
	Last    AlarmEvent
}

// State returns h's state between windows.
func (h *Hysteresis) State() HysteresisState {
	return HysteresisState{Ictal: h.ictal, Open: h.cur, Pending: h.pending, Last: h.last}
}

// SetState resumes h from a State; the thresholds are h's own.
func (h *Hysteresis) SetState(st HysteresisState) {
	h.ictal, h.cur, h.pending, h.last = st.Ictal, st.Open, st.Pending, st.Last
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
