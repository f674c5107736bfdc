package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
)

// ChunkWriterConfig configures a ChunkWriter.
type ChunkWriterConfig struct {
	ProducerConfig
	// Topic is the input topic the chunks go to. Required.
	Topic string
}

// Validate checks the configuration; errors name the field.
func (c *ChunkWriterConfig) Validate() error {
	if c.Topic == "" {
		return fmt.Errorf("kafka chunk writer: %w", errNoTopic)
	}
	if err := c.ProducerConfig.validate(); err != nil {
		return fmt.Errorf("kafka chunk writer: %w", err)
	}
	return nil
}

// DefaultChunkRetryTimeout is a ChunkWriter's RetryTimeout when 0: how
// long Publish retries a write before it fails.
const DefaultChunkRetryTimeout = 10 * time.Second

// ChunkWriter publishes wire chunks to the input topic, keyed by session:
// every chunk of a session goes to one partition (Balancer), in the order
// written. It is the producer side of a replay; Publish copies any
// pipeline.Source (a RecordingSource encodes recordings as wire chunks).
//
// A ChunkWriter is safe for concurrent use, but the order of chunks
// written by concurrent calls is the order the calls reach the writer.
type ChunkWriter struct {
	cfg ChunkWriterConfig
	p   *producer
}

// NewChunkWriter validates cfg and returns a writer; it connects lazily.
func NewChunkWriter(cfg ChunkWriterConfig) (*ChunkWriter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if cfg.RetryTimeout == 0 {
		// Publish fails, as a synchronous write does after MaxAttempts,
		// rather than waiting for the brokers without end.
		cfg.RetryTimeout = DefaultChunkRetryTimeout
	}
	return &ChunkWriter{cfg: cfg, p: newProducer(cfg.ProducerConfig, cfg.Topic, "chunk-writer")}, nil
}

// Write publishes msgs (Key = session, Value = wire chunk; the record time
// is msg.Time, or now) and returns when the broker acknowledged them all.
// On error some may have been written: a replay that goes on after an
// error may leave a gap or a duplicate, which consumers report.
func (w *ChunkWriter) Write(ctx context.Context, msgs ...pipeline.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]kafkago.Message, len(msgs))
	now := time.Now()
	for i, m := range msgs {
		out[i] = w.message(m, now)
	}
	if err := w.p.write(ctx, out); err != nil {
		return fmt.Errorf("kafka chunk writer: %d chunks from %s to %s: %w", len(msgs), msgs[0].Origin, w.cfg.Topic, err)
	}
	return nil
}

// message is m as a record: Key = session, Value = wire chunk, Time =
// m.Time, or now.
func (w *ChunkWriter) message(m pipeline.Message, now time.Time) kafkago.Message {
	t := m.Time
	if t.IsZero() {
		t = now
	}
	return kafkago.Message{Key: []byte(m.Key), Value: m.Value, Time: t}
}

// Publish connects src, writes every message it yields until
// pipeline.ErrEndOfInput, acknowledges each after the broker did, and
// closes src. It returns how many messages were written.
//
// Each message is handed to the producer's asynchronous writer as soon as
// it is read, without waiting for the ones before it (at most BatchSize
// in flight): a partition's messages are written in the order read, one
// produce request at a time, those that queued meanwhile together. So
// chunks due at the same instant (sessions of aligned devices) go out
// together instead of each waiting for the previous one's write. A write
// is retried while the error is retriable, for RetryTimeout (10 s when
// 0); the first failure stops the reading, and Publish returns it once
// every message handed over completed.
func (w *ChunkWriter) Publish(ctx context.Context, src pipeline.Source) (n int64, err error) {
	if err := src.Connect(ctx); err != nil {
		return 0, fmt.Errorf("kafka chunk writer: connect source: %w", err)
	}
	defer func() {
		if cerr := src.Close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = fmt.Errorf("kafka chunk writer: close source: %w", cerr)
		}
	}()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		slots   = make(chan struct{}, w.cfg.BatchSize)
		wg      sync.WaitGroup
		written atomic.Int64
		mu      sync.Mutex
		first   error
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	for {
		m, ack, rerr := src.Read(rctx)
		if rerr != nil {
			if !errors.Is(rerr, pipeline.ErrEndOfInput) && rctx.Err() == nil {
				fail(fmt.Errorf("kafka chunk writer: read source: %w", rerr))
			}
			break
		}
		acquired := false
		select {
		case slots <- struct{}{}:
			acquired = true
		case <-rctx.Done():
		}
		if rctx.Err() != nil {
			if acquired {
				<-slots
			}
			ack(rctx.Err())
			break
		}
		wg.Add(1)
		done := func(err error) {
			if err != nil {
				err = fmt.Errorf("kafka chunk writer: chunk from %s to %s: %w", m.Origin, w.cfg.Topic, err)
				fail(err)
			} else {
				written.Add(1)
			}
			ack(err)
			<-slots
			wg.Done()
		}
		if werr := w.p.writeAsync(rctx, []kafkago.Message{w.message(m, time.Now())}, done); werr != nil {
			done(werr)
			break
		}
	}
	wg.Wait()
	if first != nil {
		return written.Load(), first
	}
	return written.Load(), ctx.Err()
}

// Topic returns the input topic.
func (w *ChunkWriter) Topic() string { return w.cfg.Topic }

// Stats returns the writer's counters.
func (w *ChunkWriter) Stats() ProducerStats { return w.p.stats() }

// Close flushes and closes the writer.
func (w *ChunkWriter) Close() error {
	if err := w.p.close(); err != nil {
		return fmt.Errorf("kafka chunk writer: close: %w", err)
	}
	return nil
}
