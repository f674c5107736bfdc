package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/tokenizer/corpus"
)

// inputFlags binds the flags of `train tokenizer` and `tokens report` that
// name the recordings and channels to read.
func inputFlags(cmd *cobra.Command, in *corpus.Input) {
	f := cmd.Flags()
	f.StringSliceVar(&in.Paths, "data", nil, "recordings: files or folders (searched recursively), any supported format")
	f.StringSliceVar(&in.Channels, "channels", nil, "channels to use (default: every EEG and MEG channel)")
	readFlags(f, textTargets(&in.Text, &in.ChannelFiles))
	// The names before train ssvep/seizure, eval and inspect settled on
	// --rate and --unit; kept so that scripts keep working.
	f.Float64Var(&in.Text.SampleRate, "text-rate", 0, "")
	f.StringVar(&in.Text.Unit, "text-unit", "uV", "")
	_ = f.MarkDeprecated("text-rate", "use --rate")
	_ = f.MarkDeprecated("text-unit", "use --unit")
}

// tokenFlags are the flags of the corpus and evaluate configuration fields.
var tokenFlags = map[string]string{
	"corpus.Input.Paths": "--data", "corpus.Input.Channels": "--channels", "corpus.Input.Text.SampleRate": "--rate",
	"corpus.TrainConfig.Size": "--vocab", "corpus.TrainConfig.Levels": "--levels", "corpus.TrainConfig.Features": "--context/--patch",
	"evaluate.Config.VocabFile": "--vocab", "evaluate.Config.Labels": "--labels", "evaluate.Config.Folds": "--folds",
	"evaluate.Config.InnerFolds": "--inner-folds", "evaluate.Config.Lambdas": "--lambdas", "evaluate.Config.TokenFeatures": "--token-features",
	"evaluate.Config.TestPaths": "--test-data",
}

// flagError names the flag, not the Go field, of a bad configuration field
// or reader option.
func flagError(err error) error {
	var fe *corpus.FieldError
	if errors.As(err, &fe) && tokenFlags[fe.Field] != "" {
		return errors.New(strings.Replace(err.Error(), fe.Field, tokenFlags[fe.Field], 1))
	}
	return readNames.Rename(err)
}

func newTrainTokenizerCmd() *cobra.Command {
	var cfg corpus.TrainConfig
	var out string
	cmd := &cobra.Command{
		Use:     "tokenizer --data FILES|DIRS --vocab 1024 --out VOCAB.arrow",
		Short:   "Learn a time-frequency motif vocabulary (tokenizer) from recordings",
		Long:    help("tokenizer.long"),
		Example: help("tokenizer.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case out == "":
				return errors.New("give --out")
			case cfg.Features.Context < 0:
				return fmt.Errorf("--context %d: want ≥ 0 frames", cfg.Features.Context)
			case cfg.Features.Context == 0:
				cfg.Features.Context = corpus.NoContext
			}
			cfg.Software, cfg.Log = "neurostream train tokenizer", cmd.ErrOrStderr()
			t, err := corpus.Train(cfg)
			if err != nil {
				return flagError(err)
			}
			if err := t.Write(cmd.OutOrStdout()); err != nil {
				return err
			}
			if err := t.Vocabulary.WriteFile(out); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "vocabulary written to %s\n", out)
			return err
		},
	}
	inputFlags(cmd, &cfg.Input)
	f := cmd.Flags()
	f.IntVar(&cfg.Size, "vocab", 1024, fmt.Sprintf("vocabulary size (tokens), 2 to %d", corpus.MaxSize))
	f.IntVar(&cfg.Cells, "cells", 0, "coarse cells of the two-level vocabulary (default √vocab)")
	f.IntVar(&cfg.Levels, "levels", 16, "power levels per band (delta…gamma) and channel type (-1: none)")
	f.IntVar(&cfg.Features.Context, "context", 1, "frames of context on each side of a motif's centre frame (0: none)")
	f.IntVar(&cfg.Features.PatchBins, "patch", 5, "frequency patch width in 1 Hz bins (divides 100)")
	f.IntVar(&cfg.Iterations, "iterations", 30, "Lloyd iterations per k-means run")
	f.IntVar(&cfg.MaxMotifs, "max-motifs", 1<<18, "train on at most this many motifs (a seeded random subset)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the subsampling and k-means++ seeding")
	f.StringVar(&out, "out", "", "vocabulary file to write (Arrow IPC)")
	return cmd
}
