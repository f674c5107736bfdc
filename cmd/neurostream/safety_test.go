package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/cli"
)

// TestMetricsListenDefault: `run` with metrics.listen ":0" serves on
// 127.0.0.1 only (config.TestMetricsAddr checks the other forms).
func TestMetricsListenDefault(t *testing.T) {
	f := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(f, []byte(`
source: {simulate: {sessions: 1, duration: 3}}
window: {length: 256, hop: 256}
stages: [{type: psd, n_per_seg: 128}]
output: {dir: `+filepath.Join(t.TempDir(), "out")+`}
metrics: {listen: ":0"}
`), 0o644)
	var addr string
	metricsHook = func(a string) { addr = a }
	defer func() { metricsHook = nil }()
	if out, err := runMain(t, "run", "--config", f); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Errorf("metrics.listen \":0\" served on %q, want 127.0.0.1 only", addr)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("address %q", addr)
	}
}

// TestSecretFlagsRefused: a password on the command line is refused
// without being repeated; an environment variable that matches no key
// stops replay and run, naming it.
func TestSecretFlagsRefused(t *testing.T) {
	const pw = "Hunter2-on-the-command-line"
	ctx := context.Background()
	for _, args := range [][]string{
		{"replay", "--brokers", "127.0.0.1:1", "--sasl-password", pw, "x.edf"},
		{"replay", "--brokers", "127.0.0.1:1", "--sasl-password=" + pw, "x.edf"},
		{"bench", "latency", "--brokers", "127.0.0.1:1", "--sasl-password", pw},
	} {
		out, errOut, code := cliCode(t, ctx, args...)
		if code != cli.ExitUsage || !strings.Contains(errOut, "--sasl-password: a password on the command line is visible to every user") {
			t.Errorf("%v: exit %d\n%s", args[:2], code, errOut)
		}
		if strings.Contains(out+errOut, pw) {
			t.Errorf("%v: the password is repeated", args[:2])
		}
	}

	t.Setenv("NEUROSTREAM_SOURCE_KAFKA_TLS", "true")
	_, errOut, code := cliCode(t, ctx, "replay", "--brokers", "127.0.0.1:1", "x.edf")
	if code != cli.ExitUsage || !strings.Contains(errOut, "NEUROSTREAM_SOURCE_KAFKA_TLS: environment variable matches no configuration key") {
		t.Errorf("replay: exit %d\n%s", code, errOut)
	}
	f := writeYAML(t, "window: {length: 10, hop: 5}\nsource: {simulate: {sessions: 1}}\nstages: [{type: psd}]")
	out, errOut, code := cliCode(t, ctx, "config", "validate", f)
	if code != cli.ExitUsage || !strings.Contains(out+errOut, "NEUROSTREAM_SOURCE_KAFKA_TLS: environment variable matches no configuration key") {
		t.Errorf("config validate: exit %d\n%s%s", code, out, errOut)
	}
}
