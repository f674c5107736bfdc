package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/report"
)

func newReportCmd() *cobra.Command {
	var cfg report.Config
	cmd := &cobra.Command{
		Use:     "report --in DIR --out DIR",
		Short:   "Draw the result files of a run as PNG and SVG figures with an index.html",
		Long:    help("report.long"),
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
				return cli.WithCode(cli.ExitNothing, errors.New("no figure: no readable result file in "+cfg.In))
			case len(r.Problems) > 0:
				return cli.WithCode(cli.ExitPartial, fmt.Errorf("%d files not used; see above", len(r.Problems)))
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
