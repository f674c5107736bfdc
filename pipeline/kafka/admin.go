package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// EnsureTopics creates those of topics that do not exist, with partitions
// partitions each (0: the broker's num.partitions) and the broker's
// default replication factor, and waits until every one of topics has a
// leader for each partition. Existing topics are left as they are.
func EnsureTopics(ctx context.Context, c Connection, topics []string, partitions int) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("kafka: ensure topics: %w", err)
	}
	if len(topics) == 0 {
		return nil
	}
	if partitions <= 0 {
		partitions = -1
	}
	return c.withClient(func(cl *kafkago.Client) error {
		// kafka-go's CreateTopics says only "Broker Not Available" when
		// the connection failed (refused, a rejected certificate or
		// password); the metadata request returns the failure itself.
		if _, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics}); err != nil {
			return fmt.Errorf("kafka: metadata from %v: %w", c.Brokers, err)
		}
		req := &kafkago.CreateTopicsRequest{}
		for _, t := range topics {
			req.Topics = append(req.Topics, kafkago.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: -1})
		}
		res, err := cl.CreateTopics(ctx, req)
		if err != nil {
			return fmt.Errorf("kafka: create topics %v: %w", topics, err)
		}
		var errs []error
		for t, err := range res.Errors {
			if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
				errs = append(errs, fmt.Errorf("kafka: create topic %s: %w", t, err))
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		for {
			missing, err := notReady(ctx, cl, topics)
			if err == nil && missing == "" {
				return nil
			}
			if err == nil {
				err = errors.New(missing)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("kafka: topics %v not ready: %w (%w)", topics, ctx.Err(), err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// notReady names the first topic or partition without a leader, or "".
func notReady(ctx context.Context, cl *kafkago.Client, topics []string) (string, error) {
	md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		return "", err
	}
	seen := map[string]bool{}
	for _, t := range md.Topics {
		if t.Error != nil {
			return "", fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		if len(t.Partitions) == 0 {
			return "topic " + t.Name + " has no partitions yet", nil
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				return fmt.Sprintf("topic %s partition %d has no leader yet", t.Name, p.ID), nil
			}
		}
		seen[t.Name] = true
	}
	for _, t := range topics {
		if !seen[t] {
			return "topic " + t + " not in metadata yet", nil
		}
	}
	return "", nil
}
