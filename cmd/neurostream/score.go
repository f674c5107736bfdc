package main

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

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/models/metrics"
)

func newScoreCmd() *cobra.Command {
	var (
		refPath, hypPath string
		asJSON           bool
		cumulated        bool
		tolerance        float64
	)
	cmd := &cobra.Command{
		Use:   "score --ref DIR|TSV --hyp DIR|TSV",
		Short: "Score seizure annotations against a reference, as SzCORE does",
		Long: "score compares hypothesis seizure annotations (SzCORE/BIDS events TSV) with reference ones exactly as\n" +
			"szcore-evaluation 0.0.7 does with timescoring 0.0.7: each recording is labelled at 1 Hz and scored\n" +
			"sample by sample and event by event (30 s before / 60 s after tolerance, events < 90 s apart merged,\n" +
			"events > 300 s split); counts are summed per subject, and the rates are averaged over subjects\n" +
			"(NaN ignored), or computed once from all counts with --cumulated.\n\n" +
			"With folders, every annotation TSV below REF/sub-*/ is a recording and its hypothesis is the file at\n" +
			"the same relative path under HYP; a missing hypothesis, or one whose recording length differs from\n" +
			"the reference's, is scored as no detections (as szcore-evaluation does; a note goes to stderr).\n" +
			"Alarm latency is reported for each reference event: how long after its onset the first detection\n" +
			"overlapping [onset - 30 s, end) began, 0 when it was already on at the onset (early within the\n" +
			"tolerance, or on since before); events without one are missed (docs/seizure.md).\n\n" +
			"--json prints szcore-evaluation's JSON (sample_results, event_results) with the summed counts,\n" +
			"per-subject results and alarm latencies added; undefined rates are null.",
		Example: "  neurostream score --ref bids/ --hyp predictions/\n" +
			"  neurostream score --ref sub-01_ses-01_task-szMonitoring_run-00_events.tsv --hyp pred.tsv --json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if refPath == "" || hypPath == "" {
				return errors.New("give both --ref and --hyp")
			}
			if !(tolerance >= 0) {
				return fmt.Errorf("--duration-tolerance %v: must be >= 0", tolerance)
			}
			recs, err := scorePairRecordings(refPath, hypPath, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var ds metrics.Dataset
			lat := map[string][]scoreLatency{}
			for _, r := range recs {
				rs, err := scoreFiles(r, tolerance)
				if err != nil {
					return err
				}
				if rs.Note != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "note: %s: %s\n", r.hyp, rs.Note)
				}
				ds.Add(r.subject, rs)
				for _, l := range metrics.AlarmLatencies(rs.Event, metrics.DefaultEventParams()) {
					lat[r.subject] = append(lat[r.subject], scoreLatency{r.ref, l})
				}
			}
			rep := newScoreReport(&ds, lat, cumulated)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.print(cmd.OutOrStdout(), cumulated)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&refPath, "ref", "", "reference: a dataset folder (sub-*/…/*.tsv) or one annotation TSV")
	f.StringVar(&hypPath, "hyp", "", "hypothesis: a folder mirroring --ref, or one annotation TSV")
	f.BoolVar(&asJSON, "json", false, "print JSON in szcore-evaluation's layout")
	f.BoolVar(&cumulated, "cumulated", false, "sum counts over all subjects instead of averaging rates per subject (avg_per_subject=False)")
	f.Float64Var(&tolerance, "duration-tolerance", 0, "seconds by which a hypothesis may be shorter (zero-padded) or longer (truncated) than its reference")
	return cmd
}

// scoreRecording is one reference file and where its hypothesis should be.
type scoreRecording struct {
	subject  string
	ref, hyp string
}

// scorePairRecordings lists the recordings to score: both paths are folders
// (paired by relative path below sub-* folders) or both are files.
func scorePairRecordings(refPath, hypPath string, warn io.Writer) ([]scoreRecording, error) {
	ri, err := os.Stat(refPath)
	if err != nil {
		return nil, fmt.Errorf("--ref: %w", err)
	}
	hi, err := os.Stat(hypPath)
	if err != nil {
		return nil, fmt.Errorf("--hyp: %w", err)
	}
	if ri.IsDir() != hi.IsDir() {
		return nil, fmt.Errorf("--ref %s and --hyp %s must both be folders or both be TSV files", refPath, hypPath)
	}
	if !ri.IsDir() {
		return []scoreRecording{{subject: scoreSubjectOf(refPath), ref: refPath, hyp: hypPath}}, nil
	}
	subjects, err := szcore.ListDataset(os.DirFS(refPath))
	if err != nil {
		return nil, fmt.Errorf("--ref %s: %w", refPath, err)
	}
	var recs []scoreRecording
	seen := map[string]bool{}
	for _, s := range subjects {
		if len(s.Files) == 0 {
			fmt.Fprintf(warn, "note: %s: no annotation TSV; subject skipped\n", filepath.Join(refPath, s.Name))
			continue
		}
		for _, rel := range s.Files {
			seen[rel] = true
			recs = append(recs, scoreRecording{subject: s.Name,
				ref: filepath.Join(refPath, filepath.FromSlash(rel)), hyp: filepath.Join(hypPath, filepath.FromSlash(rel))})
		}
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("--ref %s: no annotation TSV files below sub-* folders", refPath)
	}
	if hs, err := szcore.ListDataset(os.DirFS(hypPath)); err == nil {
		for _, s := range hs {
			for _, rel := range s.Files {
				if !seen[rel] {
					fmt.Fprintf(warn, "note: %s: no reference at that path; ignored\n", filepath.Join(hypPath, filepath.FromSlash(rel)))
				}
			}
		}
	}
	return recs, nil
}

// scoreSubjectOf names the subject of a single file: its sub-* folder, or the
// sub-* entity of its BIDS name, or else the file name.
func scoreSubjectOf(path string) string {
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
func scoreFiles(r scoreRecording, tolerance float64) (metrics.RecordingScore, error) {
	ref, err := szcore.ReadFile(r.ref)
	if err != nil {
		return metrics.RecordingScore{}, err
	}
	refMask, err := szcore.SeizureMask(ref, metrics.RecordingRate)
	if err != nil {
		return metrics.RecordingScore{}, fmt.Errorf("%s: %w", r.ref, err)
	}
	var hypMask []bool
	hyp, err := szcore.ReadFile(r.hyp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Scored as no detections; ScoreRecording's note says so.
	case err != nil:
		return metrics.RecordingScore{}, err
	case len(hyp) == 0:
		// szcore-evaluation catches the IndexError of a file without rows
		// and scores no detections; so does ScoreRecording for nil.
	default:
		if hypMask, err = szcore.SeizureMask(hyp, metrics.RecordingRate); err != nil {
			return metrics.RecordingScore{}, fmt.Errorf("%s: %w", r.hyp, err)
		}
	}
	rs, err := metrics.ScoreRecording(refMask, hypMask, tolerance)
	if err != nil {
		return rs, fmt.Errorf("%s: %w", r.ref, err)
	}
	return rs, nil
}

// scoreFloat writes NaN (and ±Inf) as null: szcore-evaluation's json.dump
// writes NaN, which is not JSON.
type scoreFloat float64

func (f scoreFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

// scoreResults is one of szcore-evaluation's sample_results /
// event_results objects (the *_std fields only when averaging per subject),
// with the summed counts added.
type scoreResults struct {
	Sensitivity    scoreFloat  `json:"sensitivity"`
	SensitivityStd *scoreFloat `json:"sensitivity_std,omitempty"`
	Precision      scoreFloat  `json:"precision"`
	PrecisionStd   *scoreFloat `json:"precision_std,omitempty"`
	F1             scoreFloat  `json:"f1"`
	F1Std          *scoreFloat `json:"f1_std,omitempty"`
	FPRate         scoreFloat  `json:"fpRate"`
	FPRateStd      *scoreFloat `json:"fpRate_std,omitempty"`
	TP             int         `json:"tp"`
	FP             int         `json:"fp"`
	RefTrue        int         `json:"refTrue"`
	Duration       scoreFloat  `json:"duration"`
}

type subjectReport struct {
	Subject      string             `json:"subject"`
	Recordings   int                `json:"recordings"`
	Sample       scoreResults       `json:"sample_results"`
	Event        scoreResults       `json:"event_results"`
	Latency      latencyResults     `json:"alarm_latency"`
	EventLatency []eventLatencyJSON `json:"event_latencies"`
}

type scoreReport struct {
	Sample     scoreResults    `json:"sample_results"`
	Event      scoreResults    `json:"event_results"`
	Latency    latencyResults  `json:"alarm_latency"`
	Recordings int             `json:"recordings"`
	Subjects   []subjectReport `json:"subjects"`
}

// scoreLatency is one reference event's alarm latency and its file.
type scoreLatency struct {
	ref string
	metrics.Latency
}

// latencyResults is metrics.LatencySummary in seconds; statistics over no
// detected event are null.
type latencyResults struct {
	Events   int        `json:"events"`
	Detected int        `json:"detected"`
	Missed   int        `json:"missed"`
	Median   scoreFloat `json:"median"`
	Mean     scoreFloat `json:"mean"`
	Min      scoreFloat `json:"min"`
	Max      scoreFloat `json:"max"`
}

// eventLatencyJSON is one reference event (as event scoring scored it),
// when its alarm went on and its alarm latency, in seconds; alarm and
// latency are null when it was missed.
type eventLatencyJSON struct {
	Reference string     `json:"reference"`
	Onset     scoreFloat `json:"onset"`
	Offset    scoreFloat `json:"offset"`
	Alarm     scoreFloat `json:"alarm"`
	Latency   scoreFloat `json:"latency"`
}

func latencyResultsOf(l []scoreLatency) latencyResults {
	ml := make([]metrics.Latency, len(l))
	for i, x := range l {
		ml[i] = x.Latency
	}
	s := metrics.SummarizeLatencies(ml)
	return latencyResults{Events: s.Events, Detected: s.Detected, Missed: s.Missed,
		Median: scoreFloat(s.Median), Mean: scoreFloat(s.Mean), Min: scoreFloat(s.Min), Max: scoreFloat(s.Max)}
}

func scoreResultsOf(t metrics.Totals) scoreResults {
	s := t.Score()
	return scoreResults{
		Sensitivity: scoreFloat(s.Sensitivity), Precision: scoreFloat(s.Precision),
		F1: scoreFloat(s.F1), FPRate: scoreFloat(s.FPRate),
		TP: t.TP, FP: t.FP, RefTrue: t.RefTrue, Duration: scoreFloat(t.Duration),
	}
}

func scoreWithStats(r scoreResults, s metrics.Summary) scoreResults {
	p := func(v float64) *scoreFloat { f := scoreFloat(v); return &f }
	r.Sensitivity, r.SensitivityStd = scoreFloat(s.Sensitivity.Mean), p(s.Sensitivity.Std)
	r.Precision, r.PrecisionStd = scoreFloat(s.Precision.Mean), p(s.Precision.Std)
	r.F1, r.F1Std = scoreFloat(s.F1.Mean), p(s.F1.Std)
	r.FPRate, r.FPRateStd = scoreFloat(s.FPRate.Mean), p(s.FPRate.Std)
	return r
}

// newScoreReport builds the report of ds; lat holds each subject's alarm
// latencies in recording order. Latencies are pooled over all events of all
// subjects (a mean over subjects would weight a subject's one seizure like
// another's twenty).
func newScoreReport(ds *metrics.Dataset, lat map[string][]scoreLatency, cumulated bool) scoreReport {
	sampleSum, eventSum := ds.Cumulated()
	rep := scoreReport{Sample: scoreResultsOf(sampleSum), Event: scoreResultsOf(eventSum), Recordings: sampleSum.Recordings}
	if !cumulated {
		s, e := ds.PerSubject()
		rep.Sample, rep.Event = scoreWithStats(rep.Sample, s), scoreWithStats(rep.Event, e)
	}
	var all []scoreLatency
	for _, st := range ds.Subjects() {
		sl := lat[st.Subject]
		all = append(all, sl...)
		events := make([]eventLatencyJSON, len(sl))
		for i, l := range sl {
			events[i] = eventLatencyJSON{Reference: l.ref, Onset: scoreFloat(l.Event.Start), Offset: scoreFloat(l.Event.Stop),
				Alarm: scoreFloat(l.Alarm), Latency: scoreFloat(l.Latency.Latency)}
		}
		rep.Subjects = append(rep.Subjects, subjectReport{Subject: st.Subject, Recordings: st.Sample.Recordings,
			Sample: scoreResultsOf(st.Sample), Event: scoreResultsOf(st.Event),
			Latency: latencyResultsOf(sl), EventLatency: events})
	}
	rep.Latency = latencyResultsOf(all)
	return rep
}

func (rep scoreReport) print(w io.Writer, cumulated bool) {
	hours := float64(rep.Sample.Duration) / 3600
	fmt.Fprintf(w, "SzCORE scoring: %d recordings of %d subjects, %.2f h (timescoring 0.0.7 rules, szcore-evaluation 0.0.7 aggregation)\n",
		rep.Recordings, len(rep.Subjects), hours)
	rate := func(v scoreFloat) string {
		if math.IsNaN(float64(v)) {
			return "n/a"
		}
		return strconv.FormatFloat(float64(v), 'f', 3, 64)
	}
	stat := func(v scoreFloat, sd *scoreFloat) string {
		if sd == nil || math.IsNaN(float64(v)) {
			return rate(v)
		}
		return rate(v) + " ± " + rate(*sd)
	}
	section := func(title string, get func(subjectReport) scoreResults, all scoreResults) {
		fmt.Fprintf(w, "\n%s\n", title)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "subject\trecordings\thours\trefTrue\ttp\tfp\tsensitivity\tprecision\tf1\tFP/24h")
		for _, s := range rep.Subjects {
			r := get(s)
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Subject, s.Recordings, float64(r.Duration)/3600,
				r.RefTrue, r.TP, r.FP, rate(r.Sensitivity), rate(r.Precision), rate(r.F1), rate(r.FPRate))
		}
		label := "mean ± std over subjects"
		if cumulated {
			label = "all recordings (cumulated)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", label, rep.Recordings, hours, all.RefTrue, all.TP, all.FP,
			stat(all.Sensitivity, all.SensitivityStd), stat(all.Precision, all.PrecisionStd),
			stat(all.F1, all.F1Std), stat(all.FPRate, all.FPRateStd))
		tw.Flush()
	}
	section("event scoring (refTrue, tp, fp count events; 30 s before / 60 s after tolerance, merge < 90 s, split > 300 s)",
		func(s subjectReport) scoreResults { return s.Event }, rep.Event)
	section("sample scoring (1 Hz; refTrue, tp, fp count seconds)",
		func(s subjectReport) scoreResults { return s.Sample }, rep.Sample)

	fmt.Fprintf(w, "\nalarm latency (s from onset until the first detection overlapping [onset - 30 s, end) was on; 0 = on at onset)\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "subject\tevents\tdetected\tmissed\tmedian\tmean\tmin\tmax")
	row := func(name string, l latencyResults) {
		sec := func(v scoreFloat) string {
			if math.IsNaN(float64(v)) {
				return "n/a"
			}
			return strconv.FormatFloat(float64(v), 'f', 1, 64)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", name, l.Events, l.Detected, l.Missed,
			sec(l.Median), sec(l.Mean), sec(l.Min), sec(l.Max))
	}
	for _, s := range rep.Subjects {
		row(s.Subject, s.Latency)
	}
	row("all events", rep.Latency)
	tw.Flush()
}
