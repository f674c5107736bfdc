package kafkabench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// Consumer reads every partition of some topics from the start, without
// a consumer group: the benchmarks' downstream consumer, and the tests'.
type Consumer struct {
	cancel  context.CancelFunc
	done    func() // closes the fetch consumer's client, if any
	wg      sync.WaitGroup
	readers []*kafkago.Reader
}

// StartConsumer starts reading topics and calls fn, from several
// goroutines, with each record and the time it arrived.
func StartConsumer(c pkafka.Connection, topics []string, fn func(m *kafkago.Message, at time.Time)) (*Consumer, error) {
	dialer := c.NewDialer()
	conn, err := dialer.Dial("tcp", c.Brokers[0])
	if err != nil {
		return nil, fmt.Errorf("bench consumer: %w", c.Explain(err))
	}
	parts, err := conn.ReadPartitions(topics...)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("bench consumer: partitions of %v: %w", topics, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rc := &Consumer{cancel: cancel}
	for _, p := range parts {
		r := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers: c.Brokers, Dialer: dialer, Topic: p.Topic, Partition: p.ID,
			MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 200 * time.Millisecond,
		})
		rc.readers = append(rc.readers, r)
		rc.wg.Add(1)
		go func() {
			defer rc.wg.Done()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					select {
					case <-ctx.Done():
						return
					case <-time.After(100 * time.Millisecond): // the reader retries itself; do not spin
					}
					continue
				}
				fn(&m, time.Now())
			}
		}()
	}
	return rc, nil
}

// Close stops reading and waits until fn is no longer called.
func (rc *Consumer) Close() {
	rc.cancel()
	rc.wg.Wait()
	for _, r := range rc.readers {
		r.Close()
	}
	if rc.done != nil {
		rc.done()
	}
}

// Header returns the value of m's header key, or "".
func Header(m *kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// windowID names one window of one session.
type windowID struct {
	session string
	window  int64
}

// parseIdempotencyKey splits "session/kind/window".
func parseIdempotencyKey(k string) (id windowID, kind string, ok bool) {
	i := strings.LastIndexByte(k, '/')
	if i < 0 {
		return id, "", false
	}
	w, err := strconv.ParseInt(k[i+1:], 10, 64)
	if err != nil {
		return id, "", false
	}
	j := strings.LastIndexByte(k[:i], '/')
	if j < 0 {
		return id, "", false
	}
	return windowID{k[:j], w}, k[j+1 : i], true
}

// startFetchConsumer reads every partition of topics from the start, as
// StartConsumer does, with fetch requests of its own that hand fn each
// record's headers only (Topic, Partition, Offset and Headers set; fn must
// not keep m): the values are read off the connection but not copied out
// one by one, and a fetch waits for minBytes (or maxWait) — a lighter
// consumer for Throughput, whose CPU would otherwise come off the 2 cores
// the pipeline is measured on. maxWait bounds how late the last records
// arrive.
func startFetchConsumer(c pkafka.Connection, topics []string, minBytes int64, maxWait time.Duration, fn func(m *kafkago.Message, at time.Time)) (*Consumer, error) {
	cl, done := c.NewClient(topics...)
	ctx, cancel := context.WithCancel(context.Background())
	md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err == nil {
		for _, t := range md.Topics {
			if t.Error != nil {
				err = fmt.Errorf("%s: %w", t.Name, t.Error)
			}
		}
	}
	if err != nil {
		cancel()
		done()
		return nil, fmt.Errorf("bench consumer: partitions of %v: %w", topics, err)
	}
	rc := &Consumer{cancel: cancel, done: done}
	for _, t := range md.Topics {
		for _, p := range t.Partitions {
			rc.wg.Add(1)
			go func() {
				defer rc.wg.Done()
				fetchLoop(ctx, cl, t.Name, p.ID, minBytes, maxWait, fn)
			}()
		}
	}
	return rc, nil
}

func fetchLoop(ctx context.Context, cl *kafkago.Client, topic string, partition int, minBytes int64, maxWait time.Duration, fn func(m *kafkago.Message, at time.Time)) {
	var next int64
	m := kafkago.Message{Topic: topic, Partition: partition}
	for ctx.Err() == nil {
		res, err := cl.Fetch(ctx, &kafkago.FetchRequest{Topic: topic, Partition: partition, Offset: next, MinBytes: minBytes, MaxBytes: 10 << 20, MaxWait: maxWait})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			if res != nil && res.Records != nil {
				closeRecords(res.Records)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond): // do not spin
			}
			continue
		}
		at := time.Now()
		for {
			r, err := res.Records.ReadRecord()
			if err != nil {
				break
			}
			if r.Offset >= next { // a batch may start before the offset asked for
				next = r.Offset + 1
				m.Offset, m.Headers = r.Offset, r.Headers
				fn(&m, at)
			}
			// Closing the key and value hands their pages back to
			// kafka-go's pool.
			if r.Key != nil {
				r.Key.Close()
			}
			if r.Value != nil {
				r.Value.Close()
			}
		}
		closeRecords(res.Records)
	}
}

func closeRecords(r kafkago.RecordReader) {
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
}
