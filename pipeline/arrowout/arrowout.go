// Package arrowout defines the Arrow schemas of neurostream's results and
// writes them: row builders per result kind, and sinks that write Arrow IPC
// files or Parquet files that pyarrow, DuckDB or polars read as they are.
//
// Every result row starts with the same key columns: session, window (index
// on the session's window clock), start_sample (first sample of the window
// on the session's sample clock) and start_time (UTC), then the labels of
// what the row describes: channel, or seed and target for channel pairs
// (coherence), or none for rows about a whole window (ssvep, seizure).
// docs/schemas.md documents each kind; SchemaVersion changes when a schema
// does.
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
	KindCoherence Kind = "coherence"
	KindXCorr     Kind = "xcorr"
	KindSSVEP     Kind = "ssvep"
	KindSeizure   Kind = "seizure"
	KindTokens    Kind = "tokens"
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

// Label columns: after the window key, each row names what it describes —
// one channel, or a (seed, target) channel pair.
var (
	channelLabels = []string{"channel"}
	pairLabels    = []string{"seed", "target"}
)

// keyFields returns the key columns: the window key (session, window,
// start_sample, start_time), then one utf8 column per label.
func keyFields(labels []string) []arrow.Field {
	f := []arrow.Field{
		{Name: "session", Type: arrow.BinaryTypes.String},
		{Name: "window", Type: arrow.PrimitiveTypes.Int64},
		{Name: "start_sample", Type: arrow.PrimitiveTypes.Int64},
		{Name: "start_time", Type: arrow.FixedWidthTypes.Timestamp_ns},
	}
	for _, l := range labels {
		f = append(f, arrow.Field{Name: l, Type: arrow.BinaryTypes.String})
	}
	return f
}

// schema returns kind's schema: the key columns with the given labels,
// then extra.
func schema(kind Kind, labels []string, extra ...arrow.Field) *arrow.Schema {
	md := arrow.NewMetadata(
		[]string{"neurostream.kind", "neurostream.schema_version"},
		[]string{string(kind), SchemaVersion},
	)
	return arrow.NewSchema(append(keyFields(labels), extra...), &md)
}

// PSDSchema is the psd result: one row per window and channel, the
// one-sided PSD in the channel unit squared per Hz (V²/Hz for EEG) at
// frequencies freq_start + k·freq_step Hz.
var PSDSchema = schema(KindPSD, channelLabels,
	arrow.Field{Name: "unit", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "freq_start", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "freq_step", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "psd", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
)

// BandPowerSchema is the bandpower result: one row per window, channel and
// band; power is in the channel unit squared (V² for EEG), relative is the
// band's share of the power over the configured total range.
var BandPowerSchema = schema(KindBandPower, channelLabels,
	arrow.Field{Name: "unit", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "band", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "fmin", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "fmax", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "power", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "relative", Type: arrow.PrimitiveTypes.Float64},
)

// Kinds lists every result kind.
func Kinds() []Kind {
	return []Kind{KindPSD, KindBandPower, KindCoherence, KindXCorr, KindSSVEP, KindSeizure, KindTokens, KindSessionEnd}
}

// Schema returns the schema of a result kind, or nil for an unknown kind.
func Schema(k Kind) *arrow.Schema {
	switch k {
	case KindPSD:
		return PSDSchema
	case KindBandPower:
		return BandPowerSchema
	case KindCoherence:
		return CoherenceSchema
	case KindXCorr:
		return XCorrSchema
	case KindSSVEP:
		return SSVEPSchema
	case KindSeizure:
		return SeizureSchema
	case KindTokens:
		return TokensSchema
	case KindSessionEnd:
		return SessionEndSchema
	}
	return nil
}

// rows wraps a RecordBuilder and the key-column builders shared by every
// kind: the window key and the label columns (channel, or seed and
// target).
type rows struct {
	b       *array.RecordBuilder
	session *array.StringBuilder
	window  *array.Int64Builder
	start   *array.Int64Builder
	time    *array.TimestampBuilder
	labels  []*array.StringBuilder
}

// newRows returns the builder of schema s, whose key columns have the
// given number of label columns.
func newRows(mem memory.Allocator, s *arrow.Schema, labels int) rows {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, s)
	r := rows{
		b:       b,
		session: b.Field(0).(*array.StringBuilder),
		window:  b.Field(1).(*array.Int64Builder),
		start:   b.Field(2).(*array.Int64Builder),
		time:    b.Field(3).(*array.TimestampBuilder),
	}
	for i := range labels {
		r.labels = append(r.labels, b.Field(4+i).(*array.StringBuilder))
	}
	return r
}

// field returns the builder of the i-th column after the key columns.
func (r *rows) field(i int) array.Builder { return r.b.Field(4 + len(r.labels) + i) }

func (r *rows) windowKey(k WindowKey) {
	r.session.Append(k.Session)
	r.window.Append(k.Window)
	r.start.Append(k.StartSample)
	r.time.Append(arrow.Timestamp(k.StartTimeNS))
}

// key appends the key columns of a row about one channel.
func (r *rows) key(k WindowKey, channel string) {
	r.windowKey(k)
	r.labels[0].Append(channel)
}

// pairKey appends the key columns of a row about a (seed, target) pair.
func (r *rows) pairKey(k WindowKey, seed, target string) {
	r.windowKey(k)
	r.labels[0].Append(seed)
	r.labels[1].Append(target)
}

// reserve makes room for n more rows, with strBytes bytes of session and
// label text per row, so appending them grows no buffer: one allocation
// per column instead of one per doubling.
func (r *rows) reserve(n, strBytes int) {
	for _, f := range r.b.Fields() {
		f.Reserve(n)
	}
	r.session.ReserveData(n * strBytes)
	for _, l := range r.labels {
		l.ReserveData(n * strBytes)
	}
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
	r := &PSDRows{rows: newRows(mem, PSDSchema, len(channelLabels))}
	r.unit = r.field(0).(*array.StringBuilder)
	r.freqStart = r.field(1).(*array.Float64Builder)
	r.freqStep = r.field(2).(*array.Float64Builder)
	r.psd = r.field(3).(*array.ListBuilder)
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
	r := &BandPowerRows{rows: newRows(mem, BandPowerSchema, len(channelLabels))}
	r.unit = r.field(0).(*array.StringBuilder)
	r.band = r.field(1).(*array.StringBuilder)
	r.fmin = r.field(2).(*array.Float64Builder)
	r.fmax = r.field(3).(*array.Float64Builder)
	r.power = r.field(4).(*array.Float64Builder)
	r.relative = r.field(5).(*array.Float64Builder)
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
