package seizure

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestBaselineRelative checks the z-scores by hand on a short stream: no
// baseline for the first window, zeros through the warm-up (τ/4), then
// (f − mean)/sd of the earlier windows, equally weighted while they are
// fewer than τ/Δt.
func TestBaselineRelative(t *testing.T) {
	b := NewBaseline(1, 8) // warm-up 2 s, windows every 1 s
	in := []float64{1, 3, 2, 6, 2}
	var got []float64
	for k, v := range in {
		f := []float64{v}
		b.Relative(f, float64(k))
		got = append(got, f[0])
	}
	// Window 2 (t = 2 s) is the first past the warm-up: the mean of 1, 3
	// is 2, their (population) variance 1: z = 0. Window 3: mean of 1, 3,
	// 2 is 2, variance 2/3: z = 4/√(2/3). Its deviation, 4, enters the
	// update (weight 1/4) clipped to d = 2·√(2/3): the mean becomes
	// 2 + d/4 and the variance 3/4·(2/3 + d²/4) = 1, so window 4 has
	// z = −d/4.
	z3 := 4 / math.Sqrt(2.0/3)
	want := []float64{0, 0, 0, z3, -math.Sqrt(2.0/3) / 2}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-12 {
			t.Errorf("window %d: z %v, want %v (all %v)", k, got[k], want[k], got)
		}
	}
}

// TestBaselineSeizure: on unit-variance noise, the background's z-scores
// have unit spread, and a 60 s rise of 10 standard deviations (a seizure)
// keeps z-scores above 3.5 to its end, with a 120 s time constant: the
// clipped update keeps the seizure out of its own baseline (unclipped they
// fall below 3.5 after 10 s, clipped at 3 standard deviations after 31 s).
// A flat feature gives 0.
func TestBaselineSeizure(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	b := NewBaseline(2, 120)
	var ss float64
	var n int
	for k := range 900 {
		f := []float64{r.NormFloat64(), 5}
		if k >= 600 && k < 660 {
			f[0] += 10
		}
		b.Relative(f, float64(k))
		if f[1] != 0 {
			t.Fatalf("window %d: a constant feature's z-score is %v", k, f[1])
		}
		switch {
		case k >= 60 && k < 600:
			ss += f[0] * f[0]
			n++
		case k >= 600 && k < 660 && f[0] < 3.5:
			t.Errorf("window %d, %d s into the seizure: z %.2f, want > 3.5", k, k-600, f[0])
		}
	}
	if sd := math.Sqrt(ss / float64(n)); sd < 0.8 || sd > 1.25 {
		t.Errorf("background z-scores spread %.3f, want about 1", sd)
	}
}

// TestBaselineState: a baseline resumed from its state after any window
// gives the uninterrupted baseline's z-scores bit for bit; bad states are
// refused.
func TestBaselineState(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	stream := make([][]float64, 200)
	for k := range stream {
		stream[k] = []float64{r.NormFloat64(), 10 * r.ExpFloat64(), float64(k % 7)}
	}
	run := func(b *Baseline, from, to int) [][]float64 {
		var out [][]float64
		for k := from; k < to; k++ {
			f := slices.Clone(stream[k])
			b.Relative(f, 0.5*float64(k))
			out = append(out, f)
		}
		return out
	}
	want := run(NewBaseline(3, 20), 0, len(stream))
	for _, stop := range []int{0, 1, 7, 20, 21, 150} {
		a := NewBaseline(3, 20)
		got := run(a, 0, stop)
		b := NewBaseline(3, 20)
		if err := b.SetState(a.State()); err != nil {
			t.Fatal(err)
		}
		got = append(got, run(b, stop, len(stream))...)
		for k := range want {
			if !slices.Equal(got[k], want[k]) {
				t.Fatalf("resumed after window %d: window %d gives %v, want %v", stop, k, got[k], want[k])
			}
		}
	}
	b := NewBaseline(3, 20)
	for _, st := range []BaselineState{
		{Mean: make([]float64, 2), Var: make([]float64, 3)},
		{Mean: make([]float64, 3), Var: make([]float64, 3), N: -1},
		{Mean: make([]float64, 3), Var: make([]float64, 3), Last: math.NaN()},
	} {
		if err := b.SetState(st); err == nil {
			t.Errorf("state %+v restored", st)
		}
	}
}

// TestPoolChannels: pooled inputs are each per-channel feature's mean,
// smallest and largest value over the channels, then the coherence
// features, under names without a channel.
func TestPoolChannels(t *testing.T) {
	ex, err := NewExtractor(FeatureConfig{SampleRate: 100, WindowLen: 400, Channels: 3, Coherence: true, PoolChannels: true})
	if err != nil {
		t.Fatal(err)
	}
	per := len(channelFeatures)
	if ex.Len() != 3*per+2 || ex.InputLen() != 3*per+2 {
		t.Fatalf("%d features, %d inputs", ex.Len(), ex.InputLen())
	}
	names := ex.InputNames()
	if names[0] != "mean_log_line_length" || names[per] != "min_log_line_length" || names[2*per+per-1] != "max_spectral_entropy" || names[3*per] != "mean_msc_theta" {
		t.Errorf("names %v", names)
	}
	f := make([]float64, ex.Len())
	for i := range f {
		f[i] = float64(i)
	}
	f[per+2] = -50 // channel 1's kurtosis
	in := ex.Input(make([]float64, ex.InputLen()), f)
	if got, want := in[2], (2.0-50+float64(2*per+2))/3; got != want {
		t.Errorf("mean kurtosis %v, want %v", got, want)
	}
	if in[per+2] != -50 || in[2*per+2] != float64(2*per+2) || in[3*per] != float64(3*per) || in[3*per+1] != float64(3*per+1) {
		t.Errorf("min, max kurtosis and coherence %v %v %v %v", in[per+2], in[2*per+2], in[3*per], in[3*per+1])
	}
	plain, _ := NewExtractor(FeatureConfig{SampleRate: 100, WindowLen: 400, Channels: 3})
	if g := plain.Input(nil, f[:plain.Len()]); &g[0] != &f[0] || !slices.Equal(plain.InputNames(), plain.Names()) {
		t.Error("without pooling the inputs are not the features")
	}
}

// TestBaselineModel trains a pooled, baseline-relative model, saves and
// loads it (version 3; bit-identical scores), and checks that older
// versions cannot carry these fields and that Probability refuses a
// model that needs the window's time.
func TestBaselineModel(t *testing.T) {
	spec := FeatureConfig{SampleRate: 128, WindowLen: 256, Channels: 2, BaselineSeconds: 10, PoolChannels: true}
	ex, err := NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	window := func(ictal bool) [][]float64 {
		x := make([][]float64, 2)
		for c := range x {
			x[c] = make([]float64, 256)
			for i := range x[c] {
				x[c][i] = 20e-6 * r.NormFloat64()
				if ictal {
					x[c][i] += 150e-6 * math.Sin(2*math.Pi*5*float64(i)/128)
				}
			}
		}
		return x
	}
	var X [][]float64
	var y []bool
	var windows [][][]float64
	b := NewBaseline(ex.InputLen(), spec.BaselineSeconds)
	for k := range 80 {
		ictal := k%20 >= 15
		w := window(ictal)
		windows = append(windows, w)
		in := ex.Input(make([]float64, ex.InputLen()), ex.Features(nil, w))
		b.Relative(in, float64(k))
		X, y = append(X, in), append(y, ictal)
	}
	m, err := Train(spec, X, y, TrainConfig{Lambda: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"version": 3`) || !strings.Contains(buf.String(), `"baseline_seconds": 10`) {
		t.Errorf("model file:\n%.300s", buf.String())
	}
	m2, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := NewDetector(m)
	d2, err := NewDetector(m2)
	if err != nil {
		t.Fatal(err)
	}
	var hi, lo float64
	for k, w := range windows {
		p1, p2 := d1.ProbabilityAt(w, float64(k)), d2.ProbabilityAt(w, float64(k))
		if p1 != p2 {
			t.Fatalf("window %d: reloaded model scores %v, want %v", k, p2, p1)
		}
		if k >= 20 && k%20 == 15 {
			hi += p1
		} else if k >= 20 && k%20 == 14 {
			lo += p1
		}
	}
	if hi <= lo {
		t.Errorf("the windows entering a seizure score %v in all, those before %v", hi, lo)
	}
	for v, msg := range map[string]string{`"version": 1`: "version 1 has no classifier", `"version": 2`: "version 2 has no baseline_seconds"} {
		old := strings.Replace(buf.String(), `"version": 3`, v, 1)
		if _, err := Load(strings.NewReader(old)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s with baseline_seconds: %v, want an error mentioning %q", v, err, msg)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Probability of a baseline-relative model did not panic")
		}
	}()
	d1.Probability(windows[0])
}
