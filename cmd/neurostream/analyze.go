package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/analyze"
	"github.com/neurostream/neurostream/pipeline/config"
)

// analyzeTextFlags are analyze's names for the plain-text options.
var analyzeTextFlags = config.TextOptionNames{SampleRate: "--rate", Unit: "--unit", TimeColumn: "source.files.time_column", MarkerColumn: "source.files.marker_column"}

func newAnalyzeCmd() *cobra.Command {
	var (
		out string
		opt analyze.Options
	)
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
			opt.TextNames = analyzeTextFlags
			return runAnalyze(cmd, args, out, opt)
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

// runAnalyze plans and runs each recording's pipelines (package
// analyze), each with run's summary and exit semantics, and combines the
// outcomes: a failure or an interruption ends at once; otherwise nothing
// processed of any recording exits 3, some recording or pipeline not
// wholly processed 4.
func runAnalyze(cmd *cobra.Command, args []string, out string, opt analyze.Options) error {
	paths, err := analyze.Recordings(args)
	if err == nil {
		err = analyze.CheckOptions(paths, opt)
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	w := cmd.OutOrStdout()
	dirs := analyze.OutDirs(out, paths)
	var nothing, partial []string
	var done []int
	for i, path := range paths {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "== %s → %s\n", path, dirs[i])
		o := opt
		o.Out = dirs[i]
		plan, err := analyze.New(path, o)
		if err != nil {
			if oe := (*analyze.OptionError)(nil); errors.As(err, &oe) {
				return withCode(exitUsage, err)
			}
			fmt.Fprintf(w, "skipped: %v\n", err)
			nothing = append(nothing, fmt.Sprintf("%s skipped", path))
			continue
		}
		fmt.Fprintf(w, "%s\n\n", plan.Describe())
		what := "spectral: Welch PSD and band powers of the data channels, 2 s windows every 1 s"
		if len(opt.SSVEPFrequencies) > 0 {
			what += ", FBCCA SSVEP decisions"
		}
		fmt.Fprintln(w, what)
		code, err := runStep(cmd, plan.Spectral)
		switch {
		case code == exitNothing:
			nothing = append(nothing, fmt.Sprintf("%s: %v", path, err))
		case code == exitPartial:
			partial = append(partial, fmt.Sprintf("%s: %v", path, err))
		case code != exitOK:
			return err
		}
		fmt.Fprintln(w)
		if plan.Seizure == nil {
			fmt.Fprintf(w, "seizure: skipped: %s\n", plan.SeizureSkipped)
		} else {
			fmt.Fprintf(w, "seizure: %s\n", analyze.ModelDisclaimer)
			for _, n := range plan.SeizureNotes {
				fmt.Fprintf(w, "seizure: %s\n", n)
			}
			code, err := runStep(cmd, plan.Seizure)
			if code == exitOK || code == exitPartial {
				caution, cerr := plan.SeizureCaution()
				if cerr != nil {
					return cerr
				}
				if caution != "" {
					fmt.Fprintf(w, "seizure: caution: %s\n", caution)
				}
			}
			switch {
			case code == exitNothing || code == exitPartial:
				partial = append(partial, fmt.Sprintf("%s (seizure): %v", path, err))
			case code != exitOK:
				return err
			}
		}
		done = append(done, i)
	}
	printAnalyzeResults(w, paths, dirs, done)
	switch {
	case len(nothing) == len(paths):
		return &exitError{exitNothing, fmt.Errorf("nothing processed: %s", strings.Join(nothing, "; "))}
	case len(nothing)+len(partial) > 0:
		return &exitError{exitPartial, fmt.Errorf("partly processed: %s; see above", strings.Join(append(nothing, partial...), "; "))}
	}
	return nil
}

// runStep runs one pipeline as run does (summary, files, dead letters)
// and returns its exit code and error; a problem is said once, here.
func runStep(cmd *cobra.Command, c *config.Config) (int, error) {
	err := runPipeline(cmd, c)
	code := exitCode(withCode(exitFailed, err))
	if code == exitNothing || code == exitPartial {
		fmt.Fprintf(cmd.OutOrStdout(), "%v\n", err)
	}
	return code, err
}

// printAnalyzeResults says where each analysed recording's files are, and
// how to read them.
func printAnalyzeResults(w io.Writer, paths, dirs []string, done []int) {
	if len(done) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "results (Parquet, one file per kind; docs/schemas.md):")
	for _, i := range done {
		fmt.Fprintf(w, "  %s: %s/\n", paths[i], dirs[i])
	}
	d := dirs[done[0]]
	fmt.Fprintf(w, "e.g. duckdb -c \"SELECT channel, band, avg(power) AS power FROM '%s/bandpower-*.parquet' GROUP BY ALL ORDER BY ALL\"\n", d)
}
