package kafkabench

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/simulate"
)

// Mode is what a run measures.
type Mode int

const (
	// Latency: chunk produced → window result at the consumer, per
	// window, while the sessions are published at Pace.
	Latency Mode = iota + 1
	// Throughput: channel-samples per second over a backlog published
	// beforehand.
	Throughput
)

func (m Mode) String() string {
	switch m {
	case Latency:
		return "latency"
	case Throughput:
		return "throughput"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Config is one benchmark run. Start from DefaultConfig: unlike kafka-go's
// configs, a zero here is an error, not a default, so that a 0 given on a
// command line is refused rather than replaced.
type Config struct {
	// Mode is what to measure. Required.
	Mode Mode
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string
	// Security is the TLS and SASL configuration. Default: plaintext
	Security pkafka.Security
	// Sessions is the number of simulated sessions (seeds 1…N).
	// Default: 4 (Latency), 16 (Throughput)
	Sessions int
	// Channels is the number of EEG channels per session.
	// Default: 19 (the 10-20 montage)
	Channels int
	// Rate is the sample rate in Hz. Default: 256
	Rate float64
	// Seconds is each session's signal duration.
	// Default: 30 (Latency), 60 (Throughput)
	Seconds float64
	// ChunkSeconds is the wire chunk duration. Default: 0.25
	ChunkSeconds float64
	// WindowSeconds is the analysis window length. Default: 2
	WindowSeconds float64
	// HopSeconds is the analysis window hop.
	// Default: 0.25 (Latency), 1 (Throughput)
	HopSeconds float64
	// Partitions of the input and result topics. Default: 4
	Partitions int
	// Workers of the pipeline. Default: 2
	Workers int
	// Pace is the publishing speed in Latency mode: 1 real time, N N×
	// real time, 0 as fast as possible. Throughput publishes as fast as
	// possible. Default: 1
	Pace float64
	// Aligned, in Latency mode, publishes every session's chunks at the
	// same instants (the worst case) instead of starting session i i/N
	// of a chunk period after the first. Default: false
	Aligned bool
	// KeepTopics keeps the run's topics. Default: false (deleted)
	KeepTopics bool
	// FreshTopics, in Latency mode, leaves the new result topics as
	// created instead of writing two records to each partition first
	// (see warmResultTopics): the sessions' second windows then pay
	// for the broker's first index entry on every partition.
	// Default: false (warmed)
	FreshTopics bool
	// Timeout bounds the wait for results.
	// Default: 0, 60 s + 2 × Seconds
	Timeout time.Duration
	// SourceMaxWait, when set, replaces the Kafka source's MaxWait.
	// Default: 0, the pipeline's own, as neurostream run uses it
	SourceMaxWait time.Duration
	// SeizureModel, when set, adds a seizure stage with this model file
	// after psd, as configs/seizure-monitor.yaml runs it; its window rows
	// are a third result kind. Default: none
	SeizureModel string
	// CPUProfile, when set, is the file a CPU profile goes to: of the
	// whole run in Latency mode, of the processing (pipeline and consumer,
	// from the source's first record; not the publishing before it) in
	// Throughput mode. Default: none
	CPUProfile string
	// Logger default: slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults of mode.
func DefaultConfig(mode Mode) Config {
	c := Config{
		Mode: mode, Brokers: []string{"127.0.0.1:9092"}, Sessions: 4, Channels: 19, Rate: 256, Seconds: 30,
		ChunkSeconds: 0.25, WindowSeconds: 2, HopSeconds: 0.25, Partitions: 4, Workers: 2, Pace: 1,
	}
	if mode == Throughput {
		c.Sessions, c.Seconds, c.HopSeconds = 16, 60, 1
	}
	return c
}

// Validate checks c; errors name the field.
func (c *Config) Validate() error {
	var err error
	switch {
	case c.Mode != Latency && c.Mode != Throughput:
		err = fmt.Errorf("mode: want Latency or Throughput, got %v", c.Mode)
	case len(c.Brokers) == 0:
		err = errors.New("brokers: none")
	case c.Sessions < 1:
		err = fmt.Errorf("sessions: want ≥ 1, got %d", c.Sessions)
	case c.Channels < 1:
		err = fmt.Errorf("channels: want ≥ 1, got %d", c.Channels)
	case !(c.Rate > 0):
		err = fmt.Errorf("rate: want a positive rate in Hz, got %v", c.Rate)
	case !(c.Seconds > 0):
		err = fmt.Errorf("seconds: want > 0, got %v", c.Seconds)
	case !(c.ChunkSeconds > 0):
		err = fmt.Errorf("chunk-seconds: want > 0, got %v", c.ChunkSeconds)
	case !(c.HopSeconds > 0) || c.WindowSeconds < c.HopSeconds:
		err = fmt.Errorf("window, hop: want 0 < hop ≤ window, got %v, %v", c.WindowSeconds, c.HopSeconds)
	case c.Seconds < c.WindowSeconds:
		err = fmt.Errorf("seconds: %v is shorter than one window (%v s)", c.Seconds, c.WindowSeconds)
	case c.Partitions < 1 || c.Workers < 1:
		err = fmt.Errorf("partitions, workers: want ≥ 1, got %d, %d", c.Partitions, c.Workers)
	case !(c.Pace >= 0):
		err = fmt.Errorf("pace: want ≥ 0, got %v", c.Pace)
	}
	if err != nil {
		return fmt.Errorf("kafkabench: %w", err)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.Timeout == 0 {
		c.Timeout = time.Minute + time.Duration(2*c.Seconds*float64(time.Second))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Mode == Throughput {
		c.Pace, c.Aligned = 0, false
	}
}

// connection is a connection to the brokers with the security applied.
func (c *Config) connection() (pkafka.Connection, error) {
	conn := pkafka.Connection{Brokers: c.Brokers}
	if err := c.Security.Apply(&conn); err != nil {
		return conn, fmt.Errorf("kafkabench: Security: %w", err)
	}
	return conn, nil
}

// samples returns a session's length, window length and hop in samples,
// rounded as the pipeline rounds them.
func (c *Config) samples() (n, length, hop int64) {
	return int64(math.Round(c.Seconds * c.Rate)), int64(math.Round(c.WindowSeconds * c.Rate)), int64(math.Round(c.HopSeconds * c.Rate))
}

// windowsPerSession is how many windows a session of n samples has.
func windowsPerSession(n, length, hop int64) int64 {
	if n < length {
		return 0
	}
	return (n-length)/hop + 1
}

// Recordings returns the simulated sessions bench-1 … bench-N.
func (c *Config) Recordings() []pipeline.RecordingSpec {
	specs := make([]pipeline.RecordingSpec, c.Sessions)
	for i := range specs {
		cfg := simulate.DefaultConfig()
		cfg.Seed = uint64(i + 1)
		cfg.SampleRate = c.Rate
		cfg.Duration = c.Seconds
		cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		cfg.Montage.Channels = c.Channels
		id := fmt.Sprintf("bench-%d", i+1)
		specs[i] = pipeline.RecordingSpec{Session: id, Name: "simulation " + id, Open: func() (formats.Recording, error) { return simulate.New(cfg) }}
	}
	return specs
}
