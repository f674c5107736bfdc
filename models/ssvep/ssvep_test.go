package ssvep_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/models/ssvep"
)

func TestReferenceShape(t *testing.T) {
	y := ssvep.Reference(nil, 10, 250, 3, 100)
	if len(y) != 6 || len(y[0]) != 100 {
		t.Fatalf("shape %d×%d, want 6×100", len(y), len(y[0]))
	}
	// sin(0) = 0, cos(0) = 1 for every harmonic; harmonic 2 of 10 Hz at
	// 250 Hz: sample 25 is 0.1 s, a whole number of cycles.
	for h := range 3 {
		if y[2*h][0] != 0 || y[2*h+1][0] != 1 {
			t.Errorf("harmonic %d at sample 0: %v, %v", h+1, y[2*h][0], y[2*h+1][0])
		}
	}
	if math.Abs(y[3][25]-1) > 1e-12 {
		t.Errorf("cos(2π·20·0.1) = %v", y[3][25])
	}
	mustPanic(t, "wrong dst", func() { ssvep.Reference(make([][]float64, 5), 10, 250, 3, 100) })
	mustPanic(t, "zero harmonics", func() { ssvep.Reference(nil, 10, 250, 0, 100) })
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func TestHarmonicsDefault(t *testing.T) {
	tests := []struct {
		freqs     []float64
		rate      float64
		harmonics int
		want      int
		err       string
	}{
		{[]float64{13, 17, 21}, 256, 0, 5, ""},
		{[]float64{30, 20}, 256, 0, 4, ""}, // 5·30 = 150 Hz > 128 Hz
		{[]float64{30, 20}, 256, 4, 4, ""},
		{[]float64{30, 20}, 256, 5, 0, "at or above the Nyquist"},
		{[]float64{32}, 256, 0, 3, ""}, // 4·32 = 128 Hz is the Nyquist frequency itself
		{[]float64{130}, 256, 0, 0, "at or above the Nyquist"},
		{[]float64{10}, 256, -1, 0, "harmonics must be"},
		{nil, 256, 0, 0, "no target"},
		{[]float64{10, -1}, 256, 0, 0, "positive and finite"},
	}
	for _, tc := range tests {
		d, err := ssvep.NewCCA(ssvep.CCAConfig{Freqs: tc.freqs, SampleRate: tc.rate, Samples: 256, Channels: 2, Harmonics: tc.harmonics})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v at %v Hz, Nh %d: error %v, want %q", tc.freqs, tc.rate, tc.harmonics, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Config().Harmonics; got != tc.want {
			t.Errorf("%v at %v Hz, Nh %d: harmonics %d, want %d", tc.freqs, tc.rate, tc.harmonics, got, tc.want)
		}
	}
}

func TestCanonicalCorrelationEdgeCases(t *testing.T) {
	const tol = 1e-12
	p := ssvep.NewCanonicalCorrelation(64)
	y := ssvep.Reference(nil, 10, 128, 2, 64)
	// A window that is an exact mix of the references: ρ1 = 1.
	x := [][]float64{make([]float64, 64), make([]float64, 64)}
	for i := range 64 {
		x[0][i] = 3*y[0][i] - y[3][i] + 5
		x[1][i] = y[1][i]
	}
	r, err := p.Correlations(nil, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r[0]-1) > tol || math.Abs(r[1]-1) > tol {
		t.Errorf("exact mix: %v, want [1 1]", r)
	}
	// Flat channels: rank 0, correlations 0, no error.
	flat := [][]float64{make([]float64, 64), make([]float64, 64)}
	for i := range flat[1] {
		flat[1][i] = 4
	}
	r, err = p.Correlations(r, flat, y)
	if err != nil || r[0] != 0 || r[1] != 0 {
		t.Errorf("flat window: %v, %v; want zeros", r, err)
	}
	// Non-finite samples are an error, not a panic.
	x[1][7] = math.NaN()
	if _, err := p.Correlations(nil, x, y); err == nil || !strings.Contains(err.Error(), "sample 7") {
		t.Errorf("NaN: error %v", err)
	}
	x[1][7] = math.Inf(1)
	if _, err := p.Max(x, y); err == nil {
		t.Error("Inf: no error")
	}
	mustPanic(t, "wrong length", func() { _, _ = p.Correlations(nil, [][]float64{make([]float64, 10)}, y) })
	mustPanic(t, "wrong dst", func() { _, _ = p.Correlations(make([]float64, 3), flat, y) })
}

// TestDecodersSynthetic checks that CCA, FBCCA (zero-phase and causal),
// TRCA and eTRCA identify targets of a synthetic 4-target set, and that a
// broken decoder (here: references at the wrong frequencies) would not.
func TestDecodersSynthetic(t *testing.T) {
	freqs := []float64{8, 10, 12, 15}
	const rate, samples, channels = 250.0, 500, 6
	s := newSynth(freqs, 0.5*math.Pi, rate, channels, 0.4, 1)
	cfg := ssvep.CCAConfig{Freqs: freqs, SampleRate: rate, Samples: samples, Channels: channels}
	cca, err := ssvep.NewCCA(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fbcca, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	causal, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg, FilterBank: ssvep.FilterBankConfig{Causal: true}})
	if err != nil {
		t.Fatal(err)
	}
	wrong := cfg
	wrong.Freqs = []float64{9, 11, 13, 16}
	miss, err := ssvep.NewCCA(wrong)
	if err != nil {
		t.Fatal(err)
	}
	train, labels := s.trials(5, samples)
	trca, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: rate, Freqs: freqs}, train, labels)
	if err != nil {
		t.Fatal(err)
	}
	etrca, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: rate, Freqs: freqs, Ensemble: true}, train, labels)
	if err != nil {
		t.Fatal(err)
	}
	decoders := []struct {
		name    string
		d       scorer
		lo, hi  float64
		minAcc  float64
		maxAcc  float64
		wantHit bool
	}{
		{"cca", cca, 0, 1, 0.95, 1, true},
		{"fbcca", fbcca, 0, 2.5, 0.95, 1, true}, // Σw(n) for 5 sub-bands is 2.57
		{"fbcca-causal", causal, 0, 2.5, 0.95, 1, true},
		{"trca", trca, -2.6, 2.6, 0.95, 1, true},
		{"etrca", etrca, -2.6, 2.6, 0.95, 1, true},
		{"cca-wrong-freqs", miss, 0, 1, 0, 0.5, false},
	}
	test, testLabels := s.trials(10, samples)
	for _, dc := range decoders {
		var a tally
		dst := make([]float64, len(freqs))
		for i, x := range test {
			sc, err := dc.d.Scores(dst, x)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range sc {
				if v < dc.lo || v > dc.hi {
					t.Errorf("%s: score %v outside [%v, %v]", dc.name, v, dc.lo, dc.hi)
				}
			}
			a.add(ssvep.Argmax(sc) == testLabels[i])
		}
		if acc := a.acc(); acc < dc.minAcc || acc > dc.maxAcc {
			t.Errorf("%s: accuracy %v (%v), want in [%v, %v]", dc.name, acc, a, dc.minAcc, dc.maxAcc)
		}
	}
}

// TestDecodersAllocate checks that scoring a window allocates nothing.
func TestDecodersAllocate(t *testing.T) {
	freqs := []float64{8, 10, 12}
	s := newSynth(freqs, 0, 256, 8, 0.3, 2)
	cfg := ssvep.CCAConfig{Freqs: freqs, SampleRate: 256, Samples: 512, Channels: 8}
	cca, _ := ssvep.NewCCA(cfg)
	fbcca, _ := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg})
	causal, _ := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg, FilterBank: ssvep.FilterBankConfig{Causal: true}})
	train, labels := s.trials(3, 512)
	etrca, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: 256, Freqs: freqs, Ensemble: true}, train, labels)
	if err != nil {
		t.Fatal(err)
	}
	tdca, err := ssvep.TrainTDCA(ssvep.TDCAConfig{SampleRate: 256, Freqs: freqs, Delays: 2}, train, labels)
	if err != nil {
		t.Fatal(err)
	}
	x := s.window(1, 512, 0)
	dst := make([]float64, len(freqs))
	if _, _ = tdca.Decide(x); testing.AllocsPerRun(10, func() { _, _ = tdca.Decide(x) }) != 0 {
		t.Errorf("tdca: Decide allocates")
	}
	for name, d := range map[string]scorer{"cca": cca, "fbcca": fbcca, "fbcca-causal": causal, "etrca": etrca, "tdca": tdca} {
		if _, err := d.Scores(dst, x); err != nil { // sizes the workspaces
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(10, func() { _, _ = d.Scores(dst, x) }); n != 0 {
			t.Errorf("%s: %v allocations per window", name, n)
		}
	}
}

// TestSubBandsMatchScores checks ScoresSubBands against Scores, and that
// streaming filters built from FilterBank.SOS give the causal bank's
// result on one window.
func TestSubBandsMatchScores(t *testing.T) {
	freqs := []float64{9, 11, 13}
	s := newSynth(freqs, 1, 250, 4, 0.3, 3)
	cfg := ssvep.CCAConfig{Freqs: freqs, SampleRate: 250, Samples: 375, Channels: 4}
	for _, causal := range []bool{false, true} {
		d, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg, FilterBank: ssvep.FilterBankConfig{SubBands: 3, Causal: causal}})
		if err != nil {
			t.Fatal(err)
		}
		fb := d.FilterBank()
		x := s.window(2, 375, 0)
		sub := make([][][]float64, fb.Len())
		for n := range sub {
			if causal {
				f, err := dsp.NewSOSFilter(fb.SOS(n), 4, dsp.InitSteady)
				if err != nil {
					t.Fatal(err)
				}
				sub[n] = f.FilterChannels(nil, x)
			} else if sub[n], err = fb.Filter(nil, x, n); err != nil {
				t.Fatal(err)
			}
		}
		a, err := d.Scores(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		b, err := d.ScoresSubBands(nil, sub)
		if err != nil {
			t.Fatal(err)
		}
		for k := range a {
			if a[k] != b[k] {
				t.Errorf("causal=%v target %d: Scores %v, ScoresSubBands %v", causal, k, a[k], b[k])
			}
		}
	}
}

func TestFilterBankConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  ssvep.FilterBankConfig
		rate float64
		err  string
	}{
		{"default", ssvep.FilterBankConfig{}, 256, ""},
		{"ten at 250", ssvep.FilterBankConfig{SubBands: 10}, 250, ""},
		{"eight at 128", ssvep.FilterBankConfig{SubBands: 8}, 128, "use at most 7 sub-bands"},
		{"weights mismatch", ssvep.FilterBankConfig{SubBands: 3, Weights: []float64{1, 1}}, 256, "2 weights for 3"},
		{"negative weight", ssvep.FilterBankConfig{SubBands: 2, Weights: []float64{1, -1}}, 256, "weight 1"},
		{"bands and count", ssvep.FilterBankConfig{SubBands: 2, Bands: []ssvep.SubBand{{8, 30, 6, 35}}}, 256, "2 sub-bands but 1"},
		{"edges out of order", ssvep.FilterBankConfig{Bands: []ssvep.SubBand{{8, 30, 9, 35}}}, 256, "stop low < pass low"},
		{"above nyquist", ssvep.FilterBankConfig{Bands: []ssvep.SubBand{{8, 90, 6, 100}}}, 180, "fs/2"},
	}
	for _, tc := range tests {
		fb, err := ssvep.NewFilterBank(tc.cfg, tc.rate, 2)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if w := fb.Weights(nil); math.Abs(w[0]-1.25) > 1e-15 {
				t.Errorf("%s: w(1) = %v, want 1.25", tc.name, w[0])
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	// The Chen sub-bands at 128 Hz are capped at 0.9·Nyquist.
	b, err := ssvep.ChenSubBands(2, 128)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ssvep.SubBand{PassLow: 14, PassHigh: 57.6, StopLow: 10, StopHigh: 60.8}); b[1] != want {
		t.Errorf("ChenSubBands(2, 128)[1] = %+v, want %+v", b[1], want)
	}
	// Too short for zero-phase filtering is a configuration error.
	_, err = ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: ssvep.CCAConfig{Freqs: []float64{10}, SampleRate: 256, Samples: 20, Channels: 1}})
	if err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("20-sample FBCCA window: error %v", err)
	}
}

func TestTRCAModelFile(t *testing.T) {
	freqs := []float64{9, 11, 13}
	s := newSynth(freqs, 0.5*math.Pi, 250, 5, 0.3, 4)
	train, labels := s.trials(4, 250)
	for range 4 {
		train = append(train, s.rest(250))
		labels = append(labels, ssvep.Rest)
	}
	cfg := ssvep.TRCAConfig{SampleRate: 250, Freqs: freqs, Channels: []string{"O1", "Oz", "O2", "PO3", "PO4"},
		Ensemble: true, FilterBank: ssvep.FilterBankConfig{SubBands: 3}, NoControl: ssvep.NoControlTop}
	m, err := ssvep.TrainTRCA(cfg, train, labels)
	if err != nil {
		t.Fatal(err)
	}
	if nc := m.NoControl(); nc.Rule != ssvep.NoControlTop || !(nc.Threshold > 0) {
		t.Errorf("no-control %+v: want a positive top-score threshold", nc)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	l, err := ssvep.LoadTRCA(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if l.NoControl() != m.NoControl() || l.Samples() != 250 || l.Channels() != 5 {
		t.Errorf("loaded model: %+v %d×%d", l.NoControl(), l.Channels(), l.Samples())
	}
	if got := l.Config().Channels; strings.Join(got, ",") != "O1,Oz,O2,PO3,PO4" {
		t.Errorf("channels %q", got)
	}
	for k := range freqs {
		x := s.window(k, 250, 0)
		a, err := m.Scores(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		b, err := l.Scores(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		for j := range a {
			if a[j] != b[j] {
				t.Errorf("target %d score %d: saved %v, loaded %v", k, j, a[j], b[j])
			}
		}
		if got := l.NoControl().Decide(b); got != k {
			t.Errorf("target %d window decided %d (scores %v)", k, got, b)
		}
	}
	if got := l.NoControl().Decide(mustScores(t, l, s.rest(250))); got != ssvep.Rest {
		t.Errorf("rest window decided %d", got)
	}

	// The file is versioned JSON with the filter-bank spec.
	var head map[string]any
	if err := json.Unmarshal(file, &head); err != nil {
		t.Fatal(err)
	}
	if head["format"] != ssvep.ModelFormat || head["version"] != float64(ssvep.ModelVersion) || head["method"] != "etrca" {
		t.Errorf("file head: format %v version %v method %v", head["format"], head["version"], head["method"])
	}
	bad := []struct{ name, from, to, err string }{
		{"version", `"version":1`, `"version":2`, "version 2"},
		{"format", ssvep.ModelFormat, "other", "format"},
		{"method", `"method":"etrca"`, `"method":"trca"`, "method"},
		{"orders", `"orders":[`, `"orders":[9,`, "orders"},
		{"samples", `"samples":250`, `"samples":251`, "length 250, want 251"},
	}
	for _, b := range bad {
		f := strings.Replace(string(file), b.from, b.to, 1)
		if f == string(file) {
			t.Fatalf("%s: %q not in the file", b.name, b.from)
		}
		if _, err := ssvep.LoadTRCA(strings.NewReader(f)); err == nil || !strings.Contains(err.Error(), b.err) {
			t.Errorf("%s: error %v, want %q", b.name, err, b.err)
		}
	}
}

func mustScores(t *testing.T, d scorer, x [][]float64) []float64 {
	t.Helper()
	s, err := d.Scores(nil, x)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTRCATrainErrors(t *testing.T) {
	freqs := []float64{9, 11}
	s := newSynth(freqs, 0, 250, 3, 0.3, 5)
	train, labels := s.trials(2, 200)
	cfg := ssvep.TRCAConfig{SampleRate: 250, Freqs: freqs, FilterBank: ssvep.FilterBankConfig{SubBands: 1}}
	if _, err := ssvep.TrainTRCA(cfg, train, labels); err != nil {
		t.Fatalf("valid: %v", err)
	}
	dup := func() [][][]float64 {
		x, _ := s.trials(2, 200)
		for _, tr := range x {
			tr[2] = append([]float64(nil), tr[0]...) // a duplicated channel
		}
		return x
	}
	withRest := append(append([][][]float64{}, train...), s.rest(200))
	restLabels := append(append([]int{}, labels...), ssvep.Rest)
	nc := cfg
	nc.NoControl = ssvep.NoControlMargin
	tests := []struct {
		name   string
		cfg    ssvep.TRCAConfig
		trials [][][]float64
		labels []int
		err    string
	}{
		{"one trial", cfg, train[:3], labels[:3], "has 1 trials, want ≥ 2"},
		{"label range", cfg, train, []int{0, 1, 0, 2}, "label 2 outside"},
		{"length mismatch", cfg, train, labels[:3], "4 trials with 3 labels"},
		{"ragged", cfg, append(train[:3:3], s.window(1, 199, 0)), labels, "has 199 samples"},
		{"dependent channels", cfg, dup(), labels, "not positive definite"},
		{"rest without rule", cfg, withRest, restLabels, "no no-control rule"},
		{"rule without rest", nc, train, labels, "needs trials labelled Rest"},
		{"rule needs 3 trials", nc, withRest, restLabels, "want ≥ 3"},
		{"channel names", ssvep.TRCAConfig{SampleRate: 250, Freqs: freqs, Channels: []string{"a"}}, train, labels, "1 channel names for 3"},
	}
	for _, tc := range tests {
		if _, err := ssvep.TrainTRCA(tc.cfg, tc.trials, tc.labels); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

// TestTRCAClone runs clones concurrently (go test -race) and checks they
// agree with the original.
func TestTRCAClone(t *testing.T) {
	freqs := []float64{9, 11, 13}
	s := newSynth(freqs, 1, 250, 4, 0.3, 6)
	train, labels := s.trials(3, 250)
	m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: 250, Freqs: freqs}, train, labels)
	if err != nil {
		t.Fatal(err)
	}
	x := s.window(1, 250, 0)
	want := mustScores(t, m, x)
	var wg sync.WaitGroup
	for range 4 {
		c := m.Clone()
		wg.Go(func() {
			for range 20 {
				got, err := c.Scores(nil, x)
				if err != nil {
					t.Error(err)
					return
				}
				for k := range got {
					if got[k] != want[k] {
						t.Errorf("clone score %d = %v, want %v", k, got[k], want[k])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestNoControl(t *testing.T) {
	nc := ssvep.NoControl{Rule: ssvep.NoControlMargin, Threshold: 0.1}
	if got := nc.Statistic([]float64{0.5, 0.3, 0.5}); got != 0 {
		t.Errorf("margin with a tie = %v, want 0", got)
	}
	if got := nc.Decide([]float64{0.2, 0.5, 0.35}); got != 1 {
		t.Errorf("margin 0.15 decided %d, want 1", got)
	}
	if got := nc.Decide([]float64{0.2, 0.5, 0.45}); got != ssvep.Rest {
		t.Errorf("margin 0.05 decided %d, want Rest", got)
	}
	if got := (ssvep.NoControl{}).Decide([]float64{0.1, 0.2}); got != 1 {
		t.Errorf("no rule decided %d", got)
	}

	// Top-score calibration: rest windows score ≤ 0.3, target windows
	// ≥ 0.5 except one (0.45); one target window is misclassified (its top
	// score 0.6 is another target). The best thresholds lie in
	// (0.3, 0.45]; the candidates there are 0.375 (midpoint of 0.3, 0.45).
	scores := [][]float64{
		{0.1, 0.2}, {0.3, 0.1}, {0.25, 0.05}, // rest
		{0.5, 0.1}, {0.7, 0.2}, {0.45, 0.1}, // target 0
		{0.2, 0.8}, {0.1, 0.55}, {0.6, 0.3}, // target 1 (the last one wrong)
	}
	labels := []int{ssvep.Rest, ssvep.Rest, ssvep.Rest, 0, 0, 0, 1, 1, 1}
	got, err := ssvep.CalibrateNoControl(ssvep.NoControlTop, scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rule != ssvep.NoControlTop || math.Abs(got.Threshold-0.375) > 1e-15 {
		t.Errorf("calibrated %+v, want top 0.375", got)
	}
	// Every rest window refused, every correct target window accepted.
	for i, s := range scores {
		want := labels[i]
		if i == 8 {
			want = 0
		}
		if d := got.Decide(s); d != want {
			t.Errorf("window %d decided %d, want %d", i, d, want)
		}
	}
	for _, tc := range []struct {
		name   string
		rule   ssvep.NoControlRule
		scores [][]float64
		labels []int
		err    string
	}{
		{"no rule", ssvep.NoControlNone, scores, labels, "needs rule"},
		{"unknown rule", "ratio", scores, labels, "needs rule"},
		{"no rest", ssvep.NoControlTop, scores[3:], labels[3:], "both rest and target"},
		{"only rest", ssvep.NoControlTop, scores[:3], labels[:3], "both rest and target"},
		{"label", ssvep.NoControlTop, scores[:4], []int{-1, 0, 1, 2}, "label 2 outside"},
		{"lengths", ssvep.NoControlTop, scores, labels[:2], "9 score rows for 2 labels"},
		{"margin of one", ssvep.NoControlMargin, [][]float64{{1}, {2}}, []int{-1, 0}, "too few"},
		{"NaN", ssvep.NoControlTop, [][]float64{{1, math.NaN()}, {2, 1}}, []int{-1, 0}, "NaN"},
	} {
		if _, err := ssvep.CalibrateNoControl(tc.rule, tc.scores, tc.labels); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestArgmax(t *testing.T) {
	if got := ssvep.Argmax([]float64{1, 3, 3, 2}); got != 1 {
		t.Errorf("first of ties: %d", got)
	}
	if got := ssvep.Argmax([]float64{math.NaN(), -1, -2}); got != 1 {
		t.Errorf("NaN first: %d", got)
	}
	mustPanic(t, "empty", func() { ssvep.Argmax(nil) })
}

func TestITR(t *testing.T) {
	const tol = 1e-12
	tests := []struct {
		n       int
		p, secs float64
		want    float64
	}{
		{2, 1, 1, 60},                    // 1 bit per second
		{4, 1, 2, 60},                    // 2 bits per 2 s
		{40, 1, 1.5, math.Log2(40) * 40}, // log2 40 bits per 1.5 s
		{4, 0.25, 1, 0},                  // chance: 0
		{4, 0.1, 1, 0},                   // below chance: clamped to 0
		{2, 0, 1, 0},                     // always wrong: clamped to 0
		{2, 0.9, 1, 60 * (1 + 0.9*math.Log2(0.9) + 0.1*math.Log2(0.1))},
		// 40 targets, P = 0.9, T = 1.25 s (0.75 s window + 0.5 s gaze
		// shift): B = 4.3244 bits, 207.6 bits/min.
		{40, 0.9, 1.25, 60 / 1.25 * (math.Log2(40) + 0.9*math.Log2(0.9) + 0.1*math.Log2(0.1/39))},
	}
	for _, tc := range tests {
		if got := ssvep.ITR(tc.n, tc.p, tc.secs); math.Abs(got-tc.want) > tol*math.Max(1, tc.want) {
			t.Errorf("ITR(%d, %v, %v) = %v, want %v", tc.n, tc.p, tc.secs, got, tc.want)
		}
	}
	if b := ssvep.BitsPerSelection(40, 0.9); math.Abs(b-4.3244) > 1e-4 {
		t.Errorf("B(40, 0.9) = %v, want 4.3244", b)
	}
	if r := ssvep.ITR(40, 0.9, 1.25); math.Abs(r-207.57) > 0.01 {
		t.Errorf("ITR(40, 0.9, 1.25 s) = %v, want 207.57", r)
	}
	// B rises monotonically from chance to P = 1.
	prev := -1.0
	for p := 0.25; p <= 1; p += 0.01 {
		b := ssvep.BitsPerSelection(4, math.Min(p, 1))
		if b < prev {
			t.Errorf("B(4, %v) = %v < B at lower P %v", p, b, prev)
		}
		prev = b
	}
	mustPanic(t, "one class", func() { ssvep.ITR(1, 1, 1) })
	mustPanic(t, "P > 1", func() { ssvep.ITR(2, 1.1, 1) })
	mustPanic(t, "NaN P", func() { ssvep.ITR(2, math.NaN(), 1) })
	mustPanic(t, "T = 0", func() { ssvep.ITR(2, 0.9, 0) })
}
