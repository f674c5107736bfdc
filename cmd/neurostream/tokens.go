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
		Use:   "report --vocab VOCAB.arrow --data FILES|DIRS --labels folder|DESC=CLASS,...",
		Short: "Codebook usage, reconstruction, mutual information and a downstream check of a tokenizer",
		Long: "report tokenizes labelled examples with a vocabulary and prints:\n" +
			"  - codebook usage on the data: perplexity and perplexity / vocabulary size;\n" +
			"  - reconstruction: the motifs' squared distance to their codewords, relative to their energy and variance;\n" +
			"  - mutual information between a token and its example's label, in bits: plug-in, Miller–Madow and the\n" +
			"    mean over label shuffles (the estimator's bias);\n" +
			"  - a downstream check: a multinomial L2 logistic regression on a bag of tokens (token and cell\n" +
			"    frequencies plus cell bigrams, per channel) against the same classifier on log and relative band\n" +
			"    powers (delta…gamma, Welch on the same 200 Hz samples), with the same cross-validation folds\n" +
			"    (whole recordings held out) and the L2 penalty chosen by an inner cross-validation; Cohen's kappa\n" +
			"    and balanced accuracy of the pooled out-of-fold predictions.\n\n" +
			"--labels folder makes every recording one example labelled by its folder's name (the Bonn sets);\n" +
			"--labels T0=rest,T1=imagery,T2=imagery makes every annotation with a listed description one example\n" +
			"of its class, over the annotation's span. --refit retrains the vocabulary (same parameters and seed)\n" +
			"inside every fold on the training recordings only; otherwise the given vocabulary is used throughout\n" +
			"(it never saw labels, but may have seen the test recordings).",
		Example: "  neurostream tokens report --vocab vocab.arrow --data ../shared/data/bonn-epilepsy --text-rate 173.61 --labels folder\n" +
			"  neurostream tokens report --vocab vocab.arrow --data ../shared/data/eegmmidb-motor-imagery --labels T0=rest,T1=imagery,T2=imagery",
		Args: cobra.NoArgs,
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
