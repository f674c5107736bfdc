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
	var files config.Files
	cmd := &cobra.Command{
		Use:     "analyze FILE|DIR...",
		Short:   "Band powers (and, where the data allow, seizure and SSVEP detection) of recordings, with no YAML",
		Long:    help("analyze.long"),
		Example: help("analyze.example"),
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.SampleRate, opt.Unit, opt.TimeColumn, opt.MarkerColumn = files.SampleRate, files.Unit, files.TimeColumn, files.MarkerColumn
			opt.ChannelFiles, opt.ChannelLabels, opt.TextNames = files.ChannelFiles, files.ChannelLabels, readNames
			return cli.OutcomeExit(analyze.Run(cmd.Context(), cmd.OutOrStdout(), args, out, opt, runOptions(cmd)))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "results folder (default out/analyze-NAME for each recording)")
	readFlags(f, filesTargets(&files))
	f.Float64SliceVar(&opt.SSVEPFrequencies, "ssvep-freqs", nil, "SSVEP target frequencies in Hz: adds FBCCA decisions per window")
	f.StringSliceVar(&opt.SSVEPChannels, "ssvep-channels", nil, "channels the SSVEP decoder uses (default: the data channels)")
	return cmd
}
