package tokenizer

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats/formatstest"
	"github.com/neurostream/neurostream/simulate"
)

// simChannels returns the channels of a simulated 10-20 session (256 Hz,
// background, alpha, line noise, blinks) of the given length and seed.
func simChannels(t testing.TB, seconds float64, seed uint64) ([][]float64, float64) {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration = seed, seconds
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return formatstest.ReadAll(t, s), s.Info().SampleRate
}

// simVocab trains a vocabulary of the given size on a simulated session.
func simVocab(t testing.TB, size int, seed uint64) (*Vocabulary, *Collector) {
	t.Helper()
	x, rate := simChannels(t, 60, 3)
	col, err := NewCollector(FeatureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range x {
		if _, err := col.Add(ch, rate); err != nil {
			t.Fatal(err)
		}
	}
	v, err := Train(col.Motifs, TrainConfig{Size: size, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return v, col
}

// TestTrainDeterministic: the same seed and motifs give a bit-identical
// vocabulary whatever GOMAXPROCS; another seed a different one.
func TestTrainDeterministic(t *testing.T) {
	a, col := simVocab(t, 256, 5)
	prev := runtime.GOMAXPROCS(1)
	b, err := Train(col.Motifs, TrainConfig{Size: 256, Seed: 5})
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.codes, b.codes) || !slices.Equal(a.centroids, b.centroids) || !slices.Equal(a.counts, b.counts) || !slices.Equal(a.cellStart, b.cellStart) {
		t.Error("same seed and data, different vocabularies (GOMAXPROCS 1 against the default)")
	}
	c, err := Train(col.Motifs, TrainConfig{Size: 256, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.codes, c.codes) {
		t.Error("seeds 5 and 6 give the same codebook")
	}
}

// TestTrainUsage: codebook usage on the training motifs stays high and
// every cell's codewords are spread in proportion to its motifs.
func TestTrainUsage(t *testing.T) {
	v, col := simVocab(t, 256, 1)
	if v.Size() != 256 || v.Cells() != 16 {
		t.Fatalf("%d tokens in %d cells, want 256 in 16", v.Size(), v.Cells())
	}
	var n int64
	for _, c := range v.Counts() {
		n += c
	}
	if int(n) != col.Len() {
		t.Errorf("counts sum to %d, %d motifs", n, col.Len())
	}
	pp := Perplexity(v.Counts())
	t.Logf("perplexity %.1f of %d, %d restarts", pp, v.Size(), v.Provenance.Restarts)
	if pp < 0.5*float64(v.Size()) {
		t.Errorf("perplexity %.1f below half the vocabulary %d", pp, v.Size())
	}
	// The counts are the two-level assignment of the training motifs.
	dim := v.Dim()
	got := make([]int64, v.Size())
	for i := range col.Len() {
		id, d := v.Quantize(col.Motifs[i*dim : (i+1)*dim])
		if d < 0 || d > 2 {
			t.Fatalf("distance %v", d)
		}
		got[id]++
	}
	if !slices.Equal(got, v.Counts()) {
		t.Error("training counts differ from Quantize of the training motifs")
	}
	rc := v.Reconstruct(col.Motifs, 1000)
	t.Logf("reconstruction %+v", rc)
	if !(rc.Unexplained < 0.7) || !(rc.Recall > 0.5) {
		t.Errorf("reconstruction %+v: the codewords explain too little", rc)
	}
}

func TestAllocate(t *testing.T) {
	k := allocate([]int{500, 300, 150, 49, 1}, 100)
	if !slices.Equal(k, []int{50, 30, 15, 4, 1}) {
		t.Errorf("allocation %v", k)
	}
	k = allocate([]int{3, 3, 1000}, 10)
	sum := 0
	for i, v := range k {
		sum += v
		if v < 1 || v > []int{3, 3, 1000}[i] {
			t.Errorf("cell %d gets %d", i, v)
		}
	}
	if sum != 10 {
		t.Errorf("allocation %v sums to %d", k, sum)
	}
}

// TestFileRoundTrip writes and reads a vocabulary: same codebook and
// tokens; corrupt files are refused with a reason.
func TestFileRoundTrip(t *testing.T) {
	v, _ := simVocab(t, 64, 2)
	v.Provenance.Sources = []Source{{Path: "sim", Bytes: 1, SHA256: "00", Rate: 256, Channels: 19, Motifs: 2}}
	path := filepath.Join(t.TempDir(), "v.arrow")
	if err := v.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	w, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.codes, w.codes) || !slices.Equal(v.centroids, w.centroids) || !slices.Equal(v.counts, w.counts) || !slices.Equal(v.cellStart, w.cellStart) {
		t.Error("codebook changed in the round trip")
	}
	if w.Features != v.Features || w.Provenance.Motifs != v.Provenance.Motifs || len(w.Provenance.Sources) != 1 {
		t.Errorf("features %+v / %+v, provenance %+v", w.Features, v.Features, w.Provenance)
	}
	x, rate := simChannels(t, 10, 9)
	y, err := Resample(x[0], rate)
	if err != nil {
		t.Fatal(err)
	}
	a := v.NewTokenizer().Tokenize(nil, y)
	b := w.NewTokenizer().Tokenize(nil, y)
	if !slices.Equal(a, b) || len(a) == 0 {
		t.Errorf("tokens differ after the round trip (%d, %d)", len(a), len(b))
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.arrow")); err == nil {
		t.Error("missing file read")
	}
	if _, err := ReadFile("tokenizer_test.go"); err == nil {
		t.Error("a Go file read as a vocabulary")
	}
}

// TestTokenizeWindows: tokens computed from any window holding their span
// (AppendFrames) equal the one-shot Tokenize of the whole signal, and
// they depend on the span only.
func TestTokenizeWindows(t *testing.T) {
	v, _ := simVocab(t, 128, 4)
	x, rate := simChannels(t, 30, 11)
	y, err := Resample(x[8], rate)
	if err != nil {
		t.Fatal(err)
	}
	tk := v.NewTokenizer()
	all := tk.Tokenize(nil, y)
	if want := NumFrames(len(y)) - 2; len(all) != want {
		t.Fatalf("%d tokens, want %d", len(all), want)
	}
	for i, tok := range all {
		if tok.Frame != int64(i+1) {
			t.Fatalf("token %d has frame %d", i, tok.Frame)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		from := int64(1 + r.IntN(len(all)-1))
		to := from + int64(1+r.IntN(8))
		to = min(to, int64(len(all))+1)
		lo := (from-1)*Hop - int64(r.IntN(150))
		hi := (to)*Hop + NFFT + int64(r.IntN(150))
		lo, hi = max(lo, 0), min(hi, int64(len(y)))
		// A copy, so nothing outside the window can be read.
		win := slices.Clone(y[lo:hi])
		got := tk.AppendFrames(nil, win, lo, from, to)
		if !slices.Equal(got, all[from-1:to-1]) {
			t.Fatalf("frames %d…%d from window [%d, %d): %v, want %v", from, to-1, lo, hi, got, all[from-1:to-1])
		}
	}
}

// TestScaleInvariance: the gain and DC offset of a channel do not change
// its tokens (per-frame normalisation and mean removal).
func TestScaleInvariance(t *testing.T) {
	v, _ := simVocab(t, 128, 4)
	x, rate := simChannels(t, 20, 12)
	y, _ := Resample(x[17], rate)
	z := make([]float64, len(y))
	for i, s := range y {
		z[i] = 1e3*s + 0.5 // V → mV plus an offset of 0.5 mV
	}
	tk := v.NewTokenizer()
	a := tk.Tokenize(nil, y)
	b := tk.Tokenize(nil, z)
	same := 0
	for i := range a {
		if a[i].ID == b[i].ID {
			same++
		}
		if math.Abs(a[i].Distance-b[i].Distance) > 1e-6 {
			t.Errorf("frame %d: distance %v scaled, %v original", a[i].Frame, b[i].Distance, a[i].Distance)
		}
	}
	if same != len(a) {
		t.Errorf("%d of %d tokens change with gain and offset", len(a)-same, len(a))
	}
}

// TestFrameFeature checks one frame against a direct computation: Hann
// window, |FFT|², 5-bin patch sums, log, z-score.
func TestFrameFeature(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, NFFT)
	for i := range x {
		x[i] = math.Sin(2*math.Pi*10*float64(i)/SampleRate) + 0.3*r.NormFloat64() + 2
	}
	cfg, _ := FeatureConfig{}.withDefaults()
	f := newFeaturizer(cfg)
	got := make([]float64, cfg.Patches())
	bands := make([]float64, NumBands)
	f.frame(got, bands, x)

	mean := 0.0
	for _, v := range x {
		mean += v / NFFT
	}
	w := dsp.Hann(nil, NFFT, true)
	power := make([]float64, Bins)
	for k := range Bins {
		var re, im float64
		for n, v := range x {
			s, c := math.Sincos(-2 * math.Pi * float64(k*n) / NFFT)
			re += (v - mean) * w[n] * c
			im += (v - mean) * w[n] * s
		}
		power[k] = re*re + im*im
		if k > 0 {
			power[k] *= 2 // one-sided; a per-bin constant the z-score keeps
		}
	}
	total := 0.0
	for _, p := range power {
		total += p
	}
	// dsp.STFT scales by 1/(Σw)²; the floor is relative, so the scale
	// cancels.
	want := make([]float64, 20)
	m := 0.0
	for p := range want {
		s := 1e-10 * total / 20
		for _, v := range power[5*p : 5*p+5] {
			s += v
		}
		want[p] = math.Log(s)
		m += want[p] / 20
	}
	ss := 0.0
	for p := range want {
		want[p] -= m
		ss += want[p] * want[p]
	}
	sd := math.Sqrt(ss / 20)
	// The band powers sum the bins of each band, at dsp.STFT's scale.
	sw := 0.0
	for _, v := range w {
		sw += v
	}
	for b, band := range []struct{ lo, hi int }{{1, 4}, {4, 8}, {8, 12}, {12, 30}, {30, 45}} {
		s := 0.0
		for k := band.lo; k < band.hi; k++ {
			s += power[k]
		}
		if want := math.Log(s / (sw * sw)); math.Abs(bands[b]-want) > 1e-9 {
			t.Errorf("band %d power %v, want %v", b, bands[b], want)
		}
	}
	for p := range want {
		want[p] /= sd
		if math.Abs(got[p]-want[p]) > 1e-9 {
			t.Errorf("patch %d: %v, want %v", p, got[p], want[p])
		}
	}
	// The 10 Hz sine lands in patch 2 (10–14 Hz).
	if slices.Index(got, slices.Max(got)) != 2 {
		t.Errorf("largest patch %d, want 2: %v", slices.Index(got, slices.Max(got)), got)
	}
	// A constant frame gives zeros, and band powers −Inf.
	for i := range x {
		x[i] = 3
	}
	f.frame(got, bands, x)
	for _, v := range got {
		if v != 0 {
			t.Fatalf("constant frame: %v", got)
		}
	}
	for _, p := range bands {
		if !math.IsInf(p, -1) {
			t.Fatalf("constant frame: band powers %v, want -Inf", bands)
		}
	}
}

func TestRatio(t *testing.T) {
	for _, c := range []struct {
		rate     float64
		up, down int
	}{{200, 1, 1}, {256, 25, 32}, {160, 5, 4}, {173.61, 20000, 17361}, {1000, 1, 5}, {512, 25, 64}, {100, 2, 1}} {
		up, down, err := Ratio(c.rate)
		if err != nil || up != c.up || down != c.down {
			t.Errorf("Ratio(%v) = %d/%d, %v; want %d/%d", c.rate, up, down, err, c.up, c.down)
		}
	}
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN(), math.Pi * 1e-3} {
		if _, _, err := Ratio(bad); err == nil {
			t.Errorf("Ratio(%v) accepted", bad)
		}
	}
}

func TestMutualInformation(t *testing.T) {
	// Tokens equal to the labels: I = H(L) = 1 bit for two equiprobable
	// labels; independent tokens: I = 0.
	var tok []int32
	var lab []int
	for i := range 1000 {
		tok = append(tok, int32(i%2))
		lab = append(lab, i%2)
	}
	m := TokenLabelMI(tok, lab, nil, 2, 2, 10, 1)
	if math.Abs(m.PlugIn-1) > 1e-12 || math.Abs(m.LabelEntropy-1) > 1e-12 {
		t.Errorf("identical: %+v", m)
	}
	if !(m.Shuffled < 0.02) {
		t.Errorf("shuffled baseline %v", m.Shuffled)
	}
	for i := range tok {
		tok[i] = int32(i / 2 % 2)
	}
	if m := TokenLabelMI(tok, lab, nil, 2, 2, 0, 1); math.Abs(m.PlugIn) > 1e-12 {
		t.Errorf("independent: %+v", m)
	}
	if pp := Perplexity([]int64{5, 5, 5, 5}); math.Abs(pp-4) > 1e-12 {
		t.Errorf("perplexity %v, want 4", pp)
	}
}

func TestTrainErrors(t *testing.T) {
	_, col := simVocab(t, 16, 1)
	for _, c := range []TrainConfig{{Size: 1}, {Size: MaxSize + 1}, {Size: 64, Cells: 65}, {Size: 1 << 13, MaxMotifs: 100}} {
		if _, err := Train(col.Motifs, c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := Train(col.Motifs[:100], TrainConfig{}); err == nil {
		t.Error("motifs of the wrong length accepted")
	}
	if _, err := NewCollector(FeatureConfig{PatchBins: 3}); err == nil {
		t.Error("3-bin patches accepted")
	}
}

// TestTokenizeAllocs: tokenizing into a dst with room does not allocate.
func TestTokenizeAllocs(t *testing.T) {
	v, _ := simVocab(t, 64, 1)
	x, rate := simChannels(t, 10, 2)
	y, _ := Resample(x[0], rate)
	tk := v.NewTokenizer()
	dst := tk.Tokenize(nil, y)
	if n := testing.AllocsPerRun(10, func() { dst = tk.Tokenize(dst[:0], y) }); n != 0 {
		t.Errorf("%v allocations per Tokenize", n)
	}
}

// TestRestartDead: an empty cluster's centroid moves onto the row farthest
// from its own centroid, taken from a cluster that keeps rows.
func TestRestartDead(t *testing.T) {
	x := []float64{0, 0, 1, 0, 5, 0, 9, 9}
	cent := []float64{0.5, 0, 7, 7, 3, 3} // cluster 2 is empty
	assign := []int32{0, 0, 1, 1}
	d2 := []float64{0.25, 0.25, 4 + 49, 4 + 4}
	counts := []int{2, 2, 0}
	if n := restartDead(x, 2, cent, counts, assign, d2); n != 1 {
		t.Fatalf("%d restarts, want 1", n)
	}
	if !slices.Equal(cent[4:], []float64{5, 0}) || assign[2] != 2 || !slices.Equal(counts, []int{2, 1, 1}) {
		t.Errorf("centroid %v, assign %v, counts %v", cent[4:], assign, counts)
	}
}
