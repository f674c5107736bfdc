package edf

import (
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
)

// checkStart compares StartTime with MNE's meas_date, which leaves out the
// EDF+ sub-second start (see the package comment).
func checkStart(t *testing.T, info *formats.Info, measDate string) {
	t.Helper()
	want, err := time.Parse(time.RFC3339Nano, measDate)
	if err != nil {
		t.Fatalf("golden meas_date %q: %v", measDate, err)
	}
	got := info.StartTime.Truncate(time.Second)
	if !got.Equal(want) {
		t.Errorf("start %v, MNE meas_date %v", info.StartTime, want)
	}
}
