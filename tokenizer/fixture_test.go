package tokenizer

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/vocab-sim.arrow")

// fixturePath is the example vocabulary; `make models` copies it to
// configs/vocab/vocab-sim.arrow, the one configs/tokens.yaml loads.
const fixturePath = "testdata/vocab-sim.arrow"

// fixtureVocab trains the example vocabulary: 256 tokens from 4 minutes of
// the default simulated 10-20 session (seed 3, 19 channels at 256 Hz),
// seed 1.
func fixtureVocab(t *testing.T) *Vocabulary {
	x, rate := simChannels(t, 240, 3)
	col, err := NewCollector(FeatureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range x {
		col.Add(ch, rate)
	}
	v, err := Train(col.Motifs, TrainConfig{Size: 256, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	v.Provenance.Software = "go test ./tokenizer -run TestVocabFixture -update (simulate.DefaultConfig, seed 3, 240 s)"
	return v
}

// TestVocabFixture checks the committed example vocabulary, and rewrites
// it with -update: go test ./tokenizer -run TestVocabFixture -update.
func TestVocabFixture(t *testing.T) {
	if *update {
		if err := os.MkdirAll(filepath.Dir(fixturePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := fixtureVocab(t).WriteFile(fixturePath); err != nil {
			t.Fatal(err)
		}
	}
	v, err := ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	if v.Size() != 256 || v.Cells() != 16 || v.Features.Context != 1 || v.Features.PatchBins != 5 {
		t.Fatalf("fixture: %d tokens in %d cells, features %+v", v.Size(), v.Cells(), v.Features)
	}
	// Tokens of another simulated session use the vocabulary broadly.
	x, rate := simChannels(t, 60, 17)
	tk := v.NewTokenizer()
	counts := make([]int64, v.Size())
	for _, ch := range x {
		y, err := Resample(ch, rate)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range tk.Tokenize(nil, y) {
			counts[tok.ID]++
		}
	}
	if pp := Perplexity(counts); pp < 64 {
		t.Errorf("fixture perplexity %.1f on a new simulated session", pp)
	}
}
