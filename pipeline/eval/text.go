package eval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/neurostream/neurostream/models/metrics"
)

// WriteText writes ev as three tables: a row per test session, per
// subject, then the means over subjects.
func (ev *SSVEPEvaluation) WriteText(w io.Writer, gazeShift float64) error {
	var subjects, sessions []string
	for _, r := range ev.Results {
		if !slices.Contains(subjects, r.Subject) {
			subjects = append(subjects, r.Subject)
		}
		if s := r.Subject + "/" + r.Session; !slices.Contains(sessions, s) {
			sessions = append(sessions, s)
		}
	}
	fmt.Fprintf(w, "SSVEP evaluation: %d subjects, %d test sessions; ITR in bits/min with T = window + %g s\n\n", len(subjects), len(sessions), gazeShift)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "subject\tsession\tmethod\twindow\tclasses\tn\taccuracy\tbalanced\tITR\tcalibrated on")
	for _, r := range ev.Results {
		cal := strings.Join(r.CalibratedOn, ",")
		if cal == "" {
			cal = "(training-free)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%g s\t%d\t%d\t%s\t%s\t%s\t%s\n", r.Subject, r.Session, r.Method, r.WindowSeconds, r.Classes, r.N,
			fixed(r.Accuracy, 3), fixed(r.BalancedAccuracy, 3), fixed(r.ITR, 1), cal)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nper subject (its test sessions pooled)\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "subject\tmethod\twindow\tclasses\tn\taccuracy\tbalanced\tITR")
	for _, r := range ev.Subjects {
		fmt.Fprintf(tw, "%s\t%s\t%g s\t%d\t%d\t%s\t%s\t%s\n", r.Subject, r.Method, r.WindowSeconds, r.Classes, r.N,
			fixed(r.Accuracy, 3), fixed(r.BalancedAccuracy, 3), fixed(r.ITR, 1))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmean over subjects\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "method\twindow\tclasses\tsubjects\taccuracy\tbalanced\tITR")
	for _, s := range ev.Summary {
		fmt.Fprintf(tw, "%s\t%g s\t%d\t%d\t%s\t%s\t%s\n", s.Method, s.WindowSeconds, s.Classes, s.Subjects,
			fixed(s.MeanAccuracy, 3), fixed(s.MeanBalancedAccuracy, 3), fixed(s.MeanITR, 1))
	}
	return tw.Flush()
}

// WriteText writes ev as two tables, event and sample scoring, with a row
// per recording and the total.
func (ev *SeizureEvaluation) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "seizure evaluation: %d recordings, %.2f h; SzCORE scoring (timescoring 0.0.7 rules), totals of the summed counts\n",
		len(ev.Records), float64(ev.Total.Sample.Duration)/3600)
	sections := []struct {
		title   string
		get     func(SeizureScores) metrics.Results
		latency bool
	}{
		{"event scoring (refTrue, tp, fp count events; 30 s before / 60 s after tolerance, merge < 90 s, split > 300 s; alarm latency: detected/seizures, median (min–max) s)",
			func(s SeizureScores) metrics.Results { return s.Event }, true},
		{"sample scoring (1 Hz; refTrue, tp, fp count seconds)", func(s SeizureScores) metrics.Results { return s.Sample }, false},
	}
	for _, sec := range sections {
		fmt.Fprintf(w, "\n%s\n", sec.title)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		head := "subject\tsession\thours\trefTrue\ttp\tfp\tsensitivity\tprecision\tf1\tFP/24h"
		if sec.latency {
			head += "\talarm latency"
		}
		fmt.Fprintln(tw, head)
		row := func(subject, session string, s SeizureScores) {
			r := sec.get(s)
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%d\t%d\t%d\t%s\t%s\t%s\t%s", subject, session, float64(r.Duration)/3600,
				r.RefTrue, r.TP, r.FP, fixed(r.Sensitivity, 3), fixed(r.Precision, 3), fixed(r.F1, 3), fixed(r.FPRate, 2))
			if sec.latency {
				fmt.Fprintf(tw, "\t%s", latencies(s.AlarmLatency))
			}
			fmt.Fprintln(tw)
		}
		for _, r := range ev.Records {
			row(r.Subject, r.Session, r.SeizureScores)
		}
		row("total", "", ev.Total)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// latencies summarises alarm latencies: detected of all, and the median
// and range of the detected ones.
func latencies(l []metrics.JSONFloat) string {
	if len(l) == 0 {
		return "–"
	}
	ls := make([]metrics.Latency, len(l))
	for i, v := range l {
		ls[i] = metrics.Latency{Detected: !math.IsNaN(float64(v)), Latency: float64(v)}
	}
	sum := metrics.SummarizeLatencies(ls)
	if sum.Detected == 0 {
		return fmt.Sprintf("0/%d", sum.Events)
	}
	return fmt.Sprintf("%d/%d, %.1f (%.1f–%.1f) s", sum.Detected, sum.Events, sum.Median, sum.Min, sum.Max)
}

// fixed formats v with prec decimals, NaN as n/a.
func fixed(v metrics.JSONFloat, prec int) string {
	if math.IsNaN(float64(v)) {
		return "n/a"
	}
	return strconv.FormatFloat(float64(v), 'f', prec, 64)
}
