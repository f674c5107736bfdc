package sinks

import (
	"encoding/json"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"math"
	"os/exec"
	"slices"
	"testing"

	"github.com/neurostream/neurostream/internal/testenv"
)

// TestConnectivityPyarrow writes coherence and xcorr rows to both file
// formats and reads them with pyarrow: columns, nulls and values.
func TestConnectivityPyarrow(t *testing.T) {
	py := testenv.Python(t)
	k := arrowout.WindowKey{Session: "s", Window: 4, StartSample: 1024, StartTimeNS: 1_700_000_000_000_000_000}
	coh := arrowout.NewCoherenceRows(nil)
	coh.Reserve(2)
	coh.Append(k, "O2", "O1", "wpli", "alpha", 8, 12, 0.25, 7)
	coh.AppendComplex(k, "O2", "O1", "cohy", "alpha", 8, 12, complex(0.6, -0.8), 7)
	xc := arrowout.NewXCorrRows(nil)
	xc.Reserve(2, 3)
	xc.Append(k, &arrowout.XCorrRow{Channel: "O1", Reference: "O1", PeakLag: 0, PeakCorr: 1, ZeroLag: 1, LagStart: -0.004, LagStep: 0.004, Corr: []float64{0.5, 1, 0.5}})
	xc.Append(k, &arrowout.XCorrRow{Channel: "O2", Reference: "O1", Envelope: true, PeakLag: 0.004, PeakCorr: -0.7, ZeroLag: 0.1, LagStart: -0.004, LagStep: 0.004})
	rs := []arrowout.Result{{Kind: arrowout.KindCoherence, Key: k, Record: coh.Flush()}, {Kind: arrowout.KindXCorr, Key: k, Record: xc.Flush()}}
	defer func() {
		for _, r := range rs {
			r.Record.Release()
		}
	}()
	for _, format := range []FileFormat{FormatArrow, FormatParquet} {
		dir := t.TempDir()
		sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		writeClose(t, sink, rs)
		script := `
import json, sys
import pyarrow.ipc, pyarrow.parquet
def read(kind):
    p = sys.argv[1] + "/" + kind + "-000001" + sys.argv[2]
    return pyarrow.ipc.open_stream(p).read_all() if p.endswith(".arrows") else pyarrow.parquet.read_table(p)
c, x = read("coherence"), read("xcorr")
print(json.dumps({"coherence": c.schema.names, "xcorr": x.schema.names,
  "coh": c.to_pylist(), "xc": x.to_pylist()}, default=str))
`
		b, err := exec.Command(py, "-c", script, dir, sink.ext()).CombinedOutput()
		if err != nil {
			t.Fatalf("pyarrow: %v\n%s", err, b)
		}
		var got struct {
			Coherence, XCorr []string
			Coh, Xc          []map[string]any
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if want := []string{"session", "window", "start_sample", "start_time", "seed", "target", "method", "band", "fmin", "fmax", "value", "real", "imag", "n_segments"}; !slices.Equal(got.Coherence, want) {
			t.Errorf("%s: coherence columns %v", format, got.Coherence)
		}
		if want := []string{"session", "window", "start_sample", "start_time", "channel", "reference", "envelope", "peak_lag_seconds", "peak_corr", "zero_lag_corr", "lag_start_seconds", "lag_step_seconds", "corr"}; !slices.Equal(got.XCorr, want) {
			t.Errorf("%s: xcorr columns %v", format, got.XCorr)
		}
		w, c := got.Coh[0], got.Coh[1]
		if w["seed"] != "O2" || w["target"] != "O1" || w["method"] != "wpli" || w["value"] != 0.25 || w["real"] != nil || w["imag"] != nil || w["n_segments"] != 7.0 {
			t.Errorf("%s: wpli row %v", format, w)
		}
		if c["method"] != "cohy" || math.Abs(c["value"].(float64)-1) > 1e-15 || c["real"] != 0.6 || c["imag"] != -0.8 {
			t.Errorf("%s: cohy row %v", format, c)
		}
		a, e := got.Xc[0], got.Xc[1]
		if a["channel"] != "O1" || a["envelope"] != false || a["peak_corr"] != 1.0 || len(a["corr"].([]any)) != 3 {
			t.Errorf("%s: xcorr row %v", format, a)
		}
		if e["envelope"] != true || e["peak_lag_seconds"] != 0.004 || e["corr"] != nil || e["lag_start_seconds"] != -0.004 {
			t.Errorf("%s: xcorr row %v", format, e)
		}
	}
}
