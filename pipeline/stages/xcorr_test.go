package stages

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
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
	for _, tc := range []xcorrCase{
		{"raw", map[string]any{"reference": "O1", "max_lag_seconds": 0.1, "emit_curve": true}, false, true, 25},
		{"envelope", map[string]any{"reference": "O1", "max_lag_seconds": 0.1, "emit_curve": true, "envelope": true}, true, true, 25},
		{"no demean", map[string]any{"reference": "O1", "max_lag_seconds": 0.5, "emit_curve": true, "demean": false}, false, false, 125},
		{"no curve", map[string]any{"reference": "O1", "max_lag_seconds": 0.1, "emit_curve": false}, false, true, 25},
	} {
		t.Run(tc.name, tc.run)
	}
}

// xcorrCase is a TestXCorrStage case: the stage's options and what they
// mean for dsp.XCorr.
type xcorrCase struct {
	name     string
	opts     map[string]any
	envelope bool
	demean   bool
	maxLag   int
}

func (tc xcorrCase) run(t *testing.T) {
	const fs, n, delay = 250.0, 1000, 7
	w := xcorrWindow(n, fs, delay)
	res := processOnce(t, "xcorr", tc.opts, w)
	rec := res[0].Record
	defer rec.Release()
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
	rows := xcorrColumns(t, rec)
	for c, x := range w.Data {
		if tc.envelope {
			x = hil.Envelope(nil, x)
		}
		tc.checkRow(t, rows, c, w.Channels[c].Label, plan.Compute(nil, x, ref), fs)
	}
	if rows.peakLag.Value(0) != 0 || math.Abs(rows.peak.Value(0)-1) > 1e-12 {
		t.Errorf("%v: reference with itself peaks at %g s, r %g", tc.opts, rows.peakLag.Value(0), rows.peak.Value(0))
	}
	if !tc.envelope {
		// Channel 2 is the reference delayed by 7 samples; raw signals
		// with noise peak exactly there. (Envelopes are smooth, with a
		// broad peak, and need not.)
		if got := rows.peakLag.Value(2); got != delay/fs || rows.peak.Value(2) < 0.99 {
			t.Errorf("%v: delayed copy peaks at %g s (r %g), want %g s", tc.opts, got, rows.peak.Value(2), delay/fs)
		}
	}
}

// xcorrRows are the columns of an xcorr record.
type xcorrRows struct {
	ch, ref             *array.String
	env                 *array.Boolean
	peakLag, peak, zero *array.Float64
	start, step         *array.Float64
	curves              *array.List
	vals                []float64
}

func xcorrColumns(t *testing.T, rec arrow.Record) xcorrRows {
	t.Helper()
	curves := column[*array.List](t, rec, "corr")
	return xcorrRows{
		ch:      column[*array.String](t, rec, "channel"),
		ref:     column[*array.String](t, rec, "reference"),
		env:     column[*array.Boolean](t, rec, "envelope"),
		peakLag: column[*array.Float64](t, rec, "peak_lag_seconds"),
		peak:    column[*array.Float64](t, rec, "peak_corr"),
		zero:    column[*array.Float64](t, rec, "zero_lag_corr"),
		start:   column[*array.Float64](t, rec, "lag_start_seconds"),
		step:    column[*array.Float64](t, rec, "lag_step_seconds"),
		curves:  curves,
		vals:    curves.ListValues().(*array.Float64).Float64Values(),
	}
}

// checkRow checks row c, of channel label, against want, dsp.XCorr's
// curve: labels, peak (the largest |r|, the nearest to lag 0 among
// equals), zero lag, lag axis and, if emitted, the curve.
func (tc xcorrCase) checkRow(t *testing.T, r xcorrRows, c int, label string, want []float64, fs float64) {
	t.Helper()
	at := 0
	for i, v := range want {
		if math.Abs(v) > math.Abs(want[at]) || (math.Abs(v) == math.Abs(want[at]) && math.Abs(float64(i-tc.maxLag)) < math.Abs(float64(at-tc.maxLag))) {
			at = i
		}
	}
	if r.ch.Value(c) != label || r.ref.Value(c) != "O1" || r.env.Value(c) != tc.envelope {
		t.Errorf("%v: row %d labels %s/%s/%v", tc.opts, c, r.ch.Value(c), r.ref.Value(c), r.env.Value(c))
	}
	if r.peak.Value(c) != want[at] || r.peakLag.Value(c) != float64(at-tc.maxLag)/fs || r.zero.Value(c) != want[tc.maxLag] {
		t.Errorf("%v: %s: peak %g at %g s, zero lag %g; dsp %g at %g s, %g", tc.opts, r.ch.Value(c),
			r.peak.Value(c), r.peakLag.Value(c), r.zero.Value(c), want[at], float64(at-tc.maxLag)/fs, want[tc.maxLag])
	}
	if r.start.Value(c) != -float64(tc.maxLag)/fs || r.step.Value(c) != 1/fs {
		t.Errorf("%v: lag axis %g + i·%g", tc.opts, r.start.Value(c), r.step.Value(c))
	}
	if !tc.opts["emit_curve"].(bool) {
		if !r.curves.IsNull(c) {
			t.Errorf("%v: curve emitted", tc.opts)
		}
		return
	}
	lo, hi := r.curves.ValueOffsets(c)
	for i, v := range r.vals[lo:hi] {
		if v != want[i] {
			t.Fatalf("%v: %s lag %d: %g, dsp %g", tc.opts, r.ch.Value(c), i-tc.maxLag, v, want[i])
		}
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
