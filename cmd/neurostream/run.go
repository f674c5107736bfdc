package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
)

func newRunCmd() *cobra.Command {
	var file, viewAddr string
	cmd := &cobra.Command{
		Use:     "run --config FILE",
		Short:   "Run a pipeline described in YAML",
		Long:    help("run.long"),
		Example: help("run.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(file)
			if err != nil {
				return err
			}
			if viewAddr != "" {
				return runWithView(cmd, c, viewAddr)
			}
			return runPipelineWith(cmd, c, nil, nil)
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "pipeline YAML file, or builtin:NAME.yaml for one of configs/ embedded in the binary")
	cmd.Flags().StringVar(&viewAddr, "view", "", "serve the live web view of the results on this address (host:port, e.g. 127.0.0.1:8080; docs/view.md);\n"+
		"after a finite input ends it keeps serving until interrupted")
	cmd.MarkFlagRequired("config")
	return cmd
}

// readConfig reads a file, or an embedded one named builtin:NAME, over
// the defaults, with NEUROSTREAM_* overrides; it does not validate.
func readConfig(file string) (*config.Config, error) { return config.LoadFile(file) }

// loadConfig reads and validates a configuration (config.Open); its
// errors exit with cli.ExitUsage.
func loadConfig(file string) (*config.Config, error) {
	c, err := config.Open(file)
	return c, cli.WithCode(cli.ExitUsage, err)
}

// metricsHook, when set (by tests), learns the metrics server's address.
var metricsHook func(addr string)

// runOptions are the options of config.Run for run and analyze: the report
// on stdout, every dead letter logged with -v.
func runOptions(cmd *cobra.Command) config.RunOptions {
	return config.RunOptions{Report: cmd.OutOrStdout(), MetricsListening: metricsHook, Progress: cmd.ErrOrStderr(),
		EveryDeadLetter: slog.Default().Enabled(cmd.Context(), slog.LevelDebug)}
}

// runPipelineUntil runs c; watch, when not nil, runs beside it and may end
// the run early with stop (a soft drain, as on SIGTERM).
func runPipelineUntil(cmd *cobra.Command, c *config.Config, watch func(ctx context.Context, r *pipeline.Runner, stop func()) error) error {
	return runPipelineWith(cmd, c, watch, nil)
}

// runPipelineWith runs c as run does (config.Run, with watch and prepare).
// The error says why the run did not process all of its input, with its
// exit code.
func runPipelineWith(cmd *cobra.Command, c *config.Config, watch func(ctx context.Context, r *pipeline.Runner, stop func()) error, prepare func(b *config.Built)) error {
	opt := runOptions(cmd)
	opt.Watch, opt.Prepare = watch, prepare
	run, err := c.Run(cmd.Context(), opt)
	if errors.As(err, new(*config.Interrupted)) && !errors.As(err, new(cli.Interrupted)) {
		err = run.Outcome() // only a signal interrupts a command
	}
	return cli.OutcomeExit(err)
}
