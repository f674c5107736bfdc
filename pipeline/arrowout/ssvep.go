package arrowout

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
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
var SSVEPSchema = schema(KindSSVEP, nil,
	arrow.Field{Name: "method", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "decision", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "frequency", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "score", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "margin", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "scores", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
	arrow.Field{Name: "frequencies", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
	arrow.Field{Name: "event_code", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
)

// SSVEPRows builds ssvep records.
type SSVEPRows struct {
	rows
	method      *array.StringBuilder
	decision    *array.Int32Builder
	frequency   *array.Float64Builder
	score       *array.Float64Builder
	margin      *array.Float64Builder
	scores      *array.ListBuilder
	scoreValues *array.Float64Builder
	freqs       *array.ListBuilder
	freqValues  *array.Float64Builder
	eventCode   *array.Int32Builder
}

// NewSSVEPRows returns a builder of ssvep records; mem nil means the
// default allocator.
func NewSSVEPRows(mem memory.Allocator) *SSVEPRows {
	r := &SSVEPRows{rows: newRows(mem, SSVEPSchema, 0)}
	r.method = r.field(0).(*array.StringBuilder)
	r.decision = r.field(1).(*array.Int32Builder)
	r.frequency = r.field(2).(*array.Float64Builder)
	r.score = r.field(3).(*array.Float64Builder)
	r.margin = r.field(4).(*array.Float64Builder)
	r.scores = r.field(5).(*array.ListBuilder)
	r.scoreValues = r.scores.ValueBuilder().(*array.Float64Builder)
	r.freqs = r.field(6).(*array.ListBuilder)
	r.freqValues = r.freqs.ValueBuilder().(*array.Float64Builder)
	r.eventCode = r.field(7).(*array.Int32Builder)
	return r
}

// Reserve makes room for n rows of targets scores each.
func (r *SSVEPRows) Reserve(n, targets int) {
	r.reserve(n, 16)
	r.method.ReserveData(n * 5)
	r.scoreValues.Reserve(n * targets)
	r.freqValues.Reserve(n * targets)
}

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
	r.windowKey(k)
	r.method.Append(row.Method)
	r.decision.Append(int32(row.Decision))
	r.frequency.Append(row.Frequency)
	r.score.Append(row.Score)
	r.margin.Append(row.Margin)
	r.scores.Append(true)
	r.scoreValues.AppendValues(row.Scores, nil)
	r.freqs.Append(true)
	r.freqValues.AppendValues(row.Frequencies, nil)
	if row.Trial {
		r.eventCode.Append(int32(row.EventCode))
	} else {
		r.eventCode.AppendNull()
	}
}
