package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"golang.org/x/sync/semaphore"
)

// ProducerConfig is what every writer here (results, dead letters, chunks)
// shares. The defaults favour latency and durability: a write returns
// after the in-sync replicas have the records, about a millisecond of
// batching, no compression.
type ProducerConfig struct {
	Connection
	// RequiredAcks is kafka-go's RequireAll (-1: every in-sync replica) or
	// RequireOne (1: the leader). Acks=none is not offered: callers
	// acknowledge their input once a write returns, which is only safe
	// when the broker acknowledged it. Default: RequireAll.
	RequiredAcks kafkago.RequiredAcks
	// BatchTimeout is how long a partition's batch of a synchronous write
	// waits for more records before it is sent (kafka-go's own default,
	// 1s, would add a second to every synchronous write). Asynchronous
	// writes do not wait: a partition's records are sent at once, and
	// those that arrive while a request is in flight go together in the
	// next one. Default: 1ms.
	BatchTimeout time.Duration
	// BatchSize is the most records in one batch (one produce request).
	// Default: 100.
	BatchSize int
	// BatchBytes is the largest batch, and so the largest record, in
	// bytes; keep it at or under the topic's max.message.bytes.
	// Default: 1048576 (Kafka's default limit).
	BatchBytes int64
	// MaxAttempts bounds the tries of one batch (retriable errors only).
	// Default: 10.
	MaxAttempts int
	// WriteTimeout bounds one produce request. Default: 10s.
	WriteTimeout time.Duration
	// Compression of batches. Default: none (the payloads are float
	// arrays that compress poorly, and latency matters more).
	Compression kafkago.Compression
	// AllowAutoTopicCreation lets a write create a missing topic (if the
	// broker allows it) with the broker's default partitions; otherwise
	// create topics first (EnsureTopics). Default: false.
	AllowAutoTopicCreation bool
	// ManualTopics turns off the result and dead-letter sinks' own topic
	// creation: by default each creates a topic it writes to, once, just
	// before its first write (EnsureTopics with TopicPartitions), so a
	// pipeline never stalls on a missing topic. Default: false.
	ManualTopics bool
	// TopicPartitions is the partition count of topics the sinks create.
	// Default: 0, the broker's num.partitions.
	TopicPartitions int
	// RetryTimeout bounds how long an asynchronous write (WriteAsync,
	// DeadLetterAsync) keeps retrying while the brokers cannot be reached
	// or answer with a retriable error, before its completion reports the
	// error; meanwhile records wait in order and MaxInFlight back-pressures
	// the writers. It replaces MaxAttempts for those writes. Default: 0,
	// keep trying (until the sink is closed).
	RetryTimeout time.Duration
	// MaxInFlight bounds the records handed to the asynchronous writer
	// (ResultSink.WriteAsync) and not yet acknowledged by the broker; a
	// write beyond it waits. Default: 10000.
	MaxInFlight int
	// Balancer picks a record's partition. Default: kafka-go's
	// Murmur2Balancer, the Java client's partitioner for keyed records, so
	// a session (the key) stays on one partition, in order, and lands
	// where Kafka Streams or Java producers would put it.
	Balancer kafkago.Balancer
	// Logger default: slog.Default().
	Logger *slog.Logger
}

func (c *ProducerConfig) validate() error {
	if err := c.Connection.validate(); err != nil {
		return err
	}
	switch c.RequiredAcks {
	case 0, kafkago.RequireAll, kafkago.RequireOne:
	default:
		return fmt.Errorf("RequiredAcks: must be RequireAll (-1) or RequireOne (1), got %d", c.RequiredAcks)
	}
	if c.BatchTimeout < 0 || c.WriteTimeout < 0 {
		return fmt.Errorf("BatchTimeout, WriteTimeout: must not be negative, got %v, %v", c.BatchTimeout, c.WriteTimeout)
	}
	if c.MaxInFlight < 0 {
		return fmt.Errorf("MaxInFlight: must not be negative, got %d", c.MaxInFlight)
	}
	if c.BatchSize < 0 || c.BatchBytes < 0 || c.MaxAttempts < 0 {
		return fmt.Errorf("BatchSize, BatchBytes, MaxAttempts: must not be negative, got %d, %d, %d", c.BatchSize, c.BatchBytes, c.MaxAttempts)
	}
	return nil
}

func (c *ProducerConfig) setDefaults() {
	c.Connection.setDefaults()
	c.RequiredAcks = or(c.RequiredAcks, kafkago.RequireAll)
	c.BatchTimeout = or(c.BatchTimeout, time.Millisecond)
	c.BatchSize = or(c.BatchSize, 100)
	c.BatchBytes = or(c.BatchBytes, 1<<20)
	c.MaxAttempts = or(c.MaxAttempts, 10)
	c.WriteTimeout = or(c.WriteTimeout, 10*time.Second)
	c.MaxInFlight = or(c.MaxInFlight, 10000)
	if c.Balancer == nil {
		c.Balancer = &kafkago.Murmur2Balancer{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// producer is a synchronous kafka-go Writer with its own transport.
type producer struct {
	cfg ProducerConfig
	// topic is that of messages naming none ("": each names its own).
	topic     string
	w         *kafkago.Writer
	transport *kafkago.Transport

	messages, bytes, errors atomic.Int64

	// topics are those known to exist (ensure).
	mu     sync.Mutex
	topics map[string]bool

	// batches writes the asynchronous records (writeAsync), made at the
	// first; inflight bounds its records not yet completed.
	asyncOnce sync.Once
	batches   *batcher
	inflight  *semaphore.Weighted
	newWriter func() *kafkago.Writer
}

// ensure creates those of topics not known to exist yet, unless
// ManualTopics is set.
func (p *producer) ensure(ctx context.Context, topics ...string) error {
	if p.cfg.ManualTopics {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var missing []string
	for _, t := range topics {
		if !p.topics[t] && !slices.Contains(missing, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	backoff := 50 * time.Millisecond
	var deadline time.Time
	if p.cfg.RetryTimeout > 0 {
		deadline = time.Now().Add(p.cfg.RetryTimeout)
	}
	for {
		err := EnsureTopics(ctx, p.cfg.Connection, missing, p.cfg.TopicPartitions)
		if err == nil {
			break
		}
		// Brokers away: wait for them as the writes do.
		if !retriable(err) || (!deadline.IsZero() && time.Now().After(deadline)) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
	if p.topics == nil {
		p.topics = map[string]bool{}
	}
	for _, t := range missing {
		p.topics[t] = true
	}
	return nil
}

// newProducer returns a producer writing to topic ("": each message names
// its own) whose transport caches the metadata of topics only (with topic
// set, of topic): kafka-go otherwise fetches every topic of the cluster
// at each refresh (MetadataTTL), which on a broker holding many topics
// costs both sides CPU during the writes. A message to a topic outside
// them is still written: its metadata is then fetched at each write.
func newProducer(cfg ProducerConfig, topic, component string, topics ...string) *producer {
	if topic != "" {
		topics = []string{topic}
	}
	t := cfg.transport(topics...)
	p := &producer{cfg: cfg, topic: topic, transport: t, inflight: semaphore.NewWeighted(int64(cfg.MaxInFlight))}
	p.newWriter = func() *kafkago.Writer {
		log := cfg.Logger.With("component", component)
		return &kafkago.Writer{
			Addr:                   kafkago.TCP(cfg.Brokers...),
			Topic:                  topic,
			Balancer:               cfg.Balancer,
			MaxAttempts:            cfg.MaxAttempts,
			WriteBackoffMin:        20 * time.Millisecond,
			WriteBackoffMax:        time.Second,
			BatchSize:              cfg.BatchSize,
			BatchBytes:             cfg.BatchBytes,
			BatchTimeout:           cfg.BatchTimeout,
			ReadTimeout:            cfg.WriteTimeout,
			WriteTimeout:           cfg.WriteTimeout,
			RequiredAcks:           cfg.RequiredAcks,
			Compression:            cfg.Compression,
			AllowAutoTopicCreation: cfg.AllowAutoTopicCreation,
			Transport:              p.transport,
			Logger:                 debugLogger(log, "writer"),
			ErrorLogger:            warnLogger(log, "writer"),
		}
	}
	p.w = p.newWriter()
	return p
}

// write sends msgs and returns when the broker acknowledged all of them.
// Records of one partition keep their order (kafka-go writes one batch at
// a time per partition). A write that failed on topic metadata (a topic
// just created, a leader moving) sent nothing and is tried again; a
// produce failure is returned as is.
func (p *producer) write(ctx context.Context, msgs []kafkago.Message) error {
	backoff := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := p.w.WriteMessages(ctx, msgs...)
		if err == nil {
			p.messages.Add(int64(len(msgs)))
			for i := range msgs {
				p.bytes.Add(int64(len(msgs[i].Value)))
			}
			return nil
		}
		var we kafkago.WriteErrors
		var ke kafkago.Error
		if errors.As(err, &we) || !errors.As(err, &ke) || !ke.Temporary() || attempt >= p.cfg.MaxAttempts {
			p.errors.Add(1)
			return err
		}
		select {
		case <-ctx.Done():
			p.errors.Add(1)
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// asyncWrite is one WriteAsync call's records in flight: done is called
// when the last of them completes, with the first error.
type asyncWrite struct {
	p    *producer
	left atomic.Int64
	err  atomic.Pointer[error]
	n    int64
	size int64
	// weight is what it holds of the in-flight bound: n, or the whole
	// bound for a write larger than it (which then goes alone).
	weight int64
	done   func(error)
}

func (a *asyncWrite) complete(err error) {
	if err != nil {
		a.err.CompareAndSwap(nil, &err)
	}
	if a.left.Add(-1) > 0 {
		return
	}
	a.p.inflight.Release(a.weight)
	if e := a.err.Load(); e != nil {
		a.p.errors.Add(1)
		a.done(*e)
		return
	}
	a.p.messages.Add(a.n)
	a.p.bytes.Add(a.size)
	a.done(nil)
}

// writeAsync hands msgs to the asynchronous writer (batcher) and returns; done is
// called once every one of them was acknowledged by the broker, or with
// the first error once every one of them completed. At most maxInFlight
// records are in flight: writeAsync waits (back-pressure) beyond that.
func (p *producer) writeAsync(ctx context.Context, msgs []kafkago.Message, done func(error)) error {
	p.asyncOnce.Do(func() { p.batches = newBatcher(p) })
	n := int64(len(msgs))
	weight := min(n, int64(p.cfg.MaxInFlight))
	if err := p.inflight.Acquire(ctx, weight); err != nil {
		return fmt.Errorf("waiting for room among the records in flight: %w", err)
	}
	a := &asyncWrite{p: p, n: n, weight: weight, done: done}
	a.left.Store(n)
	for i := range msgs {
		msgs[i].WriterData = a
		a.size += int64(len(msgs[i].Value))
	}
	// enqueue only fails before anything is queued (no metadata for a
	// topic while the brokers are away); then nothing completes, so the
	// call itself is retried.
	backoff := 50 * time.Millisecond
	var deadline time.Time
	if p.cfg.RetryTimeout > 0 {
		deadline = time.Now().Add(p.cfg.RetryTimeout)
	}
	for {
		err := p.batches.enqueue(ctx, msgs)
		if err == nil {
			return nil
		}
		if !retriable(err) || (!deadline.IsZero() && time.Now().After(deadline)) {
			p.inflight.Release(weight)
			p.errors.Add(1)
			return err
		}
		select {
		case <-ctx.Done():
			p.inflight.Release(weight)
			p.errors.Add(1)
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// warm readies the asynchronous writer for topics (batcher.warm).
func (p *producer) warm(ctx context.Context, topics ...string) error {
	p.asyncOnce.Do(func() { p.batches = newBatcher(p) })
	return p.batches.warm(ctx, topics)
}

func (p *producer) close() error {
	var err error
	if p.batches != nil {
		p.batches.close() // flushes: every completion runs before it returns
	}
	err = errors.Join(err, p.w.Close())
	p.transport.CloseIdleConnections()
	return err
}

// ProducerStats counts what a writer did.
type ProducerStats struct {
	// Messages and Bytes (values only) written and acknowledged.
	Messages, Bytes int64
	// Errors counts failed writes.
	Errors int64
}

func (p *producer) stats() ProducerStats {
	return ProducerStats{Messages: p.messages.Load(), Bytes: p.bytes.Load(), Errors: p.errors.Load()}
}

// retriable tells the errors a later attempt may not get: the brokers
// unreachable, a leader moving, a timeout.
func retriable(err error) bool {
	if isSecurityFailure(err) { // a rejected certificate is a net.Error too
		return false
	}
	var ke kafkago.Error
	if errors.As(err, &ke) {
		return ke.Temporary()
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}
