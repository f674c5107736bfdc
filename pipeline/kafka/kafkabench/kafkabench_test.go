package kafkabench

import (
	"bytes"
	"cmp"
	"encoding/json"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestRun runs both modes briefly and checks their counts (not their
// figures: they are benchmarks, not timed tests) and text.
func TestRun(t *testing.T) {
	broker := kafkatest.Broker(t)
	cfg := DefaultConfig(Latency)
	cfg.Brokers, cfg.Sessions, cfg.Seconds, cfg.Pace, cfg.Partitions, cfg.Logger = []string{broker}, 2, 4, 2, 2, quiet()
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("latency: %v", err)
	}
	lat := rep.(*LatencyReport)
	// 4 s at 256 Hz, 2 s windows every 0.25 s: 9 per session.
	if lat.WindowsExpected != 18 || lat.N != 18 || lat.WindowsMissing != 0 || lat.Duplicates != 0 || !(lat.P50Ms > 0 && lat.P50Ms <= lat.P99Ms && lat.P99Ms <= lat.MaxMs) {
		t.Errorf("latency report %+v", lat)
	}
	// to_consumer may be below 0: a consumer can read a record before
	// the producer has the broker's acknowledgement.
	for _, st := range []string{"to_sink", "sink_write", "to_consumer"} {
		if s := lat.Stages[st]; !(s.P50Ms <= s.P99Ms && s.P99Ms <= s.MaxMs) || (st != "to_consumer" && !(s.P50Ms > 0)) {
			t.Errorf("stage %s: %+v", st, s)
		}
	}
	// The slowest windows, slowest first; the first is the maximum.
	if len(lat.Slowest) != slowestShown || lat.Slowest[0].Ms != lat.MaxMs ||
		!slices.IsSortedFunc(lat.Slowest, func(a, b SlowWindow) int { return cmp.Compare(b.Ms, a.Ms) }) {
		t.Errorf("slowest windows %+v (max %v ms)", lat.Slowest, lat.MaxMs)
	}
	var text bytes.Buffer
	lat.WriteText(&text)
	if !regexp.MustCompile(`(?s)^latency, chunk produced → window result consumed \(2 sessions × 19 channels at 256 Hz, 4 s each, pace 2, sessions spread over the chunk period, [^\n]*, result topics warmed\):\n  n 18  p50 .* ms  p90 .* p99 .*\n    to_sink .*\n    sink_write .*\n    to_consumer [^\n]*\n(    slow bench-[12] +window [0-9]+ +at +[0-9.]+ s  [0-9.]+ ms \(to_sink [^\n]*\n){5}  windows: 18 expected, 0 missing, 0 duplicates; 0 dead letters\n$`).Match(text.Bytes()) {
		t.Errorf("latency text:\n%s", text.String())
	}
	t.Logf("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (n %d)", lat.P50Ms, lat.P99Ms, lat.MaxMs, lat.N)
	checkThroughputRun(t, broker)
}

// checkThroughputRun runs Throughput briefly and checks its counts and
// text (TestRun).
func checkThroughputRun(t *testing.T, broker string) {
	cfg := DefaultConfig(Throughput)
	cfg.Brokers, cfg.Sessions, cfg.Seconds, cfg.Partitions, cfg.Logger = []string{broker}, 2, 10, 2, quiet()
	cfg.CPUProfile = t.TempDir() + "/cpu.pprof"
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("throughput: %v", err)
	}
	tp := rep.(*ThroughputReport)
	if tp.ChannelSamples != 2*19*2560 || tp.Windows != 2*9 || tp.ResultRecords != 2*9*2 || tp.WindowsMissing != 0 || tp.Chunks != 80 || tp.ChunkBytes == 0 ||
		!(tp.ChannelSamplesS > 0) || tp.RequiredS != 2*19*256 || tp.KeptRealTime != (tp.RealTimeFactor >= 1) ||
		tp.Duplicates != 0 || tp.Malformed != 0 || !(tp.CPUSeconds > 0) || tp.CPUPerWindowMs != 1e3*tp.CPUSeconds/18 {
		t.Errorf("throughput report %+v", tp)
	}
	if st, err := os.Stat(cfg.CPUProfile); err != nil || st.Size() == 0 {
		t.Errorf("CPU profile: %v", err)
	}
	var text bytes.Buffer
	tp.WriteText(&text)
	if !strings.HasPrefix(text.String(), "throughput (2 sessions × 19 channels at 256 Hz, 10 s each, 0.25 s chunks, 2 s windows every 1 s, 2 partitions, 2 workers):\n  published 80 chunks") ||
		!regexp.MustCompile(`\n  18 windows, 0 missing, 0 duplicate and 0 malformed records, 0 dead letters\n  this process used [0-9.]+ CPU-s while processing: [0-9.]+ CPU-ms per window \(the broker not counted\)\n$`).MatchString(text.String()) {
		t.Errorf("throughput text:\n%s", text.String())
	}
	t.Logf("throughput: %.3g channel-samples/s, %.1f× real time", tp.ChannelSamplesS, tp.RealTimeFactor)
}

// TestReportJSON: the reports' JSON keys, in order, as `bench … --json`
// printed them before the shared Setup was factored out.
func TestReportJSON(t *testing.T) {
	keys := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, m := range regexp.MustCompile(`"([a-z0-9_]+)":`).FindAllSubmatch(b, -1) {
			ks = append(ks, string(m[1]))
		}
		return strings.Join(ks, " ")
	}
	setup := "brokers sessions channels sample_rate seconds chunk_seconds window_seconds hop_seconds "
	if got, want := keys(&LatencyReport{Stages: map[string]LatencySummary{"to_sink": {}}, Slowest: []SlowWindow{{}}}), setup+
		"pace aligned fresh_topics partitions workers windows_expected windows_missing duplicates dead_letters n p50_ms p90_ms p99_ms max_ms mean_ms stages to_sink p50_ms p99_ms max_ms slowest session window at_seconds ms to_sink_ms sink_write_ms to_consumer_ms"; got != want {
		t.Errorf("latency JSON keys\n got %s\nwant %s", got, want)
	}
	if got, want := keys(&ThroughputReport{}), setup+
		"partitions workers chunks chunk_bytes channel_samples windows result_records windows_missing dead_letters duplicates malformed publish_seconds join_seconds process_seconds "+
		"channel_samples_per_second required_channel_samples_per_second real_time_factor kept_real_time windows_per_second chunks_per_second cpu_seconds cpu_ms_per_window"; got != want {
		t.Errorf("throughput JSON keys\n got %s\nwant %s", got, want)
	}
}

// TestRecordings: the sessions have Channels channels, Rate and Seconds.
func TestRecordings(t *testing.T) {
	c := Config{Sessions: 2, Channels: 64, Rate: 200, Seconds: 1}
	specs := c.Recordings()
	if len(specs) != 2 || specs[1].Session != "bench-2" {
		t.Fatalf("specs %+v", specs)
	}
	rec, err := specs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if in := rec.Info(); len(in.Channels) != 64 || in.SampleRate != 200 || in.NSamples != 200 {
		t.Errorf("Channels 64 at 200 Hz for 1 s: the benchmark streams %d channels at %g Hz, %d samples", len(in.Channels), in.SampleRate, in.NSamples)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Mode = 0 }, "kafkabench: mode: want Latency or Throughput, got Mode(0)"},
		{func(c *Config) { c.Sessions = 0 }, "kafkabench: sessions: want ≥ 1, got 0"},
		{func(c *Config) { c.Seconds = 1 }, "kafkabench: seconds: 1 is shorter than one window (2 s)"},
		{func(c *Config) { c.HopSeconds = 3 }, "kafkabench: window, hop: want 0 < hop ≤ window, got 2, 3"},
		{func(c *Config) { c.Pace = -1 }, "kafkabench: pace: want ≥ 0, got -1"},
		{func(c *Config) { c.Workers = 0 }, "kafkabench: partitions, workers: want ≥ 1, got 4, 0"},
	} {
		c := DefaultConfig(Latency)
		tc.edit(&c)
		if err := c.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	for _, m := range []Mode{Latency, Throughput} {
		c := DefaultConfig(m)
		if err := c.Validate(); err != nil {
			t.Errorf("%v defaults: %v", m, err)
		}
		c.setDefaults()
		if c.Timeout != time.Minute+2*time.Duration(c.Seconds)*time.Second {
			t.Errorf("%v: default timeout %v", m, c.Timeout)
		}
	}
}

func TestWindowArithmetic(t *testing.T) {
	if got := windowsPerSession(1024, 512, 64); got != 9 {
		t.Errorf("windows of 4 s, 2 s every 0.25 s: %d, want 9", got)
	}
	if windowsPerSession(100, 512, 64) != 0 {
		t.Error("a session shorter than a window has windows")
	}
	for _, tc := range []struct{ a, b, floor, ceil int64 }{{7, 2, 3, 4}, {-7, 2, -4, -3}, {6, 3, 2, 2}, {-6, 3, -2, -2}, {0, 5, 0, 0}} {
		if f, c := floorDiv(tc.a, tc.b), ceilDiv(tc.a, tc.b); f != tc.floor || c != tc.ceil {
			t.Errorf("%d/%d: floor %d ceil %d, want %d %d", tc.a, tc.b, f, c, tc.floor, tc.ceil)
		}
	}
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if quantile(d, 0.5) != 5 || quantile(d, 0.9) != 9 || quantile(d, 0.99) != 10 || quantile(d, 0) != 1 {
		t.Errorf("nearest-rank quantiles of 1…10: %v %v %v", quantile(d, 0.5), quantile(d, 0.9), quantile(d, 0.99))
	}
	id, kind, ok := parseIdempotencyKey("sub-01/ses-1/psd/42")
	if !ok || id != (windowID{"sub-01/ses-1", 42}) || kind != "psd" {
		t.Errorf("parse: %+v %q %v", id, kind, ok)
	}
	if _, _, ok := parseIdempotencyKey("s/psd/x"); ok {
		t.Error("a key without a window index parsed")
	}
}
