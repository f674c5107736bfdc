package fileio

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	if err := WriteFile(p, func(w io.Writer) error { _, err := io.WriteString(w, "abc"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "abc" {
		t.Fatalf("read back %q, %v", b, err)
	}
	boom := errors.New("boom")
	if err := WriteFile(p, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("write error: got %v", err)
	}
	if err := WriteFile(filepath.Join(p, "no", "such"), func(io.Writer) error { return nil }); err == nil {
		t.Error("a path under a file: no error")
	}
}
