package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

const secret = "Corr3ct-Horse-Battery-Staple"

// kafkaYAML is a Kafka pipeline; %s is the kafka.security block's body.
const kafkaYAML = `
source: {kafka: {brokers: [127.0.0.1:19192], topic: in}}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd}]
output: {dir: "", kafka: {brokers: [127.0.0.1:19192]}}
kafka:
  security:
%s
`

func loadText(yaml string) (*Config, error) {
	return Load(fstest.MapFS{"p.yaml": {Data: []byte(yaml)}}, "p.yaml")
}

// securityFiles writes a CA certificate and a password file into a new
// temporary folder, dir.
func securityFiles(t *testing.T) (dir, caFile, pwFile string) {
	t.Helper()
	dir = t.TempDir()
	now := time.Now()
	ca, err := kafkatest.NewCA("ca", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, ca.PEM, 0o600)
	pwFile = filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte(secret+"\n"), 0o600)
	return dir, caFile, pwFile
}

// TestKafkaSecurityKeys: kafka.security reaches both Kafka connections,
// from the file and from NEUROSTREAM_KAFKA_SECURITY_* variables; the
// password only from the environment or a file of its own, and it is
// neither in the provenance nor in any error.
func TestKafkaSecurityKeys(t *testing.T) {
	dir, caFile, pwFile := securityFiles(t)
	t.Run("file", func(t *testing.T) { testSecurityFile(t, caFile, pwFile) })
	t.Run("environment", func(t *testing.T) { testSecurityEnvironment(t, caFile) })
	t.Run("password in the file", testSecurityPasswordInFile)
	t.Run("errors name keys", func(t *testing.T) { testSecurityErrors(t, dir, caFile, pwFile) })
	t.Run("no password", testSecurityNoPassword)
}

func testSecurityFile(t *testing.T, caFile, pwFile string) {
	c, err := loadText(strings.ReplaceAll(kafkaYAML, "%s", `
    protocol: SASL_SSL
    tls: {ca_file: `+caFile+`, server_name: kafka.internal, min_version: "1.3"}
    sasl: {mechanism: SCRAM-SHA-512, username: pipeline, password_file: `+pwFile+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	k, err := c.KafkaConnection([]string{"b:1"})
	if err != nil {
		t.Fatal(err)
	}
	if k.TLS == nil || k.TLS.ServerName != "kafka.internal" || k.TLS.RootCAs == nil || k.SASL == nil || k.SASL.Name() != "SCRAM-SHA-512" {
		t.Errorf("connection TLS %+v SASL %v", k.TLS, k.SASL)
	}
	if strings.Contains(c.Provenance()[MetaConfig], secret) {
		t.Error("the provenance holds the password")
	}
}

func testSecurityEnvironment(t *testing.T, caFile string) {
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_TLS_CA_FILE", caFile)
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_MECHANISM", "PLAIN")
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_USERNAME", "pipeline")
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", secret)
	c, err := loadText(strings.ReplaceAll(kafkaYAML, "%s", "    protocol: plaintext"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s := c.Kafka.Security
	if s.Protocol != "sasl_ssl" || s.TLS.CAFile != caFile || s.SASL.Mechanism != "PLAIN" || s.SASL.Username != "pipeline" || string(s.SASL.Password) != secret {
		t.Errorf("environment not applied: %+v", s)
	}
	prov := c.Provenance()[MetaConfig]
	if strings.Contains(prov, secret) || !strings.Contains(prov, `"password":"[redacted]"`) {
		t.Errorf("provenance: %s", prov)
	}
	// The same from the environment alone (replay, bench).
	e, err := LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	if e.Kafka.Security != s {
		t.Errorf("LoadEnv: %+v, want %+v", e.Kafka.Security, s)
	}
}

func testSecurityPasswordInFile(t *testing.T) {
	_, err := loadText(strings.ReplaceAll(kafkaYAML, "%s", "    sasl: {mechanism: PLAIN, username: u, password: "+secret+"}"))
	if err == nil || !strings.Contains(err.Error(), "kafka.security.sasl.password: a password does not belong in a configuration file") {
		t.Fatalf("got %v, want the password key refused", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error repeats the password: %v", err)
	}
}

func testSecurityErrors(t *testing.T, dir, caFile, pwFile string) {
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", secret)
	c, err := loadText(strings.ReplaceAll(kafkaYAML, "%s", `
    protocol: ssl
    tls: {ca_file: `+filepath.Join(dir, "missing.pem")+`, cert_file: `+caFile+`}
    sasl: {mechanism: SCRAM-SHA-1, password_file: `+pwFile+`}`))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate: %v", err)
	}
	got := err.Error()
	for _, want := range []string{
		"kafka.security.tls.ca_file: open " + filepath.Join(dir, "missing.pem"),
		"kafka.security.tls.key_file: required with kafka.security.tls.cert_file",
		"kafka.security.sasl.mechanism: set, but kafka.security.protocol is ssl, which does not use SASL",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(got, secret) {
		t.Errorf("an error repeats the password")
	}
	if strings.Contains(got, "TLS.") || strings.Contains(got, "SASL.") {
		t.Errorf("Go field names in %s", got)
	}
	t.Logf("%v", err)
}

func testSecurityNoPassword(t *testing.T) {
	c, err := loadText(strings.ReplaceAll(kafkaYAML, "%s", "    sasl: {mechanism: PLAIN, username: u}"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD: required with kafka.security.sasl.mechanism PLAIN: give NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or kafka.security.sasl.password_file") {
		t.Errorf("got %v", err)
	}
}

// TestUnknownEnvironment: a NEUROSTREAM_ variable that matches no key is
// an error naming it and the keys it may have meant, without its value.
func TestUnknownEnvironment(t *testing.T) {
	const yaml = "source: {simulate: {sessions: 1}}\nwindow: {length: 10, hop: 5}\nstages: [{type: psd}]\n"
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"NEUROSTREAM_SOURCE_KAFKA_TLS", []string{"NEUROSTREAM_SOURCE_KAFKA_TLS: environment variable matches no configuration key", "did you mean NEUROSTREAM_KAFKA_SECURITY_TLS_"}},
		{"NEUROSTREAM_WORKRES", []string{"did you mean NEUROSTREAM_WORKERS?"}},
		{"NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWROD", []string{"did you mean NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD"}},
		{"NEUROSTREAM_STAGES", []string{"NEUROSTREAM_STAGES: environment variable matches no configuration key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.name, secret)
			_, err := loadText(yaml)
			if err == nil {
				t.Fatalf("%s=… accepted", tc.name)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\nlacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error repeats the value: %v", err)
			}
			if _, err := LoadEnv(); err == nil {
				t.Errorf("LoadEnv accepted %s", tc.name)
			}
		})
	}
	t.Run("known", func(t *testing.T) {
		t.Setenv("NEUROSTREAM_KAFKA", "127.0.0.1:9092")
		t.Setenv("NEUROSTREAM_TEST_ANYTHING", "1")
		t.Setenv("NEUROSTREAM_OUTPUT_DIR", t.TempDir())
		if _, err := loadText(yaml); err != nil {
			t.Fatal(err)
		}
	})
}
