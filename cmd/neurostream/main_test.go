package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/testenv"
)

// runMain runs the neurostream command in-process.
func runMain(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// runSub runs one subcommand c on a root of its own (main.go registers
// the commands; these tests do not depend on that), with args after its
// name, and returns what it printed to stdout and stderr.
func runSub(t *testing.T, c *cobra.Command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := &cobra.Command{Use: "neurostream", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(c)
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{c.Name()}, args...))
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// TestDemoPyarrow runs the demo and reads its output with pyarrow, as a
// downstream user would, checking schema, row counts and plausible values.
func TestDemoPyarrow(t *testing.T) {
	py := testenv.Python(t)
	dir := t.TempDir()
	out, err := runMain(t, "demo", "--out", dir)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"sim-1", "sim-2", "sim-3", "demo-recording", "peak Hz", "alpha"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo summary lacks %q:\n%s", want, out)
		}
	}
	script := `
import json, sys
import glob
import pyarrow.parquet as pq
d = sys.argv[1]
bp = pq.read_table(sorted(glob.glob(d + "/bandpower-*.parquet")))
psd = pq.read_table(sorted(glob.glob(d + "/psd-*.parquet")))
df = bp.to_pandas()
res = {
  "bp_schema": [f.name + ":" + str(f.type) for f in bp.schema],
  "psd_schema": [f.name + ":" + str(f.type) for f in psd.schema],
  "kind": bp.schema.metadata[b"neurostream.kind"].decode(),
  "sessions": sorted(df.session.unique().tolist()),
  "windows": {s: int(g.window.nunique()) for s, g in df.groupby("session")},
  "bp_rows": bp.num_rows, "psd_rows": psd.num_rows,
  "alpha_rel": {s: float(g[g.band == "alpha"].relative.mean()) for s, g in df.groupby("session")},
  "psd_len": len(psd.column("psd")[0].as_py()),
  "freq_step": psd.column("freq_step")[0].as_py(),
}
print(json.dumps(res))
`
	cmd := exec.Command(py, "-c", script, dir)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pyarrow: %v\n%s", err, b)
	}
	var res struct {
		BPSchema  []string           `json:"bp_schema"`
		PSDSchema []string           `json:"psd_schema"`
		Kind      string             `json:"kind"`
		Sessions  []string           `json:"sessions"`
		Windows   map[string]int     `json:"windows"`
		BPRows    int                `json:"bp_rows"`
		PSDRows   int                `json:"psd_rows"`
		AlphaRel  map[string]float64 `json:"alpha_rel"`
		PSDLen    int                `json:"psd_len"`
		FreqStep  float64            `json:"freq_step"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	wantBP := "session:string window:int64 start_sample:int64 start_time:timestamp[ns, tz=UTC] channel:string unit:string band:string fmin:double fmax:double power:double relative:double"
	if got := strings.Join(res.BPSchema, " "); got != wantBP {
		t.Errorf("bandpower schema\n got %s\nwant %s", got, wantBP)
	}
	// Parquet names a list's values "element" where Arrow says "item";
	// pyarrow takes the two types as equal.
	wantPSD := "session:string window:int64 start_sample:int64 start_time:timestamp[ns, tz=UTC] channel:string unit:string freq_start:double freq_step:double psd:list<element: double>"
	if got := strings.Join(res.PSDSchema, " "); got != wantPSD {
		t.Errorf("psd schema\n got %s\nwant %s", got, wantPSD)
	}
	if res.Kind != "bandpower" {
		t.Errorf("kind metadata %q", res.Kind)
	}
	if strings.Join(res.Sessions, ",") != "demo-recording,sim-1,sim-2,sim-3" {
		t.Errorf("sessions %v", res.Sessions)
	}
	// 60 s sessions with 2 s windows every 1 s: 59 windows; the 120 s
	// recording: 119.
	for s, n := range res.Windows {
		want := 59
		if s == "demo-recording" {
			want = 119
		}
		if n != want {
			t.Errorf("session %s: %d windows, want %d", s, n, want)
		}
	}
	if res.BPRows != (3*59+119)*19*5 || res.PSDRows != (3*59+119)*19 {
		t.Errorf("%d bandpower and %d psd rows", res.BPRows, res.PSDRows)
	}
	// 256-sample segments at 256 Hz: 1 Hz bins, 0..100 Hz kept.
	if res.FreqStep != 1 || res.PSDLen != 101 {
		t.Errorf("psd rows of %d bins at %v Hz", res.PSDLen, res.FreqStep)
	}
	// The simulations have a 10 Hz alpha rhythm: alpha must hold a
	// clear share of 1–45 Hz power.
	for s, a := range res.AlphaRel {
		if a < 0.1 || a > 0.9 {
			t.Errorf("session %s: relative alpha %.3f", s, a)
		}
	}
}

// TestConfigValidate reports every error with its key path.
func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`
workers: 0
source:
  chunk_seconds: -1
  simulate: {sessions: 1}
window: {length: 256}
stages:
  - type: psd
    n_per_seg: -3
    average: mode
  - type: wavelet
output: {format: csv}
`), 0o644)
	out, err := runMain(t, "config", "validate", bad)
	if err == nil {
		t.Fatalf("validate accepted a bad file:\n%s", out)
	}
	for _, want := range []string{
		"workers: want at least 1, got 0",
		"source.chunk_seconds: want a positive duration",
		"window.hop: want ≥ 1 sample, got 0",
		"stages[0].n_per_seg: must be positive, got -3",
		"stages[0].average: want mean or median, got \"mode\"",
		"stages[1].type: unknown stage type \"wavelet\"",
		"output.format: want parquet or arrow, got \"csv\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	// Paths inside the shipped configs (model files) are relative to the
	// repository root, where the README runs them.
	t.Chdir("../..")
	shipped, _ := filepath.Glob("configs/*.yaml")
	if len(shipped) < 3 {
		t.Fatalf("configs: %v", shipped)
	}
	for _, f := range shipped {
		if out, err := runMain(t, "config", "validate", f); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}

// TestConfigUnknownKey names a misspelt key.
func TestConfigUnknownKey(t *testing.T) {
	f := filepath.Join(t.TempDir(), "typo.yaml")
	os.WriteFile(f, []byte("window: {length: 10, hop: 5, hopp: 3}\nsource: {simulate: {sessions: 1}}\nstages: [{type: psd}]\n"), 0o644)
	out, err := runMain(t, "config", "validate", f)
	if err == nil || !strings.Contains(out+err.Error(), "hopp") {
		t.Errorf("misspelt key not named: %v\n%s", err, out)
	}
}

// TestEnvOverride: NEUROSTREAM_* variables override file values.
func TestEnvOverride(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(f, []byte("workers: 1\nwindow: {length: 10, hop: 5}\nsource: {simulate: {sessions: 1}}\nstages: [{type: psd}]\n"), 0o644)
	t.Setenv("NEUROSTREAM_WORKERS", "0")
	out, err := runMain(t, "config", "validate", f)
	if err == nil || !strings.Contains(out, "workers: want at least 1, got 0") {
		t.Errorf("NEUROSTREAM_WORKERS=0 not applied: %v\n%s", err, out)
	}
}

// TestSimulateInspect writes an EDF+ with the simulator and inspects it:
// description, annotations as TSV and the CSV dump in volts.
func TestSimulateInspect(t *testing.T) {
	dir := t.TempDir()
	edf := filepath.Join(dir, "s.edf")
	if out, err := runMain(t, "simulate", "--out", edf, "--duration", "20", "--seizure", "5:10", "--ssvep", "12"); err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	out, err := runMain(t, "inspect", edf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EDF+C", "channels:    19", "sample rate: 256 Hz", "samples:     5120", "O1", "seizure", "ssvep/12Hz"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	out, err = runMain(t, "inspect", "--annotations", edf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "onset\tduration\tdescription\n") || !strings.Contains(out, "5\t10\tseizure") {
		t.Errorf("annotations TSV:\n%s", out)
	}
	csvPath := filepath.Join(dir, "s.csv")
	if _, err := runMain(t, "inspect", "--dump-csv", csvPath, edf); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5121 || len(rows[0]) != 19 || rows[0][0] != "Fp1" {
		t.Fatalf("csv %d rows × %d columns, header %v", len(rows), len(rows[0]), rows[0][:3])
	}
}

// TestInspectErrors: an unreadable file gets an error naming it.
func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.edf")
	os.WriteFile(bad, []byte("0       not really an EDF header"), 0o644)
	_, err := runMain(t, "inspect", bad)
	if err == nil || !strings.Contains(err.Error(), "broken.edf") {
		t.Errorf("error %v does not name the file", err)
	}
	unknown := filepath.Join(dir, "x.xyz")
	os.WriteFile(unknown, []byte("hello"), 0o644)
	if _, err := runMain(t, "inspect", unknown); err == nil || !strings.Contains(err.Error(), "unknown file type") {
		t.Errorf("unknown type error: %v", err)
	}
}

// TestMetricsEndpoint: a run with metrics.listen serves /healthz and
// Prometheus series for chunks, windows, stage latency and sessions.
func TestMetricsEndpoint(t *testing.T) {
	f := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(f, []byte(`
source: {pace: 10, simulate: {sessions: 1, duration: 6}}
window: {length: 256, hop: 128}
stages: [{type: psd, n_per_seg: 128}]
output: {dir: `+filepath.Join(t.TempDir(), "out")+`}
metrics: {listen: "127.0.0.1:0"}
`), 0o644)
	get := func(url string) string {
		r, err := http.Get(url)
		if err != nil {
			return err.Error()
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	got := make(chan [2]string, 1)
	metricsHook = func(addr string) {
		go func() {
			time.Sleep(200 * time.Millisecond) // mid-run: 6 s at 10× real time
			got <- [2]string{get("http://" + addr + "/healthz"), get("http://" + addr + "/metrics")}
		}()
	}
	defer func() { metricsHook = nil }()
	if out, err := runMain(t, "run", "--config", f); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	r := <-got
	health, body := r[0], r[1]
	if health != "ok\n" {
		t.Errorf("/healthz said %q", health)
	}
	for _, want := range []string{"neurostream_chunks_total", "neurostream_windows_total", `neurostream_stage_seconds_bucket{stage="psd"`, "neurostream_sessions 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
