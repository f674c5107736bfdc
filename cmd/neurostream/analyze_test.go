package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/internal/testenv"
)

// TestAnalyzeEDF: `neurostream analyze FILE` on a simulated 19-channel EDF
// with a seizure at 90–130 s, from a folder of its own: the band-power
// summary, the seizure pipeline with the model's disclaimer and the event
// near 90–130 s, the files where the output says, exit 0.
func TestAnalyzeEDF(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, stderr, code := cliCode(t, context.Background(), "simulate", "--out", "rec.edf", "--duration", "240", "--seizure", "90:40", "--seed", "7"); code != 0 {
		t.Fatalf("simulate: %s", stderr)
	}
	stdout, stderr, code := cliCode(t, context.Background(), "analyze", "rec.edf")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"== rec.edf → out/analyze-rec\nEDF+C, 19 channels (19 eeg), 256 Hz, 240.0 s\n",
		"\nrec     µV²      239   19 ", // 2 s windows every 1 s over 240 s
		"seizure: the shipped seizure model (configs/models/seizure-sim.json) is an example trained on simulated EEG, not a clinical detector",
		"seizure: re-referenced to the common average of the 19 channels",
		"wrote out/analyze-rec/bandpower-000001.parquet (22705 rows)", // 239 windows × 19 channels × 5 bands
		"wrote out/analyze-rec/seizure/seizure-000001.parquet",
		"results (Parquet, one file per kind; docs/schemas.md):\n  rec.edf: out/analyze-rec/\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	m := regexp.MustCompile(`  rec: 1 event: ([0-9.]+)–([0-9.]+) s \(confidence`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no seizure event line:\n%s", stdout)
	}
	on, _ := strconv.ParseFloat(m[1], 64)
	off, _ := strconv.ParseFloat(m[2], 64)
	if on < 85 || on > 100 || off < 125 || off > 145 {
		t.Errorf("event %g–%g s, want about 90–130 s", on, off)
	}
	if strings.Contains(stdout, "caution") {
		t.Errorf("a 40 s seizure in 240 s drew a caution:\n%s", stdout)
	}
	for _, f := range []string{"psd-000001.parquet", "session_end-000001.parquet", "seizure/seizure-sim.json", "seizure/rec_events.tsv"} {
		if _, err := os.Stat(filepath.Join("out", "analyze-rec", f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

// TestAnalyzeExitCodes: run's exit codes. A plain-text file without
// --rate is a usage error (2) before anything runs; a damaged recording
// beside a sound one is skipped, saying why (4); only damaged ones: 3.
func TestAnalyzeExitCodes(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, stderr, code := cliCode(t, context.Background(), "simulate", "--out", "in/a.edf", "--duration", "10"); code != 0 {
		t.Fatalf("simulate: %s", stderr)
	}
	b, err := os.ReadFile("in/a.edf")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("in/b.edf", b[:300], 0o644)
	os.WriteFile("c.txt", []byte(strings.Repeat("1\n", 3000)), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"c.txt"}, cli.ExitUsage, "c.txt: a plain-text recording carries no sample rate: give it with --rate (Hz)"},
		{[]string{"in", "c.txt"}, cli.ExitUsage, "give it with --rate"},
		{[]string{"missing.edf"}, cli.ExitUsage, "missing.edf"},
		{[]string{"--rate", "100", "c.txt"}, cli.ExitOK, "text, 1 channel (1 eeg), 100 Hz, 30.0 s"},
		{[]string{"in"}, cli.ExitPartial, "skipped: in/b.edf: byte 300: signal headers"},
		{[]string{"in/b.edf"}, cli.ExitNothing, "nothing processed: in/b.edf skipped"},
	} {
		stdout, stderr, code := cliCode(t, context.Background(), append([]string{"analyze"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("analyze %s: exit %d, want %d and %q:\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, stdout, stderr)
		}
		if _, err := os.Stat("out"); code == cli.ExitUsage && err == nil {
			t.Errorf("analyze %s: the usage error left an output folder", strings.Join(tc.args, " "))
		}
	}
}

// TestAnalyzeRecordings runs analyze on shared recordings: the 8 Hz LED
// SSVEP recording (300 Hz, DSI-24) with --ssvep-freqs decides 8 Hz in most
// windows and skips the seizure model (its channels are derivations
// against Pz); the PhysioNet motor-imagery EDF (160 Hz, no seizure) gets
// the seizure model resampled, whose example detector (on pooled
// features z-scored against the recording's own baseline) finds no event
// in it; the one before it, on absolute features, called it all ictal
// (the warning for that case: pipeline/analyze TestPlanResampledSeizure).
func TestAnalyzeRecordings(t *testing.T) {
	data := testenv.DataDir(t)
	out := t.TempDir()
	stdout, stderr, code := cliCode(t, context.Background(), "analyze", "--out", out, "--ssvep-freqs", "8,10,12", "--ssvep-channels", "EEG O1-Pz,EEG O2-Pz",
		filepath.Join(data, "ssvep-marley", "wearable_demo_trial2", "Marley_01_raw.edf"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	more, stderr, code := cliCode(t, context.Background(), "analyze", "--out", out, filepath.Join(data, "eegmmidb-motor-imagery", "S001", "S001R04.edf"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, more, stderr)
	}
	stdout += more
	m := regexp.MustCompile(`  Marley_01: (\d+) windows: 8 Hz (\d+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no SSVEP line for Marley_01:\n%s", stdout)
	}
	if n, eight := atoi(t, m[1]), atoi(t, m[2]); n != 28 || eight < 20 {
		t.Errorf("Marley_01 (8 Hz LED): %d of %d windows decided 8 Hz", eight, n)
	}
	for _, want := range []string{
		"seizure: skipped: the model needs the 19 EEG channels of the 10-20 system",
		"EDF+C, 64 channels (64 eeg), 160 Hz, 125.0 s",
		"seizure: resampled from 160 Hz to the model's 256 Hz (×8/5",
		"seizure: channels T7.. for T3, T8.. for T4, P7.. for T5, P8.. for T6",
		"S001R04: no event; 0 of 122 windows ictal", // seizure-free; the example model before baselines called it all ictal
		": " + out + "/\n", // one recording: --out itself
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// malowLayout are the Malow record's channels in the order of its files
// ch01.inp … ch21.inp (SOURCES.md §2).
var malowLayout = strings.Split("Fp1,Fp2,F3,F4,C3,C4,P3,P4,O1,O2,SP1,SP2,F7,F8,T3,T4,T5,T6,Fz,Cz,Pz", ",")

// writeChannelFolder writes dir/ch01.inp … one file per channel of
// seconds s of Gaussian noise (20 µV) at 100 Hz, in the Malow record's
// layout, and a README.txt beside them.
func writeChannelFolder(t *testing.T, dir string, seconds int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 1))
	for c := range malowLayout {
		var b strings.Builder
		for range seconds * 100 {
			fmt.Fprintf(&b, "%.3f\n", 20*r.NormFloat64())
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("ch%02d.inp", c+1)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("21 channels, 100 Hz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadFlagsChannelFiles: analyze and inspect read a folder of
// one-channel text files as one recording with --channel-files and
// --channel-labels, as train and eval do: analyze plans the seizure
// pipeline on it (resampled from 100 Hz, the 10-20 labels matched) and
// writes one result folder; inspect describes the 21 channels. Before,
// analyze took each file for a recording of its own.
func TestReadFlagsChannelFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "malow-like")
	writeChannelFolder(t, dir, 20)
	labels := strings.Join(malowLayout, ",")
	out := t.TempDir()
	stdout, stderr, code := cliCode(t, context.Background(), "analyze", "--out", out, "--rate", "100",
		"--channel-files", "ch*.inp", "--channel-labels", labels, dir)
	if code != 0 {
		t.Fatalf("analyze: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"== " + dir + " → " + out + "\n",
		"text, 21 channels (21 eeg), 100 Hz, 20.0 s",
		"seizure: resampled from 100 Hz to the model's 256 Hz (×64/25",
		"(the other 2 EEG channels left out of it)", // SP1, SP2
		"malow-like: no event",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("analyze output lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "== "); n != 1 {
		t.Errorf("analyze: %d recordings, want the folder as one", n)
	}
	stdout, stderr, code = cliCode(t, context.Background(), "inspect", "--rate", "100", "--channel-files", "ch*.inp", "--channel-labels", labels, dir)
	if code != 0 || !strings.Contains(stdout, "channels:    21\n") || !strings.Contains(stdout, "samples:     2000\n") || !strings.Contains(stdout, "Pz ") {
		t.Errorf("inspect: exit %d\n%s%s", code, stdout, stderr)
	}
	// A folder of channel files below another is a recording of its own,
	// not part of the one above.
	writeChannelFolder(t, filepath.Join(dir, "sub"), 5)
	stdout, stderr, code = cliCode(t, context.Background(), "analyze", "--out", t.TempDir(), "--rate", "100",
		"--channel-files", "ch*.inp", "--channel-labels", labels, dir)
	if code != cli.ExitPartial || !strings.Contains(stdout, "skipped: "+dir+": a folder of channel files with more such folders below it") ||
		!strings.Contains(stdout, "sub: no event") {
		t.Errorf("nested folders: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stderr, code = cliCode(t, context.Background(), "inspect", "--rate", "100", "--channel-files", "ch*.inp", "--channel-labels", "Fp1,Fp2", dir)
	if code == 0 || !strings.Contains(stderr, "--channel-labels has 2 labels for 21 channels") {
		t.Errorf("inspect with 2 labels: exit %d, stderr %q; want the error naming --channel-labels", code, stderr)
	}
}
