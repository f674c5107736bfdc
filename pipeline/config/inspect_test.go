package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesInspect: a plain-text file is read with the Files options, and
// a missing one is named as the caller names it.
func TestFilesInspect(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(p, []byte("t,a,m\n0,1,0\n0.5,2,7\n1,3,0\n"), 0o644)
	names := TextOptionNames{SampleRate: "--rate", Unit: "--unit", TimeColumn: "--time-column", MarkerColumn: "--marker-column"}
	if _, err := (Files{}).Inspect(p, names); err == nil || !strings.Contains(err.Error(), "--rate is required unless --time-column") {
		t.Errorf("no rate: %v", err)
	}
	in, err := Files{Unit: "mV", TimeColumn: "t", MarkerColumn: "m"}.Inspect(p, names)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	info := in.Recording.Info()
	if info.SampleRate != 2 || len(info.Channels) != 1 || info.Channels[0].Unit != "V" || len(info.Annotations) != 1 || info.Annotations[0].Description != "7" {
		t.Errorf("rate %v, channels %+v, annotations %+v", info.SampleRate, info.Channels, info.Annotations)
	}
}
