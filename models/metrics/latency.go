package metrics

import (
	"math"
	"slices"
)

// Latency is the alarm latency of one reference event.
type Latency struct {
	// Event is the reference event in seconds, as event scoring scored it
	// (merged and split, on the 10 Hz grid).
	Event Event
	// Detected reports whether an alarm was on somewhere in the event's
	// latency window [Start − ToleranceStart, Stop).
	Detected bool
	// Alarm is the time in seconds of the first alarm sample in that
	// window; NaN when the event was missed.
	Alarm float64
	// Latency is Alarm − Event.Start in seconds: negative for an alarm
	// within the tolerance before onset, never below −ToleranceStart (by
	// at most half a grid step, 0.05 s, for an onset between grid points);
	// NaN when the event was missed.
	Latency float64
}

// AlarmLatencies returns, for each reference event of s in order, how long
// after its onset the first alarm came. s is the result of EventScoring
// with parameters p; the reference events and the hypothesis mask are the
// ones it scored (10 Hz grid, events closer than MinDurationBetweenEvents
// merged, events longer than MaxEventDuration split), so there is one
// Latency per event counted in s.RefTrue, and a hypothesis padded or
// truncated by ScoreRecording is used as scored.
//
// An event's latency window is [Start − p.ToleranceStart, Stop), clipped to
// the recording as EventScoring clips its extended events: the same
// tolerance before onset as SzCORE, but ending at the event's end rather
// than p.ToleranceEnd after it, because an alarm raised only after the
// seizure is over has no onset latency (event scoring still counts it as
// detected). The alarm is the first hypothesis sample set in the window; an
// alarm already on when the window opens counts from the window's start.
//
// A piece of an event split at MaxEventDuration has its own latency,
// measured from the piece's start, as event scoring counts it as its own
// event.
func AlarmLatencies(s EventScore, p EventParams) []Latency {
	const fs = EventGridRate
	r, h := s.Ref, s.Hyp
	dur := float64(len(r.Mask)) / r.SampleRate
	out := make([]Latency, len(r.Events))
	for k, e := range r.Events {
		lo, hi := pyMax(0, e.Start-p.ToleranceStart), pyMin(dur, e.Stop)
		a, b := pySlice(len(h.Mask), roundIndex(lo*fs), roundIndex(hi*fs))
		l := Latency{Event: e, Alarm: math.NaN(), Latency: math.NaN()}
		if i := slices.Index(h.Mask[a:b], true); i >= 0 {
			l.Detected = true
			l.Alarm = float64(a+i) / fs
			l.Latency = l.Alarm - e.Start
		}
		out[k] = l
	}
	return out
}

// LatencySummary condenses alarm latencies.
type LatencySummary struct {
	// Events counts reference events; Detected those with an alarm in
	// their latency window; Missed = Events − Detected.
	Events, Detected, Missed int
	// Median, Mean, Min and Max are over the detected events' latencies in
	// seconds; NaN when none was detected. The median of an even count is
	// the mean of the middle two.
	Median, Mean, Min, Max float64
}

// SummarizeLatencies summarises l, which may gather the latencies of many
// recordings.
func SummarizeLatencies(l []Latency) LatencySummary {
	s := LatencySummary{Events: len(l)}
	var v []float64
	for _, x := range l {
		if x.Detected {
			v = append(v, x.Latency)
		}
	}
	s.Detected, s.Missed = len(v), len(l)-len(v)
	if len(v) == 0 {
		nan := math.NaN()
		s.Median, s.Mean, s.Min, s.Max = nan, nan, nan, nan
		return s
	}
	slices.Sort(v)
	var sum float64
	for _, x := range v {
		sum += x
	}
	s.Mean = sum / float64(len(v))
	s.Min, s.Max = v[0], v[len(v)-1]
	if m := len(v) / 2; len(v)%2 == 1 {
		s.Median = v[m]
	} else {
		s.Median = (v[m-1] + v[m]) / 2
	}
	return s
}
