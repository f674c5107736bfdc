package metrics_test

import (
	"fmt"

	"github.com/neurostream/neurostream/models/metrics"
)

// A one-hour recording with two seizures; the detector finds the first one
// 20 s early (within the 30 s tolerance) and raises one false alarm.
func ExampleEventScoring() {
	const fs, n = 1, 3600 // 1 Hz labels, 1 h
	ref := metrics.AnnotationFromEvents([]metrics.Event{{Start: 600, Stop: 660}, {Start: 2400, Stop: 2430}}, fs, n)
	hyp := metrics.AnnotationFromEvents([]metrics.Event{{Start: 580, Stop: 640}, {Start: 3000, Stop: 3010}}, fs, n)
	s := metrics.EventScoring(ref, hyp, metrics.DefaultEventParams())
	fmt.Printf("refTrue %d, tp %d, fp %d\n", s.RefTrue, s.TP, s.FP)
	fmt.Printf("sensitivity %.2f, precision %.2f, F1 %.2f, %.0f false alarms per 24 h\n",
		s.Sensitivity, s.Precision, s.F1, s.FPRate)
	// Output:
	// refTrue 2, tp 1, fp 1
	// sensitivity 0.50, precision 0.50, F1 0.50, 24 false alarms per 24 h
}

// Per-subject aggregation as szcore-evaluation does it: counts summed over
// a subject's recordings, rates averaged over subjects.
func ExampleDataset() {
	mask := func(s string) []bool {
		m := make([]bool, len(s))
		for i := range s {
			m[i] = s[i] == '1'
		}
		return m
	}
	var ds metrics.Dataset
	for _, r := range []struct{ subject, ref, hyp string }{
		{"sub-01", "0000111100", "0000110000"},
		{"sub-01", "0000000000", "0000000000"},
		{"sub-02", "0011000000", "0000000000"},
	} {
		rs, err := metrics.ScoreRecording(mask(r.ref), mask(r.hyp), 0)
		if err != nil {
			panic(err)
		}
		ds.Add(r.subject, rs)
	}
	sample, event := ds.PerSubject()
	fmt.Printf("sample sensitivity %.2f ± %.2f\n", sample.Sensitivity.Mean, sample.Sensitivity.Std)
	fmt.Printf("event sensitivity %.2f ± %.2f\n", event.Sensitivity.Mean, event.Sensitivity.Std)
	// Output:
	// sample sensitivity 0.25 ± 0.25
	// event sensitivity 0.50 ± 0.50
}
