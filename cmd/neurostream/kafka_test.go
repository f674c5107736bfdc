package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkabench"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/simulate"
)

// TestKafkaCLI runs the Kafka commands against the real broker: replay,
// a pipeline process killed and restarted, three pipeline processes of
// one group with one killed, and the two Kafka benchmarks (for their
// flags and output, not their figures). The crash and rebalance cases share one
// binary built at the start; each spends about 10 s waiting for the
// broker to expire the killed member (the default session timeout).
func TestKafkaCLI(t *testing.T) {
	broker := kafkatest.RealBroker(t)
	bin := sync.OnceValue(func() string { return ktBuild(t) })
	t.Run("replay", func(t *testing.T) { testReplay(t, broker) })
	t.Run("crash", func(t *testing.T) { testCrash(t, broker, bin()) })
	t.Run("rebalance", func(t *testing.T) { testRebalance3(t, broker, bin()) })
	t.Run("bench", func(t *testing.T) { testKafkaBench(t, broker) })
	t.Run("seizure-monitor", func(t *testing.T) { testSeizureMonitor(t, broker, bin()) })
}

// testSeizureMonitor runs configs/seizure-monitor.yaml (its topics, group
// and model path pointed at this test's) as a process against the broker,
// replays a simulated recording with a seizure at 60–100 s, and waits for
// the seizure event row on the result topic.
func testSeizureMonitor(t *testing.T, broker, bin string) {
	y, err := os.ReadFile("../../configs/seizure-monitor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	model, _ := filepath.Abs("../../configs/models/seizure-sim.json")
	input, prefix, group := kafkatest.Name(t, "raw"), kafkatest.Name(t, "results")+".", kafkatest.Name(t, "group")
	cfg := strings.NewReplacer(
		"127.0.0.1:9092", broker,
		"topic: neurostream.raw", "topic: "+input,
		"group_id: seizure-monitor", "group_id: "+group,
		"topic_prefix: neurostream.", "topic_prefix: "+prefix,
		"configs/models/seizure-sim.json", model,
		"listen: 127.0.0.1:9465", `listen: ""`,
	).Replace(string(y))
	topic := pkafka.ResultTopics(prefix, arrowout.KindSeizure)[0]
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := pkafka.EnsureTopics(ctx, pkafka.Connection{Brokers: []string{broker}}, []string{input, topic}, 2); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "pipeline.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	simCfg := simulate.DefaultConfig()
	simCfg.Seed, simCfg.Duration = 21, 180
	simCfg.Seizures.Enabled, simCfg.Seizures.Events = true, []simulate.SeizureEvent{{Onset: 60, Duration: 40}}
	sim, err := simulate.New(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "patient.edf")
	if err := writeEDF(rec, sim, "test", "seizure monitor"); err != nil {
		t.Fatal(err)
	}
	sim.Close()
	results := ktRead(t, broker, topic)
	p := ktStart(t, bin, path, "seizure-monitor")
	if err := ktReplay(t, broker, input, 2, 0, []string{rec})(); err != nil {
		t.Fatal(err)
	}
	var onset, offset float64
	waitFor(t, 90*time.Second, "a seizure event row", func() bool {
		for _, m := range results.snapshot() {
			rd, err := ipc.NewReader(bytes.NewReader(m.Value))
			if err != nil {
				t.Fatal(err)
			}
			for rd.Next() {
				r := rd.Record()
				rt := r.Column(4).(*array.String)
				for i := range int(r.NumRows()) {
					if rt.Value(i) == arrowout.SeizureRowEvent {
						onset, offset = r.Column(8).(*array.Float64).Value(i), r.Column(9).(*array.Float64).Value(i)
					}
				}
			}
			rd.Release()
		}
		return offset > 0
	})
	p.stop(t)
	t.Logf("seizure event on Kafka: [%g, %g) s (true seizure [60, 100) s)", onset, offset)
	if onset > 80 || offset < 80 {
		t.Errorf("event [%g, %g) s does not cover the seizure's middle (80 s)", onset, offset)
	}
}

// ktCLI runs the Kafka commands in-process (the lead registers them under
// the real root; here they hang off a root of their own).
func ktCLI(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	ktQuietLog()
	root := &cobra.Command{Use: "neurostream", SilenceUsage: true, SilenceErrors: true}
	bench := &cobra.Command{Use: "bench"}
	bench.AddCommand(newBenchKafkaCmd(kafkabench.Latency), newBenchKafkaCmd(kafkabench.Throughput))
	root.AddCommand(newReplayCmd(), bench)
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

// ktQuietLog logs warnings and errors only, as the real root does
// without -v, to the test's stderr.
var ktQuietLog = sync.OnceFunc(func() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
})

// ktBuild builds the neurostream binary into a temporary folder.
func ktBuild(t *testing.T) string {
	dir, err := os.MkdirTemp("", "neurostream-kafka-test-")
	if err != nil {
		t.Fatal(err)
	}
	// The parent test's cleanup outlives every subtest.
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "neurostream")
	t0 := time.Now()
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %.1fs", bin, time.Since(t0).Seconds())
	return bin
}

// ktSim writes a simulated 19-channel EDF+ recording of the given length.
func ktSim(t *testing.T, path string, seed uint64, seconds float64, seizureAt float64) {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed = seed
	cfg.Duration = seconds
	cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if seizureAt > 0 {
		cfg.Seizures.Enabled = true
		cfg.Seizures.Events = []simulate.SeizureEvent{{Onset: seizureAt, Duration: 1}}
	}
	sim, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := writeEDF(path, sim, "test", fmt.Sprintf("kafka test seed %d", seed)); err != nil {
		t.Fatal(err)
	}
}

// ktTopic collects every record of some topics (all partitions, from the
// start) in the background.
type ktTopic struct {
	mu   sync.Mutex
	msgs []kafkago.Message
	rc   *kafkabench.Consumer
}

func ktRead(t *testing.T, broker string, topics ...string) *ktTopic {
	t.Helper()
	kt := &ktTopic{}
	rc, err := kafkabench.StartConsumer(pkafka.Connection{Brokers: []string{broker}}, topics, func(m *kafkago.Message, _ time.Time) {
		kt.mu.Lock()
		kt.msgs = append(kt.msgs, *m)
		kt.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	kt.rc = rc
	t.Cleanup(rc.Close)
	return kt
}

func (kt *ktTopic) snapshot() []kafkago.Message {
	kt.mu.Lock()
	defer kt.mu.Unlock()
	return slices.Clone(kt.msgs)
}

func (kt *ktTopic) len() int {
	kt.mu.Lock()
	defer kt.mu.Unlock()
	return len(kt.msgs)
}

// waitFor polls cond every 20 ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testReplay runs the replay command: its flags reach the replay (topics,
// partitions, chunk length, pace), its progress on a non-terminal is one
// line per file on stderr and its summary one line on stdout. The
// replay itself is tested in pipeline/replay.
func testReplay(t *testing.T, broker string) {
	dir := t.TempDir()
	// Two files of the same name: sessions "s" and "s-2".
	ktSim(t, filepath.Join(dir, "a", "s.edf"), 1, 8, 3)
	ktSim(t, filepath.Join(dir, "b", "s.edf"), 2, 8, 5)
	topic, events := kafkatest.Name(t, "raw"), kafkatest.Name(t, "events")

	out, stderr, err := ktCLI(t.Context(), "replay", "--brokers", broker, "--topic", topic, "--events-topic", events,
		"--partitions", "2", "--pace", "0", "--chunk-seconds", "0.5", dir)
	if err != nil {
		t.Fatalf("replay: %v\n%s%s", err, out, stderr)
	}
	// stderr is not a terminal: one line per file, no bar.
	if n := strings.Count(stderr, "replayed "); n != 2 || strings.Contains(stderr, "\r") {
		t.Errorf("progress on a non-terminal: want one line per file, got\n%s", stderr)
	}
	for _, want := range []string{"as session s:", "as session s-2:", "16 chunks, 8.0 s of signal"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.HasPrefix(out, "replayed 2 of 2 sessions: 32 chunks, 16.0 s of signal") || !strings.Contains(out, " events to "+events+"\n") {
		t.Errorf("summary: %s", out)
	}
	in := ktRead(t, broker, topic)
	waitFor(t, 10*time.Second, "32 chunks", func() bool { return in.len() >= 32 })
	parts := map[int]bool{}
	for _, m := range in.snapshot() {
		parts[m.Partition] = true
	}
	if len(parts) > 2 {
		t.Errorf("chunks on partitions %v of a topic made with --partitions 2", parts)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--chunk-seconds", "0"}, "--chunk-seconds: want a positive duration, got 0"},
		{[]string{"--pace", "-1"}, "Pace: want 0 (as fast as possible) or a positive speed-up, got -1"},
		{[]string{"--stim-events", "seizure"}, `--stim-events "seizure": want DESCRIPTION=CODE`},
		{[]string{"--topic", ""}, "Topic: empty"},
	} {
		args := append(append([]string{"replay", "--brokers", broker}, tc.args...), dir)
		if _, _, err := ktCLI(t.Context(), args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// ktProc is a `neurostream run` process.
type ktProc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func ktStart(t *testing.T, bin, cfg, name string) *ktProc {
	t.Helper()
	logPath := filepath.Join(filepath.Dir(cfg), name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &ktProc{cmd: exec.Command(bin, "run", "--config", cfg), log: logPath, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = lf, lf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", name, b)
		}
	})
	return p
}

func (p *ktProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM (a soft drain) and waits, killing after 20 s.
func (p *ktProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			b, _ := os.ReadFile(p.log)
			t.Errorf("pipeline exited with %v:\n%s", p.err, b)
		}
	case <-time.After(20 * time.Second):
		p.kill()
		t.Errorf("pipeline did not stop within 20 s of SIGTERM")
	}
}

// ktPipeline is one test's topics, group and pipeline configuration.
type ktPipeline struct {
	broker, input, prefix, dead, group string
	results                            []string
	cfg                                string
}

const ktPipelineYAML = `name: %s
workers: 2
source:
  kafka: {brokers: [%q], topic: %q, group_id: %q}
window: {length_seconds: 2, hop_seconds: 1}
stages:
  - type: psd
    n_per_seg: 256
output:
  dir: ""
  kafka: {brokers: [%q], topic_prefix: %q, dead_letter_topic: %q}
`

func newKtPipeline(t *testing.T, broker string, partitions int) *ktPipeline {
	t.Helper()
	kp := &ktPipeline{
		broker: broker, input: kafkatest.Name(t, "raw"), prefix: kafkatest.Name(t, "results") + ".",
		dead: kafkatest.Name(t, "dead"), group: kafkatest.Name(t, "group"),
	}
	kp.results = pkafka.ResultTopics(kp.prefix, arrowout.KindPSD, arrowout.KindBandPower, arrowout.KindSessionEnd)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn := pkafka.Connection{Brokers: []string{broker}}
	if err := pkafka.EnsureTopics(ctx, conn, append([]string{kp.input, kp.dead}, kp.results...), partitions); err != nil {
		t.Fatal(err)
	}
	kp.cfg = filepath.Join(t.TempDir(), "pipeline.yaml")
	y := fmt.Sprintf(ktPipelineYAML, t.Name(), broker, kp.input, kp.group, broker, kp.prefix, kp.dead)
	if err := os.WriteFile(kp.cfg, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return kp
}

// reference runs files through the file pipeline (the same YAML, with a
// file source) and returns every result record as the Kafka sink encodes
// it, by idempotency key.
func (kp *ktPipeline) reference(t *testing.T, files []string) map[string][]byte {
	t.Helper()
	c, err := config.Load(nil, kp.cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Source.Kafka = config.KafkaSource{}
	c.Source.Files.Paths = files
	c.Output.Kafka = config.KafkaOutput{}
	c.Output.Dir = t.TempDir()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := c.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	col := &ktEncoded{got: map[string][]byte{}}
	b.Options.Sinks = append(b.Options.Sinks, col)
	r, err := pipeline.New(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return col.got
}

// ktEncoded keeps each result as pkafka.EncodeRecord bytes.
type ktEncoded struct {
	mu  sync.Mutex
	got map[string][]byte
}

func (e *ktEncoded) Write(_ context.Context, rs []arrowout.Result) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		b, err := pkafka.EncodeRecord(r.Record, memory.DefaultAllocator)
		if err != nil {
			return err
		}
		e.got[r.IdempotencyKey()] = b
	}
	return nil
}

func (e *ktEncoded) Close() error { return nil }

// checkResults compares the result records from Kafka with the file
// pipeline's: every window of every session arrived, nothing else did,
// each record's idempotency-key header names its rows, and every copy
// (duplicates included) has the reference's bytes.
func checkResults(t *testing.T, msgs []kafkago.Message, want map[string][]byte) (duplicates int) {
	t.Helper()
	copies := map[string]int{}
	bad := 0
	for _, m := range msgs {
		key := resultHeader(&m, pkafka.HeaderIdempotencyKey)
		rd, err := ipc.NewReader(bytes.NewReader(m.Value))
		if err != nil || !rd.Next() {
			t.Fatalf("%s/%d@%d: not an Arrow IPC stream with a record: %v", m.Topic, m.Partition, m.Offset, err)
		}
		rec := rd.Record()
		rows := fmt.Sprintf("%s/%s/%d", rec.Column(0).(*array.String).Value(0), resultHeader(&m, pkafka.HeaderKind), rec.Column(1).(*array.Int64).Value(0))
		rd.Release()
		if key != rows {
			t.Errorf("%s/%d@%d: idempotency key %q, rows say %q", m.Topic, m.Partition, m.Offset, key, rows)
		}
		ref, ok := want[key]
		switch {
		case !ok:
			t.Errorf("unexpected result %s", key)
			bad++
		case !bytes.Equal(m.Value, ref):
			t.Errorf("result %s (copy %d, %s/%d@%d) differs from the file pipeline's", key, copies[key]+1, m.Topic, m.Partition, m.Offset)
			bad++
		}
		copies[key]++
		if bad > 10 {
			t.Fatal("too many bad results")
		}
	}
	missing := 0
	for k := range want {
		if copies[k] == 0 {
			missing++
			if missing <= 10 {
				t.Errorf("window %s missing", k)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d results missing", missing, len(want))
	}
	for _, n := range copies {
		duplicates += n - 1
	}
	return duplicates
}

// complete reports whether every key of want is among msgs.
func complete(msgs []kafkago.Message, want map[string][]byte) bool {
	seen := map[string]bool{}
	for i := range msgs {
		seen[resultHeader(&msgs[i], pkafka.HeaderIdempotencyKey)] = true
	}
	for k := range want {
		if !seen[k] {
			return false
		}
	}
	return true
}

// ktReplay replays files in the background at a pace; wait returns its
// error.
func ktReplay(t *testing.T, broker, topic string, partitions int, pace float64, files []string) (wait func() error) {
	errc := make(chan error, 1)
	args := []string{"replay", "--brokers", broker, "--topic", topic, "--events-topic", "", "--partitions", fmt.Sprint(partitions), "--pace", fmt.Sprint(pace), "--quiet"}
	go func() {
		out, stderr, err := ktCLI(t.Context(), append(args, files...)...)
		if err != nil {
			err = fmt.Errorf("replay: %w\n%s%s", err, out, stderr)
		}
		errc <- err
	}()
	return sync.OnceValue(func() error { return <-errc })
}

// groupMembers returns the partitions of topic each member of group owns
// and the group's state.
func groupMembers(t *testing.T, broker, group, topic string) (string, [][]int) {
	t.Helper()
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafkago.Client{Addr: kafkago.TCP(broker), Transport: tr}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	res, err := cl.DescribeGroups(ctx, &kafkago.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(res.Groups) != 1 || res.Groups[0].Error != nil {
		return "", nil
	}
	g := res.Groups[0]
	var out [][]int
	for _, m := range g.Members {
		var ps []int
		for _, tp := range m.MemberAssignments.Topics {
			if tp.Topic == topic {
				ps = append(ps, tp.Partitions...)
			}
		}
		out = append(out, ps)
	}
	return g.GroupState, out
}

// testCrash: a pipeline process is SIGKILLed mid-stream and started
// again in the same group. Every window of every session arrives
// downstream; duplicates carry the same idempotency key and bytes as the
// file pipeline's result.
func testCrash(t *testing.T, broker, bin string) {
	const sessions, seconds, pace = 4, 30, 10
	dir := t.TempDir()
	var files []string
	for i := range sessions {
		f := filepath.Join(dir, fmt.Sprintf("crash%d.edf", i))
		ktSim(t, f, uint64(10+i), seconds, 0)
		files = append(files, f)
	}
	kp := newKtPipeline(t, broker, 2)
	want := kp.reference(t, files)
	// psd and bandpower per window, and one session_end per session.
	if len(want) != sessions*(seconds-1)*2+sessions {
		t.Fatalf("file pipeline: %d results, want %d", len(want), sessions*(seconds-1)*2+sessions)
	}
	res := ktRead(t, broker, kp.results...)
	dead := ktRead(t, broker, kp.dead)

	p1 := ktStart(t, bin, kp.cfg, "run-1")
	waitFor(t, 30*time.Second, "the pipeline to join its group", func() bool {
		st, m := groupMembers(t, broker, kp.group, kp.input)
		return st == "Stable" && len(m) == 1 && len(m[0]) == 2
	})
	replayed := ktReplay(t, broker, kp.input, 2, pace, files)
	waitFor(t, 30*time.Second, "the first results", func() bool { return res.len() >= len(want)/5 })
	p1.kill()
	atKill := res.len()
	if atKill >= len(want) {
		t.Fatalf("all %d results arrived before the kill: the test needs a kill mid-stream", atKill)
	}
	t0 := time.Now()
	p2 := ktStart(t, bin, kp.cfg, "run-2")
	if err := replayed(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "every window", func() bool { return complete(res.snapshot(), want) })
	t.Logf("killed after %d of %d results; the restart completed them in %.1fs", atKill, len(want), time.Since(t0).Seconds())
	time.Sleep(time.Second) // duplicates still in flight
	p2.stop(t)
	dups := checkResults(t, res.snapshot(), want)
	t.Logf("%d results, %d duplicates", res.len(), dups)
	if n := dead.len(); n != 0 {
		t.Errorf("%d dead letters from a clean stream", n)
	}
}

// testRebalance3: three pipeline processes share a group on a
// 6-partition topic carrying 12 sessions; one is SIGKILLed mid-stream.
// After the broker expires it, the other two take over its partitions
// from their committed offsets: every window of every session arrives,
// duplicates identical.
func testRebalance3(t *testing.T, broker, bin string) {
	const sessions, seconds, pace, partitions = 12, 24, 6, 6
	dir := t.TempDir()
	var files []string
	for i := range sessions {
		f := filepath.Join(dir, fmt.Sprintf("reb%02d.edf", i))
		ktSim(t, f, uint64(20+i), seconds, 0)
		files = append(files, f)
	}
	kp := newKtPipeline(t, broker, partitions)
	want := kp.reference(t, files)
	// psd and bandpower per window, and one session_end per session.
	if len(want) != sessions*(seconds-1)*2+sessions {
		t.Fatalf("file pipeline: %d results, want %d", len(want), sessions*(seconds-1)*2+sessions)
	}
	res := ktRead(t, broker, kp.results...)
	dead := ktRead(t, broker, kp.dead)

	procs := []*ktProc{ktStart(t, bin, kp.cfg, "run-a"), ktStart(t, bin, kp.cfg, "run-b"), ktStart(t, bin, kp.cfg, "run-c")}
	var members [][]int
	waitFor(t, 40*time.Second, "three members with two partitions each", func() bool {
		var st string
		st, members = groupMembers(t, broker, kp.group, kp.input)
		if st != "Stable" || len(members) != 3 {
			return false
		}
		for _, m := range members {
			if len(m) != 2 {
				return false
			}
		}
		return true
	})
	t.Logf("assignment: %v", members)
	replayed := ktReplay(t, broker, kp.input, partitions, pace, files)
	waitFor(t, 30*time.Second, "a third of the results", func() bool { return res.len() >= len(want)/3 })
	procs[0].kill()
	atKill := res.len()
	if atKill >= len(want) {
		t.Fatalf("all %d results arrived before the kill", atKill)
	}
	t0 := time.Now()
	if err := replayed(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "every window", func() bool { return complete(res.snapshot(), want) })
	t.Logf("killed one of three after %d of %d results; the other two completed them in %.1fs", atKill, len(want), time.Since(t0).Seconds())
	time.Sleep(time.Second)
	st, after := groupMembers(t, broker, kp.group, kp.input)
	if len(after) != 2 {
		t.Errorf("group %s after the kill: %d members %v, want 2", st, len(after), after)
	}
	t.Logf("assignment after the kill: %v", after)
	procs[1].stop(t)
	procs[2].stop(t)
	dups := checkResults(t, res.snapshot(), want)
	t.Logf("%d results, %d duplicates", res.len(), dups)
	if n := dead.len(); n != 0 {
		t.Errorf("%d dead letters from a clean stream", n)
	}
}

// testKafkaBench runs both benchmark commands briefly, for their flags
// and output (not their figures: they are benchmarks, not timed tests);
// pipeline/kafka/kafkabench tests the harness.
func testKafkaBench(t *testing.T, broker string) {
	out, _, err := ktCLI(t.Context(), "bench", "latency", "--brokers", broker, "--sessions", "1", "--seconds", "2", "--pace", "0", "--partitions", "1", "--aligned")
	if err != nil || !strings.HasPrefix(out, "latency, chunk produced → window result consumed (1 sessions × 19 channels at 256 Hz, 2 s each, pace 0, sessions aligned,") ||
		!strings.Contains(out, "p99") || !strings.HasSuffix(out, "  windows: 1 expected, 0 missing, 0 duplicates; 0 dead letters\n") {
		t.Errorf("bench latency text output: %v\n%s", err, out)
	}

	profile := filepath.Join(t.TempDir(), "cpu.pprof")
	out, stderr, err := ktCLI(t.Context(), "bench", "throughput", "--brokers", broker, "--sessions", "2", "--seconds", "10", "--partitions", "2", "--json", "--cpuprofile", profile)
	if err != nil {
		t.Fatalf("bench throughput: %v\n%s%s", err, out, stderr)
	}
	var tp kafkabench.ThroughputReport
	if err := json.Unmarshal([]byte(out), &tp); err != nil || !strings.HasPrefix(out, "{\n  \"brokers\": [") {
		t.Fatalf("%v: %s", err, out)
	}
	if tp.ChannelSamples != 2*19*2560 || tp.Windows != 2*9 || tp.WindowsMissing != 0 || tp.Chunks != 80 || tp.Partitions != 2 || !(tp.ChannelSamplesS > 0) {
		t.Errorf("throughput report %+v", tp)
	}
	if st, err := os.Stat(profile); err != nil || st.Size() == 0 {
		t.Errorf("--cpuprofile: %v", err)
	}
	t.Logf("throughput: %.3g channel-samples/s, %.1f× real time", tp.ChannelSamplesS, tp.RealTimeFactor)
}

// resultHeader returns the value of m's header key, or "".
func resultHeader(m *kafkago.Message, key string) string { return kafkabench.Header(m, key) }

// throughputReport is what `bench throughput --json` prints.
type throughputReport = kafkabench.ThroughputReport
