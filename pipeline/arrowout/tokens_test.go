package arrowout

import (
	"slices"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
)

// TestTokensRows: one row per channel and frame, after the key columns
// with the channel label.
func TestTokensRows(t *testing.T) {
	k := WindowKey{Session: "s", Window: 12, StartSample: 1200, StartTimeNS: 1_700_000_000_000_000_000}
	r := NewTokensRows(nil)
	defer r.Release()
	r.Reserve(3, 4)
	r.Append(k, "Cz", 13, 517, 0.25)
	r.Append(k, "C3", 13, 0, 0.5)
	r.AppendLevels(k, "C3", 14, 1023, 1.5, []int32{0, 15, 3, 7, 1})
	rec := r.Flush()
	defer rec.Release()
	if !rec.Schema().Equal(TokensSchema) || rec.NumRows() != 3 {
		t.Fatalf("schema %v, %d rows", rec.Schema(), rec.NumRows())
	}
	if md, _ := rec.Schema().Metadata().GetValue("neurostream.kind"); md != "tokens" {
		t.Errorf("kind metadata %q", md)
	}
	names := []string{"session", "window", "start_sample", "start_time", "channel", "frame", "token", "distance", "power_levels"}
	for i, f := range rec.Schema().Fields() {
		if f.Name != names[i] {
			t.Fatalf("column %d is %s, want %s", i, f.Name, names[i])
		}
	}
	ch := rec.Column(4).(*array.String)
	fr := rec.Column(5).(*array.Int64)
	tok := rec.Column(6).(*array.Int32)
	dist := rec.Column(7).(*array.Float64)
	lvl := rec.Column(8).(*array.List)
	lv := lvl.ListValues().(*array.Int32)
	if ch.Value(1) != "C3" || fr.Value(2) != 14 || tok.Value(0) != 517 || tok.Value(2) != 1023 || dist.Value(1) != 0.5 {
		t.Errorf("rows %v %v %v %v", ch, fr, tok, dist)
	}
	if lo, hi := lvl.ValueOffsets(2); !lvl.IsNull(0) || !lvl.IsNull(1) || lvl.IsNull(2) || !slices.Equal(lv.Int32Values()[lo:hi], []int32{0, 15, 3, 7, 1}) {
		t.Errorf("power levels %v, want [null null [0 15 3 7 1]]", lvl)
	}
	if r.Flush() != nil {
		t.Error("second flush not empty")
	}
}
