package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/simulate"
)

// kafkaBenchOptions are the flags both Kafka benchmarks share.
type kafkaBenchOptions struct {
	brokers       []string
	sessions      int
	channels      int
	rate          float64
	seconds       float64
	chunkSeconds  float64
	windowSeconds float64
	hopSeconds    float64
	partitions    int
	workers       int
	keepTopics    bool
	json          bool
	timeout       time.Duration
	// sourceMaxWait, when set, replaces the Kafka source's MaxWait.
	sourceMaxWait time.Duration
	// seizureModel, when set, adds a seizure stage with that model after
	// psd, as configs/seizure-monitor.yaml runs it.
	seizureModel string
	// sec are the TLS and SASL flags; security is what they and the
	// environment say (connect).
	sec      kafkaSecurityFlags
	security pkafka.Security
}

// connect resolves the security flags and the environment.
func (o *kafkaBenchOptions) connect(cmd *cobra.Command) (err error) {
	o.security, err = o.sec.security(cmd)
	return err
}

// conn is a connection to the brokers with the security applied.
func (o *kafkaBenchOptions) conn() pkafka.Connection {
	c := pkafka.Connection{Brokers: o.brokers}
	o.security.Apply(&c) // checked by connect
	return c
}

func (o *kafkaBenchOptions) flags(cmd *cobra.Command, sessions int, seconds, hop float64) {
	f := cmd.Flags()
	f.StringSliceVar(&o.brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.IntVar(&o.sessions, "sessions", sessions, "simulated sessions")
	f.IntVar(&o.channels, "channels", 19, "EEG channels per session")
	f.Float64Var(&o.rate, "rate", 256, "sample rate in Hz")
	f.Float64Var(&o.seconds, "seconds", seconds, "signal duration of each session in seconds")
	f.Float64Var(&o.chunkSeconds, "chunk-seconds", 0.25, "wire chunk duration in seconds")
	f.Float64Var(&o.windowSeconds, "window", 2, "analysis window length in seconds")
	f.Float64Var(&o.hopSeconds, "hop", hop, "analysis window hop in seconds")
	f.IntVar(&o.partitions, "partitions", 4, "partitions of the input and result topics")
	f.IntVar(&o.workers, "workers", 2, "pipeline workers")
	f.BoolVar(&o.keepTopics, "keep-topics", false, "keep the benchmark's topics (default: delete them)")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.DurationVar(&o.timeout, "timeout", 0, "give up waiting for results after this long (default: 60s + 2× the signal duration)")
	f.StringVar(&o.seizureModel, "seizure-model", "", "add a seizure stage with this model file (e.g. configs/models/seizure-sim.json) after psd; its window rows are a third result kind")
	f.DurationVar(&o.sourceMaxWait, "source-max-wait", 0, "override the Kafka source's MaxWait (default: the pipeline's own, as neurostream run uses it)")
	o.sec.register(cmd)
}

func (o *kafkaBenchOptions) validate() error {
	switch {
	case o.sessions < 1:
		return fmt.Errorf("--sessions: want ≥ 1, got %d", o.sessions)
	case o.channels < 1:
		return fmt.Errorf("--channels: want ≥ 1, got %d", o.channels)
	case !(o.rate > 0):
		return fmt.Errorf("--rate: want a positive rate in Hz, got %v", o.rate)
	case !(o.seconds > 0):
		return fmt.Errorf("--seconds: want > 0, got %v", o.seconds)
	case !(o.chunkSeconds > 0):
		return fmt.Errorf("--chunk-seconds: want > 0, got %v", o.chunkSeconds)
	case !(o.hopSeconds > 0) || o.windowSeconds < o.hopSeconds:
		return fmt.Errorf("--window, --hop: want 0 < hop ≤ window, got %v, %v", o.windowSeconds, o.hopSeconds)
	case o.seconds < o.windowSeconds:
		return fmt.Errorf("--seconds: %v is shorter than one window (%v s)", o.seconds, o.windowSeconds)
	case o.partitions < 1 || o.workers < 1:
		return fmt.Errorf("--partitions, --workers: want ≥ 1, got %d, %d", o.partitions, o.workers)
	}
	if o.timeout == 0 {
		o.timeout = time.Minute + time.Duration(2*o.seconds*float64(time.Second))
	}
	return nil
}

// samples returns a session's length, window length and hop in samples,
// rounded as the pipeline rounds them.
func (o *kafkaBenchOptions) samples() (n, length, hop int64) {
	return int64(math.Round(o.seconds * o.rate)), int64(math.Round(o.windowSeconds * o.rate)), int64(math.Round(o.hopSeconds * o.rate))
}

// windowsPerSession is how many windows a session of n samples has.
func windowsPerSession(n, length, hop int64) int64 {
	if n < length {
		return 0
	}
	return (n-length)/hop + 1
}

// specs returns the simulated sessions bench-1 … bench-N.
func (o *kafkaBenchOptions) specs() []pipeline.RecordingSpec {
	specs := make([]pipeline.RecordingSpec, o.sessions)
	for i := range specs {
		cfg := simulate.DefaultConfig()
		cfg.Seed = uint64(i + 1)
		cfg.SampleRate = o.rate
		cfg.Duration = o.seconds
		cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		cfg.Montage.Channels = o.channels
		id := fmt.Sprintf("bench-%d", i+1)
		specs[i] = pipeline.RecordingSpec{Session: id, Name: "simulation " + id, Open: func() (formats.Recording, error) { return simulate.New(cfg) }}
	}
	return specs
}

// kafkaBench is one benchmark run's topics, group and pipeline.
type kafkaBench struct {
	opt          *kafkaBenchOptions
	conn         pkafka.Connection
	input, dead  string
	prefix       string
	group        string
	resultTopics []string
	log          *slog.Logger
}

func newKafkaBench(ctx context.Context, opt *kafkaBenchOptions, what string) (*kafkaBench, error) {
	id := fmt.Sprintf("neurostream.bench.%s.%d", what, time.Now().UnixNano())
	kb := &kafkaBench{
		opt:    opt,
		conn:   opt.conn(),
		input:  id + ".raw",
		dead:   id + ".deadletters",
		prefix: id + ".",
		group:  id,
		log:    slog.Default(),
	}
	// The stages' kinds: each window yields one record of each.
	kinds := []arrowout.Kind{arrowout.KindPSD, arrowout.KindBandPower}
	if opt.seizureModel != "" {
		kinds = append(kinds, arrowout.KindSeizure)
	}
	kb.resultTopics = pkafka.ResultTopics(kb.prefix, kinds...)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pkafka.EnsureTopics(tctx, kb.conn, append([]string{kb.input}, kb.resultTopics...), opt.partitions); err != nil {
		return nil, err
	}
	if err := pkafka.EnsureTopics(tctx, kb.conn, []string{kb.dead}, 1); err != nil {
		return nil, err
	}
	return kb, nil
}

// cleanup deletes the run's topics unless --keep-topics.
func (kb *kafkaBench) cleanup() {
	if kb.opt.keepTopics {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, done := kb.conn.NewClient()
	defer done()
	topics := append([]string{kb.input, kb.dead}, kb.resultTopics...)
	if _, err := cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: topics}); err != nil {
		kb.log.Warn("bench: delete topics", "topics", topics, "err", err)
	}
}

// pipeline builds the pipeline `neurostream run` would build for a Kafka
// source → psd → Kafka result sink configuration.
func (kb *kafkaBench) pipeline() (*config.Built, error) {
	c := config.Default()
	c.Name = "bench"
	c.Workers = kb.opt.workers
	c.Source.Kafka = config.KafkaSource{Kafka: config.Kafka{Brokers: kb.opt.brokers}, Topic: kb.input, GroupID: kb.group}
	c.Kafka.Security = kb.opt.security
	c.Window = config.Window{LengthSeconds: kb.opt.windowSeconds, HopSeconds: kb.opt.hopSeconds}
	c.Stages = []config.Stage{{Type: "psd", Options: map[string]any{"nperseg": int(math.Round(kb.opt.rate))}}}
	if kb.opt.seizureModel != "" {
		c.Stages = append(c.Stages, config.Stage{Type: "seizure", Options: map[string]any{"model": kb.opt.seizureModel}})
	}
	c.Output.Dir = ""
	c.Output.Kafka = config.KafkaOutput{Kafka: config.Kafka{Brokers: kb.opt.brokers}, TopicPrefix: kb.prefix, DeadLetterTopic: kb.dead, Acks: "all"}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("bench pipeline: %w", err)
	}
	b, err := c.Build(kb.log)
	if err != nil || kb.opt.sourceMaxWait == 0 {
		return b, err
	}
	// The source config.Build makes, with another MaxWait.
	ks, err := pkafka.NewSource(pkafka.SourceConfig{
		Connection: kb.conn, Topics: []string{kb.input}, GroupID: kb.group, Logger: kb.log, MaxWait: kb.opt.sourceMaxWait,
	})
	if err != nil {
		return nil, err
	}
	b.KafkaSource, b.Options.Source = ks, ks
	return b, nil
}

// runBenchPipeline starts r; stop cancels it and returns Run's error.
func runBenchPipeline(r *pipeline.Runner) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
}

// waitAssigned waits until the source owns every input partition.
func (kb *kafkaBench) waitAssigned(ctx context.Context, ks *pkafka.Source) error {
	deadline := time.Now().Add(30 * time.Second)
	for ks.Stats().Partitions < kb.opt.partitions {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the pipeline was not assigned the %d input partitions within 30 s (%+v)", kb.opt.partitions, ks.Stats())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// resultConsumer reads every partition of the result topics from the
// start, without a consumer group, and calls fn (from several goroutines)
// with each record and the time it arrived.
type resultConsumer struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	readers []*kafkago.Reader
}

func startResultConsumer(c pkafka.Connection, topics []string, fn func(m *kafkago.Message, at time.Time)) (*resultConsumer, error) {
	dialer := c.NewDialer()
	conn, err := dialer.Dial("tcp", c.Brokers[0])
	if err != nil {
		return nil, fmt.Errorf("bench consumer: %w", c.Explain(err))
	}
	parts, err := conn.ReadPartitions(topics...)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("bench consumer: partitions of %v: %w", topics, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rc := &resultConsumer{cancel: cancel}
	for _, p := range parts {
		r := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers: c.Brokers, Dialer: dialer, Topic: p.Topic, Partition: p.ID,
			MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 200 * time.Millisecond,
		})
		rc.readers = append(rc.readers, r)
		rc.wg.Add(1)
		go func() {
			defer rc.wg.Done()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					select {
					case <-ctx.Done():
						return
					case <-time.After(100 * time.Millisecond): // the reader retries itself; do not spin
					}
					continue
				}
				fn(&m, time.Now())
			}
		}()
	}
	return rc, nil
}

func (rc *resultConsumer) close() {
	rc.cancel()
	rc.wg.Wait()
	for _, r := range rc.readers {
		r.Close()
	}
}

func resultHeader(m *kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// windowID names one window of one session.
type windowID struct {
	session string
	window  int64
}

// parseIdempotencyKey splits "session/kind/window".
func parseIdempotencyKey(k string) (id windowID, kind string, ok bool) {
	i := strings.LastIndexByte(k, '/')
	if i < 0 {
		return id, "", false
	}
	w, err := strconv.ParseInt(k[i+1:], 10, 64)
	if err != nil {
		return id, "", false
	}
	j := strings.LastIndexByte(k[:i], '/')
	if j < 0 {
		return id, "", false
	}
	return windowID{k[:j], w}, k[j+1 : i], true
}

// latencyReport is what `bench latency` prints.
type latencyReport struct {
	Brokers         []string `json:"brokers"`
	Sessions        int      `json:"sessions"`
	Channels        int      `json:"channels"`
	SampleRate      float64  `json:"sample_rate"`
	Seconds         float64  `json:"seconds"`
	ChunkSeconds    float64  `json:"chunk_seconds"`
	WindowSeconds   float64  `json:"window_seconds"`
	HopSeconds      float64  `json:"hop_seconds"`
	Pace            float64  `json:"pace"`
	Aligned         bool     `json:"aligned"`
	Partitions      int      `json:"partitions"`
	Workers         int      `json:"workers"`
	WindowsExpected int64    `json:"windows_expected"`
	WindowsMissing  int64    `json:"windows_missing"`
	Duplicates      int64    `json:"duplicates"`
	DeadLetters     int64    `json:"dead_letters"`
	N               int      `json:"n"`
	P50Ms           float64  `json:"p50_ms"`
	P90Ms           float64  `json:"p90_ms"`
	P99Ms           float64  `json:"p99_ms"`
	MaxMs           float64  `json:"max_ms"`
	MeanMs          float64  `json:"mean_ms"`
	// Stages splits the latency of each window at the result sink: from
	// the chunk's produce time to the sink's Write (Kafka in, decode,
	// windowing, psd), the Write itself (until the broker acknowledged
	// the results), and from then to the consumer.
	Stages map[string]latencySummary `json:"stages"`
}

// latencySummary is one distribution of latencies in milliseconds.
type latencySummary struct {
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

func summarize(d []time.Duration) latencySummary {
	if len(d) == 0 {
		return latencySummary{}
	}
	slices.Sort(d)
	return latencySummary{P50Ms: ms(quantile(d, 0.5)), P99Ms: ms(quantile(d, 0.99)), MaxMs: ms(d[len(d)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

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
	s.mu.Lock()
	for _, r := range rs {
		id := windowID{r.Key.Session, r.Key.Window}
		if _, ok := s.start[id]; !ok {
			s.start[id], s.end[id] = t0, t1
		}
	}
	s.mu.Unlock()
	return err
}

func newBenchLatencyCmd() *cobra.Command {
	opt := &kafkaBenchOptions{}
	var pace float64
	var aligned bool
	cmd := &cobra.Command{
		Use:   "latency",
		Short: "End-to-end latency through Kafka: chunk produced → window result at a downstream consumer",
		Long: "latency creates fresh topics on the broker, starts the pipeline `neurostream run` builds for a\n" +
			"Kafka source → psd → Kafka results configuration (in this process, its own consumer group) and a\n" +
			"downstream consumer of the result topics, then publishes --sessions simulated sessions at --pace\n" +
			"times real time. For each window it measures from the moment the chunk that completes it (the one\n" +
			"holding sample k·hop+length−1) is handed to the producer to the moment the last of the window's\n" +
			"result records (psd and bandpower) reaches the consumer, and prints n, p50, p90, p99, max and mean,\n" +
			"and the same split at the result sink: to_sink, sink_write (until the broker acknowledged) and\n" +
			"to_consumer. Session i starts i/N of a chunk period after the first (independent devices);\n" +
			"--aligned makes all sessions' chunks due at the same instants. The topics are deleted afterwards\n" +
			"unless --keep-topics.",
		Example: "  neurostream bench latency --brokers 127.0.0.1:9092\n  neurostream bench latency --sessions 16 --seconds 60 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opt.validate(); err != nil {
				return err
			}
			if err := opt.connect(cmd); err != nil {
				return err
			}
			if pace < 0 {
				return fmt.Errorf("--pace: want ≥ 0, got %v", pace)
			}
			rep, err := benchLatency(cmd.Context(), opt, pace, aligned)
			if err != nil {
				return err
			}
			return printBench(cmd.OutOrStdout(), opt.json, rep, func(w io.Writer) {
				phase := "sessions spread over the chunk period"
				if rep.Aligned {
					phase = "sessions aligned"
				}
				fmt.Fprintf(w, "latency, chunk produced → window result consumed (%d sessions × %d channels at %g Hz, %g s each, pace %g, %s, %g s chunks, %g s windows every %g s, %d partitions, %d workers):\n",
					rep.Sessions, rep.Channels, rep.SampleRate, rep.Seconds, rep.Pace, phase, rep.ChunkSeconds, rep.WindowSeconds, rep.HopSeconds, rep.Partitions, rep.Workers)
				fmt.Fprintf(w, "  n %d  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms\n", rep.N, rep.P50Ms, rep.P90Ms, rep.P99Ms, rep.MaxMs, rep.MeanMs)
				for _, st := range []string{"to_sink", "sink_write", "to_consumer"} {
					d := rep.Stages[st]
					fmt.Fprintf(w, "    %-12s p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", st, d.P50Ms, d.P99Ms, d.MaxMs)
				}
				fmt.Fprintf(w, "  windows: %d expected, %d missing, %d duplicates; %d dead letters\n", rep.WindowsExpected, rep.WindowsMissing, rep.Duplicates, rep.DeadLetters)
			})
		},
	}
	opt.flags(cmd, 4, 30, 0.25)
	cmd.Flags().Float64Var(&pace, "pace", 1, "publishing speed: 1 real time, N N× real time, 0 as fast as possible")
	cmd.Flags().BoolVar(&aligned, "aligned", false, "publish every session's chunks at the same instants (worst case) instead of spread over the chunk period")
	return cmd
}

func printBench(w io.Writer, asJSON bool, v any, text func(io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

func benchLatency(ctx context.Context, opt *kafkaBenchOptions, pace float64, aligned bool) (*latencyReport, error) {
	kb, err := newKafkaBench(ctx, opt, "latency")
	if err != nil {
		return nil, err
	}
	defer kb.cleanup()
	n, length, hop := opt.samples()
	expected := int64(opt.sessions) * windowsPerSession(n, length, hop)
	kinds := len(kb.resultTopics)

	var (
		mu       sync.Mutex
		produced = map[windowID]time.Time{}
		arrived  = map[windowID]int{}
		lastAt   = map[windowID]time.Time{}
		lat      []time.Duration
		dups     int64
		complete = make(chan struct{})
		once     sync.Once
	)
	seen := map[string]bool{}
	rc, err := startResultConsumer(kb.conn, kb.resultTopics, func(m *kafkago.Message, at time.Time) {
		key := resultHeader(m, pkafka.HeaderIdempotencyKey)
		id, _, ok := parseIdempotencyKey(key)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[key] {
			dups++
			return
		}
		seen[key] = true
		arrived[id]++
		if arrived[id] == kinds {
			lastAt[id] = at
			if t0, ok := produced[id]; ok {
				lat = append(lat, at.Sub(t0))
			}
			if int64(len(lat)) == expected {
				once.Do(func() { close(complete) })
			}
		}
	})
	if err != nil {
		return nil, err
	}
	defer rc.close()

	b, err := kb.pipeline()
	if err != nil {
		return nil, err
	}
	ts := &timedSink{Sink: b.KafkaSink, start: map[windowID]time.Time{}, end: map[windowID]time.Time{}}
	for i, s := range b.Options.Sinks {
		if s == pipeline.Sink(b.KafkaSink) {
			b.Options.Sinks[i] = ts
		}
	}
	if err := b.Prepare(ctx); err != nil {
		return nil, err
	}
	r, err := pipeline.New(b.Options)
	if err != nil {
		return nil, err
	}
	stop := runBenchPipeline(r)
	defer stop()
	if err := kb.waitAssigned(ctx, b.KafkaSource); err != nil {
		return nil, err
	}

	w, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: pkafka.ProducerConfig{Connection: kb.conn, Logger: kb.log}, Topic: kb.input})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	onRead := func(s *replaySession, start, end int64, _ *pipeline.Message) {
		// Windows k whose last sample k·hop+length−1 lies in [start, end).
		first := max(0, ceilDiv(start-length+1, hop))
		last := floorDiv(end-length, hop)
		if last < first {
			return
		}
		now := time.Now()
		mu.Lock()
		for k := first; k <= last; k++ {
			produced[windowID{s.id, k}] = now
		}
		mu.Unlock()
	}
	specs := opt.specs()
	if aligned || pace == 0 {
		src := newChunkSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: opt.chunkSeconds, Pace: pace, MaxOpen: len(specs), Logger: kb.log})
		src.onRead = onRead
		if _, err := w.Publish(ctx, src); err != nil {
			return nil, fmt.Errorf("bench: publish: %w", err)
		}
	} else {
		// Independent devices: session i starts i/S of a chunk period
		// after session 0, so chunks arrive spread over the period.
		period := time.Duration(opt.chunkSeconds / pace * float64(time.Second))
		errc := make(chan error, len(specs))
		for i, sp := range specs {
			src := newChunkSource([]pipeline.RecordingSpec{sp}, pipeline.RecordingSourceConfig{ChunkSeconds: opt.chunkSeconds, Pace: pace, Logger: kb.log})
			src.onRead = onRead
			go func() {
				select {
				case <-time.After(period * time.Duration(i) / time.Duration(len(specs))):
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
				_, err := w.Publish(ctx, src)
				errc <- err
			}()
		}
		var errs []error
		for range specs {
			errs = append(errs, <-errc)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("bench: publish: %w", err)
		}
	}
	select {
	case <-complete:
	case <-time.After(opt.timeout):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := stop(); err != nil {
		return nil, fmt.Errorf("bench: pipeline: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	rep := &latencyReport{
		Brokers: opt.brokers, Sessions: opt.sessions, Channels: opt.channels, SampleRate: opt.rate, Seconds: opt.seconds,
		ChunkSeconds: opt.chunkSeconds, WindowSeconds: opt.windowSeconds, HopSeconds: opt.hopSeconds, Pace: pace, Aligned: aligned,
		Partitions: opt.partitions, Workers: opt.workers, WindowsExpected: expected, WindowsMissing: expected - int64(len(lat)),
		Duplicates: dups, DeadLetters: r.Stats().DeadLetters.Load(), N: len(lat),
	}
	if len(lat) == 0 {
		return rep, errors.New("bench: no window result arrived")
	}
	ts.mu.Lock()
	var toSink, write, toConsumer []time.Duration
	for id, t0 := range produced {
		s0, ok1 := ts.start[id]
		s1, ok2 := ts.end[id]
		at, ok3 := lastAt[id]
		if ok1 && ok2 && ok3 {
			toSink, write, toConsumer = append(toSink, s0.Sub(t0)), append(write, s1.Sub(s0)), append(toConsumer, at.Sub(s1))
		}
	}
	ts.mu.Unlock()
	rep.Stages = map[string]latencySummary{"to_sink": summarize(toSink), "sink_write": summarize(write), "to_consumer": summarize(toConsumer)}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	rep.P50Ms, rep.P90Ms, rep.P99Ms = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.90)), ms(quantile(lat, 0.99))
	rep.MaxMs, rep.MeanMs = ms(lat[len(lat)-1]), ms(sum/time.Duration(len(lat)))
	if rep.WindowsMissing > 0 {
		return rep, fmt.Errorf("bench: %d of %d windows did not arrive within %v", rep.WindowsMissing, expected, opt.timeout)
	}
	return rep, nil
}

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

// throughputReport is what `bench throughput` prints.
type throughputReport struct {
	Brokers         []string `json:"brokers"`
	Sessions        int      `json:"sessions"`
	Channels        int      `json:"channels"`
	SampleRate      float64  `json:"sample_rate"`
	Seconds         float64  `json:"seconds"`
	ChunkSeconds    float64  `json:"chunk_seconds"`
	WindowSeconds   float64  `json:"window_seconds"`
	HopSeconds      float64  `json:"hop_seconds"`
	Partitions      int      `json:"partitions"`
	Workers         int      `json:"workers"`
	Chunks          int64    `json:"chunks"`
	ChunkBytes      int64    `json:"chunk_bytes"`
	ChannelSamples  int64    `json:"channel_samples"`
	Windows         int64    `json:"windows"`
	ResultRecords   int64    `json:"result_records"`
	WindowsMissing  int64    `json:"windows_missing"`
	DeadLetters     int64    `json:"dead_letters"`
	PublishSeconds  float64  `json:"publish_seconds"`
	JoinSeconds     float64  `json:"join_seconds"`
	ProcessSeconds  float64  `json:"process_seconds"`
	ChannelSamplesS float64  `json:"channel_samples_per_second"`
	RequiredS       float64  `json:"required_channel_samples_per_second"`
	RealTimeFactor  float64  `json:"real_time_factor"`
	KeptRealTime    bool     `json:"kept_real_time"`
	WindowsS        float64  `json:"windows_per_second"`
	ChunksS         float64  `json:"chunks_per_second"`
}

func newBenchThroughputCmd() *cobra.Command {
	opt := &kafkaBenchOptions{}
	var profile string
	cmd := &cobra.Command{
		Use:   "throughput",
		Short: "Sustained end-to-end throughput through Kafka, in channel-samples per second",
		Long: "throughput creates fresh topics, publishes --sessions simulated sessions of --channels channels at\n" +
			"--rate Hz and --seconds each to the input topic as fast as possible, then starts the pipeline\n" +
			"`neurostream run` builds for a Kafka source → psd → Kafka results configuration (in this process)\n" +
			"and a downstream consumer, and times the backlog: from the pipeline's first input record to the\n" +
			"arrival of the last window result at the consumer. It prints the channel-samples per second\n" +
			"processed end to end and whether that keeps real time, i.e. is at least sessions × channels × rate.\n" +
			"The topics are deleted afterwards unless --keep-topics.",
		Example: "  neurostream bench throughput --sessions 64 --channels 19 --rate 256\n" +
			"  neurostream bench throughput --sessions 8 --channels 306 --rate 1000 --seconds 30 --json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opt.validate(); err != nil {
				return err
			}
			if err := opt.connect(cmd); err != nil {
				return err
			}
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			rep, err := benchThroughput(cmd.Context(), opt)
			if err != nil {
				return err
			}
			return printBench(cmd.OutOrStdout(), opt.json, rep, func(w io.Writer) {
				fmt.Fprintf(w, "throughput (%d sessions × %d channels at %g Hz, %g s each, %g s chunks, %g s windows every %g s, %d partitions, %d workers):\n",
					rep.Sessions, rep.Channels, rep.SampleRate, rep.Seconds, rep.ChunkSeconds, rep.WindowSeconds, rep.HopSeconds, rep.Partitions, rep.Workers)
				fmt.Fprintf(w, "  published %d chunks (%.1f MB) in %.2f s\n", rep.Chunks, float64(rep.ChunkBytes)/1e6, rep.PublishSeconds)
				fmt.Fprintf(w, "  processed %.4g channel-samples in %.2f s (group join %.2f s before): %.4g channel-samples/s, %.0f windows/s, %.0f chunks/s\n",
					float64(rep.ChannelSamples), rep.ProcessSeconds, rep.JoinSeconds, rep.ChannelSamplesS, rep.WindowsS, rep.ChunksS)
				verdict := "kept real time"
				if !rep.KeptRealTime {
					verdict = "did NOT keep real time"
				}
				fmt.Fprintf(w, "  real time needs %.4g channel-samples/s: %.1f× real time, %s\n", rep.RequiredS, rep.RealTimeFactor, verdict)
				fmt.Fprintf(w, "  %d windows, %d missing, %d dead letters\n", rep.Windows, rep.WindowsMissing, rep.DeadLetters)
			})
		},
	}
	opt.flags(cmd, 16, 60, 1)
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the whole run (publishing, pipeline, consumer) to this file (go tool pprof)")
	return cmd
}

// firstRead stamps the time a source yields its first message.
type firstRead struct {
	pipeline.Source
	once sync.Once
	at   atomic.Int64
}

func (f *firstRead) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	m, ack, err := f.Source.Read(ctx)
	if err == nil {
		f.once.Do(func() { f.at.Store(time.Now().UnixNano()) })
	}
	return m, ack, err
}

func benchThroughput(ctx context.Context, opt *kafkaBenchOptions) (*throughputReport, error) {
	kb, err := newKafkaBench(ctx, opt, "throughput")
	if err != nil {
		return nil, err
	}
	defer kb.cleanup()
	n, length, hop := opt.samples()
	perSession := windowsPerSession(n, length, hop)
	expected := int64(opt.sessions) * perSession * int64(len(kb.resultTopics))

	// Publish everything first, as fast as possible.
	w, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: pkafka.ProducerConfig{Connection: kb.conn, Logger: kb.log}, Topic: kb.input})
	if err != nil {
		return nil, err
	}
	src := newChunkSource(opt.specs(), pipeline.RecordingSourceConfig{ChunkSeconds: opt.chunkSeconds, MaxOpen: opt.sessions, Logger: kb.log})
	var chunkBytes atomic.Int64
	src.onAck = func(_ *replaySession, _, _ int64, m *pipeline.Message, err error) {
		if err == nil {
			chunkBytes.Add(int64(len(m.Value)))
		}
	}
	t0 := time.Now()
	chunks, err := w.Publish(ctx, src)
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("bench: publish: %w", err)
	}
	published := time.Since(t0)

	var (
		count    atomic.Int64
		lastAt   atomic.Int64
		complete = make(chan struct{})
		once     sync.Once
	)
	rc, err := startResultConsumer(kb.conn, kb.resultTopics, func(m *kafkago.Message, at time.Time) {
		// Window records only: a stage's end-of-session rows (a seizure
		// end row) carry the index after the last window.
		if w, err := strconv.ParseInt(headerValue(m, pkafka.HeaderWindow), 10, 64); err != nil || w >= perSession {
			return
		}
		lastAt.Store(at.UnixNano())
		if count.Add(1) == expected {
			once.Do(func() { close(complete) })
		}
	})
	if err != nil {
		return nil, err
	}
	defer rc.close()
	b, err := kb.pipeline()
	if err != nil {
		return nil, err
	}
	fr := &firstRead{Source: b.Options.Source}
	b.Options.Source = fr
	if err := b.Prepare(ctx); err != nil {
		return nil, err
	}
	r, err := pipeline.New(b.Options)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	stop := runBenchPipeline(r)
	defer stop()
	select {
	case <-complete:
	case <-time.After(opt.timeout):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := stop(); err != nil {
		return nil, fmt.Errorf("bench: pipeline: %w", err)
	}
	got := count.Load()
	first := time.Unix(0, fr.at.Load())
	elapsed := time.Unix(0, lastAt.Load()).Sub(first)
	samples := int64(opt.sessions) * n * int64(opt.channels)
	rep := &throughputReport{
		Brokers: opt.brokers, Sessions: opt.sessions, Channels: opt.channels, SampleRate: opt.rate, Seconds: opt.seconds,
		ChunkSeconds: opt.chunkSeconds, WindowSeconds: opt.windowSeconds, HopSeconds: opt.hopSeconds,
		Partitions: opt.partitions, Workers: opt.workers,
		Chunks: chunks, ChunkBytes: chunkBytes.Load(), ChannelSamples: samples,
		Windows: int64(opt.sessions) * perSession, ResultRecords: got,
		WindowsMissing: (expected - got) / int64(len(kb.resultTopics)), DeadLetters: r.Stats().DeadLetters.Load(),
		PublishSeconds: published.Seconds(), JoinSeconds: first.Sub(start).Seconds(), ProcessSeconds: elapsed.Seconds(),
		RequiredS: float64(opt.sessions*opt.channels) * opt.rate,
	}
	if got < expected {
		return rep, fmt.Errorf("bench: %d of %d result records arrived within %v", got, expected, opt.timeout)
	}
	rep.ChannelSamplesS = float64(samples) / elapsed.Seconds()
	rep.RealTimeFactor = rep.ChannelSamplesS / rep.RequiredS
	rep.KeptRealTime = rep.RealTimeFactor >= 1
	rep.WindowsS = float64(rep.Windows) / elapsed.Seconds()
	rep.ChunksS = float64(chunks) / elapsed.Seconds()
	return rep, nil
}

func headerValue(m *kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
