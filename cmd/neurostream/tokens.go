package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/tokenizer/corpus"
	"github.com/neurostream/neurostream/tokenizer/evaluate"
)

func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Evaluate time-frequency motif tokens"}
	cmd.AddCommand(newTokensReportCmd())
	return cmd
}

func newTokensReportCmd() *cobra.Command {
	var cfg evaluate.Config
	var trainData []string
	cmd := &cobra.Command{
		Use:     "report --vocab VOCAB.arrow (--data FILES|DIRS | --train-data FILES|DIRS --test-data FILES|DIRS) --labels folder|DESC=CLASS,...",
		Short:   "Codebook usage, reconstruction, mutual information and a downstream check of a tokenizer",
		Long:    help("tokens-report.long"),
		Example: help("tokens-report.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case len(trainData) > 0 && len(cfg.Input.Paths) > 0:
				return errors.New("give --data (cross-validation) or --train-data with --test-data, not both")
			case len(trainData) > 0 && len(cfg.TestPaths) == 0:
				return errors.New("--train-data needs --test-data (to cross-validate, give --data)")
			case len(cfg.TestPaths) > 0 && len(trainData) == 0:
				return errors.New("--test-data needs --train-data")
			}
			cfg.Log = cmd.ErrOrStderr()
			if len(trainData) > 0 {
				cfg.Input.Paths = trainData
			}
			r, err := evaluate.Run(cfg)
			if err != nil {
				// The training recordings are --train-data here.
				var fe *corpus.FieldError
				if len(trainData) > 0 && errors.As(err, &fe) && fe.Field == "corpus.Input.Paths" {
					return errors.New(strings.Replace(err.Error(), fe.Field, "--train-data", 1))
				}
				return flagError(err)
			}
			return r.Write(cmd.OutOrStdout())
		},
	}
	inputFlags(cmd, &cfg.Input)
	f := cmd.Flags()
	f.StringSliceVar(&trainData, "train-data", nil, "recordings to fit the classifiers (and, with --refit, the vocabulary) on, instead of cross-validating over --data")
	f.StringSliceVar(&cfg.TestPaths, "test-data", nil, "held-out recordings to test on (with --train-data); read with the same --channels and --rate")
	f.StringVar(&cfg.VocabFile, "vocab", "", "vocabulary `FILE` (from neurostream train tokenizer)")
	f.StringVar(&cfg.Labels, "labels", "", "folder, or DESC=CLASS,... annotation descriptions and their classes")
	f.IntVar(&cfg.Folds, "folds", 5, "cross-validation folds (at most one per recording)")
	f.IntVar(&cfg.InnerFolds, "inner-folds", 3, "inner cross-validation folds choosing the L2 penalty (and the bag)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the fold assignment and label shuffles")
	f.BoolVar(&cfg.Refit, "refit", false, "retrain the vocabulary inside each fold on its training recordings only")
	f.BoolVar(&cfg.PoolChannels, "pool-channels", false, "one bag of tokens and one band-power set over all channels (default: per channel)")
	f.StringSliceVar(&cfg.TokenFeatures, "token-features", nil, "bag-of-tokens parts: tokens (token frequencies), cells (cell frequencies), bigrams (cell bigrams), "+
		"levels (power levels), level-cells (level × cell pairs) (default: every part the vocabulary has)")
	cli.Positive(f, "folds", "inner-folds")
	f.Float64SliceVar(&cfg.Lambdas, "lambdas", []float64{1e-3, 1e-2, 1e-1, 1, 10, 100}, "L2 penalties the inner cross-validation chooses from")
	return cmd
}
