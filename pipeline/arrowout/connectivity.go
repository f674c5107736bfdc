package arrowout

import (
	"math/cmplx"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// coherenceRow is a coherence row after its key columns; z is set for a
// complex score only.
type coherenceRow struct {
	method, band      string
	fmin, fmax, value float64
	z                 complex128
	complex           bool
	segments          int32
}

var coherenceTable = newTable(KindCoherence, pairLabels,
	stringCol("method", 5, func(r coherenceRow) string { return r.method }),
	stringCol("band", 8, func(r coherenceRow) string { return r.band }),
	float64Col("fmin", func(r coherenceRow) float64 { return r.fmin }),
	float64Col("fmax", func(r coherenceRow) float64 { return r.fmax }),
	float64Col("value", func(r coherenceRow) float64 { return r.value }),
	float64Col("real", func(r coherenceRow) float64 { return real(r.z) }).nullUnless(isComplex),
	float64Col("imag", func(r coherenceRow) float64 { return imag(r.z) }).nullUnless(isComplex),
	int32Col("n_segments", func(r coherenceRow) int32 { return r.segments }),
)

func isComplex(r coherenceRow) bool { return r.complex }

// CoherenceSchema is the coherence result: one row per window, channel
// pair (seed, target), connectivity method and band. value is the
// band-averaged score (dimensionless); for method cohy it is the magnitude
// of the band-averaged complex coherency, whose parts are real and imag
// (null for every other method). n_segments is how many Welch segments
// (mne-connectivity's epochs) the window held.
var CoherenceSchema = coherenceTable.schema

// CoherenceRows builds coherence records.
type CoherenceRows struct{ rows[coherenceRow] }

// NewCoherenceRows returns a builder of coherence records; mem nil means
// the default allocator.
func NewCoherenceRows(mem memory.Allocator) *CoherenceRows {
	return &CoherenceRows{coherenceTable.rows(mem)}
}

// Reserve makes room for n rows.
func (r *CoherenceRows) Reserve(n int) { r.reserve(n, 16, 0, 0) }

// Append adds a real-valued score of one pair, method and band for
// window k; real and imag are null.
func (r *CoherenceRows) Append(k WindowKey, seed, target, method, band string, fmin, fmax, value float64, segments int) {
	r.add(k, coherenceRow{method: method, band: band, fmin: fmin, fmax: fmax, value: value, segments: int32(segments)}, seed, target)
}

// AppendComplex adds a complex score (coherency): value is |z|, real and
// imag its parts.
func (r *CoherenceRows) AppendComplex(k WindowKey, seed, target, method, band string, fmin, fmax float64, z complex128, segments int) {
	r.add(k, coherenceRow{method: method, band: band, fmin: fmin, fmax: fmax, value: cmplx.Abs(z), z: z, complex: true, segments: int32(segments)}, seed, target)
}

var xcorrTable = newTable(KindXCorr, channelLabels,
	stringCol("reference", 16, func(r XCorrRow) string { return r.Reference }),
	boolCol("envelope", func(r XCorrRow) bool { return r.Envelope }),
	float64Col("peak_lag_seconds", func(r XCorrRow) float64 { return r.PeakLag }),
	float64Col("peak_corr", func(r XCorrRow) float64 { return r.PeakCorr }),
	float64Col("zero_lag_corr", func(r XCorrRow) float64 { return r.ZeroLag }),
	float64Col("lag_start_seconds", func(r XCorrRow) float64 { return r.LagStart }),
	float64Col("lag_step_seconds", func(r XCorrRow) float64 { return r.LagStep }),
	float64sCol("corr", func(r XCorrRow) []float64 { return r.Corr }).nullUnless(func(r XCorrRow) bool { return r.Corr != nil }),
)

// XCorrSchema is the xcorr result: one row per window and channel, the
// normalized cross-correlation of the channel (or its Hilbert envelope)
// with the reference channel (or its envelope) at lags lag_start_seconds +
// i·lag_step_seconds. A positive lag means the channel follows the
// reference. corr is null unless the stage emits curves.
var XCorrSchema = xcorrTable.schema

// XCorrRows builds xcorr records.
type XCorrRows struct{ rows[XCorrRow] }

// NewXCorrRows returns a builder of xcorr records; mem nil means the
// default allocator.
func NewXCorrRows(mem memory.Allocator) *XCorrRows { return &XCorrRows{xcorrTable.rows(mem)} }

// Reserve makes room for n rows with lags correlation values each (0 when
// no curves are emitted).
func (r *XCorrRows) Reserve(n, lags int) { r.reserve(n, 16, n*lags, 0) }

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
	r.add(k, *row, row.Channel)
}
