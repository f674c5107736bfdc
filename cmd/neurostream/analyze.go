package main

import (
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/analyze"
	"github.com/neurostream/neurostream/pipeline/config"
)

func newAnalyzeCmd() *cobra.Command {
	var out string
	var opt analyze.Options
	cmd := &cobra.Command{
		Use:   "analyze FILE|DIR...",
		Short: "Band powers (and, where the data allow, seizure and SSVEP detection) of recordings, with no YAML",
		Long: "analyze runs on each recording (EDF/EDF+/BDF, BrainVision, GDF, FIF, XDF, plain text/CSV with\n" +
			"--rate; folders are searched for recordings) the pipelines a configuration would describe for it,\n" +
			"prints the summary and says where the result files are:\n\n" +
			"  spectral  Welch PSD and band powers of the data channels (EEG, MEG; not stim, EOG, ECG, EMG,\n" +
			"            misc) in 2 s windows every 1 s, n_per_seg 2 s at the recording's own rate (0.5 Hz bins),\n" +
			"            delta to gamma less the bands above its Nyquist frequency; summarised per unit;\n" +
			"            with --ssvep-freqs, FBCCA SSVEP decisions per window too.\n" +
			"  seizure   only when the recording has the 19 EEG channels of the 10-20 system (labels\n" +
			"            matched ignoring case; T7/T8/P7/P8 stand for T3/T4/T5/T6): the shipped example\n" +
			"            model on 4 s windows every 1 s, resampled to 256 Hz and re-referenced to the\n" +
			"            common average as it was trained; otherwise the output says why it was skipped.\n" +
			"            The shipped model is trained on simulated EEG: an example of the pipeline, not a\n" +
			"            clinical detector.\n\n" +
			"Results go to --out (default out/analyze-NAME per recording, NAME the file name without\n" +
			"extension; with --out and several recordings, OUT/NAME): psd, bandpower (and ssvep) Parquet\n" +
			"files, and under seizure/ the seizure rows, SzCORE annotation files and the model used.\n\n" +
			"Exit codes as for run: 0 all processed, 1 failed, 2 bad arguments, 3 nothing processed,\n" +
			"4 partly processed (a recording skipped or dead letters), 130/143 interrupted.",
		Example: "  neurostream analyze recording.edf\n" +
			"  neurostream analyze --out /tmp/ssvep --ssvep-freqs 8,10,12 wearable_demo_trial2/\n" +
			"  neurostream analyze --rate 173.61 bonn/S/S001.txt",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// analyze's names for the plain-text options, for errors
			opt.TextNames = config.TextOptionNames{SampleRate: "--rate", Unit: "--unit", TimeColumn: "source.files.time_column", MarkerColumn: "source.files.marker_column"}
			return outcomeExit(analyze.Run(cmd.Context(), cmd.OutOrStdout(), args, out, opt, runOptions(cmd)))
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
