package kafkabench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/replay"
)

// Report is a run's result, *LatencyReport or *ThroughputReport; JSON
// encodes it as `neurostream bench … --json` prints it.
type Report interface {
	// WriteText writes the report as `neurostream bench` prints it.
	WriteText(w io.Writer)
}

// measurement is what one mode measures, hooked into the shared run.
type measurement interface {
	// result sees each result record and its arrival time, from
	// several goroutines.
	result(m *kafkago.Message, at time.Time)
	// prepare wraps the built pipeline's source or sink.
	prepare(b *config.Built)
	// read sees each chunk as it is handed to the producer: samples
	// [start, end) of s.
	read(s *replay.Session, start, end int64)
	// complete is closed when every expected result arrived.
	complete() <-chan struct{}
	// report makes the report of a finished run.
	report(run *runInfo) (Report, error)
}

// runInfo is what the harness measured for every mode.
type runInfo struct {
	runner *pipeline.Runner
	// start is when the pipeline started.
	start time.Time
	// chunks published, their bytes, and how long publishing took.
	chunks, chunkBytes int64
	publish            time.Duration
}

// Run runs one benchmark.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	// The profile covers the whole run in Latency mode, and in
	// Throughput mode the processing only (from the source's first
	// record; the publishing before it would otherwise dominate it).
	var startProfile func()
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var perr error
		startProfile = func() { perr = pprof.StartCPUProfile(f) }
		defer func() {
			pprof.StopCPUProfile()
			if perr != nil {
				cfg.Logger.Warn("bench: CPU profile", "file", cfg.CPUProfile, "err", perr)
			}
		}()
	}
	h, err := newHarness(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer h.cleanup()
	var m measurement
	if cfg.Mode == Latency {
		if startProfile != nil {
			startProfile()
		}
		m = newLatency(h)
	} else {
		t := newThroughput(h)
		t.startProfile = startProfile
		m = t
	}
	return h.run(ctx, m)
}

// harness is one run's topics, group and pipeline.
type harness struct {
	cfg          *Config
	conn         pkafka.Connection
	input, dead  string
	prefix       string
	group        string
	resultTopics []string
	log          *slog.Logger
}

func newHarness(ctx context.Context, cfg *Config) (*harness, error) {
	conn, err := cfg.connection()
	if err != nil {
		return nil, err
	}
	id := fmt.Sprintf("neurostream.bench.%s.%d", cfg.Mode, time.Now().UnixNano())
	h := &harness{
		cfg:    cfg,
		conn:   conn,
		input:  id + ".raw",
		dead:   id + ".deadletters",
		prefix: id + ".",
		group:  id,
		log:    cfg.Logger,
	}
	// The stages' kinds: each window yields one record of each.
	kinds := []arrowout.Kind{arrowout.KindPSD, arrowout.KindBandPower}
	if cfg.SeizureModel != "" {
		kinds = append(kinds, arrowout.KindSeizure)
	}
	h.resultTopics = pkafka.ResultTopics(h.prefix, kinds...)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pkafka.EnsureTopics(tctx, h.conn, append([]string{h.input}, h.resultTopics...), cfg.Partitions); err != nil {
		return nil, err
	}
	if err := pkafka.EnsureTopics(tctx, h.conn, []string{h.dead}, 1); err != nil {
		return nil, err
	}
	if cfg.Mode == Latency && !cfg.FreshTopics {
		if err := h.warmResultTopics(tctx); err != nil {
			h.cleanup()
			return nil, err
		}
	}
	return h, nil
}

// warmBytes is the size of a warm-up record: over the broker's default
// index.interval.bytes (4096), so that the second one appended makes the
// partition's first index entry.
const warmBytes = 5000

// warmResultTopics writes two records to each result partition before
// the run, so that its sessions write to topics that already hold data,
// as result topics in a deployment do. A new partition's first index
// entry costs the broker 4-6 ms here (go run ./tools/bench/kafkaprobe,
// round 1; later index entries do not), once per partition, but in a run
// on new topics the eight partitions of four aligned sessions paid it at
// the same instant, their window 1: 15-19 ms. The records
// carry no idempotency key, so the consumer passes over them.
func (h *harness) warmResultTopics(ctx context.Context) error {
	cl, done := h.conn.NewClient()
	defer done()
	value := make([]byte, warmBytes)
	var wg sync.WaitGroup
	errs := make(chan error, len(h.resultTopics)*h.cfg.Partitions)
	for _, topic := range h.resultTopics {
		for p := range h.cfg.Partitions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2 {
					res, err := cl.Produce(ctx, &kafkago.ProduceRequest{Topic: topic, Partition: p, RequiredAcks: kafkago.RequireAll,
						Records: kafkago.NewRecordReader(kafkago.Record{Headers: []kafkago.Header{{Key: "neurostream.bench.warmup", Value: []byte("1")}},
							Value: kafkago.NewBytes(value)})})
					if err == nil {
						err = res.Error
					}
					if err != nil {
						errs <- fmt.Errorf("bench: warm %s[%d]: %w", topic, p, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// cleanup deletes the run's topics unless KeepTopics.
func (h *harness) cleanup() {
	if h.cfg.KeepTopics {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, done := h.conn.NewClient()
	defer done()
	// Besides the topics made here, the pipeline's Prepare made the
	// session_end topic and the checkpoints' state topic.
	topics := append([]string{h.input, h.dead, h.prefix + "state", h.prefix + string(arrowout.KindSessionEnd)}, h.resultTopics...)
	if _, err := cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: topics}); err != nil {
		h.log.Warn("bench: delete topics", "topics", topics, "err", err)
	}
}

// run publishes, runs the pipeline and waits for the results: Throughput
// publishes the whole backlog before the pipeline starts, Latency while
// it runs.
func (h *harness) run(ctx context.Context, m measurement) (Report, error) {
	var info runInfo
	backlog := h.cfg.Mode == Throughput
	if backlog {
		if err := h.publish(ctx, m, &info); err != nil {
			return nil, err
		}
	}
	var rc *Consumer
	var err error
	if backlog {
		// Lighter: headers only, and fetches that wait for 512 KB or
		// 10 ms (the most the last result can arrive late by).
		rc, err = startFetchConsumer(h.conn, h.resultTopics, 512<<10, 10*time.Millisecond, m.result)
	} else {
		rc, err = StartConsumer(h.conn, h.resultTopics, m.result)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := h.pipeline()
	if err != nil {
		return nil, err
	}
	m.prepare(b)
	if err := b.Prepare(ctx); err != nil {
		return nil, err
	}
	if info.runner, err = pipeline.New(b.Options); err != nil {
		return nil, err
	}
	info.start = time.Now()
	stop := runPipeline(info.runner)
	defer stop()
	if !backlog {
		if err := h.waitAssigned(ctx, b.KafkaSource); err != nil {
			return nil, err
		}
		if err := h.publish(ctx, m, &info); err != nil {
			return nil, err
		}
	}
	select {
	case <-m.complete():
	case <-time.After(h.cfg.Timeout):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := stop(); err != nil {
		return nil, fmt.Errorf("bench: pipeline: %w", err)
	}
	return m.report(&info)
}

// pipeline builds the pipeline `neurostream run` would build for a Kafka
// source → psd → Kafka result sink configuration.
func (h *harness) pipeline() (*config.Built, error) {
	cfg := h.cfg
	c := config.Default()
	c.Name = "bench"
	c.Workers = cfg.Workers
	c.Source.Kafka = config.KafkaSource{Kafka: config.Kafka{Brokers: cfg.Brokers}, Topic: h.input, GroupID: h.group}
	c.Kafka.Security = cfg.Security
	c.Window = config.Window{LengthSeconds: cfg.WindowSeconds, HopSeconds: cfg.HopSeconds}
	c.Stages = []config.Stage{{Type: "psd", Options: map[string]any{"n_per_seg": int(math.Round(cfg.Rate))}}}
	if cfg.SeizureModel != "" {
		c.Stages = append(c.Stages, config.Stage{Type: "seizure", Options: map[string]any{"model": cfg.SeizureModel}})
	}
	c.Output.Dir = ""
	c.Output.Kafka = config.KafkaOutput{Kafka: config.Kafka{Brokers: cfg.Brokers}, TopicPrefix: h.prefix, DeadLetterTopic: h.dead, Acks: "all"}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("bench pipeline: %w", err)
	}
	b, err := c.Build(h.log)
	if err != nil || cfg.SourceMaxWait == 0 {
		return b, err
	}
	// The source config.Build makes, with another MaxWait.
	ks, err := pkafka.NewSource(pkafka.SourceConfig{
		Connection: h.conn, Topics: []string{h.input}, GroupID: h.group, Logger: h.log, MaxWait: cfg.SourceMaxWait,
	})
	if err != nil {
		return nil, err
	}
	b.KafkaSource, b.Options.Source = ks, ks
	return b, nil
}

// runPipeline starts r; stop cancels it and returns Run's error.
func runPipeline(r *pipeline.Runner) (stop func() error) {
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
func (h *harness) waitAssigned(ctx context.Context, ks *pkafka.Source) error {
	deadline := time.Now().Add(30 * time.Second)
	for ks.Stats().Partitions < h.cfg.Partitions {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the pipeline was not assigned the %d input partitions within 30 s (%+v)", h.cfg.Partitions, ks.Stats())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// publish writes every session to the input topic at the configured
// pace and notes in info what it published.
func (h *harness) publish(ctx context.Context, m measurement, info *runInfo) error {
	w, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: pkafka.ProducerConfig{Connection: h.conn, Logger: h.log}, Topic: h.input})
	if err != nil {
		return err
	}
	var bytes atomic.Int64
	source := func(specs []pipeline.RecordingSpec, maxOpen int) *replay.ChunkSource {
		src := replay.NewChunkSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: h.cfg.ChunkSeconds, Pace: h.cfg.Pace, MaxOpen: maxOpen, Logger: h.log})
		src.OnRead = func(s *replay.Session, start, end int64, _ *pipeline.Message) { m.read(s, start, end) }
		src.OnAck = func(_ *replay.Session, _, _ int64, msg *pipeline.Message, err error) {
			if err == nil {
				bytes.Add(int64(len(msg.Value)))
			}
		}
		return src
	}
	t0 := time.Now()
	specs := h.cfg.Recordings()
	var n int64
	if h.cfg.Aligned || h.cfg.Pace == 0 {
		n, err = w.Publish(ctx, source(specs, len(specs)))
	} else {
		n, err = h.publishSpread(ctx, w, specs, source)
	}
	w.Close()
	if err != nil {
		return fmt.Errorf("bench: publish: %w", err)
	}
	info.publish = time.Since(t0)
	info.chunks, info.chunkBytes = n, bytes.Load()
	return nil
}

// publishSpread publishes each session from a source of its own, as
// independent devices would: session i starts i/S of a chunk period after
// session 0, so chunks arrive spread over the period.
func (h *harness) publishSpread(ctx context.Context, w *pkafka.ChunkWriter, specs []pipeline.RecordingSpec,
	source func([]pipeline.RecordingSpec, int) *replay.ChunkSource) (int64, error) {
	period := time.Duration(h.cfg.ChunkSeconds / h.cfg.Pace * float64(time.Second))
	type published struct {
		n   int64
		err error
	}
	done := make(chan published, len(specs))
	for i, sp := range specs {
		src := source([]pipeline.RecordingSpec{sp}, 0)
		go func() {
			select {
			case <-time.After(period * time.Duration(i) / time.Duration(len(specs))):
			case <-ctx.Done():
				done <- published{0, ctx.Err()}
				return
			}
			n, err := w.Publish(ctx, src)
			done <- published{n, err}
		}()
	}
	var (
		total int64
		errs  []error
	)
	for range specs {
		p := <-done
		total += p.n
		errs = append(errs, p.err)
	}
	return total, errors.Join(errs...)
}
