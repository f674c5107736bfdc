package arrowout

import "github.com/apache/arrow/go/v17/arrow/memory"

var ssvepTable = newTable(KindSSVEP, nil,
	stringCol("method", 5, func(r SSVEPRow) string { return r.Method }),
	int32Col("decision", func(r SSVEPRow) int32 { return int32(r.Decision) }),
	float64Col("frequency", func(r SSVEPRow) float64 { return r.Frequency }),
	float64Col("score", func(r SSVEPRow) float64 { return r.Score }),
	float64Col("margin", func(r SSVEPRow) float64 { return r.Margin }),
	float64sCol("scores", func(r SSVEPRow) []float64 { return r.Scores }),
	float64sCol("frequencies", func(r SSVEPRow) []float64 { return r.Frequencies }),
	int32Col("event_code", func(r SSVEPRow) int32 { return int32(r.EventCode) }).nullUnless(func(r SSVEPRow) bool { return r.Trial }),
)

// SSVEPSchema is the ssvep result: one row per window (no label columns),
// the SSVEP decoder's per-target scores and its decision. decision is the
// chosen target's index into frequencies, or −1 when the no-control rule
// refused every target (rest; frequency is then NaN). score is the top
// score and margin the top score minus the runner-up (NaN with a single
// target), the decision's confidence. scores and frequencies list every
// target in the configured order. In trial mode (windows locked to
// stimulus events) window is the onset sample and event_code the event's
// code (the trial's label, when codes name targets); it is null in
// asynchronous mode.
var SSVEPSchema = ssvepTable.schema

// SSVEPRows builds ssvep records.
type SSVEPRows struct{ rows[SSVEPRow] }

// NewSSVEPRows returns a builder of ssvep records; mem nil means the
// default allocator.
func NewSSVEPRows(mem memory.Allocator) *SSVEPRows { return &SSVEPRows{ssvepTable.rows(mem)} }

// Reserve makes room for n rows of targets scores each.
func (r *SSVEPRows) Reserve(n, targets int) { r.reserve(n, 16, n*targets, 0) }

// SSVEPRow is one window's SSVEP decision.
type SSVEPRow struct {
	// Method is the decoder: cca, fbcca, trca or etrca.
	Method string
	// Decision is the chosen target's index, or −1 for rest.
	Decision int
	// Frequency is the chosen target's frequency in Hz, NaN for rest.
	Frequency float64
	// Score is the top score, Margin the top minus the runner-up.
	Score, Margin float64
	// Scores[k] is target k's score at Frequencies[k] Hz.
	Scores, Frequencies []float64
	// Trial marks a window locked to a stimulus event of code EventCode.
	Trial     bool
	EventCode int
}

// Append adds window k's row.
func (r *SSVEPRows) Append(k WindowKey, row *SSVEPRow) {
	r.add(k, *row)
}
