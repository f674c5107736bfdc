package kafka_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestStateStore: Prepare creates a compacted topic; Load returns each
// session's newest checkpoint, nil for none or a deleted one, also from a
// store that reads the topic afresh; a checkpoint over a record's size is
// refused with ErrStateTooLarge; an existing topic that is not compacted
// fails Prepare.
func TestStateStore(t *testing.T) {
	broker := kafkatest.Broker(t)
	conn := nskafka.Connection{Brokers: []string{broker}}
	topic := kafkatest.Name(t, "state")
	deleteTopicsAfter(t, conn, topic)
	newStore := func(topic string) *nskafka.StateStore {
		cfg := nskafka.StateStoreConfig{Topic: topic}
		cfg.Brokers, cfg.Logger, cfg.TopicPartitions = []string{broker}, logger(), 3
		s, err := nskafka.NewStateStore(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := newStore(topic)
	if err := s.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := nskafka.DescribeTopics(ctx, conn, []string{topic}, "")
	if err != nil {
		t.Fatal(err)
	}
	if ds[0].Configs["cleanup.policy"] != "compact" || len(ds[0].Partitions) != 3 {
		t.Errorf("state topic configs %v, %d partitions: want compacted, 3", ds[0].Configs, len(ds[0].Partitions))
	}
	save := func(s *nskafka.StateStore, session string, state []byte) {
		t.Helper()
		done := make(chan error, 1)
		if err := s.Save(ctx, session, state, func(err error) { done <- err }); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]byte{}
	for round := range 3 {
		for i := range 20 {
			id := fmt.Sprintf("s%d", i)
			want[id] = []byte(fmt.Sprintf("%s round %d", id, round))
			save(s, id, want[id])
			if round == 0 {
				// Load between saves: the index grows from where it was.
				if got, err := s.Load(ctx, id); err != nil || !bytes.Equal(got, want[id]) {
					t.Fatalf("%s: Load %q, %v; want %q", id, got, err, want[id])
				}
			}
		}
	}
	save(s, "s3", nil)
	delete(want, "s3")
	fresh := newStore(topic)
	for _, st := range []*nskafka.StateStore{s, fresh} {
		for i := range 21 {
			id := fmt.Sprintf("s%d", i)
			got, err := st.Load(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want[id]) || (got == nil) != (want[id] == nil) {
				t.Errorf("%s: Load %q, want %q", id, got, want[id])
			}
		}
	}
	if err := s.Save(ctx, "big", make([]byte, 2<<20), func(error) { t.Error("done called for a refused save") }); !errors.Is(err, pipeline.ErrStateTooLarge) {
		t.Errorf("a 2 MiB checkpoint: %v, want ErrStateTooLarge", err)
	}
	for _, st := range []*nskafka.StateStore{s, fresh} {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}

	plain := kafkatest.Name(t, "plain")
	deleteTopicsAfter(t, conn, plain)
	if err := nskafka.EnsureTopics(ctx, conn, []string{plain}, 1); err != nil {
		t.Fatal(err)
	}
	p := newStore(plain)
	defer p.Close()
	if err := p.Prepare(ctx); err == nil || !strings.Contains(err.Error(), "must be compacted") {
		t.Errorf("Prepare on a topic with cleanup.policy delete: %v, want an error saying it must be compacted", err)
	}
}

// deleteTopicsAfter deletes topics when the test ends: the broker is
// shared.
func deleteTopicsAfter(t *testing.T, conn nskafka.Connection, topics ...string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cl, done := conn.NewClient()
		defer done()
		cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: topics})
	})
}

// ckptEnv is what a kill-test helper process is told.
type ckptEnv struct {
	Broker, Input, Prefix, Dead, Group string
}

// ckptConfig is configs/kafka.yaml (IIR bandpass and notch, psd, 5 s of
// warm-up, checkpoints) on the test's topics and group, without metrics.
func ckptConfig(t testing.TB, e ckptEnv) *config.Config {
	t.Helper()
	c, err := config.Load(os.DirFS("../../configs"), "kafka.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Preprocess) != 2 || !c.Source.Kafka.CheckpointsOn() {
		t.Fatalf("configs/kafka.yaml: preprocess %v, checkpoints %v: the test wants its IIR filters and checkpoints", c.Preprocess, c.Source.Kafka.CheckpointsOn())
	}
	c.Source.Kafka.Brokers, c.Source.Kafka.Topic, c.Source.Kafka.GroupID = []string{e.Broker}, e.Input, e.Group
	c.Output.Kafka.Brokers, c.Output.Kafka.TopicPrefix, c.Output.Kafka.DeadLetterTopic = []string{e.Broker}, e.Prefix, e.Dead
	c.Metrics.Listen = ""
	if os.Getenv("NEUROSTREAM_TEST_CHECKPOINTS_OFF") != "" {
		off := false // the same tests without checkpoints, to see them fail
		c.Source.Kafka.Checkpoints = &off
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// ckptPipeline builds c's pipeline with a source that notices a dead
// member sooner (the broker's least session timeout, 6 s).
func ckptPipeline(t testing.TB, c *config.Config) (*config.Built, *nskafka.Source) {
	t.Helper()
	b, err := c.Build(logger())
	if err != nil {
		t.Fatal(err)
	}
	k := c.Source.Kafka
	cfg := nskafka.SourceConfig{Topics: []string{k.Topic}, GroupID: k.GroupID, Logger: logger(),
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second}
	cfg.Brokers = k.Brokers
	src, err := nskafka.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.KafkaSource, b.Options.Source = src, src
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	return b, src
}

// ckptReference runs c's pipeline over specs from files (uninterrupted,
// no checkpoints) and returns each result's record bytes, as the Kafka
// result sink encodes them.
func ckptReference(t *testing.T, c *config.Config, specs []pipeline.RecordingSpec) map[string][]byte {
	t.Helper()
	b, err := c.Build(logger())
	if err != nil {
		t.Fatal(err)
	}
	col := &encoded{got: map[string][]byte{}}
	opt := b.Options
	opt.Source, opt.Sinks, opt.DeadLetters, opt.State = recSource(specs), []pipeline.Sink{col}, nil, nil
	r, err := pipeline.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return col.got
}

// encoded keeps each result as EncodeRecord bytes.
type encoded struct {
	mu  sync.Mutex
	got map[string][]byte
}

func (e *encoded) Write(_ context.Context, rs []arrowout.Result) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		b, err := nskafka.EncodeRecord(r.Record, memory.DefaultAllocator)
		if err != nil {
			return err
		}
		e.got[r.IdempotencyKey()] = b
	}
	return nil
}

func (e *encoded) Close() error { return nil }

// exact collects result records from Kafka and compares each copy,
// duplicates included, byte for byte with the reference's.
type exact struct {
	t      *testing.T
	want   map[string][]byte
	copies map[string]int
	bad    int
}

func (x *exact) add(m kafkago.Message) {
	key := header(m, nskafka.HeaderIdempotencyKey)
	ref, ok := x.want[key]
	switch {
	case !ok:
		x.t.Errorf("unexpected result %s", key)
		x.bad++
	case !bytes.Equal(m.Value, ref):
		x.t.Errorf("result %s copy %d (%s/%d@%d) differs from the uninterrupted run's", key, x.copies[key]+1, m.Topic, m.Partition, m.Offset)
		x.bad++
	}
	x.copies[key]++
	if x.bad > 10 {
		x.t.Fatal("too many bad results")
	}
}

func (x *exact) arrived() int { return len(x.copies) }

func (x *exact) duplicates() int {
	n := 0
	for _, c := range x.copies {
		n += c - 1
	}
	return n
}

// ckptTopics makes the test's topics, deleted when it ends, and returns
// them and the helper environment.
func ckptTopics(t *testing.T, partitions int) (topics, ckptEnv) {
	tp := newTopics(t, partitions)
	e := ckptEnv{Broker: tp.broker, Input: tp.input, Prefix: tp.prefix, Dead: tp.dead, Group: kafkatest.Name(t, "group")}
	deleteTopicsAfter(t, tp.conn, append([]string{tp.input, tp.dead, tp.prefix + "state"}, tp.results...)...)
	return tp, e
}

// TestCheckpointKill SIGKILLs a pipeline process running
// configs/kafka.yaml (IIR bandpass and notch: its windows depend on the
// whole signal before them) three times while it works through 4 sessions
// on 2 partitions, each time starting it again in the same group. Every
// window arrives, and every copy, duplicates included, is byte for byte
// the record of an uninterrupted run: the restarted process resumes each
// session from its checkpoint instead of warming up. (Without checkpoints,
// NEUROSTREAM_TEST_CHECKPOINTS_OFF=1, the duplicates differ.)
func TestCheckpointKill(t *testing.T) {
	kafkatest.RealBroker(t)
	tp, e := ckptTopics(t, 2)
	specs := sims("ckpt-kill-", 4, 60)
	want := ckptReference(t, ckptConfig(t, e), specs)
	w := tp.chunkWriter(t)
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// Live: a chunk of each session every 80 ms (about 3× real time), so the
	// process is killed in the middle of the sessions, after commits.
	msgs := chunkMessages(t, recSource(specs))
	published := make(chan error, 1)
	go func() {
		for i := 0; i < len(msgs); i += len(specs) {
			if err := w.Write(ctx, msgs[i:min(i+len(specs), len(msgs))]...); err != nil {
				published <- err
				return
			}
			time.Sleep(80 * time.Millisecond)
		}
		published <- nil
	}()
	env, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got := &exact{t: t, want: want, copies: map[string]int{}}
	rd := newReader(t, tp.broker, tp.results...)
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "NEUROSTREAM_TEST_CKPT="+string(env))
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &stderr
	}
	const kills = 3
	var commits int64
	for k := range kills + 1 {
		cmd, out := start()
		target := len(want) * (k + 1) / (kills + 1)
		if k == kills {
			target = len(want)
		}
		// Killed once its share of the results arrived and it committed.
		for deadline := time.Now().Add(90 * time.Second); ; {
			rd.drain(100*time.Millisecond, got.add)
			var sum int64
			for _, o := range committed(t, tp.broker, e.Group, tp.input, 2) {
				sum += o
			}
			if got.arrived() >= target && (sum > commits || k == kills) {
				commits = sum
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: %d of %d results after 90 s, commits at %d", k, got.arrived(), target, sum)
			}
		}
		if k == kills {
			rd.drain(2*time.Second, got.add)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if !strings.Contains(fmt.Sprint(err), "killed") {
			t.Fatalf("helper %d ended before the kill: %v\n%s", k, err, out)
		}
		t.Logf("run %d: SIGKILLed with %d of %d results arrived (%d duplicates so far), committed %v", k, got.arrived(), len(want), got.duplicates(), committed(t, tp.broker, e.Group, tp.input, 2))
	}
	for k := range want {
		if got.copies[k] == 0 {
			t.Errorf("result %s missing", k)
		}
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d results, %d duplicates, %d differ", len(want), got.duplicates(), got.bad)
	deadLetters(t, tp)
}

// deadLetters fails the test if the dead-letter topic holds anything.
func deadLetters(t *testing.T, tp topics) {
	t.Helper()
	rd := newReader(t, tp.broker, tp.dead)
	rd.drain(time.Second, func(m kafkago.Message) {
		t.Errorf("dead letter %s: %s", header(m, nskafka.HeaderReason), header(m, nskafka.HeaderError))
	})
}

// TestCheckpointKillHelper is the process TestCheckpointKill kills: it
// runs the pipeline until it is killed.
func TestCheckpointKillHelper(t *testing.T) {
	raw := os.Getenv("NEUROSTREAM_TEST_CKPT")
	if raw == "" {
		t.Skip("run by TestCheckpointKill")
	}
	var e ckptEnv
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatal(err)
	}
	b, _ := ckptPipeline(t, ckptConfig(t, e))
	r, err := pipeline.New(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if err := r.Run(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "helper run:", err)
		}
	}()
	time.Sleep(5 * time.Minute) // killed before
}

// TestCheckpointRebalance: with configs/kafka.yaml's IIR preprocessing,
// member B joins member A's group mid-stream and takes some partitions,
// whose sessions it resumes from A's checkpoints; later B leaves and A
// resumes them from B's. Every copy of every window, duplicates included,
// is byte for byte the uninterrupted run's.
func TestCheckpointRebalance(t *testing.T) {
	kafkatest.RealBroker(t)
	tp, e := ckptTopics(t, 4)
	specs := sims("ckpt-rebalance-", 6, 45)
	c := ckptConfig(t, e)
	want := ckptReference(t, c, specs)
	msgs := chunkMessages(t, recSource(specs))
	w := tp.chunkWriter(t)
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	publish := func(part int) {
		t.Helper()
		if err := w.Write(ctx, msgs[len(msgs)*part/3:len(msgs)*(part+1)/3]...); err != nil {
			t.Fatal(err)
		}
	}
	got := &exact{t: t, want: want, copies: map[string]int{}}
	rd := newReader(t, tp.broker, tp.results...)
	// Until every result of the published part is there (windows need
	// their chunks, so about a third, then two thirds of them).
	upTo := func(n int) {
		t.Helper()
		rd.until(t, 60*time.Second, func(m kafkago.Message) bool {
			got.add(m)
			return got.arrived() >= n
		})
	}

	bA, srcA := ckptPipeline(t, c)
	rA, err := pipeline.New(bA.Options)
	if err != nil {
		t.Fatal(err)
	}
	stopA := run(t, rA)
	publish(0)
	upTo(len(want) / 4)

	bB, srcB := ckptPipeline(t, c)
	rB, err := pipeline.New(bB.Options)
	if err != nil {
		t.Fatal(err)
	}
	stopB := run(t, rB)
	waitShared(t, srcA, srcB)
	publish(1)
	upTo(len(want) / 2)
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
	publish(2)
	upTo(len(want))
	rd.drain(time.Second, got.add)
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if got.copies[k] == 0 {
			t.Errorf("result %s missing", k)
		}
	}
	a, b := srcA.Stats(), srcB.Stats()
	if a.Generations < 3 || b.Generations < 1 {
		t.Errorf("member A took part in %d generations, B in %d: want A in 3 (alone, shared, alone again)", a.Generations, b.Generations)
	}
	t.Logf("%d results, %d duplicates, %d differ; generations: A %d, B %d", len(want), got.duplicates(), got.bad, a.Generations, b.Generations)
	deadLetters(t, tp)
}

// waitShared waits until both members are in one generation with
// partitions each.
func waitShared(t *testing.T, a, b *nskafka.Source) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		sa, sb := a.Stats(), b.Stats()
		if sa.Generation >= 0 && sa.Generation == sb.Generation && sa.Partitions > 0 && sb.Partitions > 0 {
			t.Logf("generation %d: member A has %d partitions, B %d", sa.Generation, sa.Partitions, sb.Partitions)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members did not share a generation within 30 s: A %+v, B %+v", sa, sb)
		}
	}
}
