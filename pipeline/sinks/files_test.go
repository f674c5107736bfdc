package sinks

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"

	"github.com/neurostream/neurostream/internal/testenv"
)

// results builds n windows of psd and bandpower rows for two sessions.
func results(n int) []arrowout.Result {
	var out []arrowout.Result
	psd := arrowout.NewPSDRows(nil)
	bp := arrowout.NewBandPowerRows(nil)
	for _, s := range []string{"a", "b"} {
		for w := range n {
			k := arrowout.WindowKey{Session: s, Window: int64(w), StartSample: int64(w * 128), StartTimeNS: 1_700_000_000_000_000_000 + int64(w)*500_000_000}
			for _, ch := range []string{"C3", "C4"} {
				psd.Append(k, ch, "V^2/Hz", 1, 0.5, []float64{float64(w), 1e-12, math.Pi})
				bp.Append(k, ch, "V^2", "alpha", 8, 12, float64(w)*1e-12, 0.25)
			}
			out = append(out, arrowout.Result{Kind: arrowout.KindPSD, Key: k, Record: psd.Flush()}, arrowout.Result{Kind: arrowout.KindBandPower, Key: k, Record: bp.Flush()})
		}
	}
	return out
}

// writeClose writes rs to sink and closes it.
func writeClose(t *testing.T, sink *FileSink, rs []arrowout.Result) {
	t.Helper()
	if err := sink.Write(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// quiet discards the sinks' reports of leftovers, which tests check.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func release(rs []arrowout.Result) {
	for _, r := range rs {
		r.Record.Release()
	}
}

// names returns the file names in dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// partRows returns the rows of each finished part of kind k in dir, read
// back in Go, and checks that no row group exceeds maxGroup rows.
func partRows(t *testing.T, dir string, k arrowout.Kind, maxGroup int64) []int64 {
	t.Helper()
	var out []int64
	for _, name := range names(t, dir) {
		m := partName.FindStringSubmatch(name)
		if m == nil || m[1] != string(k) || m[4] != "" {
			continue
		}
		path := filepath.Join(dir, name)
		if m[3] == extParquet {
			pf, err := file.OpenParquetFile(path, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for g := range pf.NumRowGroups() {
				if n := pf.MetaData().RowGroup(g).NumRows(); n > maxGroup {
					t.Errorf("%s: row group %d holds %d rows, bound %d", name, g, n, maxGroup)
				}
			}
			pf.Close()
		}
		recs, err := readFile(path, m[3])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var n int64
		for _, r := range recs {
			n += r.NumRows()
			r.Release()
		}
		out = append(out, n)
	}
	return out
}

func readFile(path, ext string) ([]arrow.Record, error) {
	if ext == extArrow {
		return readStream(path, memory.DefaultAllocator)
	}
	return readParquet(path, memory.DefaultAllocator)
}

// TestFileSinkPyarrow writes both file formats in several Write calls,
// rolled over into parts of 10 rows and Parquet row groups of 4, and reads
// every finished part back with pyarrow: schema, metadata, rows, values.
func TestFileSinkPyarrow(t *testing.T) {
	py := testenv.Python(t)
	for _, format := range []FileFormat{FormatArrow, FormatParquet} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: format, PartRows: 10, RowGroupRows: 4})
			if err != nil {
				t.Fatal(err)
			}
			rs := results(7)
			defer release(rs)
			for i := 0; i < len(rs); i += 5 {
				if err := sink.Write(context.Background(), rs[i:min(i+5, len(rs))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			if n := sink.Rows(arrowout.KindBandPower); n != 2*7*2 {
				t.Errorf("sink counted %d bandpower rows", n)
			}
			ext := sink.ext()
			if first, last, n := sink.Finished(arrowout.KindPSD); first != filepath.Join(dir, "psd-000001"+ext) || last != filepath.Join(dir, "psd-000003"+ext) || n != 3 {
				t.Errorf("psd parts %s … %s, %d of them", first, last, n)
			}
			script := `
import glob, json, sys
import pyarrow as pa, pyarrow.ipc, pyarrow.parquet
def read(kind):
    paths = sorted(glob.glob(sys.argv[1] + "/" + kind + "-*" + sys.argv[2]))
    if paths[0].endswith(".arrows"):
        return pa.concat_tables([pyarrow.ipc.open_stream(p).read_all() for p in paths])
    groups = [pyarrow.parquet.ParquetFile(p).metadata.row_group(g).num_rows
              for p in paths for g in range(pyarrow.parquet.ParquetFile(p).metadata.num_row_groups)]
    assert max(groups) <= 4, groups
    return pyarrow.parquet.read_table(paths)
psd, bp = read("psd"), read("bandpower")
print(json.dumps({
  "rows": [psd.num_rows, bp.num_rows],
  "kind": psd.schema.metadata[b"neurostream.kind"].decode(),
  "version": bp.schema.metadata[b"neurostream.schema_version"].decode(),
  "psd_b6": [r for r in psd.to_pylist() if r["session"] == "b" and r["window"] == 6 and r["channel"] == "C4"][0]["psd"],
  "time_a3": str([r for r in bp.to_pylist() if r["window"] == 3][0]["start_time"]),
  "power_sum": sum(bp.column("power").to_pylist()),
}))
`
			b, err := exec.Command(py, "-c", script, dir, ext).CombinedOutput()
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
			if got.Rows[0] != 28 || got.Rows[1] != 28 || got.Kind != "psd" || got.Version != arrowout.SchemaVersion {
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

// TestFileSinkRollover: parts hold exactly PartRows rows (a Write is split
// across parts), the unfinished one has a .partial name until Close, row
// groups hold at most RowGroupRows, and ReadFiles gives the rows back in
// order.
func TestFileSinkRollover(t *testing.T) {
	for _, format := range []FileFormat{FormatArrow, FormatParquet} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: format, PartRows: 6, RowGroupRows: 4, PartInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			rs := results(7) // 2 psd rows per result
			defer release(rs)
			var psd []arrowout.Result
			for _, r := range rs {
				if r.Kind == arrowout.KindPSD {
					psd = append(psd, r)
				}
			}
			// 4 rows per Write: parts of 6 rows split the second,
			// fifth, … Write.
			for i := 0; i < len(psd); i += 2 {
				if err := sink.Write(context.Background(), psd[i:min(i+2, len(psd))]); err != nil {
					t.Fatal(err)
				}
			}
			ext := sink.ext()
			want := []string{"psd-000001" + ext, "psd-000002" + ext, "psd-000003" + ext, "psd-000004" + ext, "psd-000005.arrows.partial"}
			if got := names(t, dir); !slices.Equal(got, want) {
				t.Errorf("before Close: %v, want %v", got, want)
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			want[4] = "psd-000005" + ext
			if got := names(t, dir); !slices.Equal(got, want) {
				t.Errorf("after Close: %v, want %v", got, want)
			}
			if got := partRows(t, dir, arrowout.KindPSD, 4); !slices.Equal(got, []int64{6, 6, 6, 6, 4}) {
				t.Errorf("rows per part %v", got)
			}
			recs, err := ReadFiles(dir, arrowout.KindPSD, nil)
			if err != nil {
				t.Fatal(err)
			}
			var seq []string
			for _, r := range recs {
				if !r.Schema().Equal(arrowout.PSDSchema) || !r.Schema().Metadata().Equal(arrowout.PSDSchema.Metadata()) {
					t.Fatalf("read back with schema %v", r.Schema())
				}
				sess := r.Column(0).(*array.String)
				win := r.Column(1).(*array.Int64)
				for i := range int(r.NumRows()) {
					if i%2 == 0 {
						seq = append(seq, fmt.Sprintf("%s%d", sess.Value(i), win.Value(i)))
					}
				}
				r.Release()
			}
			if got := strings.Join(seq, " "); got != "a0 a1 a2 a3 a4 a5 a6 b0 b1 b2 b3 b4 b5 b6" {
				t.Errorf("windows read back: %s", got)
			}
			// And the values, all of them.
			var in []arrow.Record
			for _, r := range psd {
				in = append(in, r.Record)
			}
			wrote, err := concat(memory.DefaultAllocator, in)
			if err != nil {
				t.Fatal(err)
			}
			defer wrote.Release()
			recs, err = ReadFiles(dir, arrowout.KindPSD, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := concat(memory.DefaultAllocator, recs)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			for _, r := range recs {
				r.Release()
			}
			if !array.RecordEqual(got, wrote) {
				t.Errorf("read back\n%v\nwrote\n%v", got, wrote)
			}
			if err := sink.Write(context.Background(), psd[:1]); err == nil {
				t.Error("write after Close accepted")
			}
		})
	}
}

// TestFileSinkPartInterval: a part is finished PartInterval after its
// first row even when no more rows come.
func TestFileSinkPartInterval(t *testing.T) {
	dir := t.TempDir()
	sink, err := NewFileSink(FileSinkConfig{Dir: dir, PartInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	rs := results(2)
	defer release(rs)
	if err := sink.Write(context.Background(), rs[:2]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(names(t, dir), "psd-000001.parquet") {
		if time.Now().After(deadline) {
			t.Fatalf("no finished part after 10 s: %v", names(t, dir))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := sink.Write(context.Background(), rs[2:4]); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names(t, dir), "psd-000002.arrows.partial") {
		t.Errorf("rows after the timed finish did not start part 2: %v", names(t, dir))
	}
}

// TestFileSinkReplaceOrResume: a second run replaces the parts of the
// kinds it writes, or with Resume numbers its parts after them.
func TestFileSinkReplaceOrResume(t *testing.T) {
	rs := results(3)
	defer release(rs)
	run := func(dir string, resume bool, rs []arrowout.Result) {
		t.Helper()
		sink, err := NewFileSink(FileSinkConfig{Dir: dir, PartRows: 4, Resume: resume, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		writeClose(t, sink, rs)
	}
	dir := t.TempDir()
	run(dir, false, rs)     // 12 psd and 12 bandpower rows: 3 parts each
	run(dir, false, rs[:1]) // psd only: 2 rows
	if got := names(t, dir); !slices.Equal(got, []string{
		"bandpower-000001.parquet", "bandpower-000002.parquet", "bandpower-000003.parquet", "psd-000001.parquet",
	}) {
		t.Errorf("after a replacing run: %v", got)
	}
	run(dir, true, rs[:1])
	if got := partRows(t, dir, arrowout.KindPSD, DefaultRowGroupRows); !slices.Equal(got, []int64{2, 2}) {
		t.Errorf("after a resuming run, psd parts of %v rows", got)
	}
}

// abandon drops a sink without finishing anything, as a killed process
// does: its files stay as the last Write left them.
func abandon(s *FileSink) {
	for _, kp := range s.kinds {
		if kp.cur != nil {
			kp.cur.f.Close()
			if kp.cur.timer != nil {
				kp.cur.timer.Stop()
			}
		}
	}
}

// TestFileSinkRecover: leftovers of a killed run. A stream with a torn
// last batch is cut after the batch before and finished; a Parquet file
// without footer is deleted (its stream is converted again); a stream
// whose part was finished already, and one without rows, are deleted.
// Without Resume every leftover is deleted.
func TestFileSinkRecover(t *testing.T) {
	for _, format := range []FileFormat{FormatArrow, FormatParquet} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: format, PartRows: 1000, PartInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			rs := results(5)
			defer release(rs)
			for _, r := range rs { // one batch of 2 rows per Write
				if err := sink.Write(context.Background(), []arrowout.Result{r}); err != nil {
					t.Fatal(err)
				}
			}
			abandon(sink)
			psd := filepath.Join(dir, "psd-000001.arrows.partial")
			fi, err := os.Stat(psd)
			if err != nil {
				t.Fatal(err)
			}
			// Tear the last psd batch.
			if err := os.Truncate(psd, fi.Size()-20); err != nil {
				t.Fatal(err)
			}
			ext := sink.ext()
			// Finished before the crash, stream not yet removed.
			os.WriteFile(filepath.Join(dir, "seizure-000001"+ext), []byte("finished"), 0o644)
			os.WriteFile(filepath.Join(dir, "seizure-000001.arrows.partial"), []byte("stale"), 0o644)
			// A stream killed before its schema was out.
			os.WriteFile(filepath.Join(dir, "ssvep-000001.arrows.partial"), []byte{0xff, 0xff}, 0o644)
			// A conversion killed midway: the stream is still there.
			os.WriteFile(filepath.Join(dir, "bandpower-000001.parquet.partial"), []byte("PAR1 no footer"), 0o644)

			if format == FormatParquet {
				// Without Resume, a new run drops them all.
				dir2 := t.TempDir()
				for _, n := range names(t, dir) {
					b, _ := os.ReadFile(filepath.Join(dir, n))
					os.WriteFile(filepath.Join(dir2, n), b, 0o644)
				}
				s2, err := NewFileSink(FileSinkConfig{Dir: dir2, Logger: quiet})
				if err != nil {
					t.Fatal(err)
				}
				s2.Close()
				if got := names(t, dir2); !slices.Equal(got, []string{"seizure-000001.parquet"}) {
					t.Errorf("a replacing run left %v", got)
				}
			}

			rec, err := Recover(FileSinkConfig{Dir: dir, Format: format, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			kept := map[string]int64{}
			for _, r := range rec {
				kept[filepath.Base(r.File)+" "+filepath.Base(r.Finished)] = r.Rows
			}
			want := map[string]int64{
				"bandpower-000001.parquet.partial .":                     0,
				"bandpower-000001.arrows.partial bandpower-000001" + ext: 20,
				"psd-000001.arrows.partial psd-000001" + ext:             18,
				"seizure-000001.arrows.partial .":                        0,
				"ssvep-000001.arrows.partial .":                          0,
			}
			if fmt.Sprint(kept) != fmt.Sprint(want) {
				t.Errorf("recovered %v\nwant %v", kept, want)
			}
			if got := names(t, dir); !slices.Equal(got, []string{"bandpower-000001" + ext, "psd-000001" + ext, "seizure-000001" + ext}) {
				t.Errorf("after recovery: %v", got)
			}
			if got := partRows(t, dir, arrowout.KindPSD, DefaultRowGroupRows); !slices.Equal(got, []int64{18}) {
				t.Errorf("psd rows kept %v", got)
			}
			// A resumed sink numbers after the recovered part.
			s3, err := NewFileSink(FileSinkConfig{Dir: dir, Format: format, Resume: true, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			if err := s3.Write(context.Background(), rs[:1]); err != nil {
				t.Fatal(err)
			}
			if err := s3.Close(); err != nil {
				t.Fatal(err)
			}
			if got := partRows(t, dir, arrowout.KindPSD, DefaultRowGroupRows); !slices.Equal(got, []int64{18, 2}) {
				t.Errorf("psd parts after resuming: %v", got)
			}
		})
	}
}

// peakAllocator counts the bytes allocated and not yet freed, and their
// peak.
type peakAllocator struct {
	memory.Allocator
	cur, peak atomic.Int64
}

func (a *peakAllocator) add(n int) {
	c := a.cur.Add(int64(n))
	for p := a.peak.Load(); c > p && !a.peak.CompareAndSwap(p, c); p = a.peak.Load() {
	}
}

func (a *peakAllocator) Allocate(n int) []byte {
	b := a.Allocator.Allocate(n)
	a.add(len(b))
	return b
}

func (a *peakAllocator) Reallocate(n int, b []byte) []byte {
	old := len(b)
	b = a.Allocator.Reallocate(n, b)
	a.add(len(b) - old)
	return b
}

func (a *peakAllocator) Free(b []byte) {
	a.add(-len(b))
	a.Allocator.Free(b)
}

// TestFileSinkBoundedMemory: finishing a Parquet part of 20000 psd rows
// (2 KiB each, 40 MiB) holds one row group in memory, not the part. The
// same part in one row group (the library's default bound is 64 Mi rows)
// shows that the measure sees it.
func TestFileSinkBoundedMemory(t *testing.T) {
	const rows, bins = 20000, 257
	peak := func(groupRows int64) int64 {
		mem := &peakAllocator{Allocator: memory.NewGoAllocator()}
		dir := t.TempDir()
		sink, err := NewFileSink(FileSinkConfig{Dir: dir, PartRows: rows, RowGroupRows: groupRows, PartInterval: -1, Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		b := arrowout.NewPSDRows(nil)
		psd := make([]float64, bins)
		var w int64
		for range rows / 100 {
			for range 100 {
				for i := range psd {
					psd[i] = float64(w*bins+int64(i)) * 1.000001 // incompressible enough
				}
				b.Append(arrowout.WindowKey{Session: "s", Window: w}, "C3", "V^2/Hz", 0, 0.5, psd)
				w++
			}
			r := arrowout.Result{Kind: arrowout.KindPSD, Record: b.Flush()}
			if err := sink.Write(context.Background(), []arrowout.Result{r}); err != nil {
				t.Fatal(err)
			}
			r.Record.Release()
		}
		if got := partRows(t, dir, arrowout.KindPSD, groupRows); len(got) != 1 || got[0] != rows {
			t.Fatalf("rows per part %v", got)
		}
		if mem.cur.Load() != 0 {
			t.Errorf("%d bytes still allocated", mem.cur.Load())
		}
		return mem.peak.Load()
	}
	small, whole := peak(500), peak(rows)
	t.Logf("peak allocation converting 40 MiB: %.1f MiB with row groups of 500 rows, %.1f MiB with one group", float64(small)/(1<<20), float64(whole)/(1<<20))
	if small > 8<<20 {
		t.Errorf("peak %d bytes with 500-row groups (1 MiB each)", small)
	}
	if whole < 20<<20 {
		t.Errorf("peak %d bytes with one 40 MiB row group: the measure misses the buffers", whole)
	}
}

func TestFileSinkRejectsUnknownFormat(t *testing.T) {
	if _, err := NewFileSink(FileSinkConfig{Dir: t.TempDir(), Format: "csv"}); err == nil {
		t.Error("csv accepted")
	}
}

// TestFileSinkKillHelper is the process TestFileSinkKill kills: it writes
// bandpower rows of windows 0, 1, 2, … (5 rows each, one Write per window)
// to the folder $NEUROSTREAM_TEST_KILL_DIR in format $NEUROSTREAM_TEST_KILL_FORMAT,
// printing the rows written after each Write returns.
func TestFileSinkKillHelper(t *testing.T) {
	dir := os.Getenv("NEUROSTREAM_TEST_KILL_DIR")
	if dir == "" {
		t.Skip("run by TestFileSinkKill")
	}
	sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: FileFormat(os.Getenv("NEUROSTREAM_TEST_KILL_FORMAT")), PartRows: 500, RowGroupRows: 64})
	if err != nil {
		t.Fatal(err)
	}
	b := arrowout.NewBandPowerRows(nil)
	var rows int64
	for w := range int64(killWindows) {
		k := arrowout.WindowKey{Session: "s", Window: w, StartSample: w * 256}
		for i, band := range []string{"delta", "theta", "alpha", "beta", "gamma"} {
			b.Append(k, "Cz", "V^2", band, float64(i), float64(i+1), float64(w), 0.2)
		}
		r := arrowout.Result{Kind: arrowout.KindBandPower, Key: k, Record: b.Flush()}
		if err := sink.Write(context.Background(), []arrowout.Result{r}); err != nil {
			t.Fatal(err)
		}
		r.Record.Release()
		rows += 5
		fmt.Printf("written %d\n", rows)
	}
	time.Sleep(time.Minute) // killed before it closes the sink
}

// killWindows bounds what the helper produces.
const killWindows = 200_000

// TestFileSinkKill SIGKILLs a process writing result files mid-run. Every
// file with a final name is readable by pyarrow and holds at least the
// parts finished before the last Write the process completed, and no more
// than it produced; recovery then finishes the unfinished part, keeping
// every row of every completed Write (and at most the one in flight), each
// window once, in order.
func TestFileSinkKill(t *testing.T) {
	py := testenv.Python(t)
	for _, format := range []FileFormat{FormatParquet, FormatArrow} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestFileSinkKillHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), "NEUROSTREAM_TEST_KILL_DIR="+dir, "NEUROSTREAM_TEST_KILL_FORMAT="+string(format))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill once about 7 parts are out, at whatever point the
			// helper is then.
			var written int64
			killed := false
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				fmt.Sscanf(sc.Text(), "written %d", &written)
				if !killed && written >= 3600 {
					cmd.Process.Kill() // SIGKILL
					killed = true
				}
			}
			werr := cmd.Wait()
			if !killed {
				t.Fatalf("helper ended before the kill: %v\n%s", werr, stderr.String())
			}
			// Lines come out whole: the last one is the last Write
			// that returned.
			t.Logf("killed after %d rows written; files: %v", written, names(t, dir))

			script := `
import glob, json, sys
import pyarrow as pa, pyarrow.ipc, pyarrow.parquet
paths = sorted(glob.glob(sys.argv[1] + "/bandpower-*" + sys.argv[2]))
if sys.argv[2] == ".arrows":
    t = pa.concat_tables([pyarrow.ipc.open_stream(p).read_all() for p in paths])
else:
    t = pyarrow.parquet.read_table(paths)
w = t.column("window").to_pylist()
print(json.dumps({"parts": len(paths), "rows": t.num_rows, "windows": len(set(w)),
  "in_order": w == sorted(w), "first": min(w), "last": max(w)}))
`
			read := func() (got struct {
				Parts, Rows, Windows, First, Last int64
				InOrder                           bool `json:"in_order"`
			}) {
				t.Helper()
				b, err := exec.Command(py, "-c", script, dir, map[FileFormat]string{FormatArrow: extArrow, FormatParquet: extParquet}[format]).CombinedOutput()
				if err != nil {
					t.Fatalf("pyarrow: %v\n%s", err, b)
				}
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatalf("%v: %s", err, b)
				}
				return got
			}
			got := read()
			// Parts of 500 rows are finished inside the Write that
			// fills them; the Write in flight may have finished one more.
			if lo, hi := written/500*500, (written+5)/500*500; got.Rows < lo || got.Rows > hi || got.Rows != got.Parts*500 {
				t.Errorf("finished files hold %d rows in %d parts after %d rows written, want %d … %d", got.Rows, got.Parts, written, lo, hi)
			}
			if _, err := Recover(FileSinkConfig{Dir: dir, Format: format, RowGroupRows: 64, Logger: quiet}); err != nil {
				t.Fatal(err)
			}
			for _, n := range names(t, dir) {
				if strings.HasSuffix(n, extPartial) {
					t.Errorf("%s left after recovery", n)
				}
			}
			got = read()
			if got.Rows < written || got.Rows > written+5 || got.Rows > 5*killWindows {
				t.Errorf("after recovery %d rows, %d written before the kill", got.Rows, written)
			}
			if got.Windows*5 != got.Rows || got.First != 0 || got.Last != got.Windows-1 || !got.InOrder {
				t.Errorf("after recovery: %+v, want windows 0 … %d once each, in order", got, got.Rows/5-1)
			}
		})
	}
}

// BenchmarkFileSink writes 100000 bandpower rows (one Write per window of
// 19 channels × 5 bands) into one part and finishes it, per format: the
// cost of a part, conversion to Parquet included.
func BenchmarkFileSink(b *testing.B) {
	const windows = 100_000 / 95
	bp := arrowout.NewBandPowerRows(nil)
	var rs []arrowout.Result
	for w := range int64(windows) {
		k := arrowout.WindowKey{Session: "s", Window: w, StartSample: w * 256}
		for ch := range 19 {
			for i, band := range []string{"delta", "theta", "alpha", "beta", "gamma"} {
				bp.Append(k, fmt.Sprintf("E%02d", ch), "V^2", band, float64(i), float64(i+1), float64(w*19+int64(ch))*1e-12, 0.2)
			}
		}
		rs = append(rs, arrowout.Result{Kind: arrowout.KindBandPower, Key: k, Record: bp.Flush()})
	}
	defer release(rs)
	for _, format := range []FileFormat{FormatParquet, FormatArrow} {
		b.Run(string(format), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for range b.N {
				dir := b.TempDir()
				sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: format, PartInterval: -1})
				if err != nil {
					b.Fatal(err)
				}
				for i := range rs {
					if err := sink.Write(context.Background(), rs[i:i+1]); err != nil {
						b.Fatal(err)
					}
				}
				if err := sink.Close(); err != nil {
					b.Fatal(err)
				}
				first, _, _ := sink.Finished(arrowout.KindBandPower)
				fi, err := os.Stat(first)
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(windows*95), "ns/row")
			b.ReportMetric(float64(size)/(windows*95), "B/row")
		})
	}
}

// TestFileSinkReport: a line per kind written, naming its finished parts
// (one, or the first … the last) and its rows, or saying that none was
// finished.
func TestFileSinkReport(t *testing.T) {
	dir := t.TempDir()
	sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: FormatArrow, PartRows: 4, PartInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	rs := results(3) // 12 psd and 12 bandpower rows
	defer release(rs)
	if err := sink.Write(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	sink.Report(&report)
	want := "wrote " + filepath.Join(dir, "psd-000001.arrows") + " … psd-000003.arrows (12 rows)\n" +
		"wrote " + filepath.Join(dir, "bandpower-000001.arrows") + " … bandpower-000003.arrows (12 rows)\n"
	if report.String() != want {
		t.Errorf("report\n%s\nwant\n%s", report.String(), want)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}

	sink, err = NewFileSink(FileSinkConfig{Dir: t.TempDir(), PartRows: 12, PartInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(context.Background(), rs[:2]); err != nil {
		t.Fatal(err)
	}
	report.Reset()
	sink.Report(&report)
	if want := "wrote 2 psd rows, in no finished file\nwrote 2 bandpower rows, in no finished file\n"; report.String() != want {
		t.Errorf("report before Close %q, want %q", report.String(), want)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	report.Reset()
	sink.Report(&report)
	if first, _, _ := sink.Finished(arrowout.KindPSD); !strings.HasPrefix(report.String(), "wrote "+first+" (2 rows)\n") {
		t.Errorf("report after Close %q", report.String())
	}
}
