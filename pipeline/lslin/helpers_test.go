package lslin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/internal/pyhelper"
	"github.com/neurostream/neurostream/lsl/lsltest"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/wire"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

func uniqueName(prefix string) string {
	return fmt.Sprintf("ns-test-%s-%d-%08x", prefix, time.Now().UnixNano()%1e6, rand.Uint32())
}

// pyEvent is one line the helper prints.
type pyEvent struct {
	Event string  `json:"event"`
	UID   string  `json:"uid"`
	T0    float64 `json:"t0"`
	K     int     `json:"k"`
}

// pyProc is testdata/lsl_source.py running.
type pyProc struct {
	*pyhelper.Proc
	t testing.TB
}

// startPy runs testdata/lsl_source.py with params; without pylsl the test
// skips (fails under CI=true).
func startPy(t testing.TB, params map[string]any) pyProc {
	t.Helper()
	return pyProc{pyhelper.Start(t, pyhelper.Config{
		Script:   filepath.Join("testdata", "lsl_source.py"),
		Params:   params,
		Env:      []string{"LSLAPICFG=" + lsltest.ConfigFile},
		Requires: "pylsl",
	}), t}
}

// expect returns the helper's next event, failing the test unless it is
// the one named.
func (p pyProc) expect(event string, timeout time.Duration) pyEvent {
	p.t.Helper()
	var ev pyEvent
	p.Expect(event, timeout, &ev)
	return ev
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
