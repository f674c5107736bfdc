package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetricsListenDefault: metrics.listen without a host serves on
// 127.0.0.1 only; other interfaces only where named.
func TestMetricsListenDefault(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{":9464", "127.0.0.1:9464"},
		{"9464", "127.0.0.1:9464"},
		{":0", "127.0.0.1:0"},
		{"127.0.0.1:9464", "127.0.0.1:9464"},
		{"0.0.0.0:9464", "0.0.0.0:9464"},
		{"[::]:9464", "[::]:9464"},
		{"localhost:9464", "localhost:9464"},
	} {
		if got := metricsAddr(tc.in); got != tc.want {
			t.Errorf("metricsAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	f := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(f, []byte(`
source: {simulate: {sessions: 1, duration: 3}}
window: {length: 256, hop: 256}
stages: [{type: psd, nperseg: 128}]
output: {dir: `+filepath.Join(t.TempDir(), "out")+`}
metrics: {listen: ":0"}
`), 0o644)
	var addr string
	metricsHook = func(a string) { addr = a }
	defer func() { metricsHook = nil }()
	if out, err := cli(t, "run", "--config", f); err != nil {
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
