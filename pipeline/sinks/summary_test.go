package sinks

import (
	"context"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"math"
	"strings"
	"testing"
)

// TestSummaryPerUnit: a session's EEG (V) and magnetometer (T) channels
// are summarised apart, each band averaged only over channels of its own
// unit, printed in µV² and fT².
func TestSummaryPerUnit(t *testing.T) {
	const tol = 1e-12
	s := NewSummary()
	for win := range int64(2) {
		key := arrowout.WindowKey{Session: "s1", Window: win}
		psd, bp := arrowout.NewPSDRows(nil), arrowout.NewBandPowerRows(nil)
		psd.Reserve(3, 4)
		bp.Reserve(3)
		for _, ch := range []struct {
			label, unit string
			alpha       float64
			peak        int
		}{{"O1", "V", 4e-12, 1}, {"O2", "V", 6e-12, 1}, {"MEG0111", "T", 9e-28, 2}} {
			spec := []float64{0, 0, 0, 0}
			spec[ch.peak] = ch.alpha
			psd.Append(key, ch.label, ch.unit+"^2/Hz", 9, 1, spec)
			bp.Append(key, ch.label, ch.unit+"^2", "alpha", 8, 12, ch.alpha, 0.5)
		}
		err := s.Write(context.Background(), []arrowout.Result{
			{Kind: arrowout.KindPSD, Key: key, Record: psd.Flush()},
			{Kind: arrowout.KindBandPower, Key: key, Record: bp.Flush()},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got := s.Sessions()
	if len(got) != 2 || got[0].Unit != "V^2" || got[1].Unit != "T^2" {
		t.Fatalf("sessions %+v, want s1 in V^2 then T^2", got)
	}
	for _, tc := range []struct {
		i        int
		channels int
		power    float64
		peak     float64
	}{{0, 2, 5e-12, 10}, {1, 1, 9e-28, 11}} {
		r := got[tc.i]
		if r.Windows != 2 || r.Channels != tc.channels || len(r.Bands) != 1 || math.Abs(r.Bands[0].Power-tc.power) > tol*tc.power || r.PeakFrequency != tc.peak {
			t.Errorf("%s: %+v, want %d channels, alpha %g, peak %g Hz", r.Unit, r, tc.channels, tc.power, tc.peak)
		}
	}
	var out strings.Builder
	s.Print(&out)
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	for _, want := range []string{"session unit windows ch peak Hz alpha", "s1 µV² 2 2 10.00 5 50%", "s1 fT² 2 1 11.00 900 50%"} {
		if !strings.Contains(strings.Join(lines, "\n"), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
