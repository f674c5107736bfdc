package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/simulate"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// tol is the relative tolerance between results of the same input.
const tol = 1e-12

// window is every test's analysis window: 2 s at 256 Hz, hop 1 s.
var window = pipeline.WindowSpec{Length: 512, Hop: 256}

func logger() *slog.Logger {
	if os.Getenv("NEUROSTREAM_KAFKA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// sims returns n simulated sessions ("<prefix>0", …) of the given length.
func sims(prefix string, n int, seconds float64) []pipeline.RecordingSpec {
	var specs []pipeline.RecordingSpec
	for i := range n {
		cfg := simulate.DefaultConfig()
		cfg.Seed = uint64(100 + i)
		cfg.Duration = seconds
		specs = append(specs, pipeline.RecordingSpec{
			Session: fmt.Sprintf("%s%d", prefix, i),
			Name:    fmt.Sprintf("sim %d", i),
			Open:    func() (formats.Recording, error) { return simulate.New(cfg) },
		})
	}
	return specs
}

// recSource returns the wire chunks of specs, 0.25 s each.
func recSource(specs []pipeline.RecordingSpec) *pipeline.RecordingSource {
	return pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: 0.25, Logger: logger()})
}

// chunkMessages reads every message of src.
func chunkMessages(t *testing.T, src pipeline.Source) []pipeline.Message {
	t.Helper()
	ctx := context.Background()
	if err := src.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	var out []pipeline.Message
	for {
		m, ack, err := src.Read(ctx)
		if errors.Is(err, pipeline.ErrEndOfInput) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ack(nil)
		out = append(out, m)
	}
}

func psdStage(t *testing.T) pipeline.StageBuilder {
	t.Helper()
	b, errs := stages.Build("psd", "", map[string]any{"nperseg": 128})
	if errs != nil {
		t.Fatal(errs)
	}
	return b
}

func newRunner(t *testing.T, src pipeline.Source, sink pipeline.Sink, dead pipeline.DeadLetterSink) *pipeline.Runner {
	t.Helper()
	r, err := pipeline.New(pipeline.Options{
		Source:       src,
		Stages:       []pipeline.StageBuilder{psdStage(t)},
		Sinks:        []pipeline.Sink{sink},
		DeadLetters:  dead,
		Window:       window,
		Workers:      2,
		DrainTimeout: 5 * time.Second,
		Logger:       logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// flat is one result in comparable form: its non-float cells as text and
// its float cells (psd lists flattened) as numbers, in row order.
type flat struct {
	text []string
	nums []float64
}

func flatten(rec arrow.Record) flat {
	var f flat
	for r := range int(rec.NumRows()) {
		for c := range int(rec.NumCols()) {
			switch a := rec.Column(c).(type) {
			case *array.String:
				f.text = append(f.text, a.Value(r))
			case *array.Int64:
				f.text = append(f.text, strconv.FormatInt(a.Value(r), 10))
			case *array.Timestamp:
				f.text = append(f.text, strconv.FormatInt(int64(a.Value(r)), 10))
			case *array.Float64:
				f.nums = append(f.nums, a.Value(r))
			case *array.List:
				start, end := a.ValueOffsets(r)
				vals := a.ListValues().(*array.Float64)
				f.text = append(f.text, strconv.FormatInt(end-start, 10))
				for i := start; i < end; i++ {
					f.nums = append(f.nums, vals.Value(int(i)))
				}
			default:
				f.text = append(f.text, fmt.Sprintf("unexpected column type %s", a.DataType()))
			}
		}
	}
	return f
}

// diff describes how a differs from b beyond tol, or returns "".
func (a flat) diff(b flat) string {
	if len(a.text) != len(b.text) || len(a.nums) != len(b.nums) {
		return fmt.Sprintf("shape %d/%d cells, want %d/%d", len(a.text), len(a.nums), len(b.text), len(b.nums))
	}
	for i := range a.text {
		if a.text[i] != b.text[i] {
			return fmt.Sprintf("cell %d = %q, want %q", i, a.text[i], b.text[i])
		}
	}
	for i := range a.nums {
		x, y := a.nums[i], b.nums[i]
		if math.Abs(x-y) > tol*math.Max(math.Abs(x), math.Abs(y)) {
			return fmt.Sprintf("value %d = %g, want %g", i, x, y)
		}
	}
	return ""
}

// collector is a pipeline.Sink keeping every result by idempotency key.
type collector struct {
	mu  sync.Mutex
	got map[string]flat
}

func (c *collector) Write(_ context.Context, rs []arrowout.Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got == nil {
		c.got = map[string]flat{}
	}
	for _, r := range rs {
		c.got[r.IdempotencyKey()] = flatten(r.Record)
	}
	return nil
}

func (c *collector) Close() error { return nil }

// reference runs specs through the file pipeline (RecordingSource) and
// returns every result by idempotency key.
func reference(t *testing.T, specs []pipeline.RecordingSpec) map[string]flat {
	t.Helper()
	c := &collector{}
	r := newRunner(t, recSource(specs), c, nil)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.got) == 0 {
		t.Fatal("reference run produced no results")
	}
	return c.got
}

// topics creates unique topics for one test: the input topic, the result
// topic prefix and the dead-letter topic.
type topics struct {
	broker  string
	conn    nskafka.Connection
	input   string
	prefix  string
	dead    string
	results []string
}

func newTopics(t *testing.T, partitions int) topics {
	t.Helper()
	b := kafkatest.Broker(t)
	tp := topics{broker: b, conn: nskafka.Connection{Brokers: []string{b}}}
	tp.input = kafkatest.Name(t, "chunks")
	tp.prefix = kafkatest.Name(t, "results") + "."
	tp.dead = kafkatest.Name(t, "dead")
	tp.results = nskafka.ResultTopics(tp.prefix, arrowout.KindPSD, arrowout.KindBandPower, arrowout.KindSessionEnd)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]string{tp.input, tp.dead}, tp.results...)
	if err := nskafka.EnsureTopics(ctx, tp.conn, all, partitions); err != nil {
		t.Fatal(err)
	}
	return tp
}

func (tp topics) chunkWriter(t *testing.T) *nskafka.ChunkWriter {
	t.Helper()
	cfg := nskafka.ChunkWriterConfig{Topic: tp.input}
	cfg.Brokers = []string{tp.broker}
	cfg.Logger = logger()
	w, err := nskafka.NewChunkWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (tp topics) source(t *testing.T, group string) *nskafka.Source {
	t.Helper()
	cfg := nskafka.SourceConfig{Topics: []string{tp.input}, GroupID: group, Logger: logger()}
	cfg.Brokers = []string{tp.broker}
	s, err := nskafka.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (tp topics) resultSink(t *testing.T) *nskafka.ResultSink {
	t.Helper()
	cfg := nskafka.ResultSinkConfig{TopicPrefix: tp.prefix}
	cfg.Brokers = []string{tp.broker}
	cfg.Logger = logger()
	s, err := nskafka.NewResultSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (tp topics) deadSink(t *testing.T) *nskafka.DeadLetterSink {
	t.Helper()
	cfg := nskafka.DeadLetterConfig{Topic: tp.dead}
	cfg.Brokers = []string{tp.broker}
	cfg.Logger = logger()
	s, err := nskafka.NewDeadLetterSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reader reads every partition of some topics from the first offset,
// without a consumer group.
type reader struct {
	ch      chan kafkago.Message
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	readers []*kafkago.Reader
}

func newReader(t *testing.T, broker string, topics ...string) *reader {
	t.Helper()
	return startReader(t, false, broker, topics...)
}

// startReader starts one reader per partition of topics. A patient one
// keeps reading through broker outages; otherwise a reader stops at its
// first error.
func startReader(t *testing.T, patient bool, broker string, topics ...string) *reader {
	t.Helper()
	conn, err := kafkago.Dial("tcp", broker)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := conn.ReadPartitions(topics...)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	wait := 50 * time.Millisecond
	if patient {
		wait = 100 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &reader{ch: make(chan kafkago.Message, 64), cancel: cancel}
	for _, p := range parts {
		kr := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers: []string{broker}, Topic: p.Topic, Partition: p.ID,
			MinBytes: 1, MaxBytes: 10 << 20, MaxWait: wait,
		})
		r.readers = append(r.readers, kr)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for {
				m, err := kr.FetchMessage(ctx)
				if ctx.Err() != nil || err != nil && !patient {
					return
				}
				if err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				select {
				case r.ch <- m:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	t.Cleanup(r.close)
	return r
}

// until hands each message to fn until fn returns true or the timeout.
func (r *reader) until(t *testing.T, timeout time.Duration, fn func(kafkago.Message) bool) {
	t.Helper()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	for {
		select {
		case m := <-r.ch:
			if fn(m) {
				return
			}
		case <-tm.C:
			t.Fatalf("timed out after %v", timeout)
		}
	}
}

// drain hands fn every message that arrives within quiet of the last.
func (r *reader) drain(quiet time.Duration, fn func(kafkago.Message)) {
	for {
		select {
		case m := <-r.ch:
			fn(m)
		case <-time.After(quiet):
			return
		}
	}
}

func (r *reader) close() {
	r.cancel()
	r.wg.Wait()
	for _, kr := range r.readers {
		kr.Close()
	}
}

func header(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// results keeps decoded result records from Kafka by idempotency key,
// every copy.
type results struct {
	t      *testing.T
	copies map[string][]flat
}

func newResults(t *testing.T) *results { return &results{t: t, copies: map[string][]flat{}} }

// add decodes a result record and checks its headers against its rows.
func (rs *results) add(m kafkago.Message) {
	t := rs.t
	t.Helper()
	rd, err := ipc.NewReader(bytes.NewReader(m.Value))
	if err != nil {
		t.Fatalf("%s/%d@%d: not an Arrow IPC stream: %v", m.Topic, m.Partition, m.Offset, err)
	}
	defer rd.Release()
	if !rd.Next() {
		t.Fatalf("%s/%d@%d: no record batch: %v", m.Topic, m.Partition, m.Offset, rd.Err())
	}
	rec := rd.Record()
	kind := header(m, nskafka.HeaderKind)
	sess := rec.Column(0).(*array.String).Value(0)
	win := rec.Column(1).(*array.Int64).Value(0)
	key := fmt.Sprintf("%s/%s/%d", sess, kind, win)
	if got := header(m, nskafka.HeaderIdempotencyKey); got != key {
		t.Errorf("%s/%d@%d: idempotency key %q, rows say %q", m.Topic, m.Partition, m.Offset, got, key)
	}
	if string(m.Key) != sess || header(m, nskafka.HeaderWindow) != strconv.FormatInt(win, 10) {
		t.Errorf("%s/%d@%d: key %q window header %q, rows say %s/%d", m.Topic, m.Partition, m.Offset, m.Key, header(m, nskafka.HeaderWindow), sess, win)
	}
	if md, _ := rec.Schema().Metadata().GetValue("neurostream.kind"); md != kind {
		t.Errorf("%s: schema kind %q, header %q", key, md, kind)
	}
	rs.copies[key] = append(rs.copies[key], flatten(rec))
}

// check compares the results with want: every key present, no other key,
// every copy equal to the reference.
func (rs *results) check(want map[string]flat) {
	t := rs.t
	t.Helper()
	bad := 0
	for k, ref := range want {
		cs := rs.copies[k]
		if len(cs) == 0 {
			t.Errorf("window %s missing", k)
			bad++
		}
		for i, c := range cs {
			if d := c.diff(ref); d != "" {
				t.Errorf("window %s copy %d: %s", k, i, d)
				bad++
			}
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
	for k := range rs.copies {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected window %s", k)
		}
	}
}

func (rs *results) complete(want map[string]flat) bool {
	for k := range want {
		if len(rs.copies[k]) == 0 {
			return false
		}
	}
	return true
}

func (rs *results) duplicates() int {
	n := 0
	for _, cs := range rs.copies {
		n += len(cs) - 1
	}
	return n
}

// run starts r in the background; stop cancels it and returns Run's
// error. A test that ends without calling stop stops it in cleanup.
func run(t *testing.T, r *pipeline.Runner) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(30 * time.Second):
				err = errors.New("pipeline did not stop within 30 s")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}
