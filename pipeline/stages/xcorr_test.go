package stages

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/pipeline"
)

// xcorrWindow is connWindow with channel 2 a copy of channel 0 delayed by
// delay samples (so it follows channel 0 by delay/fs seconds).
func xcorrWindow(n int, fs float64, delay int) *pipeline.Window {
	w := connWindow(n+delay, 4, fs)
	w.Data[2] = w.Data[0][:n]
	for c := range w.Data {
		if c != 2 {
			w.Data[c] = w.Data[c][delay:]
		}
	}
	return w
}

// TestXCorrStage: the rows are dsp.XCorr of each channel (or its
// envelope) with the reference (or its envelope), exactly; the peak is the
// largest |r|, signed, and a delayed copy of the reference peaks at its
// delay with a positive lag.
func TestXCorrStage(t *testing.T) {
	const fs, n, delay = 250.0, 1000, 7
	for _, tc := range []struct {
		opts     map[string]any
		envelope bool
		demean   bool
		maxLag   int
	}{
		{map[string]any{"reference": "O1", "max_lag_seconds": 0.1, "emit_curve": true}, false, true, 25},
		{map[string]any{"reference": "O1", "max_lag_seconds": 0.1, "emit_curve": true, "envelope": true}, true, true, 25},
		{map[string]any{"reference": "O1", "max_lag_seconds": 0.5, "emit_curve": true, "demean": false}, false, false, 125},
		{map[string]any{"reference": "O1", "max_lag_seconds": 0.1, "emit_curve": false}, false, true, 25},
	} {
		w := xcorrWindow(n, fs, delay)
		b, errs := Build("xcorr", "", tc.opts)
		if errs != nil {
			t.Fatal(errs)
		}
		st, err := b.NewSession(session(w))
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Process(w)
		if err != nil {
			t.Fatal(err)
		}
		rec := res[0].Record
		if int(rec.NumRows()) != len(w.Data) {
			t.Fatalf("%v: %d rows", tc.opts, rec.NumRows())
		}
		plan, err := dsp.NewXCorr(dsp.XCorrConfig{Len: n, MaxLag: tc.maxLag, Demean: tc.demean})
		if err != nil {
			t.Fatal(err)
		}
		hil := dsp.NewHilbert(n)
		ref := w.Data[0]
		if tc.envelope {
			ref = hil.Envelope(nil, ref)
		}
		ch := column[*array.String](t, rec, "channel")
		refCol := column[*array.String](t, rec, "reference")
		env := column[*array.Boolean](t, rec, "envelope")
		peakLag := column[*array.Float64](t, rec, "peak_lag_seconds")
		peak := column[*array.Float64](t, rec, "peak_corr")
		zero := column[*array.Float64](t, rec, "zero_lag_corr")
		start := column[*array.Float64](t, rec, "lag_start_seconds")
		step := column[*array.Float64](t, rec, "lag_step_seconds")
		curves := column[*array.List](t, rec, "corr")
		vals := curves.ListValues().(*array.Float64).Float64Values()
		for c, x := range w.Data {
			if tc.envelope {
				x = hil.Envelope(nil, x)
			}
			want := plan.Compute(nil, x, ref)
			at := 0
			for i, v := range want {
				if math.Abs(v) > math.Abs(want[at]) || (math.Abs(v) == math.Abs(want[at]) && math.Abs(float64(i-tc.maxLag)) < math.Abs(float64(at-tc.maxLag))) {
					at = i
				}
			}
			if ch.Value(c) != w.Channels[c].Label || refCol.Value(c) != "O1" || env.Value(c) != tc.envelope {
				t.Errorf("%v: row %d labels %s/%s/%v", tc.opts, c, ch.Value(c), refCol.Value(c), env.Value(c))
			}
			if peak.Value(c) != want[at] || peakLag.Value(c) != float64(at-tc.maxLag)/fs || zero.Value(c) != want[tc.maxLag] {
				t.Errorf("%v: %s: peak %g at %g s, zero lag %g; dsp %g at %g s, %g", tc.opts, ch.Value(c),
					peak.Value(c), peakLag.Value(c), zero.Value(c), want[at], float64(at-tc.maxLag)/fs, want[tc.maxLag])
			}
			if start.Value(c) != -float64(tc.maxLag)/fs || step.Value(c) != 1/fs {
				t.Errorf("%v: lag axis %g + i·%g", tc.opts, start.Value(c), step.Value(c))
			}
			if !tc.opts["emit_curve"].(bool) {
				if !curves.IsNull(c) {
					t.Errorf("%v: curve emitted", tc.opts)
				}
				continue
			}
			lo, hi := curves.ValueOffsets(c)
			for i, v := range vals[lo:hi] {
				if v != want[i] {
					t.Fatalf("%v: %s lag %d: %g, dsp %g", tc.opts, ch.Value(c), i-tc.maxLag, v, want[i])
				}
			}
		}
		if peakLag.Value(0) != 0 || math.Abs(peak.Value(0)-1) > 1e-12 {
			t.Errorf("%v: reference with itself peaks at %g s, r %g", tc.opts, peakLag.Value(0), peak.Value(0))
		}
		if !tc.envelope {
			// Channel 2 is the reference delayed by 7 samples; raw signals
			// with noise peak exactly there. (Envelopes are smooth, with a
			// broad peak, and need not.)
			if got := peakLag.Value(2); got != delay/fs || peak.Value(2) < 0.99 {
				t.Errorf("%v: delayed copy peaks at %g s (r %g), want %g s", tc.opts, got, peak.Value(2), delay/fs)
			}
		}
		rec.Release()
	}
}

func TestXCorrErrors(t *testing.T) {
	for want, opts := range map[string]map[string]any{
		"reference: required":                        {"max_lag_seconds": 0.1},
		"max_lag_seconds: required":                  {"reference": "Cz"},
		"max_lag_seconds: required, want a positive": {"reference": "Cz", "max_lag_seconds": -1},
		"invalid keys: max_lag":                      {"reference": "Cz", "max_lag_seconds": 0.1, "max_lag": 3},
	} {
		wantBuildError(t, "xcorr", opts, want)
	}
	w := xcorrWindow(256, 256, 0)
	b, _ := Build("xcorr", "", map[string]any{"reference": "Cz", "max_lag_seconds": 0.1})
	if _, err := b.NewSession(session(w)); err == nil || !strings.Contains(err.Error(), `reference: channel "Cz" is not in this session (channels: O1, O2, C3, C4)`) {
		t.Errorf("unknown reference: %v", err)
	}
	b, _ = Build("xcorr", "", map[string]any{"reference": "O1", "max_lag_seconds": 1})
	if _, err := b.NewSession(session(w)); err == nil || !strings.Contains(err.Error(), "max_lag_seconds: 1 s is 256 samples at 256 Hz, want fewer than the window's 256") {
		t.Errorf("lag as long as the window: %v", err)
	}
}

// TestXCorrAllocs: correlating (envelopes included) allocates nothing;
// record assembly does not depend on the window length or, much, on the
// channel count.
func TestXCorrAllocs(t *testing.T) {
	for _, opts := range []map[string]any{
		{"reference": "O1", "max_lag_seconds": 0.1},
		{"reference": "O1", "max_lag_seconds": 0.5, "envelope": true, "emit_curve": true},
	} {
		allocs := func(n, channels int) (dspAllocs, total float64) {
			w := connWindow(n, channels, 256)
			st := newStage(t, "xcorr", opts, w)
			process := processFunc(t, st, w)
			process()
			xs := st.(*xcorrSession)
			return testing.AllocsPerRun(10, func() {
				ref := xs.reference(w.Data)
				for _, x := range w.Data {
					xs.correlate(x, ref)
				}
			}), testing.AllocsPerRun(10, process)
		}
		d, short := allocs(512, 4)
		_, long := allocs(8192, 4)
		dm, many := allocs(512, 64)
		t.Logf("%v: dsp %v/%v, process %v (512×4) %v (8192×4) %v (512×64)", opts, d, dm, short, long, many)
		if d != 0 || dm != 0 {
			t.Errorf("%v: correlating allocates %v (4 channels), %v (64 channels) per window", opts, d, dm)
		}
		if short != long {
			t.Errorf("%v: allocations depend on window length: %v for 512 samples, %v for 8192", opts, short, long)
		}
		if many > short+4 {
			t.Errorf("%v: allocations grow with channels: %v for 4, %v for 64", opts, short, many)
		}
	}
}
