package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/neurostream/neurostream/formats/szcore"
)

// EvaluateConfig configures EvaluateDataset.
type EvaluateConfig struct {
	// Cumulated sums the counts of all subjects and computes the rates
	// once (szcore-evaluation's avg_per_subject=False) instead of
	// averaging each rate over subjects. Default: false.
	Cumulated bool
	// DurationTolerance is how many seconds a hypothesis may be shorter
	// (zero-padded) or longer (truncated) than its reference
	// (ScoreRecording). Default: 0, as szcore-evaluation 0.0.7.
	DurationTolerance float64
	// Notes receives a line for each thing scored otherwise than one might
	// expect: a missing or wrong-length hypothesis, a subject without
	// annotation files, a hypothesis without a reference. Default: nil,
	// discarded.
	Notes io.Writer
}

// EvaluateDataset scores the hypothesis seizure annotations at hyp
// against the reference ones at ref (SzCORE/BIDS events TSV files), as
// szcore-evaluation 0.0.7 does with timescoring 0.0.7, and adds each
// reference event's alarm latency (AlarmLatencies). ref and hyp are both
// files, one recording, or both folders: every annotation TSV below
// ref/sub-*/ is a recording (szcore.ListDataset) and its hypothesis is the
// file at the same relative path below hyp; a missing hypothesis is scored
// as no detections.
func EvaluateDataset(ref, hyp string, cfg EvaluateConfig) (*Evaluation, error) {
	if !(cfg.DurationTolerance >= 0) {
		return nil, fmt.Errorf("metrics: duration tolerance %v: must be >= 0", cfg.DurationTolerance)
	}
	if cfg.Notes == nil {
		cfg.Notes = io.Discard
	}
	recs, err := pairRecordings(ref, hyp, cfg.Notes)
	if err != nil {
		return nil, err
	}
	var ds Dataset
	var warnings []string
	lat := map[string][]fileLatency{}
	for _, r := range recs {
		rs, err := scoreFiles(r, cfg.DurationTolerance)
		if err != nil {
			return nil, err
		}
		switch {
		case rs.Discarded:
			w := fmt.Sprintf("%s: %s: its detections are DISCARDED; a duration off by a little usually means samples lost at the end of a stream: allow the difference with a duration tolerance (score --duration-tolerance S)", r.hyp, rs.Note)
			warnings = append(warnings, w)
			fmt.Fprintf(cfg.Notes, "WARNING: %s\n", w)
		case rs.Note != "":
			fmt.Fprintf(cfg.Notes, "note: %s: %s\n", r.hyp, rs.Note)
		}
		ds.Add(r.subject, rs)
		for _, l := range AlarmLatencies(rs.Event, DefaultEventParams()) {
			lat[r.subject] = append(lat[r.subject], fileLatency{r.ref, l})
		}
	}
	ev := newEvaluation(&ds, lat, cfg.Cumulated)
	ev.Warnings = warnings
	return ev, nil
}

// recordingFiles is one reference file and where its hypothesis should be.
type recordingFiles struct {
	subject  string
	ref, hyp string
}

// pairRecordings lists the recordings to score: both paths are folders
// (paired by relative path below sub-* folders) or both are files.
func pairRecordings(refPath, hypPath string, notes io.Writer) ([]recordingFiles, error) {
	ri, err := os.Stat(refPath)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	hi, err := os.Stat(hypPath)
	if err != nil {
		return nil, fmt.Errorf("hypothesis: %w", err)
	}
	if ri.IsDir() != hi.IsDir() {
		return nil, fmt.Errorf("reference %s and hypothesis %s must both be folders or both be TSV files", refPath, hypPath)
	}
	if !ri.IsDir() {
		return []recordingFiles{{subject: subjectOf(refPath), ref: refPath, hyp: hypPath}}, nil
	}
	subjects, err := szcore.ListDataset(os.DirFS(refPath))
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w", refPath, err)
	}
	var recs []recordingFiles
	seen := map[string]bool{}
	for _, s := range subjects {
		if len(s.Files) == 0 {
			fmt.Fprintf(notes, "note: %s: no annotation TSV; subject skipped\n", filepath.Join(refPath, s.Name))
			continue
		}
		for _, rel := range s.Files {
			seen[rel] = true
			recs = append(recs, recordingFiles{subject: s.Name,
				ref: filepath.Join(refPath, filepath.FromSlash(rel)), hyp: filepath.Join(hypPath, filepath.FromSlash(rel))})
		}
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("reference %s: no annotation TSV files below sub-* folders", refPath)
	}
	if hs, err := szcore.ListDataset(os.DirFS(hypPath)); err == nil {
		for _, s := range hs {
			for _, rel := range s.Files {
				if !seen[rel] {
					fmt.Fprintf(notes, "note: %s: no reference at that path; ignored\n", filepath.Join(hypPath, filepath.FromSlash(rel)))
				}
			}
		}
	}
	return recs, nil
}

// subjectOf names the subject of a single file: its sub-* folder, or the
// sub-* entity of its BIDS name, or else the file name.
func subjectOf(path string) string {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	for _, p := range parts[:len(parts)-1] {
		if strings.HasPrefix(p, "sub-") {
			return p
		}
	}
	base := parts[len(parts)-1]
	if strings.HasPrefix(base, "sub-") {
		return strings.SplitN(base, "_", 2)[0]
	}
	return strings.TrimSuffix(base, ".tsv")
}

// scoreFiles reads one reference and its hypothesis and scores them.
func scoreFiles(r recordingFiles, tolerance float64) (RecordingScore, error) {
	ref, err := szcore.ReadFile(r.ref)
	if err != nil {
		return RecordingScore{}, err
	}
	refMask, err := szcore.SeizureMask(ref, RecordingRate)
	if err != nil {
		return RecordingScore{}, fmt.Errorf("%s: %w", r.ref, err)
	}
	var hypMask []bool
	hyp, err := szcore.ReadFile(r.hyp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Scored as no detections; ScoreRecording's note says so.
	case err != nil:
		return RecordingScore{}, err
	case len(hyp) == 0:
		// szcore-evaluation catches the IndexError of a file without rows
		// and scores no detections; so does ScoreRecording for nil.
	default:
		if hypMask, err = szcore.SeizureMask(hyp, RecordingRate); err != nil {
			return RecordingScore{}, fmt.Errorf("%s: %w", r.hyp, err)
		}
	}
	rs, err := ScoreRecording(refMask, hypMask, tolerance)
	if err != nil {
		return rs, fmt.Errorf("%s: %w", r.ref, err)
	}
	return rs, nil
}

// JSONFloat is a float64 that encodes NaN and ±Inf as null:
// szcore-evaluation's json.dump writes NaN, which is not JSON.
type JSONFloat float64

// MarshalJSON implements json.Marshaler.
func (f JSONFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

// Results is one of szcore-evaluation's sample_results / event_results
// objects (the *_std fields only when averaging per subject), with the
// summed counts added.
type Results struct {
	Sensitivity    JSONFloat  `json:"sensitivity"`
	SensitivityStd *JSONFloat `json:"sensitivity_std,omitempty"`
	Precision      JSONFloat  `json:"precision"`
	PrecisionStd   *JSONFloat `json:"precision_std,omitempty"`
	F1             JSONFloat  `json:"f1"`
	F1Std          *JSONFloat `json:"f1_std,omitempty"`
	FPRate         JSONFloat  `json:"fpRate"`
	FPRateStd      *JSONFloat `json:"fpRate_std,omitempty"`
	TP             int        `json:"tp"`
	FP             int        `json:"fp"`
	RefTrue        int        `json:"refTrue"`
	Duration       JSONFloat  `json:"duration"`
}

// SubjectEvaluation is one subject's part of an Evaluation.
type SubjectEvaluation struct {
	Subject      string         `json:"subject"`
	Recordings   int            `json:"recordings"`
	Sample       Results        `json:"sample_results"`
	Event        Results        `json:"event_results"`
	Latency      LatencyResults `json:"alarm_latency"`
	EventLatency []EventAlarm   `json:"event_latencies"`
}

// Evaluation is what EvaluateDataset found: szcore-evaluation's JSON
// object (sample_results, event_results) with the summed counts, the
// per-subject results and the alarm latencies added.
type Evaluation struct {
	Sample     Results             `json:"sample_results"`
	Event      Results             `json:"event_results"`
	Latency    LatencyResults      `json:"alarm_latency"`
	Recordings int                 `json:"recordings"`
	Subjects   []SubjectEvaluation `json:"subjects"`
	// Warnings name every recording whose hypothesis was scored as no
	// detections because its duration differs from the reference's by
	// more than the tolerance (RecordingScore.Discarded).
	Warnings []string `json:"warnings,omitempty"`
	// Cumulated is EvaluateConfig.Cumulated: the rates are those of the
	// summed counts, with no *_std.
	Cumulated bool `json:"-"`
}

// fileLatency is one reference event's alarm latency and its file.
type fileLatency struct {
	ref string
	Latency
}

// LatencyResults is a LatencySummary in seconds; statistics over no
// detected event are null.
type LatencyResults struct {
	Events   int       `json:"events"`
	Detected int       `json:"detected"`
	Missed   int       `json:"missed"`
	Median   JSONFloat `json:"median"`
	Mean     JSONFloat `json:"mean"`
	Min      JSONFloat `json:"min"`
	Max      JSONFloat `json:"max"`
}

// EventAlarm is one reference event (as event scoring scored it), when
// its alarm went on and its alarm latency, in seconds; alarm and latency
// are null when it was missed.
type EventAlarm struct {
	Reference string    `json:"reference"`
	Onset     JSONFloat `json:"onset"`
	Offset    JSONFloat `json:"offset"`
	Alarm     JSONFloat `json:"alarm"`
	Latency   JSONFloat `json:"latency"`
}

func latencyResultsOf(l []fileLatency) LatencyResults {
	ml := make([]Latency, len(l))
	for i, x := range l {
		ml[i] = x.Latency
	}
	s := SummarizeLatencies(ml)
	return LatencyResults{Events: s.Events, Detected: s.Detected, Missed: s.Missed,
		Median: JSONFloat(s.Median), Mean: JSONFloat(s.Mean), Min: JSONFloat(s.Min), Max: JSONFloat(s.Max)}
}

func resultsOf(t Totals) Results {
	s := t.Score()
	return Results{
		Sensitivity: JSONFloat(s.Sensitivity), Precision: JSONFloat(s.Precision),
		F1: JSONFloat(s.F1), FPRate: JSONFloat(s.FPRate),
		TP: t.TP, FP: t.FP, RefTrue: t.RefTrue, Duration: JSONFloat(t.Duration),
	}
}

func withStats(r Results, s Summary) Results {
	p := func(v float64) *JSONFloat { f := JSONFloat(v); return &f }
	r.Sensitivity, r.SensitivityStd = JSONFloat(s.Sensitivity.Mean), p(s.Sensitivity.Std)
	r.Precision, r.PrecisionStd = JSONFloat(s.Precision.Mean), p(s.Precision.Std)
	r.F1, r.F1Std = JSONFloat(s.F1.Mean), p(s.F1.Std)
	r.FPRate, r.FPRateStd = JSONFloat(s.FPRate.Mean), p(s.FPRate.Std)
	return r
}

// newEvaluation builds the evaluation of ds; lat holds each subject's
// alarm latencies in recording order. Latencies are pooled over all events
// of all subjects (a mean over subjects would weight a subject's one
// seizure like another's twenty).
func newEvaluation(ds *Dataset, lat map[string][]fileLatency, cumulated bool) *Evaluation {
	sampleSum, eventSum := ds.Cumulated()
	ev := &Evaluation{Sample: resultsOf(sampleSum), Event: resultsOf(eventSum), Recordings: sampleSum.Recordings, Cumulated: cumulated}
	if !cumulated {
		s, e := ds.PerSubject()
		ev.Sample, ev.Event = withStats(ev.Sample, s), withStats(ev.Event, e)
	}
	var all []fileLatency
	for _, st := range ds.Subjects() {
		sl := lat[st.Subject]
		all = append(all, sl...)
		events := make([]EventAlarm, len(sl))
		for i, l := range sl {
			events[i] = EventAlarm{Reference: l.ref, Onset: JSONFloat(l.Event.Start), Offset: JSONFloat(l.Event.Stop),
				Alarm: JSONFloat(l.Alarm), Latency: JSONFloat(l.Latency.Latency)}
		}
		ev.Subjects = append(ev.Subjects, SubjectEvaluation{Subject: st.Subject, Recordings: st.Sample.Recordings,
			Sample: resultsOf(st.Sample), Event: resultsOf(st.Event),
			Latency: latencyResultsOf(sl), EventLatency: events})
	}
	ev.Latency = latencyResultsOf(all)
	return ev
}

// WriteJSON writes ev as indented JSON: szcore-evaluation's layout, the
// additions after its fields, undefined rates null.
func (ev *Evaluation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ev)
}

// WriteText writes ev as tables: event and sample scoring per subject
// with the mean ± std (or cumulated) row, then the alarm latencies.
func (ev *Evaluation) WriteText(w io.Writer) error {
	hours := float64(ev.Sample.Duration) / 3600
	fmt.Fprintf(w, "SzCORE scoring: %d recordings of %d subjects, %.2f h (timescoring 0.0.7 rules, szcore-evaluation 0.0.7 aggregation)\n",
		ev.Recordings, len(ev.Subjects), hours)
	if n := len(ev.Warnings); n > 0 {
		fmt.Fprintf(w, "\nWARNING: %d of %d recordings scored as NO DETECTIONS because of a duration mismatch:\n", n, ev.Recordings)
		for _, s := range ev.Warnings {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	ev.writeSection(w, "event scoring (refTrue, tp, fp count events; 30 s before / 60 s after tolerance, merge < 90 s, split > 300 s)",
		func(s SubjectEvaluation) Results { return s.Event }, ev.Event)
	ev.writeSection(w, "sample scoring (1 Hz; refTrue, tp, fp count seconds)",
		func(s SubjectEvaluation) Results { return s.Sample }, ev.Sample)

	fmt.Fprintf(w, "\nalarm latency (s from onset until the first detection overlapping [onset - 30 s, end) was on; 0 = on at onset)\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "subject\tevents\tdetected\tmissed\tmedian\tmean\tmin\tmax")
	row := func(name string, l LatencyResults) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", name, l.Events, l.Detected, l.Missed,
			fixed(l.Median, 1), fixed(l.Mean, 1), fixed(l.Min, 1), fixed(l.Max, 1))
	}
	for _, s := range ev.Subjects {
		row(s.Subject, s.Latency)
	}
	row("all events", ev.Latency)
	return tw.Flush()
}

// writeSection writes one scoring kind's table: a row per subject, then
// the dataset's.
func (ev *Evaluation) writeSection(w io.Writer, title string, get func(SubjectEvaluation) Results, all Results) {
	stat := func(v JSONFloat, sd *JSONFloat) string {
		if sd == nil || math.IsNaN(float64(v)) {
			return fixed(v, 3)
		}
		return fixed(v, 3) + " ± " + fixed(*sd, 3)
	}
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "subject\trecordings\thours\trefTrue\ttp\tfp\tsensitivity\tprecision\tf1\tFP/24h")
	for _, s := range ev.Subjects {
		r := get(s)
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Subject, s.Recordings, float64(r.Duration)/3600,
			r.RefTrue, r.TP, r.FP, fixed(r.Sensitivity, 3), fixed(r.Precision, 3), fixed(r.F1, 3), fixed(r.FPRate, 3))
	}
	label := "mean ± std over subjects"
	if ev.Cumulated {
		label = "all recordings (cumulated)"
	}
	fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", label, ev.Recordings, float64(ev.Sample.Duration)/3600,
		all.RefTrue, all.TP, all.FP, stat(all.Sensitivity, all.SensitivityStd), stat(all.Precision, all.PrecisionStd),
		stat(all.F1, all.F1Std), stat(all.FPRate, all.FPRateStd))
	tw.Flush()
}

// fixed formats v with prec decimals, NaN as n/a.
func fixed(v JSONFloat, prec int) string {
	if math.IsNaN(float64(v)) {
		return "n/a"
	}
	return strconv.FormatFloat(float64(v), 'f', prec, 64)
}
