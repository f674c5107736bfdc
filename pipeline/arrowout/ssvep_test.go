package arrowout

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
)

// TestSSVEPRows: one row per window with no label column; rest rows carry
// decision −1 and a NaN frequency; list columns keep every target.
func TestSSVEPRows(t *testing.T) {
	k := WindowKey{Session: "s", Window: 7, StartSample: 448, StartTimeNS: 1_700_000_000_000_000_000}
	freqs := []float64{8, 11, 13}
	r := NewSSVEPRows(nil)
	defer r.Release()
	r.Reserve(2, len(freqs))
	r.Append(k, &SSVEPRow{Method: "fbcca", Decision: 1, Frequency: 11, Score: 0.9, Margin: 0.3, Scores: []float64{0.2, 0.9, 0.6}, Frequencies: freqs})
	k.Window++
	r.Append(k, &SSVEPRow{Method: "fbcca", Decision: -1, Frequency: math.NaN(), Score: 0.4, Margin: 0.01, Scores: []float64{0.4, 0.39, 0.1}, Frequencies: freqs})
	rec := r.Flush()
	defer rec.Release()
	if !rec.Schema().Equal(SSVEPSchema) || rec.NumRows() != 2 || rec.Schema().Field(4).Name != "method" {
		t.Fatalf("schema %v, %d rows", rec.Schema(), rec.NumRows())
	}
	if md, _ := rec.Schema().Metadata().GetValue("neurostream.kind"); md != "ssvep" {
		t.Errorf("kind metadata %q", md)
	}
	dec := rec.Column(5).(*array.Int32)
	freq := rec.Column(6).(*array.Float64)
	if dec.Value(0) != 1 || freq.Value(0) != 11 || dec.Value(1) != -1 || !math.IsNaN(freq.Value(1)) {
		t.Errorf("decisions %v, frequencies %v", dec, freq)
	}
	scores := rec.Column(9).(*array.List)
	fl := rec.Column(10).(*array.List)
	lo, hi := scores.ValueOffsets(1)
	if got := scores.ListValues().(*array.Float64).Float64Values()[lo:hi]; len(got) != 3 || got[1] != 0.39 {
		t.Errorf("row 1 scores %v", got)
	}
	lo, hi = fl.ValueOffsets(1)
	if got := fl.ListValues().(*array.Float64).Float64Values()[lo:hi]; len(got) != 3 || got[2] != 13 {
		t.Errorf("row 1 frequencies %v", got)
	}
	if r.Flush() != nil {
		t.Error("second flush not empty")
	}
}
