// Package cli holds what neurostream's commands share beyond their
// flags: exit codes carried by errors (docs/operations.md, "Exit codes")
// and those of a run's outcome (OutcomeExit),
// the cause of a context cancelled by a signal, and flags that refuse 0.
package cli

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"

	"github.com/neurostream/neurostream/pipeline/analyze"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes (docs/operations.md, "Exit codes").
const (
	ExitOK = 0
	// ExitFailed: the command failed (a sink or source failure, an
	// unreadable file, …).
	ExitFailed = 1
	// ExitUsage: bad flags or arguments, or a configuration that does
	// not load or validate.
	ExitUsage = 2
	// ExitNothing: a run processed nothing: every recording was skipped,
	// every chunk dead-lettered, or there was no input.
	ExitNothing = 3
	// ExitPartial: a run processed part of its input: some recordings
	// were skipped, or some chunks or windows dead-lettered.
	ExitPartial = 4
	// ExitSignal plus the signal number: a run over finite input was
	// interrupted (130 for SIGINT, 143 for SIGTERM).
	ExitSignal = 128
)

// ExitError is an error with the process exit code it calls for.
type ExitError struct {
	code int
	err  error
}

func (e *ExitError) Error() string { return e.err.Error() }
func (e *ExitError) Unwrap() error { return e.err }

// WithCode gives err the exit code code, unless it has one already.
func WithCode(code int, err error) error {
	var ee *ExitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return &ExitError{code, err}
}

// Interrupted is the cause of a context cancelled by a signal.
type Interrupted struct{ Sig syscall.Signal }

func (i Interrupted) Error() string { return "interrupted by " + signalName(i.Sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// ExitCode is the exit code of the error a command returned: its own
// (ExitError), ExitFailed for any other error of a command's RunE, and
// ExitUsage for errors cobra returned before any RunE ran (unknown
// command or flag, wrong arguments, missing required flag).
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return ExitUsage
}

// positiveAnnotation marks numeric flags whose explicit value must be
// above zero: the packages read 0 as "the default", so a typed
// --folds 0 would silently become 5.
const positiveAnnotation = "neurostream_positive"

// Positive marks the named flags of f as taking only values above zero.
func Positive(f *pflag.FlagSet, names ...string) {
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

// MarkRunErrors gives every error a command's RunE returns an exit code
// (ExitFailed unless it carries one), so that ExitCode can tell them from
// cobra's usage errors, which come before any RunE.
func MarkRunErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		MarkRunErrors(sub)
	}
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := checkPositive(cmd); err != nil {
				return WithCode(ExitUsage, err)
			}
			return WithCode(ExitFailed, run(cmd, args))
		}
	}
}

// OutcomeExit gives an outcome of package config or analyze its exit code:
// a signal 128 + its number, nothing processed 3, part of it 4, bad
// arguments 2; other errors pass.
func OutcomeExit(err error) error {
	var sig Interrupted
	var inc *config.Incomplete
	switch {
	case errors.As(err, new(*config.Interrupted)) && errors.As(err, &sig):
		return WithCode(ExitSignal+int(sig.Sig), err)
	case errors.As(err, &inc) && inc.Nothing:
		return WithCode(ExitNothing, err)
	case errors.As(err, &inc):
		return WithCode(ExitPartial, err)
	case errors.As(err, new(*analyze.OptionError)):
		return WithCode(ExitUsage, err)
	}
	return err
}
