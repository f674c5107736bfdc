package seizure

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func sine(n int, fs, f, amp float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*f*float64(i)/fs)
	}
	return x
}

func feature(t *testing.T, ex *Extractor, feat []float64, name string) float64 {
	t.Helper()
	i := slices.Index(ex.Names(), name)
	if i < 0 {
		t.Fatalf("no feature %q in %v", name, ex.Names())
	}
	return feat[i]
}

func TestFeaturesSine(t *testing.T) {
	const (
		fs  = 256.0
		f   = 10.0
		amp = 50e-6 // 50 µV in V
		tol = 0.01  // relative
	)
	ex, err := NewExtractor(FeatureConfig{SampleRate: fs, WindowLen: 1024, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := ex.Config().SegmentLen; got != 512 {
		t.Errorf("default SegmentLen = %d, want 512", got)
	}
	x := [][]float64{sine(1024, fs, f, amp)}
	feat := ex.Features(nil, x)
	w := 2 * math.Pi * f / fs
	for _, c := range []struct {
		name string
		want float64
	}{
		{"ch0_log_line_length", math.Log10(2 * amp * math.Sin(w/2) * 2 / math.Pi)},
		{"ch0_log_variance", math.Log10(amp * amp / 2)},
		{"ch0_kurtosis", -1.5},
		{"ch0_hjorth_mobility", 2 * math.Sin(w/2)},
		{"ch0_hjorth_complexity", 1},
		{"ch0_log_power_alpha", math.Log10(amp * amp / 2)},
	} {
		got := feature(t, ex, feat, c.name)
		if math.Abs(got-c.want) > tol*math.Abs(c.want) {
			t.Errorf("%s = %g, want %g", c.name, got, c.want)
		}
	}
	if r := feature(t, ex, feat, "ch0_rel_power_alpha"); r < 0.99 {
		t.Errorf("relative alpha power %g, want ≥ 0.99", r)
	}
	if e := feature(t, ex, feat, "ch0_spectral_edge_90"); e < 9 || e > 11 {
		t.Errorf("SEF90 %g Hz, want about 10", e)
	}
	if h := feature(t, ex, feat, "ch0_spectral_entropy"); h > 0.3 {
		t.Errorf("spectral entropy %g, want low for a sine", h)
	}
	if a := testing.AllocsPerRun(10, func() { ex.Features(feat, x) }); a != 0 {
		t.Errorf("Features allocates %v times per call", a)
	}
}

func TestFeaturesCoherence(t *testing.T) {
	const fs = 200.0
	rng := rand.New(rand.NewPCG(1, 2))
	common := make([]float64, 2000)
	x := [][]float64{make([]float64, 2000), make([]float64, 2000), make([]float64, 2000)}
	for i := range common {
		common[i] = rng.NormFloat64()
		x[0][i] = common[i] + 0.1*rng.NormFloat64()
		x[1][i] = common[i] + 0.1*rng.NormFloat64()
		x[2][i] = rng.NormFloat64()
	}
	ex, err := NewExtractor(FeatureConfig{SampleRate: fs, WindowLen: 2000, Channels: 3, Coherence: true})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Len() != 3*len(channelFeatures)+2 {
		t.Fatalf("Len %d", ex.Len())
	}
	feat := ex.Features(nil, x)
	// One pair of three is coherent (MSC ≈ 0.98), the others ≈ 0.
	for _, name := range []string{"mean_msc_theta", "mean_msc_alpha"} {
		if v := feature(t, ex, feat, name); v < 0.25 || v > 0.45 {
			t.Errorf("%s = %g, want about 1/3", name, v)
		}
	}
}

func TestAUROC(t *testing.T) {
	const tol = 1e-15
	for _, c := range []struct {
		scores []float64
		labels []bool
		want   float64
	}{
		{[]float64{0.1, 0.2, 0.3, 0.4}, []bool{false, false, true, true}, 1},
		{[]float64{0.1, 0.2, 0.3, 0.4}, []bool{true, true, false, false}, 0},
		{[]float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, true, false}, 0.5},
		// positives 0.35, 0.8; negatives 0.1, 0.4, 0.35: pairs won 1+1 (0.35 vs 0.1, tie 0.35 = ½) … hand count:
		// 0.35: >0.1 (1), <0.4 (0), =0.35 (½) → 1.5; 0.8: 3 → total 4.5 of 6.
		{[]float64{0.35, 0.1, 0.4, 0.8, 0.35}, []bool{true, false, false, true, false}, 0.75},
	} {
		if got := AUROC(c.scores, c.labels); math.Abs(got-c.want) > tol {
			t.Errorf("AUROC(%v, %v) = %g, want %g", c.scores, c.labels, got, c.want)
		}
	}
	if !math.IsNaN(AUROC([]float64{1, 2}, []bool{true, true})) {
		t.Error("AUROC with one class should be NaN")
	}
}

func TestBalancedAccuracy(t *testing.T) {
	// sensitivity 2/3, specificity 1/1
	got := BalancedAccuracy([]float64{0.9, 0.6, 0.2, 0.1}, []bool{true, true, true, false}, 0.5)
	if want := (2.0/3 + 1) / 2; math.Abs(got-want) > 1e-15 {
		t.Errorf("balanced accuracy %g, want %g", got, want)
	}
}

// synthetic returns windows of background noise (false) and of a
// high-amplitude rhythmic discharge in noise (true).
func synthetic(n int, spec FeatureConfig, seed uint64) ([][][]float64, []bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var xs [][][]float64
	var ys []bool
	for i := range n {
		sz := i%3 == 0
		w := make([][]float64, spec.Channels)
		for c := range w {
			w[c] = make([]float64, spec.WindowLen)
			f := 3 + 2*rng.Float64()
			ph := rng.Float64() * 2 * math.Pi
			for k := range w[c] {
				v := 20e-6 * rng.NormFloat64()
				if sz {
					v += 60e-6 * math.Sin(2*math.Pi*f*float64(k)/spec.SampleRate+ph)
				}
				w[c][k] = v
			}
		}
		xs = append(xs, w)
		ys = append(ys, sz)
	}
	return xs, ys
}

func trainSynthetic(t *testing.T) (*Model, [][][]float64) {
	t.Helper()
	spec := FeatureConfig{SampleRate: 128, WindowLen: 512, Channels: 2, Coherence: true}
	xs, ys := synthetic(90, spec, 3)
	ex, err := NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	X := make([][]float64, len(xs))
	for i, w := range xs {
		X[i] = ex.Features(nil, w)
	}
	m, err := Train(spec, X, ys, TrainConfig{Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float64, len(X))
	for i := range X {
		scores[i] = m.Probability(X[i])
	}
	if a := AUROC(scores, ys); a < 0.99 {
		t.Errorf("training AUROC %g on separable synthetic data", a)
	}
	return m, xs
}

func TestTrainOptimality(t *testing.T) {
	// At the optimum no small move of any parameter lowers the penalised,
	// class-balanced mean log loss.
	spec := FeatureConfig{SampleRate: 128, WindowLen: 512, Channels: 2, Coherence: true}
	xs, ys := synthetic(90, spec, 3)
	ex, _ := NewExtractor(spec)
	X := make([][]float64, len(xs))
	for i, w := range xs {
		X[i] = ex.Features(nil, w)
	}
	m, err := Train(spec, X, ys, TrainConfig{Balanced: true, Lambda: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	var npos float64
	for _, y := range ys {
		if y {
			npos++
		}
	}
	n := float64(len(ys))
	objective := func() float64 {
		var f float64
		for i, row := range X {
			e := m.Logit(row)
			w := n / (2 * (n - npos))
			l := softplus(e)
			if ys[i] {
				w = n / (2 * npos)
				l -= e
			}
			f += w * l / n
		}
		for _, v := range m.Weights {
			f += m.Lambda / 2 * v * v
		}
		return f
	}
	f0 := objective()
	const h = 1e-4
	params := append([]*float64{&m.Bias}, func() []*float64 {
		var p []*float64
		for j := range m.Weights {
			p = append(p, &m.Weights[j])
		}
		return p
	}()...)
	for j, p := range params {
		for _, d := range []float64{h, -h} {
			*p += d
			if f := objective(); f < f0-1e-12 {
				t.Errorf("parameter %d moved by %g lowers the objective %.15g → %.15g", j, d, f0, f)
			}
			*p -= d
		}
	}
}

func TestSaveLoad(t *testing.T) {
	m, xs := trainSynthetic(t)
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{`"format": "neurostream-seizure-logreg"`, `"version": 1`, `"window_len": 512`, `"sample_rate": 128`, `"mean"`, `"std"`, `"weights"`} {
		if !strings.Contains(text, want) {
			t.Errorf("model file lacks %s", want)
		}
	}
	m2, err := Load(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	d1, err := NewDetector(m)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := NewDetector(m2)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range xs {
		if p1, p2 := d1.Probability(w), d2.Probability(w); p1 != p2 {
			t.Fatalf("window %d: saved model %v, loaded %v", i, p1, p2)
		}
	}
	for _, c := range []struct{ from, to, err string }{
		{`"version": 1`, `"version": 4`, "version 4"},
		{`"version": 1`, `"version": 2`, `classifier ""`},
		{`"format": "neurostream-seizure-logreg"`, `"format": "x"`, "format"},
		{`"window_len": 512`, `"window_len": 4`, "WindowLen"},
		{`"channels": 2`, `"channels": 1`, "feature_names"},
		{`"lambda"`, `"lambada"`, "unknown field"},
	} {
		_, err := Load(strings.NewReader(strings.Replace(text, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s → %s: error %v, want one mentioning %q", c.from, c.to, err, c.err)
		}
	}
}

// TestTrees trains boosted trees where a linear model cannot work: the
// class is whether feature 0 lies outside [−1, 1], a band no single
// hyperplane separates.
func TestTrees(t *testing.T) {
	spec := FeatureConfig{SampleRate: 128, WindowLen: 256, Channels: 1, Extended: true}
	ex, err := NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	mk := func(n int) ([][]float64, []bool) {
		X := make([][]float64, n)
		y := make([]bool, n)
		for i := range X {
			X[i] = make([]float64, ex.Len())
			for j := range X[i] {
				X[i][j] = rng.NormFloat64()
			}
			X[i][0] *= 1.5
			y[i] = math.Abs(X[i][0]) > 1
		}
		return X, y
	}
	X, y := mk(600)
	Xt, yt := mk(400)
	gbt, err := Train(spec, X, y, TrainConfig{Balanced: true, Boost: &BoostConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := Train(spec, X, y, TrainConfig{Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	score := func(m *Model) float64 {
		s := make([]float64, len(Xt))
		for i := range Xt {
			s[i] = m.Probability(Xt[i])
		}
		return BalancedAccuracy(s, yt, 0.5)
	}
	if bt, bl := score(gbt), score(lr); bt < 0.95 || bl > 0.8 {
		t.Errorf("held-out balanced accuracy: trees %.3f (want ≥ 0.95), logistic regression %.3f (want ≤ 0.8)", bt, bl)
	}
	if len(gbt.Trees) != 200 || gbt.Weights != nil {
		t.Errorf("%d trees, %d weights; want 200 trees and none", len(gbt.Trees), len(gbt.Weights))
	}

	// Save and load: version 2, identical scores on raw windows.
	var buf bytes.Buffer
	if err := gbt.Save(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{`"version": 2`, `"classifier": "gbt"`, `"extended": true`, `"trees"`} {
		if !strings.Contains(text, want) {
			t.Errorf("model file lacks %s", want)
		}
	}
	m2, err := Load(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := NewDetector(gbt)
	d2, err := NewDetector(m2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		w := [][]float64{sine(256, 128, float64(1+i), 1e-5*float64(i+1))}
		if p1, p2 := d1.Probability(w), d2.Probability(w); p1 != p2 {
			t.Fatalf("window %d: saved model %v, loaded %v", i, p1, p2)
		}
	}
	w := [][]float64{sine(256, 128, 5, 1e-5)}
	if a := testing.AllocsPerRun(10, func() { d1.Probability(w) }); a != 0 {
		t.Errorf("tree detector allocates %v times per window", a)
	}
	for _, c := range []struct{ from, to, err string }{
		{`"version": 2`, `"version": 1`, "version 1 has no classifier"},
		{`"classifier": "gbt"`, `"classifier": "svm"`, `classifier "svm"`},
		{`"feature": 0,`, `"feature": 999,`, "feature 999"},
		{`"classifier": "gbt"`, `"classifier": "logreg"`, "a logreg model has no trees"},
	} {
		if !strings.Contains(text, c.from) {
			t.Fatalf("model file lacks %s", c.from)
		}
		_, err := Load(strings.NewReader(strings.Replace(text, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s → %s: error %v, want one mentioning %q", c.from, c.to, err, c.err)
		}
	}
}

func TestBestThreshold(t *testing.T) {
	// Separable: any threshold in (0.3, 0.6] is perfect; 0.5 is nearest.
	if th := BestThreshold([]float64{0.1, 0.2, 0.3, 0.6, 0.9}, []bool{false, false, false, true, true}); math.Abs(th-0.45) > 1e-15 {
		t.Errorf("separable: threshold %v, want the midpoint 0.45", th)
	}
	// Positives score low: the best threshold sits below them all.
	sc, lb := []float64{0.05, 0.1, 0.02, 0.01}, []bool{true, true, false, false}
	th := BestThreshold(sc, lb)
	if ba := BalancedAccuracy(sc, lb, th); ba != 1 || math.Abs(th-0.035) > 1e-15 {
		t.Errorf("threshold %v gives balanced accuracy %v, want 0.035 and 1", th, ba)
	}
}

// softplus returns log(1+exp(e)) without overflow.
func softplus(e float64) float64 {
	return max(e, 0) + math.Log1p(math.Exp(-math.Abs(e)))
}
