package main

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/neurostream/neurostream/models/modelfile"
	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/pipeline/train"
)

func newTrainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train decoders from labelled calibration recordings",
	}
	cmd.AddCommand(newTrainSSVEPCmd(), newTrainSeizureCmd(), newTrainTokenizerCmd())
	return cmd
}

// recordingFlags adds the flags of train's recordings: run's source.files.
func recordingFlags(f *pflag.FlagSet, in *train.Input) {
	in.Names = train.FlagNames
	f.StringSliceVar(&in.Files.Paths, "data", nil, "recordings: files or folders (searched recursively; a folder of sub-* folders is BIDS)")
	readFlags(f, filesTargets(&in.Files))
}

// ssvepTrials are the flags of `train ssvep` and `eval ssvep` that say
// which trials are cut and how decoders are calibrated on them.
type ssvepTrials struct {
	events   string
	rest     *[]string
	offset   *float64
	offsets  *[]float64
	span     *float64
	channels *[]string
	notch    *float64
	model    *ssvep.TrainCalibrationConfig
}

func (t *ssvepTrials) add(f *pflag.FlagSet, method string) {
	f.StringVar(&t.events, "events", "", "event codes and their stimulus frequencies in Hz: CODE=FREQ,...")
	f.StringSliceVar(t.rest, "rest", nil, "event codes of no-control (rest) trials")
	f.Float64Var(t.offset, "offset", 0, "trial start after the event onset in s (visual latency); cca/fbcca with --no-control auto choose it among --offsets unless given")
	f.Float64SliceVar(t.offsets, "offsets", []float64{0, 0.15, 0.3, 0.5}, "candidate offsets in s that cca/fbcca with --no-control auto choose from by cross-validation")
	f.Float64Var(t.span, "span", 0, "seconds a trial's stimulation lasts after its onset: fbcca+ts-lr trains on its windows every 0.5 s to there (default: 0, one window per trial)")
	f.StringSliceVar(t.channels, "channels", nil, "channels to use, in this order (default: every EEG channel)")
	f.Float64Var(t.notch, "notch", 0, "mains frequency in Hz: the pipeline's notch step (Q 30) before the trials; 0: none")
	f.StringVar((*string)(&t.model.NoControl), "no-control", "auto", "decision rule calibrated on --rest trials: auto (cca/fbcca: chosen by cross-validation with the offset, harmonics and filter bank; trca/etrca: margin; mdm/ts-lr: detector), top or margin (score threshold), detector (rest detector), class (rest as a class: mdm, ts-lr)")
	f.IntVar(&t.model.SubBands, "sub-bands", 0, "filter-bank sub-bands of fbcca, trca, etrca (default: trca/etrca 5, 1 is plain TRCA on [6, 90] Hz; fbcca auto: chosen among standard banks)")
	f.IntVar(&t.model.Harmonics, "harmonics", 0, "harmonics of the cca/fbcca references (default: auto: chosen among 2-5; else 5, fewer below Nyquist)")
	f.BoolVar(&t.model.NoCV, "no-cv", false, "skip the leave-one-trial-out accuracy estimate (trca, etrca)")
	if method != "" {
		f.StringVar(&t.model.Method, "method", method, "trca, etrca, mdm, ts-lr, tdca, fbcca+ts-lr, fbcca-bands+ts-lr, fbcca+ts-lr+tdca (trained; the stacks combine their parts), cca or fbcca (training-free: calibrated), auto (fbcca or fbcca+ts-lr by cross-validation)")
	}
}

// targets parses --events; the candidate offsets are dropped when
// --offset is given or the rule is not auto.
func (t *ssvepTrials) targets(cmd *cobra.Command) (map[string]float64, error) {
	if cmd.Flags().Changed("offset") || t.model.NoControl != ssvep.NoControlAuto {
		*t.offsets = nil
	}
	m, err := ssvep.ParseTargets(t.events)
	if err != nil {
		return nil, fmt.Errorf("--events: %w", err)
	}
	return m, nil
}

// newTrainSSVEPCmd is `train ssvep`: train.SSVEP.
func newTrainSSVEPCmd() *cobra.Command {
	var o train.SSVEPConfig
	var out string
	tf := ssvepTrials{rest: &o.Rest, offset: &o.Offset, offsets: &o.Offsets, span: &o.Span, channels: &o.Channels, notch: &o.Notch, model: &o.Model}
	cmd := &cobra.Command{
		Use:     "ssvep --data FILES|DIRS --events CODE=FREQ,... --length S --out MODEL.json",
		Short:   "Train TRCA/eTRCA/MDM/TS-LR, or calibrate CCA/FBCCA, from SSVEP calibration trials",
		Long:    help("train-ssvep.long"),
		Example: help("train-ssvep.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = cmd.ErrOrStderr()
			if len(o.Files.Paths) == 0 || tf.events == "" || out == "" {
				return errors.New("give --data, --events and --out")
			}
			var err error
			if o.Targets, err = tf.targets(cmd); err != nil {
				return err
			}
			o.Notes, o.Model.Log = cmd.ErrOrStderr(), cmd.OutOrStdout()
			if m := o.Model.Method; m != ssvep.MethodCCA && m != ssvep.MethodFBCCA && !ssvep.ChoosesOffset(m) {
				o.Offsets, o.Span = nil, 0 // the method does not choose its offset
			}
			m, err := train.SSVEP(cmd.Context(), o)
			if err != nil {
				return err
			}
			if err := saveModel(cmd, out, m.Save); err != nil {
				return err
			}
			if w, ok := m.(interface{ Offset() float64 }); ok && w.Offset() > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "trial mode: window.events.offset_seconds %g with length_seconds %g, or offset_seconds 0 with length_seconds ≥ %g (the stage decodes from %g s)\n",
					w.Offset(), o.Length, w.Offset()+o.Length, w.Offset())
			}
			return nil
		},
	}
	f := cmd.Flags()
	recordingFlags(f, &o.Input)
	tf.add(f, "etrca")
	f.Float64Var(&o.Length, "length", 0, "trial length in s: the decision window the model scores")
	f.StringVar(&out, "out", "", "model file to write (JSON)")
	return cmd
}

// newTrainSeizureCmd is `train seizure`: train.Seizure.
func newTrainSeizureCmd() *cobra.Command {
	var o train.SeizureConfig
	var out string
	cmd := &cobra.Command{
		Use:     "seizure --data FILES|DIRS --window S --hop S --out MODEL.json",
		Short:   "Train a seizure detector (logistic regression on window features) from annotated recordings",
		Long:    help("train-seizure.long"),
		Example: help("train-seizure.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = cmd.ErrOrStderr()
			switch {
			case len(o.Files.Paths) == 0 || out == "":
				return errors.New("give --data and --out")
			case o.Window == 0 || o.Hop == 0: // 0 would take the default
				return errors.New("--window and --hop: give lengths in s (> 0)")
			}
			if err := o.Validate(); err != nil {
				return err
			}
			o.Train.Lambda = max(o.Train.Lambda, math.SmallestNonzeroFloat64) // 0 would take the default
			o.Notes, o.Log = cmd.ErrOrStderr(), cmd.OutOrStdout()
			m, err := train.Seizure(cmd.Context(), o)
			if err != nil {
				return err
			}
			return saveModel(cmd, out, m.Save)
		},
	}
	f := cmd.Flags()
	recordingFlags(f, &o.Input)
	f.StringSliceVar(&o.Labels, "labels", []string{"seizure"}, "annotation descriptions that mark seizures (case-insensitive)")
	f.StringVar(&o.EventsDir, "events-tsv", "", "folder of SzCORE <name>_events.tsv files (default: next to each recording)")
	f.Float64Var(&o.Window, "window", 4, "window length in s")
	f.Float64Var(&o.Hop, "hop", 2, "hop between window starts in s")
	f.StringSliceVar(&o.Channels, "channels", nil, "channels to use, in this order (default: every EEG channel)")
	f.Float64Var(&o.Train.Lambda, "lambda", 0.01, "L2 penalty on the z-scored feature weights")
	f.BoolVar(&o.Coherence, "coherence", false, "add inter-channel theta and alpha coherence features")
	f.IntVar(&o.Folds, "folds", 5, "cross-validation folds")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the fold assignment")
	f.BoolVar(&o.NoCV, "no-cv", false, "skip the cross-validated estimate")
	f.StringVar(&out, "out", "", "model file to write (JSON)")
	f.StringVar(&o.Classifier, "classifier", "logreg", "logreg (L2 logistic regression) or gbt (gradient-boosted trees, 200 of depth 3; --lambda unused)")
	f.BoolVar(&o.Extended, "extended", false, "add the extended per-channel features (models/seizure FeatureConfig.Extended)")
	f.Float64Var(&o.Baseline, "baseline", 0, "z-score the model inputs against each recording's running baseline with this time constant in s (models/seizure Baseline); 0: absolute features")
	f.BoolVar(&o.PoolChannels, "pool-channels", false, "give the model each feature's mean, smallest and largest value over the channels instead of each channel's (models/seizure FeatureConfig.PoolChannels)")
	f.StringVar(&o.Reference, "reference", "", "re-reference before the features: average (the pipeline's reference step: common average of the EEG channels); default: as recorded")
	return cmd
}

// saveModel writes a trained model's file and says so.
func saveModel(cmd *cobra.Command, path string, save func(io.Writer) error) error {
	if err := modelfile.WriteFile(path, save); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "model written to %s\n", path)
	return nil
}
