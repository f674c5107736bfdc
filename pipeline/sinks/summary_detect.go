package sinks

import (
	"fmt"
	"github.com/neurostream/neurostream/internal/resultcols"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// SeizureSummary is one session's seizure rows: how many windows were
// scored, how many were in the ictal state, the largest per-window
// probability and the final events.
type SeizureSummary struct {
	Session        string
	Windows        int
	IctalWindows   int
	MaxProbability float64
	// Events are the event rows in the order they were written, with
	// Onset, Offset (seconds from the session's sample 0) and Confidence.
	Events []arrowout.SeizureEvent
}

// SSVEPSummary is one session's ssvep rows: the number of decisions per
// target frequency and of rest decisions (the no-control rule refused
// every target).
type SSVEPSummary struct {
	Session   string
	Windows   int
	Rest      int
	Decisions map[float64]int
}

// detections accumulates one session's seizure and ssvep rows.
type detections struct {
	seizure *SeizureSummary
	ssvep   *SSVEPSummary
}

func (s *Summary) detections(id string) *detections {
	if s.detect == nil {
		s.detect = map[string]*detections{}
	}
	d := s.detect[id]
	if d == nil {
		d = &detections{}
		s.detect[id] = d
	}
	return d
}

// addSeizure counts a seizure record's window rows and keeps its events.
// Event and end rows carry the key of the window that finalised them, or
// the window after the last: only window rows count as windows.
func (s *Summary) addSeizure(r arrowout.Result) error {
	d := s.detections(r.Key.Session)
	if d.seizure == nil {
		d.seizure = &SeizureSummary{Session: r.Key.Session, MaxProbability: math.NaN()}
	}
	sz, c := d.seizure, resultcols.New(r.Record, string(r.Kind))
	rt, prob, state := c.Strings("row_type"), c.Floats("probability"), c.Strings("state")
	on, off, conf := c.Floats("onset_seconds"), c.Floats("offset_seconds"), c.Floats("confidence")
	onS, offS := c.Ints("onset_sample"), c.Ints("offset_sample")
	if err := c.Err(); err != nil {
		return err
	}
	for i := range int(r.Record.NumRows()) {
		switch rt(i) {
		case arrowout.SeizureRowWindow:
			s.session(r.Key.Session).windows[r.Key.Window] = struct{}{}
			sz.Windows++
			if state(i) == arrowout.SeizureIctal {
				sz.IctalWindows++
			}
			if p := prob(i); math.IsNaN(sz.MaxProbability) || p > sz.MaxProbability {
				sz.MaxProbability = p
			}
		case arrowout.SeizureRowEvent:
			onSample, _ := onS(i)
			offSample, _ := offS(i)
			sz.Events = append(sz.Events, arrowout.SeizureEvent{
				Onset: on(i), Offset: off(i), Confidence: conf(i),
				OnsetSample: onSample, OffsetSample: offSample,
			})
		}
	}
	return nil
}

// addSSVEP counts an ssvep record's decisions.
func (s *Summary) addSSVEP(r arrowout.Result) error {
	s.session(r.Key.Session).windows[r.Key.Window] = struct{}{}
	d := s.detections(r.Key.Session)
	if d.ssvep == nil {
		d.ssvep = &SSVEPSummary{Session: r.Key.Session, Decisions: map[float64]int{}}
	}
	c := resultcols.New(r.Record, string(r.Kind))
	dec, freq := c.Ints("decision"), c.Floats("frequency")
	if err := c.Err(); err != nil {
		return err
	}
	for i := range int(r.Record.NumRows()) {
		d.ssvep.Windows++
		if v, _ := dec(i); v < 0 {
			d.ssvep.Rest++
		} else {
			d.ssvep.Decisions[freq(i)]++
		}
	}
	return nil
}

// Seizures returns the seizure summary of each session that had seizure
// rows, sorted by session id.
func (s *Summary) Seizures() []SeizureSummary {
	return detected(s, func(d *detections) *SeizureSummary { return d.seizure }, func(c SeizureSummary) SeizureSummary {
		c.Events = slices.Clone(c.Events)
		return c
	})
}

// SSVEPs returns the ssvep summary of each session that had ssvep rows,
// sorted by session id.
func (s *Summary) SSVEPs() []SSVEPSummary {
	return detected(s, func(d *detections) *SSVEPSummary { return d.ssvep }, func(c SSVEPSummary) SSVEPSummary {
		c.Decisions = maps.Clone(c.Decisions)
		return c
	})
}

// detected returns a copy (clone) of the summary get finds in each
// session's detections, sorted by session id; sessions without one are
// left out.
func detected[T any](s *Summary, get func(*detections) *T, clone func(T) T) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, id := range slices.Sorted(maps.Keys(s.detect)) {
		if v := get(s.detect[id]); v != nil {
			out = append(out, clone(*v))
		}
	}
	return out
}

// spectral drops from sessions the rows of sessions with seizure or ssvep
// results only: their lines say more than a row of dashes.
func (s *Summary) spectral(sessions []SessionSummary) []SessionSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.DeleteFunc(sessions, func(ss SessionSummary) bool { return ss.Unit == "" && s.detect[ss.Session] != nil })
}

// printDetections writes a line per session with seizure rows (events,
// ictal windows, largest probability) and per session with ssvep rows
// (decisions per target).
func (s *Summary) printDetections(w io.Writer) {
	szs, svs := s.Seizures(), s.SSVEPs()
	if len(szs) > 0 {
		fmt.Fprintln(w, "seizure (events from the smoothed per-window probability; onset–offset in seconds from the session's start):")
	}
	for _, sz := range szs {
		var evs []string
		for _, e := range sz.Events {
			evs = append(evs, fmt.Sprintf("%.1f–%.1f s (confidence %.2f)", e.Onset, e.Offset, e.Confidence))
		}
		events := "no event"
		switch len(evs) {
		case 0:
		case 1:
			events = "1 event: " + evs[0]
		default:
			events = fmt.Sprintf("%d events: %s", len(evs), strings.Join(evs, ", "))
		}
		fmt.Fprintf(w, "  %s: %s; %d of %d windows ictal, largest probability %.2f\n", sz.Session, events, sz.IctalWindows, sz.Windows, sz.MaxProbability)
	}
	if len(svs) > 0 {
		fmt.Fprintln(w, "ssvep (decisions per target frequency over the windows):")
	}
	for _, sv := range svs {
		var cells []string
		for _, f := range slices.Sorted(maps.Keys(sv.Decisions)) {
			cells = append(cells, fmt.Sprintf("%g Hz %d", f, sv.Decisions[f]))
		}
		if sv.Rest > 0 {
			cells = append(cells, fmt.Sprintf("rest %d", sv.Rest))
		}
		fmt.Fprintf(w, "  %s: %d windows: %s\n", sv.Session, sv.Windows, strings.Join(cells, ", "))
	}
}
