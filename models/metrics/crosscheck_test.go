package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/neurostream/neurostream/internal/testenv"
)

// TestCrossCheckTimescoring scores the upstream unit-test inputs, 3000
// random reference/hypothesis pairs and 150 random multi-subject datasets
// both here and with the installed timescoring 0.0.7
// (testdata/timescoring_check.py), and requires identical tp, fp, refTrue
// and numSamples and rates within 1e-12 (relative above 1).
func TestCrossCheckTimescoring(t *testing.T) {
	py := testenv.Python(t)
	if out, err := exec.Command(py, "-c", "import timescoring").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("timescoring is not installed in %s (run `make pyenv`): %v\n%s", py, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	rng := rand.New(rand.NewPCG(6, 2026))
	var in checkInput
	var pairs []pairCase
	for _, c := range upstreamSampleCases {
		pairs = append(pairs, pairCase{ref: c.ref, hyp: c.hyp, sampleFs: 1})
	}
	for _, c := range upstreamEventCases {
		p := c.params
		pairs = append(pairs, pairCase{ref: c.ref, hyp: c.hyp, params: &p, sampleFs: 1})
	}
	nUpstream := len(pairs)
	const nRandom = 3000
	for range nRandom {
		pairs = append(pairs, randomPair(rng))
	}
	for _, p := range pairs {
		in.Pairs = append(in.Pairs, p.json())
	}
	var datasets [][]subjectCase
	for range 150 {
		datasets = append(datasets, randomDataset(rng))
	}
	for _, d := range datasets {
		in.Datasets = append(in.Datasets, datasetJSON(d))
	}

	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "timescoring_check.py"))
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("timescoring_check.py: %v\n%s", err, stderr.String())
	}
	var out checkOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode timescoring output: %v", err)
	}
	if out.Version != "0.0.7" {
		t.Fatalf("installed timescoring is %s; this package matches 0.0.7 (tools/python/requirements.txt)", out.Version)
	}
	if len(out.Pairs) != len(pairs) || len(out.Datasets) != len(datasets) {
		t.Fatalf("got %d pairs and %d datasets back, sent %d and %d", len(out.Pairs), len(out.Datasets), len(pairs), len(datasets))
	}

	// timescoring 0.0.7 itself gives the upstream unit tests' expected values.
	for i, c := range upstreamSampleCases {
		checkUpstreamPy(t, c, out.Pairs[i].Sample)
	}
	for i, c := range upstreamEventCases {
		checkUpstreamPy(t, c, out.Pairs[len(upstreamSampleCases)+i].Event)
	}

	var cmp comparer
	sampleErrors, tps, fps := 0, 0, 0
	for i, p := range pairs {
		ref, hyp := p.ref.build(), p.hyp.build()
		params := DefaultEventParams()
		if p.params != nil {
			params = *p.params
		}
		ev := EventScoring(ref, hyp, params)
		cmp.score(t, fmt.Sprintf("pair %d event %s", i, p), ev.Score, out.Pairs[i].Event)
		tps += ev.TP
		fps += ev.FP
		s, err := SampleScoring(ref, hyp, p.sampleFs)
		want := out.Pairs[i].Sample
		switch {
		case (err != nil) != (want.Error != ""):
			t.Errorf("pair %d sample %s: error %v, timescoring error %q", i, p, err, want.Error)
		case err != nil:
			sampleErrors++
		default:
			cmp.score(t, fmt.Sprintf("pair %d sample %s", i, p), s, want)
		}
	}
	for i, d := range datasets {
		var ds Dataset
		for si, sub := range d {
			for _, rec := range sub.recordings {
				var hyp []bool
				if rec.hyp != nil {
					hyp = rec.hyp.mask()
				}
				r, err := ScoreRecording(rec.ref.mask(), hyp, 0)
				if err != nil {
					t.Fatal(err)
				}
				ds.Add(fmt.Sprintf("sub-%02d", si), r)
			}
		}
		name := fmt.Sprintf("dataset %d", i)
		sample, event := ds.PerSubject()
		cmp.summary(t, name+" sample_results", sample, out.Datasets[i].PerSubject.Sample)
		cmp.summary(t, name+" event_results", event, out.Datasets[i].PerSubject.Event)
		cs, ce := ds.Cumulated()
		cmp.score(t, name+" cumulated sample", cs.Score(), out.Datasets[i].Cumulated.Sample)
		cmp.score(t, name+" cumulated event", ce.Score(), out.Datasets[i].Cumulated.Event)
	}
	t.Logf("%d upstream + %d random pairs (%d sample scorings refused for unequal lengths by both), %d datasets; "+
		"event tp %d, fp %d in total; %d of %d rates bit-identical, largest difference %.3g",
		nUpstream, nRandom, sampleErrors, len(datasets), tps, fps, cmp.identical, cmp.rates, cmp.maxDiff)
	if tps < 1000 || fps < 1000 {
		t.Errorf("random pairs are not varied enough: %d true and %d false positive events", tps, fps)
	}
}

// checkUpstreamPy compares timescoring's own result with an upstream unit
// test's expectation.
func checkUpstreamPy(t *testing.T, c upstreamCase, got pyScore) {
	t.Helper()
	if !sameFloat(float64(got.Sensitivity), c.sens) || !sameFloat(float64(got.Precision), c.prec) ||
		(!c.noFPRate && !sameFloat(float64(got.FPRate), c.fpRate)) {
		t.Errorf("timescoring itself, %s: sensitivity %v precision %v fpRate %v; the test expects %v %v %v",
			c.test, got.Sensitivity, got.Precision, got.FPRate, c.sens, c.prec, c.fpRate)
	}
}

// comparer checks rates within tol and counts how many were bit-identical.
type comparer struct {
	rates, identical int
	maxDiff          float64
}

const crossTol = 1e-12

func (c *comparer) rate(t *testing.T, what string, got float64, want pyFloat) {
	t.Helper()
	w := float64(want)
	c.rates++
	if sameFloat(got, w) {
		c.identical++
		return
	}
	d := math.Abs(got - w)
	if math.IsNaN(d) || d > crossTol*math.Max(1, math.Abs(w)) {
		t.Errorf("%s = %v, timescoring %v", what, got, w)
		return
	}
	c.maxDiff = math.Max(c.maxDiff, d/math.Max(1, math.Abs(w)))
}

func (c *comparer) score(t *testing.T, what string, s Score, want pyScore) {
	t.Helper()
	if want.Error != "" {
		t.Errorf("%s: timescoring raised %s", what, want.Error)
		return
	}
	if s.TP != want.TP || s.FP != want.FP || s.RefTrue != want.RefTrue || s.NumSamples != want.NumSamples {
		t.Errorf("%s: tp %d fp %d refTrue %d numSamples %d, timescoring %d %d %d %d", what,
			s.TP, s.FP, s.RefTrue, s.NumSamples, want.TP, want.FP, want.RefTrue, want.NumSamples)
	}
	c.rate(t, what+" sensitivity", s.Sensitivity, want.Sensitivity)
	c.rate(t, what+" precision", s.Precision, want.Precision)
	c.rate(t, what+" f1", s.F1, want.F1)
	c.rate(t, what+" fpRate", s.FPRate, want.FPRate)
}

func (c *comparer) summary(t *testing.T, what string, s Summary, want map[string]pyFloat) {
	t.Helper()
	for _, m := range []struct {
		name string
		st   Stat
	}{{"sensitivity", s.Sensitivity}, {"precision", s.Precision}, {"f1", s.F1}, {"fpRate", s.FPRate}} {
		c.rate(t, what+" "+m.name, m.st.Mean, want[m.name])
		c.rate(t, what+" "+m.name+"_std", m.st.Std, want[m.name+"_std"])
	}
}

// JSON exchanged with timescoring_check.py.

type checkInput struct {
	Pairs    []map[string]any `json:"pairs"`
	Datasets []map[string]any `json:"datasets"`
}

type checkOutput struct {
	Version string `json:"version"`
	Pairs   []struct {
		Event  pyScore `json:"event"`
		Sample pyScore `json:"sample"`
	} `json:"pairs"`
	Datasets []struct {
		PerSubject struct {
			Sample map[string]pyFloat `json:"sample_results"`
			Event  map[string]pyFloat `json:"event_results"`
		} `json:"per_subject"`
		Cumulated struct {
			Sample pyScore `json:"sample_results"`
			Event  pyScore `json:"event_results"`
		} `json:"cumulated"`
	} `json:"datasets"`
}

type pyScore struct {
	Error       string  `json:"error"`
	TP          int     `json:"tp"`
	FP          int     `json:"fp"`
	RefTrue     int     `json:"refTrue"`
	NumSamples  int     `json:"numSamples"`
	Sensitivity pyFloat `json:"sensitivity"`
	Precision   pyFloat `json:"precision"`
	F1          pyFloat `json:"f1"`
	FPRate      pyFloat `json:"fpRate"`
}

// pyFloat decodes a number or the strings "nan", "inf", "-inf".
type pyFloat float64

func (f *pyFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"nan"`:
		*f = pyFloat(math.NaN())
	case `"inf"`:
		*f = pyFloat(math.Inf(1))
	case `"-inf"`:
		*f = pyFloat(math.Inf(-1))
	default:
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = pyFloat(v)
	}
	return nil
}

// Random cases.

type pairCase struct {
	ref, hyp annSpec
	params   *EventParams // nil: timescoring's defaults
	sampleFs float64
}

func (p pairCase) String() string {
	return fmt.Sprintf("(ref %s, hyp %s)", p.ref, p.hyp)
}

func (a annSpec) String() string {
	if a.events == nil && a.mask != "" {
		return fmt.Sprintf("mask of %d at %g Hz", len(a.mask), a.fs)
	}
	return fmt.Sprintf("%d events, %d samples at %g Hz", len(a.events), a.n, a.fs)
}

func (a annSpec) json() map[string]any {
	if a.events == nil && a.mask != "" {
		m := make([]int, len(a.mask))
		for i := range a.mask {
			if a.mask[i] == '1' {
				m[i] = 1
			}
		}
		return map[string]any{"fs": a.fs, "mask": m}
	}
	ev := make([][2]float64, len(a.events))
	for i, e := range a.events {
		ev[i] = [2]float64{e.Start, e.Stop}
	}
	return map[string]any{"fs": a.fs, "events": ev, "n": a.n}
}

func (p pairCase) json() map[string]any {
	m := map[string]any{"ref": p.ref.json(), "hyp": p.hyp.json(), "sample_fs": p.sampleFs, "params": nil}
	if p.params != nil {
		m["params"] = map[string]float64{
			"toleranceStart":           p.params.ToleranceStart,
			"toleranceEnd":             p.params.ToleranceEnd,
			"minOverlap":               p.params.MinOverlap,
			"maxEventDuration":         p.params.MaxEventDuration,
			"minDurationBetweenEvents": p.params.MinDurationBetweenEvents,
		}
	}
	return m
}

// randomEvents draws k events in a recording of dur seconds: overlapping,
// adjacent, zero-length, long (to be split), running past the end, on
// 0.05 s boundaries (round-half-to-even cases) and, rarely, unsorted or
// starting before 0.
func randomEvents(rng *rand.Rand, dur float64) []Event {
	k := rng.IntN(13)
	events := make([]Event, 0, k)
	t := rng.Float64() * dur * 0.3
	for range k {
		var length float64
		switch rng.IntN(10) {
		case 0:
			length = 0
		case 1:
			length = rng.Float64()
		case 2, 3, 4:
			length = 1 + rng.Float64()*60
		case 5, 6:
			length = 60 + rng.Float64()*240
		case 7, 8:
			length = 300 + rng.Float64()*1700
		default:
			length = rng.Float64() * dur
		}
		start := t
		switch rng.IntN(8) {
		case 0: // adjacent to the previous event
			if len(events) > 0 {
				start = events[len(events)-1].Stop
			}
		case 1: // overlapping the previous event
			if len(events) > 0 {
				p := events[len(events)-1]
				start = p.Start + rng.Float64()*(p.Stop-p.Start)
			}
		case 2: // anywhere
			start = rng.Float64() * dur
		}
		switch rng.IntN(4) {
		case 0:
			start, length = math.Round(start*20)/20, math.Round(length*20)/20
		case 1:
			start, length = math.Round(start), math.Round(length)
		}
		if rng.IntN(60) == 0 {
			start = -rng.Float64() * 20
		}
		events = append(events, Event{start, start + length})
		t = start + length + rng.ExpFloat64()*dur/float64(k+1)
	}
	if rng.IntN(15) == 0 {
		rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	}
	return events
}

// jitter returns a hypothesis near events: some kept with shifted edges,
// some dropped, some added.
func jitter(rng *rand.Rand, events []Event, dur float64) []Event {
	var out []Event
	for _, e := range events {
		if rng.IntN(4) == 0 {
			continue
		}
		s := e.Start + rng.NormFloat64()*40
		out = append(out, Event{s, s + math.Max(0, e.Stop-e.Start+rng.NormFloat64()*30)})
	}
	for range rng.IntN(4) {
		s := rng.Float64() * dur
		out = append(out, Event{s, s + rng.Float64()*120})
	}
	return out
}

func randomMask(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	v := byte('0')
	for i := range b {
		if rng.IntN(max(2, n/8)) == 0 {
			v ^= 1
		}
		b[i] = v
	}
	return string(b)
}

func randomPair(rng *rand.Rand) pairCase {
	var dur float64
	switch rng.IntN(10) {
	case 0, 1, 2, 3:
		dur = 5 + rng.Float64()*600
	case 4, 5, 6, 7:
		dur = 600 + rng.Float64()*3*3600
	default:
		dur = 3*3600 + rng.Float64()*21*3600
	}
	rates := []float64{1, 2, 4, 10, 100, 256}
	fsOf := func() float64 {
		fs := rates[rng.IntN(len(rates))]
		if fs > 10 && dur > 3600 {
			fs = 10
		}
		return fs
	}
	ann := func(events []Event, fs, d float64) annSpec {
		if events == nil {
			events = []Event{}
		}
		return annSpec{fs: fs, events: events, n: int(math.Round(d * fs))}
	}
	refEvents := randomEvents(rng, dur)
	var hypEvents []Event
	if rng.IntN(3) == 0 {
		hypEvents = randomEvents(rng, dur)
	} else {
		hypEvents = jitter(rng, refEvents, dur)
	}
	hypDur := dur
	if rng.IntN(10) == 0 {
		hypDur = dur + float64(rng.IntN(21)-10)
	}
	p := pairCase{ref: ann(refEvents, fsOf(), dur), hyp: ann(hypEvents, fsOf(), hypDur), sampleFs: 1}
	if rng.IntN(8) == 0 && dur < 2000 {
		fs := []float64{1, 10}[rng.IntN(2)]
		n := int(dur * fs)
		p.ref = annSpec{fs: fs, mask: randomMask(rng, n)}
		p.hyp = annSpec{fs: fs, mask: randomMask(rng, n)}
	}
	if rng.IntN(5) == 0 {
		p.sampleFs = []float64{2, 4, 10}[rng.IntN(3)]
	}
	if rng.IntN(10) < 3 {
		p.params = &EventParams{
			ToleranceStart:           []float64{0, 1, rng.Float64() * 60}[rng.IntN(3)],
			ToleranceEnd:             []float64{0, 10, rng.Float64() * 120}[rng.IntN(3)],
			MinOverlap:               []float64{0, 0.5, rng.Float64() * 0.9}[rng.IntN(3)],
			MaxEventDuration:         []float64{300, 20 + rng.Float64()*600}[rng.IntN(2)],
			MinDurationBetweenEvents: []float64{0, 90, rng.Float64() * 150}[rng.IntN(3)],
		}
	}
	return p
}

// recSpec is a recording of n seconds labelled at 1 Hz from events, as a
// TSV's mask is.
type recSpec struct {
	events []Event
	n      int
}

func (r *recSpec) mask() []bool { return AnnotationFromEvents(r.events, 1, r.n).Mask }

func (r *recSpec) json() map[string]any {
	if r == nil {
		return nil
	}
	ev := make([][2]float64, len(r.events))
	for i, e := range r.events {
		ev[i] = [2]float64{e.Start, e.Stop}
	}
	return map[string]any{"events": ev, "n": r.n}
}

type subjectCase struct {
	recordings []struct{ ref, hyp *recSpec }
}

func randomDataset(rng *rand.Rand) []subjectCase {
	subjects := make([]subjectCase, 1+rng.IntN(6))
	for i := range subjects {
		for range 1 + rng.IntN(4) {
			n := 60 + rng.IntN(6*3600)
			ref := &recSpec{events: randomEvents(rng, float64(n)), n: n}
			if rng.IntN(3) == 0 {
				ref.events = nil // seizure-free recording
			}
			var hyp *recSpec
			switch rng.IntN(10) {
			case 0: // missing hypothesis
			case 1: // wrong length
				hyp = &recSpec{events: jitter(rng, ref.events, float64(n)), n: n + 1 + rng.IntN(5)}
			default:
				hyp = &recSpec{events: jitter(rng, ref.events, float64(n)), n: n}
			}
			subjects[i].recordings = append(subjects[i].recordings, struct{ ref, hyp *recSpec }{ref, hyp})
		}
	}
	return subjects
}

func datasetJSON(d []subjectCase) map[string]any {
	var subs []map[string]any
	for i, s := range d {
		var recs []map[string]any
		for _, r := range s.recordings {
			recs = append(recs, map[string]any{"ref": r.ref.json(), "hyp": r.hyp.json()})
		}
		subs = append(subs, map[string]any{"name": fmt.Sprintf("sub-%02d", i), "recordings": recs})
	}
	return map[string]any{"subjects": subs}
}
