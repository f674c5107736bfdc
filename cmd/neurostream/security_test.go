//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// syncBuffer is a bytes.Buffer safe to read while loggers or a command
// on other goroutines write it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secCLI runs neurostream in-process with debug logging (-v: kafka-go's
// own log too) and returns stdout, stderr with the final error line, and
// the exit code.
func secCLI(ctx context.Context, args ...string) (stdout, stderr string, code int) {
	root := newRoot()
	var out, errb syncBuffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{"-v"}, args...))
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(&errb, "neurostream:", err)
	}
	return out.String(), errb.String(), cli.ExitCode(err)
}

// secretsAbsent fails t if any secret occurs in any text.
func secretsAbsent(t *testing.T, what string, secrets []string, texts ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, text := range texts {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s holds a secret: …%s…", what, text[max(0, i-80):i])
			}
		}
	}
}

const securePipelineYAML = `name: secure
workers: 2
source:
  kafka: {brokers: [%q], topic: %q, group_id: %q}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd, n_per_seg: 256}]
output:
  dir: %q
  kafka: {brokers: [%q], topic_prefix: %q, dead_letter_topic: %q}
metrics: {listen: "127.0.0.1:0"}
kafka:
  security:
%s
`

// secPipeline is one case's topics, group and configuration file.
type secPipeline struct {
	input, prefix, dead, group, out, cfg string
	results                              []string
}

func newSecPipeline(t *testing.T, b *kafkatest.SecureBroker, addr, security string) *secPipeline {
	t.Helper()
	dir := t.TempDir()
	p := &secPipeline{
		input: kafkatest.Name(t, "raw"), prefix: kafkatest.Name(t, "results") + ".", dead: kafkatest.Name(t, "dead"),
		group: kafkatest.Name(t, "group"), out: filepath.Join(dir, "out"), cfg: filepath.Join(dir, "pipeline.yaml"),
	}
	p.results = pkafka.ResultTopics(p.prefix, arrowout.KindPSD, arrowout.KindBandPower, arrowout.KindSessionEnd)
	y := fmt.Sprintf(securePipelineYAML, addr, p.input, p.group, p.out, addr, p.prefix, p.dead, security)
	if err := os.WriteFile(p.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// plainTopics creates topics through the plaintext listener.
func plainTopics(t *testing.T, b *kafkatest.SecureBroker, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := pkafka.EnsureTopics(ctx, pkafka.Connection{Brokers: []string{b.Plaintext}}, topics, 1); err != nil {
		t.Fatal(err)
	}
}

// committed returns the group's committed offset of partition 0 of topic
// (−1: none), through the plaintext listener.
func committed(t *testing.T, b *kafkatest.SecureBroker, group, topic string) int64 {
	t.Helper()
	cl, done := pkafka.Connection{Brokers: []string{b.Plaintext}}.NewClient()
	defer done()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := cl.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Topics[topic] {
		return p.CommittedOffset
	}
	return -1
}

// topicExists reports whether topic exists, through the plaintext listener.
func topicExists(t *testing.T, b *kafkatest.SecureBroker, topic string) bool {
	t.Helper()
	cl, done := pkafka.Connection{Brokers: []string{b.Plaintext}}.NewClient()
	defer done()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	return len(md.Topics) == 1 && md.Topics[0].Error == nil
}

// TestKafkaSecurity runs replay, run and bench against a broker with a
// SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), an mTLS
// listener and a listener with an expired certificate: every mechanism
// carries a pipeline end to end; each wrong setting ends the command with
// one error naming the cause, and nothing is consumed, committed or
// written; no password appears in any output, log line, /metrics or
// result file.
func TestKafkaSecurity(t *testing.T) {
	b := kafkatest.StartSecureBroker(t)
	dir := t.TempDir()
	e := &secEnv{b: b, dir: dir, rec: filepath.Join(dir, "patient-0042.edf"), pwFile: filepath.Join(dir, "password"), ca: b.File("ca.pem")}
	ktSim(t, e.rec, 7, 6, 0) // 6 s: 5 windows of 2 s every 1 s
	os.WriteFile(e.pwFile, []byte(b.Password+"\n"), 0o600)
	e.secrets = []string{b.Password, secWrongPassword}
	ca := e.ca

	t.Run("mechanisms", func(t *testing.T) {
		for _, mc := range []secMechanism{
			{name: "PLAIN", addr: b.SASLSSL},
			{name: "SCRAM-SHA-256", addr: b.SASLSSL, pwFile: true},
			{name: "SCRAM-SHA-512", addr: b.SASLSSL, pseudonyms: true},
			{name: "mTLS", addr: b.MTLS},
		} {
			t.Run(mc.name, func(t *testing.T) { e.mechanism(t, mc) })
		}
	})

	// Each failure: one error naming the cause, and nothing consumed,
	// committed or written.
	t.Run("failures", func(t *testing.T) {
		for _, fc := range []secFailure{
			{"wrong password SCRAM-SHA-512", b.SASLSSL, fmt.Sprintf("    tls: {ca_file: %q}\n    sasl: {mechanism: SCRAM-SHA-512, username: %s}", ca, b.Username), secWrongPassword, cli.ExitFailed,
				[]string{`SASL authentication of user "neurostream" with SCRAM-SHA-512 failed with the brokers at ` + b.SASLSSL, "wrong user name or password"}},
			{"wrong password PLAIN", b.SASLSSL, fmt.Sprintf("    tls: {ca_file: %q}\n    sasl: {mechanism: PLAIN, username: %s}", ca, b.Username), secWrongPassword, cli.ExitFailed,
				[]string{`SASL authentication of user "neurostream" with PLAIN failed`, "Invalid username or password"}},
			{"unknown user SCRAM-SHA-256", b.SASLSSL, fmt.Sprintf("    tls: {ca_file: %q}\n    sasl: {mechanism: SCRAM-SHA-256, username: mallory}", ca), b.Password, cli.ExitFailed,
				[]string{`SASL authentication of user "mallory" with SCRAM-SHA-256 failed`}},
			{"untrusted CA", b.SASLSSL, fmt.Sprintf("    tls: {ca_file: %q}\n    sasl: {mechanism: PLAIN, username: %s}", b.File("untrusted-ca.pem"), b.Username), b.Password, cli.ExitFailed,
				[]string{"TLS: the certificate of the brokers at " + b.SASLSSL, "is not signed by an authority in " + b.File("untrusted-ca.pem") + " (untrusted CA)"}},
			{"expired server certificate", b.Expired, fmt.Sprintf("    tls: {ca_file: %q}", ca), "", cli.ExitFailed,
				[]string{"TLS: the certificate of the brokers at " + b.Expired, "has expired or is not yet valid"}},
			{"expired client certificate", b.MTLS, fmt.Sprintf("    tls: {ca_file: %q, cert_file: %q, key_file: %q}", ca, b.File("expired-client.pem"), b.File("expired-client-key.pem")), "", cli.ExitUsage,
				[]string{"kafka.security.tls.cert_file: " + b.File("expired-client.pem") + ": the client certificate (CN=neurostream client (expired)", "expired at"}},
			{"no client certificate", b.MTLS, fmt.Sprintf("    tls: {ca_file: %q}", ca), "", cli.ExitFailed,
				[]string{"TLS: the brokers at " + b.MTLS + " refused the connection without a client certificate"}},
			{"client certificate of another CA", b.MTLS, fmt.Sprintf("    tls: {ca_file: %q, cert_file: %q, key_file: %q}", ca, b.File("untrusted-client.pem"), b.File("untrusted-client-key.pem")), "", cli.ExitFailed,
				[]string{"TLS: the brokers at " + b.MTLS + " rejected the client certificate " + b.File("untrusted-client.pem")}},
			{"plaintext client", b.SASLSSL, "    protocol: plaintext", "", cli.ExitFailed,
				[]string{"the brokers at " + b.SASLSSL + " expect TLS, but the protocol is plaintext"}},
		} {
			t.Run(fc.name, func(t *testing.T) { e.failure(t, fc) })
		}
	})

	// A file pipeline whose only Kafka connection is its output stops with
	// the cause rather than retrying a refused password or certificate
	// forever.
	for _, oc := range []secOutputFailure{
		{"output only, wrong password", b.SASLSSL, fmt.Sprintf("{tls: {ca_file: %q}, sasl: {mechanism: SCRAM-SHA-512, username: %s}}", ca, b.Username), secWrongPassword,
			`SASL authentication of user "neurostream" with SCRAM-SHA-512 failed`},
		{"output only, no client certificate", b.MTLS, fmt.Sprintf("{tls: {ca_file: %q}}", ca), "",
			"refused the connection without a client certificate"},
	} {
		t.Run(oc.name, func(t *testing.T) { e.outputFailure(t, oc) })
	}

	t.Run("replay wrong password", e.replayWrongPassword)
	t.Run("bench", e.bench)
}

// secWrongPassword is TestKafkaSecurity's wrong password.
const secWrongPassword = "Wr0ng-But-Plausible-Passw0rd"

// secEnv is TestKafkaSecurity's broker and files: the recording rec, the
// password in pwFile, the CA, and the secrets no output may hold.
type secEnv struct {
	b                    *kafkatest.SecureBroker
	dir, rec, pwFile, ca string
	secrets              []string
}

// sasl returns the flags and the kafka.security body of a mechanism;
// the password comes from pwFile, else the environment.
func (e *secEnv) sasl(mech, pwFile string) (flags []string, yaml string) {
	flags = []string{"--tls-ca-file", e.ca, "--sasl-mechanism", mech, "--sasl-username", e.b.Username}
	yaml = fmt.Sprintf("    tls: {ca_file: %q}\n    sasl: {mechanism: %s, username: %s", e.ca, mech, e.b.Username)
	if pwFile != "" {
		flags = append(flags, "--sasl-password-file", pwFile)
		yaml += fmt.Sprintf(", password_file: %q", pwFile)
	}
	return flags, yaml + "}"
}

// secMechanism is a way to connect: a SASL mechanism (the password from
// a file or the environment) or mTLS, with pseudonymised sessions or not.
type secMechanism struct {
	name, addr string
	pwFile     bool // else the environment
	pseudonyms bool
}

// flags returns the command-line flags and the kafka.security body of
// mc, setting the password's environment variable where it comes from
// there.
func (e *secEnv) flags(t *testing.T, mc secMechanism) (flags []string, yaml string) {
	switch {
	case mc.name == "mTLS":
		flags = []string{"--tls-ca-file", e.ca, "--tls-cert-file", e.b.File("client.pem"), "--tls-key-file", e.b.File("client-key.pem")}
		yaml = fmt.Sprintf("    tls: {ca_file: %q, cert_file: %q, key_file: %q}", e.ca, e.b.File("client.pem"), e.b.File("client-key.pem"))
	case mc.pwFile:
		flags, yaml = e.sasl(mc.name, e.pwFile)
	default:
		flags, yaml = e.sasl(mc.name, "")
		t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", e.b.Password)
	}
	if mc.pseudonyms {
		key := filepath.Join(e.dir, "pseudonym.key")
		os.WriteFile(key, []byte("0123456789abcdef0123456789abcdef-test-key"), 0o600)
		flags = append(flags, "--pseudonym-key-file", key)
	}
	return flags, yaml
}

// mechanism carries the recording through replay and run over mc: every
// result arrives, every chunk is committed, and no secret shows.
func (e *secEnv) mechanism(t *testing.T, mc secMechanism) {
	flags, yaml := e.flags(t, mc)
	p := newSecPipeline(t, e.b, mc.addr, yaml)
	session := "patient-0042"
	// Chunks in: replay creates the topic over the secured listener.
	rout, rerr, code := secCLI(t.Context(), append([]string{"replay", "--brokers", mc.addr, "--topic", p.input, "--events-topic", "",
		"--partitions", "1", "--pace", "0", "--quiet", e.rec}, flags...)...)
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s%s", code, rout, rerr)
	}
	secretsAbsent(t, "replay output", e.secrets, rout, rerr)
	in := ktRead(t, e.b.Plaintext, p.input)
	waitFor(t, 10*time.Second, "24 chunks", func() bool { return in.len() >= 24 })
	if mc.pseudonyms {
		session = checkPseudonymised(t, in.snapshot(), "patient-0042")
	}

	// Results out: a pipeline on the same listener.
	plainTopics(t, e.b, p.results...)
	results := ktRead(t, e.b.Plaintext, p.results...)
	r, metrics := secRun(t, p, func() bool { return results.len() >= 11 })
	if r.code != 0 {
		t.Errorf("run: exit %d\n%s%s", r.code, r.out, r.err)
	}
	kinds := map[string]int{}
	for _, m := range results.snapshot() {
		kinds[resultHeader(&m, pkafka.HeaderKind)]++
		if !strings.HasPrefix(resultHeader(&m, pkafka.HeaderIdempotencyKey), session+"/") {
			t.Errorf("result %s: not of session %s", resultHeader(&m, pkafka.HeaderIdempotencyKey), session)
		}
	}
	if kinds["psd"] != 5 || kinds["bandpower"] != 5 || kinds["session_end"] != 1 {
		t.Errorf("results by kind %v, want 5 psd, 5 bandpower, 1 session_end", kinds)
	}
	if got := committed(t, e.b, p.group, p.input); got != 24 {
		t.Errorf("committed offset %d, want 24 (every chunk)", got)
	}
	// Nothing holds a secret: output, debug log, /metrics, the result
	// files with their provenance.
	files := fileContents(p.out)
	if len(files) == 0 {
		t.Error("no result files")
	}
	secretsAbsent(t, "run output and log", e.secrets, r.out, r.err)
	secretsAbsent(t, "/metrics", e.secrets, metrics)
	secretsAbsent(t, "result files", e.secrets, files...)
	if mc.pseudonyms {
		secretsAbsent(t, "result files", []string{"patient-0042"}, files...)
	}
	t.Logf("%s: %d results, committed 24; log %d bytes, /metrics %d bytes: no secret", mc.name, results.len(), len(r.err), len(metrics))
}

// secResult is how a command ended.
type secResult struct {
	out, err string
	code     int
}

// secRun runs p's pipeline until done holds (60 s at most), checking on
// the way that its source is ready by /metrics, then stops it; it returns
// how it ended and the /metrics page.
func secRun(t *testing.T, p *secPipeline, done func() bool) (secResult, string) {
	t.Helper()
	addr := make(chan string, 1)
	metricsHook = func(a string) { addr <- a }
	defer func() { metricsHook = nil }()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ended := make(chan secResult, 1)
	go func() {
		o, e, c := secCLI(ctx, "run", "--config", p.cfg)
		ended <- secResult{o, e, c}
	}()
	var metricsURL string
	select {
	case a := <-addr:
		metricsURL = "http://" + a + "/metrics"
	case r := <-ended:
		t.Fatalf("run ended: exit %d\n%s%s", r.code, r.out, r.err)
	}
	select {
	case r := <-ended:
		t.Fatalf("run ended: exit %d\n%s%s", r.code, r.out, r.err)
	default:
	}
	waitFor(t, 60*time.Second, "11 results", done)
	metrics := get(t, metricsURL)
	if !strings.Contains(metrics, "neurostream_kafka_source_ready 1") {
		t.Errorf("/metrics: source not ready")
	}
	cancel()
	var r secResult
	select {
	case r = <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop within 30 s of its context")
	}
	return r, metrics
}

// fileContents returns the contents of every file below dir.
func fileContents(dir string) []string {
	var files []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(path)
			files = append(files, string(b))
		}
		return nil
	})
	return files
}

// secFailure is a wrong setting of a pipeline's Kafka source and output.
type secFailure struct {
	name, addr string
	security   string // kafka.security body
	password   string // NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD
	code       int
	want       []string
}

// failure runs a pipeline set up as fc over chunks waiting in its input:
// it ends by itself with exit code fc.code and an error saying fc.want,
// no secret, nothing consumed, committed or written.
func (e *secEnv) failure(t *testing.T, fc secFailure) {
	b := e.b
	p := newSecPipeline(t, b, fc.addr, fc.security)
	// Chunks waiting in the input topic (written in plaintext).
	plainTopics(t, b, p.input)
	if out, errOut, code := secCLI(t.Context(), "replay", "--brokers", b.Plaintext, "--topic", p.input, "--events-topic", "", "--pace", "0", "--quiet", e.rec); code != 0 {
		t.Fatalf("replay: exit %d\n%s%s", code, out, errOut)
	}
	if fc.password != "" {
		t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", fc.password)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	t0 := time.Now()
	out, errOut, code := secCLI(ctx, "run", "--config", p.cfg)
	if ctx.Err() != nil {
		t.Fatalf("run did not end by itself within 60 s (it retried?):\n%s", errOut)
	}
	last := errOut[strings.LastIndex(strings.TrimSpace(errOut), "\n")+1:]
	if code != fc.code {
		t.Errorf("exit %d, want %d", code, fc.code)
	}
	for _, w := range fc.want {
		if !strings.Contains(last, w) {
			t.Errorf("the error lacks %q:\n%s", w, last)
		}
	}
	secretsAbsent(t, "run output and log", e.secrets, out, errOut)
	if got := committed(t, b, p.group, p.input); got != -1 {
		t.Errorf("committed offset %d: something was consumed", got)
	}
	for _, topic := range append(p.results, p.dead) {
		if topicExists(t, b, topic) {
			t.Errorf("topic %s exists: something was written", topic)
		}
	}
	t.Logf("after %v: %s", time.Since(t0).Round(time.Millisecond), strings.TrimSpace(last))
}

// secOutputFailure is a wrong setting of a file pipeline's Kafka output.
type secOutputFailure struct {
	name, addr, security, password, want string
}

// outputFailure runs a file pipeline with its results to Kafka set up as
// oc: it ends with the cause, no secret, nothing written.
func (e *secEnv) outputFailure(t *testing.T, oc secOutputFailure) {
	prefix := kafkatest.Name(t, "results") + "."
	f := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(f, []byte(fmt.Sprintf(`source: {files: {paths: [%q]}}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd, n_per_seg: 256}]
output: {dir: "", kafka: {brokers: [%q], topic_prefix: %q, dead_letter_topic: %q}}
kafka: {security: %s}
`, e.rec, oc.addr, prefix, prefix+"dead", oc.security)), 0o600)
	if oc.password != "" {
		t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", oc.password)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out, errOut, code := secCLI(ctx, "run", "--config", f)
	if ctx.Err() != nil || code != cli.ExitFailed || !strings.Contains(errOut, oc.want) {
		t.Errorf("exit %d (context %v):\n%s", code, ctx.Err(), errOut[max(0, len(errOut)-2000):])
	}
	secretsAbsent(t, "run output and log", e.secrets, out, errOut)
	if topicExists(t, e.b, prefix+"psd") {
		t.Error("results were written")
	}
}

// replayWrongPassword: replay with a wrong password fails naming the
// cause and creates no topic.
func (e *secEnv) replayWrongPassword(t *testing.T) {
	topic := kafkatest.Name(t, "raw")
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", secWrongPassword)
	flags, _ := e.sasl("SCRAM-SHA-256", "")
	out, errOut, code := secCLI(t.Context(), append([]string{"replay", "--brokers", e.b.SASLSSL, "--topic", topic, "--events-topic", "", "--pace", "0", e.rec}, flags...)...)
	if code != cli.ExitFailed || !strings.Contains(errOut, `SASL authentication of user "neurostream" with SCRAM-SHA-256 failed`) {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	secretsAbsent(t, "replay output", e.secrets, out, errOut)
	if topicExists(t, e.b, topic) {
		t.Error("replay created its topic")
	}
}

// bench: bench throughput over SCRAM-SHA-512 decides every window and
// shows no secret.
func (e *secEnv) bench(t *testing.T) {
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", e.b.Password)
	flags, _ := e.sasl("SCRAM-SHA-512", "")
	out, errOut, code := secCLI(t.Context(), append([]string{"bench", "throughput", "--brokers", e.b.SASLSSL, "--sessions", "1", "--seconds", "4", "--partitions", "1", "--json"}, flags...)...)
	if code != 0 {
		t.Fatalf("bench throughput: exit %d\n%s%s", code, out, errOut[max(0, len(errOut)-3000):])
	}
	var tp throughputReport
	if err := json.Unmarshal([]byte(out), &tp); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if tp.Windows != 3 || tp.WindowsMissing != 0 {
		t.Errorf("throughput report %+v", tp)
	}
	secretsAbsent(t, "bench output", e.secrets, out, errOut)
}

// checkPseudonymised checks that the chunks carry a pseudonym of id as
// key and session, nowhere id itself, and returns the pseudonym.
func checkPseudonymised(t *testing.T, msgs []kafkago.Message, id string) string {
	t.Helper()
	dec := wire.NewDecoder(memory.DefaultAllocator)
	var c wire.Chunk
	var ps string
	for _, m := range msgs {
		if err := dec.Decode(&c, m.Value); err != nil {
			t.Fatal(err)
		}
		if ps == "" {
			ps = c.Session
		}
		if string(m.Key) != ps || c.Session != ps || !strings.HasPrefix(ps, "ps-") || len(ps) != 3+32 {
			t.Fatalf("chunk key %q session %q: want one pseudonym ps-<32 hex>", m.Key, c.Session)
		}
		if bytes.Contains(m.Value, []byte(id)) || bytes.Contains(m.Key, []byte(id)) {
			t.Fatalf("a chunk holds the session id %q", id)
		}
	}
	return ps
}

func get(t *testing.T, url string) string {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}
