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
	// Detected reports whether a detection overlaps the event's latency
	// window [Start − ToleranceStart, Stop).
	Detected bool
	// Alarm is the start in seconds of the first such detection: when the
	// alarm went on, which may be before the window for a detection
	// already on; NaN when the event was missed.
	Alarm float64
	// Latency is how long after the event's onset the alarm was on:
	// max(0, Alarm − Event.Start) in seconds, 0 when it was on at the
	// onset (raised within the tolerance before it, or earlier and still
	// on); NaN when the event was missed.
	Latency float64
}

// AlarmLatencies returns, for each reference event of s in order, how long
// after its onset the alarm was on. s is the result of EventScoring with
// parameters p; the reference events are the ones it scored (10 Hz grid,
// events closer than MinDurationBetweenEvents merged, events longer than
// MaxEventDuration split), so there is one Latency per event counted in
// s.RefTrue, and a hypothesis padded or truncated by ScoreRecording is
// used as scored.
//
// The alarm of an event is the first detection (an event of the
// hypothesis as given, s.Detections: not merged, so an earlier false alarm
// that event scoring joined to the detection does not pass for it) that
// overlaps the event's latency window [Start − p.ToleranceStart, Stop),
// clipped to the recording as EventScoring clips its extended events. The
// window has SzCORE's tolerance before onset, so a detection that event
// scoring credits to the seizure for starting up to ToleranceStart early
// counts, but it ends at the event's end rather than p.ToleranceEnd after
// it: an alarm raised only after the seizure is over has no onset latency
// (event scoring still counts it as detected). The latency is the
// detection's start minus the onset, clamped at 0: an alarm already on at
// the onset, early within the tolerance or on since before the window,
// was on time, and its lead is no latency (Alarm keeps it).
//
// A piece of an event split at MaxEventDuration has its own latency,
// measured from the piece's start, as event scoring counts it as its own
// event.
func AlarmLatencies(s EventScore, p EventParams) []Latency {
	const fs = EventGridRate
	r, d := s.Ref, s.Detections.Mask
	if d == nil { // an EventScore not made by EventScoring
		d = s.Hyp.Mask
	}
	dur := float64(len(r.Mask)) / r.SampleRate
	out := make([]Latency, len(r.Events))
	for k, e := range r.Events {
		lo, hi := pyMax(0, e.Start-p.ToleranceStart), pyMin(dur, e.Stop)
		a, b := pySlice(len(d), roundIndex(lo*fs), roundIndex(hi*fs))
		l := Latency{Event: e, Alarm: math.NaN(), Latency: math.NaN()}
		// The scored hypothesis must have an alarm there too: with a
		// hypothesis made from a mask it always has (merging only adds),
		// but timescoring's merge can shorten an unsorted or overlapping
		// event list, and a latency is only for an event scoring counts.
		ha, hb := pySlice(len(s.Hyp.Mask), roundIndex(lo*fs), roundIndex(hi*fs))
		if i := slices.Index(d[a:b], true); i >= 0 && slices.Contains(s.Hyp.Mask[ha:hb], true) {
			start := a + i
			for start > 0 && d[start-1] {
				start-- // the detection began before the window
			}
			l.Detected = true
			l.Alarm = float64(start) / fs
			l.Latency = math.Max(0, l.Alarm-e.Start)
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
	// seconds (each ≥ 0); NaN when none was detected. The median of an
	// even count is the mean of the middle two.
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
