package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/tokenizer"
)

// tokenInput are the input flags shared by `train tokenizer` and `tokens
// report`: which recordings and channels to read.
type tokenInput struct {
	data     []string
	channels []string
	textRate float64
	textUnit string
}

func (o *tokenInput) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVar(&o.data, "data", nil, "recordings: files or folders (searched recursively), any supported format")
	f.StringSliceVar(&o.channels, "channels", nil, "channels to use (default: every EEG and MEG channel)")
	f.Float64Var(&o.textRate, "text-rate", 0, "sample rate in Hz of plain-text recordings (e.g. 173.61 for the Bonn data)")
	f.StringVar(&o.textUnit, "text-unit", "uV", "unit of plain-text values")
}

// files expands --data.
func (o *tokenInput) files() ([]string, error) {
	if len(o.data) == 0 {
		return nil, errors.New("give --data")
	}
	var files []string
	for _, d := range o.data {
		fs, err := open.Recordings(d)
		if err != nil {
			return nil, fmt.Errorf("--data %s: %w", d, err)
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		return nil, errors.New("--data: no recordings found")
	}
	return files, nil
}

// recording is one recording's analysed channels, read whole.
type recording struct {
	path   string
	info   *formats.Info
	labels []string
	x      [][]float64 // x[c] at info.SampleRate
}

// read opens path and reads its analysed channels: --channels, or every
// EEG and MEG channel.
func (o *tokenInput) read(path string) (*recording, error) {
	opt := open.Options{Text: text.Options{SampleRate: o.textRate, Unit: o.textUnit}}
	if open.Detect(path) == open.KindText && o.textRate == 0 {
		return nil, fmt.Errorf("%s: plain-text recording: give its sample rate with --text-rate", path)
	}
	r, err := open.File(path, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info := r.Info()
	var idx []int
	var labels []string
	if len(o.channels) == 0 {
		for i, ch := range info.Channels {
			switch ch.Type {
			case formats.EEG, formats.MEGMag, formats.MEGGrad:
				idx = append(idx, i)
				labels = append(labels, ch.Label)
			}
		}
		if len(idx) == 0 {
			return nil, fmt.Errorf("%s: no EEG or MEG channels; name them with --channels", path)
		}
	} else {
		all := info.Labels()
		for _, want := range o.channels {
			i := slices.Index(all, want)
			if i < 0 {
				return nil, fmt.Errorf("%s: no channel %q (channels: %s)", path, want, strings.Join(all, ","))
			}
			idx = append(idx, i)
			labels = append(labels, want)
		}
	}
	all, err := formats.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rec := &recording{path: path, info: info, labels: labels}
	for _, i := range idx {
		rec.x = append(rec.x, all[i])
	}
	return rec, nil
}

// trainTokenizerOptions are the flags of `neurostream train tokenizer`.
type trainTokenizerOptions struct {
	in         tokenInput
	vocab      int
	cells      int
	context    int
	patch      int
	iterations int
	maxMotifs  int
	seed       uint64
	out        string
}

func newTrainTokenizerCmd() *cobra.Command {
	var o trainTokenizerOptions
	cmd := &cobra.Command{
		Use:   "tokenizer --data FILES|DIRS --vocab 1024 --out VOCAB.arrow",
		Short: "Learn a time-frequency motif vocabulary (tokenizer) from recordings",
		Long: "tokenizer resamples every analysed channel of every recording to 200 Hz, cuts 1 s Hann frames every\n" +
			"0.5 s, turns each frame into a normalised log-power spectrum in 5 Hz patches and each frame with its\n" +
			"--context neighbours into a unit motif vector, and learns a two-level vocabulary of --vocab codewords\n" +
			"(k-means++ and Lloyd iterations, dead-code restarts, deterministic for a --seed). It writes an Arrow\n" +
			"IPC file with the codebook, the feature parameters and the training provenance (docs/tokenizer.md),\n" +
			"and prints the codebook usage (perplexity) and reconstruction error on the training motifs.",
		Example: "  neurostream train tokenizer --data ../shared/data/bonn-epilepsy --text-rate 173.61 \\\n" +
			"      --data ../shared/data/eegmmidb-motor-imagery --vocab 1024 --out vocab.arrow",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrainTokenizer(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	o.in.flags(cmd)
	f := cmd.Flags()
	f.IntVar(&o.vocab, "vocab", 1024, fmt.Sprintf("vocabulary size (tokens), 2 to %d", tokenizer.MaxSize))
	f.IntVar(&o.cells, "cells", 0, "coarse cells of the two-level vocabulary (default √vocab)")
	f.IntVar(&o.context, "context", 1, "frames of context on each side of a motif's centre frame (0: none)")
	f.IntVar(&o.patch, "patch", 5, "frequency patch width in 1 Hz bins (divides 100)")
	f.IntVar(&o.iterations, "iterations", 30, "Lloyd iterations per k-means run")
	f.IntVar(&o.maxMotifs, "max-motifs", 1<<18, "train on at most this many motifs (a seeded random subset)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the subsampling and k-means++ seeding")
	f.StringVar(&o.out, "out", "", "vocabulary file to write (Arrow IPC)")
	return cmd
}

// featureConfig maps the --context and --patch flags.
func featureConfig(context, patch int) tokenizer.FeatureConfig {
	fc := tokenizer.FeatureConfig{PatchBins: patch, Context: context}
	if context == 0 {
		fc.Context = tokenizer.NoContext
	}
	return fc
}

// fileSource describes path for the provenance: size and SHA-256.
func fileSource(path string) (tokenizer.Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return tokenizer.Source{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return tokenizer.Source{}, fmt.Errorf("%s: %w", path, err)
	}
	return tokenizer.Source{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// progress prints "what done/total" on w at most every 5%.
type progress struct {
	w    io.Writer
	last map[string]int
}

func (p *progress) step(what string, done, total int) {
	if p.last == nil {
		p.last = map[string]int{}
	}
	pct := 100 * done / max(1, total)
	if done != total && pct < p.last[what]+5 {
		return
	}
	p.last[what] = pct
	fmt.Fprintf(p.w, "%s %d/%d\n", what, done, total)
}

func runTrainTokenizer(stdout, stderr io.Writer, o trainTokenizerOptions) error {
	if o.out == "" {
		return errors.New("give --out")
	}
	if o.vocab < 2 || o.vocab > tokenizer.MaxSize {
		return fmt.Errorf("--vocab %d: want 2 to %d", o.vocab, tokenizer.MaxSize)
	}
	if o.context < 0 {
		return fmt.Errorf("--context %d: want ≥ 0 frames", o.context)
	}
	files, err := o.in.files()
	if err != nil {
		return err
	}
	col, err := tokenizer.NewCollector(featureConfig(o.context, o.patch))
	if err != nil {
		return fmt.Errorf("--context/--patch: %w", err)
	}
	prog := &progress{w: stderr}
	var sources []tokenizer.Source
	channels := 0
	for i, path := range files {
		rec, err := o.in.read(path)
		if err != nil {
			return err
		}
		src, err := fileSource(path)
		if err != nil {
			return err
		}
		src.Rate, src.Channels = rec.info.SampleRate, len(rec.x)
		for _, x := range rec.x {
			n, err := col.Add(x, rec.info.SampleRate)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			src.Motifs += n
		}
		if src.Motifs == 0 {
			fmt.Fprintf(stderr, "note: %s: shorter than one motif (%d samples at 200 Hz), skipped\n", path, col.Features().SupportLen())
		}
		channels += len(rec.x)
		sources = append(sources, src)
		prog.step("read recordings", i+1, len(files))
	}
	fmt.Fprintf(stdout, "%d recordings, %d channels, %d motifs of %d values (context ±%d frames, %d Hz patches)\n",
		len(files), channels, col.Len(), col.Features().Dim(), col.Features().Context, col.Features().PatchBins)
	v, err := tokenizer.Train(col.Motifs, tokenizer.TrainConfig{
		Features:   featureConfig(o.context, o.patch),
		Size:       o.vocab,
		Cells:      o.cells,
		Iterations: o.iterations,
		MaxMotifs:  o.maxMotifs,
		Seed:       o.seed,
		Progress:   func(step string, done, total int) { prog.step("k-means "+step, done, total) },
	})
	if err != nil {
		return err
	}
	v.Provenance.Sources = sources
	v.Provenance.Software = "neurostream train tokenizer"
	pp := tokenizer.Perplexity(v.Counts())
	used := 0
	for _, c := range v.Counts() {
		if c > 0 {
			used++
		}
	}
	fmt.Fprintf(stdout, "vocabulary: %d tokens in %d cells, trained on %d motifs (seed %d), %d dead-code restarts\n",
		v.Size(), v.Cells(), v.Provenance.Motifs, o.seed, v.Provenance.Restarts)
	fmt.Fprintf(stdout, "usage on the training motifs: %d/%d tokens used, perplexity %.1f = %.3f × vocabulary size\n",
		used, v.Size(), pp, pp/float64(v.Size()))
	rc := v.Reconstruct(col.Motifs, 20000)
	fmt.Fprintf(stdout, "reconstruction: relative error %.4f of the motif energy, %.3f of the motif variance (one codeword: %.4f, 1)\n",
		rc.Relative, rc.Unexplained, rc.Baseline)
	fmt.Fprintf(stdout, "two-level search finds the exhaustive nearest codeword for %.1f%% of the motifs\n", 100*rc.Recall)
	if err := v.WriteFile(o.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "vocabulary written to %s\n", o.out)
	return nil
}
