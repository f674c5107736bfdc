package kafka_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestParseTopicConfigs: name=value settings, none as nil, and an entry
// without a name or an = quoted in the error.
func TestParseTopicConfigs(t *testing.T) {
	m, err := nskafka.ParseTopicConfigs([]string{"retention.ms=86400000", "cleanup.policy=compact", "x="})
	if err != nil || !reflect.DeepEqual(m, map[string]string{"retention.ms": "86400000", "cleanup.policy": "compact", "x": ""}) {
		t.Errorf("%v, %v", m, err)
	}
	if m, err := nskafka.ParseTopicConfigs(nil); m != nil || err != nil {
		t.Errorf("none: %v, %v", m, err)
	}
	for _, bad := range []string{"retention.ms", "=3"} {
		if _, err := nskafka.ParseTopicConfigs([]string{"a=1", bad}); err == nil || err.Error() != `"`+bad+`": want name=value, e.g. retention.ms=86400000` {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestWriteTopics: the list and description tables as `neurostream
// topics` prints them: settings in name order, a leader or none, offsets
// not known as -, a partition's error at the end of its row, the group's
// columns only with a group.
func TestWriteTopics(t *testing.T) {
	var b strings.Builder
	if err := nskafka.WriteTopicList(&b, []nskafka.TopicInfo{{Name: "neurostream.raw", Partitions: 12, ReplicationFactor: 3}, {Name: "x", Partitions: 1, ReplicationFactor: 1}}); err != nil {
		t.Fatal(err)
	}
	if want := "TOPIC            PARTITIONS  REPLICATION\nneurostream.raw  12          3\nx                1           1\n"; b.String() != want {
		t.Errorf("list:\n%s\nwant\n%s", b.String(), want)
	}
	ds := []nskafka.TopicDescription{
		{Name: "raw", Configs: map[string]string{"retention.ms": "7200000", "cleanup.policy": "delete"}, Partitions: []nskafka.PartitionDescription{
			{ID: 0, Leader: 1, LeaderAddr: "k1:9092", Replicas: []int{1, 2}, ISR: []int{1, 2}, StartOffset: 0, EndOffset: 40, Committed: 30, Lag: 10},
			{ID: 1, Leader: -1, Replicas: []int{2, 1}, ISR: nil, StartOffset: -1, EndOffset: -1, Committed: -1, Lag: -1, Err: errors.New("no leader")},
		}},
		{Name: "empty"},
	}
	b.Reset()
	if err := nskafka.WriteTopicDescriptions(&b, ds, "g"); err != nil {
		t.Fatal(err)
	}
	want := "topic raw: 2 partitions, cleanup.policy=delete, retention.ms=7200000\n" +
		"PARTITION  LEADER       REPLICAS  ISR  START  END  COMMITTED (g)  LAG\n" +
		"0          1 (k1:9092)  1,2       1,2  0      40   30             10\n" +
		"1          none         2,1            -      -    -              -  no leader\n" +
		"\n" +
		"topic empty: 0 partitions\n" +
		"PARTITION  LEADER  REPLICAS  ISR  START  END  COMMITTED (g)  LAG\n"
	if b.String() != want {
		t.Errorf("describe:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	nskafka.WriteTopicDescriptions(&b, ds[:1], "")
	if !strings.HasPrefix(b.String(), "topic raw: 2 partitions, cleanup.policy=delete, retention.ms=7200000\nPARTITION  LEADER       REPLICAS  ISR  START  END\n0          1 (k1:9092)  1,2       1,2  0      40\n") {
		t.Errorf("describe without a group:\n%s", b.String())
	}
}

// TestCreateTopicsEach: each topic created with the spec's settings, an
// existing one left as it is and reported, an error unless existingOK.
func TestCreateTopicsEach(t *testing.T) {
	broker := kafkatest.RealBroker(t)
	conn := nskafka.Connection{Brokers: []string{broker}}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	a, b := kafkatest.Name(t, "a"), kafkatest.Name(t, "b")
	t.Cleanup(func() { deleteTopics(t, broker, a, b) })

	spec := nskafka.TopicSpec{Partitions: 2, Configs: map[string]string{"retention.ms": "7200000"}}
	res := nskafka.CreateTopicsEach(ctx, conn, []string{a}, spec, false)
	if len(res) != 1 || res[0] != (nskafka.CreateResult{Name: a}) {
		t.Fatalf("create %s: %+v", a, res)
	}
	res = nskafka.CreateTopicsEach(ctx, conn, []string{a, b}, spec, false)
	if len(res) != 2 || res[0].Name != a || !res[0].Existed || !errors.Is(res[0].Err, kafkago.TopicAlreadyExists) || res[1] != (nskafka.CreateResult{Name: b}) {
		t.Fatalf("create %s again and %s: %+v", a, b, res)
	}
	res = nskafka.CreateTopicsEach(ctx, conn, []string{a, b}, spec, true)
	if len(res) != 2 || res[0] != (nskafka.CreateResult{Name: a, Existed: true}) || res[1] != (nskafka.CreateResult{Name: b, Existed: true}) {
		t.Fatalf("create existing topics with existingOK: %+v", res)
	}
	ds, err := nskafka.DescribeTopics(ctx, conn, []string{b}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds[0].Partitions) != 2 || ds[0].Configs["retention.ms"] != "7200000" {
		t.Errorf("%s: %d partitions, settings %v", b, len(ds[0].Partitions), ds[0].Configs)
	}
}
