// Command neurostream runs EEG/MEG analysis pipelines on recordings,
// simulations and (later) Kafka streams, and inspects recorded-data files.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "neurostream:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:           "neurostream",
		Short:         "Streaming EEG/MEG signal processing",
		Long:          "neurostream reads EEG/MEG recordings, simulations or streams, runs spectral analysis per session\nand window, and writes the results as Apache Arrow.",
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
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug messages to stderr")
	root.AddCommand(newRunCmd(), newDemoCmd(), newInspectCmd(), newSimulateCmd(), newConfigCmd(), newBenchCmd(), newScoreCmd(), newReplayCmd(), newTrainCmd())
	root.AddCommand(newTokensCmd())
	return root
}
