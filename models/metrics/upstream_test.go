package metrics

import (
	"math"
	"slices"
	"testing"
)

// The cases in this file are every expected value of timescoring's own unit
// tests, tests/test.py of github.com/esl-epfl/timescoring at the revision
// whose false-positive rule is the one published as 0.0.7 (a hypothesis event
// is a false positive only if it touches no true-positive region: np.all in
// scoring.py). Earlier revisions of that file expect np.any's values
// (precision 0.4, 5/7, 0.25, 1/3 in the event cases); they do not describe
// 0.0.7. Each case names the original test method and its message. The same
// inputs are also scored by the installed timescoring in
// TestCrossCheckTimescoring, which checks that 0.0.7 itself gives these
// values.
//
// Comparisons are exact, as the originals use np.testing.assert_equal.

// annSpec describes an Annotation the way the Python tests build it: from a
// 0/1 mask string, or from events with a sample count.
type annSpec struct {
	fs     float64
	mask   string // '0'/'1' per sample; used when events is nil
	events []Event
	n      int
}

func (a annSpec) build() Annotation {
	if a.events != nil || a.mask == "" {
		return AnnotationFromEvents(a.events, a.fs, a.n)
	}
	return AnnotationFromMask(maskOf(a.mask), a.fs)
}

func maskOf(s string) []bool {
	m := make([]bool, len(s))
	for i, c := range s {
		m[i] = c == '1'
	}
	return m
}

func maskString(m []bool) string {
	b := make([]byte, len(m))
	for i, v := range m {
		b[i] = '0'
		if v {
			b[i] = '1'
		}
	}
	return string(b)
}

// sameFloat is np.testing.assert_equal's float equality: NaN equals NaN.
func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// sameEvents compares event lists as sets, as the original
// assertListOfTupleEqual does.
func sameEvents(want, got []Event) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			return false
		}
	}
	return true
}

// TestAnnotation.test_mask_to_eventList: fs = 10, numSamples = 10; each mask
// must come from the events and the events from the mask.
var upstreamMaskEvents = []struct {
	msg    string
	mask   string
	events []Event
}{
	{"Simple events", "0110001110", []Event{{0.1, 0.3}, {0.6, 0.9}}},
	{"Event = file duration", "1111111111", []Event{{0.0, 1.0}}},
	{"event at start - single events", "1111000000", []Event{{0.0, 0.4}}},
	{"event at end - single events", "0000000111", []Event{{0.7, 1.}}},
	{"event at start - multiple events", "1111001000", []Event{{0.0, 0.4}, {0.6, 0.7}}},
	{"event at end - multiple events", "0110000111", []Event{{0.1, 0.3}, {0.7, 1.}}},
	{"event at start and end", "1110000101", []Event{{0.0, 0.3}, {0.7, 0.8}, {0.9, 1.0}}},
}

func TestUpstreamMaskToEventList(t *testing.T) {
	const fs, numSamples = 10, 10
	for _, c := range upstreamMaskEvents {
		if got := maskString(AnnotationFromEvents(c.events, fs, numSamples).Mask); got != c.mask {
			t.Errorf("%s: mask from events = %s, want %s", c.msg, got, c.mask)
		}
		if got := AnnotationFromMask(maskOf(c.mask), fs).Events; !sameEvents(c.events, got) {
			t.Errorf("%s: events from mask = %v, want %v", c.msg, got, c.events)
		}
	}
}

// upstreamCase is one scoring expectation. fpRate is checked only where the
// original checks it.
type upstreamCase struct {
	test     string // original test method: message
	ref, hyp annSpec
	params   EventParams // event cases only
	sens     float64
	prec     float64
	fpRate   float64
	noFPRate bool
}

var nan = math.NaN()

// TestSampleScoring.test_sample_scoring (SampleScoring at its default 1 Hz).
var upstreamSampleCases = []upstreamCase{
	{test: "test_sample_scoring: simple test",
		ref: annSpec{fs: 1, mask: "1110001110"}, hyp: annSpec{fs: 1, mask: "0110110010"},
		sens: 3.0 / 6, prec: 3.0 / 5, fpRate: 2 * 3600 * 24 / 10.0},
	{test: "test_sample_scoring: no detections",
		ref: annSpec{fs: 1, mask: "1110001110"}, hyp: annSpec{fs: 1, mask: "0000000000"},
		sens: 0, prec: nan, fpRate: 0},
	{test: "test_sample_scoring: no events",
		ref: annSpec{fs: 1, mask: "0000000000"}, hyp: annSpec{fs: 1, mask: "0110110010"},
		sens: nan, prec: 0, fpRate: 5 * 3600 * 24 / 10.0},
	{test: "test_sample_scoring: resampling",
		ref:  annSpec{fs: 256, events: []Event{{1.2, 5.4}, {7.1, 8.7}}, n: 256 * 10},
		hyp:  annSpec{fs: 256, events: []Event{{3, 5}, {6.8, 9.2}}, n: 256 * 10},
		sens: 4.0 / 6, prec: 1, fpRate: 0},
}

// The masks of the last four cases of test_event_scoring (68 samples).
const (
	typicalRef   = "0000000011111100000000000000" + "0011111110000000000011100000" + "000000000000"
	typicalHyp   = "0000000011111100000000000011" + "1111100000000000000000011100" + "000000001111"
	spanningRef  = "0000000011111100001111000000" + "0011111110000011100011100000" + "000000000000"
	spanningHyp  = "0000011111111111111111111000" + "0000000111111111111111111000" + "000000000000"
	longTrueRef  = "0000000011111111111111111111" + "1111111110000000000011100000" + "000000000000"
	manyShortHyp = "0000011111110000111111110000" + "0000111111111110000000000000" + "000000111100"
)

// TestEventScoring.test_event_scoring. The original builds Parameters with
// some fields given and the rest at their defaults, then mutates minOverlap
// of one Parameters object across the last cases; params spell out the
// resulting values.
var upstreamEventCases = func() []upstreamCase {
	const fs = 10
	const n = 60 * 60 * fs // 1 hour
	def := DefaultEventParams()
	with := func(f func(*EventParams)) EventParams { p := def; f(&p); return p }
	ev := func(e ...Event) annSpec { return annSpec{fs: fs, events: e, n: n} }
	typical := EventParams{ToleranceStart: 0, ToleranceEnd: 0, MinOverlap: 0, MaxEventDuration: 5 * 60, MinDurationBetweenEvents: 0}
	typical05, typical06 := typical, typical
	typical05.MinOverlap = 0.5
	typical06.MinOverlap = 0.6
	return []upstreamCase{
		{test: "test_event_scoring: Simple events",
			ref: ev(Event{40, 60}), hyp: ev(Event{10, 20}, Event{42, 65}),
			params: with(func(p *EventParams) { p.ToleranceStart, p.ToleranceEnd, p.MinDurationBetweenEvents = 0, 10, 0 }),
			sens:   1, prec: 0.5, fpRate: 1 * 24},
		{test: "test_event_scoring: Tolerance before events",
			ref: ev(Event{40, 60}), hyp: ev(Event{39, 60}),
			params: with(func(p *EventParams) { p.ToleranceStart = 1 }),
			sens:   1, prec: 1, fpRate: 0},
		{test: "test_event_scoring: Split long events",
			ref: ev(Event{40, 60}), hyp: ev(Event{42, 65 + 6*60}),
			params: with(func(p *EventParams) { p.MaxEventDuration = 5 * 60 }),
			sens:   1, prec: 1.0 / 2, fpRate: 1 * 24},
		{test: "test_event_scoring: No detections",
			ref: ev(Event{40, 60}), hyp: ev(),
			params: def, sens: 0, prec: nan, fpRate: 0},
		{test: "test_event_scoring: No events",
			ref: ev(), hyp: ev(Event{40, 60}),
			params: def, sens: nan, prec: 0, fpRate: 1 * 24},
		{test: "test_event_scoring: typical distribution (minOverlap 0)",
			ref: annSpec{fs: fs, mask: typicalRef}, hyp: annSpec{fs: fs, mask: typicalHyp},
			params: typical, sens: 2.0 / 3, prec: 0.5, noFPRate: true},
		{test: "test_event_scoring: typical distribution (minOverlap 0.5)",
			ref: annSpec{fs: fs, mask: typicalRef}, hyp: annSpec{fs: fs, mask: typicalHyp},
			params: typical05, sens: 1.0 / 3, prec: 1.0 / 4, noFPRate: true},
		{test: "test_event_scoring: Long predicted seizure spaning several true seizures",
			ref: annSpec{fs: fs, mask: spanningRef}, hyp: annSpec{fs: fs, mask: spanningHyp},
			params: typical, sens: 1, prec: 1, noFPRate: true},
		{test: "test_event_scoring: Long true seizure and many short predicted seizures",
			ref: annSpec{fs: fs, mask: longTrueRef}, hyp: annSpec{fs: fs, mask: manyShortHyp},
			params: typical, sens: 0.5, prec: 0.5, noFPRate: true},
		{test: "test_event_scoring: typical - extended REF would hide FP (fs = 1)",
			ref: annSpec{fs: 1, mask: typicalRef}, hyp: annSpec{fs: 1, mask: typicalHyp},
			params: typical06, sens: 1.0 / 3, prec: 0.25, noFPRate: true},
	}
}()

func checkUpstream(t *testing.T, c upstreamCase, s Score) {
	t.Helper()
	if !sameFloat(s.Sensitivity, c.sens) {
		t.Errorf("%s: sensitivity = %v, want %v", c.test, s.Sensitivity, c.sens)
	}
	if !sameFloat(s.Precision, c.prec) {
		t.Errorf("%s: precision = %v, want %v", c.test, s.Precision, c.prec)
	}
	if !c.noFPRate && !sameFloat(s.FPRate, c.fpRate) {
		t.Errorf("%s: FP/day = %v, want %v", c.test, s.FPRate, c.fpRate)
	}
}

func TestUpstreamSampleScoring(t *testing.T) {
	for _, c := range upstreamSampleCases {
		s, err := SampleScoring(c.ref.build(), c.hyp.build(), 1)
		if err != nil {
			t.Fatalf("%s: %v", c.test, err)
		}
		checkUpstream(t, c, s)
	}
}

func TestUpstreamEventScoring(t *testing.T) {
	for _, c := range upstreamEventCases {
		checkUpstream(t, c, EventScoring(c.ref.build(), c.hyp.build(), c.params).Score)
	}
}

// TestEventScoring.test_long_event_splitting.
func TestUpstreamLongEventSplitting(t *testing.T) {
	const fs, numSamples, maxEventDuration = 10, 10, 0.2
	labels := AnnotationFromEvents([]Event{{0.0, 0.5}, {0.6, 0.9}}, fs, numSamples)
	short := splitLongEvents(labels, maxEventDuration)
	for _, e := range short.Events {
		if e.Stop-e.Start > maxEventDuration+1e-10 { // computer precision tolerance, as the original
			t.Errorf("Long event splitting resulted in long event %v", e)
		}
	}
	if got, want := maskString(short.Mask), maskString(labels.Mask); got != want {
		t.Errorf("Event mask changed when splitting events: %s, want %s", got, want)
	}
	// Not in the original: the exact pieces, walking the growing list.
	want := []Event{{0, 0.2}, {0.2, 0.4}, {0.4, 0.5}, {0.6, 0.8}, {0.8, 0.9}}
	if len(short.Events) != len(want) {
		t.Fatalf("split into %v, want %d pieces", short.Events, len(want))
	}
	for i, w := range want {
		if math.Abs(short.Events[i].Start-w.Start) > 1e-12 || math.Abs(short.Events[i].Stop-w.Stop) > 1e-12 {
			t.Errorf("piece %d = %v, want %v", i, short.Events[i], w)
		}
	}
}

// TestEventScoring.test_merge_neighbouring_events.
func TestUpstreamMergeNeighbouringEvents(t *testing.T) {
	const fs = 10
	labels := AnnotationFromEvents([]Event{{1, 2}, {2, 3}, {3.5, 4}, {4, 5}, {18, 20}}, fs, 600)
	merged := mergeNeighbouringEvents(labels, 0.2)
	want := AnnotationFromEvents([]Event{{1, 3}, {3.5, 5}, {18, 20}}, fs, 600)
	if !sameEvents(want.Events, merged.Events) {
		t.Errorf("Test merge events: %v, want %v", merged.Events, want.Events)
	}
}

// TestEventScoring.test_extending_events.
func TestUpstreamExtendingEvents(t *testing.T) {
	labels := AnnotationFromEvents([]Event{{0.0, 2.0}, {6.0, 8.0}}, 1, 10)
	got := extendEvents(labels, 0.5, 1.0)
	if want := []Event{{0.0, 3.0}, {5.5, 9.0}}; !sameEvents(want, got) {
		t.Errorf("Extended events mismatch: %v, want %v", got, want)
	}
}

// szcore-evaluation's tests/test_result.py (Result accumulation): the
// 10-sample masks, tp = 2, fp = 1, refTrue = 4 and a perfect hypothesis.
func TestUpstreamSzcoreResult(t *testing.T) {
	ref := maskOf("0011110000")
	hyp := maskOf("0011001000") // indices 4, 5 flipped off, 6 on
	score := func(r, h []bool) Score {
		s, err := SampleScoring(AnnotationFromMask(r, 1), AnnotationFromMask(h, 1), 1)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sample, perfect := score(ref, hyp), score(ref, ref)

	// test_result_from_sample_scoring
	var r Totals
	r.Add(sample)
	if r.TP != 2 || r.FP != 1 || r.RefTrue != 4 || r.NumSamples != 10 || r.SampleRate != 1 || r.Duration != 10 {
		t.Errorf("Result(sample_score) = %+v", r)
	}
	// test_compute_scores_known_values
	s := r.Score()
	const tol = 1e-12 // pytest.approx's default relative tolerance is 1e-6; these are exact
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"sensitivity", s.Sensitivity, 2.0 / 4},
		{"precision", s.Precision, 2.0 / (2 + 1)},
		{"f1", s.F1, 4.0 / 7},
		{"fpRate", s.FPRate, 1 / (10.0 / 1 / 3600 / 24)},
	} {
		if math.Abs(c.got-c.want) > tol*math.Abs(c.want) {
			t.Errorf("known values: %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// test_compute_scores_perfect_detection
	var p Totals
	p.Add(perfect)
	if ps := p.Score(); ps.Sensitivity != 1 || ps.Precision != 1 || ps.F1 != 1 || ps.FPRate != 0 {
		t.Errorf("perfect detection: %+v", ps)
	}
	// test_result_add_sums_attributes, test_compute_scores_after_accumulation
	r.Add(perfect)
	if r.TP != 6 || r.FP != 1 || r.RefTrue != 8 || r.NumSamples != 20 || r.Duration != 20 {
		t.Errorf("accumulated = %+v", r)
	}
	if s := r.Score(); s.Sensitivity != 6.0/8 || s.Precision != 6.0/7 {
		t.Errorf("accumulated scores: sensitivity %v precision %v, want 6/8, 6/7", s.Sensitivity, s.Precision)
	}
	// test_compute_scores_no_reference
	if s := score(make([]bool, 10), make([]bool, 10)); !math.IsNaN(s.Sensitivity) {
		t.Errorf("no reference: sensitivity = %v, want NaN", s.Sensitivity)
	}
	// test_sample_scoring_rejects_mismatched_lengths
	if _, err := SampleScoring(AnnotationFromMask(make([]bool, 10), 1), AnnotationFromMask(make([]bool, 8), 1), 1); err == nil {
		t.Error("mismatched lengths: no error")
	}
}
