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
		if _, err := col.AddChannel(ch, rate, "eeg"); err != nil {
			t.Fatal(err)
		}
	}
	if len(col.Powers["eeg"]) != NumBands*col.Len() {
		t.Fatalf("%d band powers for %d motifs", len(col.Powers["eeg"]), col.Len())
	}
	v, err := Train(col.Motifs, TrainConfig{Size: 128, Seed: 1, Powers: col.Powers, Levels: 8})
	if err != nil {
		t.Fatal(err)
	}
	return v, col
}

// TestPowerLevels: the training frames fill every band's levels equally,
// the tokenizer's band powers are the collector's, levels follow the gain
// of the channel while the tokens do not, and unknown types have no
// level.
func TestPowerLevels(t *testing.T) {
	v, col := levelVocab(t)
	if v.Levels() != 8 || !slices.Equal(v.LevelTypes(), []string{"eeg"}) || !v.HasLevels("eeg") || v.HasLevels("eog") {
		t.Fatalf("%d levels, types %v", v.Levels(), v.LevelTypes())
	}
	checkLevelShares(t, v, col)
	p := col.Powers["eeg"]
	if v.Level("eeg", 0, math.Inf(-1)) != 0 || v.Level("eeg", 1, math.NaN()) != 0 || v.Level("eeg", 4, math.Inf(1)) != 7 || v.Level("meg_mag", 0, 0) != -1 {
		t.Error("levels of −Inf, NaN, +Inf or of an unknown type")
	}
	// Add, without a channel type, collects motifs only.
	plain, _ := NewCollector(FeatureConfig{})
	x0, rate0 := simChannels(t, 10, 3)
	if n, err := plain.Add(x0[0], rate0); err != nil || n == 0 || len(plain.Powers) != 0 {
		t.Errorf("Add: %d motifs, powers of %d types, %v", n, len(plain.Powers), err)
	}
	// The tokenizer's band powers are the collector's, frame for frame.
	x, rate := simChannels(t, 60, 3)
	y, err := Resample(x[0], rate)
	if err != nil {
		t.Fatal(err)
	}
	toks := v.NewTokenizer().Tokenize(nil, y)
	for i, tok := range toks {
		if !slices.Equal(tok.Powers[:], p[i*NumBands:(i+1)*NumBands]) {
			t.Fatalf("frame %d: band powers %v, collected %v", tok.Frame, tok.Powers, p[i*NumBands:(i+1)*NumBands])
		}
		lv := v.AppendLevels(nil, "eeg", &tok)
		for b, l := range lv {
			if int(l) != v.Level("eeg", b, tok.Powers[b]) {
				t.Fatalf("frame %d: AppendLevels %v", tok.Frame, lv)
			}
		}
		if len(lv) != NumBands || v.AppendLevels(nil, "eog", &tok) != nil {
			t.Fatalf("frame %d: levels %v, and for eog %v", tok.Frame, lv, v.AppendLevels(nil, "eog", &tok))
		}
	}
	// Every frame has band powers, those of the token frames equal to
	// the tokens', and they depend on the frame's samples only.
	nf := int64(NumFrames(len(y)))
	all := v.NewTokenizer().AppendPowers(nil, y, 0, 0, nf)
	if len(all) != int(nf)*NumBands || !slices.Equal(all[NumBands:len(all)-NumBands], p[:len(toks)*NumBands]) {
		t.Fatalf("%d band powers of %d frames, or not the tokens'", len(all), nf)
	}
	win := slices.Clone(y[250:760])
	if got := v.NewTokenizer().AppendPowers(nil, win, 250, 3, 6); !slices.Equal(got, all[3*NumBands:6*NumBands]) {
		t.Errorf("frames 3…5 from samples [250, 760): %v, want %v", got, all[3*NumBands:6*NumBands])
	}
	// A gain of 1000 (V → mV) adds ln(10⁶) to every band power.
	z := make([]float64, len(y))
	for i, s := range y {
		z[i] = 1e3 * s
	}
	for i, tok := range v.NewTokenizer().Tokenize(nil, z) {
		for b, p := range tok.Powers {
			if tok.ID != toks[i].ID || math.Abs(p-toks[i].Powers[b]-math.Log(1e6)) > 1e-9 {
				t.Fatalf("frame %d: token %d powers %v at gain 1000, token %d powers %v", tok.Frame, tok.ID, tok.Powers, toks[i].ID, toks[i].Powers)
			}
		}
	}
}

// checkLevelShares checks that each band's levels hold equal shares of
// the training frames collected in col.
func checkLevelShares(t *testing.T, v *Vocabulary, col *Collector) {
	t.Helper()
	p := col.Powers["eeg"]
	for b := range NumBands {
		if len(v.LevelEdges("eeg", b)) != 7 {
			t.Fatalf("band %d: edges %v", b, v.LevelEdges("eeg", b))
		}
		n := make([]int, v.Levels())
		for i := b; i < len(p); i += NumBands {
			n[v.Level("eeg", b, p[i])]++
		}
		for l, c := range n {
			if share := float64(c) / float64(col.Len()); math.Abs(share-1.0/8) > 0.01 {
				t.Errorf("band %s, level %d holds %.3f of the training frames, want 1/8: %v", Bands[b].Name, l, share, n)
			}
		}
	}
}

// TestLevelEdges: edge k is the value of rank ⌊k·m/n⌋ of the m finite
// values; too few values give none, in any band.
func TestLevelEdges(t *testing.T) {
	p := []float64{9, math.Inf(-1), 1, 8, 2, 7, 3, math.NaN(), 6, 4, 5, 0}
	if e := levelEdges(p, 4); !slices.Equal(e, []float64{2, 5, 7}) {
		t.Errorf("edges %v, want [2 5 7]", e)
	}
	if e := levelEdges(p, 11); e != nil {
		t.Errorf("10 finite values in 11 levels: %v", e)
	}
	// Channel type a has 4 frames with finite band powers, b 4 frames of
	// which only 1 has a finite delta power.
	var v Vocabulary
	inf := math.Inf(-1)
	v.learnLevels(map[string][]float64{
		"a": {0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7},
		"b": {0, 1, 2, 3, 4, inf, 2, 3, 4, 5, inf, 3, 4, 5, 6, inf, 4, 5, 6, 7},
	}, 2)
	if v.Levels() != 2 || !slices.Equal(v.LevelTypes(), []string{"a"}) || !slices.Equal(v.LevelEdges("a", 4), []float64{6}) {
		t.Errorf("levels %d of %v, edges of band 4 %v", v.Levels(), v.LevelTypes(), v.LevelEdges("a", 4))
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
	for b := range NumBands {
		if w.Levels() != 8 || !slices.Equal(w.LevelEdges("eeg", b), v.LevelEdges("eeg", b)) {
			t.Errorf("band %d: levels %d, edges %v after the round trip, want %v", b, w.Levels(), w.LevelEdges("eeg", b), v.LevelEdges("eeg", b))
		}
	}
	if raw := mustRead(t, path); !bytes.Contains(raw, []byte(`"levels":8,"power":"ln band power","bands":[{"name":"delta","low_hz":1,"high_hz":4},`)) {
		t.Error("no power level metadata in the file")
	}
	old, err := ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	if old.Levels() != 0 || old.Level("eeg", 0, 0) != -1 || old.LevelTypes() != nil {
		t.Errorf("version 1 file: %d levels", old.Levels())
	}
	oldPath := filepath.Join(t.TempDir(), "old.arrow")
	if err := old.WriteFile(oldPath); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, oldPath), mustRead(t, fixturePath)) {
		t.Error("a vocabulary without levels is not written as the version 1 file it was read from")
	}
	good := v.edges["eeg"]
	five := func(e []float64) [][]float64 { return [][]float64{e, e, e, e, e} }
	for _, bad := range []struct {
		levels int
		edges  map[string][][]float64
		want   string
	}{
		{1, map[string][][]float64{"eeg": five(nil)}, "1 power levels: want 2 to 256"},
		{3, map[string][][]float64{"eeg": five([]float64{1})}, "channel type eeg, band delta: 1 power level edges, want 2"},
		{3, map[string][][]float64{"eeg": five([]float64{2, 1})}, "channel type eeg, band delta: power level edge 1 is 1: want finite ascending edges"},
		{8, map[string][][]float64{"eeg": good[:4]}, "channel type eeg: power level edges of 4 bands, want 5"},
		{8, map[string][][]float64{"": good}, "unnamed channel type"},
		{8, map[string][][]float64{}, "without edges"},
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
	// Another build's bands are refused.
	raw := bytes.Replace(mustRead(t, path), []byte(`"high_hz":45`), []byte(`"high_hz":46`), -1)
	p := filepath.Join(t.TempDir(), "bands.arrow")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), "this build computes") {
		t.Errorf("other bands: %v", err)
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
