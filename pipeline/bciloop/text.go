package bciloop

import (
	"fmt"
	"io"
)

// WriteText writes r as `neurostream bench bci-loop` prints it.
func (r *Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "bci loop (%s): %d of %d decisions, %d missing, %d duplicates\n", r.Mode, r.N, r.Expected, r.Missing, r.Duplicates)
	fmt.Fprintf(w, "latency from the window's last sample pushed to its decision received: p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms\n",
		r.P50, r.P99, r.Max, r.Mean)
	if r.Correct >= 0 {
		fmt.Fprintf(w, "correct decisions: %d of %d\n", r.Correct, r.N)
	}
}
