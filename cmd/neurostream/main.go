// Command neurostream runs EEG/MEG analysis pipelines on recordings,
// simulations and Kafka topics, and what surrounds them: it publishes live
// LSL streams and replays files into Kafka, trains and scores the seizure
// and SSVEP models and the tokenizer, draws reports, serves the live view,
// inspects recorded-data files and measures throughput and latency.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/neurostream/neurostream/internal/buildinfo"
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
		cancel(interrupted{s.(syscall.Signal)})
	}()
	err := newRoot().ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "neurostream:", err)
	}
	os.Exit(exitCode(err))
}

// Exit codes (docs/operations.md, "Exit codes").
const (
	exitOK = 0
	// exitFailed: the command failed (a sink or source failure, an
	// unreadable file, …).
	exitFailed = 1
	// exitUsage: bad flags or arguments, or a configuration that does
	// not load or validate.
	exitUsage = 2
	// exitNothing: a run processed nothing: every recording was skipped,
	// every chunk dead-lettered, or there was no input.
	exitNothing = 3
	// exitPartial: a run processed part of its input: some recordings
	// were skipped, or some chunks or windows dead-lettered.
	exitPartial = 4
	// exitSignal plus the signal number: a run over finite input was
	// interrupted (130 for SIGINT, 143 for SIGTERM).
	exitSignal = 128
)

// exitError is an error with the process exit code it calls for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode gives err the exit code code, unless it has one already.
func withCode(code int, err error) error {
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return &exitError{code, err}
}

// interrupted is the cause of a context cancelled by a signal.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string { return "interrupted by " + signalName(i.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// exitCode is the exit code of the error a command returned: its own
// (exitError), exitFailed for any other error of a command's RunE, and
// exitUsage for errors cobra returned before any RunE ran (unknown
// command or flag, wrong arguments, missing required flag).
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return exitUsage
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
	markRunErrors(root)
	return root
}

// positiveAnnotation marks numeric flags whose explicit value must be
// above zero: the packages read 0 as "the default", so a typed
// --folds 0 would silently become 5.
const positiveAnnotation = "neurostream_positive"

// positive marks the named flags of f as taking only values above zero.
func positive(f *pflag.FlagSet, names ...string) {
	for _, n := range names {
		if err := f.SetAnnotation(n, positiveAnnotation, []string{"true"}); err != nil {
			panic(err)
		}
	}
}

// checkPositive refuses a marked flag given a value of zero or below.
func checkPositive(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if _, ok := fl.Annotations[positiveAnnotation]; !ok || err != nil {
			return
		}
		if v, perr := strconv.ParseFloat(fl.Value.String(), 64); perr == nil && v <= 0 {
			err = fmt.Errorf("--%s %s: must be above 0", fl.Name, fl.Value.String())
		}
	})
	return err
}

// markRunErrors gives every error a command's RunE returns an exit code
// (exitFailed unless it carries one), so that exitCode can tell them from
// cobra's usage errors, which come before any RunE.
func markRunErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := checkPositive(cmd); err != nil {
				return withCode(exitUsage, err)
			}
			return withCode(exitFailed, run(cmd, args))
		}
	}
}
