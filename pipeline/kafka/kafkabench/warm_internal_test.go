package kafkabench

import (
	"testing"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestWarmResultTopics: a latency run's new result topics hold two
// records in every partition before the pipeline starts, past the first
// index entry (warmBytes over index.interval.bytes); with FreshTopics
// they are empty.
func TestWarmResultTopics(t *testing.T) {
	broker := kafkatest.Broker(t)
	for _, fresh := range []bool{false, true} {
		cfg := DefaultConfig(Latency)
		cfg.Brokers, cfg.Partitions, cfg.FreshTopics, cfg.Logger = []string{broker}, 2, fresh, quiet()
		cfg.setDefaults()
		h, err := newHarness(t.Context(), &cfg)
		if err != nil {
			t.Fatal(err)
		}
		cl, done := h.conn.NewClient()
		req := &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{}}
		for _, topic := range h.resultTopics {
			req.Topics[topic] = []kafkago.OffsetRequest{kafkago.LastOffsetOf(0), kafkago.LastOffsetOf(1)}
		}
		res, err := cl.ListOffsets(t.Context(), req)
		done()
		h.cleanup()
		if err != nil {
			t.Fatal(err)
		}
		want := int64(2)
		if fresh {
			want = 0
		}
		for _, topic := range h.resultTopics {
			ps := res.Topics[topic]
			if len(ps) != 2 {
				t.Fatalf("fresh %v: %s: %+v", fresh, topic, ps)
			}
			for _, p := range ps {
				if p.Error != nil || p.LastOffset != want {
					t.Errorf("fresh %v: %s[%d]: last offset %d (%v), want %d", fresh, topic, p.Partition, p.LastOffset, p.Error, want)
				}
			}
		}
	}
}
