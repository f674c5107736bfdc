package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Totals are counts summed over recordings: szcore-evaluation's Result, the
// sum of the Scores of one subject (or of a whole dataset).
type Totals struct {
	// SampleRate is the scoring grid's rate of the last recording added,
	// which szcore-evaluation uses for the rates of the sum.
	SampleRate float64
	// Duration is the summed reference duration in seconds.
	Duration float64
	// NumSamples, TP, FP and RefTrue are summed over recordings.
	NumSamples, TP, FP, RefTrue int
	// Recordings counts what was added.
	Recordings int
}

// Add sums s into t (Result.__iadd__).
func (t *Totals) Add(s Score) {
	t.SampleRate = s.SampleRate
	t.Duration += s.Duration()
	t.NumSamples += s.NumSamples
	t.TP += s.TP
	t.FP += s.FP
	t.RefTrue += s.RefTrue
	t.Recordings++
}

// Merge sums u into t, as szcore-evaluation sums subjects' Results into the
// cumulated one.
func (t *Totals) Merge(u Totals) {
	if u.Recordings == 0 {
		return
	}
	t.SampleRate = u.SampleRate
	t.Duration += u.Duration
	t.NumSamples += u.NumSamples
	t.TP += u.TP
	t.FP += u.FP
	t.RefTrue += u.RefTrue
	t.Recordings += u.Recordings
}

// Score computes the rates of the summed counts (computeScores on a
// Result). With nothing added the counts are zero and every rate is NaN
// (szcore-evaluation fails with ZeroDivisionError there).
func (t Totals) Score() Score {
	s := Score{SampleRate: t.SampleRate, NumSamples: t.NumSamples, TP: t.TP, FP: t.FP, RefTrue: t.RefTrue}
	if t.Recordings == 0 {
		nan := math.NaN()
		s.Sensitivity, s.Precision, s.F1, s.FPRate = nan, nan, nan, nan
		return s
	}
	s.computeScores()
	return s
}

// Stat is a mean and population standard deviation over subjects, NaN
// values ignored (numpy.nanmean, numpy.nanstd with ddof=0); both NaN when
// every value is NaN.
type Stat struct {
	Mean, Std float64
}

// Summary holds the four SzCORE rates of one scoring kind (sample or event)
// averaged over subjects, the sample_results / event_results object of
// szcore-evaluation's output with avg_per_subject=True.
type Summary struct {
	Sensitivity, Precision, F1, FPRate Stat
}

// NaNStat returns the NaN-ignoring mean and population standard deviation
// of x, computed as numpy.nanmean and numpy.nanstd do (sum of the finite
// values divided by their count; the deviation from that mean squared,
// summed, divided by the count, square-rooted). numpy sums pairwise, so for
// more than 8 values the last bits may differ.
func NaNStat(x []float64) Stat {
	var sum float64
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return Stat{math.NaN(), math.NaN()}
	}
	mean := sum / float64(n)
	var ss float64
	for _, v := range x {
		if !math.IsNaN(v) {
			d := v - mean
			ss += d * d
		}
	}
	return Stat{Mean: mean, Std: math.Sqrt(ss / float64(n))}
}

// Dataset accumulates per-recording scores by subject and aggregates them
// as szcore-evaluation 0.0.7's evaluate_dataset does. The zero value is
// ready to use.
type Dataset struct {
	subjects map[string]*SubjectTotals
}

// SubjectTotals are one subject's summed sample and event scores.
type SubjectTotals struct {
	Subject       string
	Sample, Event Totals
}

// Add records the scores of one recording of subject.
func (d *Dataset) Add(subject string, r RecordingScore) {
	if d.subjects == nil {
		d.subjects = map[string]*SubjectTotals{}
	}
	st := d.subjects[subject]
	if st == nil {
		st = &SubjectTotals{Subject: subject}
		d.subjects[subject] = st
	}
	st.Sample.Add(r.Sample)
	st.Event.Add(r.Event.Score)
}

// Subjects returns the per-subject totals sorted by subject.
func (d *Dataset) Subjects() []SubjectTotals {
	out := make([]SubjectTotals, 0, len(d.subjects))
	for _, st := range d.subjects {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b SubjectTotals) int {
		switch {
		case a.Subject < b.Subject:
			return -1
		case a.Subject > b.Subject:
			return 1
		}
		return 0
	})
	return out
}

// PerSubject is evaluate_dataset's default (avg_per_subject=True): each
// subject's rates are computed from its summed counts, then averaged over
// subjects ignoring NaN.
func (d *Dataset) PerSubject() (sample, event Summary) {
	subs := d.Subjects()
	summarize := func(get func(SubjectTotals) Totals) Summary {
		var sens, prec, f1, fpr []float64
		for _, st := range subs {
			s := get(st).Score()
			sens = append(sens, s.Sensitivity)
			prec = append(prec, s.Precision)
			f1 = append(f1, s.F1)
			fpr = append(fpr, s.FPRate)
		}
		return Summary{NaNStat(sens), NaNStat(prec), NaNStat(f1), NaNStat(fpr)}
	}
	sample = summarize(func(st SubjectTotals) Totals { return st.Sample })
	event = summarize(func(st SubjectTotals) Totals { return st.Event })
	return sample, event
}

// Cumulated is evaluate_dataset with avg_per_subject=False: the counts of
// every recording summed, and the rates computed once from the sums.
func (d *Dataset) Cumulated() (sample, event Totals) {
	for _, st := range d.Subjects() {
		sample.Merge(st.Sample)
		event.Merge(st.Event)
	}
	return sample, event
}

// RecordingRate is the label rate szcore-evaluation scores recordings at:
// masks are built at 1 Hz from the annotation files.
const RecordingRate = 1

// RecordingScore is one recording scored the SzCORE way.
type RecordingScore struct {
	Sample Score
	Event  EventScore
	// Note is empty when the hypothesis was scored as given; otherwise it
	// says why it was scored as an all-negative hypothesis (missing, or of
	// a different length) or how it was padded or truncated.
	Note string
	// Discarded is set when the hypothesis's detections were thrown away
	// because its duration differs from the reference's by more than the
	// tolerance: the recording was scored as having no detections. That
	// hides a detector's results behind a bookkeeping error (a pipeline
	// that lost samples at the end), so callers must say it loudly.
	Discarded bool
}

// ErrEmptyReference is returned for a reference mask with no samples.
var ErrEmptyReference = errors.New("metrics: reference has no samples (recording shorter than 1 s)")

// ScoreRecording scores one recording as the inner loop of szcore-evaluation
// 0.0.7's evaluate_dataset does, from 1 Hz masks (RecordingRate):
//
//   - hyp == nil (no hypothesis file, or one with no rows) scores an
//     all-negative hypothesis of the reference's length;
//   - a hypothesis whose length differs from the reference's by at most
//     durationTolerance seconds is zero-padded or truncated to it (the
//     duration_tolerance of later szcore-evaluation revisions; 0 there and in
//     0.0.7 means no adjustment);
//   - any other length difference makes timescoring's SampleScoring raise
//     ValueError, which szcore-evaluation answers by scoring an all-negative
//     hypothesis, so that is done here too, and Note says so.
//
// Then SampleScoring at 1 Hz and EventScoring with DefaultEventParams.
func ScoreRecording(ref, hyp []bool, durationTolerance float64) (RecordingScore, error) {
	if len(ref) == 0 {
		return RecordingScore{}, ErrEmptyReference
	}
	var note string
	discarded := false
	switch {
	case hyp == nil:
		note = "no hypothesis: scored as no detections"
		hyp = make([]bool, len(ref))
	case len(hyp) != len(ref):
		diff := math.Abs(float64(len(hyp)-len(ref))) / RecordingRate
		switch {
		case diff > durationTolerance:
			note = fmt.Sprintf("hypothesis lasts %d s, reference %d s: scored as no detections, as szcore-evaluation does",
				len(hyp), len(ref))
			hyp = make([]bool, len(ref))
			discarded = true
		case len(hyp) < len(ref):
			note = fmt.Sprintf("hypothesis zero-padded from %d s to the reference's %d s", len(hyp), len(ref))
			hyp = append(slices.Clip(hyp), make([]bool, len(ref)-len(hyp))...)
		default:
			note = fmt.Sprintf("hypothesis truncated from %d s to the reference's %d s", len(hyp), len(ref))
			hyp = hyp[:len(ref)]
		}
	}
	r := AnnotationFromMask(ref, RecordingRate)
	h := AnnotationFromMask(hyp, RecordingRate)
	sample, err := SampleScoring(r, h, RecordingRate)
	if err != nil { // unreachable: lengths are equal here
		return RecordingScore{}, err
	}
	return RecordingScore{Sample: sample, Event: EventScoring(r, h, DefaultEventParams()), Note: note, Discarded: discarded}, nil
}
