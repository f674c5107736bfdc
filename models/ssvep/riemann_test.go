package ssvep_test

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// riemannSet returns synthetic training and test trials of the
// exoskeleton layout (3 targets, 8 channels, 256 Hz, one subject: the same
// spatial patterns) with rest trials (noise only): perClass trials of each
// target and of rest in each set, samples long.
func riemannSet(seed uint64, perClass, samples int) (train [][][]float64, tl []int, test [][][]float64, yl []int) {
	s := newSynth(exoFreqs, 0.5*math.Pi, 256, 8, 0.5, seed)
	set := func() ([][][]float64, []int) {
		x, l := s.trials(perClass, samples)
		for range perClass {
			x, l = append(x, s.rest(samples)), append(l, ssvep.Rest)
		}
		return x, l
	}
	train, tl = set()
	test, yl = set()
	return train, tl, test, yl
}

func riemannConfig(method string) ssvep.RiemannConfig {
	return ssvep.RiemannConfig{Method: method, SampleRate: 256, Freqs: exoFreqs}
}

// TestRiemannSynthetic trains mdm and ts-lr with rest as a class on
// synthetic trials and decides held-out ones: a weak response (0.5 of the
// noise SD per channel) in 2 s windows is found, and rest is told from it.
func TestRiemannSynthetic(t *testing.T) {
	train, tl, test, yl := riemannSet(1, 10, 512)
	for _, method := range []string{ssvep.MethodMDM, ssvep.MethodTSLR} {
		d, err := ssvep.TrainRiemann(riemannConfig(method), train, tl)
		if err != nil {
			t.Fatal(err)
		}
		if !d.HasRest() || d.Method() != method {
			t.Fatalf("%s: HasRest %v, method %q", method, d.HasRest(), d.Method())
		}
		correct := 0
		for i, x := range test {
			l, err := d.Decide(x)
			if err != nil {
				t.Fatal(err)
			}
			s, err := d.Scores(nil, x)
			if err != nil {
				t.Fatal(err)
			}
			if yl[i] != ssvep.Rest && l != ssvep.Rest && ssvep.Argmax(s) != l {
				t.Errorf("%s trial %d: decided %d, top score %d", method, i, l, ssvep.Argmax(s))
			}
			if l == yl[i] {
				correct++
			}
		}
		if acc := float64(correct) / float64(len(test)); acc < 0.9 {
			t.Errorf("%s: accuracy %.2f on synthetic trials, want ≥ 0.9", method, acc)
		}
	}
}

// TestRiemannModelFile saves and loads each Riemannian model: the loaded
// model scores bit for bit like the saved one, decides the same, and saves
// to the same bytes.
func TestRiemannModelFile(t *testing.T) {
	train, tl, test, _ := riemannSet(3, 4, 300)
	for _, method := range []string{ssvep.MethodMDM, ssvep.MethodTSLR} {
		cfg := riemannConfig(method)
		cfg.BandWidth, cfg.Harmonics, cfg.Estimator = 2, 2, "lwf"
		d, err := ssvep.TrainRiemann(cfg, train, tl)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := d.Save(&buf); err != nil {
			t.Fatal(err)
		}
		saved := slices.Clone(buf.Bytes())
		loaded, err := ssvep.LoadDecoder(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := loaded.(*ssvep.Riemann); !ok || loaded.Method() != method {
			t.Fatalf("%s: loaded %T, method %q", method, loaded, loaded.Method())
		}
		for i, x := range test {
			a, _ := d.Scores(nil, x)
			b, err := loaded.Scores(nil, x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) {
				t.Errorf("%s trial %d: scores %v, loaded %v", method, i, a, b)
			}
			la, _ := d.Decide(x)
			lb, _ := loaded.Decide(x)
			if la != lb {
				t.Errorf("%s trial %d: decision %d, loaded %d", method, i, la, lb)
			}
		}
		var again bytes.Buffer
		if err := loaded.Save(&again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), saved) {
			t.Errorf("%s: saved again, the file differs", method)
		}
	}
}

// TestLoadDecoderErrors: a damaged file is refused with what is wrong.
func TestLoadDecoderErrors(t *testing.T) {
	train, tl, _, _ := riemannSet(5, 3, 300)
	d, err := ssvep.TrainRiemann(riemannConfig(ssvep.MethodMDM), train, tl)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	for _, c := range []struct{ name, file, want string }{
		{"format", strings.Replace(good, ssvep.RiemannModelFormat, "neurostream-ssvep-nope", 1), "format"},
		{"version", strings.Replace(good, `"version":1`, `"version":7`, 1), "version 7"},
		{"method", strings.Replace(good, `"method":"mdm"`, `"method":"ts-lr"`, 1), "disagrees"},
		{"classes", strings.Replace(good, `"classes":[-1,0,1,2]`, `"classes":[-1,0,1,3]`, 1), "classes"},
		{"estimator", strings.Replace(good, `"estimator":"oas"`, `"estimator":"mcd"`, 1), "estimator"},
		{"not json", good[:len(good)/2], "load"},
	} {
		if c.file == good {
			t.Fatalf("%s: the replacement did not apply", c.name)
		}
		_, err := ssvep.LoadDecoder(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// TestTrainDecoder trains every registered method by name.
func TestTrainDecoder(t *testing.T) {
	s := newSynth(exoFreqs, 0.5*math.Pi, 256, 8, 0.5, 6)
	train, tl := s.trials(3, 300)
	want := []string{"cca", "etrca", "fbcca", "mdm", "tdca", "trca", "ts-lr"}
	if got := ssvep.TrainedMethods(); !slices.Equal(got, want) {
		t.Fatalf("TrainedMethods %v, want %v", got, want)
	}
	for _, m := range want {
		cfg := ssvep.TrainConfig{Method: m, SampleRate: 256, Freqs: exoFreqs, TRCA: ssvep.TRCAConfig{FilterBank: ssvep.FilterBankConfig{SubBands: 2}}}
		if m == "fbcca" {
			cfg.FBCCA.FilterBank.SubBands = 3
			cfg.FBCCA.Harmonics = 3
		}
		d, err := ssvep.TrainDecoder(cfg, train, tl)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if d.Method() != m || d.Channels() != 8 || d.SampleRate() != 256 || !slices.Equal(d.Freqs(), exoFreqs) {
			t.Errorf("%s: method %q, %d channels, %v Hz, freqs %v", m, d.Method(), d.Channels(), d.SampleRate(), d.Freqs())
		}
		var buf bytes.Buffer
		if err := d.Save(&buf); err != nil {
			t.Fatal(err)
		}
		loaded, err := ssvep.LoadDecoder(&buf)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		x := s.window(1, 300, 0)
		a, _ := d.Decide(x)
		b, _ := loaded.Decide(x)
		if a != 1 || b != 1 {
			t.Errorf("%s: decided %d, loaded %d, want 1", m, a, b)
		}
		sa, _ := d.Scores(nil, x)
		sb, _ := loaded.Scores(nil, x)
		if !slices.Equal(sa, sb) {
			t.Errorf("%s: scores %v, loaded %v", m, sa, sb)
		}
	}
	if _, err := ssvep.TrainDecoder(ssvep.TrainConfig{Method: "svm"}, train, tl); err == nil || !strings.Contains(err.Error(), "svm") {
		t.Errorf("unknown method: error %v", err)
	}
}

// TestRestDetector calibrates a rest detector for ts-lr (3 targets) on
// synthetic trials with rest, checks held-out decisions, and round-trips
// its model file bit for bit.
func TestRestDetector(t *testing.T) {
	train, tl, test, yl := riemannSet(7, 8, 512)
	folds := make([]int, len(train))
	for i := range folds {
		folds[i] = i % 4
	}
	cfg := ssvep.TrainConfig{Method: ssvep.MethodTSLR, SampleRate: 256, Freqs: exoFreqs}
	d, err := ssvep.TrainWithRest(cfg, ssvep.RestConfig{}, train, tl, folds)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := d.Base().(*ssvep.Riemann); !ok || r.HasRest() {
		t.Fatalf("base %T should be a ts-lr trained on targets only", d.Base())
	}
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		t.Fatal(err)
	}
	saved := slices.Clone(buf.Bytes())
	loaded, err := ssvep.LoadDecoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	lr, ok := loaded.(*ssvep.RestDetector)
	if !ok {
		t.Fatalf("loaded %T", loaded)
	}
	correct, rest := 0, 0
	for i, x := range test {
		l, err := d.Decide(x)
		if err != nil {
			t.Fatal(err)
		}
		if l2, _ := loaded.Decide(x); l2 != l {
			t.Errorf("trial %d: decided %d, loaded %d", i, l, l2)
		}
		s, _ := d.Scores(nil, x)
		p, _ := d.RestProbability(s, x)
		p2, _ := lr.RestProbability(s, x)
		if p != p2 {
			t.Errorf("trial %d: rest probability %v, loaded %v", i, p, p2)
		}
		if l == yl[i] {
			correct++
		}
		if yl[i] == ssvep.Rest && l == ssvep.Rest {
			rest++
		}
	}
	if acc := float64(correct) / float64(len(test)); acc < 0.9 || rest < 7 {
		t.Errorf("accuracy %.2f, %d of 8 rest trials detected; want ≥ 0.9 and ≥ 7", acc, rest)
	}
	var again bytes.Buffer
	if err := loaded.Save(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), saved) {
		t.Error("rest detector saved again: the file differs")
	}
	if _, err := ssvep.TrainWithRest(cfg, ssvep.RestConfig{}, train, tl, make([]int, len(train))); err == nil {
		t.Error("one fold: no error")
	}
}

func ExampleTrainRiemann() {
	s := newSynth(exoFreqs, 0.5*math.Pi, 256, 8, 0.5, 9)
	trials, labels := s.trials(4, 512) // 2 s trials of 13, 17 and 21 Hz
	d, err := ssvep.TrainRiemann(ssvep.RiemannConfig{Method: ssvep.MethodTSLR, SampleRate: 256, Freqs: exoFreqs}, trials, labels)
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := d.Decide(s.window(2, 512, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("decided %v Hz\n", exoFreqs[l])
	// Output: decided 21 Hz
}
