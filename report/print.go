package report

import (
	"fmt"
	"io"
)

// Print writes what the report did: each file not used and why, the
// SzCORE event scores, and the figures written with where to open them.
func (r *Report) Print(w io.Writer) {
	for _, p := range r.Problems {
		fmt.Fprintf(w, "not used: %s\n", p)
	}
	for _, s := range r.Scores {
		fmt.Fprintf(w, "seizure %s: %d reference events, TP %d, FP %d, sensitivity %.3g, precision %.3g, F1 %.3g\n",
			s.Session, s.RefTrue, s.TP, s.FP, s.Sensitivity, s.Precision, s.F1)
	}
	fmt.Fprintf(w, "wrote %d figures (PNG and SVG) from %d result files; open %s\n", len(r.Figures), r.Files, r.Index)
}
