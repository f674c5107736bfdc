package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/view/viewtest"
)

// reportRun runs a pipeline with psd, coherence and seizure stages over
// two simulated sessions and a recording with a seizure at 50–90 s, and
// writes the reference seizure as sz_events.tsv under DIR/ref. It returns
// the result folder and the reference folder.
func reportRun(t *testing.T, dir string) (out, ref string) {
	t.Helper()
	out, ref = filepath.Join(dir, "out"), filepath.Join(dir, "ref")
	cfg := viewPipeline(t, dir, 2, 120, 0, true, "output: {dir: "+out+"}")
	if err := os.MkdirAll(ref, 0o755); err != nil {
		t.Fatal(err)
	}
	if o, err := runMain(t, "simulate", "--out", filepath.Join(dir, "ref.edf"), "--duration", "120", "--seizure", "50:40", "--seed", "7",
		"--events-tsv", filepath.Join(ref, "sz_events.tsv")); err != nil {
		t.Fatalf("%v\n%s", err, o)
	}
	if o, err := runMain(t, "run", "--config", cfg); err != nil {
		t.Fatalf("run: %v\n%s", err, o)
	}
	return out, ref
}

// wantFigures lists the figures of reportRun's results.
func wantFigures() []string {
	var want []string
	for _, s := range []string{"sim-1", "sim-2", "sz"} {
		for _, k := range []string{"psd", "bandpower", "spectrogram", "seizure",
			"coherence-delta", "coherence-theta", "coherence-alpha", "coherence-beta", "coherence-gamma"} {
			want = append(want, s+"-"+k)
		}
	}
	slices.Sort(want)
	return want
}

// checkFigures checks that every wanted figure is written as PNG (of the
// expected size, not blank) and SVG, and linked from index.html.
func checkFigures(t *testing.T, rep string, want []string) {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:href|src)="([^"]+)"`).FindAllStringSubmatch(string(index), -1) {
		links[m[1]] = true
	}
	pngs, _ := filepath.Glob(filepath.Join(rep, "*.png"))
	if len(pngs) != len(want) {
		t.Errorf("%d PNG figures, want %d", len(pngs), len(want))
	}
	for _, stem := range want {
		b, err := os.ReadFile(filepath.Join(rep, stem+".png"))
		if err != nil {
			t.Errorf("figure %s: %v", stem, err)
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s.png: %v", stem, err)
			continue
		}
		w, h := 768, 336
		if strings.Contains(stem, "coherence") {
			w, h = 480, 432
		}
		if cfg.Width != w || cfg.Height != h {
			t.Errorf("%s.png is %d×%d, want %d×%d", stem, cfg.Width, cfg.Height, w, h)
		}
		v, colours, err := viewtest.PixelStats(b)
		if err != nil || v < 100 || colours < 20 {
			t.Errorf("%s.png looks blank: grey variance %.0f, %d colours (%v)", stem, v, colours, err)
		}
		svg, err := os.ReadFile(filepath.Join(rep, stem+".svg"))
		if err != nil || !bytes.Contains(svg, []byte("<svg")) || len(svg) < 2000 {
			t.Errorf("%s.svg: %d bytes, %v", stem, len(svg), err)
		}
		for _, f := range []string{stem + ".png", stem + ".svg"} {
			if !links[f] {
				t.Errorf("index.html does not link %s", f)
			}
		}
	}
}

// TestReport draws the figures of a run's result files, scores the
// seizure detections against the reference, and links everything from
// index.html.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	out, ref := reportRun(t, dir)
	rep := filepath.Join(dir, "report")
	o, err := runMain(t, "report", "--in", out, "--out", rep, "--ref", ref)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, o)
	}
	t.Log(strings.TrimSpace(o))
	want := wantFigures()
	checkFigures(t, rep, want)
	if !strings.Contains(o, "seizure sz: 1 reference events, TP 1, FP 0") {
		t.Errorf("report does not score sz's detection against the reference:\n%s", o)
	}
	index, _ := os.ReadFile(filepath.Join(rep, "index.html"))
	if !bytes.Contains(index, []byte("<td>sz</td><td>1</td><td>1</td><td>0</td>")) {
		t.Errorf("index.html lacks sz's score row")
	}

	// Bad input beside the good: a kind it does not know, an empty file,
	// a truncated file. Each is named with the reason; every figure of the
	// good files is still written.
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	parts, _ := filepath.Glob(filepath.Join(out, "*-0*.parquet"))
	for _, p := range parts {
		b, _ := os.ReadFile(p)
		os.WriteFile(filepath.Join(bad, filepath.Base(p)), b, 0o644)
	}
	psd, _ := os.ReadFile(filepath.Join(out, "psd-000001.parquet"))
	os.WriteFile(filepath.Join(bad, "mystery-000001.parquet"), psd, 0o644)
	os.WriteFile(filepath.Join(bad, "bandpower-000077.parquet"), nil, 0o644)
	os.WriteFile(filepath.Join(bad, "psd-000078.parquet"), psd[:len(psd)/2], 0o644)
	rep2 := filepath.Join(dir, "report-bad")
	o, err = runMain(t, "report", "--in", bad, "--out", rep2, "--ref", ref)
	if cli.ExitCode(err) != cli.ExitPartial {
		t.Errorf("report over bad files: %v, want exit %d", err, cli.ExitPartial)
	}
	for _, want := range []string{
		"not used: " + filepath.Join(bad, "mystery-000001.parquet") + `: unknown result kind "mystery"`,
		"not used: " + filepath.Join(bad, "bandpower-000077.parquet") + ": empty file",
		"not used: " + filepath.Join(bad, "psd-000078.parquet") + ": unreadable",
	} {
		if !strings.Contains(o, want) {
			t.Errorf("report output lacks %q:\n%s", want, o)
		}
	}
	checkFigures(t, rep2, want)
}
