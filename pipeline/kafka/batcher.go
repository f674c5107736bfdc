package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// batcher writes the asynchronous records of a producer, one produce
// request at a time per partition, each request taking every record that
// queued for its partition while the previous one was in flight (up to
// BatchSize records and BatchBytes bytes). An idle partition's record is
// sent at once, without kafka-go's BatchTimeout; under load the records
// of many windows and sessions share a request. kafka-go's asynchronous
// Writer instead sends each BatchTimeout's records as a request of its own,
// so at thousands of records per second nearly every record cost the
// broker and this process a produce request of its own.
//
// Records of one partition are written in the order they were queued, and
// a request is retried in place (with backoff, while the error is
// retriable and RetryTimeout allows) before the next one is sent, so order
// per partition holds across failures, as with kafka-go's Writer.
type batcher struct {
	p      *producer
	client *kafkago.Client

	mu     sync.Mutex
	queues map[topicPartition]*partitionQueue
	closed bool
	wg     sync.WaitGroup
	// requests counts the produce requests sent (retries included).
	requests atomic.Int64
}

// partitionQueue holds the records of one partition not yet sent; busy
// says a goroutine is sending them.
type partitionQueue struct {
	key  topicPartition
	mu   sync.Mutex
	msgs []kafkago.Message
	busy bool
}

func newBatcher(p *producer) *batcher {
	return &batcher{
		p:      p,
		client: &kafkago.Client{Addr: kafkago.TCP(p.cfg.Brokers...), Transport: p.transport, Timeout: p.cfg.WriteTimeout},
		queues: map[topicPartition]*partitionQueue{},
	}
}

// partitions returns the partition IDs of topic, from the transport's
// metadata cache.
func (b *batcher) partitions(ctx context.Context, topic string) ([]int, error) {
	r, err := b.p.transport.RoundTrip(ctx, b.client.Addr, &metadataAPI.Request{
		TopicNames:             []string{topic},
		AllowAutoTopicCreation: b.p.cfg.AllowAutoTopicCreation,
	})
	if err != nil {
		return nil, err
	}
	for _, t := range r.(*metadataAPI.Response).Topics {
		if t.Name != topic {
			continue
		}
		if t.ErrorCode != 0 {
			return nil, kafkago.Error(t.ErrorCode)
		}
		ids := make([]int, len(t.Partitions))
		for i := range ids {
			ids[i] = i
		}
		return ids, nil
	}
	return nil, kafkago.UnknownTopicOrPartition
}

// warmConns is the most connections warm opens: beyond it, a topic set
// with hundreds of partitions would open as many connections at start,
// most of them never needed at once; the writer opens more on demand.
const warmConns = 16

// warm readies the asynchronous path to topics before the first record:
// their partitions' metadata, and one connection to the leaders per
// partition, up to warmConns (a ListOffsets request to each, at once),
// which the transport then keeps for its requests. Without it the first
// records after a start paid for the metadata, a dozen new connections
// and their handshakes, 15-25 ms on the windows that sessions completed
// first (docs/benchmarks.md, "Latency"). It is best effort: an error only
// leaves that work to the first write.
func (b *batcher) warm(ctx context.Context, topics []string) error {
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	n := 0
	for _, topic := range topics {
		ids, err := b.partitions(ctx, topic)
		if err != nil {
			return fmt.Errorf("partitions of %s: %w", topic, err)
		}
		for _, id := range ids {
			if n == warmConns {
				break
			}
			n++
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: {kafkago.LastOffsetOf(id)}}}
				if _, err := b.client.ListOffsets(ctx, req); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}()
		}
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// enqueue queues msgs, each on its partition (the Balancer's choice), or
// none of them when a topic's partitions are unknown.
func (b *batcher) enqueue(ctx context.Context, msgs []kafkago.Message) error {
	keys := make([]topicPartition, len(msgs))
	var ids []int
	for i := range msgs {
		topic := msgs[i].Topic
		if topic == "" {
			topic = b.p.topic
		}
		if i == 0 || topic != keys[i-1].topic {
			var err error
			if ids, err = b.partitions(ctx, topic); err != nil {
				return fmt.Errorf("partitions of %s: %w", topic, err)
			}
		}
		keys[i] = topicPartition{topic, b.p.cfg.Balancer.Balance(msgs[i], ids...)}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errWriterClosed
	}
	for i := range msgs {
		q := b.queues[keys[i]]
		if q == nil {
			q = &partitionQueue{key: keys[i]}
			b.queues[keys[i]] = q
		}
		q.mu.Lock()
		q.msgs = append(q.msgs, msgs[i])
		start := !q.busy
		q.busy = true
		q.mu.Unlock()
		if start {
			b.wg.Add(1)
			go b.drain(q)
		}
	}
	return nil
}

// drain sends q's records until none are left.
func (b *batcher) drain(q *partitionQueue) {
	defer b.wg.Done()
	var batch []kafkago.Message
	for {
		q.mu.Lock()
		if len(q.msgs) == 0 {
			q.busy = false
			q.mu.Unlock()
			return
		}
		n, size := 0, int64(0)
		for n < len(q.msgs) && n < b.p.cfg.BatchSize {
			m := &q.msgs[n]
			s := int64(len(m.Key) + len(m.Value) + recordFraming)
			for _, h := range m.Headers {
				s += int64(len(h.Key) + len(h.Value))
			}
			if n > 0 && size+s > b.p.cfg.BatchBytes {
				break
			}
			size += s
			n++
		}
		batch = append(batch[:0], q.msgs[:n]...)
		rest := copy(q.msgs, q.msgs[n:])
		clear(q.msgs[rest:])
		q.msgs = q.msgs[:rest]
		q.mu.Unlock()

		err := b.produce(q.key, batch)
		for i := range batch {
			batch[i].WriterData.(*asyncWrite).complete(err)
		}
		clear(batch)
	}
}

// recordFraming is a record's bytes besides its key, value and headers.
const recordFraming = 64

// produce writes batch to key's partition, retrying in place while the
// error is retriable: for RetryTimeout, or without end when it is 0.
func (b *batcher) produce(key topicPartition, batch []kafkago.Message) error {
	backoff := 20 * time.Millisecond
	var deadline time.Time
	for {
		err := b.produceOnce(key, batch)
		if err == nil {
			return nil
		}
		b.p.cfg.Logger.Warn("kafka produce failed", "topic", key.topic, "partition", key.partition, "records", len(batch), "err", err)
		if !retriable(err) {
			return err
		}
		if deadline.IsZero() && b.p.cfg.RetryTimeout > 0 {
			deadline = time.Now().Add(b.p.cfg.RetryTimeout)
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return err
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

func (b *batcher) produceOnce(key topicPartition, batch []kafkago.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), b.p.cfg.WriteTimeout)
	defer cancel()
	b.requests.Add(1)
	res, err := b.client.Produce(ctx, &kafkago.ProduceRequest{
		Topic:        key.topic,
		Partition:    key.partition,
		RequiredAcks: b.p.cfg.RequiredAcks,
		Compression:  b.p.cfg.Compression,
		Records:      &messageRecords{msgs: batch},
	})
	if err != nil {
		return err
	}
	if res.Error != nil {
		return res.Error
	}
	for _, e := range res.RecordErrors {
		return e
	}
	return nil
}

var errWriterClosed = errors.New("write to a closed producer")

// close refuses further records and waits until every queued one
// completed.
func (b *batcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.wg.Wait()
}

// messageRecords reads messages as records (kafka-go's Writer does the
// same, unexported).
type messageRecords struct {
	msgs       []kafkago.Message
	index      int
	record     kafkago.Record
	key, value bytesReadCloser
}

func (r *messageRecords) ReadRecord() (*kafkago.Record, error) {
	if r.index >= len(r.msgs) {
		return nil, io.EOF
	}
	m := &r.msgs[r.index]
	r.index++
	r.record = kafkago.Record{Time: m.Time, Headers: m.Headers}
	if m.Key != nil {
		r.key.Reset(m.Key)
		r.record.Key = &r.key
	}
	if m.Value != nil {
		r.value.Reset(m.Value)
		r.record.Value = &r.value
	}
	return &r.record, nil
}

type bytesReadCloser struct{ bytes.Reader }

func (*bytesReadCloser) Close() error { return nil }
