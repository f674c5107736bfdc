package kafkabench

import (
	"context"
	"fmt"
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
