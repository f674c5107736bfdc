// Package arrowout defines the Arrow schemas of neurostream's results and
// writes them: row builders per result kind, and sinks that write Arrow IPC
// files or Parquet files that pyarrow, DuckDB or polars read as they are.
//
// Every result row starts with the same key columns: session, window (index
// on the session's window clock), start_sample (first sample of the window
// on the session's sample clock) and start_time (UTC). docs/schemas.md
// documents each kind; SchemaVersion changes when a schema does.
package arrowout

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// SchemaVersion is written as neurostream.schema_version in every schema.
const SchemaVersion = "1"

// Kind names a result kind; it is the file stem and, in Kafka, the topic
// suffix.
type Kind string

// Result kinds.
const (
	KindPSD       Kind = "psd"
	KindBandPower Kind = "bandpower"
)

// WindowKey identifies one analysis window of one session.
type WindowKey struct {
	Session string
	// Window is the window index: window k starts at sample k·hop.
	Window int64
	// StartSample is the first sample of the window on the session clock.
	StartSample int64
	// StartTimeNS is the wall-clock time of StartSample in unix ns.
	StartTimeNS int64
}

// Result is the rows one stage produced for one window of one session.
type Result struct {
	Kind   Kind
	Key    WindowKey
	Record arrow.Record
}

// IdempotencyKey is "session/kind/window": the same window processed twice
// (after a crash or rebalance) carries the same key.
func (r Result) IdempotencyKey() string {
	return fmt.Sprintf("%s/%s/%d", r.Key.Session, r.Kind, r.Key.Window)
}

func keyFields() []arrow.Field {
	return []arrow.Field{
		{Name: "session", Type: arrow.BinaryTypes.String},
		{Name: "window", Type: arrow.PrimitiveTypes.Int64},
		{Name: "start_sample", Type: arrow.PrimitiveTypes.Int64},
		{Name: "start_time", Type: arrow.FixedWidthTypes.Timestamp_ns},
		{Name: "channel", Type: arrow.BinaryTypes.String},
	}
}

func schema(kind Kind, extra ...arrow.Field) *arrow.Schema {
	md := arrow.NewMetadata(
		[]string{"neurostream.kind", "neurostream.schema_version"},
		[]string{string(kind), SchemaVersion},
	)
	return arrow.NewSchema(append(keyFields(), extra...), &md)
}

// PSDSchema is the psd result: one row per window and channel, the
// one-sided PSD in the channel unit squared per Hz (V²/Hz for EEG) at
// frequencies freq_start + k·freq_step Hz.
var PSDSchema = schema(KindPSD,
	arrow.Field{Name: "unit", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "freq_start", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "freq_step", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "psd", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
)

// BandPowerSchema is the bandpower result: one row per window, channel and
// band; power is in the channel unit squared (V² for EEG), relative is the
// band's share of the power over the configured total range.
var BandPowerSchema = schema(KindBandPower,
	arrow.Field{Name: "unit", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "band", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "fmin", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "fmax", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "power", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "relative", Type: arrow.PrimitiveTypes.Float64},
)

// Kinds lists every result kind.
func Kinds() []Kind { return []Kind{KindPSD, KindBandPower} }

// Schema returns the schema of a result kind, or nil for an unknown kind.
func Schema(k Kind) *arrow.Schema {
	switch k {
	case KindPSD:
		return PSDSchema
	case KindBandPower:
		return BandPowerSchema
	}
	return nil
}

// rows wraps a RecordBuilder and the key-column builders shared by every
// kind.
type rows struct {
	b       *array.RecordBuilder
	session *array.StringBuilder
	window  *array.Int64Builder
	start   *array.Int64Builder
	time    *array.TimestampBuilder
	channel *array.StringBuilder
}

func newRows(mem memory.Allocator, s *arrow.Schema) rows {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, s)
	return rows{
		b:       b,
		session: b.Field(0).(*array.StringBuilder),
		window:  b.Field(1).(*array.Int64Builder),
		start:   b.Field(2).(*array.Int64Builder),
		time:    b.Field(3).(*array.TimestampBuilder),
		channel: b.Field(4).(*array.StringBuilder),
	}
}

func (r *rows) key(k WindowKey, channel string) {
	r.session.Append(k.Session)
	r.window.Append(k.Window)
	r.start.Append(k.StartSample)
	r.time.Append(arrow.Timestamp(k.StartTimeNS))
	r.channel.Append(channel)
}

// reserve makes room for n more rows, with strBytes bytes of session and
// channel text per row, so appending them grows no buffer: one allocation
// per column instead of one per doubling.
func (r *rows) reserve(n, strBytes int) {
	for _, f := range r.b.Fields() {
		f.Reserve(n)
	}
	r.session.ReserveData(n * strBytes)
	r.channel.ReserveData(n * strBytes)
}

// Len returns the number of rows appended since the last Flush.
func (r *rows) Len() int { return r.session.Len() }

// Flush returns the appended rows as a record (the caller releases it) and
// starts a new one; nil when there are none.
func (r *rows) Flush() arrow.Record {
	if r.Len() == 0 {
		return nil
	}
	return r.b.NewRecord()
}

// Release frees the builder.
func (r *rows) Release() { r.b.Release() }

// PSDRows builds psd records.
type PSDRows struct {
	rows
	unit      *array.StringBuilder
	freqStart *array.Float64Builder
	freqStep  *array.Float64Builder
	psd       *array.ListBuilder
	values    *array.Float64Builder
}

// NewPSDRows returns a builder of psd records; mem nil means the default
// allocator.
func NewPSDRows(mem memory.Allocator) *PSDRows {
	r := &PSDRows{rows: newRows(mem, PSDSchema)}
	r.unit = r.b.Field(5).(*array.StringBuilder)
	r.freqStart = r.b.Field(6).(*array.Float64Builder)
	r.freqStep = r.b.Field(7).(*array.Float64Builder)
	r.psd = r.b.Field(8).(*array.ListBuilder)
	r.values = r.psd.ValueBuilder().(*array.Float64Builder)
	return r
}

// Reserve makes room for n rows of bins values each.
func (r *PSDRows) Reserve(n, bins int) {
	r.reserve(n, 16)
	r.unit.ReserveData(n * 8)
	r.values.Reserve(n * bins)
}

// Append adds one channel's PSD for window k.
func (r *PSDRows) Append(k WindowKey, channel, unit string, freqStart, freqStep float64, psd []float64) {
	r.key(k, channel)
	r.unit.Append(unit)
	r.freqStart.Append(freqStart)
	r.freqStep.Append(freqStep)
	r.psd.Append(true)
	r.values.AppendValues(psd, nil)
}

// BandPowerRows builds bandpower records.
type BandPowerRows struct {
	rows
	unit     *array.StringBuilder
	band     *array.StringBuilder
	fmin     *array.Float64Builder
	fmax     *array.Float64Builder
	power    *array.Float64Builder
	relative *array.Float64Builder
}

// NewBandPowerRows returns a builder of bandpower records.
func NewBandPowerRows(mem memory.Allocator) *BandPowerRows {
	r := &BandPowerRows{rows: newRows(mem, BandPowerSchema)}
	r.unit = r.b.Field(5).(*array.StringBuilder)
	r.band = r.b.Field(6).(*array.StringBuilder)
	r.fmin = r.b.Field(7).(*array.Float64Builder)
	r.fmax = r.b.Field(8).(*array.Float64Builder)
	r.power = r.b.Field(9).(*array.Float64Builder)
	r.relative = r.b.Field(10).(*array.Float64Builder)
	return r
}

// Reserve makes room for n rows.
func (r *BandPowerRows) Reserve(n int) {
	r.reserve(n, 16)
	r.unit.ReserveData(n * 8)
	r.band.ReserveData(n * 8)
}

// Append adds one band of one channel for window k.
func (r *BandPowerRows) Append(k WindowKey, channel, unit, band string, fmin, fmax, power, relative float64) {
	r.key(k, channel)
	r.unit.Append(unit)
	r.band.Append(band)
	r.fmin.Append(fmin)
	r.fmax.Append(fmax)
	r.power.Append(power)
	r.relative.Append(relative)
}
