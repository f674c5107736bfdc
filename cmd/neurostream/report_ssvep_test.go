package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/pipeline/sinks"
	"github.com/neurostream/neurostream/view/viewtest"
)

// ssvepReportRuns runs the event-locked SSVEP pipeline of
// configs/ssvep-trials.yaml (one simulated session, 4 s trials at 8, 11,
// 13 and 15 Hz, FBCCA from each onset), 122 s long (20 trials), once per
// window length, into one result folder: output.resume numbers each run's
// parts after the last run's. The 0.5 s run has a no-control rule, so
// some of its decisions are rest. It returns the folder.
func ssvepReportRuns(t *testing.T, dir string, lengths ...float64) string {
	t.Helper()
	out := filepath.Join(dir, "out")
	for _, l := range lengths {
		noControl := ""
		if l == 0.5 {
			noControl = ", no_control: {rule: margin, threshold: 0.1}"
		}
		cfg := filepath.Join(dir, fmt.Sprintf("ssvep-%g.yaml", l))
		yaml := fmt.Sprintf(`name: ssvep-report
workers: 1
source:
  chunk_seconds: 0.25
  simulate:
    sessions: 1
    seed: 3
    sample_rate: 256
    duration: 122
    background: {enabled: true}
    alpha: {enabled: true, frequency: 10}
    line_noise: {enabled: true, frequency: 50}
    blinks: {enabled: true}
    ssvep: {enabled: true, frequencies: [8, 11, 13, 15]}
  stim:
    channel: STI
    events:
      - {description: ssvep/8Hz, code: 1}
      - {description: ssvep/11Hz, code: 2}
      - {description: ssvep/13Hz, code: 3}
      - {description: ssvep/15Hz, code: 4}
window:
  length_seconds: %g
  events: {stim_channel: STI, codes: [1, 2, 3, 4]}
preprocess: [{type: notch, freq: 50}]
stages:
  - {type: ssvep, method: fbcca, frequencies: [8, 11, 13, 15], channels: [O1, O2, P3, Pz, P4]%s}
output: {dir: %s, resume: true}
`, l, noControl, out)
		if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if o, err := runMain(t, "run", "--config", cfg); err != nil {
			t.Fatalf("run (%g s windows): %v\n%s", l, err, o)
		}
	}
	return out
}

// ssvepTally is what the test itself counts in one run's ssvep part.
type ssvepTally struct {
	trials, correct, rest int
	confusion             [4][5]int // code−1 × decision (rest last)
}

// tallySSVEP reads one ssvep part: codes 1…4 are the targets 8, 11, 13
// and 15 Hz (decision code−1).
func tallySSVEP(t *testing.T, path string) ssvepTally {
	t.Helper()
	recs, err := sinks.ReadFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n ssvepTally
	for _, rec := range recs {
		code := column(t, rec, "event_code").(*array.Int32)
		dec := column(t, rec, "decision").(*array.Int32)
		for i := range int(rec.NumRows()) {
			c, d := int(code.Value(i)), int(dec.Value(i))
			n.trials++
			if d == c-1 {
				n.correct++
			}
			if d < 0 {
				n.rest++
				d = 4
			}
			n.confusion[c-1][d]++
		}
		rec.Release()
	}
	return n
}

// checkFigure checks that STEM.png is w × h pixels and not blank,
// STEM.svg is an SVG, and index.html links both; it returns the SVG.
func checkFigure(t *testing.T, rep, index, stem string, w, h int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rep, stem+".png"))
	if err != nil {
		t.Errorf("figure %s: %v", stem, err)
		return nil
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != w || cfg.Height != h {
		t.Errorf("%s.png is %d×%d (%v), want %d×%d", stem, cfg.Width, cfg.Height, err, w, h)
	}
	if v, colours, err := viewtest.PixelStats(b); err != nil || v < 100 || colours < 20 {
		t.Errorf("%s.png looks blank: grey variance %.0f, %d colours (%v)", stem, v, colours, err)
	}
	svg, err := os.ReadFile(filepath.Join(rep, stem+".svg"))
	if err != nil || !bytes.Contains(svg, []byte("<svg")) || len(svg) < 2000 {
		t.Errorf("%s.svg: %d bytes, %v", stem, len(svg), err)
	}
	for _, f := range []string{stem + ".png", stem + ".svg"} {
		if !strings.Contains(index, `href="`+f+`"`) {
			t.Errorf("index.html does not link %s", f)
		}
	}
	return svg
}

// TestReportSSVEP runs the event-locked SSVEP pipeline at three window
// lengths into one folder and draws its report: a confusion matrix per
// length (with the rest column of the run with a no-control rule), the
// accuracy and ITR against window length, and the scores table, each
// number equal to what the test counts in the rows itself.
func TestReportSSVEP(t *testing.T) {
	dir := t.TempDir()
	lengths := []float64{0.5, 1, 2}
	out := ssvepReportRuns(t, dir, lengths...)
	rep := filepath.Join(dir, "report")
	o, err := runMain(t, "report", "--in", out, "--out", rep)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, o)
	}
	b, _ := os.ReadFile(filepath.Join(rep, "index.html"))
	index := string(b)
	checkFigure(t, rep, index, "sim-1-ssvep", 768, 336)
	checkFigure(t, rep, index, "sim-1-ssvep-accuracy", 768, 336)
	accs := map[float64]bool{}
	for k, l := range lengths {
		// Part k+1 is the k-th run's.
		n := tallySSVEP(t, filepath.Join(out, fmt.Sprintf("ssvep-%06d.parquet", k+1)))
		if n.trials != 20 {
			t.Fatalf("%g s run: %d trials, want 20", l, n.trials)
		}
		acc := float64(n.correct) / float64(n.trials)
		accs[acc] = true
		itr := ssvep.ITR(4, acc, l+0.5)
		t.Logf("%g s windows: %d/%d right, %d rest, ITR %.1f bits/min", l, n.correct, n.trials, n.rest, itr)
		row := fmt.Sprintf("<tr><td>sim-1</td><td>fbcca</td><td>%g s</td><td>20</td><td>20</td><td>%d</td><td>%.0f %%</td><td>4</td><td>%.1f</td>",
			l, n.correct, 100*acc, itr)
		if !strings.Contains(index, row) {
			t.Errorf("index.html lacks the %g s score row %s", l, row)
		}
		svg := checkFigure(t, rep, index, fmt.Sprintf("sim-1-ssvep-confusion-fbcca-%gs", l), 576, 432)
		// The cell counts, row by row, as the SVG's text in drawing
		// order; the rest column only where a decision was rest.
		cols := 4
		if n.rest > 0 {
			cols = 5
		}
		var want []string
		for c := range 4 {
			for d := range cols {
				want = append(want, fmt.Sprint(n.confusion[c][d]))
			}
		}
		if got := svgCells(svg); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%g s confusion cells %v, want %v", l, got, want)
		}
		if hasRest := bytes.Contains(svg, []byte(">rest<")); hasRest != (n.rest > 0) {
			t.Errorf("%g s confusion: rest column %v, %d rest decisions", l, hasRest, n.rest)
		}
		if l == 0.5 && n.rest == 0 {
			t.Errorf("the 0.5 s run with a no-control rule decided no rest: the rest column is untested")
		}
	}
	if len(accs) < 2 {
		t.Errorf("the same accuracy at every window length: the figure's points are not told apart")
	}
	if !strings.Contains(index, "SSVEP accuracy and ITR against window length (3 lengths)") {
		t.Errorf("index.html lacks the accuracy figure's title for 3 lengths")
	}

	// One window length: one point, and the title says so.
	dir1 := t.TempDir()
	out1 := ssvepReportRuns(t, dir1, 2)
	rep1 := filepath.Join(dir1, "report")
	if o, err := runMain(t, "report", "--in", out1, "--out", rep1); err != nil {
		t.Fatalf("report: %v\n%s", err, o)
	}
	b, _ = os.ReadFile(filepath.Join(rep1, "index.html"))
	checkFigure(t, rep1, string(b), "sim-1-ssvep-accuracy", 768, 336)
	checkFigure(t, rep1, string(b), "sim-1-ssvep-confusion-fbcca-2s", 576, 432)
	if !strings.Contains(string(b), "one window length (2 s) in these files") {
		t.Errorf("the single-length report does not say it has one window length")
	}
}

// svgCells returns the numbers an SVG figure writes as text of their own,
// in drawing order: in a confusion matrix, its cell counts row by row
// (tick labels and titles hold more than a number).
func svgCells(svg []byte) []string {
	var nums []string
	for _, m := range regexp.MustCompile(`>([0-9]+)</text>`).FindAllSubmatch(svg, -1) {
		nums = append(nums, string(m[1]))
	}
	return nums
}
