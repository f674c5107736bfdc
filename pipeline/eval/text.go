package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/neurostream/neurostream/models/metrics"
)

// WriteJSON writes ev as one indented JSON object.
func (ev *SSVEPEvaluation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ev)
}

// WriteText writes ev as two tables: a row per test session, then the
// means over subjects.
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
	fmt.Fprintf(w, "\nmean over subjects (each subject's test sessions pooled)\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "method\twindow\tclasses\tsubjects\taccuracy\tbalanced\tITR")
	for _, s := range ev.Summary {
		fmt.Fprintf(tw, "%s\t%g s\t%d\t%d\t%s\t%s\t%s\n", s.Method, s.WindowSeconds, s.Classes, s.Subjects,
			fixed(s.MeanAccuracy, 3), fixed(s.MeanBalancedAccuracy, 3), fixed(s.MeanITR, 1))
	}
	return tw.Flush()
}

// fixed formats v with prec decimals, NaN as n/a.
func fixed(v metrics.JSONFloat, prec int) string {
	if math.IsNaN(float64(v)) {
		return "n/a"
	}
	return strconv.FormatFloat(float64(v), 'f', prec, 64)
}
