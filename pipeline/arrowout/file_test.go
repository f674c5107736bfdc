package arrowout

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"testing"

	"github.com/neurostream/neurostream/internal/testenv"
)

// results builds n windows of psd and bandpower rows for two sessions.
func results(n int) []Result {
	var out []Result
	psd := NewPSDRows(nil)
	bp := NewBandPowerRows(nil)
	for _, s := range []string{"a", "b"} {
		for w := range n {
			k := WindowKey{Session: s, Window: int64(w), StartSample: int64(w * 128), StartTimeNS: 1_700_000_000_000_000_000 + int64(w)*500_000_000}
			for _, ch := range []string{"C3", "C4"} {
				psd.Append(k, ch, "V^2/Hz", 1, 0.5, []float64{float64(w), 1e-12, math.Pi})
				bp.Append(k, ch, "V^2", "alpha", 8, 12, float64(w)*1e-12, 0.25)
			}
			out = append(out, Result{Kind: KindPSD, Key: k, Record: psd.Flush()}, Result{Kind: KindBandPower, Key: k, Record: bp.Flush()})
		}
	}
	return out
}

// TestFileSinkPyarrow writes both file formats in several Write calls and
// reads them back with pyarrow: schema, metadata, row count and values.
func TestFileSinkPyarrow(t *testing.T) {
	py := testenv.Python(t)
	for _, format := range []FileFormat{FormatArrow, FormatParquet} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			sink, err := NewFileSink(dir, format)
			if err != nil {
				t.Fatal(err)
			}
			rs := results(7)
			for i := 0; i < len(rs); i += 5 {
				if err := sink.Write(context.Background(), rs[i:min(i+5, len(rs))]); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range rs {
				r.Record.Release()
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			if n := sink.Rows(KindBandPower); n != 2*7*2 {
				t.Errorf("sink counted %d bandpower rows", n)
			}
			script := fmt.Sprintf(`
import json, sys
import pyarrow.ipc, pyarrow.parquet
def read(kind):
    p = sys.argv[1] + "/" + kind + ".%s"
    return pyarrow.ipc.open_file(p).read_all() if p.endswith(".arrow") else pyarrow.parquet.read_table(p)
psd, bp = read("psd"), read("bandpower")
print(json.dumps({
  "rows": [psd.num_rows, bp.num_rows],
  "kind": psd.schema.metadata[b"neurostream.kind"].decode(),
  "version": bp.schema.metadata[b"neurostream.schema_version"].decode(),
  "psd_b6": [r for r in psd.to_pylist() if r["session"] == "b" and r["window"] == 6 and r["channel"] == "C4"][0]["psd"],
  "time_a3": str([r for r in bp.to_pylist() if r["window"] == 3][0]["start_time"]),
  "power_sum": sum(bp.column("power").to_pylist()),
}))
`, format)
			b, err := exec.Command(py, "-c", script, dir).CombinedOutput()
			if err != nil {
				t.Fatalf("pyarrow: %v\n%s", err, b)
			}
			var got struct {
				Rows     []int     `json:"rows"`
				Kind     string    `json:"kind"`
				Version  string    `json:"version"`
				PSDB6    []float64 `json:"psd_b6"`
				TimeA3   string    `json:"time_a3"`
				PowerSum float64   `json:"power_sum"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if got.Rows[0] != 28 || got.Rows[1] != 28 || got.Kind != "psd" || got.Version != SchemaVersion {
				t.Errorf("read back %+v", got)
			}
			if len(got.PSDB6) != 3 || got.PSDB6[0] != 6 || got.PSDB6[1] != 1e-12 || got.PSDB6[2] != math.Pi {
				t.Errorf("psd row (b, 6, C4) = %v", got.PSDB6)
			}
			if got.TimeA3 != "2023-11-14 22:13:21.500000+00:00" {
				t.Errorf("start_time of window 3: %s", got.TimeA3)
			}
			if want := 2 * 2 * 21e-12; math.Abs(got.PowerSum-want) > 1e-24 {
				t.Errorf("sum of power %g, want %g", got.PowerSum, want)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	r := Result{Kind: KindBandPower, Key: WindowKey{Session: "s01", Window: 42}}
	if k := r.IdempotencyKey(); k != "s01/bandpower/42" {
		t.Errorf("key %q", k)
	}
}

func TestFileSinkRejectsUnknownFormat(t *testing.T) {
	if _, err := NewFileSink(t.TempDir(), "csv"); err == nil {
		t.Error("csv accepted")
	}
}
