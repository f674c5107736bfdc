package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	kafkago "github.com/segmentio/kafka-go"
)

// ParseTopicConfigs reads topic settings written name=value
// (retention.ms=86400000), as kafka-topics.sh --config takes them, into
// TopicSpec.Configs; none gives nil. An entry without a name or an = is
// an error quoting it.
func ParseTopicConfigs(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want name=value, e.g. retention.ms=86400000", kv)
		}
		m[k] = v
	}
	return m, nil
}

// CreateResult is what CreateTopicsEach did with one topic.
type CreateResult struct {
	Name string
	// Existed is set when the topic was there already: it is left as it
	// is.
	Existed bool
	// Err is nil when the topic was created, or existed and that was
	// accepted.
	Err error
}

// CreateTopicsEach creates a topic of each of names with spec's settings,
// one at a time (CreateTopics), in order, and says for each what became
// of it. A topic that exists is left as it is; it is an error wrapping
// kafka-go's TopicAlreadyExists unless existingOK.
func CreateTopicsEach(ctx context.Context, c Connection, names []string, spec TopicSpec, existingOK bool) []CreateResult {
	out := make([]CreateResult, len(names))
	for i, name := range names {
		s := spec
		s.Name = name
		err := CreateTopics(ctx, c, []TopicSpec{s})
		out[i] = CreateResult{Name: name, Existed: errors.Is(err, kafkago.TopicAlreadyExists), Err: err}
		if out[i].Existed && existingOK {
			out[i].Err = nil
		}
	}
	return out
}

// WriteTopicList writes topics as a table with the columns TOPIC,
// PARTITIONS and REPLICATION.
func WriteTopicList(w io.Writer, topics []TopicInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITIONS\tREPLICATION")
	for _, t := range topics {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", t.Name, t.Partitions, t.ReplicationFactor)
	}
	return tw.Flush()
}

// WriteTopicDescriptions writes each description, a blank line between
// them: a line with the topic's name, partition count and settings, then a
// table of its partitions (PARTITION, LEADER "id (host:port)" or none,
// REPLICAS, ISR, START, END and, with group set, the group's COMMITTED
// offset and LAG; - for an offset not known) with the partition's error,
// if any, at the end of its row.
func WriteTopicDescriptions(w io.Writer, ds []TopicDescription, group string) error {
	for i, d := range ds {
		if i > 0 {
			fmt.Fprintln(w)
		}
		line := fmt.Sprintf("topic %s: %d partitions", d.Name, len(d.Partitions))
		for _, k := range slices.Sorted(maps.Keys(d.Configs)) {
			line += ", " + k + "=" + d.Configs[k]
		}
		fmt.Fprintln(w, line)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		head := "PARTITION\tLEADER\tREPLICAS\tISR\tSTART\tEND"
		if group != "" {
			head += "\tCOMMITTED (" + group + ")\tLAG"
		}
		fmt.Fprintln(tw, head)
		for _, p := range d.Partitions {
			leader := "none"
			if p.Leader >= 0 {
				leader = fmt.Sprintf("%d (%s)", p.Leader, p.LeaderAddr)
			}
			row := fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", p.ID, leader, brokerIDs(p.Replicas), brokerIDs(p.ISR), offsetText(p.StartOffset), offsetText(p.EndOffset))
			if group != "" {
				row += "\t" + offsetText(p.Committed) + "\t" + offsetText(p.Lag)
			}
			if p.Err != nil {
				row += "\t" + p.Err.Error()
			}
			fmt.Fprintln(tw, row)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// brokerIDs lists broker ids as Kafka's tools do: 1,2,3.
func brokerIDs(v []int) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// offsetText is an offset, or - when not known (-1).
func offsetText(o int64) string {
	if o < 0 {
		return "-"
	}
	return fmt.Sprint(o)
}

// WriteCreateResults writes a line per topic created or left as it was
// (`topics create`) and returns the errors of the others, joined; the
// error of a topic that existed says how to accept existing topics.
func WriteCreateResults(w io.Writer, rs []CreateResult) error {
	var errs []error
	for _, r := range rs {
		switch {
		case r.Err != nil && r.Existed:
			errs = append(errs, fmt.Errorf("%w (left as it is; --if-not-exists accepts existing topics)", r.Err))
		case r.Err != nil:
			errs = append(errs, r.Err)
		case r.Existed:
			fmt.Fprintf(w, "exists  %s (left as it is)\n", r.Name)
		default:
			fmt.Fprintf(w, "created %s\n", r.Name)
		}
	}
	return errors.Join(errs...)
}
