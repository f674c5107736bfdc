package lslout

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/lsl/lsltest"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Kinds"},
		{Config{Kinds: []arrowout.Kind{arrowout.KindPSD}}, "Kinds[0]"},
		{Config{Kinds: []arrowout.Kind{arrowout.KindSSVEP}, SSVEPFormat: "int"}, "SSVEPFormat"},
		{Config{Kinds: []arrowout.Kind{arrowout.KindBandPower}, BandPowerValue: "db"}, "BandPowerValue"},
		{Config{Kinds: []arrowout.Kind{arrowout.KindBandPower}, BandPowerRate: math.NaN()}, "BandPowerRate"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}

// TestWriteNeverWaits: an inlet that connected and never reads costs a
// bounded queue: 20000 decisions are handed over without waiting for it.
func TestWriteNeverWaits(t *testing.T) {
	prefix := uniquePrefix()
	s, err := New(Config{LSL: lsltest.Config(t), Kinds: []arrowout.Kind{arrowout.KindSSVEP}, Prefix: prefix, MaxBuffered: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q, _ := lsl.Prop("source_id", prefix+"-ssvep")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	found, err := lsl.Resolve(ctx, lsltest.Config(t), q, 1)
	if err != nil {
		t.Fatal(err)
	}
	in, err := lsl.NewInlet(ctx, found[0], lsl.InletConfig{Config: lsltest.Config(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close() // never pulled
	row := arrowout.SSVEPRow{Method: "cca", Decision: 1, Frequency: 11, Score: 0.5, Margin: 0.2, Scores: []float64{.3, .5}, Frequencies: []float64{8, 11}}
	rows := make([]arrowout.SSVEPRow, 100)
	windows := make([]int64, 100)
	for i := range rows {
		rows[i], windows[i] = row, int64(i)
	}
	res := ssvepResult("slow-reader", 256, time.Now().UnixNano(), rows, windows)
	defer res.Record.Release()
	t0 := time.Now()
	var slowest time.Duration
	for range 200 {
		t1 := time.Now()
		if err := s.Write(t.Context(), []arrowout.Result{res}); err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, time.Since(t1))
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Fatalf("20000 decisions took %v to hand over with a reader that does not read", el)
	}
	t.Logf("20000 decisions in %v, slowest write of 100: %v", time.Since(t0), slowest)
	if n := s.Counts()[arrowout.KindSSVEP]; n != 20000 {
		t.Fatalf("%d pushed", n)
	}
}
