package simulate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
)

// full is a config with every component on, including an SSVEP schedule
// and a seizure, so equality tests cover every generator.
func full(seed uint64) Config {
	c := DefaultConfig()
	c.Seed = seed
	c.Duration = 90
	c.LineNoise.Harmonics = 3
	c.SSVEP.Enabled = true
	c.Seizures.Enabled = true
	c.Seizures.Events = []SeizureEvent{{Onset: 40, Duration: 30}}
	return c
}

func TestDeterminism(t *testing.T) {
	a := mustNew(t, full(7))
	b := mustNew(t, full(7))
	d := mustNew(t, full(8))
	n := a.Info().NSamples
	xa, xb, xd := read(t, a, 0, n), read(t, b, 0, n), read(t, d, 0, n)
	for c := range xa {
		if !slices.Equal(xa[c], xb[c]) {
			t.Fatalf("channel %d: same seed gave different samples", c)
		}
		if slices.Equal(xa[c], xd[c]) {
			t.Fatalf("channel %d: seeds 7 and 8 gave identical samples", c)
		}
	}
	if !slices.EqualFunc(a.Info().Annotations, b.Info().Annotations, func(x, y formats.Annotation) bool { return x == y }) {
		t.Fatal("same seed gave different annotations")
	}
	if slices.EqualFunc(a.Info().Annotations, d.Info().Annotations, func(x, y formats.Annotation) bool { return x == y }) {
		t.Fatal("seeds 7 and 8 gave identical blink schedules")
	}
}

func TestChunkingInvariance(t *testing.T) {
	t.Run("eeg", func(t *testing.T) {
		if !mustNew(t, full(3)).field.freqMix {
			t.Fatal("want spectral mixing")
		}
		testChunking(t, full(3))
	})
	t.Run("meg", func(t *testing.T) {
		// 120 channels > 34 sources: the other mixing path.
		c := full(4)
		c.Montage.Kind = "meg"
		c.Montage.Locations = 40
		c.Background.Sources = 32
		c.SampleRate = 300
		c.Duration = 80
		c.Seizures.Events = []SeizureEvent{{Onset: 30, Duration: 30}}
		if mustNew(t, c).field.freqMix {
			t.Fatal("want source-domain mixing")
		}
		testChunking(t, c)
	})
	t.Run("eeg-64", func(t *testing.T) {
		c := full(5)
		c.Montage.Labels = nil
		c.Montage.Channels = 64
		c.Seizures.Events = nil // Poisson schedule
		c.Seizures.RatePerHour = 120
		testChunking(t, c)
	})
}

func testChunking(t *testing.T, cfg Config) {
	ref := mustNew(t, cfg)
	n := ref.Info().NSamples
	want := read(t, ref, 0, n)

	check := func(name string, got [][]float64, start int64) {
		t.Helper()
		for c := range got {
			for i, v := range got[c] {
				if w := want[c][start+int64(i)]; v != w {
					t.Fatalf("%s: channel %d sample %d = %g, want %g", name, c, start+int64(i), v, w)
				}
			}
		}
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		s := mustNew(t, cfg)
		start := rng.Int64N(n / 2)
		stop := start + 1 + rng.Int64N(min(n-start-1, 20000))
		got := make([][]float64, len(want))
		for c := range got {
			got[c] = make([]float64, stop-start)
		}
		// Random chunk sizes, from 1 sample to several spans.
		for p := start; p < stop; {
			m := min(stop-p, 1+rng.Int64N(int64([]int{3, 100, 700, 3000}[rng.IntN(4)])))
			sub := make([][]float64, len(got))
			for c := range sub {
				sub[c] = got[c][p-start : p-start+m]
			}
			if err := s.ReadSamples(sub, p, p+m); err != nil {
				t.Fatal(err)
			}
			p += m
		}
		check("random chunking", got, start)
	}

	// Later range first, then earlier, then random access on one session.
	s := mustNew(t, cfg)
	check("later range", read(t, s, n-5000, n-100), n-5000)
	check("earlier range", read(t, s, 10, 3000), 10)
	for i := 0; i < 30; i++ {
		a := rng.Int64N(n - 1)
		b := a + 1 + rng.Int64N(min(n-a, 2000))
		check("random access", read(t, s, a, b), a)
	}
	// A last block crossing span boundaries backwards.
	for p := n; p > 0; p -= 999 {
		a := max(p-999, 0)
		check("backwards", read(t, s, a, p), a)
	}
}

func TestLongSessionRandomAccess(t *testing.T) {
	c := DefaultConfig()
	c.Duration = 10 * 3600
	s := mustNew(t, c)
	if got, want := s.Info().NSamples, int64(10*3600*256); got != want {
		t.Fatalf("NSamples = %d, want %d", got, want)
	}
	end := s.Info().NSamples
	late := read(t, s, end-1000, end)
	read(t, s, 0, 2000)
	again := read(t, mustNew(t, c), end-1000, end)
	for ch := range late {
		if !slices.Equal(late[ch], again[ch]) {
			t.Fatalf("channel %d differs at the end of a 10 h session", ch)
		}
		if r := rms(late[ch]); r < 5e-6 || r > 200e-6 {
			t.Errorf("channel %d RMS %g V after 10 h, want EEG-like", ch, r)
		}
	}
}

func TestInfoEEG(t *testing.T) {
	s := mustNew(t, DefaultConfig())
	in := s.Info()
	if in.Format != "simulated" || in.SampleRate != 256 || in.NSamples != 60*256 {
		t.Fatalf("info = %q %v Hz %d samples", in.Format, in.SampleRate, in.NSamples)
	}
	if got := in.Labels(); !slices.Equal(got, default1020) {
		t.Fatalf("labels = %v", got)
	}
	for _, c := range in.Channels {
		if c.Type != formats.EEG || c.Unit != "V" || c.SampleRate != 256 {
			t.Errorf("%s: type %s unit %s rate %v", c.Label, c.Type, c.Unit, c.SampleRate)
		}
		if r := math.Hypot(math.Hypot(c.Pos[0], c.Pos[1]), c.Pos[2]); math.Abs(r-0.095) > 1e-12 {
			t.Errorf("%s at radius %v m, want 0.095", c.Label, r)
		}
	}
	pos := func(l string) [3]float64 { return *in.Channels[chanIndex(t, s, l)].Pos }
	if p := pos("Cz"); p[2] < 0.094 {
		t.Errorf("Cz at %v, want at the vertex", p)
	}
	if p := pos("Fp1"); p[1] < 0.08 || p[0] > 0 {
		t.Errorf("Fp1 at %v, want front left", p)
	}
	if p := pos("O2"); p[1] > -0.08 || p[0] < 0 {
		t.Errorf("O2 at %v, want back right", p)
	}
	if p := pos("T4"); p[0] < 0.094 {
		t.Errorf("T4 at %v, want right", p)
	}
	if !slices.IsSortedFunc(in.Annotations, func(a, b formats.Annotation) int { return int(math.Copysign(1, a.Onset-b.Onset)) }) {
		t.Error("annotations not sorted by onset")
	}

	c := DefaultConfig()
	c.Montage.Labels = []string{"O1", "Oz", "O2", "T7"}
	s = mustNew(t, c)
	if got := s.Info().Labels(); !slices.Equal(got, []string{"O1", "Oz", "O2", "T7"}) {
		t.Fatalf("labels = %v", got)
	}
}

// TestMontageChannels: Montage.Channels set on a DefaultConfig gives that
// many channels: the 10-20 montage first (a head-covering subset below
// 19), then 10-10 electrodes (64 is the BioSemi 64 layout), then a
// numbered net; electrodes are distinct and evenly spread.
func TestMontageChannels(t *testing.T) {
	biosemi64 := strings.Fields(`Fp1 AF7 AF3 F1 F3 F5 F7 FT7 FC5 FC3 FC1 C1 C3 C5 T7 TP7 CP5 CP3 CP1 P1 P3 P5 P7 P9
		PO7 PO3 O1 Iz Oz POz Pz CPz Fpz Fp2 AF8 AF4 AFz Fz F2 F4 F6 F8 FT8 FC6 FC4 FC2 FCz Cz C2 C4 C6 T8 TP8 CP6
		CP4 CP2 P2 P4 P6 P8 P10 PO8 PO4 O2`)
	for _, tc := range []struct {
		n       int
		minDist float64 // m, on the 0.095 m head
	}{{1, 0}, {4, 0.05}, {8, 0.04}, {19, 0.04}, {21, 0.025}, {32, 0.025}, {64, 0.015}, {max1010, 0.012}, {max1010 + 1, 0.015}, {128, 0.012}, {512, 0.005}} {
		c := DefaultConfig()
		c.Duration = 1
		c.Montage.Channels = tc.n
		in := mustNew(t, c).Info()
		labels := in.Labels()
		if len(labels) != tc.n {
			t.Fatalf("Channels %d: %d channels %v", tc.n, len(labels), labels)
		}
		switch {
		case tc.n <= len(default1020):
			for _, l := range labels {
				if !slices.Contains(default1020, l) {
					t.Errorf("Channels %d: %s is not a 10-20 electrode", tc.n, l)
				}
			}
		case tc.n <= max1010:
			if !slices.Equal(labels[:19], default1020) {
				t.Errorf("Channels %d: first 19 %v, want the 10-20 montage", tc.n, labels[:19])
			}
		default:
			if labels[0] != "E1" || labels[tc.n-1] != fmt.Sprintf("E%d", tc.n) {
				t.Errorf("Channels %d: labels %s … %s, want a numbered net", tc.n, labels[0], labels[tc.n-1])
			}
		}
		if tc.n == 64 {
			canon := func(l []string) []string {
				out := make([]string, len(l))
				for i, x := range l {
					out[i] = canonical1010(x)
				}
				slices.Sort(out)
				return out
			}
			if got, want := canon(labels), canon(biosemi64); !slices.Equal(got, want) {
				t.Errorf("Channels 64: %v, want the BioSemi 64 electrodes %v", got, want)
			}
		}
		seen := map[string]bool{}
		minD := math.Inf(1)
		for i, a := range in.Channels {
			if seen[a.Label] {
				t.Errorf("Channels %d: %s twice", tc.n, a.Label)
			}
			seen[a.Label] = true
			if r := math.Hypot(math.Hypot(a.Pos[0], a.Pos[1]), a.Pos[2]); math.Abs(r-0.095) > 1e-12 {
				t.Errorf("Channels %d: %s at radius %v m", tc.n, a.Label, r)
			}
			for _, b := range in.Channels[i+1:] {
				minD = math.Min(minD, dist(*a.Pos, *b.Pos))
			}
		}
		if minD < tc.minDist {
			t.Errorf("Channels %d: closest electrodes %.4f m apart, want ≥ %v", tc.n, minD, tc.minDist)
		}
	}

	// The 10-10 rows reproduce the 10-20 table where they meet it.
	for _, l := range []string{"F3", "F4", "C3", "P3", "P4"} {
		r := rows1010[slices.IndexFunc(rows1010, func(r row1010) bool { return r.prefix == l[:1] })]
		left, right := spherical(1, 90, -r.endAzimuth), spherical(1, 90, r.endAzimuth)
		end := left
		if l[1] == '4' {
			end = right
		}
		p := arcPoint(spherical(1, r.theta, r.midAzimuth), end, left, right, 0.5)
		a := angle1020[l]
		if d := dist(p, spherical(1, a[0], a[1])) * 180 / math.Pi; d > 0.5 {
			t.Errorf("%s: 10-10 row puts it %.2f° from the 10-20 table", l, d)
		}
	}
	// Midline and row ends sit where the 10-10 percentages put them.
	for l, want := range map[string][2]float64{"FCz": {22.5, 0}, "AF7": {90, -36}, "TP8": {90, 108}} {
		if got := angle1010[l]; math.Abs(got[0]-want[0]) > 1e-9 || math.Abs(got[1]-want[1]) > 1e-9 {
			t.Errorf("%s at %v, want %v", l, got, want)
		}
	}

	c := DefaultConfig()
	c.Montage.Labels = []string{"O1", "O2"}
	c.Montage.Channels = 64
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Montage.Channels: 64, but Montage.Labels names 2") {
		t.Errorf("Labels and Channels disagreeing: %v", err)
	}
	c.Montage.Labels = []string{"O1", "PO3", "Iz"}
	c.Montage.Channels = 0
	if got := mustNew(t, c).Info().Labels(); !slices.Equal(got, c.Montage.Labels) {
		t.Errorf("10-10 labels: %v", got)
	}
}

func TestInfoMEG(t *testing.T) {
	c := DefaultConfig()
	c.Montage.Kind = "meg"
	c.SampleRate = 1000
	c.Duration = 20
	s := mustNew(t, c)
	in := s.Info()
	if len(in.Channels) != 306 {
		t.Fatalf("%d channels, want 306", len(in.Channels))
	}
	x := read(t, s, 0, in.NSamples)
	var nMag, nGrad int
	for i, ch := range in.Channels {
		r := rms(x[i])
		switch ch.Type {
		case formats.MEGMag:
			nMag++
			if ch.Unit != "T" || r < 50e-15 || r > 5e-12 {
				t.Errorf("%s: unit %s RMS %g T", ch.Label, ch.Unit, r)
			}
		case formats.MEGGrad:
			nGrad++
			if ch.Unit != "T/m" || r < 0.5e-12 || r > 200e-12 {
				t.Errorf("%s: unit %s RMS %g T/m", ch.Label, ch.Unit, r)
			}
		default:
			t.Errorf("%s: type %s", ch.Label, ch.Type)
		}
		if r := math.Hypot(math.Hypot(ch.Pos[0], ch.Pos[1]), ch.Pos[2]); math.Abs(r-0.12) > 1e-12 {
			t.Errorf("%s at radius %v m", ch.Label, r)
		}
	}
	if nMag != 102 || nGrad != 204 {
		t.Fatalf("%d magnetometers and %d gradiometers, want 102 and 204", nMag, nGrad)
	}
	if in.Channels[0].Label != "MEG0011" || in.Channels[2].Label != "MEG0013" {
		t.Errorf("labels start %q %q", in.Channels[0].Label, in.Channels[2].Label)
	}
	// The two gradiometers of one location are not copies of each other.
	if slices.Equal(x[1], x[2]) {
		t.Error("gradiometer pair identical")
	}
}

func TestReadErrors(t *testing.T) {
	s := mustNew(t, quiet(1, 10))
	n := s.Info().NSamples
	dst := make([][]float64, len(s.Info().Channels))
	for c := range dst {
		dst[c] = make([]float64, 10)
	}
	if err := s.ReadSamples(dst, n-5, n+5); err == nil {
		t.Error("read past the end: no error")
	}
	if err := s.ReadSamples(dst, -10, 0); err == nil {
		t.Error("negative start: no error")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("wrong dst shape did not panic")
			}
		}()
		_ = s.ReadSamples(dst[:3], 0, 10)
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.ReadSamples(dst, 0, 10); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		field string
		mod   func(*Config)
	}{
		{"SampleRate", func(c *Config) { c.SampleRate = -1 }},
		{"Duration", func(c *Config) { c.Duration = math.NaN() }},
		{"Montage.Kind", func(c *Config) { c.Montage.Kind = "ecog" }},
		{"Montage.Labels[1]", func(c *Config) { c.Montage.Labels = []string{"Cz", "Xx"} }},
		{"Montage.Labels[1]", func(c *Config) { c.Montage.Labels = []string{"T3", "T7"} }},
		{"Montage.Sensors", func(c *Config) { c.Montage.Kind = "meg"; c.Montage.Sensors = "axial" }},
		{"Background.Exponent", func(c *Config) { c.Background.Exponent = 5 }},
		{"Background.Sources", func(c *Config) { c.Background.Sources = -3 }},
		{"Alpha.Frequency", func(c *Config) { c.Alpha.Frequency = 200 }},
		{"LineNoise.Frequency", func(c *Config) { c.SampleRate = 90 }},
		{"LineNoise.Harmonics", func(c *Config) { c.LineNoise.Harmonics = -1 }},
		{"Blinks.MaxAmplitude", func(c *Config) { c.Blinks.MaxAmplitude = 50e-6 }},
		{"Blinks.Rate", func(c *Config) { c.Blinks.Rate = 5 }},
		{"SSVEP.Frequencies[1]", func(c *Config) { c.SSVEP.Enabled = true; c.SSVEP.Frequencies = []float64{8, 300} }},
		{"SSVEP.Trials[0].Duration", func(c *Config) {
			c.SSVEP.Enabled = true
			c.SSVEP.Trials = []Trial{{Onset: 58, Duration: 4, Frequency: 12}}
		}},
		{"Seizures.Events[1].Onset", func(c *Config) {
			c.Seizures.Enabled = true
			c.Seizures.Events = []SeizureEvent{{Onset: 10, Duration: 20}, {Onset: 20, Duration: 5}}
		}},
		{"Seizures.Focus[0]", func(c *Config) { c.Seizures.Enabled = true; c.Seizures.Focus = []string{"MEG0011"} }},
		{"Seizures.MaxDuration", func(c *Config) { c.Seizures.Enabled = true; c.Seizures.MaxDuration = 5 }},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mod(&c)
		err := c.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: got %v, want an error naming %s", tt.field, err, tt.field)
		}
		if _, err := New(c); err == nil {
			t.Errorf("%s: New accepted an invalid config", tt.field)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	if got := mustNew(t, Config{}).Config(); got.SampleRate != 256 || got.Background.Exponent != 1.5 {
		t.Errorf("zero Config did not take the defaults: %+v", got)
	}
}
