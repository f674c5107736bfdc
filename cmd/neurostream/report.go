package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/report"
)

func newReportCmd() *cobra.Command {
	var cfg report.Config
	cmd := &cobra.Command{
		Use:   "report --in DIR --out DIR",
		Short: "Draw the result files of a run as PNG and SVG figures with an index.html",
		Long: "report reads the result files in --in (Arrow or Parquet parts, as run writes them) and draws, per\n" +
			"session: the mean PSD per channel, band power over time, a spectrogram, the coherence matrix per band,\n" +
			"the seizure probability with its events (against the reference seizures of --ref, SzCORE annotation\n" +
			"TSV files, with their event scores) and the SSVEP decisions, each as PNG and SVG, and one index.html\n" +
			"linking them all. A file it cannot use (unknown kind, empty, truncated) is named with the reason and\n" +
			"the rest are drawn.\n\n" +
			"Exit codes: 0 every file used; 1 the report could not be written; 2 bad flags; 3 no figure;\n" +
			"4 some files not used.",
		Example: "  neurostream report --in out --out out/report\n  neurostream report --in out --out rep --ref bids/",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := report.Write(cfg)
			if err != nil {
				return err
			}
			r.Print(cmd.OutOrStdout())
			switch {
			case len(r.Figures) == 0:
				return withCode(exitNothing, errors.New("no figure: no readable result file in "+cfg.In))
			case len(r.Problems) > 0:
				return withCode(exitPartial, fmt.Errorf("%d files not used; see above", len(r.Problems)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.In, "in", "", "folder of result files (run's output.dir)")
	f.StringVar(&cfg.Out, "out", "", "folder for the figures and index.html")
	f.StringVar(&cfg.Reference, "ref", "", "SzCORE annotation file, or folder of them, with the reference seizures (NAME_events.tsv for session NAME)")
	cmd.MarkFlagRequired("in")
	cmd.MarkFlagRequired("out")
	return cmd
}
