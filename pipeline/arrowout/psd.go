package arrowout

import "github.com/apache/arrow/go/v17/arrow/memory"

// psdRow is a psd row after its key columns.
type psdRow struct {
	unit                string
	freqStart, freqStep float64
	psd                 []float64
}

var psdTable = newTable(KindPSD, channelLabels,
	stringCol("unit", 8, func(r psdRow) string { return r.unit }),
	float64Col("freq_start", func(r psdRow) float64 { return r.freqStart }),
	float64Col("freq_step", func(r psdRow) float64 { return r.freqStep }),
	float64sCol("psd", func(r psdRow) []float64 { return r.psd }),
)

// PSDSchema is the psd result: one row per window and channel, the
// one-sided PSD in the channel unit squared per Hz (V²/Hz for EEG) at
// frequencies freq_start + k·freq_step Hz.
var PSDSchema = psdTable.schema

// PSDRows builds psd records.
type PSDRows struct{ rows[psdRow] }

// NewPSDRows returns a builder of psd records; mem nil means the default
// allocator.
func NewPSDRows(mem memory.Allocator) *PSDRows { return &PSDRows{psdTable.rows(mem)} }

// Reserve makes room for n rows of bins values each.
func (r *PSDRows) Reserve(n, bins int) { r.reserve(n, 16, n*bins, 0) }

// Append adds one channel's PSD for window k.
func (r *PSDRows) Append(k WindowKey, channel, unit string, freqStart, freqStep float64, psd []float64) {
	r.add(k, psdRow{unit: unit, freqStart: freqStart, freqStep: freqStep, psd: psd}, channel)
}

// bandPowerRow is a bandpower row after its key columns.
type bandPowerRow struct {
	unit, band                  string
	fmin, fmax, power, relative float64
}

var bandPowerTable = newTable(KindBandPower, channelLabels,
	stringCol("unit", 8, func(r bandPowerRow) string { return r.unit }),
	stringCol("band", 8, func(r bandPowerRow) string { return r.band }),
	float64Col("fmin", func(r bandPowerRow) float64 { return r.fmin }),
	float64Col("fmax", func(r bandPowerRow) float64 { return r.fmax }),
	float64Col("power", func(r bandPowerRow) float64 { return r.power }),
	float64Col("relative", func(r bandPowerRow) float64 { return r.relative }),
)

// BandPowerSchema is the bandpower result: one row per window, channel and
// band; power is in the channel unit squared (V² for EEG), relative is the
// band's share of the power over the configured total range.
var BandPowerSchema = bandPowerTable.schema

// BandPowerRows builds bandpower records.
type BandPowerRows struct{ rows[bandPowerRow] }

// NewBandPowerRows returns a builder of bandpower records.
func NewBandPowerRows(mem memory.Allocator) *BandPowerRows {
	return &BandPowerRows{bandPowerTable.rows(mem)}
}

// Reserve makes room for n rows.
func (r *BandPowerRows) Reserve(n int) { r.reserve(n, 16, 0, 0) }

// Append adds one band of one channel for window k.
func (r *BandPowerRows) Append(k WindowKey, channel, unit, band string, fmin, fmax, power, relative float64) {
	r.add(k, bandPowerRow{unit: unit, band: band, fmin: fmin, fmax: fmax, power: power, relative: relative}, channel)
}
