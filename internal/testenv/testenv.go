// Package testenv finds what tests need outside the repo: the shared
// recordings and the pinned Python virtualenv that `make pyenv` installs.
//
// Where either is absent a test skips with a message saying how to get it,
// except under CI=true, where absence is a broken set-up and fails the test.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the checkout's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: the set-up is broken)", args...)
	}
	t.Skipf(format, args...)
}

// DataDir returns the shared recorded-data folder: $NEUROSTREAM_DATA, or
// ../shared/data beside the checkout.
func DataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("NEUROSTREAM_DATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		missing(t, "shared recordings not found at %s: put shared/ beside the checkout or set NEUROSTREAM_DATA", dir)
	}
	return dir
}

// Python returns the pinned virtualenv's interpreter: $NEUROSTREAM_PYTHON
// (set by the Makefile), or the default cache location.
func Python(t testing.TB) string {
	t.Helper()
	py := os.Getenv("NEUROSTREAM_PYTHON")
	if py == "" {
		cache := os.Getenv("NEUROSTREAM_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache", "neurostream")
		}
		py = filepath.Join(cache, "venv", "bin", "python")
	}
	if _, err := exec.LookPath(py); err != nil {
		missing(t, "python virtualenv not found at %s: run `make pyenv` (or `make test`)", py)
	}
	return py
}

// PythonWith returns the pinned virtualenv's interpreter after checking
// that it imports modules (a comma-separated import list, "pylsl" or
// "confluent_kafka, pyarrow"); where it does not, the test skips.
func PythonWith(t testing.TB, modules string) string {
	t.Helper()
	py := Python(t)
	if out, err := exec.Command(py, "-c", "import "+modules).CombinedOutput(); err != nil {
		missing(t, "%s", fmt.Sprintf("%s not importable by %s (run `make pyenv`): %s", modules, py, out))
	}
	return py
}
