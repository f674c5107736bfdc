package seizure

import (
	"math"
	"testing"
)

func TestSmoother(t *testing.T) {
	s := NewSmoother(3)
	for i, c := range []struct{ p, want float64 }{{0.3, 0.3}, {0.6, 0.45}, {0.9, 0.6}, {0, 0.5}, {0, 0.3}} {
		if got := s.Add(c.p); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("step %d: %v, want %v", i, got, c.want)
		}
	}
}

func repeatP(v float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func seqP(parts ...[]float64) []float64 {
	var s []float64
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// TestHysteresis: hand-written smoothed sequences (1 s windows every 1 s,
// on 0.7, off 0.3, minimum 3 s, merge gap 5 s), the cases of the seizure
// stage's own test, plus Close.
func TestHysteresis(t *testing.T) {
	type ev struct {
		onset, offset, conf float64
		at                  int // window making it final; -1 for Close
	}
	for name, c := range map[string]struct {
		p      []float64
		ictal  int
		events []ev
	}{
		"below on":   {p: seqP([]float64{0.5, 0.69, 0.6}, repeatP(0, 10))},
		"hysteresis": {p: seqP([]float64{0.1, 0.8, 0.9, 0.5, 0.4, 0.2}, repeatP(0, 10)), ictal: 4, events: []ev{{1, 5, (0.8 + 0.9 + 0.5 + 0.4) / 4, 10}}},
		"short":      {p: seqP([]float64{0.8, 0.8, 0.1}, repeatP(0, 10)), ictal: 2},
		"merge":      {p: seqP([]float64{0.8, 0.8, 0.1, 0.1, 0.1, 0.9, 0.9, 0.1}, repeatP(0, 10)), ictal: 4, events: []ev{{0, 7, 0.85, 12}}},
		"no merge": {p: seqP(repeatP(0.8, 4), repeatP(0.1, 6), repeatP(0.8, 4), repeatP(0.1, 10)), ictal: 8,
			events: []ev{{0, 4, 0.8, 9}, {10, 14, 0.8, 19}}},
		// Still open at the end: Close returns it.
		"open": {p: repeatP(0.9, 20), ictal: 20, events: []ev{{0, 20, 0.9, -1}}},
		// Closed but within the merge gap at the end: Close returns it.
		"pending": {p: seqP(repeatP(0.9, 4), repeatP(0.1, 2)), ictal: 4, events: []ev{{0, 4, 0.9, -1}}},
		// Open at the end but too short.
		"open short": {p: seqP(repeatP(0.1, 5), repeatP(0.9, 2)), ictal: 2},
	} {
		h := Hysteresis{On: 0.7, Off: 0.3, MinDuration: 3, MergeGap: 5}
		var events []AlarmEvent
		var at []int
		n := 0
		for i, v := range c.p {
			ictal, e, ok := h.Step(float64(i), float64(i+1), v)
			if ictal {
				n++
			}
			if ok {
				events, at = append(events, e), append(at, i)
			}
		}
		if e, ok := h.Close(); ok {
			events, at = append(events, e), append(at, -1)
		}
		if n != c.ictal {
			t.Errorf("%s: %d ictal windows, want %d", name, n, c.ictal)
		}
		if len(events) != len(c.events) {
			t.Errorf("%s: events %+v at %v, want %+v", name, events, at, c.events)
			continue
		}
		for i, e := range events {
			w := c.events[i]
			if e.Onset != w.onset || e.Offset != w.offset || math.Abs(e.Confidence()-w.conf) > 1e-12 || at[i] != w.at {
				t.Errorf("%s: event %d %+v at window %d, want %+v", name, i, e, at[i], w)
			}
		}
		if _, ok := h.Close(); ok {
			t.Errorf("%s: a second Close returned an event", name)
		}
	}
}

// TestAlarmState: a smoother and state machine stopped after any window
// and resumed from their State in new instances give the same means,
// alarms and events, bit for bit, as one uninterrupted run.
func TestAlarmState(t *testing.T) {
	p := seqP([]float64{0.1, 0.8, 0.9, 0.5, 0.4, 0.2}, repeatP(0.05, 3), repeatP(0.95, 6), repeatP(0, 10))
	type step struct {
		sm    float64
		ictal bool
		ev    AlarmEvent
		ok    bool
	}
	newPair := func() (*Smoother, *Hysteresis) {
		return NewSmoother(3), &Hysteresis{On: 0.7, Off: 0.3, MinDuration: 3, MergeGap: 5}
	}
	run := func(s *Smoother, h *Hysteresis, from, to int, out []step) []step {
		for i := from; i < to; i++ {
			sm := s.Add(p[i])
			ictal, ev, ok := h.Step(float64(i), float64(i+2), sm)
			out = append(out, step{sm, ictal, ev, ok})
		}
		return out
	}
	s, h := newPair()
	want := run(s, h, 0, len(p), nil)
	for cut := range len(p) {
		s1, h1 := newPair()
		got := run(s1, h1, 0, cut, nil)
		ring, n := s1.State()
		s2, h2 := newPair()
		if err := s2.SetState(ring, n); err != nil {
			t.Fatal(err)
		}
		h2.SetState(h1.State())
		got = run(s2, h2, cut, len(p), got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("resumed after window %d: window %d gives %+v, uninterrupted %+v", cut, i, got[i], want[i])
			}
		}
	}
	if err := NewSmoother(3).SetState(make([]float64, 2), 1); err == nil {
		t.Error("a ring of 2 accepted by a smoother over 3")
	}
}
