package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAlarmLatencies(t *testing.T) {
	nan := math.NaN()
	type want struct {
		detected       bool
		latency, alarm float64
	}
	for _, c := range []struct {
		name     string
		ref, hyp []Event
		want     []want
	}{
		{"early, inside the tolerance: on at the onset", []Event{{600, 660}}, []Event{{580, 640}}, []want{{true, 0, 580}}},
		{"late", []Event{{600, 660}}, []Event{{620.5, 700}}, []want{{true, 20.5, 620.5}}},
		{"alarm on since before the window", []Event{{600, 660}}, []Event{{500, 700}}, []want{{true, 0, 500}}},
		// Event scoring merges hypothesis events < 90 s apart into
		// [530, 620), which spans the onset; the alarm for this seizure
		// is still the detection at 605, not the false alarm at 530.
		{"earlier false alarm merged by event scoring", []Event{{600, 660}}, []Event{{530, 540}, {605, 620}}, []want{{true, 5, 605}}},
		{"false alarm within the tolerance counts, as event scoring's", []Event{{600, 660}}, []Event{{575, 580}, {610, 620}}, []want{{true, 0, 575}}},
		{"alarm only after the end: missed", []Event{{600, 660}}, []Event{{665, 680}}, []want{{false, nan, nan}}},
		{"alarm ends before the window", []Event{{600, 660}}, []Event{{560, 569.9}}, []want{{false, nan, nan}}},
		{"no alarm", []Event{{600, 660}}, nil, []want{{false, nan, nan}}},
		{"window clipped at the recording start", []Event{{10, 40}}, []Event{{0, 5}}, []want{{true, 0, 0}}},
		{"first of two alarms", []Event{{1000, 1200}}, []Event{{1010, 1020}, {1150, 1160}}, []want{{true, 10, 1010}}},
		// Events < 90 s apart are one event: [1000, 1080).
		{"merged reference", []Event{{1000, 1020}, {1060, 1080}}, []Event{{1070, 1075}}, []want{{true, 70, 1070}}},
		// Longer than 300 s: two events, [1000, 1300) and [1300, 1400).
		{"split reference", []Event{{1000, 1400}}, []Event{{1050, 1100}}, []want{{true, 50, 1050}, {false, nan, nan}}},
		{"split reference, one alarm over both pieces", []Event{{1000, 1400}}, []Event{{1050, 1350}}, []want{{true, 50, 1050}, {true, 0, 1050}}},
		{"two events", []Event{{600, 660}, {2400, 2430}}, []Event{{2405, 2410}}, []want{{false, nan, nan}, {true, 5, 2405}}},
	} {
		ref := AnnotationFromEvents(c.ref, 10, 36000)
		hyp := AnnotationFromEvents(c.hyp, 10, 36000)
		p := DefaultEventParams()
		s := EventScoring(ref, hyp, p)
		got := AlarmLatencies(s, p)
		if len(got) != len(c.want) || len(got) != s.RefTrue {
			t.Errorf("%s: %d latencies (refTrue %d), want %d", c.name, len(got), s.RefTrue, len(c.want))
			continue
		}
		for i, w := range c.want {
			g := got[i]
			ok := g.Detected == w.detected && (math.IsNaN(w.latency) && math.IsNaN(g.Latency) && math.IsNaN(g.Alarm) ||
				math.Abs(g.Latency-w.latency) < 1e-9 && math.Abs(g.Alarm-w.alarm) < 1e-9)
			if !ok {
				t.Errorf("%s: event %d %v: detected %v latency %v alarm %v, want %v %v %v", c.name, i, g.Event, g.Detected, g.Latency, g.Alarm, w.detected, w.latency, w.alarm)
			}
		}
	}
}

// TestAlarmLatenciesAgreeWithEventScoring checks on random recordings that
// every event with an alarm in its latency window is one event scoring
// counts as detected, and that the latency lies in [0, event length).
func TestAlarmLatenciesAgreeWithEventScoring(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := DefaultEventParams()
	for iter := range 2000 {
		const dur = 3600
		events := func(n int) []Event {
			var ev []Event
			for range n {
				a := rng.Float64() * dur
				ev = append(ev, Event{a, math.Min(dur, a+1+rng.Float64()*400)})
			}
			return ev
		}
		ref := AnnotationFromEvents(events(rng.IntN(4)), 1, dur)
		hyp := AnnotationFromEvents(events(rng.IntN(6)), 1, dur)
		s := EventScoring(ref, hyp, p)
		lat := AlarmLatencies(s, p)
		if len(lat) != s.RefTrue {
			t.Fatalf("case %d: %d latencies, refTrue %d", iter, len(lat), s.RefTrue)
		}
		sum := SummarizeLatencies(lat)
		if sum.Detected > s.TP || sum.Events != s.RefTrue || sum.Detected+sum.Missed != sum.Events {
			t.Fatalf("case %d: %+v, event scoring tp %d of %d", iter, sum, s.TP, s.RefTrue)
		}
		for _, l := range lat {
			if l.Detected && (l.Latency < 0 || l.Latency >= l.Event.Stop-l.Event.Start || l.Alarm >= l.Event.Stop ||
				l.Latency != math.Max(0, l.Alarm-l.Event.Start)) {
				t.Fatalf("case %d: latency %v of event %v outside its window", iter, l.Latency, l.Event)
			}
		}
	}
}

func TestSummarizeLatencies(t *testing.T) {
	d := func(x float64) Latency { return Latency{Detected: true, Latency: x} }
	miss := Latency{Latency: math.NaN()}
	s := SummarizeLatencies([]Latency{d(10), miss, d(-20), d(4), d(30)})
	if s.Events != 5 || s.Detected != 4 || s.Missed != 1 || s.Median != 7 || s.Mean != 6 || s.Min != -20 || s.Max != 30 {
		t.Errorf("even count: %+v", s)
	}
	s = SummarizeLatencies([]Latency{d(10), d(-20), d(4)})
	if s.Median != 4 || s.Mean != -2 {
		t.Errorf("odd count: %+v", s)
	}
	s = SummarizeLatencies([]Latency{miss})
	if s.Missed != 1 || !math.IsNaN(s.Median) || !math.IsNaN(s.Mean) {
		t.Errorf("none detected: %+v", s)
	}
	if s := SummarizeLatencies(nil); s.Events != 0 || !math.IsNaN(s.Median) {
		t.Errorf("empty: %+v", s)
	}
}
