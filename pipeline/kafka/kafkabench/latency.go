package kafkabench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/replay"
)

// Setup is the run's configuration as both reports print it.
type Setup struct {
	Brokers       []string `json:"brokers"`
	Sessions      int      `json:"sessions"`
	Channels      int      `json:"channels"`
	SampleRate    float64  `json:"sample_rate"`
	Seconds       float64  `json:"seconds"`
	ChunkSeconds  float64  `json:"chunk_seconds"`
	WindowSeconds float64  `json:"window_seconds"`
	HopSeconds    float64  `json:"hop_seconds"`
}

func (c *Config) setup() Setup {
	return Setup{Brokers: c.Brokers, Sessions: c.Sessions, Channels: c.Channels, SampleRate: c.Rate, Seconds: c.Seconds,
		ChunkSeconds: c.ChunkSeconds, WindowSeconds: c.WindowSeconds, HopSeconds: c.HopSeconds}
}

// LatencyReport is what `bench latency` prints.
type LatencyReport struct {
	Setup
	Pace            float64 `json:"pace"`
	Aligned         bool    `json:"aligned"`
	FreshTopics     bool    `json:"fresh_topics"`
	Partitions      int     `json:"partitions"`
	Workers         int     `json:"workers"`
	WindowsExpected int64   `json:"windows_expected"`
	WindowsMissing  int64   `json:"windows_missing"`
	Duplicates      int64   `json:"duplicates"`
	DeadLetters     int64   `json:"dead_letters"`
	N               int     `json:"n"`
	P50Ms           float64 `json:"p50_ms"`
	P90Ms           float64 `json:"p90_ms"`
	P99Ms           float64 `json:"p99_ms"`
	MaxMs           float64 `json:"max_ms"`
	MeanMs          float64 `json:"mean_ms"`
	// Stages splits the latency of each window at the result sink: from
	// the chunk's produce time to the sink's Write (Kafka in, decode,
	// windowing, psd), the Write itself (until the broker acknowledged
	// the results), and from then to the consumer.
	Stages map[string]LatencySummary `json:"stages"`
	// Slowest are the slowest windows, slowest first (at most
	// slowestShown): where in the run the tail lies, and whether the
	// windows of a stall are one instant's.
	Slowest []SlowWindow `json:"slowest"`
}

// SlowWindow is one window's latency and its parts, in milliseconds.
type SlowWindow struct {
	Session string `json:"session"`
	Window  int64  `json:"window"`
	// AtSeconds is when the window's chunk was produced, from the run's
	// first window.
	AtSeconds    float64 `json:"at_seconds"`
	Ms           float64 `json:"ms"`
	ToSinkMs     float64 `json:"to_sink_ms"`
	SinkWriteMs  float64 `json:"sink_write_ms"`
	ToConsumerMs float64 `json:"to_consumer_ms"`
}

// slowestShown is how many windows the report lists: in a 30 s run of 4
// sessions the p99 is the fifth-slowest window.
const slowestShown = 10

// LatencySummary is one distribution of latencies in milliseconds.
type LatencySummary struct {
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// WriteText implements Report.
func (rep *LatencyReport) WriteText(w io.Writer) {
	phase := "sessions spread over the chunk period"
	if rep.Aligned {
		phase = "sessions aligned"
	}
	topics := "result topics warmed"
	if rep.FreshTopics {
		topics = "fresh result topics"
	}
	fmt.Fprintf(w, "latency, chunk produced → window result consumed (%d sessions × %d channels at %g Hz, %g s each, pace %g, %s, %g s chunks, %g s windows every %g s, %d partitions, %d workers, %s):\n",
		rep.Sessions, rep.Channels, rep.SampleRate, rep.Seconds, rep.Pace, phase, rep.ChunkSeconds, rep.WindowSeconds, rep.HopSeconds, rep.Partitions, rep.Workers, topics)
	fmt.Fprintf(w, "  n %d  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms\n", rep.N, rep.P50Ms, rep.P90Ms, rep.P99Ms, rep.MaxMs, rep.MeanMs)
	for _, st := range []string{"to_sink", "sink_write", "to_consumer"} {
		d := rep.Stages[st]
		fmt.Fprintf(w, "    %-12s p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", st, d.P50Ms, d.P99Ms, d.MaxMs)
	}
	for i, sw := range rep.Slowest {
		if i == 5 {
			break
		}
		fmt.Fprintf(w, "    slow %-10s window %-4d at %6.2f s  %.2f ms (to_sink %.2f, sink_write %.2f, to_consumer %.2f)\n",
			sw.Session, sw.Window, sw.AtSeconds, sw.Ms, sw.ToSinkMs, sw.SinkWriteMs, sw.ToConsumerMs)
	}
	fmt.Fprintf(w, "  windows: %d expected, %d missing, %d duplicates; %d dead letters\n", rep.WindowsExpected, rep.WindowsMissing, rep.Duplicates, rep.DeadLetters)
}

// latency times each window from the chunk that completes it (the one
// holding sample k·hop+length−1) being handed to the producer to the last
// of its result records reaching the consumer.
type latency struct {
	cfg         *Config
	length, hop int64
	expected    int64
	kinds       int
	ts          *timedSink

	mu       sync.Mutex
	produced map[windowID]time.Time
	arrived  map[windowID]int
	lastAt   map[windowID]time.Time
	seen     map[string]bool
	lat      []time.Duration
	dups     int64
	done     chan struct{}
	once     sync.Once
}

func newLatency(h *harness) *latency {
	n, length, hop := h.cfg.samples()
	return &latency{
		cfg: h.cfg, length: length, hop: hop,
		expected: int64(h.cfg.Sessions) * windowsPerSession(n, length, hop),
		kinds:    len(h.resultTopics),
		produced: map[windowID]time.Time{}, arrived: map[windowID]int{}, lastAt: map[windowID]time.Time{}, seen: map[string]bool{},
		done: make(chan struct{}),
	}
}

func (l *latency) result(m *kafkago.Message, at time.Time) {
	key := Header(m, pkafka.HeaderIdempotencyKey)
	id, _, ok := parseIdempotencyKey(key)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[key] {
		l.dups++
		return
	}
	l.seen[key] = true
	l.arrived[id]++
	if l.arrived[id] == l.kinds {
		l.lastAt[id] = at
		if t0, ok := l.produced[id]; ok {
			l.lat = append(l.lat, at.Sub(t0))
		}
		if int64(len(l.lat)) == l.expected {
			l.once.Do(func() { close(l.done) })
		}
	}
}

// prepare times the Kafka result sink's writes.
func (l *latency) prepare(b *config.Built) {
	l.ts = &timedSink{Sink: b.KafkaSink, start: map[windowID]time.Time{}, end: map[windowID]time.Time{}}
	var timed pipeline.Sink = l.ts
	if _, ok := pipeline.Sink(b.KafkaSink).(pipeline.AsyncSink); ok {
		// The runtime writes to an AsyncSink asynchronously: the wrapper
		// must keep that, or the benchmark would time the synchronous
		// path instead of the one a run takes.
		timed = &timedAsyncSink{l.ts}
	}
	for i, s := range b.Options.Sinks {
		if s == pipeline.Sink(b.KafkaSink) {
			b.Options.Sinks[i] = timed
		}
	}
}

// read stamps the windows k whose last sample k·hop+length−1 lies in
// [start, end).
func (l *latency) read(s *replay.Session, start, end int64) {
	first := max(0, ceilDiv(start-l.length+1, l.hop))
	last := floorDiv(end-l.length, l.hop)
	if last < first {
		return
	}
	now := time.Now()
	l.mu.Lock()
	for k := first; k <= last; k++ {
		l.produced[windowID{s.ID, k}] = now
	}
	l.mu.Unlock()
}

func (l *latency) complete() <-chan struct{} { return l.done }

func (l *latency) report(run *runInfo) (Report, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cfg, lat := l.cfg, l.lat
	rep := &LatencyReport{
		Setup: cfg.setup(), Pace: cfg.Pace, Aligned: cfg.Aligned, FreshTopics: cfg.FreshTopics, Partitions: cfg.Partitions, Workers: cfg.Workers,
		WindowsExpected: l.expected, WindowsMissing: l.expected - int64(len(lat)),
		Duplicates: l.dups, DeadLetters: run.runner.Stats().DeadLetters.Load(), N: len(lat),
	}
	if len(lat) == 0 {
		return rep, errors.New("bench: no window result arrived")
	}
	l.ts.mu.Lock()
	var toSink, write, toConsumer []time.Duration
	var first time.Time
	for _, t0 := range l.produced {
		if first.IsZero() || t0.Before(first) {
			first = t0
		}
	}
	for id, t0 := range l.produced {
		s0, ok1 := l.ts.start[id]
		s1, ok2 := l.ts.end[id]
		at, ok3 := l.lastAt[id]
		if ok1 && ok2 && ok3 {
			toSink, write, toConsumer = append(toSink, s0.Sub(t0)), append(write, s1.Sub(s0)), append(toConsumer, at.Sub(s1))
			rep.Slowest = append(rep.Slowest, SlowWindow{Session: id.session, Window: id.window, AtSeconds: t0.Sub(first).Seconds(),
				Ms: ms(at.Sub(t0)), ToSinkMs: ms(s0.Sub(t0)), SinkWriteMs: ms(s1.Sub(s0)), ToConsumerMs: ms(at.Sub(s1))})
		}
	}
	l.ts.mu.Unlock()
	rep.Stages = map[string]LatencySummary{"to_sink": summarize(toSink), "sink_write": summarize(write), "to_consumer": summarize(toConsumer)}
	slices.SortFunc(rep.Slowest, func(a, b SlowWindow) int { return cmp.Compare(b.Ms, a.Ms) })
	rep.Slowest = rep.Slowest[:min(len(rep.Slowest), slowestShown)]
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	rep.P50Ms, rep.P90Ms, rep.P99Ms = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.90)), ms(quantile(lat, 0.99))
	rep.MaxMs, rep.MeanMs = ms(lat[len(lat)-1]), ms(sum/time.Duration(len(lat)))
	if rep.WindowsMissing > 0 {
		return rep, fmt.Errorf("bench: %d of %d windows did not arrive within %v", rep.WindowsMissing, l.expected, cfg.Timeout)
	}
	return rep, nil
}

// timedSink notes, per window, when the wrapped sink's Write began and
// returned.
type timedSink struct {
	pipeline.Sink
	mu         sync.Mutex
	start, end map[windowID]time.Time
}

func (s *timedSink) Write(ctx context.Context, rs []arrowout.Result) error {
	t0 := time.Now()
	err := s.Sink.Write(ctx, rs)
	t1 := time.Now()
	s.note(ids(rs), t0, t1)
	return err
}

func ids(rs []arrowout.Result) []windowID {
	ids := make([]windowID, len(rs))
	for i, r := range rs {
		ids[i] = windowID{r.Key.Session, r.Key.Window}
	}
	return ids
}

// note keeps the first write of each window.
func (s *timedSink) note(ids []windowID, t0, t1 time.Time) {
	s.mu.Lock()
	for _, id := range ids {
		if _, ok := s.start[id]; !ok {
			s.start[id], s.end[id] = t0, t1
		}
	}
	s.mu.Unlock()
}

// timedAsyncSink times an AsyncSink's writes from WriteAsync until the
// broker acknowledged them (done).
type timedAsyncSink struct{ *timedSink }

func (s *timedAsyncSink) WriteAsync(ctx context.Context, rs []arrowout.Result, done func(error)) error {
	id := ids(rs) // rs may be reused once WriteAsync returns
	t0 := time.Now()
	return s.Sink.(pipeline.AsyncSink).WriteAsync(ctx, rs, func(err error) {
		s.note(id, t0, time.Now())
		done(err)
	})
}

func summarize(d []time.Duration) LatencySummary {
	if len(d) == 0 {
		return LatencySummary{}
	}
	slices.Sort(d)
	return LatencySummary{P50Ms: ms(quantile(d, 0.5)), P99Ms: ms(quantile(d, 0.99)), MaxMs: ms(d[len(d)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// quantile is the nearest-rank q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
