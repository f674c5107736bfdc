package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/models/metrics"
)

func newScoreCmd() *cobra.Command {
	var refPath, hypPath string
	var asJSON bool
	var cfg metrics.EvaluateConfig
	cmd := &cobra.Command{
		Use:     "score --ref DIR|TSV --hyp DIR|TSV",
		Short:   "Score seizure annotations against a reference, as SzCORE does",
		Long:    help("score.long"),
		Example: help("score.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if refPath == "" || hypPath == "" {
				return errors.New("give both --ref and --hyp")
			}
			cfg.Notes = cmd.ErrOrStderr()
			ev, err := metrics.EvaluateDataset(refPath, hypPath, cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return ev.WriteJSON(cmd.OutOrStdout())
			}
			return ev.WriteText(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&refPath, "ref", "", "reference: a dataset folder (sub-*/…/*.tsv) or one annotation TSV")
	f.StringVar(&hypPath, "hyp", "", "hypothesis: a folder mirroring --ref, or one annotation TSV")
	f.BoolVar(&asJSON, "json", false, "print JSON in szcore-evaluation's layout")
	f.BoolVar(&cfg.Cumulated, "cumulated", false, "sum counts over all subjects instead of averaging rates per subject (avg_per_subject=False)")
	f.Float64Var(&cfg.DurationTolerance, "duration-tolerance", 0, "seconds by which a hypothesis may be shorter (zero-padded) or longer (truncated) than its reference")
	return cmd
}
