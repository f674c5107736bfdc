package kafka_test

import (
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestRebalance: a second member joins the group mid-stream. The first
// member's generation ends (its records of that generation are
// superseded), the partitions are split, each is re-read from its
// committed offset, and every window arrives, duplicates identical.
func TestRebalance(t *testing.T) {
	tp := newTopics(t, 4)
	specs := sims("rebalance-", 6, 20)
	want := reference(t, specs)
	group := kafkatest.Name(t, "group")

	msgs := chunkMessages(t, recSource(specs))
	w := tp.chunkWriter(t)
	defer w.Close()
	ctx := t.Context()
	if err := w.Write(ctx, msgs[:len(msgs)/2]...); err != nil {
		t.Fatal(err)
	}

	srcA := newAckLog(tp.source(t, group))
	rA := newRunner(t, srcA, tp.resultSink(t), tp.deadSink(t))
	stopA := run(rA)
	got := newResults(t)
	rd := newReader(t, tp.broker, tp.results...)
	rd.until(t, 30*time.Second, func(m kafkago.Message) bool {
		got.add(m)
		return len(got.copies) >= 20
	})

	srcB := newAckLog(tp.source(t, group))
	rB := newRunner(t, srcB, tp.resultSink(t), tp.deadSink(t))
	stopB := run(rB)
	if err := w.Write(ctx, msgs[len(msgs)/2:]...); err != nil {
		t.Fatal(err)
	}
	rd.until(t, 45*time.Second, func(m kafkago.Message) bool {
		got.add(m)
		return got.complete(want)
	})
	rd.drain(300*time.Millisecond, got.add)
	if err := stopA(); err != nil {
		t.Error(err)
	}
	if err := stopB(); err != nil {
		t.Error(err)
	}
	got.check(want)
	if len(srcA.epochs) < 2 || len(srcB.epochs) < 1 {
		t.Errorf("member A saw epochs %v, member B %v: want a rebalance", srcA.epochs, srcB.epochs)
	}
	t.Logf("member A epochs %v, member B epochs %v, %d duplicates", srcA.epochs, srcB.epochs, got.duplicates())
}
