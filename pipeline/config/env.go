package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// BrokersEnv is the environment variable the commands (replay, bench
// kafka, topics) and the local broker (make kafka-up) take the Kafka
// address from: host:port, or a comma-separated list of them. The shipped
// Kafka configurations name it in their broker lists as
// "${NEUROSTREAM_KAFKA:-127.0.0.1:9092}".
const BrokersEnv = "NEUROSTREAM_KAFKA"

// envRef is ${NAME} or ${NAME:-default}, as in a shell or Compose file.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandBrokers replaces ${NAME} and ${NAME:-default} in the entries of
// source.kafka.brokers and output.kafka.brokers by the environment's
// values, so that one file serves every deployment, and splits an entry
// that becomes a comma-separated list (NEUROSTREAM_KAFKA=h1:9092,h2:9092)
// into its addresses. As in a shell, the default replaces a variable that
// is unset or empty. A reference to an unset variable without a default
// is an error naming the key: a broker list that silently lost its
// address would make the source a file source or drop the Kafka output.
//
// NEUROSTREAM_SOURCE_KAFKA_BROKERS and NEUROSTREAM_OUTPUT_KAFKA_BROKERS
// replace the file's list before this runs, so they win over it.
func (c *Config) expandBrokers() error {
	var errs Errors
	for _, l := range []struct {
		key  string
		list *[]string
	}{
		{"source.kafka.brokers", &c.Source.Kafka.Brokers},
		{"output.kafka.brokers", &c.Output.Kafka.Brokers},
	} {
		var out []string
		for i, b := range *l.list {
			var unset []string
			x := envRef.ReplaceAllStringFunc(b, func(ref string) string {
				m := envRef.FindStringSubmatch(ref)
				if v := os.Getenv(m[1]); v != "" {
					return v
				}
				if m[2] == "" {
					unset = append(unset, m[1])
				}
				return m[3]
			})
			if len(unset) > 0 {
				errs = append(errs, keyErr(fmt.Sprintf("%s[%d]", l.key, i), "%q names %s, which is not set; set it, or give a default as in ${%s:-127.0.0.1:9092}", b, strings.Join(unset, ", "), unset[0]))
				continue
			}
			for _, a := range strings.Split(x, ",") {
				if a = strings.TrimSpace(a); a != "" {
					out = append(out, a)
				}
			}
		}
		if *l.list != nil {
			*l.list = out
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
