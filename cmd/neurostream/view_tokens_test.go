package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/view/viewtest"
)

// tokenColours are the page's colour ramp for token ids (SEQ in
// view/web/app.js).
var tokenColours = []string{"#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21908d", "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"}

// TestViewTokens runs the tokens stage on a simulated session (resampled
// to 200 Hz, 2 s windows every 0.5 s, the example vocabulary) at 8× real
// time with --view, and reads the token strip as a person would: a row
// per channel of cells in the token colours, and the readout of the
// latest frame naming each channel's token — the ids the run wrote to its
// result files.
func TestViewTokens(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	vocab, err := filepath.Abs("../../tokenizer/testdata/vocab-sim.arrow")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "tokens.yaml")
	yaml := fmt.Sprintf(`name: view-tokens
workers: 1
source:
  chunk_seconds: 0.25
  pace: 8
  simulate: {sessions: 1, seed: 1, sample_rate: 256, duration: 40, alpha: {enabled: true, frequency: 10}}
preprocess: [{type: resample, up: 25, down: 32}]
window: {length_seconds: 2, hop_seconds: 0.5}
stages: [{type: tokens, vocab: %s}]
output: {dir: %s}
`, vocab, out)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, run := viewAddr(t, func() *bgCLI { return startCLI(t, "run", "--config", cfg, "--view", "127.0.0.1:0") })
	p := viewtest.Open(t, "http://"+addr+"/#session=sim-1")
	p.WaitFor(t, 60*time.Second, "the token strip", `!document.getElementById('p-tok').hidden && document.getElementById('tok-read').dataset.frame`)
	p.WaitFor(t, 120*time.Second, "sim-1 ended", `/^ended/.test(`+cellJS("sim-1", "state")+`)`)
	time.Sleep(time.Second) // the last update drawn
	info := viewtest.Eval[string](t, p, `document.getElementById('tok-info').textContent`)
	read := viewtest.Eval[string](t, p, `document.getElementById('tok-read').textContent`)
	t.Logf("strip: %s\nreadout: %s", info, read)
	strip := p.ElementScreenshot(t, "#c-tok")
	checkScreenshot(t, p, "view-tokens.png")
	t.Logf("page update cost, one session with a token strip: %v", readCost(t, p))
	if o, err := run.stop(t); err != nil {
		t.Fatalf("run --view: %v\n%s", err, o)
	}

	// What the run wrote: frame → channel → token.
	written := map[int64]map[string]int32{}
	var channels []string
	for _, rec := range readResults(t, out, arrowout.KindTokens) {
		ch := column(t, rec, "channel").(*array.String)
		fr := column(t, rec, "frame").(*array.Int64)
		tok := column(t, rec, "token").(*array.Int32)
		for i := range int(rec.NumRows()) {
			j := fr.Value(i)
			if written[j] == nil {
				written[j] = map[string]int32{}
			}
			if !slices.Contains(channels, ch.Value(i)) { // in order of first appearance, as the page
				channels = append(channels, ch.Value(i))
			}
			written[j][ch.Value(i)] = tok.Value(i)
		}
		rec.Release()
	}
	if want := fmt.Sprintf("%d frames × %d channels", len(written), len(channels)); !strings.HasPrefix(info, want) {
		t.Errorf("strip %q, want %s", info, want)
	}
	// "latest frame J at HH:MM:SS: Fp1 37 · Fp2 42 · …"
	m := regexp.MustCompile(`^latest frame (\d+) at [0-9:]+: (.*)$`).FindStringSubmatch(read)
	if m == nil {
		t.Fatalf("readout %q", read)
	}
	j, _ := strconv.ParseInt(m[1], 10, 64)
	last := int64(-1)
	for f := range written {
		last = max(last, f)
	}
	if j != last {
		t.Errorf("readout shows frame %d, the run's last is %d", j, last)
	}
	var want []string
	for _, c := range channels {
		want = append(want, fmt.Sprintf("%s %d", c, written[j][c]))
	}
	if got := m[2]; got != strings.Join(want, " · ") {
		t.Errorf("frame %d tokens shown %q, written %q", j, got, strings.Join(want, " · "))
	}

	// The strip's cells: pixels in at least 4 of the token colours.
	img, err := png.Decode(bytes.NewReader(strip))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			count[fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, bl>>8)]++
		}
	}
	shown := 0
	for _, c := range tokenColours {
		if count[c] >= 20 {
			shown++
		}
	}
	t.Logf("strip %d×%d px: %d of %d token colours", b.Dx(), b.Dy(), shown, len(tokenColours))
	if shown < 4 {
		t.Errorf("the strip shows %d token colours, want ≥ 4", shown)
	}
}
