package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/view/viewtest"
)

// bgCLI is the neurostream command running in-process in the background,
// stopped by cancelling its context as a signal would.
type bgCLI struct {
	out    syncBuffer
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func startCLI(t *testing.T, args ...string) *bgCLI {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &bgCLI{cancel: cancel, done: make(chan struct{})}
	root := newRoot()
	root.SetOut(&b.out)
	root.SetErr(&b.out)
	root.SetArgs(args)
	go func() {
		b.err = root.ExecuteContext(ctx)
		close(b.done)
	}()
	t.Cleanup(func() { b.stop(t) })
	return b
}

// stop cancels the command and waits for it; its output and error.
func (b *bgCLI) stop(t *testing.T) (string, error) {
	b.cancel()
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the command did not stop 30 s after its context ended:\n%s", b.out.String())
	}
	return b.out.String(), b.err
}

// viewAddr starts what start starts with viewHook set, and returns the
// view's address.
func viewAddr(t *testing.T, start func() *bgCLI) (string, *bgCLI) {
	t.Helper()
	addrc := make(chan string, 1)
	viewHook = func(a string) { addrc <- a }
	t.Cleanup(func() { viewHook = nil })
	b := start()
	select {
	case a := <-addrc:
		return a, b
	case <-b.done:
		t.Fatalf("exited before serving the view: %v\n%s", b.err, b.out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no view after 60 s:\n%s", b.out.String())
	}
	return "", nil
}

// viewPipeline writes a pipeline over sessions simulated sessions (10 Hz
// alpha, 19 channels, duration s) and, when seizure is set, a simulated
// recording sz.edf with a seizure at 50–90 s; psd and band power,
// coherence, and the seizure detector when seizure is set. output is the
// YAML of its output section.
func viewPipeline(t *testing.T, dir string, sessions int, duration, pace float64, seizure bool, output string) string {
	t.Helper()
	files, stages := "", ""
	if seizure {
		edf := filepath.Join(dir, "sz.edf")
		if out, err := runMain(t, "simulate", "--out", edf, "--duration", fmt.Sprint(duration), "--seizure", "50:40", "--seed", "7"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		files = "files: {paths: [" + edf + "]}"
		model, err := filepath.Abs("../../configs/models/seizure-sim.json")
		if err != nil {
			t.Fatal(err)
		}
		stages = `
  - {type: coherence, methods: [coh, imcoh], picks: [Fp1, Fp2, F3, F4, C3, C4, P3, P4, O1, O2]}
  - {type: seizure, model: ` + model + `}`
	}
	cfg := filepath.Join(dir, "view.yaml")
	yaml := fmt.Sprintf(`name: view-test
workers: 2
source:
  chunk_seconds: 0.25
  pace: %g
  simulate:
    sessions: %d
    seed: 1
    duration: %g
    alpha: {enabled: true, frequency: 10}
  %s
window: {length_seconds: 4, hop_seconds: 1, warmup_seconds: 0}
preprocess: [{type: reference, types: [eeg]}]
stages:
  - {type: psd, n_per_seg: 256, n_overlap: 128, fmax: 60}%s
%s
`, pace, sessions, duration, files, stages, output)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// rowJS evaluates to the session list's row of a session.
func rowJS(session string) string {
	return fmt.Sprintf(`document.querySelector('#sessions tr[data-session=%q]')`, session)
}

// cellJS evaluates to the text of a column of a session's row, or "".
func cellJS(session, col string) string {
	return fmt.Sprintf(`((r) => r ? r.querySelector('td.%s').textContent : '')(%s)`, col, rowJS(session))
}

// checkSeizurePage picks the sz session and checks its one event and the
// state of every session.
func checkView(t *testing.T, p *viewtest.Page, sims []string, seizure bool) {
	t.Helper()
	all := slices.Clone(sims)
	if seizure {
		all = append(all, "sz")
	}
	p.WaitFor(t, 120*time.Second, fmt.Sprintf("the %d sessions", len(all)),
		fmt.Sprintf(`document.querySelectorAll('#sessions tbody tr').length === %d`, len(all)))
	got := viewtest.Eval[[]string](t, p, `[...document.querySelectorAll('#sessions tbody tr')].map(r => r.dataset.session)`)
	if !slices.Equal(got, all) {
		t.Errorf("session list %q, want %q", got, all)
	}
	// The dominant frequency averages 10 windows: wait for them, then it
	// must read 10 Hz for every session with a 10 Hz alpha.
	for _, s := range sims {
		p.WaitFor(t, 120*time.Second, s+"'s 10th window", fmt.Sprintf(`+(%s) >= 10`, cellJS(s, "windows")))
		if d := viewtest.Eval[string](t, p, cellJS(s, "dominant")); d != "10 Hz" {
			t.Errorf("%s: dominant frequency %q, want 10 Hz (simulated 10 Hz alpha)", s, d)
		}
	}
	if !seizure {
		return
	}
	viewtest.Eval[bool](t, p, rowJS("sz")+`.click() || true`)
	p.WaitFor(t, 120*time.Second, "the seizure event of sz", `document.querySelectorAll('#events li').length > 0 && location.hash === '#session=sz'`)
	p.WaitFor(t, 120*time.Second, "sz ended", `/^ended/.test(`+cellJS("sz", "state")+`)`)
	type ev struct {
		Onset, Offset float64
		Text          string
	}
	evs := viewtest.Eval[[]ev](t, p, `[...document.querySelectorAll('#events li')].map(li => ({onset: +li.dataset.onset, offset: +li.dataset.offset, text: li.textContent}))`)
	// Simulated at 50–90 s at the focus; the detector's event starts with
	// its first ictal 4 s window and ends with the end of its last.
	if len(evs) != 1 || math.Abs(evs[0].Onset-50) > 5 || math.Abs(evs[0].Offset-90) > 8 {
		t.Errorf("events shown %+v, want one at about 50–90 s", evs)
	} else {
		t.Logf("sz: %s", evs[0].Text)
	}
	if txt := viewtest.Eval[string](t, p, cellJS("sz", "seizure")); !strings.Contains(txt, "1 event") {
		t.Errorf("sz's seizure column %q, want 1 event", txt)
	}
	if dom := viewtest.Eval[string](t, p, `document.getElementById('psd-info').textContent`); !strings.Contains(dom, "dominant") {
		t.Errorf("psd panel %q", dom)
	}
}

// checkScreenshot writes the page's screenshot to the test's folder and
// checks that it is not blank and the page logged no error.
func checkScreenshot(t *testing.T, p *viewtest.Page, name string) {
	t.Helper()
	time.Sleep(time.Second) // the last update drawn
	path := filepath.Join(t.TempDir(), name)
	png := p.Screenshot(t, path)
	v, colours, err := viewtest.PixelStats(png)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s: %d bytes, grey variance %.0f, %d colours", path, len(png), v, colours)
	if os.Getenv("NEUROSTREAM_TEST_VIEW_SHOTS") != "" { // for a person to look at
		os.WriteFile(filepath.Join(os.Getenv("NEUROSTREAM_TEST_VIEW_SHOTS"), name), png, 0o644)
	}
	if v < 200 || colours < 100 {
		t.Errorf("screenshot looks blank: grey variance %.0f, %d colours", v, colours)
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// updateCost reports the page's update cost measured in the page.
type updateCost struct {
	Updates, Frames, LongTasks int
	MaxMs, TotalMs, LongTaskMs float64
	Costs                      []float64
}

func (u updateCost) String() string {
	c := slices.Clone(u.Costs)
	sort.Float64s(c)
	p := func(q float64) float64 {
		if len(c) == 0 {
			return math.NaN()
		}
		return c[min(len(c)-1, int(q*float64(len(c))))]
	}
	return fmt.Sprintf("%d updates (%d frames): mean %.1f ms, median %.1f ms, p95 %.1f ms, max %.1f ms; %d long tasks (%.0f ms)",
		u.Updates, u.Frames, u.TotalMs/math.Max(1, float64(u.Updates)), p(0.5), p(0.95), u.MaxMs, u.LongTasks, u.LongTaskMs)
}

func readCost(t *testing.T, p *viewtest.Page) updateCost {
	return viewtest.Eval[updateCost](t, p, `window.nsView`)
}

// TestViewRun runs a pipeline over three simulated sessions with a 10 Hz
// alpha and a recording with a seizure at 50–90 s with --view, at 8×
// real time, and reads the live page in headless Chromium as a person
// would.
func TestViewRun(t *testing.T) {
	dir := t.TempDir()
	cfg := viewPipeline(t, dir, 3, 120, 8, true, "output: {dir: "+filepath.Join(dir, "out")+"}")
	addr, run := viewAddr(t, func() *bgCLI { return startCLI(t, "run", "--config", cfg, "--view", "127.0.0.1:0") })
	p := viewtest.Open(t, "http://"+addr+"/")
	checkView(t, p, []string{"sim-1", "sim-2", "sim-3"}, true)
	checkScreenshot(t, p, "view-run.png")
	t.Logf("page update cost, 4 sessions: %v", readCost(t, p))
	out, err := run.stop(t)
	if err != nil {
		t.Fatalf("run --view: %v\n%s", err, out)
	}
	for _, want := range []string{"view: http://" + addr, "still serving", "pipeline \"view-test\": 4 sessions"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestView64 streams 64 simulated sessions in real time through --view
// and measures the page's update cost while they stream.
func TestView64(t *testing.T) {
	if testing.Short() {
		t.Skip("64 sessions for 25 s")
	}
	dir := t.TempDir()
	cfg := viewPipeline(t, dir, 64, 30, 1, false, "output: {dir: "+filepath.Join(dir, "out")+"}")
	// A file or simulation source streams 16 recordings at a time; a
	// live deployment has all of its sessions at once.
	runViewHook = func(b *config.Built) {
		c, err := config.Load(nil, cfg)
		if err != nil {
			t.Error(err)
			return
		}
		specs, err := c.Recordings()
		if err != nil {
			t.Error(err)
			return
		}
		b.Source = pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: 0.25, Pace: 1, MaxOpen: len(specs)})
		b.Options.Source = b.Source
	}
	t.Cleanup(func() { runViewHook = nil })
	addr, run := viewAddr(t, func() *bgCLI { return startCLI(t, "run", "--config", cfg, "--view", "127.0.0.1:0") })
	p := viewtest.Open(t, "http://"+addr+"/#session=sim-1")
	sims := make([]string, 64)
	for i := range sims {
		sims[i] = fmt.Sprintf("sim-%d", i+1)
	}
	sort.Strings(sims)
	p.WaitFor(t, 60*time.Second, "64 sessions", `document.querySelectorAll('#sessions tbody tr').length === 64`)
	// Measure from here while every session streams.
	viewtest.Eval[bool](t, p, `Object.assign(window.nsView, {updates: 0, frames: 0, costs: [], maxMs: 0, totalMs: 0, longTasks: 0, longTaskMs: 0}) && true`)
	checkView(t, p, sims, false)
	p.WaitFor(t, 120*time.Second, "every session ended", `[...document.querySelectorAll('#sessions td.state')].every(td => /^ended/.test(td.textContent))`)
	cost := readCost(t, p)
	t.Logf("page update cost, 64 sessions streaming in real time: %v", cost)
	checkScreenshot(t, p, "view-64.png")
	if cost.Updates < 20 {
		t.Errorf("only %d page updates while 64 sessions streamed for 30 s", cost.Updates)
	}
	if mean := cost.TotalMs / float64(cost.Updates); mean > 50 {
		t.Errorf("mean update cost %.1f ms with 64 sessions: over 50 ms (an update every 250 ms)", mean)
	}
	if dropped := viewtest.Eval[string](t, p, `document.getElementById('dropped').hidden ? '' : document.getElementById('dropped').textContent`); strings.Contains(dropped, "results dropped") {
		t.Errorf("the view dropped results: %s", dropped)
	}
	if out, err := run.stop(t); err != nil {
		t.Fatalf("run --view: %v\n%s", err, out)
	}
}

// TestViewKafka runs a pipeline that writes its results to the real
// broker, and reads them with `neurostream view` (its own consumer group)
// in headless Chromium.
func TestViewKafka(t *testing.T) {
	broker := kafkatest.Broker(t)
	dir := t.TempDir()
	prefix := kafkatest.Name(t, "results") + "."
	dlt := kafkatest.Name(t, "deadletters")
	group := kafkatest.Name(t, "view")
	addr, view := viewAddr(t, func() *bgCLI {
		return startCLI(t, "view", "--addr", "127.0.0.1:0", "--brokers", broker, "--topic-prefix", prefix,
			"--group", group, "--dead-letter-topic", dlt, "--from", "earliest")
	})
	cfg := viewPipeline(t, dir, 3, 120, 0, true, fmt.Sprintf(`output:
  dir: ""
  kafka: {brokers: [%s], topic_prefix: %q, dead_letter_topic: %q}`, broker, prefix, dlt))
	if out, err := runMain(t, "run", "--config", cfg); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	p := viewtest.Open(t, "http://"+addr+"/")
	checkView(t, p, []string{"sim-1", "sim-2", "sim-3"}, true)
	if b := viewtest.Eval[string](t, p, cellJS("sim-1", "behind")); b == "" {
		t.Errorf("sim-1: no Kafka position (behind) shown")
	}
	if src := viewtest.Eval[string](t, p, `document.getElementById('source').textContent`); !strings.Contains(src, prefix) {
		t.Errorf("source %q does not name the topics %s*", src, prefix)
	}
	checkScreenshot(t, p, "view-kafka.png")
	if out, err := view.stop(t); err != nil {
		t.Fatalf("view: %v\n%s", err, out)
	}
}
