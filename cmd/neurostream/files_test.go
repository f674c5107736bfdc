package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline/sinks"
)

// fileKillConfig is a file pipeline of four simulated 40 s sessions (19
// channels, 2 s windows every 1 s, five bands: 14820 bandpower rows), in
// Parquet parts of 1000 rows.
func fileKillConfig(out string, pace float64) string {
	return fmt.Sprintf(`
source:
  pace: %g
  simulate: {sessions: 4, seed: 11, sample_rate: 256, duration: 40}
window: {length_seconds: 2, hop_seconds: 1}
stages:
  - type: psd
    n_per_seg: 256
    bands:
      - {name: delta, low: 1, high: 4}
      - {name: theta, low: 4, high: 8}
      - {name: alpha, low: 8, high: 12}
      - {name: beta, low: 12, high: 30}
      - {name: gamma, low: 30, high: 45}
output: {dir: %s, format: parquet, part_rows: 1000, part_seconds: 600, row_group_rows: 300}
`, pace, out)
}

// TestFileKillHelper is the pipeline process TestFileKill kills: it runs
// the configuration in $NEUROSTREAM_TEST_FILE_KILL_CONFIG.
func TestFileKillHelper(t *testing.T) {
	cfg := os.Getenv("NEUROSTREAM_TEST_FILE_KILL_CONFIG")
	if cfg == "" {
		t.Skip("run by TestFileKill")
	}
	if out, err := runMain(t, "run", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestFileKill SIGKILLs a `neurostream run` writing Parquet result files
// (this test binary re-run as the pipeline process) once three parts are
// finished. pyarrow then reads every file with a final name: it holds at
// least the parts finished before the kill, and only rows that a complete
// run of the same pipeline writes, with the same values, each once.
// Recovery (what a restart with output.resume does) then finishes the
// unfinished part, and the same holds with more rows.
func TestFileKill(t *testing.T) {
	py := testenv.Python(t)
	dir := t.TempDir()
	full, killed := filepath.Join(dir, "full"), filepath.Join(dir, "killed")
	write := func(name, yaml string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if out, err := runMain(t, "run", "--config", write("full.yaml", fileKillConfig(full, 0))); err != nil {
		t.Fatalf("complete run: %v\n%s", err, out)
	}

	// At 8× real time the run takes 5 s.
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "NEUROSTREAM_TEST_FILE_KILL_CONFIG="+write("killed.yaml", fileKillConfig(killed, 8)))
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	finished := func() (n int) {
		ents, _ := os.ReadDir(killed)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "bandpower-") && strings.HasSuffix(e.Name(), ".parquet") {
				n++
			}
		}
		return n
	}
	var seen int
	for tick := time.NewTicker(10 * time.Millisecond); seen < 3; <-tick.C {
		select {
		case err := <-done:
			t.Fatalf("the pipeline ended before the kill (%v):\n%s", err, log.String())
		default:
		}
		seen = finished()
	}
	cmd.Process.Kill() // SIGKILL
	<-done
	ents, _ := os.ReadDir(killed)
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	t.Logf("killed with %d bandpower parts finished; files: %s", seen, strings.Join(left, " "))

	script := `
import glob, json, sys
import pyarrow.parquet as pq
def read(d):
    return pq.read_table(sorted(glob.glob(d + "/bandpower-*.parquet"))).to_pylist()
key = lambda r: (r["session"], r["window"], r["channel"], r["band"])
full = {key(r): r for r in read(sys.argv[1])}
rows = read(sys.argv[2])
print(json.dumps({"full": len(full), "rows": len(rows), "distinct": len({key(r) for r in rows}),
  "foreign": sum(1 for r in rows if full.get(key(r)) != r)}))
`
	type counts struct{ Full, Rows, Distinct, Foreign int }
	read := func() (c counts) {
		t.Helper()
		b, err := exec.Command(py, "-c", script, full, killed).CombinedOutput()
		if err != nil {
			t.Fatalf("pyarrow: %v\n%s", err, b)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return c
	}
	check := func(when string, c counts, least int) {
		t.Helper()
		if c.Full != 4*39*19*5 {
			t.Errorf("the complete run wrote %d bandpower rows, want %d", c.Full, 4*39*19*5)
		}
		if c.Rows < least || c.Rows > c.Full || c.Distinct != c.Rows || c.Foreign != 0 {
			t.Errorf("%s: %+v, want ≥ %d rows, each once and as the complete run wrote it", when, c, least)
		}
	}
	before := read()
	check("after the kill", before, seen*1000)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec, err := sinks.Recover(sinks.FileSinkConfig{Dir: killed, RowGroupRows: 300, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	after := read()
	check("after recovery", after, before.Rows)
	t.Logf("%d bandpower rows in finished files after the kill, %d after recovery (%d leftovers handled), of %d", before.Rows, after.Rows, len(rec), after.Full)
	ents, _ = os.ReadDir(killed)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".partial") {
			t.Errorf("%s left after recovery", e.Name())
		}
	}
}
