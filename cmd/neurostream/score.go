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
		Use:   "score --ref DIR|TSV --hyp DIR|TSV",
		Short: "Score seizure annotations against a reference, as SzCORE does",
		Long: "score compares hypothesis seizure annotations (SzCORE/BIDS events TSV) with reference ones exactly as\n" +
			"szcore-evaluation 0.0.7 does with timescoring 0.0.7: each recording is labelled at 1 Hz and scored\n" +
			"sample by sample and event by event (30 s before / 60 s after tolerance, events < 90 s apart merged,\n" +
			"events > 300 s split); counts are summed per subject, and the rates are averaged over subjects\n" +
			"(NaN ignored), or computed once from all counts with --cumulated.\n\n" +
			"With folders, every annotation TSV below REF/sub-*/ is a recording and its hypothesis is the file at\n" +
			"the same relative path under HYP; a missing hypothesis, or one whose recording length differs from\n" +
			"the reference's, is scored as no detections (as szcore-evaluation does; a note goes to stderr).\n" +
			"Alarm latency is reported for each reference event: how long after its onset the first detection\n" +
			"overlapping [onset - 30 s, end) began, 0 when it was already on at the onset (early within the\n" +
			"tolerance, or on since before); events without one are missed (docs/seizure.md).\n\n" +
			"--json prints szcore-evaluation's JSON (sample_results, event_results) with the summed counts,\n" +
			"per-subject results and alarm latencies added; undefined rates are null.",
		Example: "  neurostream score --ref bids/ --hyp predictions/\n" +
			"  neurostream score --ref sub-01_ses-01_task-szMonitoring_run-00_events.tsv --hyp pred.tsv --json",
		Args: cobra.NoArgs,
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
