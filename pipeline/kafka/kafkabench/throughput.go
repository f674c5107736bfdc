package kafkabench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/internal/cpuclock"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/replay"
)

// ThroughputReport is what `bench throughput` prints.
type ThroughputReport struct {
	Setup
	Partitions     int   `json:"partitions"`
	Workers        int   `json:"workers"`
	Chunks         int64 `json:"chunks"`
	ChunkBytes     int64 `json:"chunk_bytes"`
	ChannelSamples int64 `json:"channel_samples"`
	Windows        int64 `json:"windows"`
	ResultRecords  int64 `json:"result_records"`
	WindowsMissing int64 `json:"windows_missing"`
	DeadLetters    int64 `json:"dead_letters"`
	// Duplicates counts window records that arrived more than once;
	// Malformed those without a valid idempotency key.
	Duplicates      int64   `json:"duplicates"`
	Malformed       int64   `json:"malformed"`
	PublishSeconds  float64 `json:"publish_seconds"`
	JoinSeconds     float64 `json:"join_seconds"`
	ProcessSeconds  float64 `json:"process_seconds"`
	ChannelSamplesS float64 `json:"channel_samples_per_second"`
	RequiredS       float64 `json:"required_channel_samples_per_second"`
	RealTimeFactor  float64 `json:"real_time_factor"`
	KeptRealTime    bool    `json:"kept_real_time"`
	WindowsS        float64 `json:"windows_per_second"`
	ChunksS         float64 `json:"chunks_per_second"`
	// CPUSeconds is the CPU time this process (pipeline, and the
	// benchmark's consumer) used while processing, from the first input
	// record to the last result; the broker's is not counted. On a host
	// whose cores other jobs share it varies far less than the rates.
	CPUSeconds float64 `json:"cpu_seconds"`
	// CPUPerWindowMs is CPUSeconds per window, in milliseconds.
	CPUPerWindowMs float64 `json:"cpu_ms_per_window"`
}

// WriteText implements Report.
func (rep *ThroughputReport) WriteText(w io.Writer) {
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
	fmt.Fprintf(w, "  %d windows, %d missing, %d duplicate and %d malformed records, %d dead letters\n", rep.Windows, rep.WindowsMissing, rep.Duplicates, rep.Malformed, rep.DeadLetters)
	fmt.Fprintf(w, "  this process used %.2f CPU-s while processing: %.3f CPU-ms per window (the broker not counted)\n", rep.CPUSeconds, rep.CPUPerWindowMs)
}

// throughput times the backlog: from the pipeline's first input record
// to the arrival of the last window result at the consumer.
type throughput struct {
	cfg        *Config
	n          int64 // samples per session
	perSession int64 // windows per session
	kinds      int
	expected   int64 // result records
	first      *firstRead
	// startProfile, when set, starts the CPU profile at the first record.
	startProfile func()

	count  atomic.Int64
	lastAt atomic.Int64
	// seen holds the idempotency keys of the window records counted;
	// dups and malformed count the others.
	mu              sync.Mutex
	seen            map[string]bool
	dups, malformed atomic.Int64
	// lastCPU is the process's CPU time (cpuclock) at the last result.
	lastCPU atomic.Int64
	done    chan struct{}
	once    sync.Once
}

func newThroughput(h *harness) *throughput {
	n, length, hop := h.cfg.samples()
	per := windowsPerSession(n, length, hop)
	kinds := len(h.resultTopics)
	return &throughput{cfg: h.cfg, n: n, perSession: per, kinds: kinds, expected: int64(h.cfg.Sessions) * per * int64(kinds), done: make(chan struct{}), seen: map[string]bool{}}
}

func (t *throughput) result(m *kafkago.Message, at time.Time) {
	// Window records only: a stage's end-of-session rows (a seizure end
	// row) carry the index after the last window.
	if w, err := strconv.ParseInt(Header(m, pkafka.HeaderWindow), 10, 64); err != nil || w >= t.perSession {
		return
	}
	// Each (session, kind, window) counts once.
	key := Header(m, pkafka.HeaderIdempotencyKey)
	if _, _, ok := parseIdempotencyKey(key); !ok {
		t.malformed.Add(1)
		return
	}
	t.mu.Lock()
	dup := t.seen[key]
	t.seen[key] = true
	t.mu.Unlock()
	if dup {
		t.dups.Add(1)
		return
	}
	t.lastAt.Store(at.UnixNano())
	if t.count.Add(1) == t.expected {
		t.lastCPU.Store(int64(cpuclock.Now()))
		t.once.Do(func() { close(t.done) })
	}
}

// prepare stamps the source's first record.
func (t *throughput) prepare(b *config.Built) {
	t.first = &firstRead{Source: b.Options.Source, onFirst: t.startProfile}
	b.Options.Source = t.first
}

func (t *throughput) read(*replay.Session, int64, int64) {}

func (t *throughput) complete() <-chan struct{} { return t.done }

func (t *throughput) report(run *runInfo) (Report, error) {
	cfg := t.cfg
	got := t.count.Load()
	first := time.Unix(0, t.first.at.Load())
	elapsed := time.Unix(0, t.lastAt.Load()).Sub(first)
	samples := int64(cfg.Sessions) * t.n * int64(cfg.Channels)
	rep := &ThroughputReport{
		Setup: cfg.setup(), Partitions: cfg.Partitions, Workers: cfg.Workers,
		Chunks: run.chunks, ChunkBytes: run.chunkBytes, ChannelSamples: samples,
		Windows: int64(cfg.Sessions) * t.perSession, ResultRecords: got,
		WindowsMissing: (t.expected - got) / int64(t.kinds), DeadLetters: run.runner.Stats().DeadLetters.Load(),
		Duplicates: t.dups.Load(), Malformed: t.malformed.Load(),
		PublishSeconds: run.publish.Seconds(), JoinSeconds: first.Sub(run.start).Seconds(), ProcessSeconds: elapsed.Seconds(),
		RequiredS: float64(cfg.Sessions*cfg.Channels) * cfg.Rate,
	}
	if got < t.expected {
		return rep, fmt.Errorf("bench: %d of %d result records arrived within %v", got, t.expected, cfg.Timeout)
	}
	rep.ChannelSamplesS = float64(samples) / elapsed.Seconds()
	rep.RealTimeFactor = rep.ChannelSamplesS / rep.RequiredS
	rep.KeptRealTime = rep.RealTimeFactor >= 1
	rep.WindowsS = float64(rep.Windows) / elapsed.Seconds()
	rep.ChunksS = float64(run.chunks) / elapsed.Seconds()
	rep.CPUSeconds = time.Duration(t.lastCPU.Load() - t.first.cpu.Load()).Seconds()
	rep.CPUPerWindowMs = 1e3 * rep.CPUSeconds / float64(rep.Windows)
	return rep, nil
}

// firstRead stamps the time a source yields its first message, and the
// process's CPU time then (cpuclock); it starts the CPU profile, if one
// is asked for, so that the profile holds the processing only.
type firstRead struct {
	pipeline.Source
	once    sync.Once
	at, cpu atomic.Int64
	onFirst func()
}

func (f *firstRead) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	m, ack, err := f.Source.Read(ctx)
	if err == nil {
		f.once.Do(func() {
			if f.onFirst != nil {
				f.onFirst()
			}
			f.at.Store(time.Now().UnixNano())
			f.cpu.Store(int64(cpuclock.Now()))
		})
	}
	return m, ack, err
}
