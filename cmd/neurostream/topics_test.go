package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestTopicsCLI runs `neurostream topics create|list|describe` against the
// real broker, as docs/operations.md ("Topics") shows them: the topic as
// asked, an existing one refused unless --if-not-exists, the list and
// the per-partition description with a group's lag.
func TestTopicsCLI(t *testing.T) {
	broker := kafkatest.RealBroker(t)
	topic, group := kafkatest.Name(t, "raw"), kafkatest.Name(t, "group")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tr := &kafkago.Transport{}
		defer tr.CloseIdleConnections()
		(&kafkago.Client{Addr: kafkago.TCP(broker), Transport: tr}).DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: []string{topic}})
	})
	run := func(wantCode int, args ...string) string {
		t.Helper()
		stdout, stderr, code := cliCode(t, t.Context(), append(args, "--brokers", broker)...)
		if code != wantCode {
			t.Fatalf("neurostream %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout + stderr
	}

	if out := run(0, "topics", "create", topic, "--partitions", "2", "--config", "retention.ms=7200000"); out != "created "+topic+"\n" {
		t.Errorf("create: %q", out)
	}
	if out := run(1, "topics", "create", topic, "--partitions", "2"); !strings.Contains(out, topic) || !strings.Contains(out, "already exists") {
		t.Errorf("create again: %q", out)
	}
	if out := run(0, "topics", "create", topic, "--if-not-exists"); !strings.Contains(out, "exists  "+topic) {
		t.Errorf("create --if-not-exists: %q", out)
	}
	run(2, "topics", "create", topic, "--config", "retention.ms")

	if out := run(0, "topics", "list"); !regexp.MustCompile(`(?m)^TOPIC +PARTITIONS +REPLICATION\n(.*\n)*` + regexp.QuoteMeta(topic) + ` +2 +1\n`).MatchString(out) {
		t.Errorf("list lacks %s with 2 partitions, replication 1:\n%s", topic, out)
	}
	out := run(0, "topics", "describe", topic, "--group", group)
	for _, re := range []string{
		`^topic ` + regexp.QuoteMeta(topic) + `: 2 partitions, retention.ms=7200000\n`,
		`\nPARTITION +LEADER +REPLICAS +ISR +START +END +COMMITTED \(` + regexp.QuoteMeta(group) + `\) +LAG *\n`,
		`\n0 +\d+ \([^)]+:\d+\) +\d+ +\d+ +0 +0 +- +0 *\n`,
		`\n1 +\d+ \([^)]+:\d+\) +\d+ +\d+ +0 +0 +- +0 *\n`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("describe: no match for %s in:\n%s", re, out)
		}
	}
	missing := kafkatest.Name(t, "missing")
	if out := run(1, "topics", "describe", topic, missing); !strings.Contains(out, "neurostream: kafka: topic "+missing) || !strings.HasPrefix(out, "topic "+topic+": 2 partitions") {
		t.Errorf("describe of a missing topic beside %s: %q", topic, out)
	}
}
