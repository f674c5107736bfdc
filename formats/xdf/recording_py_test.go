package xdf

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// recordingScript computes with pyxdf what the Reader should return for
// a file, given the session stream's id and the marker streams' ids: the
// session's values in volts where the unit says µV/mV/V (numpy float64
// times the factor), and the annotations — each marker's fractional
// sample index by linear interpolation (np.interp) of its time stamp in
// the session's, over the nominal rate, kept when it rounds to a sample.
const recordingScript = `
import json, logging, sys
import numpy as np, pyxdf
logging.disable(logging.CRITICAL)
path, sid, mids = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3:]]
streams, _ = pyxdf.load_xdf(path)
by = {int(s["info"]["stream_id"]): s for s in streams}
s = by[sid]
fs = float(s["info"]["nominal_srate"][0])
n = len(s["time_stamps"])
nch = int(s["info"]["channel_count"][0])
factor = {"microvolts": 1e-6, "uV": 1e-6, "\u00b5V": 1e-6, "millivolts": 1e-3, "volts": 1.0}
scale = [1.0] * nch
desc = s["info"]["desc"][0]
if desc and "channels" in desc:
    for c, ch in enumerate(desc["channels"][0]["channel"][:nch]):
        u = (ch.get("unit") or [""])[0] or ""
        if (ch.get("type") or [""])[0] not in ("STIM",):
            scale[c] = factor.get(u, 1.0)
v = np.asarray(s["time_series"], np.float64).reshape(n, nch) * np.asarray(scale)
ts = np.asarray(s["time_stamps"])
ann = []
for m in mids:
    ms = by[m]
    for t, val in zip(ms["time_stamps"], ms["time_series"]):
        if n >= 2 and t >= ts[-1]:
            idx = (n - 2) + (t - ts[n-2]) / (ts[n-1] - ts[n-2])
        elif n >= 2 and t < ts[0]:
            idx = (t - ts[0]) / (ts[1] - ts[0])
        else:
            idx = float(np.interp(t, ts, np.arange(n)))
        onset = idx / fs
        if onset < 0 or np.floor(onset * fs + 0.5) >= n:
            continue
        d = "/".join(str(x) for x in val) if ms["info"]["channel_format"][0] == "string" else "/".join(str(int(x)) if float(x).is_integer() else repr(float(x)) for x in val)
        ann.append([onset, d])
ann.sort(key=lambda a: a[0])
print(json.dumps({"n": n, "values": np.ascontiguousarray(v.T, "<f8").tobytes().hex(), "annotations": ann}))
`

// TestRecordingPyxdf opens each file as a recording and compares the
// session's samples (streamed in spans that straddle chunks) and the
// marker annotations with pyxdf's.
func TestRecordingPyxdf(t *testing.T) {
	files := append(writeTestFiles(t), sharedFiles(t)...)
	// The session stream each file should give, and its marker streams.
	want := map[string]struct {
		session uint32
		markers []uint32
	}{
		"formats.xdf":       {1, []uint32{40, 41, 42}},
		"minimal.xdf":       {0, []uint32{46202862}},
		"clock_resets.xdf":  {2, []uint32{1}},
		"empty_streams.xdf": {4, []uint32{1, 2}},
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				w.session, w.markers = 1, []uint32{2, 3} // the written sessions
			}
			r, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Stream().ID != w.session {
				t.Fatalf("session stream %d, want %d", r.Stream().ID, w.session)
			}
			args := []string{path, strconv.Itoa(int(w.session))}
			for _, m := range w.markers {
				args = append(args, strconv.Itoa(int(m)))
			}
			var ref struct {
				N      int64    `json:"n"`
				Values string   `json:"values"`
				Raw    [][2]any `json:"annotations"`
			}
			formatstest.PythonJSON(t, &ref, recordingScript, args...)
			info := r.Info()
			if info.NSamples != ref.N {
				t.Fatalf("%d samples, pyxdf %d", info.NSamples, ref.N)
			}
			vals := decodeF64(t, ref.Values)
			got := readSpans(t, r, 97)
			for c := range got {
				for i, v := range got[c] {
					wv := vals[int64(c)*ref.N+int64(i)]
					if math.Float64bits(v) != math.Float64bits(wv) && !(math.IsNaN(v) && math.IsNaN(wv)) {
						t.Fatalf("channel %d sample %d: %v, pyxdf %v", c, i, v, wv)
					}
				}
			}
			if len(info.Annotations) != len(ref.Raw) {
				t.Fatalf("%d annotations, pyxdf %d:\n%v\n%v", len(info.Annotations), len(ref.Raw), info.Annotations, ref.Raw)
			}
			worst := 0.0
			for i, a := range info.Annotations {
				on, desc := ref.Raw[i][0].(float64), ref.Raw[i][1].(string)
				if d := math.Abs(a.Onset - on); !(d <= timeTol("default")) || a.Description != desc {
					t.Errorf("annotation %d: %.12f %q, pyxdf %.12f %q", i, a.Onset, a.Description, on, desc)
				} else {
					worst = max(worst, d)
				}
			}
			t.Logf("%d samples equal; %d annotations, max |onset - pyxdf| = %.3g s", info.NSamples, len(info.Annotations), worst)
		})
	}
}

// readSpans reads a whole recording span by span.
func readSpans(t *testing.T, r formats.Recording, span int64) [][]float64 {
	t.Helper()
	info := r.Info()
	out := make([][]float64, len(info.Channels))
	for c := range out {
		out[c] = make([]float64, info.NSamples)
	}
	dst := make([][]float64, len(out))
	for start := int64(0); start < info.NSamples; start += span {
		stop := min(start+span, info.NSamples)
		for c := range dst {
			dst[c] = out[c][start:stop]
		}
		if err := r.ReadSamples(dst, start, stop); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
