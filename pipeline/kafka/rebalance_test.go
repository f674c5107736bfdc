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

	kA := tp.source(t, group)
	srcA := newAckLog(kA)
	rA := newRunner(t, srcA, tp.resultSink(t), tp.deadSink(t))
	stopA := run(t, rA)
	got := newResults(t)
	rd := newReader(t, tp.broker, tp.results...)
	rd.until(t, 30*time.Second, func(m kafkago.Message) bool {
		got.add(m)
		return len(got.copies) >= 20
	})

	kB := tp.source(t, group)
	srcB := newAckLog(kB)
	rB := newRunner(t, srcB, tp.resultSink(t), tp.deadSink(t))
	stopB := run(t, rB)
	// The rest of the stream once both members share a generation.
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, b := kA.Stats(), kB.Stats()
		if a.Generation >= 0 && a.Generation == b.Generation {
			t.Logf("generation %d: member A has %d partitions, B %d", a.Generation, a.Partitions, b.Partitions)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members did not share a generation within 30 s: A %+v, B %+v", a, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
