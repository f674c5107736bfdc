// Package metrics scores classifiers against ground truth. Its first member
// is SzCORE seizure-detection scoring, matching the Python reference exactly.
//
// SzCORE scoring here reproduces, operation for operation, the timescoring
// library version 0.0.7 (PyPI; timescoring/annotations.py and
// timescoring/scoring.py): Annotation, EventScoring with its default
// Parameters, SampleScoring, and the sensitivity, precision, F1 and
// false-positive-per-24-h formulas of its _Scoring.computeScores. Dataset
// adds the per-subject aggregation of szcore-evaluation 0.0.7
// (szcore_evaluation/evaluate.py, evaluate_dataset): counts summed over a
// subject's recordings, rates computed from the sums, then NaN-ignoring mean
// and population standard deviation over subjects. EvaluateDataset does
// what szcore-evaluation does on files: it pairs reference and hypothesis
// annotation files (read with formats/szcore), scores and aggregates them,
// and adds each seizure's alarm latency.
//
// The package is named metrics, not szcore, because it is the home of every
// classifier metric (SzCORE scoring now; ITR and kappa for the SSVEP models
// later), and because formats/szcore already names the SzCORE annotation
// file format: a program that scores TSV files imports both without
// renaming either.
//
// Where timescoring's behaviour is surprising it is kept and documented (for
// example a merged event ends where the later event ends, even if the
// earlier one ended after it), because matching the reference implementation
// is what makes a score comparable with published SzCORE results. Conformance
// is tested against every expected value in timescoring's own unit tests and
// against the installed timescoring 0.0.7 on thousands of random cases; see
// docs/seizure.md.
package metrics

import "math"

// Event is one labelled interval of a recording, [Start, Stop) in seconds
// from the first sample.
type Event struct {
	Start, Stop float64
}

// Duration returns Stop - Start in seconds.
func (e Event) Duration() float64 { return e.Stop - e.Start }

// Annotation is a binary label track held both as a mask on a sampling grid
// and as a list of events, like timescoring.annotations.Annotation.
//
// The two views are built from each other once, by AnnotationFromEvents or
// AnnotationFromMask, and must not be modified afterwards. An Annotation
// built from events keeps the given list verbatim (unsorted, overlapping or
// zero-length events included), exactly as timescoring does, because the
// event scoring rules walk that list in order.
type Annotation struct {
	// Events are the labelled intervals in seconds.
	Events []Event
	// Mask holds one label per sample: Mask[i] covers [i/SampleRate,
	// (i+1)/SampleRate).
	Mask []bool
	// SampleRate is the rate of the mask in Hz.
	SampleRate float64
}

// AnnotationFromEvents builds an annotation of numSamples samples at
// sampleRate Hz from events in seconds: sample i is labelled when
// round(Start·fs) <= i < round(Stop·fs) for some event, with round half to
// even (Python's round) and the index range clipped to the mask as a Python
// slice is (negative indices count from the end). This is
// Annotation(events, fs, numSamples). events is kept, not copied.
//
// It panics if sampleRate is not positive or numSamples is negative.
func AnnotationFromEvents(events []Event, sampleRate float64, numSamples int) Annotation {
	if !(sampleRate > 0) {
		panic("metrics: sample rate must be positive")
	}
	if numSamples < 0 {
		panic("metrics: negative number of samples")
	}
	mask := make([]bool, numSamples)
	for _, e := range events {
		a, b := pySlice(numSamples, roundIndex(e.Start*sampleRate), roundIndex(e.Stop*sampleRate))
		for i := a; i < b; i++ {
			mask[i] = true
		}
	}
	if events == nil {
		events = []Event{}
	}
	return Annotation{Events: events, Mask: mask, SampleRate: sampleRate}
}

// AnnotationFromMask builds an annotation from a mask at sampleRate Hz. Each
// run of true samples [i, j) becomes the event [i/fs, j/fs), in order of
// onset. This is Annotation(mask, fs). mask is kept, not copied.
//
// timescoring raises IndexError for an empty mask; here an empty mask has no
// events. It panics if sampleRate is not positive.
func AnnotationFromMask(mask []bool, sampleRate float64) Annotation {
	if !(sampleRate > 0) {
		panic("metrics: sample rate must be positive")
	}
	events := []Event{}
	start := -1
	for i, v := range mask {
		switch {
		case v && start < 0:
			start = i
		case !v && start >= 0:
			events = append(events, Event{float64(start) / sampleRate, float64(i) / sampleRate})
			start = -1
		}
	}
	if start >= 0 {
		events = append(events, Event{float64(start) / sampleRate, float64(len(mask)) / sampleRate})
	}
	return Annotation{Events: events, Mask: mask, SampleRate: sampleRate}
}

// Duration returns the length of the annotated recording in seconds,
// len(Mask)/SampleRate.
func (a Annotation) Duration() float64 { return float64(len(a.Mask)) / a.SampleRate }

// resample rebuilds a's events on a grid of fs Hz, with
// round(len(mask)/a.fs·fs) samples, as timescoring's scorers do on entry.
func (a Annotation) resample(fs float64) Annotation {
	n := roundIndex(float64(len(a.Mask)) / a.SampleRate * fs)
	return AnnotationFromEvents(a.Events, fs, n)
}

// roundIndex is Python's round() of a float to an int: half to even.
func roundIndex(x float64) int {
	r := math.RoundToEven(x)
	// Values beyond any mask length only need to clip correctly.
	const lim = 1 << 53
	switch {
	case r > lim:
		return lim
	case r < -lim:
		return -lim
	case r != r: // NaN: Python raises; treat as an empty range start
		return 0
	}
	return int(r)
}

// pySlice returns the bounds [a, b) that the Python slice x[a:b] selects in a
// sequence of length n: negative bounds count from the end, bounds are
// clipped to [0, n], and b < a selects nothing.
func pySlice(n, a, b int) (int, int) {
	clip := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		return i
	}
	a, b = clip(a), clip(b)
	if b < a {
		b = a
	}
	return a, b
}
