package arrowout

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Seizure row types.
const (
	SeizureRowWindow = "window"
	SeizureRowEvent  = "event"
	SeizureRowEnd    = "end"
)

// Seizure window states.
const (
	SeizureIctal      = "ictal"
	SeizureBackground = "background"
)

// SeizureSchema is the seizure result (no label columns). Every window has
// one row_type "window" row: the detector's probability, its moving
// average (smoothed) and the hysteresis state ("ictal" or "background");
// the event columns are null. When an event is final (its end plus the
// merge gap has passed) the window that finalised it also carries a
// row_type "event" row, whose key columns are that window's, not the
// event's: onset_seconds and offset_seconds from the session's sample 0,
// confidence (the mean smoothed probability over the event's ictal
// windows), the analysed channels, and the onset and offset again as
// samples on the session's clock (onset_sample, offset_sample) and wall
// clock (onset_time, offset_time); the window columns are null. When a
// finite input ends, a session's events still open or waiting out their
// merge gap are written, then one row_type "end" row whose offset columns
// give the session's end (offset_seconds is its duration, what an SzCORE
// annotation file calls recordingDuration); its other columns are null.
var SeizureSchema = schema(KindSeizure, nil,
	arrow.Field{Name: "row_type", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "probability", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "smoothed", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "state", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "onset_seconds", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "offset_seconds", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "confidence", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "channels", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	// After the columns above, whose positions readers (SzCORESink) use.
	arrow.Field{Name: "onset_sample", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	arrow.Field{Name: "onset_time", Type: arrow.FixedWidthTypes.Timestamp_ns, Nullable: true},
	arrow.Field{Name: "offset_sample", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	arrow.Field{Name: "offset_time", Type: arrow.FixedWidthTypes.Timestamp_ns, Nullable: true},
)

// SeizureEvent is a seizure event as an event row gives it: [Onset,
// Offset) in seconds from the session's sample 0, the same span in samples
// of the session's clock and in wall-clock time (unix ns), and its
// confidence.
type SeizureEvent struct {
	Onset, Offset             float64
	OnsetSample, OffsetSample int64
	OnsetTimeNS, OffsetTimeNS int64
	Confidence                float64
}

// SeizureRows builds seizure records.
type SeizureRows struct {
	rows
	rowType     *array.StringBuilder
	probability *array.Float64Builder
	smoothed    *array.Float64Builder
	state       *array.StringBuilder
	onset       *array.Float64Builder
	offset      *array.Float64Builder
	confidence  *array.Float64Builder
	channels    *array.ListBuilder
	chValues    *array.StringBuilder
	onsetSample *array.Int64Builder
	onsetTime   *array.TimestampBuilder
	offSample   *array.Int64Builder
	offTime     *array.TimestampBuilder
}

// NewSeizureRows returns a builder of seizure records; mem nil means the
// default allocator.
func NewSeizureRows(mem memory.Allocator) *SeizureRows {
	r := &SeizureRows{rows: newRows(mem, SeizureSchema, 0)}
	r.rowType = r.field(0).(*array.StringBuilder)
	r.probability = r.field(1).(*array.Float64Builder)
	r.smoothed = r.field(2).(*array.Float64Builder)
	r.state = r.field(3).(*array.StringBuilder)
	r.onset = r.field(4).(*array.Float64Builder)
	r.offset = r.field(5).(*array.Float64Builder)
	r.confidence = r.field(6).(*array.Float64Builder)
	r.channels = r.field(7).(*array.ListBuilder)
	r.chValues = r.channels.ValueBuilder().(*array.StringBuilder)
	r.onsetSample = r.field(8).(*array.Int64Builder)
	r.onsetTime = r.field(9).(*array.TimestampBuilder)
	r.offSample = r.field(10).(*array.Int64Builder)
	r.offTime = r.field(11).(*array.TimestampBuilder)
	return r
}

// Reserve makes room for n rows, of which events carry channel lists of
// channels labels of at most labelBytes bytes in all.
func (r *SeizureRows) Reserve(n, events, channels, labelBytes int) {
	r.reserve(n, 16)
	r.rowType.ReserveData(n * 6)
	r.state.ReserveData(n * 10)
	r.chValues.Reserve(events * channels)
	r.chValues.ReserveData(events * labelBytes)
}

// AppendWindow adds window k's row: probability, smoothed probability and
// whether the state is ictal.
func (r *SeizureRows) AppendWindow(k WindowKey, probability, smoothed float64, ictal bool) {
	r.windowKey(k)
	r.rowType.Append(SeizureRowWindow)
	r.probability.Append(probability)
	r.smoothed.Append(smoothed)
	if ictal {
		r.state.Append(SeizureIctal)
	} else {
		r.state.Append(SeizureBackground)
	}
	r.onset.AppendNull()
	r.offset.AppendNull()
	r.confidence.AppendNull()
	r.channels.AppendNull()
	r.onsetSample.AppendNull()
	r.onsetTime.AppendNull()
	r.offSample.AppendNull()
	r.offTime.AppendNull()
}

// AppendEnd adds the session's end row at key k: the session ends at
// sample endSample, endTimeNS (unix ns), duration seconds after sample 0.
func (r *SeizureRows) AppendEnd(k WindowKey, duration float64, endSample, endTimeNS int64) {
	r.windowKey(k)
	r.rowType.Append(SeizureRowEnd)
	r.probability.AppendNull()
	r.smoothed.AppendNull()
	r.state.AppendNull()
	r.onset.AppendNull()
	r.offset.Append(duration)
	r.confidence.AppendNull()
	r.channels.AppendNull()
	r.onsetSample.AppendNull()
	r.onsetTime.AppendNull()
	r.offSample.Append(endSample)
	r.offTime.Append(arrow.Timestamp(endTimeNS))
}

// AppendEvent adds event ev, finalised at window k, and the analysed
// channels.
func (r *SeizureRows) AppendEvent(k WindowKey, ev SeizureEvent, channels []string) {
	r.windowKey(k)
	r.rowType.Append(SeizureRowEvent)
	r.probability.AppendNull()
	r.smoothed.AppendNull()
	r.state.AppendNull()
	r.onset.Append(ev.Onset)
	r.offset.Append(ev.Offset)
	r.confidence.Append(ev.Confidence)
	r.channels.Append(true)
	for _, c := range channels {
		r.chValues.Append(c)
	}
	r.onsetSample.Append(ev.OnsetSample)
	r.onsetTime.Append(arrow.Timestamp(ev.OnsetTimeNS))
	r.offSample.Append(ev.OffsetSample)
	r.offTime.Append(arrow.Timestamp(ev.OffsetTimeNS))
}
