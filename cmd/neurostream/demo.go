package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/simulate"
)

func newDemoCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the built-in demo: simulated sessions and a recording through Kafka, no services needed",
		Long: "demo writes a simulated 19-channel EDF+ recording with a seizure to OUT/demo-recording.edf,\n" +
			"starts an in-process Kafka-protocol broker, publishes three simulated sessions and that file to it\n" +
			"as wire chunks, and runs the embedded configs/demo.yaml pipeline on the topic with the same Kafka\n" +
			"source and sink code a deployment uses: 2 s windows every 1 s, Welch PSD and band powers, results\n" +
			"to Kafka topics and to Parquet files under OUT (OUT/psd-000001.parquet, …). It prints a per-session summary.",
		Example: "  neurostream demo\n  neurostream demo --out /tmp/demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig("builtin:demo.yaml")
			if err != nil {
				return err
			}
			c.Output.Dir = out
			// The demo's broker is new every run: its results replace
			// the last run's, although the source is Kafka.
			c.Output.Resume = new(false)
			recording := filepath.Join(out, "demo-recording.edf")
			c.Source.Files.Paths = []string{recording}
			if err := writeDemoRecording(recording); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (simulated EEG, 19 channels, 120 s, seizure at 60–100 s)\n", recording)
			if err := runDemo(cmd, c); err != nil {
				return err
			}
			pattern := filepath.Join(out, "bandpower-*.parquet")
			fmt.Fprintf(cmd.OutOrStdout(), "\nread the results with DuckDB: SELECT session, band, avg(power) FROM '%s' GROUP BY ALL\n"+
				"or pyarrow: pyarrow.parquet.read_table(sorted(glob.glob(%q))).to_pandas()\n", pattern, pattern)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "out", "folder for the recording and the result files")
	return cmd
}

func writeDemoRecording(path string) error {
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
	return writeEDF(path, sim, "demo", "neurostream demo: simulated seizure at 60 s")
}

// runDemo publishes c's recordings to an in-process broker and runs c's
// pipeline on that topic until every published chunk has been processed.
func runDemo(cmd *cobra.Command, c *config.Config) error {
	const topic, partitions = "neurostream.raw", 4
	topics := append([]string{topic, c.Output.Kafka.DeadLetterTopic},
		pkafka.ResultTopics(c.Output.Kafka.TopicPrefix, arrowout.Kinds()...)...)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		return fmt.Errorf("demo broker: %w", err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	fmt.Fprintf(cmd.OutOrStdout(), "in-process Kafka broker on %s, input topic %s (%d partitions)\n", brokers[0], topic, partitions)

	specs, err := c.Recordings()
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	producer := pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: c.Source.ChunkSeconds, Logger: slog.Default()})
	writer, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{
		ProducerConfig: pkafka.ProducerConfig{Connection: pkafka.Connection{Brokers: brokers}, Logger: quiet},
		Topic:          topic,
	})
	if err != nil {
		return err
	}
	type published struct {
		n   int64
		err error
	}
	done := make(chan published, 1)
	go func() {
		n, err := writer.Publish(cmd.Context(), producer)
		if cerr := writer.Close(); err == nil {
			err = cerr
		}
		done <- published{n, err}
	}()

	// The same pipeline, reading the topic instead of the files.
	c.Source.Files.Paths, c.Source.Simulate.Sessions = nil, 0
	c.Source.Kafka.Brokers, c.Source.Kafka.Topic, c.Source.Kafka.GroupID = brokers, topic, "neurostream-demo"
	c.Output.Kafka.Brokers = brokers
	return runPipelineUntil(cmd, c, func(ctx context.Context, r *pipeline.Runner, stop func()) error {
		var p published
		select {
		case p = <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if p.err != nil {
			stop()
			return fmt.Errorf("demo: publishing: %w", p.err)
		}
		// Every chunk published is read once; then the queues drain.
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
	})
}
