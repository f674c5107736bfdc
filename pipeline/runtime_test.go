package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

// memSink keeps band powers by session/window/channel/band.
type memSink struct {
	mu     sync.Mutex
	power  map[string]float64
	order  map[string][]int64 // windows per session, in arrival order
	fail   error
	closed bool
}

func newMemSink() *memSink {
	return &memSink{power: map[string]float64{}, order: map[string][]int64{}}
}

func (m *memSink) Write(_ context.Context, rs []arrowout.Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	for _, r := range rs {
		if r.Kind != arrowout.KindBandPower {
			continue
		}
		ch := r.Record.Column(4).(*array.String)
		band := r.Record.Column(6).(*array.String)
		p := r.Record.Column(9).(*array.Float64)
		for i := range int(r.Record.NumRows()) {
			m.power[fmt.Sprintf("%s/%d/%s/%s", r.Key.Session, r.Key.Window, ch.Value(i), band.Value(i))] = p.Value(i)
		}
		m.order[r.Key.Session] = append(m.order[r.Key.Session], r.Key.Window)
	}
	return nil
}

func (m *memSink) Close() error { m.closed = true; return nil }

type memDead struct {
	mu      sync.Mutex
	letters []pipeline.DeadLetter
}

func (d *memDead) DeadLetter(_ context.Context, dl pipeline.DeadLetter) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.letters = append(d.letters, dl)
	return nil
}
func (d *memDead) Close() error { return nil }

func sims(t *testing.T, n int, seconds float64) []pipeline.RecordingSpec {
	t.Helper()
	var specs []pipeline.RecordingSpec
	for i := range n {
		cfg := simulate.DefaultConfig()
		cfg.Seed = uint64(10 + i)
		cfg.Duration = seconds
		specs = append(specs, pipeline.RecordingSpec{
			Session: fmt.Sprintf("s%d", i),
			Name:    fmt.Sprintf("sim %d", i),
			Open:    func() (formats.Recording, error) { return simulate.New(cfg) },
		})
	}
	return specs
}

func psdStage(t *testing.T) pipeline.StageBuilder {
	t.Helper()
	b, errs := stages.Build("psd", "", map[string]any{"n_per_seg": 128})
	if errs != nil {
		t.Fatal(errs)
	}
	return b
}

func run(t *testing.T, src pipeline.Source, workers int, sink pipeline.Sink, dead pipeline.DeadLetterSink) *pipeline.Runner {
	t.Helper()
	r, err := pipeline.New(pipeline.Options{
		Source:      src,
		Stages:      []pipeline.StageBuilder{psdStage(t)},
		Sinks:       []pipeline.Sink{sink},
		DeadLetters: dead,
		Window:      pipeline.WindowSpec{Length: 512, Hop: 200},
		Workers:     workers,
		Logger:      quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestChunkingInvariance: windows and values do not depend on how the
// stream is cut into chunks, nor on the number of workers.
func TestChunkingInvariance(t *testing.T) {
	const tol = 1e-12
	var ref *memSink
	for _, tc := range []struct {
		chunk   float64
		workers int
	}{{0.25, 1}, {0.1, 3}, {1.37, 2}, {3.9, 1}} {
		sink := newMemSink()
		src := pipeline.NewRecordingSource(sims(t, 3, 20), pipeline.RecordingSourceConfig{ChunkSeconds: tc.chunk})
		r := run(t, src, tc.workers, sink, nil)
		// 20 s at 256 Hz = 5120 samples: windows k = 0…23 (k·200+512 ≤ 5120).
		for _, s := range r.Sessions() {
			if s.Windows != 24 {
				t.Errorf("chunk %v: session %s has %d windows, want 24", tc.chunk, s.Session, s.Windows)
			}
		}
		for sess, w := range sink.order {
			if !slices.IsSorted(w) {
				t.Errorf("chunk %v: session %s windows out of order: %v", tc.chunk, sess, w)
			}
		}
		if ref == nil {
			ref = sink
			if len(ref.power) != 3*24*19*5 {
				t.Fatalf("%d band-power rows, want %d", len(ref.power), 3*24*19*5)
			}
			continue
		}
		if len(sink.power) != len(ref.power) {
			t.Fatalf("chunk %v: %d rows, reference %d", tc.chunk, len(sink.power), len(ref.power))
		}
		for k, v := range ref.power {
			if got := sink.power[k]; math.Abs(got-v) > tol*math.Abs(v) {
				t.Errorf("chunk %v: %s = %g, reference %g", tc.chunk, k, got, v)
			}
		}
	}
}

// chunkSource replays prepared messages and records acknowledgements.
type chunkSource struct {
	msgs []pipeline.Message
	next int
	mu   sync.Mutex
	acks map[int][]error
}

func (s *chunkSource) Connect(context.Context) error { s.acks = map[int][]error{}; return nil }
func (s *chunkSource) Close(context.Context) error   { return nil }
func (s *chunkSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	if s.next == len(s.msgs) {
		return pipeline.Message{}, nil, pipeline.ErrEndOfInput
	}
	i := s.next
	s.next++
	return s.msgs[i], func(err error) {
		s.mu.Lock()
		s.acks[i] = append(s.acks[i], err)
		s.mu.Unlock()
	}, nil
}

// chunks encodes n chunks of rows samples of a 2-channel session.
func chunks(t *testing.T, session string, n, rows int, edit func(i int, c *wire.Chunk)) []pipeline.Message {
	t.Helper()
	enc := wire.NewEncoder(memory.DefaultAllocator)
	var out []pipeline.Message
	for i := range n {
		c := wire.Chunk{
			Session: session, SampleRate: 100, FirstSample: int64(i * rows), Seq: int64(i),
			Channels: []formats.Channel{{Label: "C3", Type: formats.EEG, Unit: "V"}, {Label: "C4", Type: formats.EEG, Unit: "V"}},
			Data:     [][]float32{make([]float32, rows), make([]float32, rows)},
		}
		for j := range rows {
			x := float64(c.FirstSample + int64(j))
			c.Data[0][j] = float32(1e-5 * math.Sin(2*math.Pi*10*x/100))
			c.Data[1][j] = float32(1e-5 * math.Cos(2*math.Pi*7*x/100))
		}
		if edit != nil {
			edit(i, &c)
		}
		b, err := enc.Encode(nil, &c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pipeline.Message{Key: session, Value: b, Origin: fmt.Sprintf("test %s chunk %d", session, i)})
	}
	return out
}

func runChunks(t *testing.T, msgs []pipeline.Message, sink pipeline.Sink) (*chunkSource, *memDead, *pipeline.Runner, error) {
	t.Helper()
	src := &chunkSource{msgs: msgs}
	dead := &memDead{}
	r, err := pipeline.New(pipeline.Options{
		Source:      src,
		Stages:      []pipeline.StageBuilder{psdStage(t)},
		Sinks:       []pipeline.Sink{sink},
		DeadLetters: dead,
		Window:      pipeline.WindowSpec{Length: 200, Hop: 100},
		Logger:      quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	return src, dead, r, r.Run(context.Background())
}

// TestBadInputDeadLetters: corrupt bytes, a wrong channel set, NaN, a
// duplicate and a gap are each reported with their reason, and the run
// processes everything else.
func TestBadInputDeadLetters(t *testing.T) {
	msgs := chunks(t, "s", 12, 50, func(i int, c *wire.Chunk) {
		switch i {
		case 3:
			c.Data[1][7] = float32(math.NaN())
		case 5:
			c.Channels = []formats.Channel{{Label: "C3", Type: formats.EEG, Unit: "V"}, {Label: "Cz", Type: formats.EEG, Unit: "V"}}
		}
	})
	msgs[1].Value = []byte("not an arrow stream")
	dup := msgs[6]
	msgs = append(msgs[:7], append([]pipeline.Message{dup}, msgs[7:]...)...)
	msgs = append(msgs[:9], msgs[10:]...) // chunk 8 never arrives
	// msgs: 0 ok, 1 corrupt, 2 gap, 3 NaN, 4 gap, 5 channels, 6 gap, dup 6, 7 ok, 9 gap, 10, 11.
	src, dead, r, err := runChunks(t, msgs, newMemSink())
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, d := range dead.letters {
		reasons = append(reasons, d.Reason)
	}
	want := []string{"decode", "gap", "non_finite", "gap", "channel_set", "gap", "duplicate", "gap"}
	if !slices.Equal(reasons, want) {
		t.Errorf("dead-letter reasons %v, want %v", reasons, want)
		for _, d := range dead.letters {
			t.Log(d.Err)
		}
	}
	for i := range msgs {
		a := src.acks[i]
		if len(a) != 1 || a[0] != nil {
			t.Errorf("message %d acknowledged %v, want once with nil", i, a)
		}
	}
	if g := r.Stats().Gaps.Load(); g != 4 {
		t.Errorf("%d gaps, want 4", g)
	}
}

// TestSinkFailureNotAcked: when the sink fails, the run stops with the
// error and the messages behind the failed write are not acknowledged as
// done, so a committing source re-reads them.
func TestSinkFailureNotAcked(t *testing.T) {
	sink := newMemSink()
	sink.fail = errors.New("disk full")
	src, _, _, err := runChunks(t, chunks(t, "s", 10, 50, nil), sink)
	if err == nil || !errors.Is(err, sink.fail) {
		t.Fatalf("run error %v, want the sink's", err)
	}
	for i, a := range src.acks {
		for _, e := range a {
			if e == nil {
				t.Errorf("message %d acknowledged as done after a sink failure", i)
			}
		}
	}
}

// TestAckOrder: a message is acknowledged only after every window that
// needs its samples went to the sink.
func TestAckOrder(t *testing.T) {
	sink := &orderSink{}
	src := &chunkSource{msgs: chunks(t, "s", 9, 50, nil)}
	sink.src = src
	r, err := pipeline.New(pipeline.Options{
		Source: src, Stages: []pipeline.StageBuilder{psdStage(t)}, Sinks: []pipeline.Sink{sink},
		Window: pipeline.WindowSpec{Length: 200, Hop: 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sink.err != nil {
		t.Fatal(sink.err)
	}
}

// orderSink checks, at each write, that no message holding samples of the
// windows being written was acknowledged yet.
type orderSink struct {
	src *chunkSource
	err error
}

func (o *orderSink) Write(_ context.Context, rs []arrowout.Result) error {
	o.src.mu.Lock()
	defer o.src.mu.Unlock()
	for _, r := range rs {
		start := r.Key.StartSample
		for i := range o.src.msgs {
			first, last := int64(i*50), int64(i*50+50)
			if last > start && len(o.src.acks[i]) > 0 && o.err == nil {
				o.err = fmt.Errorf("message %d (samples %d-%d) acknowledged before window %d (from %d) was written", i, first, last, r.Key.Window, start)
			}
		}
	}
	return nil
}
func (o *orderSink) Close() error { return nil }

// TestDrainOnCancel: cancelling mid-stream stops reading, finishes what
// is queued and leaves no goroutine behind (goleak in TestMain).
func TestDrainOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := pipeline.NewRecordingSource(sims(t, 2, 600), pipeline.RecordingSourceConfig{ChunkSeconds: 0.25, Pace: 50})
	sink := newMemSink()
	r, err := pipeline.New(pipeline.Options{
		Source: src, Stages: []pipeline.StageBuilder{psdStage(t)}, Sinks: []pipeline.Sink{sink},
		Window: pipeline.WindowSpec{Length: 256, Hop: 256}, Workers: 2, DrainTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Cancel once windows flow (a fixed delay found none yet on a loaded
	// machine under -race): the 50× replay of 2 × 600 s has minutes to go.
	go func() {
		for r.Stats().Windows.Load() == 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	time.AfterFunc(time.Minute, cancel)
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !sink.closed {
		t.Error("sink not closed")
	}
	if n := r.Stats().Windows.Load(); n == 0 || n >= 2*600 {
		t.Errorf("%d windows after a cancel of a 50× replay of 2 × 600 windows, want some and not all", n)
	}
}

// TestRestartAndEpoch: a session re-read from a mid-stream chunk (a
// restart) or re-delivered under a new epoch (a rebalance) emits only
// windows it can compute in full after its warm-up, each equal to the
// uninterrupted run's, and no dead letters.
func TestRestartAndEpoch(t *testing.T) {
	const tol = 0 // same samples, same plan: bitwise equal
	all := chunks(t, "s", 20, 50, nil)
	opts := func(src pipeline.Source, sink pipeline.Sink, dead pipeline.DeadLetterSink) pipeline.Options {
		return pipeline.Options{
			Source: src, Stages: []pipeline.StageBuilder{psdStage(t)}, Sinks: []pipeline.Sink{sink},
			DeadLetters: dead, Window: pipeline.WindowSpec{Length: 200, Hop: 100},
			Warmup: pipeline.WindowSpec{Length: 120}, Logger: quiet,
		}
	}
	ref := newMemSink()
	r, _ := pipeline.New(opts(&chunkSource{msgs: all}, ref, nil))
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Restart from chunk 7 (sample 350): the first window may start at
	// 350+120 = 470, i.e. window 5.
	restarted := newMemSink()
	r, _ = pipeline.New(opts(&chunkSource{msgs: all[7:]}, restarted, nil))
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := restarted.order["s"]; len(w) == 0 || w[0] != 5 || w[len(w)-1] != ref.order["s"][len(ref.order["s"])-1] {
		t.Errorf("restarted windows %v", w)
	}
	// Rebalance: chunks 0-9 under epoch 1, then 4-19 again under epoch 2.
	var msgs []pipeline.Message
	for _, m := range all[:10] {
		m.Epoch = 1
		msgs = append(msgs, m)
	}
	for _, m := range all[4:] {
		m.Epoch = 2
		msgs = append(msgs, m)
	}
	rebal := newMemSink()
	dead := &memDead{}
	r, _ = pipeline.New(opts(&chunkSource{msgs: msgs}, rebal, dead))
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(dead.letters) != 0 {
		t.Errorf("%d dead letters after a new epoch: %v", len(dead.letters), dead.letters[0].Err)
	}
	for _, sink := range []*memSink{restarted, rebal} {
		for k, v := range sink.power {
			if want, ok := ref.power[k]; !ok || math.Abs(v-want) > tol {
				t.Errorf("%s = %g, uninterrupted run %g (present %v)", k, v, want, ok)
			}
		}
	}
	// Every window of the uninterrupted run arrived in the rebalanced run.
	for k := range ref.power {
		if _, ok := rebal.power[k]; !ok {
			t.Errorf("window row %s lost in the rebalance", k)
		}
	}
}
