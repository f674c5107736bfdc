package config

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/neurostream/neurostream/configs"
)

// TestShippedKafkaConfigsFollowNEUROSTREAM_KAFKA: the Kafka configurations
// take their brokers from NEUROSTREAM_KAFKA as the commands do (a list
// too), fall back to the local broker without it, and a key's own
// override (NEUROSTREAM_SOURCE_KAFKA_BROKERS) still wins.
func TestShippedKafkaConfigsFollowNEUROSTREAM_KAFKA(t *testing.T) {
	t.Chdir("../..") // the seizure model's path is relative to the repository
	for _, name := range []string{"kafka.yaml", "seizure-monitor.yaml"} {
		t.Run(name, func(t *testing.T) {
			brokers := func() (src, out []string) {
				t.Helper()
				c, err := Load(configs.FS, name)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Validate(); err != nil {
					t.Fatalf("%s does not validate: %v", name, err)
				}
				return c.Source.Kafka.Brokers, c.Output.Kafka.Brokers
			}
			check := func(what string, got, want []string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("%s: %s brokers %q, want %q", name, what, got, want)
				}
			}
			t.Setenv(BrokersEnv, "")
			src, out := brokers()
			check("unset: source", src, []string{"127.0.0.1:9092"})
			check("unset: output", out, []string{"127.0.0.1:9092"})

			t.Setenv(BrokersEnv, "kafka-1:9092,kafka-2:9092")
			src, out = brokers()
			check("NEUROSTREAM_KAFKA: source", src, []string{"kafka-1:9092", "kafka-2:9092"})
			check("NEUROSTREAM_KAFKA: output", out, []string{"kafka-1:9092", "kafka-2:9092"})

			t.Setenv("NEUROSTREAM_SOURCE_KAFKA_BROKERS", "in:9092")
			t.Setenv("NEUROSTREAM_OUTPUT_KAFKA_BROKERS", "out-1:9092,out-2:9092")
			src, out = brokers()
			check("key overrides: source", src, []string{"in:9092"})
			check("key overrides: output", out, []string{"out-1:9092", "out-2:9092"})
		})
	}
}

// TestBrokerExpansion: ${NAME} and ${NAME:-default} in broker lists, and
// an unset variable without a default named with its key.
func TestBrokerExpansion(t *testing.T) {
	t.Setenv("NS_TEST_HOST", "h")
	t.Setenv("NS_TEST_EMPTY", "")
	c := load(t, `
source: {kafka: {brokers: ["${NS_TEST_HOST}:9092", "${NS_TEST_EMPTY:-d:1}", "plain:2"]}}
output: {dir: "", kafka: {brokers: ["${NS_TEST_UNSET_X:-a:1,b:2}"]}}
`)
	if got, want := c.Source.Kafka.Brokers, []string{"h:9092", "d:1", "plain:2"}; !slices.Equal(got, want) {
		t.Errorf("source: %q, want %q", got, want)
	}
	if got, want := c.Output.Kafka.Brokers, []string{"a:1", "b:2"}; !slices.Equal(got, want) {
		t.Errorf("output: %q, want %q", got, want)
	}
	if c := load(t, `output: {dir: out}`); c.Output.Kafka.Brokers != nil || c.Source.Kafka.Brokers != nil {
		t.Errorf("no brokers became %q, %q", c.Source.Kafka.Brokers, c.Output.Kafka.Brokers)
	}

	_, err := Load(fstest.MapFS{"p.yaml": {Data: []byte(`
source: {kafka: {brokers: [ok:1, "${NS_TEST_UNSET_Y}"]}}
`)}}, "p.yaml")
	if err == nil || !strings.Contains(err.Error(), `source.kafka.brokers[1]: "${NS_TEST_UNSET_Y}" names NS_TEST_UNSET_Y, which is not set`) {
		t.Errorf("unset variable: %v", err)
	}
}
