package kafka

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// listSource yields msgs, then pipeline.ErrEndOfInput; acks[i] is msgs[i]'s
// acknowledgement.
type listSource struct {
	msgs []pipeline.Message
	acks []pipeline.AckFunc
	next int
}

func (s *listSource) Connect(context.Context) error { return nil }
func (s *listSource) Close(context.Context) error   { return nil }
func (s *listSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	if s.next == len(s.msgs) {
		return pipeline.Message{}, nil, pipeline.ErrEndOfInput
	}
	s.next++
	return s.msgs[s.next-1], s.acks[s.next-1], ctx.Err()
}

// TestPublishDoesNotWaitForEarlierChunks: Publish hands a chunk to the
// producer without waiting until the chunk before it is acknowledged, so
// chunks due at the same instant do not queue behind each other's writes.
// The first chunk's acknowledgement waits for the second's (they go to
// different partitions): a Publish that wrote the second only after the
// first's acknowledgement would never see it.
func TestPublishDoesNotWaitForEarlierChunks(t *testing.T) {
	broker := kafkatest.Broker(t)
	topic := kafkatest.Name(t, "in")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn := Connection{Brokers: []string{broker}}
	if err := EnsureTopics(ctx, conn, []string{topic}, 2); err != nil {
		t.Fatal(err)
	}
	w, err := NewChunkWriter(ChunkWriterConfig{ProducerConfig: ProducerConfig{Connection: conn}, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Two sessions on different partitions.
	keys := []string{"s-0"}
	p0 := w.cfg.Balancer.Balance(kafkago.Message{Key: []byte(keys[0])}, 0, 1)
	for i := 1; len(keys) < 2; i++ {
		k := fmt.Sprintf("s-%d", i)
		if w.cfg.Balancer.Balance(kafkago.Message{Key: []byte(k)}, 0, 1) != p0 {
			keys = append(keys, k)
		}
	}
	second := make(chan error, 1)
	var firstErr error
	src := &listSource{
		msgs: []pipeline.Message{{Key: keys[0], Value: []byte("a")}, {Key: keys[1], Value: []byte("b")}},
		acks: []pipeline.AckFunc{
			func(err error) {
				select {
				case err2 := <-second:
					firstErr = errors.Join(err, err2)
				case <-time.After(10 * time.Second):
					firstErr = errors.New("the second chunk was not acknowledged within 10 s of the first")
				}
			},
			func(err error) { second <- err },
		},
	}
	n, err := w.Publish(ctx, src)
	if err != nil || n != 2 {
		t.Fatalf("Publish: %d, %v; want 2, nil", n, err)
	}
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}
