package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/replay"
)

// defaultBrokers is the --brokers default: $NEUROSTREAM_KAFKA, else the
// local development broker of `make kafka-up`.
func defaultBrokers() []string {
	if a := os.Getenv("NEUROSTREAM_KAFKA"); a != "" {
		return strings.Split(a, ",")
	}
	return []string{"127.0.0.1:9092"}
}

func newReplayCmd() *cobra.Command {
	var (
		cfg                 replay.Config
		brokers, stimEvents []string
		sec                 kafkaSecurityFlags
		pseudonymKey        string
	)
	cmd := &cobra.Command{
		Use:     "replay FILE|DIR ...",
		Short:   "Publish recordings to Kafka as wire chunks, one session per file, at real-time pace or faster",
		Long:    help("replay.long"),
		Example: help("replay.example"),
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if !(cfg.ChunkSeconds > 0) { // 0 would be the package's default
				return fmt.Errorf("--chunk-seconds: want a positive duration, got %v", cfg.ChunkSeconds)
			}
			if cfg.Connection, err = sec.connection(cmd, brokers); err != nil {
				return err
			}
			if pseudonymKey != "" {
				if cfg.Pseudonyms, err = pipeline.ReadPseudonymKey(pseudonymKey); err != nil {
					return cli.WithCode(cli.ExitUsage, fmt.Errorf("--pseudonym-key-file: %w", err))
				}
			}
			if cfg.StimEvents, err = replay.ParseStimEvents(stimEvents); err != nil {
				return fmt.Errorf("--stim-events %w", err)
			}
			cfg.Files, cfg.Progress = args, cmd.ErrOrStderr()
			rp, err := replay.New(cfg)
			if err != nil {
				return err
			}
			res, err := rp.Run(cmd.Context())
			fmt.Fprintln(cmd.OutOrStdout(), res)
			for _, e := range res.Skipped {
				fmt.Fprintf(cfg.Progress, "skipped: %v\n", e)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.StringVar(&cfg.Topic, "topic", "neurostream.raw", "input topic the wire chunks go to")
	f.StringVar(&cfg.EventsTopic, "events-topic", "neurostream.events", "topic for annotations as JSON (\"\": do not publish them)")
	f.IntVar(&cfg.Partitions, "partitions", 0, "partitions of topics that do not exist yet (0: the broker's default)")
	f.Float64Var(&cfg.ChunkSeconds, "chunk-seconds", 0.25, "duration of one wire chunk in seconds")
	f.Float64Var(&cfg.Pace, "pace", 1, "replay speed: 1 real time, N N× real time, 0 as fast as possible")
	f.IntVar(&cfg.MaxOpen, "max-open", 0, "most recordings open at once (0: all); with a pace, a file that opens late catches up at full speed")
	readFlags(f, textTargets(&cfg.Text, &cfg.ChannelFiles))
	// The names before train, eval and inspect settled on the ones above;
	// kept so that scripts keep working.
	f.Float64Var(&cfg.Text.SampleRate, "text-rate", 0, "")
	f.StringVar(&cfg.Text.Unit, "text-unit", "uV", "")
	f.StringVar(&cfg.Text.TimeColumn, "text-time-column", "", "")
	f.StringVar(&cfg.Text.MarkerColumn, "text-marker-column", "", "")
	for _, n := range []string{"rate", "unit", "time-column", "marker-column"} {
		_ = f.MarkDeprecated("text-"+n, "use --"+n)
	}
	f.BoolVarP(&cfg.ProgressLines, "quiet", "q", false, "no progress bar: one line per finished file")
	f.StringVar(&cfg.StimChannel, "stim", "STI", "label of the stim channel --stim-events adds")
	f.StringSliceVar(&stimEvents, "stim-events", nil, "DESCRIPTION=CODE,...: add a stim channel with a pulse of CODE at each annotation DESCRIPTION, so trial windows (window.events) can be cut from the stream")
	f.StringVar(&pseudonymKey, "pseudonym-key-file", "", "replace each session id by ps-HMAC-SHA256(key, id) before publishing; the key is this `file`'s content, at least 32 bytes")
	cfg.TextNames = readNames
	sec.register(cmd)
	return cmd
}
