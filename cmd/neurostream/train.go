package main

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/models/modelfile"
	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/models/ssvep"
)

func newTrainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train decoders from labelled calibration recordings",
	}
	cmd.AddCommand(newTrainSSVEPCmd())
	cmd.AddCommand(newTrainSeizureCmd())
	cmd.AddCommand(newTrainTokenizerCmd())
	return cmd
}

// newTrainSSVEPCmd is `train ssvep`: ssvep.TrainRecordings.
func newTrainSSVEPCmd() *cobra.Command {
	var o ssvep.TrainRecordingsConfig
	var data []string
	var events, method, out string
	cmd := &cobra.Command{
		Use:     "ssvep --data FILES|DIRS --events CODE=FREQ,... --length S --out MODEL.json",
		Short:   "Train a TRCA or ensemble TRCA SSVEP model from calibration trials",
		Long:    help("train-ssvep.long"),
		Example: help("train-ssvep.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(data) == 0 || events == "" || out == "" {
				return errors.New("give --data, --events and --out")
			}
			if method != "trca" && method != "etrca" {
				return fmt.Errorf("--method %q: want trca or etrca", method)
			}
			var err error
			if o.Calibration.Targets, err = ssvep.ParseTargets(events); err != nil {
				return fmt.Errorf("--events: %w", err)
			}
			o.TRCA.Ensemble, o.Calibration.Notes, o.Log = method == "etrca", cmd.ErrOrStderr(), cmd.OutOrStdout()
			m, err := ssvep.TrainRecordings(data, o)
			if err != nil {
				return err
			}
			return saveModel(cmd, out, m.Save)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&data, "data", nil, "calibration recordings: files or folders (searched recursively)")
	f.StringVar(&events, "events", "", "event codes and their stimulus frequencies in Hz: CODE=FREQ,...")
	f.StringSliceVar(&o.Calibration.Rest, "rest", nil, "event codes of no-control (rest) trials")
	f.Float64Var(&o.Calibration.Offset, "offset", 0, "trial start after the event onset in s (visual latency)")
	f.Float64Var(&o.Calibration.Length, "length", 0, "trial length in s: the decision window the model scores")
	f.StringVar(&method, "method", "etrca", "trca or etrca (ensemble TRCA)")
	f.StringSliceVar(&o.Calibration.Channels, "channels", nil, "channels to use, in this order (default: every EEG channel)")
	f.StringVar(&out, "out", "", "model file to write (JSON)")
	f.Float64Var(&o.Calibration.Notch, "notch", 0, "mains frequency in Hz to notch (causal, Q 30) before cutting trials; 0: none")
	f.StringVar((*string)(&o.TRCA.NoControl), "no-control", "margin", "no-control rule calibrated on --rest trials: top or margin")
	f.IntVar(&o.TRCA.FilterBank.SubBands, "sub-bands", 0, "filter-bank sub-bands (default 5; 1 is plain TRCA on [6, 90] Hz)")
	f.BoolVar(&o.NoCV, "no-cv", false, "skip the leave-one-trial-out accuracy estimate")
	return cmd
}

// newTrainSeizureCmd is `train seizure`: seizure.TrainRecordings.
func newTrainSeizureCmd() *cobra.Command {
	var o seizure.TrainRecordingsConfig
	var data []string
	var out, classifier string
	cmd := &cobra.Command{
		Use:     "seizure --data FILES|DIRS --window S --hop S --out MODEL.json",
		Short:   "Train a seizure detector (logistic regression on window features) from annotated recordings",
		Long:    help("train-seizure.long"),
		Example: help("train-seizure.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case len(data) == 0 || out == "":
				return errors.New("give --data and --out")
			case classifier != "logreg" && classifier != "gbt":
				return fmt.Errorf("--classifier %q: want logreg or gbt", classifier)
			case o.Dataset.Reference != "" && o.Dataset.Reference != "average":
				return fmt.Errorf("--reference %q: want average (or nothing: as recorded)", o.Dataset.Reference)
			case !(o.Dataset.Window > 0) || !(o.Dataset.Hop > 0):
				return errors.New("--window and --hop: give lengths in s (> 0)")
			case !(o.Train.Lambda >= 0):
				return errors.New("--lambda must be ≥ 0")
			case !o.NoCV && o.Folds < 2:
				return errors.New("--folds must be at least 2")
			case len(o.Dataset.Labels) == 0:
				return errors.New("--labels: give at least one annotation description")
			}
			o.Train.Lambda = max(o.Train.Lambda, math.SmallestNonzeroFloat64) // 0 would take the default
			o.Train.Balanced, o.Dataset.Notes, o.Log = true, cmd.ErrOrStderr(), cmd.OutOrStdout()
			if classifier == "gbt" {
				o.Train.Boost = &seizure.BoostConfig{}
			}
			m, err := seizure.TrainRecordings(data, o)
			if err != nil {
				return err
			}
			return saveModel(cmd, out, m.Save)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&data, "data", nil, "recordings: files or folders (searched recursively)")
	f.StringSliceVar(&o.Dataset.Labels, "labels", []string{"seizure"}, "annotation descriptions that mark seizures (case-insensitive)")
	f.StringVar(&o.Dataset.EventsDir, "events-tsv", "", "folder of SzCORE <name>_events.tsv files (default: next to each recording)")
	f.Float64Var(&o.Dataset.Window, "window", 4, "window length in s")
	f.Float64Var(&o.Dataset.Hop, "hop", 2, "hop between window starts in s")
	f.StringSliceVar(&o.Dataset.Channels, "channels", nil, "channels to use, in this order (default: every EEG channel)")
	f.Float64Var(&o.Train.Lambda, "lambda", 0.01, "L2 penalty on the z-scored feature weights")
	f.BoolVar(&o.Dataset.Coherence, "coherence", false, "add inter-channel theta and alpha coherence features")
	f.IntVar(&o.Folds, "folds", 5, "cross-validation folds")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the fold assignment")
	f.BoolVar(&o.NoCV, "no-cv", false, "skip the cross-validated estimate")
	f.StringVar(&out, "out", "", "model file to write (JSON)")
	f.StringVar(&classifier, "classifier", "logreg", "logreg (L2 logistic regression) or gbt (gradient-boosted trees, 200 of depth 3; --lambda unused)")
	f.BoolVar(&o.Dataset.Extended, "extended", false, "add the extended per-channel features (models/seizure FeatureConfig.Extended)")
	f.StringVar(&o.Dataset.Reference, "reference", "", "re-reference before the features: average (common average of the EEG channels, as the pipeline's reference step); default: as recorded")
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
