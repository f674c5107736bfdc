package tokenizer

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// levelVocab trains a 128-token vocabulary with 8 power levels on a
// simulated session whose channels are all of type eeg.
func levelVocab(t *testing.T) (*Vocabulary, *Collector) {
	t.Helper()
	x, rate := simChannels(t, 60, 3)
	col, err := NewCollector(FeatureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range x {
		if _, err := col.Add(ch, rate, "eeg"); err != nil {
			t.Fatal(err)
		}
	}
	if len(col.Powers["eeg"]) != col.Len() {
		t.Fatalf("%d power levels for %d motifs", len(col.Powers["eeg"]), col.Len())
	}
	v, err := Train(col.Motifs, TrainConfig{Size: 128, Seed: 1, Powers: col.Powers, Levels: 8})
	if err != nil {
		t.Fatal(err)
	}
	return v, col
}

// TestPowerLevels: the training frames fill the levels equally, the
// tokenizer's Power is the collector's, levels follow the gain of the
// channel while the tokens do not, and unknown types have no level.
func TestPowerLevels(t *testing.T) {
	v, col := levelVocab(t)
	if v.Levels() != 8 || !slices.Equal(v.LevelTypes(), []string{"eeg"}) || len(v.LevelEdges("eeg")) != 7 {
		t.Fatalf("%d levels, types %v, edges %v", v.Levels(), v.LevelTypes(), v.LevelEdges("eeg"))
	}
	n := make([]int, v.Levels())
	for _, p := range col.Powers["eeg"] {
		n[v.Level("eeg", p)]++
	}
	for l, c := range n {
		if share := float64(c) / float64(col.Len()); math.Abs(share-1.0/8) > 0.01 {
			t.Errorf("level %d holds %.3f of the training frames, want 1/8: %v", l, share, n)
		}
	}
	if v.Level("eeg", math.Inf(-1)) != 0 || v.Level("eeg", math.NaN()) != 0 || v.Level("eeg", math.Inf(1)) != 7 || v.Level("meg_mag", 0) != -1 {
		t.Error("levels of −Inf, NaN, +Inf or of an unknown type")
	}
	// The tokenizer's powers are the collector's, frame for frame.
	x, rate := simChannels(t, 60, 3)
	y, err := Resample(x[0], rate)
	if err != nil {
		t.Fatal(err)
	}
	toks := v.NewTokenizer().Tokenize(nil, y)
	for i, tok := range toks {
		if tok.Power != col.Powers["eeg"][i] {
			t.Fatalf("frame %d: power %v, collected %v", tok.Frame, tok.Power, col.Powers["eeg"][i])
		}
	}
	// A gain of 1000 (V → mV) adds ln(10⁶) to every power.
	z := make([]float64, len(y))
	for i, s := range y {
		z[i] = 1e3 * s
	}
	for i, tok := range v.NewTokenizer().Tokenize(nil, z) {
		if tok.ID != toks[i].ID || math.Abs(tok.Power-toks[i].Power-math.Log(1e6)) > 1e-9 {
			t.Fatalf("frame %d: token %d power %v at gain 1000, token %d power %v", tok.Frame, tok.ID, tok.Power, toks[i].ID, toks[i].Power)
		}
	}
}

// TestLevelEdges: edge k is the value of rank ⌊k·m/n⌋ of the m finite
// values; too few values give none.
func TestLevelEdges(t *testing.T) {
	p := []float64{9, math.Inf(-1), 1, 8, 2, 7, 3, math.NaN(), 6, 4, 5, 0}
	if e := levelEdges(p, 4); !slices.Equal(e, []float64{2, 5, 7}) {
		t.Errorf("edges %v, want [2 5 7]", e)
	}
	if e := levelEdges(p, 11); e != nil {
		t.Errorf("10 finite values in 11 levels: %v", e)
	}
	if _, err := Train(make([]float64, 60*16), TrainConfig{Size: 2, Levels: 1}); err == nil || !strings.Contains(err.Error(), "1 power levels") {
		t.Errorf("1 level: %v", err)
	}
}

// TestLevelsFile: power levels round-trip exactly in a version 2 file; a
// vocabulary without them is written as version 1, which still loads
// (the shipped example vocabulary is one); bad level metadata is refused.
func TestLevelsFile(t *testing.T) {
	v, _ := levelVocab(t)
	path := filepath.Join(t.TempDir(), "v.arrow")
	if err := v.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	w, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if w.Levels() != 8 || !slices.Equal(w.LevelEdges("eeg"), v.LevelEdges("eeg")) {
		t.Errorf("levels %d, edges %v after the round trip, want %v", w.Levels(), w.LevelEdges("eeg"), v.LevelEdges("eeg"))
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte(`"levels":8,"power":"mean ln patch power"`)) {
		t.Error("no power level metadata in the file")
	}
	old, err := ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	if old.Levels() != 0 || old.Level("eeg", 0) != -1 || old.LevelTypes() != nil {
		t.Errorf("version 1 file: %d levels", old.Levels())
	}
	oldPath := filepath.Join(t.TempDir(), "old.arrow")
	if err := old.WriteFile(oldPath); err != nil {
		t.Fatal(err)
	}
	if a, _ := os.ReadFile(oldPath); !bytes.Equal(a, mustRead(t, fixturePath)) {
		t.Error("a vocabulary without levels is not written as the version 1 file it was read from")
	}
	for _, bad := range []struct {
		levels int
		edges  map[string][]float64
		want   string
	}{
		{1, map[string][]float64{"eeg": {}}, "1 power levels: want 2 to 1024"},
		{3, map[string][]float64{"eeg": {1}}, "channel type eeg: 1 power level edges, want 2"},
		{3, map[string][]float64{"eeg": {2, 1}}, "channel type eeg: power level edge 1 is 1: want finite ascending edges"},
		{3, map[string][]float64{"": {1, 2}}, "unnamed channel type"},
		{3, map[string][]float64{}, "without edges"},
	} {
		c := *v
		c.levels, c.edges = bad.levels, bad.edges
		p := filepath.Join(t.TempDir(), "bad.arrow")
		if err := c.WriteFile(p); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), metaLevels) {
			t.Errorf("levels %d, edges %v: %v, want an error with %q", bad.levels, bad.edges, err, bad.want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
