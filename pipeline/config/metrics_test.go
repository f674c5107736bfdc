package config

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/simulate"
)

// TestMetricsAddr: metrics.listen without a host serves on 127.0.0.1
// only; other interfaces only where named.
func TestMetricsAddr(t *testing.T) {
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
}

// TestHealthEndpoints: /healthz and /readyz answer 200 while a run goes
// on and 503, naming the error, once a sink failure stopped it.
func TestHealthEndpoints(t *testing.T) {
	var runner atomic.Pointer[pipeline.Runner]
	addr, stop, err := (&Built{}).ServeMetrics("127.0.0.1:0", prometheus.NewRegistry(), runner.Load)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "starting") {
		t.Errorf("/readyz before the run: %d %q", code, body)
	}

	cfg := simulate.DefaultConfig()
	cfg.Duration = 60
	src := pipeline.NewRecordingSource([]pipeline.RecordingSpec{{Session: "s", Name: "sim",
		Open: func() (formats.Recording, error) { return simulate.New(cfg) }}}, pipeline.RecordingSourceConfig{Pace: 4})
	psd, errs := stages.Build("psd", "", nil)
	if errs != nil {
		t.Fatal(errs)
	}
	sink := &gatedSink{fail: make(chan struct{}), err: errors.New("disk full")}
	r, err := pipeline.New(pipeline.Options{Source: src, Stages: []pipeline.StageBuilder{psd}, Sinks: []pipeline.Sink{sink},
		Window: pipeline.WindowSpec{LengthSeconds: 2, HopSeconds: 1}})
	if err != nil {
		t.Fatal(err)
	}
	runner.Store(r)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	time.Sleep(300 * time.Millisecond)
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(p); code != http.StatusOK {
			t.Errorf("%s while running: %d %q", p, code, body)
		}
	}
	close(sink.fail)
	select {
	case err := <-done:
		if !errors.Is(err, sink.err) {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after its sink failed")
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(p); code != http.StatusServiceUnavailable || !strings.Contains(body, "disk full") {
			t.Errorf("%s after the failure: %d %q", p, code, body)
		}
	}
}

// gatedSink accepts writes until fail is closed, then fails them.
type gatedSink struct {
	fail chan struct{}
	err  error
}

func (g *gatedSink) Write(context.Context, []arrowout.Result) error {
	select {
	case <-g.fail:
		return g.err
	default:
		return nil
	}
}
func (g *gatedSink) Close() error { return nil }
