package kafkabench

import (
	"context"
	"testing"
	"time"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// The Kafka result sink is an AsyncSink, which the runtime writes to
// without waiting; the benchmark's timing wrapper must stay one, or
// `bench latency` measures the synchronous path instead (it did until
// 2026-12-07).
func TestTimedSinkKeepsAsync(t *testing.T) {
	cfg := pkafka.ResultSinkConfig{TopicPrefix: "bench.test."}
	cfg.Brokers = []string{"127.0.0.1:1"}
	rs, err := pkafka.NewResultSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	b := &config.Built{KafkaSink: rs}
	b.Options.Sinks = []pipeline.Sink{rs}
	(&latency{}).prepare(b)
	if _, ok := b.Options.Sinks[0].(pipeline.AsyncSink); !ok {
		t.Fatalf("the timed result sink %T is not a pipeline.AsyncSink", b.Options.Sinks[0])
	}
}

// slowAsync acknowledges each write after delay.
type slowAsync struct {
	pipeline.Sink
	delay time.Duration
}

func (s slowAsync) WriteAsync(_ context.Context, _ []arrowout.Result, done func(error)) error {
	time.AfterFunc(s.delay, func() { done(nil) })
	return nil
}

// A window's sink_write runs until the broker acknowledged it (done), not
// until WriteAsync returned.
func TestTimedAsyncSinkTimesUntilDone(t *testing.T) {
	ts := &timedSink{Sink: slowAsync{delay: 30 * time.Millisecond}, start: map[windowID]time.Time{}, end: map[windowID]time.Time{}}
	acked := make(chan struct{})
	rs := []arrowout.Result{{Key: arrowout.WindowKey{Session: "s", Window: 3}}}
	if err := (&timedAsyncSink{ts}).WriteAsync(t.Context(), rs, func(error) { close(acked) }); err != nil {
		t.Fatal(err)
	}
	<-acked
	id := windowID{"s", 3}
	if d := ts.end[id].Sub(ts.start[id]); d < 30*time.Millisecond {
		t.Errorf("sink_write of window 3 = %v, want at least the 30 ms until the acknowledgement", d)
	}
}
