package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/bciloop"
)

func newBenchBCILoopCmd() *cobra.Command {
	var (
		cfg    bciloop.Config
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "bci-loop",
		Short: "Closed-loop SSVEP latency: LSL outlet → ingest lsl → Kafka → ssvep stage → output.lsl → LSL inlet",
		Long: "bench bci-loop plays a simulated SSVEP session (19-channel EEG, targets 8, 11, 13, 15 Hz) in real\n" +
			"time from a Go LSL outlet, publishes it with the ingest of `ingest lsl` to fresh topics on --brokers,\n" +
			"runs the pipeline of configs/ssvep-speller.yaml (FBCCA over 2 s windows every 0.25 s; with --trials\n" +
			"that of configs/ssvep-trials.yaml, one decision per trial onset sent on an LSL marker stream) with\n" +
			"output.lsl, and reads the decisions with an LSL inlet. For each window it measures the time from the\n" +
			"push of the sample that completes the window to the arrival of its decision, and prints n, p50, p99,\n" +
			"max and mean in ms and the decisions missing. LSL stays on this machine unless $LSLAPICFG or\n" +
			"--lsl-config says otherwise. docs/benchmarks.md, \"BCI loop\", has figures.",
		Example: "  neurostream bench bci-loop --brokers 127.0.0.1:9092\n  neurostream bench bci-loop --brokers 127.0.0.1:9092 --trials --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := bciloop.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(res)
			}
			fmt.Fprintf(out, "bci loop (%s): %d of %d decisions, %d missing, %d duplicates\n", res.Mode, res.N, res.Expected, res.Missing, res.Duplicates)
			fmt.Fprintf(out, "latency from the window's last sample pushed to its decision received: p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms\n",
				res.P50, res.P99, res.Max, res.Mean)
			if res.Correct >= 0 {
				fmt.Fprintf(out, "correct decisions: %d of %d\n", res.Correct, res.N)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.Float64Var(&cfg.Seconds, "seconds", 60, "seconds of simulated signal, played in real time")
	f.Float64Var(&cfg.Rate, "rate", 256, "sample rate in Hz")
	f.IntVar(&cfg.Push, "push", 1, "samples the outlet pushes at once, every push/rate seconds (an amplifier's block)")
	f.Float64Var(&cfg.ChunkSeconds, "chunk-seconds", 0.25, "the ingest's wire chunk duration in seconds")
	f.BoolVar(&cfg.Trials, "trials", false, "trial mode: one decision per trial onset, sent as LSL markers into the stim channel")
	f.DurationVar(&cfg.MarkerDelay, "marker-delay", 50*time.Millisecond, "the ingest's marker delay in trial mode")
	f.StringVar(&cfg.LSLConfigFile, "lsl-config", "", "liblsl's lsl_api.cfg (default $LSLAPICFG; none: this machine only)")
	f.BoolVar(&cfg.KeepTopics, "keep-topics", false, "keep the run's topic (default: delete it)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
