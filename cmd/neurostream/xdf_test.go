package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/testenv"
)

// TestXDFCommands: inspect and run read LabRecorder's XDF files like any
// other recording (formats/open dispatches them to formats/xdf).
func TestXDFCommands(t *testing.T) {
	dir := filepath.Join(testenv.DataDir(t), "xdf-example-files")
	out, err := runMain(t, "inspect", filepath.Join(dir, "clock_resets.xdf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"XDF 1.0", "channels:    8", "sample rate: 100 Hz", "samples:     27815", "annotations: 175", "Test-1-2-3"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "xdf.yaml")
	os.WriteFile(cfg, []byte(`name: xdf
source:
  files:
    paths: [`+filepath.Join(dir, "clock_resets.xdf")+`]
window: {length_seconds: 2, hop_seconds: 1}
stages:
  - type: psd
    n_per_seg: 100
    bands: [{name: alpha, low: 8, high: 12}]
output: {dir: `+filepath.Join(tmp, "out")+`}
`), 0o644)
	out, err = runMain(t, "run", "--config", cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	// (minimal.xdf and empty_streams.xdf run at 10 Hz and 1 Hz, where an
	// alpha band is refused: above Nyquist.)
	if !strings.Contains(out, "clock_resets") || strings.Contains(out, "skipped") || strings.Contains(out, "dead letters") {
		t.Errorf("run output:\n%s", out)
	}
}
