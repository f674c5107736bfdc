package view

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline/arrowout"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// DefaultGroupID is KafkaConfig.GroupID's default.
const DefaultGroupID = "neurostream-view"

// Offset is where a new consumer group starts reading.
type Offset int

const (
	// Latest: only results written after the view joined.
	Latest Offset = iota
	// Earliest: every result the topics still hold.
	Earliest
)

// ParseOffset reads an Offset by name: "latest" or "earliest".
func ParseOffset(name string) (Offset, error) {
	switch name {
	case "latest":
		return Latest, nil
	case "earliest":
		return Earliest, nil
	}
	return 0, fmt.Errorf("%q: want latest or earliest", name)
}

// KafkaConfig configures ConsumeKafka.
type KafkaConfig struct {
	pkafka.Connection
	// TopicPrefix names the result topics, TopicPrefix + kind, as the
	// pipeline's output.kafka.topic_prefix. Default: "neurostream.".
	TopicPrefix string
	// Kinds are the result kinds read. Default: arrowout.Kinds().
	Kinds []arrowout.Kind
	// DeadLetterTopic is read to count dead letters per session; "" reads
	// none. Default: "".
	DeadLetterTopic string
	// GroupID is the view's consumer group, never the pipeline's: a view
	// must not take partitions from it. Default: "neurostream-view".
	GroupID string
	// StartOffset is where a new group starts; a group that committed
	// before goes on from there. Default: Latest.
	StartOffset Offset
	// Logger default: slog.Default().
	Logger *slog.Logger
}

// Prefix returns TopicPrefix or its default.
func (c *KafkaConfig) Prefix() string {
	if c.TopicPrefix == "" {
		return pkafka.DefaultTopicPrefix
	}
	return c.TopicPrefix
}

// Group returns GroupID or its default.
func (c *KafkaConfig) Group() string {
	if c.GroupID == "" {
		return DefaultGroupID
	}
	return c.GroupID
}

// Validate checks the configuration; errors name the field.
func (c *KafkaConfig) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("view: Brokers: at least one broker address is required")
	}
	for i, b := range c.Brokers {
		if !strings.Contains(b, ":") {
			return fmt.Errorf("view: Brokers[%d]: %q is not host:port", i, b)
		}
	}
	for _, k := range c.Kinds {
		if arrowout.Schema(k) == nil {
			return fmt.Errorf("view: Kinds: unknown result kind %q", k)
		}
	}
	if c.StartOffset != Latest && c.StartOffset != Earliest {
		return fmt.Errorf("view: StartOffset: %d is neither Latest nor Earliest", c.StartOffset)
	}
	return nil
}

// ConsumeKafka reads the result topics (and the dead-letter topic) with
// the view's consumer group and offers every result to h, until ctx ends
// (returning ctx's error) or the topics cannot be set up. Missing result
// topics are created as the pipeline's sink would create them, so a view
// started before the pipeline sees its first results.
//
// Positions are committed every second; a view is not a consumer that
// must see every record (its hub drops the oldest anyway), so results
// read but not yet applied when it stops are not read again.
func ConsumeKafka(ctx context.Context, cfg KafkaConfig, h *Hub) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	kinds := cfg.Kinds
	if len(kinds) == 0 {
		kinds = arrowout.Kinds()
	}
	topics := pkafka.ResultTopics(cfg.Prefix(), kinds...)
	kindOf := map[string]arrowout.Kind{}
	for i, t := range topics {
		kindOf[t] = kinds[i]
	}
	all := topics
	if cfg.DeadLetterTopic != "" {
		all = append(append([]string(nil), topics...), cfg.DeadLetterTopic)
	}
	for {
		err := pkafka.EnsureTopics(ctx, cfg.Connection, all, 0)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("view: result topics not ready, retrying", "topics", cfg.Prefix()+"*", "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	start := kafkago.LastOffset
	if cfg.StartOffset == Earliest {
		start = kafkago.FirstOffset
	}
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = "neurostream-view"
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:     cfg.Brokers,
		GroupID:     cfg.Group(),
		GroupTopics: all,
		Dialer: &kafkago.Dialer{ClientID: clientID, Timeout: or(cfg.DialTimeout, 10*time.Second), DualStack: true,
			TLS: cfg.TLS, SASLMechanism: cfg.SASL},
		StartOffset:    start,
		CommitInterval: time.Second,
		MaxWait:        250 * time.Millisecond,
		ReadBackoffMin: 50 * time.Millisecond,
		ReadBackoffMax: time.Second,
	})
	defer r.Close()
	log.Info("view: reading", "topics", cfg.Prefix()+"*", "group", cfg.Group(), "brokers", cfg.Brokers)
	mem := memory.DefaultAllocator
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Warn("view: fetch", "error", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
			continue
		}
		behind := max(m.HighWaterMark-m.Offset-1, 0)
		if k, ok := kindOf[m.Topic]; ok {
			if err := offerValue(h, k, m.Value, behind, mem); err != nil {
				h.bad.Add(1)
				log.Warn("view: result not shown", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "error", err)
			}
		} else {
			h.OfferDeadLetter(string(m.Key))
		}
		// With CommitInterval the commit is asynchronous: it never waits.
		if err := r.CommitMessages(ctx, m); err != nil && ctx.Err() == nil {
			log.Warn("view: commit", "error", err)
		}
	}
}

// offerValue decodes one result record's Arrow IPC stream and offers its
// batches to h.
func offerValue(h *Hub, k arrowout.Kind, value []byte, behind int64, mem memory.Allocator) error {
	rd, err := ipc.NewReader(bytes.NewReader(value), ipc.WithAllocator(mem))
	if err != nil {
		return fmt.Errorf("%s record: %w", k, err)
	}
	defer rd.Release()
	if got, ok := rd.Schema().Metadata().GetValue("neurostream.kind"); ok && got != string(k) {
		return fmt.Errorf("%s topic holds a %s record", k, got)
	}
	for rd.Next() {
		h.Offer([]arrowout.Result{{Kind: k, Record: rd.Record()}}, behind)
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("%s record: %w", k, err)
	}
	return nil
}

func or[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}
