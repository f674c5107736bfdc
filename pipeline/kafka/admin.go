package kafka

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
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
		return waitLeaders(ctx, cl, topics)
	})
}

// waitLeaders waits until every one of topics has a leader for each
// partition, or ctx ends.
func waitLeaders(ctx context.Context, cl *kafkago.Client, topics []string) error {
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

// TopicSpec is a topic to create.
type TopicSpec struct {
	Name string
	// Partitions is the partition count. Default: 0, the broker's
	// num.partitions.
	Partitions int
	// ReplicationFactor is how many brokers hold each partition.
	// Default: 0, the broker's default.replication.factor.
	ReplicationFactor int
	// Configs are topic settings such as max.message.bytes or
	// retention.ms. Default: none (the broker's).
	Configs map[string]string
}

// CreateTopics creates each topic of specs and waits until every
// partition of them has a leader. A topic that exists already is an error
// that wraps kafka-go's TopicAlreadyExists (errors.Is), and is left as it
// is; the others are created all the same.
func CreateTopics(ctx context.Context, c Connection, specs []TopicSpec) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("kafka: create topics: %w", err)
	}
	req := &kafkago.CreateTopicsRequest{}
	for _, s := range specs {
		if s.Name == "" {
			return errors.New("kafka: create topics: empty topic name")
		}
		if s.Partitions < 0 || s.ReplicationFactor < 0 {
			return fmt.Errorf("kafka: create topic %s: partitions %d, replication factor %d: want ≥ 1 (0: the broker's default)", s.Name, s.Partitions, s.ReplicationFactor)
		}
		tc := kafkago.TopicConfig{Topic: s.Name, NumPartitions: -1, ReplicationFactor: -1}
		if s.Partitions > 0 {
			tc.NumPartitions = s.Partitions
		}
		if s.ReplicationFactor > 0 {
			tc.ReplicationFactor = s.ReplicationFactor
		}
		for _, k := range slices.Sorted(maps.Keys(s.Configs)) {
			tc.ConfigEntries = append(tc.ConfigEntries, kafkago.ConfigEntry{ConfigName: k, ConfigValue: s.Configs[k]})
		}
		req.Topics = append(req.Topics, tc)
	}
	if len(req.Topics) == 0 {
		return nil
	}
	return c.withClient(func(cl *kafkago.Client) error {
		// As in EnsureTopics: the metadata request says why a connection
		// failed, where CreateTopics says only "Broker Not Available".
		if _, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{}}); err != nil {
			return fmt.Errorf("kafka: metadata from %v: %w", c.Brokers, err)
		}
		res, err := cl.CreateTopics(ctx, req)
		if err != nil {
			return fmt.Errorf("kafka: create topics: %w", err)
		}
		var errs []error
		var created []string
		for _, s := range specs {
			if err := res.Errors[s.Name]; err != nil {
				errs = append(errs, fmt.Errorf("kafka: create topic %s: %w", s.Name, err))
			} else {
				created = append(created, s.Name)
			}
		}
		if len(created) > 0 {
			errs = append(errs, waitLeaders(ctx, cl, created))
		}
		return errors.Join(errs...)
	})
}

// TopicInfo is one topic as ListTopics sees it.
type TopicInfo struct {
	Name       string
	Partitions int
	// ReplicationFactor is the replica count of the topic's first
	// partition (Kafka keeps them equal unless reassigned by hand).
	ReplicationFactor int
	// Internal marks the broker's own topics (__consumer_offsets).
	Internal bool
}

// ListTopics lists the cluster's topics in name order; internal ones
// (__consumer_offsets, …) only when internal is set.
func ListTopics(ctx context.Context, c Connection, internal bool) ([]TopicInfo, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("kafka: list topics: %w", err)
	}
	var out []TopicInfo
	err := c.withClient(func(cl *kafkago.Client) error {
		md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{})
		if err != nil {
			return fmt.Errorf("kafka: list topics: %w", err)
		}
		for _, t := range md.Topics {
			if t.Internal && !internal {
				continue
			}
			ti := TopicInfo{Name: t.Name, Partitions: len(t.Partitions), Internal: t.Internal}
			if len(t.Partitions) > 0 {
				ti.ReplicationFactor = len(t.Partitions[0].Replicas)
			}
			out = append(out, ti)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b TopicInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}

// TopicDescription is a topic's partitions, where they live and what
// they hold.
type TopicDescription struct {
	Name     string
	Internal bool
	// Configs are the settings made for this topic (at creation or
	// since), not the broker's defaults it inherits.
	Configs    map[string]string
	Partitions []PartitionDescription
}

// PartitionDescription is one partition: its leader and replicas (broker
// ids), and its offsets.
type PartitionDescription struct {
	ID int
	// Leader is the leader's broker id, -1 when there is none; LeaderAddr
	// its host:port ("" when none).
	Leader     int
	LeaderAddr string
	Replicas   []int
	// ISR are the in-sync replicas; a replica missing from it is behind.
	ISR []int
	// StartOffset and EndOffset bound the records the partition holds:
	// [StartOffset, EndOffset), EndOffset being the offset the next
	// record gets (Kafka's log end, the high watermark). -1 when not
	// known (no leader).
	StartOffset, EndOffset int64
	// Committed is the group's committed offset (the next record it
	// reads), -1 when it committed none or no group was asked about.
	Committed int64
	// Lag is EndOffset − Committed, or EndOffset − StartOffset (the
	// whole partition) for a group that committed nothing; -1 without a
	// group or offsets.
	Lag int64
	// Err is a problem with this partition (no leader, offsets not
	// readable); nil when all is well.
	Err error
}

// DescribeTopics describes each of topics: partitions, leaders, replicas,
// in-sync replicas and offsets; with group set, the group's committed
// offset and lag per partition too. A topic that does not exist is an
// error naming it; the others are described all the same.
func DescribeTopics(ctx context.Context, c Connection, topics []string, group string) ([]TopicDescription, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("kafka: describe topics: %w", err)
	}
	if len(topics) == 0 {
		return nil, nil
	}
	var out []TopicDescription
	err := c.withClient(func(cl *kafkago.Client) error {
		md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
		if err != nil {
			return fmt.Errorf("kafka: describe topics %v: %w", topics, err)
		}
		var missing error
		out, missing = describeMetadata(md, topics)
		if len(out) == 0 {
			return missing
		}
		if err := topicConfigs(ctx, cl, out); err != nil {
			return err
		}
		if err := describeOffsets(ctx, cl, out); err != nil {
			return err
		}
		if group == "" {
			return missing
		}
		if err := describeCommitted(ctx, cl, out, group); err != nil {
			return err
		}
		return missing
	})
	return out, err
}

// describeMetadata describes the partitions of each of topics found in
// md, in topics' order; the error names those not found.
func describeMetadata(md *kafkago.MetadataResponse, topics []string) ([]TopicDescription, error) {
	byName := map[string]kafkago.Topic{}
	for _, t := range md.Topics {
		byName[t.Name] = t
	}
	var out []TopicDescription
	var errs []error
	for _, name := range topics {
		t, ok := byName[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("kafka: topic %s: not in the cluster's metadata", name))
			continue
		case t.Error != nil:
			errs = append(errs, fmt.Errorf("kafka: topic %s: %w", name, t.Error))
			continue
		}
		td := TopicDescription{Name: name, Internal: t.Internal}
		for _, p := range t.Partitions {
			td.Partitions = append(td.Partitions, describePartition(p))
		}
		slices.SortFunc(td.Partitions, func(a, b PartitionDescription) int { return a.ID - b.ID })
		out = append(out, td)
	}
	return out, errors.Join(errs...)
}

// describePartition is p's leader and replicas; its offsets are not known
// yet.
func describePartition(p kafkago.Partition) PartitionDescription {
	pd := PartitionDescription{ID: p.ID, Leader: -1, StartOffset: -1, EndOffset: -1, Committed: -1, Lag: -1, Err: p.Error}
	if p.Leader.Host != "" {
		pd.Leader, pd.LeaderAddr = p.Leader.ID, net.JoinHostPort(p.Leader.Host, strconv.Itoa(p.Leader.Port))
	} else if pd.Err == nil {
		pd.Err = errors.New("no leader")
	}
	for _, r := range p.Replicas {
		pd.Replicas = append(pd.Replicas, r.ID)
	}
	for _, r := range p.Isr {
		pd.ISR = append(pd.ISR, r.ID)
	}
	return pd
}

// describeOffsets fills the start and end offsets of the partitions of ds
// that have a leader.
func describeOffsets(ctx context.Context, cl *kafkago.Client, ds []TopicDescription) error {
	offsets := map[string][]kafkago.OffsetRequest{}
	for _, d := range ds {
		for _, pd := range d.Partitions {
			if pd.LeaderAddr != "" {
				offsets[d.Name] = append(offsets[d.Name], kafkago.FirstOffsetOf(pd.ID), kafkago.LastOffsetOf(pd.ID))
			}
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	res, err := cl.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: offsets})
	if err != nil {
		return fmt.Errorf("kafka: describe topics: list offsets: %w", err)
	}
	for i := range ds {
		got := res.Topics[ds[i].Name]
		for j := range ds[i].Partitions {
			pd := &ds[i].Partitions[j]
			k := slices.IndexFunc(got, func(o kafkago.PartitionOffsets) bool { return o.Partition == pd.ID })
			switch {
			case k < 0:
			case got[k].Error != nil:
				pd.Err = fmt.Errorf("offsets: %w", got[k].Error)
			default:
				pd.StartOffset, pd.EndOffset = got[k].FirstOffset, got[k].LastOffset
			}
		}
	}
	return nil
}

// describeCommitted fills group's committed offset and lag in each
// partition of ds.
func describeCommitted(ctx context.Context, cl *kafkago.Client, ds []TopicDescription, group string) error {
	parts := map[string][]int{}
	for _, d := range ds {
		for _, pd := range d.Partitions {
			parts[d.Name] = append(parts[d.Name], pd.ID)
		}
	}
	res, err := cl.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: parts})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return fmt.Errorf("kafka: describe topics: committed offsets of group %s: %w", group, err)
	}
	for i := range ds {
		got := res.Topics[ds[i].Name]
		for j := range ds[i].Partitions {
			pd := &ds[i].Partitions[j]
			k := slices.IndexFunc(got, func(o kafkago.OffsetFetchPartition) bool { return o.Partition == pd.ID })
			if k < 0 {
				continue
			}
			if o := got[k]; o.Error != nil {
				pd.Err = errors.Join(pd.Err, fmt.Errorf("committed offset: %w", o.Error))
			} else if o.CommittedOffset >= 0 {
				pd.Committed = o.CommittedOffset
			}
			switch {
			case pd.EndOffset < 0:
			case pd.Committed >= 0:
				pd.Lag = max(0, pd.EndOffset-pd.Committed)
			default:
				pd.Lag = pd.EndOffset - pd.StartOffset
			}
		}
	}
	return nil
}

// topicConfigSource is DescribeConfigs' source of a setting made for the
// topic (DYNAMIC_TOPIC_CONFIG), as opposed to broker defaults.
const topicConfigSource = 1

// topicConfigs fills the Configs of each of ds.
func topicConfigs(ctx context.Context, cl *kafkago.Client, ds []TopicDescription) error {
	req := &kafkago.DescribeConfigsRequest{}
	for _, d := range ds {
		req.Resources = append(req.Resources, kafkago.DescribeConfigRequestResource{ResourceType: kafkago.ResourceTypeTopic, ResourceName: d.Name})
	}
	res, err := cl.DescribeConfigs(ctx, req)
	if err != nil {
		return fmt.Errorf("kafka: describe topics: configs: %w", err)
	}
	for _, r := range res.Resources {
		i := slices.IndexFunc(ds, func(d TopicDescription) bool { return d.Name == r.ResourceName })
		if i < 0 {
			continue
		}
		if r.Error != nil {
			return fmt.Errorf("kafka: describe topic %s: configs: %w", r.ResourceName, r.Error)
		}
		for _, e := range r.ConfigEntries {
			if e.ConfigSource == topicConfigSource {
				if ds[i].Configs == nil {
					ds[i].Configs = map[string]string{}
				}
				ds[i].Configs[e.ConfigName] = e.ConfigValue
			}
		}
	}
	return nil
}
