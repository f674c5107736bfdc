package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// liveSource delivers messages sent on its channel and then waits, as a
// Kafka source does, until its context ends; it records acknowledgements
// by Origin.
type liveSource struct {
	in   chan pipeline.Message
	mu   sync.Mutex
	acks map[string][]error
}

func newLiveSource() *liveSource {
	return &liveSource{in: make(chan pipeline.Message, 1000), acks: map[string][]error{}}
}

func (s *liveSource) Connect(context.Context) error { return nil }
func (s *liveSource) Close(context.Context) error   { return nil }
func (s *liveSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	select {
	case m := <-s.in:
		return m, func(err error) {
			s.mu.Lock()
			s.acks[m.Origin] = append(s.acks[m.Origin], err)
			s.mu.Unlock()
		}, nil
	case <-ctx.Done():
		return pipeline.Message{}, nil, ctx.Err()
	}
}

// acked returns how many of msgs were acknowledged once with nil, and
// whether any was acknowledged otherwise.
func (s *liveSource) acked(msgs []pipeline.Message) (ok int, bad bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		a := s.acks[m.Origin]
		switch {
		case len(a) == 1 && a[0] == nil:
			ok++
		case len(a) > 0:
			bad = true
		}
	}
	return ok, bad
}

// endRow is one session_end row.
type endRow struct {
	window, startSample                  int64
	reason                               string
	chunks, samples, windows, unfinished int64
}

// resultSink records result kinds and session_end rows.
type resultSink struct {
	mu    sync.Mutex
	kinds map[string][]arrowout.Kind // per session, in order
	ends  map[string][]endRow
	fail  error
}

func newResultSink() *resultSink {
	return &resultSink{kinds: map[string][]arrowout.Kind{}, ends: map[string][]endRow{}}
}

func (s *resultSink) Write(_ context.Context, rs []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for _, r := range rs {
		s.kinds[r.Key.Session] = append(s.kinds[r.Key.Session], r.Kind)
		if r.Kind != arrowout.KindSessionEnd {
			continue
		}
		rec := r.Record
		i64 := func(name string) int64 {
			return rec.Column(rec.Schema().FieldIndices(name)[0]).(*array.Int64).Value(0)
		}
		s.ends[r.Key.Session] = append(s.ends[r.Key.Session], endRow{
			window: i64("window"), startSample: i64("start_sample"),
			reason: rec.Column(rec.Schema().FieldIndices("reason")[0]).(*array.String).Value(0),
			chunks: i64("chunks"), samples: i64("samples"), windows: i64("windows"),
			unfinished: i64("unfinished_samples"),
		})
	}
	return nil
}

func (s *resultSink) Close() error { return nil }

func (s *resultSink) endsOf(session string) []endRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]endRow(nil), s.ends[session]...)
}

// testStage is a stage whose sessions fail on some windows and count
// Finish calls.
type testStage struct {
	name     string
	failOn   int64 // window index to fail on; -1 none
	mu       sync.Mutex
	finished map[string]int
}

func (b *testStage) Name() string { return b.name }
func (b *testStage) NewSession(s pipeline.SessionInfo) (pipeline.Stage, error) {
	return &testSession{b: b, session: s.Session}, nil
}

type testSession struct {
	b       *testStage
	session string
}

func (s *testSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	if w.Window == s.b.failOn {
		return nil, errors.New("singular matrix")
	}
	return nil, nil
}

func (s *testSession) Finish(arrowout.WindowKey) ([]arrowout.Result, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.finished == nil {
		s.b.finished = map[string]int{}
	}
	s.b.finished[s.session]++
	return nil, nil
}

func (b *testStage) finishedOf(session string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.finished[session]
}

// startLive runs a pipeline on src in the background; stop ends it and
// returns Run's error.
func startLive(t *testing.T, opt pipeline.Options) (r *pipeline.Runner, stop func() error) {
	t.Helper()
	opt.Window = pipeline.WindowSpec{Length: 200, Hop: 100}
	opt.Logger = quiet
	opt.DrainTimeout = 500 * time.Millisecond
	r, err := pipeline.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return r, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return 5 s after its context ended")
			return nil
		}
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestSessionEndFinal: a final chunk ends its session in a live run: the
// stages finish, one session_end row reports the unfinished tail, every
// chunk of it is acknowledged, and a later chunk under the same id starts
// a new session. Another session that goes on keeps its pending chunks.
func TestSessionEndFinal(t *testing.T) {
	src := newLiveSource()
	sink := newResultSink()
	stage := &testStage{name: "probe", failOn: -1}
	r, stop := startLive(t, pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{stage, psdStage(t)},
		Sinks: []pipeline.Sink{sink}, SessionIdle: -1})

	// 7 chunks of 50 samples = 350 samples: windows 0 and 1 ([0,200),
	// [100,300)); window 2 would start at 200, so 150 samples are unfinished.
	a := chunks(t, "a", 7, 50, func(i int, c *wire.Chunk) { c.Final = i == 6 })
	b := chunks(t, "b", 7, 50, nil)
	for i := range a {
		src.in <- a[i]
		src.in <- b[i]
	}
	waitFor(t, "session a's end", func() bool { return len(sink.endsOf("a")) == 1 })
	want := endRow{window: 2, startSample: 350, reason: "final", chunks: 7, samples: 350, windows: 2, unfinished: 150}
	if got := sink.endsOf("a")[0]; got != want {
		t.Errorf("session_end row %+v, want %+v", got, want)
	}
	if n := stage.finishedOf("a"); n != 1 {
		t.Errorf("stage finished session a %d times, want 1", n)
	}
	waitFor(t, "every chunk of a acknowledged", func() bool { ok, _ := src.acked(a); return ok == len(a) })
	if ok, bad := src.acked(b); ok == len(b) || bad {
		t.Errorf("session b, still live: %d of %d chunks acknowledged (bad %v); its last window needs the tail", ok, len(b), bad)
	}
	if len(sink.endsOf("b")) != 0 || stage.finishedOf("b") != 0 {
		t.Error("session b ended without a final chunk")
	}

	// The same id again: a new session, from its first chunk on.
	again := chunks(t, "a", 10, 50, func(i int, c *wire.Chunk) { c.Final = i == 9 })
	for i := range again {
		again[i].Origin += " (again)"
	}
	for _, m := range again[7:] {
		src.in <- m
	}
	waitFor(t, "the second session a's end", func() bool { return len(sink.endsOf("a")) == 2 })
	// Samples 350..500 arrive: the new session's first window lies wholly
	// after its first sample: window 4 [400, 600) cannot complete.
	// Counts are on the session's clocks: 10 chunks, 500 samples, 4
	// windows (0-3, written by the first session).
	want = endRow{window: 4, startSample: 500, reason: "final", chunks: 10, samples: 500, windows: 4, unfinished: 100}
	if got := sink.endsOf("a")[1]; got != want {
		t.Errorf("second session_end row %+v, want %+v", got, want)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Sessions() {
		if s.Session == "a" && s.Ended != "final" {
			t.Errorf("session a stats: Ended %q", s.Ended)
		}
	}
}

// TestSessionIdle: a session that stops sending ends after SessionIdle
// of wall time, with the same end as a final chunk.
func TestSessionIdle(t *testing.T) {
	src := newLiveSource()
	sink := newResultSink()
	stage := &testStage{name: "probe", failOn: -1}
	_, stop := startLive(t, pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{stage},
		Sinks: []pipeline.Sink{sink}, SessionIdle: 150 * time.Millisecond})
	msgs := chunks(t, "s", 5, 50, nil)
	t0 := time.Now()
	for _, m := range msgs {
		src.in <- m
	}
	waitFor(t, "the idle end", func() bool { return len(sink.endsOf("s")) == 1 })
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Errorf("session ended %v after its last chunk, before the idle timeout", d)
	}
	// 250 samples: window 0 [0, 200); window 1 [100, 300) cannot complete.
	if got := sink.endsOf("s")[0]; got.reason != "idle" || got.samples != 250 || got.windows != 1 || got.unfinished != 150 {
		t.Errorf("session_end row %+v", got)
	}
	waitFor(t, "every chunk acknowledged", func() bool { ok, _ := src.acked(msgs); return ok == len(msgs) })
	if stage.finishedOf("s") != 1 {
		t.Error("stage not finished")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestStageErrorDeadLetter: a stage failing on one window gives one
// stage_error dead letter naming the stage and window; the other stages'
// results of that window and every other window are written.
func TestStageErrorDeadLetter(t *testing.T) {
	src := newLiveSource()
	sink := newResultSink()
	dead := &memDead{}
	stage := &testStage{name: "probe", failOn: 3}
	r, stop := startLive(t, pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{stage, psdStage(t)},
		Sinks: []pipeline.Sink{sink}, DeadLetters: dead, SessionIdle: -1})
	msgs := chunks(t, "s", 10, 50, func(i int, c *wire.Chunk) { c.Final = i == 9 })
	for _, m := range msgs {
		src.in <- m
	}
	waitFor(t, "the session's end", func() bool { return len(sink.endsOf("s")) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if len(dead.letters) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead.letters))
	}
	d := dead.letters[0]
	// Window 3 is [300, 500): completed by chunk 9 (samples 450..500).
	if d.Reason != pipeline.ReasonStageError || d.Stage != "probe" || d.Window != 3 || d.Message.Origin != msgs[9].Origin {
		t.Errorf("dead letter %s stage %q window %d from %s: %v", d.Reason, d.Stage, d.Window, d.Message.Origin, d.Err)
	}
	if n := r.Stats().StageErrors.Load(); n != 1 {
		t.Errorf("%d stage errors counted", n)
	}
	var psd int
	for _, k := range sink.kinds["s"] {
		if k == arrowout.KindPSD {
			psd++
		}
	}
	if psd != 4 {
		t.Errorf("%d psd results, want all 4 windows", psd)
	}
	if ok, _ := src.acked(msgs); ok != len(msgs) {
		t.Errorf("%d of %d chunks acknowledged", ok, len(msgs))
	}
}

// TestSinkFailureStopsIdleSource: a sink failure ends Run promptly even
// though the source has nothing more to deliver, Failure reports it, and
// nothing behind the failure is acknowledged as done.
func TestSinkFailureStopsIdleSource(t *testing.T) {
	src := newLiveSource()
	sink := newResultSink()
	sink.fail = errors.New("broker gone")
	r, err := pipeline.New(pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{psdStage(t)},
		Sinks: []pipeline.Sink{sink}, Window: pipeline.WindowSpec{Length: 200, Hop: 100}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	msgs := chunks(t, "s", 6, 50, nil)
	for _, m := range msgs {
		src.in <- m
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, sink.fail) {
			t.Errorf("Run returned %v, want the sink's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5 s after its sink failed, with an idle source")
	}
	if !errors.Is(r.Failure(), sink.fail) {
		t.Errorf("Failure() = %v", r.Failure())
	}
	if _, bad := src.acked(msgs); !bad {
		t.Error("no message was refused")
	}
	if ok, _ := src.acked(msgs); ok != 0 {
		t.Errorf("%d messages acknowledged as done after the failure", ok)
	}
}

// TestHugeSampleIndex: a chunk whose samples reach past MaxSample is a
// dead letter with reason limit, and the run goes on and stops on time.
func TestHugeSampleIndex(t *testing.T) {
	src := newLiveSource()
	sink := newResultSink()
	dead := &memDead{}
	_, stop := startLive(t, pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{psdStage(t)},
		Sinks: []pipeline.Sink{sink}, DeadLetters: dead, SessionIdle: -1})
	// Each passes the decoder (first sample + rows fits in int64).
	for _, first := range []int64{math.MaxInt64 - 50, math.MaxInt64 - 1000, pipeline.MaxSample - 20} {
		m := chunks(t, fmt.Sprint("huge", first), 1, 50, func(_ int, c *wire.Chunk) { c.FirstSample = first })
		src.in <- m[0]
	}
	good := chunks(t, "ok", 6, 50, func(i int, c *wire.Chunk) { c.Final = i == 5 })
	for _, m := range good {
		src.in <- m
	}
	waitFor(t, "the good session's end", func() bool { return len(sink.endsOf("ok")) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if len(dead.letters) != 3 {
		t.Fatalf("%d dead letters, want 3", len(dead.letters))
	}
	for _, d := range dead.letters {
		if d.Reason != pipeline.ReasonLimit {
			t.Errorf("reason %s: %v", d.Reason, d.Err)
		}
	}
}

// asyncSink holds every WriteAsync's done until release is called, and
// can reject results.
type asyncSink struct {
	resultSink
	mu      sync.Mutex
	pending []func(error)
	reject  bool
}

func (s *asyncSink) WriteAsync(ctx context.Context, rs []arrowout.Result, done func(error)) error {
	if err := s.resultSink.Write(ctx, rs); err != nil {
		return err
	}
	s.mu.Lock()
	s.pending = append(s.pending, done)
	s.mu.Unlock()
	if s.reject {
		return &pipeline.RejectedError{Kind: arrowout.KindPSD, Size: 2 << 20, Limit: 1 << 20, Err: errors.New("too large")}
	}
	return nil
}

// complete calls the done of the n oldest writes not completed yet.
func (s *asyncSink) complete(n int, err error) int {
	s.mu.Lock()
	n = min(n, len(s.pending))
	ds := s.pending[:n]
	s.pending = s.pending[n:]
	s.mu.Unlock()
	for _, d := range ds {
		d(err)
	}
	return n
}

// TestAsyncSinkAcks: with an asynchronous sink, a chunk is acknowledged
// only once every result written before its acknowledgement is durable; a
// failed completion stops the run and nothing after it is acknowledged as
// done.
func TestAsyncSinkAcks(t *testing.T) {
	src := newLiveSource()
	sink := &asyncSink{resultSink: *newResultSink()}
	_, stop := startLive(t, pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{psdStage(t)},
		Sinks: []pipeline.Sink{sink}, SessionIdle: -1})
	msgs := chunks(t, "s", 10, 50, nil)
	for _, m := range msgs {
		src.in <- m
	}
	// 10 chunks: windows 0..3 complete with chunks 3, 5, 7, 9.
	waitFor(t, "4 writes", func() bool { sink.mu.Lock(); defer sink.mu.Unlock(); return len(sink.pending) == 4 })
	if ok, bad := src.acked(msgs); ok != 0 || bad {
		t.Fatalf("%d chunks acknowledged (bad %v) before any write was durable", ok, bad)
	}
	// Window 0 [0, 200) durable: chunks needed by window 1 [100, 300) on
	// stay; chunks 0 and 1 (samples 0-100) may go.
	sink.complete(1, nil)
	waitFor(t, "chunks 0-1", func() bool { ok, _ := src.acked(msgs); return ok == 2 })
	sink.complete(2, nil)
	waitFor(t, "chunks 0-5", func() bool { ok, _ := src.acked(msgs); return ok == 6 })
	// The last write fails: the run stops; chunks 6.. are never done.
	sink.complete(1, errors.New("broker gone"))
	err := stop()
	if err == nil || !strings.Contains(err.Error(), "broker gone") {
		t.Errorf("Run returned %v, want the failed write's error", err)
	}
	if ok, _ := src.acked(msgs); ok != 6 {
		t.Errorf("%d chunks acknowledged as done, want 6", ok)
	}
}

// TestRejectedResult: a result a sink can never write becomes a dead
// letter with reason result_rejected, and the run goes on.
func TestRejectedResult(t *testing.T) {
	src := newLiveSource()
	sink := &asyncSink{resultSink: *newResultSink(), reject: true}
	dead := &memDead{}
	_, stop := startLive(t, pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{psdStage(t)},
		Sinks: []pipeline.Sink{sink}, DeadLetters: dead, SessionIdle: -1})
	msgs := chunks(t, "s", 6, 50, func(i int, c *wire.Chunk) { c.Final = i == 5 })
	for _, m := range msgs {
		src.in <- m
	}
	waitFor(t, "the session end", func() bool { return len(sink.endsOf("s")) == 1 })
	for sink.complete(100, nil) > 0 {
	}
	waitFor(t, "every chunk acknowledged", func() bool { ok, _ := src.acked(msgs); return ok == len(msgs) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	dead.mu.Lock()
	defer dead.mu.Unlock()
	if len(dead.letters) != 3 { // windows 0, 1 and the session_end
		t.Fatalf("%d dead letters, want 3", len(dead.letters))
	}
	for _, d := range dead.letters {
		if d.Reason != pipeline.ReasonResultRejected || !strings.Contains(d.Err.Error(), "over the limit") {
			t.Errorf("dead letter %s: %v", d.Reason, d.Err)
		}
	}
}

// TestEmptyFinalChunk: a final chunk with no rows (the producer had no
// sample left to carry the mark) ends its session like any final chunk.
func TestEmptyFinalChunk(t *testing.T) {
	src := newLiveSource()
	sink := newResultSink()
	dead := &memDead{}
	_, stop := startLive(t, pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{psdStage(t)},
		Sinks: []pipeline.Sink{sink}, DeadLetters: dead, SessionIdle: -1})
	msgs := chunks(t, "s", 5, 50, nil)
	end := chunks(t, "s", 6, 50, func(i int, c *wire.Chunk) {
		if i == 5 {
			c.Final = true
			c.Data = [][]float32{{}, {}}
		}
	})[5]
	msgs = append(msgs, end)
	for _, m := range msgs {
		src.in <- m
	}
	waitFor(t, "the session's end", func() bool { return len(sink.endsOf("s")) == 1 })
	if got := sink.endsOf("s")[0]; got.reason != "final" || got.samples != 250 || got.chunks != 6 {
		t.Errorf("session_end %+v", got)
	}
	waitFor(t, "every chunk acknowledged", func() bool { ok, _ := src.acked(msgs); return ok == len(msgs) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if len(dead.letters) != 0 {
		t.Errorf("dead letters: %v", dead.letters[0].Err)
	}
}
