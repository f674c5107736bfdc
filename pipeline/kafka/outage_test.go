//go:build linux

package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// privateBroker is a single-node broker of the test's own, started by
// deploy/kafka/up.sh on its own port and folder, so the test can kill and
// restart it without touching the shared broker (NEUROSTREAM_KAFKA).
type privateBroker struct {
	t    *testing.T
	addr string
	dir  string
	env  []string
	up   string
}

// subreaper makes this process adopt the brokers up.sh starts (they
// outlive the script), so a killed broker can be reaped rather than left
// a zombie that still holds its pid.
var subreaper = sync.OnceValue(func() error {
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return errno
	}
	return nil
})

// newPrivateBroker checks that a broker can be started (bash, java, go,
// the Kafka jars or mvn to fetch them) and picks a free port pair,
// 127.0.0.1:19092 unless taken; it does not start the broker. Without the
// tools the test skips, except under CI=true.
func newPrivateBroker(t *testing.T) *privateBroker {
	t.Helper()
	kafkatest.RequireBrokerTools(t, "the broker outage tests start a Kafka broker of their own")
	up, err := filepath.Abs("../../deploy/kafka/up.sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := subreaper(); err != nil {
		t.Logf("cannot adopt the broker process (prctl: %v): a killed broker stays a zombie", err)
	}
	b := &privateBroker{t: t, addr: freePortPair(t), dir: t.TempDir(), up: up}
	b.env = append(os.Environ(), "NEUROSTREAM_KAFKA="+b.addr, "NEUROSTREAM_KAFKA_RUN="+b.dir,
		"KAFKA_HEAP_OPTS=-Xms128m -Xmx512m", "KAFKA_WAIT_TIMEOUT=120")
	t.Cleanup(func() {
		if pid := b.pid(); pid > 0 {
			b.kill()
		}
		if t.Failed() {
			b.logTail(40)
		}
	})
	return b
}

// freePortPair returns host:port with port and port+1 (the controller)
// free: 127.0.0.1:19092 if it is, else the next free pair 100 ports up.
func freePortPair(t *testing.T) string {
	t.Helper()
	free := func(port int) bool {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return false
		}
		ln.Close()
		return true
	}
	for port := 19092; port < 29092; port += 100 {
		if free(port) && free(port+1) {
			return "127.0.0.1:" + strconv.Itoa(port)
		}
	}
	t.Fatal("no free port pair for a private broker between 19092 and 29092")
	return ""
}

// start runs up.sh: it formats storage the first time, keeps it after,
// and returns once the broker serves metadata and group requests.
func (b *privateBroker) start() time.Duration {
	b.t.Helper()
	start := time.Now()
	cmd := exec.Command("bash", b.up)
	cmd.Env = b.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.t.Fatalf("starting the private broker: %v\n%s", err, out)
	}
	b.t.Logf("private broker: %s", bytes.TrimSpace(out))
	return time.Since(start)
}

// pid returns the running broker's pid, 0 if none. It checks the
// process's command line names this broker's folder, so no other broker
// is ever killed.
func (b *privateBroker) pid() int {
	raw, err := os.ReadFile(filepath.Join(b.dir, "kafka.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(filepath.Join(b.dir, "server.properties"))) {
		return 0
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			syscall.Wait4(pid, nil, syscall.WNOHANG, nil)
			return 0
		}
	}
	return pid
}

// logTail logs the broker log's last n lines of warnings and errors.
func (b *privateBroker) logTail(n int) {
	raw, err := os.ReadFile(filepath.Join(b.dir, "kafka.log"))
	if err != nil {
		return
	}
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.Contains(l, "=== kafka-up") || strings.Contains(l, "] WARN ") || strings.Contains(l, "] ERROR ") {
			lines = append(lines, l)
		}
	}
	b.t.Logf("private broker log, warnings and errors (last %d):\n%s", n, strings.Join(lines[max(0, len(lines)-n):], "\n"))
}

// kill SIGKILLs the broker, as a crash or an OOM kill would, and waits
// until it is gone and its port refuses connections.
func (b *privateBroker) kill() {
	b.t.Helper()
	pid := b.pid()
	if pid == 0 {
		b.t.Fatalf("no private broker running in %s", b.dir)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		b.t.Fatalf("kill broker %d: %v", pid, err)
	}
	if _, err := syscall.Wait4(pid, nil, 0, nil); err != nil {
		// Not our child (no subreaper): wait until it is a zombie or gone.
		for b.pid() == pid {
			time.Sleep(20 * time.Millisecond)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			b.t.Fatalf("%s still accepts connections 10 s after its broker was killed", b.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// topicsOn creates the test's topics on broker, as newTopics does on the
// shared one.
func topicsOn(t *testing.T, broker string, partitions int) topics {
	t.Helper()
	tp := topics{broker: broker, conn: nskafka.Connection{Brokers: []string{broker}}}
	tp.input = kafkatest.Name(t, "chunks")
	tp.prefix = kafkatest.Name(t, "results") + "."
	tp.dead = kafkatest.Name(t, "dead")
	tp.results = nskafka.ResultTopics(tp.prefix, arrowout.KindPSD, arrowout.KindBandPower, arrowout.KindSessionEnd)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := nskafka.EnsureTopics(ctx, tp.conn, append([]string{tp.input, tp.dead}, tp.results...), partitions); err != nil {
		t.Fatal(err)
	}
	return tp
}

// patientReader reads every partition of some topics from the first
// offset, without a consumer group, and keeps reading through broker
// outages (newReader's readers stop at their first error).
func patientReader(t *testing.T, broker string, topics ...string) *reader {
	t.Helper()
	return startReader(t, true, broker, topics...)
}

// running is a pipeline run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	// start and at are when Run started and returned.
	start, at time.Time
}

func startRun(t *testing.T, r *pipeline.Runner) *running {
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{cancel: cancel, done: make(chan struct{}), start: time.Now()}
	go func() {
		run.err = r.Run(ctx)
		run.at = time.Now()
		close(run.done)
	}()
	t.Cleanup(func() { run.stop() })
	return run
}

// exited returns Run's error if it returned.
func (r *running) exited() (bool, error) {
	select {
	case <-r.done:
		return true, r.err
	default:
		return false, nil
	}
}

func (r *running) stop() error {
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(30 * time.Second):
		return errors.New("pipeline did not stop within 30 s")
	}
}

// TestOutage kills a broker of the test's own with SIGKILL and restarts
// it on its existing data (deploy/kafka/up.sh): before the pipeline
// starts (Connect waits for it), while the pipeline is idle, and while it
// consumes. The source is not ready during each outage and ready after,
// the lag is unknown (not 0) while the broker is away, Run goes on, and
// every window of the reference arrives, duplicates identical.
//
// Should Run fail anyway (a result write that gives up during the
// outage), the test says so and fails, then starts the pipeline again in
// the same group, as an orchestrator would, to check that nothing is
// lost on that path either.
func TestOutage(t *testing.T) {
	b := newPrivateBroker(t)
	t.Logf("first start: %v", b.start().Round(time.Millisecond))
	tp := topicsOn(t, b.addr, 3)

	specsA, specsB := sims("outage-a-", 3, 20), sims("outage-b-", 6, 60)
	want := reference(t, append(append([]pipeline.RecordingSpec(nil), specsA...), specsB...))
	wantA := reference(t, specsA)
	wantB := map[string]flat{}
	for k, v := range want {
		if _, ok := wantA[k]; !ok {
			wantB[k] = v
		}
	}

	group := kafkatest.Name(t, "group")
	var (
		src     *nskafka.Source
		reg     *prometheus.Registry
		r       *pipeline.Runner
		run     *running
		sources []*nskafka.Source
		runners []*pipeline.Runner
	)
	startPipeline := func() {
		cfg := nskafka.SourceConfig{Topics: []string{tp.input}, GroupID: group, Logger: logger(),
			OffsetsInterval: 500 * time.Millisecond}
		cfg.Brokers = []string{b.addr}
		var err error
		if src, err = nskafka.NewSource(cfg); err != nil {
			t.Fatal(err)
		}
		reg = prometheus.NewPedanticRegistry()
		reg.MustRegister(nskafka.NewSourceCollector(src))
		r = newRunner(t, src, tp.resultSink(t), tp.deadSink(t))
		run = startRun(t, r)
		sources, runners = append(sources, src), append(runners, r)
	}
	// alive fails the test if Run returned; with restart it starts the
	// pipeline again instead of stopping the test.
	restart := false
	alive := func() {
		t.Helper()
		done, err := run.exited()
		if !done {
			return
		}
		msg := fmt.Sprintf("Run returned %v after its start, during or after a short broker outage: %v",
			run.at.Sub(run.start).Round(time.Millisecond), err)
		if !restart {
			t.Fatal(msg)
		}
		t.Error(msg)
		t.Log("starting the pipeline again in the same group, as an orchestrator would")
		startPipeline()
	}
	ready := func() (bool, string) { alive(); return src.Ready() }
	notReady := func() (bool, string) { alive(); ok, why := src.Ready(); return !ok, why }

	// Broker down at start-up: Connect (in Run) waits for it.
	b.kill()
	startPipeline()
	time.Sleep(2 * time.Second)
	alive()
	if ok, why := src.Ready(); ok || !strings.Contains(why, "connecting") {
		t.Errorf("Ready() = %v, %q with the broker down at start-up", ok, why)
	}
	t.Logf("startup: broker down: %s", func() string { _, why := src.Ready(); return why }())
	t.Logf("startup: restart on the existing data took %v", b.start().Round(time.Millisecond))
	d := waitFor(t, 60*time.Second, "startup: ready after the broker came up", ready)
	t.Logf("startup: ready %v after the broker", d.Round(time.Millisecond))

	got := newResults(t)
	rd := patientReader(t, b.addr, tp.results...)
	// The topics survived the restart (kept data): the chunks go in.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	publish := func(specs []pipeline.RecordingSpec) {
		t.Helper()
		w := tp.chunkWriter(t)
		defer w.Close()
		if _, err := w.Publish(ctx, recSource(specs)); err != nil {
			t.Fatal(err)
		}
	}
	publish(specsA)
	rd.until(t, 60*time.Second, func(m kafkago.Message) bool {
		got.add(m)
		return got.complete(wantA)
	})
	waitFor(t, 20*time.Second, "lag 0 once every session ended", func() (bool, string) {
		alive()
		return src.Lag() == 0, statsString(src.PartitionStats())
	})

	outage := func(name string) {
		t.Helper()
		killed := time.Now()
		b.kill()
		d := waitFor(t, 20*time.Second, name+": not ready with the broker down", notReady)
		_, why := src.Ready()
		t.Logf("%s: not ready %v after the kill: %s", name, d.Round(time.Millisecond), why)
		waitFor(t, 20*time.Second, name+": lag unknown with the broker down", func() (bool, string) {
			alive()
			return src.Lag() == -1, statsString(src.PartitionStats())
		})
		// Each partition's lag goes absent once its own offsets are stale
		// (3 × OffsetsInterval); Lag() is -1 as soon as one is.
		waitFor(t, 20*time.Second, name+": lag series exported with the broker down", func() (bool, string) {
			alive()
			l := series(t, reg, "neurostream_kafka_partition_lag")
			return len(l) == 0, fmt.Sprint(l)
		})
		if r := series(t, reg, "neurostream_kafka_source_ready"); r[""] != 0 {
			t.Errorf("%s: neurostream_kafka_source_ready = %v with the broker down", name, r)
		}
		alive()
		up := b.start()
		d = waitFor(t, 90*time.Second, name+": ready after the restart", ready)
		t.Logf("%s: broker down %v (up.sh took %v), source ready %v after up.sh", name,
			time.Since(killed).Round(time.Millisecond)-d, up.Round(time.Millisecond), d.Round(time.Millisecond))
	}
	// Idle: the broker dies with nothing to read.
	outage("idle")
	waitFor(t, 20*time.Second, "idle: lag 0 after the outage", func() (bool, string) {
		alive()
		return src.Lag() == 0, statsString(src.PartitionStats())
	})

	// Consuming: the broker dies with part of B processed.
	publish(specsB)
	doneB := func() int {
		n := 0
		for k := range wantB {
			if len(got.copies[k]) > 0 {
				n++
			}
		}
		return n
	}
	rd.until(t, 60*time.Second, func(m kafkago.Message) bool {
		got.add(m)
		return doneB() >= len(wantB)/10
	})
	t.Logf("consuming: killing the broker with %d of %d windows of B written", doneB(), len(wantB))
	if doneB() == len(wantB) {
		t.Error("consuming: B was complete before the kill; the outage did not hit a consuming pipeline")
	}
	restart = true
	outage("consuming")
	rd.until(t, 120*time.Second, func(m kafkago.Message) bool {
		got.add(m)
		alive()
		return got.complete(want)
	})
	rd.drain(500*time.Millisecond, got.add)
	alive()
	if err := run.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	got.check(want)
	var rebalances, deadLetters int64
	for i, s := range sources {
		st := s.Stats()
		rebalances += st.Rebalances
		deadLetters += runners[i].Stats().DeadLetters.Load()
		t.Logf("source %d: %+v", i, st)
	}
	t.Logf("%d windows, %d duplicates, %d pipeline starts", len(want), got.duplicates(), len(sources))
	if rebalances < 2 {
		t.Errorf("%d rebalances counted over two outages, want at least 2", rebalances)
	}
	if deadLetters != 0 {
		t.Errorf("%d dead letters", deadLetters)
	}
}
