package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// ResultSinkConfig configures a ResultSink.
type ResultSinkConfig struct {
	ProducerConfig
	// TopicPrefix names the result topics: TopicPrefix + kind, e.g.
	// "neurostream.psd". Default: "neurostream.".
	TopicPrefix string
	// Kinds are the result kinds the pipeline writes. Their topics are
	// created together, at the first write, so that creating the topic of
	// a kind first written later (a session's session_end row) never holds
	// up a write in the middle of a run. Default: none (each kind's topic
	// at its first write).
	Kinds []arrowout.Kind
}

// Validate checks the configuration; errors name the field.
func (c *ResultSinkConfig) Validate() error {
	if err := c.ProducerConfig.validate(); err != nil {
		return fmt.Errorf("kafka result sink: %w", err)
	}
	return nil
}

// DefaultTopicPrefix is ResultSinkConfig.TopicPrefix's default.
const DefaultTopicPrefix = "neurostream."

// ResultTopics returns the topic names of kinds under prefix ("" means
// DefaultTopicPrefix), for EnsureTopics.
func ResultTopics(prefix string, kinds ...arrowout.Kind) []string {
	prefix = or(prefix, DefaultTopicPrefix)
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = prefix + string(k)
	}
	return out
}

// ResultSink writes each result (one kind, one window of one session) as
// one Kafka record on the kind's topic (pipeline.Sink): the value is an
// Arrow IPC stream (schema and one record batch, readable by pyarrow's
// ipc.open_stream), the key is the session, and headers carry the
// idempotency key, kind and window index. Write returns once the broker
// acknowledged every record, so the runtime may then acknowledge the
// input behind them.
//
// A ResultSink is safe for concurrent use.
type ResultSink struct {
	cfg ResultSinkConfig
	p   *producer
	enc *recordEncoders
	// topics holds every known kind's topic name, so a write builds no
	// strings; kindTopics those of cfg.Kinds, created together.
	topics     map[arrowout.Kind]string
	kindTopics []string
}

// NewResultSink validates cfg and returns a sink; it connects lazily.
func NewResultSink(cfg ResultSinkConfig) (*ResultSink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	cfg.TopicPrefix = or(cfg.TopicPrefix, DefaultTopicPrefix)
	cfg.ProducerConfig = sinkTopics(cfg.ProducerConfig)
	s := &ResultSink{cfg: cfg, enc: newRecordEncoders(memory.DefaultAllocator), topics: map[arrowout.Kind]string{}}
	var names []string
	for _, k := range append(arrowout.Kinds(), cfg.Kinds...) {
		if _, ok := s.topics[k]; !ok {
			s.topics[k] = cfg.TopicPrefix + string(k)
			names = append(names, s.topics[k])
		}
	}
	s.p = newProducer(cfg.ProducerConfig, "", "result-sink", names...)
	for _, k := range cfg.Kinds {
		s.kindTopics = append(s.kindTopics, s.topics[k])
	}
	return s, nil
}

// Prepare creates the topics of the configured Kinds that are missing,
// waiting for the brokers as writes do (RetryTimeout). A run calls it
// before its first message, so a topic the brokers refuse to create fails
// the start with one clear error rather than a write mid-run.
func (s *ResultSink) Prepare(ctx context.Context) error {
	if err := s.p.ensure(ctx, s.kindTopics...); err != nil {
		return fmt.Errorf("kafka result sink: %w", err)
	}
	if err := s.p.warm(ctx, s.kindTopics...); err != nil {
		s.cfg.Logger.Debug("kafka result sink: warming the writer's connections", "err", err)
	}
	return nil
}

// Prepare creates the dead-letter topic if it is missing (see
// ResultSink.Prepare).
func (d *DeadLetterSink) Prepare(ctx context.Context) error {
	if err := d.p.ensure(ctx, d.cfg.Topic); err != nil {
		return fmt.Errorf("kafka dead-letter sink: %w", err)
	}
	return nil
}

// Topic returns the topic of a result kind.
func (s *ResultSink) Topic(k arrowout.Kind) string {
	if t, ok := s.topics[k]; ok {
		return t
	}
	return s.cfg.TopicPrefix + string(k)
}

// Write implements pipeline.Sink: it returns once the broker acknowledged
// every record.
func (s *ResultSink) Write(ctx context.Context, results []arrowout.Result) error {
	msgs, rejected, err := s.messages(ctx, results)
	if err != nil {
		return err
	}
	if len(msgs) > 0 {
		if err := s.p.write(ctx, msgs); err != nil {
			first := results[0].Key
			return fmt.Errorf("kafka result sink: session %s window %d: %d records to %s*: %w", first.Session, first.Window, len(msgs), s.cfg.TopicPrefix, err)
		}
	}
	return rejected
}

// WriteAsync implements pipeline.AsyncSink: it encodes the results, hands
// the records to the producer's asynchronous writer and returns; done runs
// when the broker acknowledged all of them (or one failed after the
// writer's retries). Records of one session keep their order per topic
// (one partition, written one request at a time).
func (s *ResultSink) WriteAsync(ctx context.Context, results []arrowout.Result, done func(error)) error {
	msgs, rejected, err := s.messages(ctx, results)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		done(nil)
		return rejected
	}
	first := results[0].Key
	err = s.p.writeAsync(ctx, msgs, func(err error) {
		if err != nil {
			err = fmt.Errorf("kafka result sink: session %s window %d: %d records to %s*: %w", first.Session, first.Window, len(msgs), s.cfg.TopicPrefix, err)
		}
		done(err)
	})
	if err != nil {
		return fmt.Errorf("kafka result sink: session %s window %d: %w", first.Session, first.Window, err)
	}
	return rejected
}

// recordOverhead is room left in a batch for a record's key, headers and
// framing besides its value.
const recordOverhead = 1 << 10

// messages encodes results as records, creating their topics first. A
// result whose encoding is larger than a record may be (BatchBytes) is
// split by rows into parts (docs/operations.md, "Large results"); a single
// row too large for a record is left out and reported in rejected, a
// *pipeline.RejectedError, while the other results are returned.
func (s *ResultSink) messages(ctx context.Context, results []arrowout.Result) (msgs []kafkago.Message, rejected error, err error) {
	limit := s.cfg.BatchBytes - recordOverhead
	for _, r := range results {
		if r.Record == nil {
			continue
		}
		parts, err := s.encodeParts(r.Record, limit)
		if err != nil {
			var rej *pipeline.RejectedError
			if errors.As(err, &rej) {
				rej.Kind, rej.Window = r.Kind, r.Key.Window
				if rejected == nil {
					rejected = rej
				}
				continue
			}
			return nil, nil, fmt.Errorf("kafka result sink: session %s %s window %d: encode: %w", r.Key.Session, r.Kind, r.Key.Window, err)
		}
		for i, b := range parts {
			idem := r.IdempotencyKey()
			h := []kafkago.Header{
				{Key: HeaderIdempotencyKey},
				{Key: HeaderKind, Value: []byte(r.Kind)},
				{Key: HeaderWindow, Value: strconv.AppendInt(nil, r.Key.Window, 10)},
			}
			if len(parts) > 1 {
				part := fmt.Sprintf("%d/%d", i+1, len(parts))
				idem += "/part-" + part
				h = append(h, kafkago.Header{Key: HeaderPart, Value: []byte(part)})
			}
			h[0].Value = []byte(idem)
			msgs = append(msgs, kafkago.Message{Topic: s.Topic(r.Kind), Key: []byte(r.Key.Session), Value: b, Headers: h})
		}
	}
	if len(msgs) == 0 {
		return nil, rejected, nil
	}
	// The configured kinds' topics first: created together at the first
	// write (and known after Prepare, so this checks a map).
	topics := s.kindTopics
	for i := range msgs {
		if !slices.Contains(topics, msgs[i].Topic) {
			topics = append(topics[:len(topics):len(topics)], msgs[i].Topic)
		}
	}
	if err := s.p.ensure(ctx, topics...); err != nil {
		return nil, nil, fmt.Errorf("kafka result sink: %w", err)
	}
	return msgs, rejected, nil
}

// encodeParts encodes rec as one Arrow IPC stream, or, when that is over
// limit bytes, as row slices each under it.
func (s *ResultSink) encodeParts(rec arrow.Record, limit int64) ([][]byte, error) {
	b, err := s.enc.encode(rec)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) <= limit {
		return [][]byte{b}, nil
	}
	n := rec.NumRows()
	if n <= 1 {
		return nil, &pipeline.RejectedError{Size: int64(len(b)), Limit: limit,
			Err: errors.New("one row is larger than a Kafka record may be (raise the topic's max.message.bytes and output.kafka batch_bytes, or crop the result)")}
	}
	var out [][]byte
	for _, half := range [2][2]int64{{0, n / 2}, {n / 2, n}} {
		part := rec.NewSlice(half[0], half[1])
		bs, err := s.encodeParts(part, limit)
		part.Release()
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// Stats returns the sink's counters.
func (s *ResultSink) Stats() ProducerStats { return s.p.stats() }

// Close flushes and closes the writer.
func (s *ResultSink) Close() error {
	if err := s.p.close(); err != nil {
		return fmt.Errorf("kafka result sink: close: %w", err)
	}
	return nil
}

// EncodeRecord returns rec as an Arrow IPC stream: its schema (with the
// schema metadata) and one record batch.
func EncodeRecord(rec arrow.Record, mem memory.Allocator) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err := w.Write(rec); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DeadLetterConfig configures a DeadLetterSink.
type DeadLetterConfig struct {
	ProducerConfig
	// Topic receives the dead letters. Default: "neurostream.deadletters".
	Topic string
}

// DefaultDeadLetterTopic is DeadLetterConfig.Topic's default.
const DefaultDeadLetterTopic = "neurostream.deadletters"

// Validate checks the configuration; errors name the field.
func (c *DeadLetterConfig) Validate() error {
	if err := c.ProducerConfig.validate(); err != nil {
		return fmt.Errorf("kafka dead-letter sink: %w", err)
	}
	return nil
}

// DeadLetterSink writes input records the pipeline could not use to a
// dead-letter topic (pipeline.DeadLetterSink): the original key and bytes,
// so a fixed record can be replayed as it is, and headers naming the
// reason, the error, the source topic/partition/offset and the time.
//
// A DeadLetterSink is safe for concurrent use.
type DeadLetterSink struct {
	cfg DeadLetterConfig
	p   *producer
}

// NewDeadLetterSink validates cfg and returns a sink; it connects lazily.
func NewDeadLetterSink(cfg DeadLetterConfig) (*DeadLetterSink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	cfg.Topic = or(cfg.Topic, DefaultDeadLetterTopic)
	cfg.ProducerConfig = sinkTopics(cfg.ProducerConfig)
	return &DeadLetterSink{cfg: cfg, p: newProducer(cfg.ProducerConfig, cfg.Topic, "dead-letter-sink")}, nil
}

// Topic returns the dead-letter topic.
func (d *DeadLetterSink) Topic() string { return d.cfg.Topic }

// DeadLetter implements pipeline.DeadLetterSink; it returns when the
// broker acknowledged the record.
func (d *DeadLetterSink) DeadLetter(ctx context.Context, dl pipeline.DeadLetter) error {
	msg, err := d.message(ctx, dl)
	if err != nil {
		return err
	}
	if err := d.p.write(ctx, []kafkago.Message{msg}); err != nil {
		return fmt.Errorf("kafka dead-letter sink: %s (%s) to %s: %w", dl.Message.Origin, dl.Reason, d.cfg.Topic, err)
	}
	return nil
}

// DeadLetterAsync implements pipeline.AsyncDeadLetterSink: done runs when
// the broker acknowledged the record.
func (d *DeadLetterSink) DeadLetterAsync(ctx context.Context, dl pipeline.DeadLetter, done func(error)) error {
	msg, err := d.message(ctx, dl)
	if err != nil {
		return err
	}
	origin, reason := dl.Message.Origin, dl.Reason
	err = d.p.writeAsync(ctx, []kafkago.Message{msg}, func(err error) {
		if err != nil {
			err = fmt.Errorf("kafka dead-letter sink: %s (%s) to %s: %w", origin, reason, d.cfg.Topic, err)
		}
		done(err)
	})
	if err != nil {
		return fmt.Errorf("kafka dead-letter sink: %s (%s) to %s: %w", origin, reason, d.cfg.Topic, err)
	}
	return nil
}

// message is dl's record, its topic created first.
func (d *DeadLetterSink) message(ctx context.Context, dl pipeline.DeadLetter) (kafkago.Message, error) {
	m := dl.Message
	now := time.Now().UTC()
	errText := dl.Reason
	if dl.Err != nil {
		errText = dl.Err.Error()
	}
	h := make([]kafkago.Header, 0, 7)
	h = append(h,
		kafkago.Header{Key: HeaderReason, Value: []byte(dl.Reason)},
		kafkago.Header{Key: HeaderError, Value: []byte(errText)},
		kafkago.Header{Key: HeaderOrigin, Value: []byte(m.Origin)},
		kafkago.Header{Key: HeaderTime, Value: []byte(now.Format(time.RFC3339Nano))},
	)
	if m.Topic != "" {
		h = append(h,
			kafkago.Header{Key: HeaderSourceTopic, Value: []byte(m.Topic)},
			kafkago.Header{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(m.Partition), 10)},
			kafkago.Header{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, m.Offset, 10)},
		)
	}
	var key []byte
	if m.Key != "" {
		key = []byte(m.Key)
	}
	if dl.Stage != "" {
		h = append(h,
			kafkago.Header{Key: HeaderStage, Value: []byte(dl.Stage)},
			kafkago.Header{Key: HeaderWindow, Value: strconv.AppendInt(nil, dl.Window, 10)},
		)
	}
	value := m.Value
	// A message too large for a record is kept in part: the dead letter
	// must be written, or the same message would stop every restart.
	if limit := d.cfg.BatchBytes - recordOverhead - int64(len(errText)) - int64(len(m.Origin)) - int64(len(key)); int64(len(value)) > limit {
		value = value[:max(limit, 0)]
		h = append(h, kafkago.Header{Key: HeaderTruncated, Value: strconv.AppendInt(nil, int64(len(m.Value)), 10)})
	}
	msg := kafkago.Message{Key: key, Value: value, Headers: h, Time: now}
	if err := d.p.ensure(ctx, d.cfg.Topic); err != nil {
		return kafkago.Message{}, fmt.Errorf("kafka dead-letter sink: %w", err)
	}
	return msg, nil
}

// Count returns how many dead letters were written.
func (d *DeadLetterSink) Count() int64 { return d.p.messages.Load() }

// Stats returns the sink's counters.
func (d *DeadLetterSink) Stats() ProducerStats { return d.p.stats() }

// Close flushes and closes the writer.
func (d *DeadLetterSink) Close() error {
	if err := d.p.close(); err != nil {
		return fmt.Errorf("kafka dead-letter sink: close: %w", err)
	}
	return nil
}

var errNoTopic = errors.New("Topic: required")

// sinkTopics adapts a sink's producer to the topics it creates itself:
// kafka-go's writer answers topic lookups from a metadata cache refreshed
// every few seconds, so a topic created just before the first write would
// look missing until then; asking for auto-creation makes the writer fetch
// a topic its cache lacks. The topic exists by then (producer.ensure), so
// nothing is created with the broker's defaults.
func sinkTopics(c ProducerConfig) ProducerConfig {
	if !c.ManualTopics {
		c.AllowAutoTopicCreation = true
	}
	return c
}
