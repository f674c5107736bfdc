package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
)

// StateStoreConfig configures a StateStore.
type StateStoreConfig struct {
	ProducerConfig
	// Topic is the compacted topic of the checkpoints, keyed by session.
	// Required.
	Topic string
	// TopicConfigs are the topic's settings when Prepare creates it.
	// Default: DefaultStateTopicConfigs.
	TopicConfigs map[string]string
	// InputTopic, when set, gives the topic Prepare creates the input
	// topic's partition count, so that the sessions of an input partition
	// keep their state in the state partition of the same number, as Kafka
	// Streams co-partitions its changelogs; otherwise it has
	// TopicPartitions (ProducerConfig). Default: none.
	InputTopic string
}

// DefaultStateTopicConfigs are the state topic's settings: compacted, so
// that the broker keeps the newest checkpoint of each session and drops a
// deleted one, in segments small enough (16 MiB, or an hour) that
// compaction keeps up and reading the topic back at a restart stays short.
var DefaultStateTopicConfigs = map[string]string{
	"cleanup.policy": "compact",
	"segment.bytes":  "16777216",
	"segment.ms":     "3600000",
}

// Validate checks the configuration; errors name the field.
func (c *StateStoreConfig) Validate() error {
	if err := c.ProducerConfig.validate(); err != nil {
		return fmt.Errorf("kafka state store: %w", err)
	}
	if c.Topic == "" {
		return errors.New("kafka state store: Topic: required")
	}
	return nil
}

// StateStore keeps session checkpoints in a compacted Kafka topic
// (pipeline.StateStore), the changelog of Kafka Streams: Save writes a
// record keyed by session (a null value deletes it), asynchronously, with
// the producer's acknowledgement setting; Load finds a session's newest
// record by reading the session's partition of the topic: from its start
// the first time, then from where it stopped, keeping the offset of each
// key's newest record.
//
// A StateStore is safe for concurrent use.
type StateStore struct {
	cfg       StateStoreConfig
	p         *producer
	client    *kafkago.Client
	transport *kafkago.Transport
	prepared  atomic.Bool

	mu         sync.Mutex
	partitions int
	index      map[int]*stateIndex
}

// stateIndex is what Load knows of one partition: every key's newest
// offset up to next.
type stateIndex struct {
	mu     sync.Mutex
	next   int64
	latest map[string]int64
}

// NewStateStore validates cfg and returns a store; it connects lazily.
func NewStateStore(cfg StateStoreConfig) (*StateStore, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if cfg.TopicConfigs == nil {
		cfg.TopicConfigs = DefaultStateTopicConfigs
	}
	s := &StateStore{cfg: cfg, p: newProducer(cfg.ProducerConfig, cfg.Topic, "state-store"), index: map[int]*stateIndex{}}
	s.transport = cfg.transport(cfg.Topic) // its client reads the state topic only
	s.client = &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Transport: s.transport, Timeout: cfg.WriteTimeout}
	return s, nil
}

// Topic returns the state topic.
func (s *StateStore) Topic() string { return s.cfg.Topic }

// Prepare creates the state topic if it is missing (TopicConfigs,
// TopicPartitions), waiting for the brokers as writes do (RetryTimeout).
// A topic that exists already is kept as it is; one that is not
// compacted is an error, since its checkpoints would expire.
func (s *StateStore) Prepare(ctx context.Context) error {
	if s.prepared.Load() {
		return nil
	}
	err := s.retry(ctx, func() error {
		partitions := s.cfg.TopicPartitions
		if s.cfg.InputTopic != "" {
			ds, err := DescribeTopics(ctx, s.cfg.Connection, []string{s.cfg.InputTopic}, "")
			switch {
			case err == nil:
				partitions = len(ds[0].Partitions)
			case retriable(err):
				return err
			}
			// A missing input topic is the source's to report.
		}
		err := CreateTopics(ctx, s.cfg.Connection, []TopicSpec{{Name: s.cfg.Topic, Partitions: partitions, Configs: s.cfg.TopicConfigs}})
		if !errors.Is(err, kafkago.TopicAlreadyExists) {
			return err
		}
		ds, err := DescribeTopics(ctx, s.cfg.Connection, []string{s.cfg.Topic}, "")
		if err != nil {
			return err
		}
		if policy := ds[0].Configs["cleanup.policy"]; !strings.Contains(policy, "compact") {
			return fmt.Errorf("topic %s exists with cleanup.policy %q: a state topic must be compacted (cleanup.policy=compact), or checkpoints expire", s.cfg.Topic, policy)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("kafka state store: %w", err)
	}
	s.prepared.Store(true)
	return nil
}

// retry runs fn until it succeeds or fails for good, while the brokers
// cannot be reached, for RetryTimeout (0: until ctx ends).
func (s *StateStore) retry(ctx context.Context, fn func() error) error {
	backoff := 50 * time.Millisecond
	var deadline time.Time
	if s.cfg.RetryTimeout > 0 {
		deadline = time.Now().Add(s.cfg.RetryTimeout)
	}
	for {
		err := fn()
		if err == nil || !retriable(err) || (!deadline.IsZero() && time.Now().After(deadline)) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// Save implements pipeline.StateStore: it hands the record to the
// asynchronous writer; done runs once the broker acknowledged it. A
// checkpoint larger than a record may be (BatchBytes) is refused with
// pipeline.ErrStateTooLarge.
func (s *StateStore) Save(ctx context.Context, session string, state []byte, done func(error)) error {
	if err := s.Prepare(ctx); err != nil {
		return err
	}
	// Kafka's record overhead (key, headers, batch header) stays well
	// under 1 KiB for a session id.
	if limit := s.cfg.BatchBytes - 1024 - int64(len(session)); int64(len(state)) > limit {
		return fmt.Errorf("kafka state store: session %s: checkpoint of %d bytes, over the %d a record may hold: %w", session, len(state), limit, pipeline.ErrStateTooLarge)
	}
	err := s.p.writeAsync(ctx, []kafkago.Message{{Key: []byte(session), Value: state}}, func(err error) {
		if err != nil {
			err = fmt.Errorf("kafka state store: session %s: %w", session, err)
		}
		done(err)
	})
	if err != nil {
		return fmt.Errorf("kafka state store: session %s: %w", session, err)
	}
	return nil
}

// Load implements pipeline.StateStore: it reads the session's partition
// up to its end, then the session's newest record, retrying while the
// brokers cannot be reached (RetryTimeout).
func (s *StateStore) Load(ctx context.Context, session string) ([]byte, error) {
	if err := s.Prepare(ctx); err != nil {
		return nil, err
	}
	var out []byte
	err := s.retry(ctx, func() error {
		var err error
		out, err = s.load(ctx, session)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kafka state store: load session %s from %s: %w", session, s.cfg.Topic, err)
	}
	return out, nil
}

func (s *StateStore) load(ctx context.Context, session string) ([]byte, error) {
	p, err := s.partition(ctx, session)
	if err != nil {
		return nil, err
	}
	idx := s.indexOf(p)
	idx.mu.Lock()
	defer idx.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if err := s.catchUp(ctx, p, idx); err != nil {
			return nil, err
		}
		off, ok := idx.latest[session]
		if !ok {
			return nil, nil
		}
		v, found, err := s.fetchAt(ctx, p, off, session)
		if err != nil || found || attempt > 0 {
			if err == nil && !found {
				err = fmt.Errorf("partition %d: record at offset %d gone", p, off)
			}
			return v, err
		}
		// Compacted away since the index saw it: a newer one is there.
	}
}

// partition returns the session's partition, as the writer's balancer
// picks it.
func (s *StateStore) partition(ctx context.Context, session string) (int, error) {
	s.mu.Lock()
	n := s.partitions
	s.mu.Unlock()
	if n == 0 {
		md, err := s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{s.cfg.Topic}})
		if err != nil {
			return 0, err
		}
		if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) == 0 {
			return 0, fmt.Errorf("topic %s: no partitions in the metadata (%v)", s.cfg.Topic, md.Topics)
		}
		n = len(md.Topics[0].Partitions)
		s.mu.Lock()
		s.partitions = n
		s.mu.Unlock()
	}
	parts := make([]int, n)
	for i := range parts {
		parts[i] = i
	}
	return s.cfg.Balancer.Balance(kafkago.Message{Key: []byte(session)}, parts...), nil
}

func (s *StateStore) indexOf(p int) *stateIndex {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.index[p]
	if idx == nil {
		idx = &stateIndex{next: kafkago.FirstOffset, latest: map[string]int64{}}
		s.index[p] = idx
	}
	return idx
}

// stateFetchBytes bounds one fetch of the state topic; a larger record
// still comes, alone.
const stateFetchBytes = 4 << 20

// catchUp reads partition p from idx.next to its end, noting each key's
// newest offset; a null value deletes the key.
func (s *StateStore) catchUp(ctx context.Context, p int, idx *stateIndex) error {
	for {
		res, err := s.client.Fetch(ctx, &kafkago.FetchRequest{Topic: s.cfg.Topic, Partition: p, Offset: idx.next, MinBytes: 0, MaxBytes: stateFetchBytes, MaxWait: 100 * time.Millisecond})
		if err == nil {
			err = res.Error
		}
		if errors.Is(err, kafkago.OffsetOutOfRange) {
			// Records deleted under the index (retention): read again.
			idx.next, idx.latest = kafkago.FirstOffset, map[string]int64{}
			continue
		}
		if err != nil {
			return fmt.Errorf("partition %d at %s: %w", p, offsetString(idx.next), err)
		}
		if idx.next < 0 {
			idx.next = max(res.LogStartOffset, 0)
		}
		start := idx.next
		err = readRecords(res.Records, func(r *kafkago.Record) error {
			if r.Offset < idx.next {
				return nil
			}
			key, err := readBytes(r.Key)
			if err != nil {
				return err
			}
			if r.Value == nil {
				delete(idx.latest, string(key))
			} else {
				r.Value.Close()
				idx.latest[string(key)] = r.Offset
			}
			idx.next = r.Offset + 1
			return nil
		})
		if err != nil {
			return fmt.Errorf("partition %d at %d: %w", p, start, err)
		}
		switch {
		case idx.next >= res.HighWatermark:
			return nil
		case idx.next == start:
			return fmt.Errorf("partition %d: no record between %d and the end %d", p, start, res.HighWatermark)
		}
	}
}

// fetchAt returns the value of the record at offset off of partition p,
// whose key must be session; found is false when it is not there.
func (s *StateStore) fetchAt(ctx context.Context, p int, off int64, session string) (v []byte, found bool, err error) {
	res, err := s.client.Fetch(ctx, &kafkago.FetchRequest{Topic: s.cfg.Topic, Partition: p, Offset: off, MinBytes: 0, MaxBytes: stateFetchBytes, MaxWait: 100 * time.Millisecond})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return nil, false, fmt.Errorf("partition %d at %d: %w", p, off, err)
	}
	err = readRecords(res.Records, func(r *kafkago.Record) error {
		if r.Offset != off || found {
			return nil
		}
		key, err := readBytes(r.Key)
		if err != nil {
			return err
		}
		if string(key) != session {
			return fmt.Errorf("record at %d has key %q, want %q", off, key, session)
		}
		if v, err = readBytes(r.Value); err != nil {
			return err
		}
		found = v != nil
		return nil
	})
	return v, found, err
}

// readRecords calls fn for every record of rr.
func readRecords(rr kafkago.RecordReader, fn func(*kafkago.Record) error) error {
	for {
		r, err := rr.ReadRecord()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// readBytes reads and closes b; nil stays nil.
func readBytes(b kafkago.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	out := make([]byte, 0, b.Len())
	buf := out[:b.Len()]
	if _, err := io.ReadFull(b, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// Close flushes the writes in flight (their done functions run) and
// closes the connections.
func (s *StateStore) Close() error {
	err := s.p.close()
	s.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("kafka state store: %w", err)
	}
	return nil
}
