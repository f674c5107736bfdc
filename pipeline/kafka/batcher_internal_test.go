package kafka

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestBatcherCoalescesInOrder: records handed over one call at a time
// while a request is in flight share the next request (far fewer requests
// than records), and the partition holds them in the order they were
// handed over.
func TestBatcherCoalescesInOrder(t *testing.T) {
	broker := kafkatest.Broker(t)
	topic := kafkatest.Name(t, "out")
	conn := Connection{Brokers: []string{broker}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := EnsureTopics(ctx, conn, []string{topic}, 1); err != nil {
		t.Fatal(err)
	}
	cfg := ProducerConfig{Connection: conn}
	cfg.setDefaults()
	p := newProducer(cfg, topic, "test")
	const n = 400
	done := make(chan error, n)
	for i := range n {
		msg := kafkago.Message{Key: []byte("s"), Value: []byte(strconv.Itoa(i))}
		if err := p.writeAsync(ctx, []kafkago.Message{msg}, func(err error) { done <- err }); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	requests := p.batches.requests.Load()
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	// One request per record would be n; handed over back to back, the
	// records queue behind the first request and go in BatchSize groups.
	if requests > n/4 {
		t.Errorf("%d produce requests for %d records, want at most %d", requests, n, n/4)
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	for i := range n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got := string(m.Value); got != strconv.Itoa(i) {
			t.Fatalf("record %d is %q, want %d", i, got, i)
		}
	}
	t.Logf("%d records in %d produce requests", n, requests)
}

// TestBatcherWarm: warm opens connections for the topic's partitions
// before any record (it dials), and names a topic it cannot find.
func TestBatcherWarm(t *testing.T) {
	broker := kafkatest.Broker(t)
	topic := kafkatest.Name(t, "out")
	conn := Connection{Brokers: []string{broker}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := EnsureTopics(ctx, conn, []string{topic}, 4); err != nil {
		t.Fatal(err)
	}
	cfg := ProducerConfig{Connection: conn}
	cfg.setDefaults()
	p := newProducer(cfg, topic, "test")
	defer p.close()
	var dials atomic.Int64
	d := &net.Dialer{}
	p.transport.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}
	if err := p.warm(ctx, topic); err != nil {
		t.Fatal(err)
	}
	if dials.Load() == 0 {
		t.Error("warm dialled no connection")
	}
	p.transport.CloseIdleConnections()
	missing := kafkatest.Name(t, "missing")
	if err := p.warm(ctx, missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("warm of a missing topic: %v, want an error naming %s", err, missing)
	}
}
