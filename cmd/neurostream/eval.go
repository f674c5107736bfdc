package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/eval"
)

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate decoders on a dataset folder: per subject, session and recording, as a table or JSON",
	}
	cmd.AddCommand(newEvalSSVEPCmd(), newEvalSeizureCmd())
	return cmd
}

// newEvalSSVEPCmd is `eval ssvep`: eval.SSVEP.
func newEvalSSVEPCmd() *cobra.Command {
	var o eval.SSVEPConfig
	var asJSON bool
	tf := ssvepTrials{rest: &o.Rest, offset: &o.Offset, offsets: &o.Offsets, span: &o.Span, channels: &o.Channels, notch: &o.Notch, model: &o.Model}
	cmd := &cobra.Command{
		Use:     "ssvep --data DIRS --events CODE=FREQ,... --window S,... [--rest CODES] [--method M,...]",
		Short:   "Accuracy, balanced accuracy and ITR of SSVEP decoders per subject, session, method and window length",
		Long:    help("eval-ssvep.long"),
		Example: help("eval-ssvep.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.Input.Files.Paths) == 0 || tf.events == "" || len(o.Windows) == 0 {
				return errors.New("give --data, --events and --window")
			}
			var err error
			if o.Targets, err = tf.targets(cmd); err != nil {
				return err
			}
			o.Notes, o.Progress = cmd.ErrOrStderr(), progressUnless(cmd, asJSON)
			ev, err := eval.SSVEP(cmd.Context(), o)
			return printEval(cmd, asJSON, ev, err, func(w io.Writer) error { return ev.WriteText(w, o.GazeShift) })
		},
	}
	f := cmd.Flags()
	recordingFlags(f, &o.Input)
	tf.add(f, "")
	f.Float64SliceVar(&o.Windows, "window", nil, "trial lengths in s, each evaluated: 1,2,3,4")
	f.StringSliceVar(&o.Methods, "method", nil, fmt.Sprintf("methods to evaluate (default: all of %v)", eval.Methods()))
	f.StringSliceVar(&o.CalibrateOn, "calibrate-on", nil, "sessions (ids, or 1-based places among each subject's sessions) to calibrate on, testing on the others (default: leave-one-session-out)")
	f.Float64Var(&o.GazeShift, "gaze-shift", 0.5, "seconds added to the window for the ITR's time per selection")
	f.BoolVar(&asJSON, "json", false, `print one JSON object: {"results": [...], "summary": [...], "subjects": [...]}`)
	return cmd
}

// newEvalSeizureCmd is `eval seizure`: eval.Seizure.
func newEvalSeizureCmd() *cobra.Command {
	var o eval.SeizureConfig
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "seizure --data DIRS [--model MODEL.json] [--config FILE]",
		Short:   "SzCORE event and sample scores and alarm latencies of the seizure pipeline per recording and in total",
		Long:    help("eval-seizure.long"),
		Example: help("eval-seizure.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.Input.Files.Paths) == 0 {
				return errors.New("give --data")
			}
			o.Input.Progress, o.Notes, o.Logger = progressUnless(cmd, asJSON), cmd.ErrOrStderr(), slog.Default()
			ev, err := eval.Seizure(cmd.Context(), o)
			return printEval(cmd, asJSON, ev, err, func(w io.Writer) error { return ev.WriteText(w) })
		},
	}
	f := cmd.Flags()
	recordingFlags(f, &o.Input)
	f.StringVar(&o.Config, "config", "builtin:seizure-monitor.yaml", "pipeline configuration whose seizure stage is evaluated (its source and outputs are replaced)")
	f.StringVar(&o.Model, "model", "", "seizure model file (default: the configuration's; the shipped "+eval.ShippedModel+")")
	f.StringSliceVar(&o.Labels, "labels", []string{"seizure"}, "annotation descriptions that mark reference seizures (case-insensitive)")
	f.StringVar(&o.EventsDir, "events-tsv", "", "folder of SzCORE <name>_events.tsv reference files (default: next to each recording)")
	f.Float64Var(&o.DurationTolerance, "duration-tolerance", 0, "seconds by which the detections may be shorter or longer than the recording")
	f.StringVar(&o.WorkDir, "keep", "", "keep the run's files (results, SzCORE detections) in this folder (default: a temporary folder, removed)")
	f.BoolVar(&asJSON, "json", false, `print one JSON object: {"records": [...], "total": {...}}`)
	return cmd
}

// progressUnless is where a progress bar goes: stderr, unless the
// output is JSON (one object on stdout, nothing else on the terminal).
func progressUnless(cmd *cobra.Command, asJSON bool) io.Writer {
	if asJSON {
		return nil
	}
	return cmd.ErrOrStderr()
}

// printEval prints an evaluation: one indented JSON object, or its text.
func printEval(cmd *cobra.Command, asJSON bool, ev any, err error, text func(io.Writer) error) error {
	switch {
	case err != nil:
		return err
	case !asJSON:
		return text(cmd.OutOrStdout())
	}
	return printJSON(cmd.OutOrStdout(), "  ", ev)
}
