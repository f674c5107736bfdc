package arrowout

import (
	"math/cmplx"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// CoherenceSchema is the coherence result: one row per window, channel
// pair (seed, target), connectivity method and band. value is the
// band-averaged score (dimensionless); for method cohy it is the magnitude
// of the band-averaged complex coherency, whose parts are real and imag
// (null for every other method). n_segments is how many Welch segments
// (mne-connectivity's epochs) the window held.
var CoherenceSchema = schema(KindCoherence, pairLabels,
	arrow.Field{Name: "method", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "band", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "fmin", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "fmax", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "value", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "real", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "imag", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "n_segments", Type: arrow.PrimitiveTypes.Int32},
)

// XCorrSchema is the xcorr result: one row per window and channel, the
// normalized cross-correlation of the channel (or its Hilbert envelope)
// with the reference channel (or its envelope) at lags lag_start_seconds +
// i·lag_step_seconds. A positive lag means the channel follows the
// reference. corr is null unless the stage emits curves.
var XCorrSchema = schema(KindXCorr, channelLabels,
	arrow.Field{Name: "reference", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "envelope", Type: arrow.FixedWidthTypes.Boolean},
	arrow.Field{Name: "peak_lag_seconds", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "peak_corr", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "zero_lag_corr", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "lag_start_seconds", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "lag_step_seconds", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "corr", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
)

// CoherenceRows builds coherence records.
type CoherenceRows struct {
	rows
	method   *array.StringBuilder
	band     *array.StringBuilder
	fmin     *array.Float64Builder
	fmax     *array.Float64Builder
	value    *array.Float64Builder
	re, im   *array.Float64Builder
	segments *array.Int32Builder
}

// NewCoherenceRows returns a builder of coherence records; mem nil means
// the default allocator.
func NewCoherenceRows(mem memory.Allocator) *CoherenceRows {
	r := &CoherenceRows{rows: newRows(mem, CoherenceSchema, len(pairLabels))}
	r.method = r.field(0).(*array.StringBuilder)
	r.band = r.field(1).(*array.StringBuilder)
	r.fmin = r.field(2).(*array.Float64Builder)
	r.fmax = r.field(3).(*array.Float64Builder)
	r.value = r.field(4).(*array.Float64Builder)
	r.re = r.field(5).(*array.Float64Builder)
	r.im = r.field(6).(*array.Float64Builder)
	r.segments = r.field(7).(*array.Int32Builder)
	return r
}

// Reserve makes room for n rows.
func (r *CoherenceRows) Reserve(n int) {
	r.reserve(n, 16)
	r.method.ReserveData(n * 5)
	r.band.ReserveData(n * 8)
}

// Append adds a real-valued score of one pair, method and band for
// window k; real and imag are null.
func (r *CoherenceRows) Append(k WindowKey, seed, target, method, band string, fmin, fmax, value float64, segments int) {
	r.pairKey(k, seed, target)
	r.method.Append(method)
	r.band.Append(band)
	r.fmin.Append(fmin)
	r.fmax.Append(fmax)
	r.value.Append(value)
	r.re.AppendNull()
	r.im.AppendNull()
	r.segments.Append(int32(segments))
}

// AppendComplex adds a complex score (coherency): value is |z|, real and
// imag its parts.
func (r *CoherenceRows) AppendComplex(k WindowKey, seed, target, method, band string, fmin, fmax float64, z complex128, segments int) {
	r.pairKey(k, seed, target)
	r.method.Append(method)
	r.band.Append(band)
	r.fmin.Append(fmin)
	r.fmax.Append(fmax)
	r.value.Append(cmplx.Abs(z))
	r.re.Append(real(z))
	r.im.Append(imag(z))
	r.segments.Append(int32(segments))
}

// XCorrRows builds xcorr records.
type XCorrRows struct {
	rows
	reference *array.StringBuilder
	envelope  *array.BooleanBuilder
	peakLag   *array.Float64Builder
	peakCorr  *array.Float64Builder
	zeroLag   *array.Float64Builder
	lagStart  *array.Float64Builder
	lagStep   *array.Float64Builder
	corr      *array.ListBuilder
	values    *array.Float64Builder
}

// NewXCorrRows returns a builder of xcorr records; mem nil means the
// default allocator.
func NewXCorrRows(mem memory.Allocator) *XCorrRows {
	r := &XCorrRows{rows: newRows(mem, XCorrSchema, len(channelLabels))}
	r.reference = r.field(0).(*array.StringBuilder)
	r.envelope = r.field(1).(*array.BooleanBuilder)
	r.peakLag = r.field(2).(*array.Float64Builder)
	r.peakCorr = r.field(3).(*array.Float64Builder)
	r.zeroLag = r.field(4).(*array.Float64Builder)
	r.lagStart = r.field(5).(*array.Float64Builder)
	r.lagStep = r.field(6).(*array.Float64Builder)
	r.corr = r.field(7).(*array.ListBuilder)
	r.values = r.corr.ValueBuilder().(*array.Float64Builder)
	return r
}

// Reserve makes room for n rows with lags correlation values each (0 when
// no curves are emitted).
func (r *XCorrRows) Reserve(n, lags int) {
	r.reserve(n, 16)
	r.reference.ReserveData(n * 16)
	r.values.Reserve(n * lags)
}

// XCorrRow is one channel's cross-correlation summary for one window.
type XCorrRow struct {
	Channel, Reference string
	// Envelope is true when Hilbert envelopes were correlated.
	Envelope bool
	// PeakLag in seconds, PeakCorr the signed correlation there, ZeroLag
	// the correlation at lag 0.
	PeakLag, PeakCorr, ZeroLag float64
	// LagStart and LagStep in seconds give the lag of Corr[i]:
	// LagStart + i·LagStep.
	LagStart, LagStep float64
	// Corr is the correlation curve; nil writes a null.
	Corr []float64
}

// Append adds one channel's row for window k.
func (r *XCorrRows) Append(k WindowKey, row *XCorrRow) {
	r.key(k, row.Channel)
	r.reference.Append(row.Reference)
	r.envelope.Append(row.Envelope)
	r.peakLag.Append(row.PeakLag)
	r.peakCorr.Append(row.PeakCorr)
	r.zeroLag.Append(row.ZeroLag)
	r.lagStart.Append(row.LagStart)
	r.lagStep.Append(row.LagStep)
	if row.Corr == nil {
		r.corr.AppendNull()
		return
	}
	r.corr.Append(true)
	r.values.AppendValues(row.Corr, nil)
}
