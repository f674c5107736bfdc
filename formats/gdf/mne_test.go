package gdf

import (
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// mneScript reads each file with MNE and prints make_golden.py's
// descriptions as a JSON list (an "error" entry where MNE refuses one).
const mneScript = `
import json, sys
sys.path.insert(0, sys.argv[1])
import make_golden, mne
out = []
for p in sys.argv[2:]:
    try:
        out.append(make_golden.describe(mne.io.read_raw_gdf(p, preload=True), "synthetic", "mne.io.read_raw_gdf"))
    except Exception as e:
        out.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(out))
`

// TestAgainstMNE writes synthetic GDF files covering what the shared files
// do not (every data type, GDF 1 and 2 event tables of both modes, unit
// codes, stim channels at the full and a lower rate, degenerate scaling,
// start dates) and compares this reader with MNE on each. Lower-rate
// signal channels are left out: MNE resamples them over the whole file.
func TestAgainstMNE(t *testing.T) {
	type variant struct {
		name string
		s    spec
	}
	var vs []variant
	add := func(name string, s spec) { vs = append(vs, variant{name, s}) }

	// MNE 1.10 with NumPy 2 cannot read a GDF 2 event table (it calls
	// the removed binary mode of np.fromstring), so the GDF 2 files here
	// have none; GDF 1 files cover event parsing.
	for _, typ := range []DataType{Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float32, Float64} {
		add("2.10 "+typ.String(), baseSpec("GDF 2.10", typ))
	}
	for _, typ := range []DataType{Int8, UInt16, Float32, Float64} {
		s := baseSpec("GDF 1.25", typ)
		s.date1 = "2012070619021642"
		s.events = eventTable(1.25, 1, 8, testEvents)
		add("1.25 "+typ.String(), s)
	}
	s := baseSpec("GDF 1.25", Int32)
	s.events = eventTable(1.25, 3, 8, testEvents)
	s.dur = [2]uint32{0, 3} // a zero numerator is read as 1
	s.sigs[0].label = "EMG" // duplicate label
	s.sigs[1].pmin, s.sigs[1].pmax = 5, 5
	s.sigs[2].label, s.sigs[2].dim = "STATUS", "uV"
	add("1.25 degenerate", s)

	s = baseSpec("GDF 2.20", UInt16)
	s.date2 = 3169048061804544 // 2020-03-01 12:00 UTC
	s.sigs = append(s.sigs,
		sig{label: "Resp", dim: "1", code: 512, pmin: -1, pmax: 1, dmin: 0, dmax: 65535, spr: 4, typ: UInt16},
		sig{label: "V", dim: "V", code: 4256, pmin: -1, pmax: 1, dmin: 0, dmax: 65535, spr: 4, typ: UInt16},
		sig{label: "nV", dim: "", code: 4276, pmin: -1, pmax: 1, dmin: 0, dmax: 0, spr: 4, typ: UInt16},
		sig{label: "Status", dim: "", pmin: 0, pmax: 1, dmin: 0, dmax: 1, spr: 2, typ: UInt16},
	)
	add("2.20 codes and lower-rate stim", s)

	dir := t.TempDir()
	paths := make([]string, len(vs))
	for i, v := range vs {
		paths[i] = formatstest.WriteFile(t, dir, "v"+string(rune('a'+i))+".gdf", v.s.bytes())
	}
	var gs []formatstest.Golden
	formatstest.PythonJSON(t, &gs, mneScript, append([]string{formatstest.GoldenDir()}, paths...)...)
	for i, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			g := &gs[i]
			if g.Error != "" {
				t.Fatalf("MNE refuses the file: %s", g.Error)
			}
			r, err := Open(paths[i])
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			formatstest.Check(t, r, g, formatstest.Options{ChunkLen: 7})
			formatstest.CheckStart(t, r.Info().StartTime, g.MeasDate)
		})
	}
}
