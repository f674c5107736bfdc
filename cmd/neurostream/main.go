// Command neurostream runs EEG/MEG analysis pipelines on recordings,
// simulations and Kafka topics, and what surrounds them: it publishes live
// LSL streams and replays files into Kafka, trains and scores the seizure
// and SSVEP models and the tokenizer, draws reports, serves the live view,
// inspects recorded-data files and measures throughput and latency.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/buildinfo"
	"github.com/neurostream/neurostream/internal/cli"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	// Caught for the whole run: after the first, further signals are
	// ignored while the pipeline drains (it stops hard after its drain
	// timeout).
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		cancel(cli.Interrupted{Sig: s.(syscall.Signal)})
	}()
	err := newRoot().ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "neurostream:", err)
	}
	os.Exit(cli.ExitCode(err))
}

func newRoot() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:           "neurostream",
		Short:         "Streaming EEG/MEG signal processing",
		Long:          "neurostream reads EEG/MEG recordings, simulations or streams, runs spectral analysis per session\nand window, and writes the results as Apache Arrow.",
		Version:       buildinfo.Read().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level})))
		},
	}
	root.SetVersionTemplate("neurostream {{.Version}}\n")
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug messages to stderr")
	root.AddCommand(newRunCmd(), newDemoCmd(), newInspectCmd(), newSimulateCmd(), newConfigCmd(), newBenchCmd(), newScoreCmd(), newReplayCmd(), newTrainCmd())
	root.AddCommand(newTokensCmd(), newViewCmd(), newReportCmd())
	root.AddCommand(newTopicsCmd(), newAnalyzeCmd())
	root.AddCommand(newIngestCmd(), newEvalCmd())
	cli.MarkRunErrors(root)
	return root
}
