package sinks

import (
	"context"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"math"
	"strings"
	"testing"
)

// TestSummaryDetections: seizure window rows count as windows, ictal ones
// and the largest probability are kept, event rows become events (their
// keys are not windows), ssvep decisions are counted per frequency and
// rest; the session_end row (keyed by the window after the last) is not a
// window either. Print reports all of it.
func TestSummaryDetections(t *testing.T) {
	s := NewSummary()
	write := func(rs ...arrowout.Result) {
		t.Helper()
		if err := s.Write(context.Background(), rs); err != nil {
			t.Fatal(err)
		}
	}
	probs := []float64{0.1, 0.9, 0.95, 0.2}
	for w, p := range probs {
		k := arrowout.WindowKey{Session: "p1", Window: int64(w), StartSample: int64(w) * 256}
		sz := arrowout.NewSeizureRows(nil)
		sz.AppendWindow(k, p, p, p > 0.5)
		if w == 3 {
			sz.AppendEvent(k, arrowout.SeizureEvent{Onset: 1, Offset: 6, OnsetSample: 256, OffsetSample: 1536, Confidence: 0.925}, []string{"Fp1"})
		}
		write(arrowout.Result{Kind: arrowout.KindSeizure, Key: k, Record: sz.Flush()})
	}
	end := arrowout.WindowKey{Session: "p1", Window: 4}
	sz := arrowout.NewSeizureRows(nil)
	sz.AppendEnd(end, 8, 2048, 0)
	write(arrowout.Result{Kind: arrowout.KindSeizure, Key: end, Record: sz.Flush()},
		arrowout.Result{Kind: arrowout.KindSessionEnd, Key: end, Record: arrowout.SessionEndRecord(nil, end, arrowout.SessionEnd{Reason: "end", SampleRate: 256, Windows: 4})})
	for w, f := range []float64{8, 11, 8, math.NaN(), 8} {
		k := arrowout.WindowKey{Session: "s1", Window: int64(w)}
		sv := arrowout.NewSSVEPRows(nil)
		dec := map[float64]int{8: 0, 11: 1}[f]
		if math.IsNaN(f) {
			dec = -1
		}
		sv.Append(k, &arrowout.SSVEPRow{Method: "fbcca", Decision: dec, Frequency: f, Scores: []float64{1, 2}, Frequencies: []float64{8, 11}})
		write(arrowout.Result{Kind: arrowout.KindSSVEP, Key: k, Record: sv.Flush()})
	}
	write(arrowout.Result{Kind: arrowout.KindSessionEnd, Key: arrowout.WindowKey{Session: "s1", Window: 5}, Record: arrowout.SessionEndRecord(nil, arrowout.WindowKey{Session: "s1", Window: 5}, arrowout.SessionEnd{})})

	szs := s.Seizures()
	if len(szs) != 1 || szs[0].Windows != 4 || szs[0].IctalWindows != 2 || szs[0].MaxProbability != 0.95 || len(szs[0].Events) != 1 {
		t.Fatalf("seizures: %+v", szs)
	}
	if e := szs[0].Events[0]; e.Onset != 1 || e.Offset != 6 || e.Confidence != 0.925 || e.OnsetSample != 256 || e.OffsetSample != 1536 {
		t.Errorf("event: %+v", e)
	}
	svs := s.SSVEPs()
	if len(svs) != 1 || svs[0].Windows != 5 || svs[0].Rest != 1 || svs[0].Decisions[8] != 3 || svs[0].Decisions[11] != 1 {
		t.Fatalf("ssveps: %+v", svs)
	}
	for _, ss := range s.Sessions() {
		if want := map[string]int{"p1": 4, "s1": 5}[ss.Session]; ss.Windows != want {
			t.Errorf("session %s: %d windows, want %d (the end rows are not windows)", ss.Session, ss.Windows, want)
		}
	}
	var out strings.Builder
	s.Print(&out)
	if strings.Contains(out.String(), "session unit") {
		t.Errorf("a table of dashes for sessions with detections only:\n%s", out.String())
	}
	for _, want := range []string{
		"  p1: 1 event: 1.0–6.0 s (confidence 0.93); 2 of 4 windows ictal, largest probability 0.95\n",
		"  s1: 5 windows: 8 Hz 3, 11 Hz 1, rest 1\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("print lacks %q:\n%s", want, out.String())
		}
	}
}
