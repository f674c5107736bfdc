package main

import (
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline/analyze"
	"github.com/neurostream/neurostream/pipeline/config"
)

func newAnalyzeCmd() *cobra.Command {
	var out string
	var opt analyze.Options
	cmd := &cobra.Command{
		Use:     "analyze FILE|DIR...",
		Short:   "Band powers (and, where the data allow, seizure and SSVEP detection) of recordings, with no YAML",
		Long:    help("analyze.long"),
		Example: help("analyze.example"),
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// analyze's names for the plain-text options, for errors
			opt.TextNames = config.TextOptionNames{SampleRate: "--rate", Unit: "--unit", TimeColumn: "source.files.time_column", MarkerColumn: "source.files.marker_column"}
			return cli.OutcomeExit(analyze.Run(cmd.Context(), cmd.OutOrStdout(), args, out, opt, runOptions(cmd)))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "results folder (default out/analyze-NAME for each recording)")
	f.Float64Var(&opt.SampleRate, "rate", 0, "sample rate in Hz of plain-text recordings (required for them)")
	f.StringVar(&opt.Unit, "unit", "uV", "unit of plain-text values: V, mV, uV or nV")
	f.Float64SliceVar(&opt.SSVEPFrequencies, "ssvep-freqs", nil, "SSVEP target frequencies in Hz: adds FBCCA decisions per window")
	f.StringSliceVar(&opt.SSVEPChannels, "ssvep-channels", nil, "channels the SSVEP decoder uses (default: the data channels)")
	return cmd
}
