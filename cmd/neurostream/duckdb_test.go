package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/configs"
	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
)

// readmeSQL returns the README's DuckDB query: its first ```sql block.
func readmeSQL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\n```sql\n(.*?)```\n").FindSubmatch(b)
	if m == nil {
		t.Fatal("README has no ```sql block")
	}
	return string(m[1])
}

// TestReadmeDuckDB runs the README's DuckDB query, as printed there, with
// the pinned duckdb package on the Parquet files of a run of the demo
// pipeline (builtin:demo.yaml, in a folder of its own so that the query's
// 'out/…' path is the run's output), and checks every row against the
// summary the run prints (sinks.Summary, the same run). docs/schemas.md
// shows the same query.
func TestReadmeDuckDB(t *testing.T) {
	py := testenv.Python(t)
	sql := readmeSQL(t)
	schemas, err := os.ReadFile("../../docs/schemas.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(schemas), "```sql\n"+sql+"```") {
		t.Errorf("docs/schemas.md does not show the README's query:\n%s", sql)
	}

	c, err := config.Load(configs.FS, "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	c.Output.Dir = "out"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := c.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pipeline.New(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if parts, _ := filepath.Glob("out/bandpower-*.parquet"); len(parts) == 0 {
		t.Fatal("the run wrote no bandpower parts")
	}

	script := `import duckdb, json, sys
print(json.dumps(duckdb.sql(sys.stdin.read()).fetchall()))`
	cmd := exec.Command(py, "-c", script)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(sql)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("duckdb: %v\n%s", err, stderr)
	}
	var rows [][]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	type key struct{ session, unit, band string }
	want := map[key][2]float64{}
	for _, ss := range b.Summary.Sessions() {
		for _, bs := range ss.Bands {
			k := key{ss.Session, ss.Unit, bs.Band}
			want[k] = [2]float64{bs.Power, bs.Relative}
		}
	}
	if len(rows) != len(want) || len(want) != 3*5 {
		t.Fatalf("duckdb: %d rows, the summary %d (3 sessions × 5 bands)", len(rows), len(want))
	}
	const tol = 1e-12 // relative: the same float64 sums in another order
	for i, row := range rows {
		if len(row) != 5 {
			t.Fatalf("row %d: %v", i, row)
		}
		k := key{fmt.Sprint(row[0]), fmt.Sprint(row[1]), fmt.Sprint(row[2])}
		w, ok := want[k]
		if !ok {
			t.Errorf("row %d: %v is not in the summary", i, k)
			continue
		}
		for j, name := range []string{"power", "relative"} {
			got, _ := row[3+j].(float64)
			if math.Abs(got-w[j]) > tol*math.Abs(w[j]) || !(w[j] > 0) {
				t.Errorf("%v %s: duckdb %.17g, summary %.17g", k, name, got, w[j])
			}
		}
	}
	t.Logf("%d rows, e.g. %v", len(rows), rows[0])
}
