package corpus

import (
	"fmt"
	"io"
	"strings"

	"github.com/neurostream/neurostream/internal/progress"

	"github.com/neurostream/neurostream/tokenizer"
)

// Constants of package tokenizer, for callers that fill in a TrainConfig
// without importing it.
const (
	// NoContext is the Features.Context of single-frame motifs.
	NoContext = tokenizer.NoContext
	// MaxSize is the largest vocabulary (Size) Train builds.
	MaxSize = tokenizer.MaxSize
	// NoLevels is the Levels of a vocabulary without power levels.
	NoLevels = tokenizer.NoLevels
	// MaxLevels is the largest number of power levels.
	MaxLevels = tokenizer.MaxLevels
)

// TrainConfig configures Train. Zero fields take the defaults.
type TrainConfig struct {
	// Input names the training recordings and their channels.
	Input Input
	// TrainConfig sets the motif features and the vocabulary: size,
	// cells, power levels, iterations, subsampling and seed, with
	// tokenizer's defaults (Size 1024, 16 power levels per band and
	// channel type). Powers is ignored: Train collects them from the
	// recordings, under each channel's type. Progress, when nil, prints
	// the k-means progress to Log.
	tokenizer.TrainConfig
	// Software names the program in the vocabulary's provenance.
	// Default: none.
	Software string
	// Log receives progress lines ("read recordings 3/404") and notes on
	// recordings too short for a motif. Default: nil, silent.
	Log io.Writer
}

// Trained is a vocabulary trained by Train and its measures on the
// training motifs.
type Trained struct {
	// Vocabulary is the trained vocabulary, its Provenance.Sources the
	// recordings read.
	Vocabulary *tokenizer.Vocabulary
	// Recordings and Channels count the recordings read and their
	// channels (summed over recordings).
	Recordings, Channels int
	// Motifs is the number of motifs collected (before subsampling),
	// with features Features (defaults filled in).
	Motifs   int
	Features tokenizer.FeatureConfig
	// Used is the number of tokens that hold training motifs, Perplexity
	// the perplexity of their counts.
	Used       int
	Perplexity float64
	// Reconstruction is the vocabulary's error on the collected motifs
	// (recall over at most 20 000 of them).
	Reconstruction tokenizer.Reconstruction
}

// Train reads every recording of cfg.Input, collects the motifs of its
// channels (resampled to tokenizer.SampleRate), and trains a vocabulary
// on them (tokenizer.Train), recording each file's size, SHA-256, rate,
// channels and motifs in the provenance. The same recordings and
// configuration give a bit-identical vocabulary.
func Train(cfg TrainConfig) (*Trained, error) {
	if cfg.Size != 0 && (cfg.Size < 2 || cfg.Size > tokenizer.MaxSize) {
		return nil, &FieldError{Field: "corpus.TrainConfig.Size", Msg: fmt.Sprintf("%d: want 2 to %d", cfg.Size, tokenizer.MaxSize)}
	}
	if cfg.Levels != 0 && cfg.Levels != NoLevels && (cfg.Levels < 2 || cfg.Levels > MaxLevels) {
		return nil, &FieldError{Field: "corpus.TrainConfig.Levels", Msg: fmt.Sprintf("%d: want 2 to %d (or %d for none)", cfg.Levels, MaxLevels, NoLevels)}
	}
	col, err := tokenizer.NewCollector(cfg.Features)
	if err != nil {
		return nil, &FieldError{Field: "corpus.TrainConfig.Features", Err: err}
	}
	files, err := cfg.Input.Files()
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	show := progress.Steps(cfg.Log)
	t := &Trained{Recordings: len(files), Features: col.Features()}
	var sources []tokenizer.Source
	for i, path := range files {
		src, channels, err := collect(col, cfg.Input, path)
		if err != nil {
			return nil, err
		}
		if src.Motifs == 0 {
			fmt.Fprintf(log, "note: %s: shorter than one motif (%d samples at 200 Hz), skipped\n", path, t.Features.SupportLen())
		}
		t.Channels += channels
		sources = append(sources, src)
		show("read recordings", i+1, len(files))
	}
	t.Motifs = col.Len()
	tc := cfg.TrainConfig
	tc.Powers = col.Powers
	if tc.Progress == nil {
		tc.Progress = func(step string, done, total int) { show("k-means "+step, done, total) }
	}
	v, err := tokenizer.Train(col.Motifs, tc)
	if err != nil {
		return nil, err
	}
	v.Provenance.Sources = sources
	v.Provenance.Software = cfg.Software
	t.Vocabulary = v
	t.Perplexity = tokenizer.Perplexity(v.Counts())
	for _, c := range v.Counts() {
		if c > 0 {
			t.Used++
		}
	}
	t.Reconstruction = v.Reconstruct(col.Motifs, 20000)
	return t, nil
}

// collect adds the motifs of every analysed channel of path to col and
// returns the file's provenance and its channel count.
func collect(col *tokenizer.Collector, in Input, path string) (tokenizer.Source, int, error) {
	rec, err := in.Read(path)
	if err != nil {
		return tokenizer.Source{}, 0, err
	}
	src, err := in.Source(path)
	if err != nil {
		return src, 0, err
	}
	src.Rate, src.Channels = rec.Info.SampleRate, len(rec.X)
	for c, x := range rec.X {
		n, err := col.AddChannel(x, rec.Info.SampleRate, string(rec.Types[c]))
		if err != nil {
			return src, 0, fmt.Errorf("%s: %w", path, err)
		}
		src.Motifs += n
	}
	return src, len(rec.X), nil
}

// Write prints what Train did: the motifs read, the vocabulary, its usage
// and reconstruction on the training motifs, as `neurostream train
// tokenizer` does.
func (t *Trained) Write(w io.Writer) error {
	v, fc, rc := t.Vocabulary, t.Features, t.Reconstruction
	_, err := fmt.Fprintf(w, "%d recordings, %d channels, %d motifs of %d values (context ±%d frames, %d Hz patches)\n"+
		"vocabulary: %d tokens in %d cells, trained on %d motifs (seed %d), %d dead-code restarts\n"+
		"usage on the training motifs: %d/%d tokens used, perplexity %.1f = %.3f × vocabulary size\n"+
		"reconstruction: relative error %.4f of the motif energy, %.3f of the motif variance (one codeword: %.4f, 1)\n"+
		"two-level search finds the exhaustive nearest codeword for %.1f%% of the motifs\n",
		t.Recordings, t.Channels, t.Motifs, fc.Dim(), fc.Context, fc.PatchBins,
		v.Size(), v.Cells(), v.Provenance.Motifs, v.Provenance.Seed, v.Provenance.Restarts,
		t.Used, v.Size(), t.Perplexity, t.Perplexity/float64(v.Size()),
		rc.Relative, rc.Unexplained, rc.Baseline,
		100*rc.Recall)
	if err != nil || v.Levels() == 0 {
		return err
	}
	var bands []string
	for _, b := range tokenizer.Bands {
		bands = append(bands, fmt.Sprintf("%s %d–%d Hz", b.Name, b.Low, b.High))
	}
	_, err = fmt.Fprintf(w, "power levels: %d per band (%s) and channel type (%s), at quantiles of the training frames' band powers\n",
		v.Levels(), strings.Join(bands, ", "), strings.Join(v.LevelTypes(), ", "))
	return err
}
