package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// partSource is a partitioned source like Kafka's: messages carry a topic,
// partition and offset, and a run starts each partition at an offset (the
// commit of the run before). After crash() nothing it is told arrives: as
// in a killed process, acknowledgements are dropped. It is a Committer,
// committing at once what is acknowledged.
type partSource struct {
	msgs  []pipeline.Message // every message, in delivery order
	start map[int]int64      // first offset delivered, per partition
	limit int                // deliveries before it waits; -1: all
	crash *atomic.Bool

	mu        sync.Mutex
	next      int
	delivered int
	acks      map[[2]int64]error
}

func (s *partSource) Connect(context.Context) error { return nil }
func (s *partSource) Close(context.Context) error   { return nil }

func (s *partSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	s.mu.Lock()
	for s.next < len(s.msgs) && s.msgs[s.next].Offset < s.start[s.msgs[s.next].Partition] {
		s.next++
	}
	if s.next == len(s.msgs) || s.delivered == s.limit {
		s.mu.Unlock()
		<-ctx.Done()
		return pipeline.Message{}, nil, ctx.Err()
	}
	m := s.msgs[s.next]
	s.next++
	s.delivered++
	s.mu.Unlock()
	k := [2]int64{int64(m.Partition), m.Offset}
	return m, func(err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, done := s.acks[k]; done || s.crash.Load() {
			return
		}
		s.acks[k] = err
	}, nil
}

// Committed implements pipeline.Committer: the first offset of the
// partition not acknowledged without error.
func (s *partSource) Committed(_ string, partition int) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.committedLocked(partition), true
}

func (s *partSource) committedLocked(partition int) int64 {
	o := s.start[partition]
	for _, m := range s.msgs {
		if m.Partition != partition || m.Offset < o {
			continue
		}
		if err, ok := s.acks[[2]int64{int64(partition), m.Offset}]; !ok || err != nil {
			return m.Offset
		}
		o = m.Offset + 1
	}
	return o
}

// commits returns every partition's commit point.
func (s *partSource) commits(partitions int) map[int]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int64{}
	for p := range partitions {
		out[p] = s.committedLocked(p)
	}
	return out
}

// crashStore is a MemoryStateStore that, after the crash, takes nothing
// more: saves made then never complete.
type crashStore struct {
	*pipeline.MemoryStateStore
	crash *atomic.Bool
}

func (c crashStore) Save(ctx context.Context, session string, state []byte, done func(error)) error {
	if c.crash.Load() {
		return nil
	}
	return c.MemoryStateStore.Save(ctx, session, state, done)
}

// encodedSink keeps every result's Arrow IPC stream bytes, every copy,
// until the crash.
type encodedSink struct {
	crash  *atomic.Bool
	mu     sync.Mutex
	copies map[string][][]byte
	n      int
}

func newEncodedSink(crash *atomic.Bool) *encodedSink {
	return &encodedSink{crash: crash, copies: map[string][][]byte{}}
}

func (e *encodedSink) Write(_ context.Context, rs []arrowout.Result) error {
	if e.crash.Load() {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(r.Record.Schema()))
		if err := w.Write(r.Record); err != nil {
			return err
		}
		w.Close()
		e.copies[r.IdempotencyKey()] = append(e.copies[r.IdempotencyKey()], buf.Bytes())
		e.n++
	}
	return nil
}

func (e *encodedSink) Close() error { return nil }

func (e *encodedSink) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

// ckChannels are the sessions' channels: four EEG channels, and a stim
// channel with events.
func ckChannels(stim bool) []formats.Channel {
	ch := []formats.Channel{{Label: "C3", Type: formats.EEG, Unit: "V"}, {Label: "C4", Type: formats.EEG, Unit: "V"},
		{Label: "P3", Type: formats.EEG, Unit: "V"}, {Label: "P4", Type: formats.EEG, Unit: "V"}}
	if stim {
		ch = append(ch, formats.Channel{Label: "STI", Type: formats.Stim, Unit: "NA"})
	}
	return ch
}

const ckRate = 256

// ckSegment encodes samples [from, to) of a session as 0.25 s chunks,
// seq counting from 0, the last one final: noise with a 10 Hz rhythm and
// 50 Hz mains, 8 s bursts of ten times the amplitude every 20 s (which
// the seizure model calls ictal), and stim onsets every 1.7 s.
func ckSegment(t testing.TB, session string, seed uint64, from, to int64, stim bool) []pipeline.Message {
	t.Helper()
	enc := wire.NewEncoder(memory.DefaultAllocator)
	rng := rand.New(rand.NewPCG(seed, uint64(from)))
	chans := ckChannels(stim)
	var out []pipeline.Message
	for pos, seq := from, int64(0); pos < to; seq++ {
		rows := min(ckRate/4, to-pos)
		c := wire.Chunk{Session: session, SampleRate: ckRate, FirstSample: pos, Seq: seq, StartTimeNS: 1_700_000_000e9,
			Channels: chans, Data: make([][]float32, len(chans)), Final: pos+rows == to}
		for i := range chans {
			c.Data[i] = make([]float32, rows)
			for j := range rows {
				n := pos + int64(j)
				if chans[i].Type == formats.Stim {
					if k := n % 435; k < 3 && n > 0 {
						c.Data[i][j] = float32(1 + n/435%3)
					}
					continue
				}
				sec := float64(n) / ckRate
				amp := 1e-5
				if math.Mod(sec, 20) >= 5 && math.Mod(sec, 20) < 13 {
					amp = 1e-4
				}
				c.Data[i][j] = float32(amp*(rng.NormFloat64()+math.Sin(2*math.Pi*10*sec+float64(i))) + 3e-6*math.Sin(2*math.Pi*50*sec))
			}
		}
		b, err := enc.Encode(nil, &c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pipeline.Message{Key: session, Value: b, Topic: "eeg", Origin: fmt.Sprintf("%s chunk %d@%d", session, seq, pos)})
		pos += rows
	}
	return out
}

// ckMessages interleaves sessions chunk by chunk over two partitions and
// numbers each partition's offsets: four 40 s sessions, and s0 again (a
// new session under an ended one's id) from 50 s to 80 s after its end.
func ckMessages(t *testing.T, stim bool) []pipeline.Message {
	var streams [][]pipeline.Message
	for i := range 4 {
		streams = append(streams, ckSegment(t, fmt.Sprintf("s%d", i), uint64(i), 0, 40*ckRate, stim))
	}
	streams[0] = append(streams[0], ckSegment(t, "s0", 9, 50*ckRate, 80*ckRate, stim)...)
	var out []pipeline.Message
	offsets := map[int]int64{}
	for k := 0; ; k++ {
		n := 0
		for i, s := range streams {
			if k >= len(s) {
				continue
			}
			m := s[k]
			m.Partition = i % 2
			m.Offset = offsets[m.Partition]
			offsets[m.Partition]++
			m.Origin += fmt.Sprintf(" (eeg/%d@%d)", m.Partition, m.Offset)
			out = append(out, m)
			n++
		}
		if n == 0 {
			return out
		}
	}
}

// ckModel saves a seizure model over C3 and C4 that reads the log
// variance: probability near 1 in the bursts, near 0 between them.
func ckModel(t testing.TB) string {
	spec := seizure.FeatureConfig{SampleRate: ckRate, WindowLen: 2 * ckRate, Channels: 2, SegmentLen: 2 * ckRate}
	ex, err := seizure.NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	names := ex.Names()
	m := &seizure.Model{Features: spec, Names: names, Mean: make([]float64, len(names)), Std: make([]float64, len(names)), Weights: make([]float64, len(names))}
	for i, n := range names {
		m.Std[i] = 1
		if n == "ch0_log_variance" || n == "ch1_log_variance" {
			m.Weights[i], m.Mean[i] = 1, math.Log(1e-9)
		}
	}
	path := filepath.Join(t.TempDir(), "model.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// ckOptions is configs/kafka.yaml's pipeline (bandpass 0.5–45 Hz order 4,
// 50 Hz notch, psd, 2 s windows every 1 s, 5 s warm-up) plus the seizure
// stage, or with stim, event windows from 0.5 s before each onset.
func ckOptions(t testing.TB, model string, stim bool) pipeline.Options {
	var pre []pipeline.Preprocessor
	for _, c := range []struct {
		typ  string
		opts map[string]any
	}{{"filter", map[string]any{"kind": "bandpass", "order": 4, "edges": []any{0.5, 45}}}, {"notch", map[string]any{"freq": 50}}} {
		p, errs := stages.BuildPreprocess(c.typ, "", c.opts)
		if errs != nil {
			t.Fatal(errs)
		}
		pre = append(pre, p)
	}
	psd, errs := stages.Build("psd", "", map[string]any{"nperseg": 256, "fmax": 100})
	if errs != nil {
		t.Fatal(errs)
	}
	sz, errs := stages.Build("seizure", "", map[string]any{"model": model, "channels": []any{"C3", "C4"},
		"smoothing": 3, "min_duration_seconds": 3, "merge_gap_seconds": 4})
	if errs != nil {
		t.Fatal(errs)
	}
	opt := pipeline.Options{
		Preprocess: pre, Stages: []pipeline.StageBuilder{psd, sz},
		Window: pipeline.WindowSpec{LengthSeconds: 2, HopSeconds: 1}, Warmup: pipeline.WindowSpec{LengthSeconds: 5},
		Workers: 2, SessionIdle: -1, DrainTimeout: 5 * time.Second, Logger: quiet,
	}
	if stim {
		opt.Events = pipeline.EventWindows{StimChannel: "STI", OffsetSeconds: -0.5}
	}
	return opt
}

// runParts runs msgs through opt's pipeline, killed after each of cuts
// deliveries (counting re-reads), each run resuming from the commits of
// the one before, and the last run to the end; it returns every result
// copy the sinks got before each kill.
//
// A run is killed once its deliveries are made and no result arrived for
// settle; with settle 0 at once, in the middle of its work.
func runParts(t *testing.T, msgs []pipeline.Message, opt pipeline.Options, store *pipeline.MemoryStateStore, cuts []int, settle time.Duration) (got *encodedSink, loads map[string]float64) {
	t.Helper()
	start := map[int]int64{}
	var crash atomic.Bool
	sink := newEncodedSink(&crash)
	reg := prometheus.NewRegistry()
	opt.Metrics = pipeline.NewMetrics(reg)
	for i := 0; i <= len(cuts); i++ {
		crash.Store(false)
		src := &partSource{msgs: msgs, start: start, limit: -1, crash: &crash, acks: map[[2]int64]error{}}
		if i < len(cuts) {
			src.limit = cuts[i]
		}
		o := opt
		o.Source, o.Sinks = src, []pipeline.Sink{sink}
		if store != nil {
			o.State = crashStore{store, &crash}
		}
		r, err := pipeline.New(o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- r.Run(ctx) }()
		// Let the run settle (windows written, checkpoints taken on the
		// tick, acknowledgements released), or reach the end of its input.
		last, stable := -1, time.Now()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if settle == 0 && i < len(cuts) {
				src.mu.Lock()
				d := src.delivered
				src.mu.Unlock()
				if d == src.limit {
					break
				}
				continue
			}
			n := sink.count()
			if n != last {
				last, stable = n, time.Now()
			}
			commits := src.commits(2)
			if i == len(cuts) && commits[0] == partitionEnd(msgs, 0) && commits[1] == partitionEnd(msgs, 1) {
				if store == nil {
					break
				}
				if sessions, _ := store.Sessions(); sessions == 0 || time.Since(stable) > max(settle, 300*time.Millisecond) {
					break
				}
			}
			if i < len(cuts) && time.Since(stable) > settle {
				break
			}
		}
		crash.Store(true) // killed: nothing more reaches the sinks, store or commits
		cancel()
		if err := <-errc; err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if r.Stats().DeadLetters.Load() != 0 {
			t.Fatalf("run %d: %d dead letters from clean input", i, r.Stats().DeadLetters.Load())
		}
		start = src.commits(2)
		t.Logf("run %d: %d deliveries, commits %v", i, src.delivered, start)
	}
	return sink, counters(t, reg, "neurostream_checkpoint_loads_total")
}

// counters returns the values of a counter vector by its one label.
func counters(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] += m.GetCounter().GetValue()
		}
	}
	return out
}

func partitionEnd(msgs []pipeline.Message, p int) int64 {
	var end int64
	for _, m := range msgs {
		if m.Partition == p {
			end = m.Offset + 1
		}
	}
	return end
}

// compare checks every result copy of got against want byte for byte and
// that every window of want arrived; it returns how many copies differ.
func compare(t *testing.T, got *encodedSink, want map[string][]byte, report bool) (differ, duplicates int) {
	t.Helper()
	for k, ref := range want {
		cs := got.copies[k]
		if len(cs) == 0 {
			t.Errorf("result %s missing", k)
		}
		duplicates += max(len(cs)-1, 0)
		for i, c := range cs {
			if !bytes.Equal(c, ref) {
				differ++
				if report && differ <= 10 {
					j := 0
					for j < min(len(c), len(ref)) && c[j] == ref[j] {
						j++
					}
					t.Errorf("result %s copy %d of %d differs from the uninterrupted run's (%d/%d bytes, first at %d)", k, i+1, len(cs), len(c), len(ref), j)
				}
			}
		}
	}
	for k := range got.copies {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected result %s", k)
		}
	}
	return differ, duplicates
}

// TestCheckpointResume kills a pipeline with IIR preprocessing (as
// configs/kafka.yaml) and the seizure stage again and again, each run
// resuming from the last one's commits, and compares every result copy
// with an uninterrupted run's: with checkpoints every copy, duplicates
// included, is byte for byte the same, every window arrives, and the
// ended sessions' checkpoints are deleted at the end. Without a state store
// (the warm-up) the duplicates differ, which is what the checkpoints fix.
func TestCheckpointResume(t *testing.T) {
	defer goleak.VerifyNone(t)
	model := ckModel(t)
	for _, stim := range []bool{false, true} {
		name := "sliding"
		if stim {
			name = "events"
		}
		t.Run(name, func(t *testing.T) {
			msgs := ckMessages(t, stim)
			opt := ckOptions(t, model, stim)
			var never atomic.Bool
			want := newEncodedSink(&never)
			ref := opt
			ref.Source, ref.Sinks = &partSource{msgs: msgs, start: map[int]int64{}, limit: -1, crash: &never, acks: map[[2]int64]error{}}, []pipeline.Sink{want}
			refRun(t, ref, len(msgs))
			reference := map[string][]byte{}
			for k, cs := range want.copies {
				reference[k] = cs[0]
			}
			cuts := []int{37, 150, 151, 290, 420, 600}
			for _, c := range []struct {
				interval, settle time.Duration
			}{{time.Nanosecond, 50 * time.Millisecond}, {30 * time.Millisecond, 120 * time.Millisecond}, {10 * time.Millisecond, 0}} {
				t.Run(fmt.Sprintf("interval %v settle %v", c.interval, c.settle), func(t *testing.T) {
					o := opt
					o.CheckpointInterval = c.interval
					store := pipeline.NewMemoryStateStore()
					got, loads := runParts(t, msgs, o, store, cuts, c.settle)
					differ, dups := compare(t, got, reference, true)
					t.Logf("%d results, %d duplicates, %d differ; checkpoint loads %v; %d ended markers left", len(reference), dups, differ, loads, len(store.Checkpoints()))
					if c.settle > 0 && loads["restored"] < float64(len(cuts)) || loads["invalid"]+loads["stale"]+loads["error"] > 0 {
						t.Errorf("checkpoint loads %v: want a session restored after each of the %d kills, no other outcome", loads, len(cuts))
					}
					// A kill between the commit of a session's last chunk and
					// the deletion of its checkpoint leaves its ended marker.
					left := store.Checkpoints()
					for id, b := range left {
						if !pipeline.CheckpointEnded(b) {
							t.Errorf("session %s ended, but its checkpoint is left", id)
						}
					}
					if _, saves := store.Sessions(); len(left) >= 4 {
						t.Errorf("ended markers of %d of the 5 sessions left (%d saves): deleted none", len(left), saves)
					}
				})
			}
			t.Run("warm-up", func(t *testing.T) {
				o := opt
				o.CheckpointInterval = 30 * time.Millisecond
				got, _ := runParts(t, msgs, o, nil, cuts, 120*time.Millisecond)
				differ, dups := compare(t, got, reference, false)
				t.Logf("without checkpoints: %d duplicates, %d differ", dups, differ)
				if differ == 0 {
					t.Error("without checkpoints every duplicate is identical: the kills test nothing")
				}
			})
		})
	}
}

// refRun runs opt to the end of its n messages: until all are
// acknowledged.
func refRun(t testing.TB, opt pipeline.Options, n int) {
	t.Helper()
	r, err := pipeline.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	src := opt.Source.(*partSource)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		src.mu.Lock()
		acked := len(src.acks)
		src.mu.Unlock()
		if acked == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reference run: %d of %d messages acknowledged", acked, n)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if r.Stats().DeadLetters.Load() != 0 {
		t.Fatalf("reference run: %d dead letters", r.Stats().DeadLetters.Load())
	}
}

// smallStore refuses checkpoints over 100 bytes, as a store with a
// message size limit does.
type smallStore struct{ *pipeline.MemoryStateStore }

func (s smallStore) Save(ctx context.Context, session string, state []byte, done func(error)) error {
	if len(state) > 100 {
		return fmt.Errorf("%d bytes: %w", len(state), pipeline.ErrStateTooLarge)
	}
	return s.MemoryStateStore.Save(ctx, session, state, done)
}

// TestCheckpointTooLarge: checkpoints the store refuses for their size do
// not stop the run: the sessions go on without them, every message is
// acknowledged, every window written, and no checkpoint is left.
func TestCheckpointTooLarge(t *testing.T) {
	defer goleak.VerifyNone(t)
	msgs := ckMessages(t, false)
	opt := ckOptions(t, ckModel(t), false)
	var never atomic.Bool
	want := newEncodedSink(&never)
	ref := opt
	ref.Source, ref.Sinks = &partSource{msgs: msgs, start: map[int]int64{}, limit: -1, crash: &never, acks: map[[2]int64]error{}}, []pipeline.Sink{want}
	refRun(t, ref, len(msgs))

	store := pipeline.NewMemoryStateStore()
	got := newEncodedSink(&never)
	o := opt
	o.State, o.CheckpointInterval = smallStore{store}, time.Millisecond
	o.Source, o.Sinks = &partSource{msgs: msgs, start: map[int]int64{}, limit: -1, crash: &never, acks: map[[2]int64]error{}}, []pipeline.Sink{got}
	refRun(t, o, len(msgs))
	reference := map[string][]byte{}
	for k, cs := range want.copies {
		reference[k] = cs[0]
	}
	if differ, _ := compare(t, got, reference, true); differ != 0 {
		t.Errorf("%d results differ", differ)
	}
	if n, saves := store.Sessions(); n != 0 {
		t.Errorf("%d checkpoints left (%d saves)", n, saves)
	}
}

// BenchmarkCheckpoint measures what checkpoints cost the runtime: 64
// sessions of 19 channels at 256 Hz, 0.25 s chunks, through
// configs/kafka.yaml's pipeline (bandpass, notch, psd), without a state
// store, and with one in memory checkpointing each session every second
// (the default) or after every chunk.
func BenchmarkCheckpoint(b *testing.B) {
	chans := make([]formats.Channel, 19)
	for i := range chans {
		chans[i] = formats.Channel{Label: fmt.Sprintf("E%d", i), Type: formats.EEG, Unit: "V"}
	}
	enc := wire.NewEncoder(memory.DefaultAllocator)
	rng := rand.New(rand.NewPCG(1, 2))
	var msgs []pipeline.Message
	const sessions, seconds = 64, 20
	offsets := map[int]int64{}
	for k := range seconds * 4 {
		for i := range sessions {
			c := wire.Chunk{Session: fmt.Sprintf("b%d", i), SampleRate: ckRate, FirstSample: int64(k) * ckRate / 4, Seq: int64(k),
				Channels: chans, Data: make([][]float32, len(chans)), Final: k == seconds*4-1}
			for j := range c.Data {
				c.Data[j] = make([]float32, ckRate/4)
				for n := range c.Data[j] {
					c.Data[j][n] = float32(1e-5 * rng.NormFloat64())
				}
			}
			v, err := enc.Encode(nil, &c)
			if err != nil {
				b.Fatal(err)
			}
			p := i % 4
			msgs = append(msgs, pipeline.Message{Key: c.Session, Value: v, Topic: "eeg", Partition: p, Offset: offsets[p]})
			offsets[p]++
		}
	}
	opt := ckOptions(b, ckModel(b), false)
	opt.Stages = opt.Stages[:1] // psd
	for _, c := range []struct {
		name     string
		state    bool
		interval time.Duration
	}{{"off", false, 0}, {"every 1s", true, time.Second}, {"every chunk", true, time.Nanosecond}} {
		b.Run(c.name, func(b *testing.B) {
			var never atomic.Bool
			cpu0 := cpuTime()
			for range b.N {
				o := opt
				o.Source = &partSource{msgs: msgs, start: map[int]int64{}, limit: -1, crash: &never, acks: map[[2]int64]error{}}
				o.Sinks = []pipeline.Sink{discard{}}
				if c.state {
					o.State, o.CheckpointInterval = pipeline.NewMemoryStateStore(), c.interval
				}
				refRun(b, o, len(msgs))
			}
			// CPU time, which other processes on the machine disturb less
			// than wall time.
			b.ReportMetric(float64(cpuTime()-cpu0)/1e3/float64(len(msgs)*b.N), "cpu-µs/chunk")
			b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "chunks/s")
		})
	}
}

type discard struct{}

func (discard) Write(context.Context, []arrowout.Result) error { return nil }
func (discard) Close() error                                   { return nil }

// cpuTime is the process's user and system time so far, in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
