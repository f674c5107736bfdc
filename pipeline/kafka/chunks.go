package kafka

import (
	"context"
	"errors"
	"fmt"
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
		t := m.Time
		if t.IsZero() {
			t = now
		}
		out[i] = kafkago.Message{Key: []byte(m.Key), Value: m.Value, Time: t}
	}
	if err := w.p.write(ctx, out); err != nil {
		return fmt.Errorf("kafka chunk writer: %d chunks from %s to %s: %w", len(msgs), msgs[0].Origin, w.cfg.Topic, err)
	}
	return nil
}

// Publish connects src, writes every message it yields until
// pipeline.ErrEndOfInput, acknowledges each after the broker did, and
// closes src. Messages that are ready together go in one request (up to
// BatchSize); a paced source's messages go out one by one as they come.
// It returns how many messages were written.
func (w *ChunkWriter) Publish(ctx context.Context, src pipeline.Source) (n int64, err error) {
	if err := src.Connect(ctx); err != nil {
		return 0, fmt.Errorf("kafka chunk writer: connect source: %w", err)
	}
	defer func() {
		if cerr := src.Close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = fmt.Errorf("kafka chunk writer: close source: %w", cerr)
		}
	}()
	type item struct {
		msg pipeline.Message
		ack pipeline.AckFunc
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan item, w.cfg.BatchSize)
	var readErr error
	go func() {
		defer close(ch)
		for {
			m, ack, err := src.Read(rctx)
			if err != nil {
				if !errors.Is(err, pipeline.ErrEndOfInput) {
					readErr = err
				}
				return
			}
			select {
			case ch <- item{m, ack}:
			case <-rctx.Done():
				ack(rctx.Err())
				return
			}
		}
	}()
	batch := make([]item, 0, w.cfg.BatchSize)
	msgs := make([]pipeline.Message, 0, w.cfg.BatchSize)
	for it := range ch {
		batch = append(batch[:0], it)
	fill:
		for len(batch) < cap(batch) {
			select {
			case it, ok := <-ch:
				if !ok {
					break fill
				}
				batch = append(batch, it)
			default:
				break fill
			}
		}
		msgs = msgs[:0]
		for _, it := range batch {
			msgs = append(msgs, it.msg)
		}
		if err := w.Write(ctx, msgs...); err != nil {
			cancel()
			for _, it := range batch {
				it.ack(err)
			}
			for it := range ch {
				it.ack(err)
			}
			return n, err
		}
		for _, it := range batch {
			it.ack(nil)
		}
		n += int64(len(batch))
	}
	// ch is closed: the reader is done and readErr is set.
	if readErr != nil && ctx.Err() == nil {
		return n, fmt.Errorf("kafka chunk writer: read source: %w", readErr)
	}
	return n, ctx.Err()
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
