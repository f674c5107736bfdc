package kafka_test

import (
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestRebalance: a second member joins the group mid-stream. The
// partitions are split: those the first member keeps carry over with
// their sessions (same epoch, no re-read, so no duplicate result), those
// that move are re-read by the second member from their committed
// offsets, and every window arrives, duplicates identical.
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
	partOf := map[string]int{} // session → result partition (= input partition: same key, same count)
	add := func(m kafkago.Message) {
		got.add(m)
		partOf[string(m.Key)] = m.Partition
	}
	rd := newReader(t, tp.broker, tp.results...)
	rd.until(t, 30*time.Second, func(m kafkago.Message) bool {
		add(m)
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
		add(m)
		return got.complete(want)
	})
	rd.drain(300*time.Millisecond, add)
	kept := map[int]bool{}
	for _, p := range kA.PartitionStats() {
		kept[p.Partition] = true
	}
	if err := stopA(); err != nil {
		t.Error(err)
	}
	if err := stopB(); err != nil {
		t.Error(err)
	}
	got.check(want)
	if len(srcA.epochs) != 1 || len(srcB.epochs) != 1 || len(kept) == 0 || len(kept) == 4 {
		t.Errorf("member A saw epochs %v and kept partitions %v, member B epochs %v: want A to keep some partitions under its first epoch", srcA.epochs, kept, srcB.epochs)
	}
	for key, cs := range got.copies {
		sess := key[:strings.IndexByte(key, '/')]
		if len(cs) > 1 && kept[partOf[sess]] {
			t.Errorf("result %s written %d times, though its partition %d stayed with member A", key, len(cs), partOf[sess])
		}
	}
	t.Logf("member A epochs %v, member B epochs %v, %d duplicates", srcA.epochs, srcB.epochs, got.duplicates())
}
