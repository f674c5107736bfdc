package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline/lslin"
)

func newIngestCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ingest", Short: "Publish live acquisition streams to Kafka as wire chunks"}
	cmd.AddCommand(newIngestLSLCmd())
	return cmd
}

func newIngestLSLCmd() *cobra.Command {
	var cfg lslin.Config
	var sel lslin.Selectors
	cmd := &cobra.Command{
		Use:     "lsl",
		Short:   "Publish a Lab Streaming Layer EEG/MEG stream to Kafka as one live session",
		Long:    help("ingest-lsl.long"),
		Example: help("ingest-lsl.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sel.Apply(&cfg); err != nil {
				return cli.WithCode(cli.ExitUsage, err)
			}
			if cfg.MarkerDelay == 0 {
				cfg.MarkerDelay = -1 // none
			}
			if !(cfg.ChunkSeconds > 0) {
				return cli.WithCode(cli.ExitUsage, fmt.Errorf("--chunk-seconds: want a positive duration, got %v", cfg.ChunkSeconds))
			}
			res, err := lslin.Run(cmd.Context(), cfg)
			res.Summary(cmd.OutOrStdout(), cfg)
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Producer.Brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.StringVar(&cfg.Topic, "topic", "neurostream.raw", "input topic the wire chunks go to")
	f.StringVar(&cfg.EventsTopic, "events-topic", "neurostream.events", "topic for markers as JSON events (\"\": do not publish them)")
	f.IntVar(&cfg.Partitions, "partitions", 0, "partitions of topics that do not exist yet (0: the broker's default)")
	f.Float64Var(&cfg.ChunkSeconds, "chunk-seconds", 0.25, "duration of one wire chunk in seconds")
	f.StringVar(&sel.Type, "type", "", "stream type to ingest (default EEG when no other selector is given)")
	f.StringVar(&sel.Name, "name", "", "stream name to ingest")
	f.StringVar(&sel.SourceID, "source-id", "", "stream source_id to ingest")
	f.StringVar(&sel.Query, "query", "", "liblsl query selecting the stream, e.g. \"type='MEG' and starts-with(name,'Elekta')\"")
	f.StringSliceVar(&sel.Markers, "markers", nil, "marker streams, by name or type (or a query with '='), repeatable")
	f.StringVar(&cfg.StimChannel, "stim", "STI", "label of the stim channel the markers go into")
	f.StringSliceVar(&sel.StimEvents, "stim-events", nil, "MARKER=CODE,...: stim codes of string markers (integer markers are their own codes)")
	f.DurationVar(&cfg.MarkerDelay, "marker-delay", 50*time.Millisecond, "hold complete chunks this long after their last sample arrived so late markers land on their sample (0: none)")
	f.DurationVar(&cfg.GapThreshold, "gap-threshold", 100*time.Millisecond, "time stamps later than the dejittered line by more than this suggest missing samples")
	f.DurationVar(&cfg.RecoverTimeout, "lost-after", 30*time.Second, "end the session when the outlet is gone this long")
	f.DurationVar(&cfg.ResolveTimeout, "resolve-timeout", 30*time.Second, "give up finding a stream after this long")
	f.DurationVar(&cfg.FinalWait, "final-wait", time.Second, "on SIGINT, wait this long for a sample to carry the final mark when none is left")
	f.StringVar(&sel.LSLConfig, "lsl-config", "", "liblsl's lsl_api.cfg for the network settings (default $LSLAPICFG; none: this machine only)")
	return cmd
}
