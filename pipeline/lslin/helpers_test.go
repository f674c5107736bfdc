package lslin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/wire"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kafkatest.Close()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// lslConfigFile is the liblsl configuration every test uses: IPv6 off,
// queries to 127.0.0.1 only.
var lslConfigFile, _ = filepath.Abs(filepath.Join("..", "..", "lsl", "testdata", "lsl_api.cfg"))

// testLSL is the Go side of lslConfigFile.
func testLSL(t testing.TB) lsl.Config {
	t.Helper()
	cfg, err := lsl.LoadConfig(lslConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ListenAddress = "127.0.0.1"
	cfg.ResolveInterval = 200 * time.Millisecond
	return cfg
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("ns-test-%s-%d-%08x", prefix, time.Now().UnixNano()%1e6, rand.Uint32())
}

// pyEvent is one line the helper prints.
type pyEvent struct {
	Event string  `json:"event"`
	Error string  `json:"error"`
	UID   string  `json:"uid"`
	T0    float64 `json:"t0"`
	K     int     `json:"k"`
}

type pyProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	events chan pyEvent
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

func (p *pyProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

func (p *pyProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// startPy runs testdata/lsl_source.py with params; without pylsl the test
// skips (fails under CI=true).
func startPy(t testing.TB, params map[string]any) *pyProc {
	t.Helper()
	py := testenv.Python(t)
	if out, err := exec.Command(py, "-c", "import pylsl").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("pylsl not importable by %s (run `make pyenv`): %s", py, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: the set-up is broken)")
		}
		t.Skip(msg)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "lsl_source.py"))
	arg, _ := json.Marshal(params)
	p := &pyProc{t: t, events: make(chan pyEvent, 1024), done: make(chan error, 1)}
	p.cmd = exec.CommandContext(t.Context(), py, script, string(arg))
	p.cmd.Env = append(os.Environ(), "LSLAPICFG="+lslConfigFile, "PYTHONIOENCODING=utf-8")
	p.cmd.Stderr = p
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev pyEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				ev = pyEvent{Event: "error", Error: "bad line: " + sc.Text()}
			}
			p.events <- ev
		}
		close(p.events)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *pyProc) expect(event string, timeout time.Duration) pyEvent {
	p.t.Helper()
	select {
	case ev, ok := <-p.events:
		if !ok {
			p.t.Fatalf("python helper exited early:\n%s", p.log())
		}
		if ev.Event == "error" || ev.Event != event {
			p.t.Fatalf("python helper: got %q (%s), want %q:\n%s", ev.Event, ev.Error, event, p.log())
		}
		return ev
	case <-time.After(timeout):
		p.t.Fatalf("python helper: no %q within %v:\n%s", event, timeout, p.log())
	}
	return pyEvent{}
}

// ingestRun runs Run in the background.
type ingestRun struct {
	res    Result
	err    error
	done   chan struct{}
	cancel context.CancelFunc
}

func startIngest(t testing.TB, cfg Config) *ingestRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &ingestRun{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(r.done)
		r.res, r.err = Run(ctx, cfg)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// wait returns the ingest's result, failing the test if it runs longer
// than timeout.
func (r *ingestRun) wait(t testing.TB, timeout time.Duration) (Result, error) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("ingest still running after %v", timeout)
	}
	return r.res, r.err
}

// readChunks reads the topic's chunks (one partition) until one is final
// or timeout passes, and the events topic's messages, if named, that
// arrived by then.
func readChunks(t testing.TB, broker, topic string, timeout time.Duration) []wire.Chunk {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	rd := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: 0, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond})
	defer rd.Close()
	dec := wire.NewDecoder(memory.DefaultAllocator)
	var out []wire.Chunk
	for {
		m, err := rd.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s after %d chunks: %v", topic, len(out), err)
		}
		var c wire.Chunk
		if err := dec.Decode(&c, m.Value); err != nil {
			t.Fatalf("chunk %d: %v", len(out), err)
		}
		if string(m.Key) != c.Session {
			t.Fatalf("key %q, session %q", m.Key, c.Session)
		}
		out = append(out, c)
		if c.Final {
			return out
		}
	}
}

// readEvents reads n events from topic.
func readEvents(t testing.TB, broker, topic string, n int, timeout time.Duration) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	rd := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: 0, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond})
	defer rd.Close()
	var out []Event
	for len(out) < n {
		m, err := rd.ReadMessage(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%d of %d events in %s", len(out), n, topic)
			}
			t.Fatal(err)
		}
		var e Event
		if err := json.Unmarshal(m.Value, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// checkContinuous validates chunks as the pipeline does and returns the
// gaps reported.
func checkContinuous(t testing.TB, chunks []wire.Chunk) []string {
	t.Helper()
	v := wire.NewValidator(wire.Reject)
	var gaps []string
	for i := range chunks {
		if err := v.Check(&chunks[i]); err != nil {
			var we *wire.Error
			if !errors.As(err, &we) || we.Reason != wire.ReasonGap {
				t.Fatalf("chunk %d: %v", i, err)
			}
			gaps = append(gaps, we.Msg)
		}
	}
	return gaps
}
