package config

import (
	"strings"
	"testing"
	"time"
)

// TestCheckpointKeys: a Kafka source checkpoints by default to
// output.kafka.topic_prefix + "state" with the runtime's interval;
// source.kafka.checkpoints: false turns it off, state_topic and
// checkpoint_interval_seconds set the topic and interval, and a negative
// interval is refused with its key.
func TestCheckpointKeys(t *testing.T) {
	const src = "source: {kafka: {brokers: [127.0.0.1:9092], topic: in, group_id: g%s}}\noutput: {dir: \"\", kafka: {brokers: [127.0.0.1:9092], topic_prefix: p.}}\nwindow: {length_seconds: 2, hop_seconds: 1}\nstages: [{type: psd}]\n"
	for _, tc := range []struct {
		extra    string
		topic    string // "" : no state store
		interval time.Duration
	}{
		{"", "p.state", 0},
		{", checkpoints: false", "", 0},
		{", state_topic: s, checkpoint_interval_seconds: 0.5", "s", 500 * time.Millisecond},
	} {
		c := load(t, strings.Replace(src, "%s", tc.extra, 1))
		if err := c.Validate(); err != nil {
			t.Fatalf("%q: %v", tc.extra, err)
		}
		b, err := c.Build(nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.extra, err)
		}
		switch {
		case tc.topic == "" && (b.State != nil || b.Options.State != nil):
			t.Errorf("%q: a state store", tc.extra)
		case tc.topic != "" && (b.State == nil || b.Options.State == nil || b.State.Topic() != tc.topic):
			t.Errorf("%q: state store %v, want topic %s", tc.extra, b.State, tc.topic)
		case b.Options.CheckpointInterval != tc.interval:
			t.Errorf("%q: interval %v, want %v", tc.extra, b.Options.CheckpointInterval, tc.interval)
		}
	}
	err := load(t, strings.Replace(src, "%s", ", checkpoint_interval_seconds: -1", 1)).Validate()
	if err == nil || !strings.Contains(err.Error(), "source.kafka.checkpoint_interval_seconds") {
		t.Errorf("a negative interval: %v, want an error naming source.kafka.checkpoint_interval_seconds", err)
	}
}
