package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/simulate/simwrite"
)

// TestSimulateChannelsFlag: --channels N writes N channels, 10-20 first;
// values the simulator would silently replace by its defaults (0 Hz, 0 s,
// 0 channels) and --channels with --meg are refused.
func TestSimulateChannelsFlag(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{8, 64, 512} {
		f := filepath.Join(dir, "s.edf")
		out, _, err := runSub(t, newSimulateCmd(), "--out", f, "--duration", "2", "--channels", strconv.Itoa(n))
		if err != nil {
			t.Fatalf("--channels %d: %v", n, err)
		}
		if want := strconv.Itoa(n) + " channels"; !strings.Contains(out, want) {
			t.Errorf("--channels %d: %q lacks %q", n, out, want)
		}
		rec, err := open.File(f, open.Options{})
		if err != nil {
			t.Fatal(err)
		}
		labels := rec.Info().Labels()
		rec.Close()
		if len(labels) != n {
			t.Errorf("--channels %d: file has %d channels", n, len(labels))
		}
		if n == 64 && len(labels) == 64 && (labels[0] != "Fp1" || labels[18] != "O2" || labels[19] != "Fpz") {
			t.Errorf("--channels 64: labels %v, want the 10-20 montage first, then Fpz", labels)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rate", "0"}, "--rate: want a sample rate > 0 Hz, got 0"},
		{[]string{"--duration", "0"}, "--duration: want a duration > 0 s, got 0"},
		{[]string{"--channels", "0"}, "--channels: want at least 1"},
		{[]string{"--meg", "mag", "--channels", "64"}, "--channels sets the EEG montage"},
	} {
		args := append([]string{"--out", filepath.Join(dir, "bad.edf")}, tc.args...)
		if _, _, err := runSub(t, newSimulateCmd(), args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// writeEDF writes rec as EDF+ for the tests of this package.
func writeEDF(path string, rec formats.Recording, patient, recording string) error {
	return simwrite.WriteEDF(path, rec, patient, recording)
}
