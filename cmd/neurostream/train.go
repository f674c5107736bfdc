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
		Use:   "ssvep --data FILES|DIRS --events CODE=FREQ,... --length S --out MODEL.json",
		Short: "Train a TRCA or ensemble TRCA SSVEP model from calibration trials",
		Long: "ssvep cuts a trial of --length seconds at every listed event's onset plus --offset seconds from each\n" +
			"recording (events are annotations whose description is the code: FIF -eve.fif events, EDF+/GDF\n" +
			"annotations, simulated \"ssvep/<f>Hz\" trials), trains TRCA or ensemble TRCA with the default filter\n" +
			"bank (Chen's 5 sub-bands, zero-phase) and writes the versioned model file (models/ssvep, LoadTRCA).\n" +
			"Trials of --rest codes calibrate a no-control rule (--no-control) for asynchronous use.\n\n" +
			"It prints the trials per class and a leave-one-trial-out accuracy estimate over the target trials\n" +
			"(argmax, no rest detection; one model trained per held-out trial, --no-cv skips it).\n\n" +
			"TRCA needs stimulation phase-locked to the event onsets: on recordings without it (the exoskeleton\n" +
			"data) its accuracy stays at chance, and the training-free fbcca stage is the decoder (docs/ssvep.md).",
		Example: "  neurostream simulate --out calibration.edf --duration 146 --ssvep 8,11,13,15 --seed 1\n" +
			"  neurostream train ssvep --data calibration.edf --events 'ssvep/8Hz=8,ssvep/11Hz=11,ssvep/13Hz=13,ssvep/15Hz=15' \\\n" +
			"      --notch 50 --offset 0.1 --length 2 --method etrca --out ssvep.json\n" +
			"  neurostream train ssvep --data subject01/ --events 2=13,3=21,4=17 --rest 1 --notch 50 \\\n" +
			"      --offset 0.14 --length 4 --method etrca --out subject01.json",
		Args: cobra.NoArgs,
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
		Use:   "seizure --data FILES|DIRS --window S --hop S --out MODEL.json",
		Short: "Train a seizure detector (logistic regression on window features) from annotated recordings",
		Long: "seizure cuts windows of --window seconds every --hop seconds from each recording. Seizure spans are\n" +
			"annotations whose description is one of --labels (EDF+/GDF annotations, simulated \"seizure\") and the\n" +
			"seizure rows (eventType sz*) of an SzCORE events TSV: <name>_events.tsv next to the recording (a\n" +
			"trailing _eeg of the name dropped), or in --events-tsv DIR. A window fully inside a span is ictal,\n" +
			"one touching no span is background, and windows partly overlapping a span are skipped.\n\n" +
			"It trains a class-balanced L2 logistic regression (models/seizure) on all windows, writes the\n" +
			"versioned model file (seizure.Load), prints the windows per class and a k-fold cross-validated\n" +
			"balanced accuracy (threshold 0.5) and AUROC over the pooled out-of-fold windows, folds grouped by\n" +
			"recording when there are at least k recordings, otherwise by contiguous blocks of windows.",
		Example: "  neurostream train seizure --data sessions/ --window 4 --hop 2 --out seizure.json\n" +
			"  neurostream train seizure --data sub-01/ --events-tsv annotations/ --channels Fp1,Fp2,T3,T4 --out m.json",
		Args: cobra.NoArgs,
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
