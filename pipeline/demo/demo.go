// Package demo sets up `neurostream demo`: a simulated EDF+ recording with
// a seizure, an in-process Kafka-protocol broker (kfake), and the demo
// configuration's sessions published to it, so that its pipeline runs on
// the topic with the Kafka source and sink code a deployment uses and no
// service installed.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/simulate"
	"github.com/neurostream/neurostream/simulate/simwrite"
)

// The demo broker's input topic and its partitions.
const (
	Topic      = "neurostream.raw"
	Partitions = 4
)

// Demo is a running demo broker with the demo's sessions being
// published to it.
type Demo struct {
	// Recording is the simulated EDF+ file Start wrote.
	Recording string
	// Brokers are the in-process broker's addresses.
	Brokers []string

	cluster *kfake.Cluster
	done    chan published
}

type published struct {
	n   int64
	err error
}

// WriteRecording writes the demo's recording: 120 s of simulated
// 19-channel EEG with a seizure at 60–100 s, as EDF+.
func WriteRecording(path string) error {
	cfg := simulate.DefaultConfig()
	cfg.Seed = 7
	cfg.Duration = 120
	cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg.Seizures.Enabled = true
	cfg.Seizures.Events = []simulate.SeizureEvent{{Onset: 60, Duration: 40}}
	sim, err := simulate.New(cfg)
	if err != nil {
		return err
	}
	defer sim.Close()
	return simwrite.WriteEDF(path, sim, "demo", "neurostream demo: simulated seizure at 60 s")
}

// Start writes the demo recording to dir/demo-recording.edf, adds it to
// c's recordings, starts the broker, publishes c's recordings to Topic in
// the background, and points c at the broker: its source reads Topic
// (instead of the files and simulations) and its results go to dir and
// the broker's result topics. Close stops the broker.
func Start(ctx context.Context, c *config.Config, dir string) (*Demo, error) {
	c.Output.Dir = dir
	// The demo's broker is new every run: its results replace the last
	// run's, although the source is Kafka.
	c.Output.Resume = new(false)
	d := &Demo{Recording: filepath.Join(dir, "demo-recording.edf"), done: make(chan published, 1)}
	c.Source.Files.Paths = []string{d.Recording}
	if err := WriteRecording(d.Recording); err != nil {
		return nil, err
	}
	specs, err := c.Recordings()
	if err != nil {
		return nil, err
	}
	topics := append([]string{Topic, c.Output.Kafka.DeadLetterTopic},
		pkafka.ResultTopics(c.Output.Kafka.TopicPrefix, arrowout.Kinds()...)...)
	if d.cluster, err = kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(Partitions, topics...)); err != nil {
		return nil, fmt.Errorf("demo broker: %w", err)
	}
	d.Brokers = d.cluster.ListenAddrs()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	producer := pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: c.Source.ChunkSeconds, Logger: slog.Default()})
	writer, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{
		ProducerConfig: pkafka.ProducerConfig{Connection: pkafka.Connection{Brokers: d.Brokers}, Logger: quiet},
		Topic:          Topic,
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	go func() {
		n, err := writer.Publish(ctx, producer)
		if cerr := writer.Close(); err == nil {
			err = cerr
		}
		d.done <- published{n, err}
	}()

	// The same pipeline, reading the topic instead of the files.
	c.Source.Files.Paths, c.Source.Simulate.Sessions = nil, 0
	c.Source.Kafka.Brokers, c.Source.Kafka.Topic, c.Source.Kafka.GroupID = d.Brokers, Topic, "neurostream-demo"
	c.Output.Kafka.Brokers = d.Brokers
	return d, nil
}

// Wait watches a run of the pipeline Start configured: once every
// published chunk has been read, it calls stop (a soft drain, so the
// queues empty). A publishing failure stops the run and is returned.
func (d *Demo) Wait(ctx context.Context, r *pipeline.Runner, stop func()) error {
	var p published
	select {
	case p = <-d.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.err != nil {
		stop()
		return fmt.Errorf("demo: publishing: %w", p.err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for r.Stats().Messages.Load() < p.n {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	stop()
	return nil
}

// Close stops the broker.
func (d *Demo) Close() {
	if d.cluster != nil {
		d.cluster.Close()
	}
}
