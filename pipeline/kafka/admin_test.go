package kafka_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestTopicsAdmin creates, lists and describes topics on the real broker
// (what `neurostream topics` does): partitions and settings as asked, an
// existing topic refused, a replication factor the one-broker cluster
// cannot hold refused by the broker, leaders and replicas, log offsets
// after writes to one partition, and a group's committed offset and lag.
func TestTopicsAdmin(t *testing.T) {
	broker := kafkatest.RealBroker(t)
	conn := nskafka.Connection{Brokers: []string{broker}}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	a, b, group := kafkatest.Name(t, "a"), kafkatest.Name(t, "b"), kafkatest.Name(t, "group")
	t.Cleanup(func() { deleteTopics(t, broker, a, b) })

	createTestTopics(t, ctx, conn, broker, a, b)
	checkListTopics(t, ctx, conn, a, b)
	writeAndCommit(t, ctx, broker, a, group)
	checkDescribeTopics(t, ctx, conn, a, group)

	missing := kafkatest.Name(t, "missing")
	if ds, err := nskafka.DescribeTopics(ctx, conn, []string{a, missing}, ""); err == nil || !strings.Contains(err.Error(), missing) || len(ds) != 1 || ds[0].Name != a {
		t.Errorf("describe of a missing topic beside %s: %v, %+v; want an error naming it and %s described", a, err, ds, a)
	}
	if topics, _ := nskafka.ListTopics(ctx, conn, false); slices.ContainsFunc(topics, func(ti nskafka.TopicInfo) bool { return ti.Name == missing }) {
		t.Errorf("describe created %s", missing)
	}
}

// createTestTopics creates a (3 partitions, a retention setting) and b
// (the broker's defaults), and checks that creating a again, or a topic
// with a replication factor the one-broker cluster cannot hold, fails.
func createTestTopics(t *testing.T, ctx context.Context, conn nskafka.Connection, broker, a, b string) {
	t.Helper()
	err := nskafka.CreateTopics(ctx, conn, []nskafka.TopicSpec{
		{Name: a, Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "3600000"}},
		{Name: b},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = nskafka.CreateTopics(ctx, conn, []nskafka.TopicSpec{{Name: a, Partitions: 5}})
	if !errors.Is(err, kafkago.TopicAlreadyExists) || !strings.Contains(err.Error(), a) {
		t.Errorf("creating %s again: %v, want TopicAlreadyExists naming it", a, err)
	}
	bad := kafkatest.Name(t, "bad")
	err = nskafka.CreateTopics(ctx, conn, []nskafka.TopicSpec{{Name: bad, Partitions: 1, ReplicationFactor: 2}})
	if !errors.Is(err, kafkago.InvalidReplicationFactor) {
		t.Errorf("replication factor 2 on one broker: %v, want InvalidReplicationFactor", err)
		deleteTopics(t, broker, bad)
	}
}

// checkListTopics checks ListTopics: a and b listed as created, in name
// order, internal topics only when asked for.
func checkListTopics(t *testing.T, ctx context.Context, conn nskafka.Connection, a, b string) {
	t.Helper()
	topics, err := nskafka.ListTopics(ctx, conn, false)
	if err != nil {
		t.Fatal(err)
	}
	ia := slices.IndexFunc(topics, func(ti nskafka.TopicInfo) bool { return ti.Name == a })
	ib := slices.IndexFunc(topics, func(ti nskafka.TopicInfo) bool { return ti.Name == b })
	if ia < 0 || ib < 0 {
		t.Fatalf("list lacks %s or %s", a, b)
	}
	if got := topics[ia]; got.Partitions != 3 || got.ReplicationFactor != 1 || got.Internal {
		t.Errorf("list: %+v, want 3 partitions, replication 1", got)
	}
	if got := topics[ib]; got.Partitions < 1 {
		t.Errorf("list: %+v: no partitions (the broker's default)", got)
	}
	if !slices.IsSortedFunc(topics, func(x, y nskafka.TopicInfo) int { return strings.Compare(x.Name, y.Name) }) {
		t.Error("list not in name order")
	}
	if slices.ContainsFunc(topics, func(ti nskafka.TopicInfo) bool { return ti.Internal }) {
		t.Error("list shows internal topics without asking")
	}
	all, err := nskafka.ListTopics(ctx, conn, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(all, func(ti nskafka.TopicInfo) bool { return ti.Name == "__consumer_offsets" && ti.Internal }) {
		t.Error("list with internal topics lacks __consumer_offsets")
	}
}

// writeAndCommit writes five records into partition 1 of topic; group
// commits offset 2 there (it has read two of them).
func writeAndCommit(t *testing.T, ctx context.Context, broker, topic, group string) {
	t.Helper()
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	// acks=all: with kafka-go's default (none) a write that fails at the
	// broker (a just-created topic's leader not yet known) is answered by
	// closing the connection; the likely cause of the commit below, on
	// the same pooled connection, failing once in CI with "broken pipe".
	// With acks the writer sees the error and retries.
	w := &kafkago.Writer{Addr: kafkago.TCP(broker), Topic: topic, Balancer: partitionOne{}, BatchTimeout: time.Millisecond, Transport: tr,
		RequiredAcks: kafkago.RequireAll}
	defer w.Close()
	for i := range 5 {
		if err := w.WriteMessages(ctx, kafkago.Message{Value: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	cl := &kafkago.Client{Addr: kafkago.TCP(broker), Transport: tr}
	res, err := cl.OffsetCommit(ctx, &kafkago.OffsetCommitRequest{GroupID: group, GenerationID: -1,
		Topics: map[string][]kafkago.OffsetCommit{topic: {{Partition: 1, Offset: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			t.Fatal(p.Error)
		}
	}
}

// checkDescribeTopics checks DescribeTopics of a after writeAndCommit:
// its setting, leaders and replicas, offsets, and group's committed
// offset and lag; without a group, no committed offset or lag.
func checkDescribeTopics(t *testing.T, ctx context.Context, conn nskafka.Connection, a, group string) {
	t.Helper()
	ds, err := nskafka.DescribeTopics(ctx, conn, []string{a}, group)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Name != a || len(ds[0].Partitions) != 3 {
		t.Fatalf("describe: %+v", ds)
	}
	if got := ds[0].Configs["retention.ms"]; got != "3600000" || len(ds[0].Configs) != 1 {
		t.Errorf("describe: configs %v, want retention.ms=3600000 only", ds[0].Configs)
	}
	for i, p := range ds[0].Partitions {
		wantEnd, wantCommitted, wantLag := int64(0), int64(-1), int64(0)
		if i == 1 {
			wantEnd, wantCommitted, wantLag = 5, 2, 3
		}
		if p.ID != i || p.Leader < 0 || p.LeaderAddr == "" || len(p.Replicas) != 1 || !slices.Equal(p.ISR, p.Replicas) || p.Err != nil {
			t.Errorf("describe: partition %d: %+v", i, p)
		}
		if p.StartOffset != 0 || p.EndOffset != wantEnd || p.Committed != wantCommitted || p.Lag != wantLag {
			t.Errorf("describe: partition %d: offsets [%d, %d), committed %d, lag %d; want [0, %d), %d, %d",
				i, p.StartOffset, p.EndOffset, p.Committed, p.Lag, wantEnd, wantCommitted, wantLag)
		}
	}
	ds, err = nskafka.DescribeTopics(ctx, conn, []string{a}, "")
	if err != nil {
		t.Fatal(err)
	}
	if p := ds[0].Partitions[1]; p.EndOffset != 5 || p.Committed != -1 || p.Lag != -1 {
		t.Errorf("describe without a group: %+v", p)
	}
}

// partitionOne sends every message to partition 1.
type partitionOne struct{}

func (partitionOne) Balance(kafkago.Message, ...int) int { return 1 }

// deleteTopics deletes test topics from the shared broker.
func deleteTopics(t *testing.T, broker string, topics ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafkago.Client{Addr: kafkago.TCP(broker), Transport: tr}
	if _, err := cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: topics}); err != nil {
		t.Logf("deleting %v: %v", topics, err)
	}
}
