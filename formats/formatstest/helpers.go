package formatstest

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/internal/testenv"
)

// EachGolden runs test in one subtest per golden entry of readers, named
// after the entry's source, with the recording's path in the shared data
// and its golden file. It fails t when there are fewer than atLeast entries,
// so that a lost index cannot pass by checking nothing.
func EachGolden(t *testing.T, readers []string, atLeast int, test func(t *testing.T, e Entry, path string, g *Golden)) {
	t.Helper()
	eachGolden(t, readers, atLeast, func(e Entry) string { return e.Source }, test)
}

// RunGolden runs one subtest per golden entry of reader, named after the
// recording's file name (the names those tests have always had), that opens the recording with open and hands it
// to test with its golden file; it fails t like EachGolden. Where MNE
// refuses a file (the index says so), open must fail too and test is not
// called.
func RunGolden[R formats.Recording](t *testing.T, reader string, atLeast int, open func(path string) (R, error), test func(t *testing.T, r R, g *Golden)) {
	t.Helper()
	name := func(e Entry) string { return filepath.Base(e.Source) }
	eachGolden(t, []string{reader}, atLeast, name, func(t *testing.T, e Entry, path string, g *Golden) {
		r, err := open(path)
		if e.Error != "" {
			if err == nil {
				r.Close()
				t.Fatalf("MNE refuses this file (%s) but it opened", e.Error)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		test(t, r, g)
	})
}

func eachGolden(t *testing.T, readers []string, atLeast int, name func(Entry) string, test func(t *testing.T, e Entry, path string, g *Golden)) {
	t.Helper()
	entries := Index(t, readers...)
	if len(entries) < atLeast {
		t.Fatalf("%d %v entries in the golden index, want at least %d", len(entries), readers, atLeast)
	}
	dir := DataDir(t)
	for _, e := range entries {
		t.Run(name(e), func(t *testing.T) {
			test(t, e, filepath.Join(dir, e.Source), Load(t, e.Golden))
		})
	}
}

// CheckStart compares a recording's start time with MNE's meas_date as a
// golden file holds it: RFC 3339, or nil where MNE has none.
func CheckStart(t testing.TB, got time.Time, measDate *string) {
	t.Helper()
	if measDate == nil {
		if !got.IsZero() {
			t.Errorf("start time %v, MNE has none", got)
		}
		return
	}
	w, err := time.Parse(time.RFC3339Nano, *measDate)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(w) {
		t.Errorf("start time %v, MNE %v", got, w)
	}
}

// ReadAll returns every sample of r, channel by channel, in one
// ReadSamples call, for tests that compare whole recordings.
func ReadAll(t testing.TB, r formats.Recording) [][]float64 {
	t.Helper()
	dst, err := formats.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// WriteFile writes b to name in dir and returns its path, for tests that
// build recordings in a temporary folder.
func WriteFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// PythonJSON runs "python -c script args..." with the pinned virtualenv
// and decodes what the script prints into v: the MNE cross-checks describe
// what MNE read as JSON. A failing script fails t with its standard error,
// which holds the traceback.
func PythonJSON(t testing.TB, v any, script string, args ...string) {
	t.Helper()
	py := testenv.Python(t)
	out, err := exec.Command(py, append([]string{"-c", script}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
}

// CountingReaderAt counts the ReadAt calls made through it and the bytes
// they ask for, so that a test can check a reader reads only the span a
// ReadSamples call needs.
type CountingReaderAt struct {
	R     io.ReaderAt
	Calls int
	Bytes int64
}

// ReadAt counts the call, then reads from R.
func (c *CountingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.Calls++
	c.Bytes += int64(len(p))
	return c.R.ReadAt(p, off)
}

// SeedDir is where fuzz targets look for shared recordings to seed their
// corpora: $NEUROSTREAM_DATA, or shared/data beside the checkout. It may
// not exist; fuzzing must work without it, so unlike DataDir nothing
// skips.
func SeedDir() string {
	if dir := os.Getenv("NEUROSTREAM_DATA"); dir != "" {
		return dir
	}
	return filepath.Join(testenv.RepoRoot(), "..", "shared", "data")
}

// AsError returns err as a *formats.Error, failing t when it is not one:
// every error a reader returns must be, so that callers can name the file,
// field and offset at fault.
func AsError(t testing.TB, err error) *formats.Error {
	t.Helper()
	var fe *formats.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *formats.Error", err, err)
	}
	return fe
}

// Allocation budget of CheckAllocs: opening a file and streaming all of it
// may allocate AllocPerByte bytes per byte of the file plus AllocConst.
// The per-byte share covers what a reader legitimately keeps or computes
// per stored sample (EDF's upsampling keeps FFT coefficients and work
// arrays a few times the size of a lower-rate channel); anything scaled
// by a count read from a header instead blows through it.
const (
	AllocPerByte = 64
	AllocConst   = 8 << 20
)

// allocChunk is the span CheckAllocs streams with, and allocMax the most
// samples per channel it streams.
const (
	allocChunk = 4096
	allocMax   = 1 << 20
)

// CheckAllocs opens a recording of size bytes with open, then streams it
// through ReadSamples (allocChunk samples at a time, the first allocMax
// samples), and fails t when the bytes allocated meanwhile
// (runtime.MemStats.TotalAlloc), the destination buffers excepted, exceed
// AllocPerByte·size + AllocConst. An error from open or ReadSamples is
// fine, since a crafted header may well be refused; only the allocations
// count. It returns the bytes allocated.
func CheckAllocs(t testing.TB, size int64, open func() (formats.Recording, error)) uint64 {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	r, err := open()
	runtime.ReadMemStats(&ms)
	used := ms.TotalAlloc - before
	if err == nil {
		info := r.Info()
		n := min(info.NSamples, allocMax)
		if info.NSamples > 0 && len(info.Channels) > 0 {
			dst := make([][]float64, len(info.Channels))
			for c := range dst {
				dst[c] = make([]float64, min(allocChunk, n))
			}
			runtime.ReadMemStats(&ms)
			before = ms.TotalAlloc
			for start := int64(0); start < n; start += allocChunk {
				stop := min(start+allocChunk, n)
				for c := range dst {
					dst[c] = dst[c][:stop-start]
				}
				if err = r.ReadSamples(dst, start, stop); err != nil {
					break
				}
			}
			runtime.ReadMemStats(&ms)
			used += ms.TotalAlloc - before
		}
		r.Close()
	}
	if limit := uint64(AllocPerByte*size + AllocConst); used > limit {
		t.Errorf("a %d-byte file allocated %d bytes (%.0f per byte), over the %d allowed (err %v)", size, used, float64(used)/float64(size), limit, err)
	}
	return used
}

// Damage copies the shared recording files rel (paths under DataDir; the
// companions a format needs, e.g. a .vhdr with its .vmrk and .eeg) into a
// temporary folder under their own names, passing each file's bytes
// through edit with its base name, and returns the copies' paths in
// order. Tests build damaged recordings this way instead of committing
// copies.
func Damage(t testing.TB, edit func(name string, b []byte) []byte, rel ...string) []string {
	t.Helper()
	src, dir := DataDir(t), t.TempDir()
	out := make([]string, len(rel))
	for i, r := range rel {
		b, err := os.ReadFile(filepath.Join(src, r))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(r)
		out[i] = WriteFile(t, dir, name, edit(name, b))
	}
	return out
}

// Edit returns an edit for Damage that applies f to the first file only.
func Edit(f func(b []byte) []byte) func(name string, b []byte) []byte {
	first := ""
	return func(name string, b []byte) []byte {
		if first == "" || first == name {
			first = name
			return f(b)
		}
		return b
	}
}

// HasWarning fails t unless one of info's warnings contains every one of
// parts.
func HasWarning(t testing.TB, info *formats.Info, parts ...string) {
	t.Helper()
	for _, w := range info.Warnings {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(w, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no warning containing %q; warnings: %q", parts, info.Warnings)
}
