package main

import (
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/tokenizer/evaluate"
)

func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Evaluate time-frequency motif tokens"}
	cmd.AddCommand(newTokensReportCmd())
	return cmd
}

func newTokensReportCmd() *cobra.Command {
	var cfg evaluate.Config
	cmd := &cobra.Command{
		Use:     "report --vocab VOCAB.arrow --data FILES|DIRS --labels folder|DESC=CLASS,...",
		Short:   "Codebook usage, reconstruction, mutual information and a downstream check of a tokenizer",
		Long:    help("tokens-report.long"),
		Example: help("tokens-report.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = cmd.ErrOrStderr()
			r, err := evaluate.Run(cfg)
			if err != nil {
				return flagError(err)
			}
			return r.Write(cmd.OutOrStdout())
		},
	}
	inputFlags(cmd, &cfg.Input)
	f := cmd.Flags()
	f.StringVar(&cfg.VocabFile, "vocab", "", "vocabulary `FILE` (from neurostream train tokenizer)")
	f.StringVar(&cfg.Labels, "labels", "", "folder, or DESC=CLASS,... annotation descriptions and their classes")
	f.IntVar(&cfg.Folds, "folds", 5, "cross-validation folds (at most one per recording)")
	f.IntVar(&cfg.InnerFolds, "inner-folds", 3, "inner cross-validation folds choosing the L2 penalty")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the fold assignment and label shuffles")
	f.BoolVar(&cfg.Refit, "refit", false, "retrain the vocabulary inside each fold on its training recordings only")
	f.BoolVar(&cfg.PoolChannels, "pool-channels", false, "one bag of tokens and one band-power set over all channels (default: per channel)")
	f.StringSliceVar(&cfg.TokenFeatures, "token-features", []string{"tokens", "cells", "bigrams"}, "bag-of-tokens parts: tokens (token frequencies), cells (cell frequencies), bigrams (cell bigrams)")
	positive(f, "folds", "inner-folds")
	f.Float64SliceVar(&cfg.Lambdas, "lambdas", []float64{1e-3, 1e-2, 1e-1, 1, 10, 100}, "L2 penalties the inner cross-validation chooses from")
	return cmd
}
