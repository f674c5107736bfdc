package stages

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

func window(n int, fs float64) *pipeline.Window {
	r := rand.New(rand.NewPCG(1, 2))
	data := [][]float64{make([]float64, n), make([]float64, n)}
	for i := range n {
		t := float64(i) / fs
		data[0][i] = 1e-5*math.Sin(2*math.Pi*10*t) + 1e-6*r.NormFloat64()
		data[1][i] = 1e-5*math.Sin(2*math.Pi*20*t) + 1e-6*r.NormFloat64()
	}
	return &pipeline.Window{
		WindowKey:  arrowout.WindowKey{Session: "s", Window: 3, StartSample: int64(3 * n)},
		SampleRate: fs,
		Channels:   []formats.Channel{{Label: "O1", Type: formats.EEG, Unit: "V"}, {Label: "O2", Type: formats.EEG, Unit: "V"}},
		Data:       data,
	}
}

// TestPSDStage: the stage's rows are dsp.Welch and dsp.BandPower of the
// window, cropped to [fmin, fmax], with the configured n_overlap (0 means
// none) and n_per_seg capped at the window length.
func TestPSDStage(t *testing.T) {
	const fs, n = 256.0, 512
	for _, tc := range []struct {
		opts  map[string]any
		welch dsp.WelchConfig
		fmin  float64
		fmax  float64
	}{
		{map[string]any{"n_per_seg": 128}, dsp.WelchConfig{SegmentLen: 128}, 0, 128},
		{map[string]any{"n_per_seg": 128, "n_overlap": 0, "fmin": 5, "fmax": 40}, dsp.WelchConfig{SegmentLen: 128, Overlap: -1}, 5, 40},
		{map[string]any{"n_per_seg": 4096, "average": "median"}, dsp.WelchConfig{SegmentLen: n, Average: dsp.AverageMedian}, 0, 128},
	} {
		b, errs := Build("psd", "", tc.opts)
		if errs != nil {
			t.Fatal(errs)
		}
		st, err := b.NewSession(pipeline.SessionInfo{Session: "s", SampleRate: fs, Channels: window(n, fs).Channels, WindowLength: n})
		if err != nil {
			t.Fatal(err)
		}
		w := window(n, fs)
		res, err := st.Process(w)
		if err != nil {
			t.Fatal(err)
		}
		tc.welch.SampleRate = fs
		ref, _ := dsp.NewWelch(tc.welch)
		freqs := ref.Freqs(nil)
		psd := res[0].Record
		bp := res[1].Record
		if res[0].Kind != arrowout.KindPSD || res[1].Kind != arrowout.KindBandPower || psd.NumRows() != 2 || bp.NumRows() != 2*5 {
			t.Fatalf("%v: results %v %v", tc.opts, res[0].Kind, res[1].Kind)
		}
		lists := psd.Column(8).(*array.List)
		vals := lists.ListValues().(*array.Float64).Float64Values()
		start := psd.Column(6).(*array.Float64).Value(0)
		for c := range 2 {
			want := ref.PSD(nil, w.Data[c])
			lo, hi := lists.ValueOffsets(c)
			row := vals[lo:hi]
			k0 := int(math.Round(start / freqs[1]))
			if freqs[k0] < tc.fmin || (k0 > 0 && freqs[k0-1] >= tc.fmin) {
				t.Errorf("%v: first bin %g Hz for fmin %g", tc.opts, freqs[k0], tc.fmin)
			}
			if last := freqs[k0+len(row)-1]; last > tc.fmax || (k0+len(row) < len(freqs) && freqs[k0+len(row)] <= tc.fmax) {
				t.Errorf("%v: last bin %g Hz for fmax %g", tc.opts, last, tc.fmax)
			}
			for i, v := range row {
				if v != want[k0+i] {
					t.Fatalf("%v: channel %d bin %d = %g, Welch %g", tc.opts, c, k0+i, v, want[k0+i])
				}
			}
			power := bp.Column(9).(*array.Float64)
			rel := bp.Column(10).(*array.Float64)
			total := dsp.BandPower(want, freqs, 1, 45)
			for j, band := range dsp.StandardBands {
				got := power.Value(c*5 + j)
				if exp := dsp.BandPower(want, freqs, band.Low, band.High); got != exp || rel.Value(c*5+j) != exp/total {
					t.Errorf("%v: channel %d %s = %g (rel %g), want %g", tc.opts, c, band.Name, got, rel.Value(c*5+j), exp)
				}
			}
		}
		if u := psd.Column(5).(*array.String).Value(0); u != "V^2/Hz" {
			t.Errorf("psd unit %q", u)
		}
		for _, r := range res {
			r.Record.Release()
		}
	}
}

func TestPSDConfigErrors(t *testing.T) {
	for opts, want := range map[string]map[string]any{
		"n_per_seg: must be positive":          {"n_per_seg": -1},
		"n_overlap: must be in [0, n_per_seg)": {"n_per_seg": 64, "n_overlap": 64},
		"average: want mean or median":         {"average": "max"},
		"detrend: want constant":               {"detrend": "quadratic"},
		"bands[0]: want 0 ≤ low < high":        {"bands": []any{map[string]any{"name": "x", "low": 5, "high": 2}}},
		"bands[1].name: \"a\" used twice":      {"bands": []any{map[string]any{"name": "a", "low": 1, "high": 2}, map[string]any{"name": "a", "low": 3, "high": 4}}},
		"fmin/fmax":                            {"fmin": 50, "fmax": 10},
		"invalid keys: npersegg":               {"npersegg": 3},
	} {
		wantBuildError(t, "psd", want, opts)
	}
}

// TestPSDAllocs: the DSP path allocates nothing per window; what remains
// is the assembly of the two records (arrowout.PSDWindows and
// BandPowerWindows: a few Arrow objects per column that changes), the
// same for any window length and any number of channels.
func TestPSDAllocs(t *testing.T) {
	allocs := func(n, channels int) float64 {
		w := window(n, 256)
		for len(w.Channels) < channels {
			w.Channels = append(w.Channels, w.Channels[0])
			w.Data = append(w.Data, w.Data[0])
		}
		process := processFunc(t, newStage(t, "psd", map[string]any{"n_per_seg": 128}, w), w)
		process()
		return testing.AllocsPerRun(20, process)
	}
	short, long := allocs(512, 2), allocs(8192, 2)
	if short != long {
		t.Errorf("allocations depend on window length: %v for 512 samples, %v for 8192", short, long)
	}
	if many := allocs(512, 64); many != short {
		t.Errorf("allocations depend on channels: %v for 2, %v for 64", short, many)
	}
	// Two records of 9 and 11 columns, of which 4 and 5 change per window.
	if short > 80 {
		t.Errorf("%v allocations per window, want ≤ 80", short)
	}
}

// bandPowers runs the psd stage built from opts on w (a session of w's
// rate, channels and length) and returns power[channel][band] and the
// bands' names.
func bandPowers(t *testing.T, opts map[string]any, w *pipeline.Window) ([][]float64, []string) {
	t.Helper()
	res, err := newStage(t, "psd", opts, w).Process(w)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range res {
			r.Record.Release()
		}
	}()
	bp := res[len(res)-1].Record
	ch := bp.Column(4).(*array.String)
	band := bp.Column(6).(*array.String)
	power := bp.Column(9).(*array.Float64)
	out := make([][]float64, len(w.Channels))
	var names []string
	for i := range int(bp.NumRows()) {
		c := slices.IndexFunc(w.Channels, func(x formats.Channel) bool { return x.Label == ch.Value(i) })
		out[c] = append(out[c], power.Value(i))
		if c == 0 {
			names = append(names, band.Value(i))
		}
	}
	return out, names
}

// TestPSDDefaultsFollowRate: with the defaults, n_per_seg is 2 s of samples
// (0.5 Hz bins) capped at the window and n_overlap half of it, so every
// standard band of broadband EEG has power at clinical and high rates
// (with a fixed 256, 1000 Hz left delta with one bin and 20 kHz every
// band with none).
func TestPSDDefaultsFollowRate(t *testing.T) {
	for _, tc := range []struct {
		rate    float64
		n       int
		nperseg int
	}{{256, 1024, 512}, {1000, 2000, 2000}, {1000, 4000, 2000}, {20000, 40000, 40000}, {1000, 1000, 1000}} {
		w := window(tc.n, tc.rate)
		st := newStage(t, "psd", nil, w).(*psdSession)
		if c := st.welch.Config(); c.SegmentLen != tc.nperseg || c.Overlap != tc.nperseg/2 || c.NFFT != tc.nperseg {
			t.Errorf("%g Hz, window %d: nperseg %d noverlap %d nfft %d, want %d, %d, %d", tc.rate, tc.n, c.SegmentLen, c.Overlap, c.NFFT, tc.nperseg, tc.nperseg/2, tc.nperseg)
		}
		powers, names := bandPowers(t, nil, w)
		if len(names) != len(dsp.StandardBands) {
			t.Fatalf("%g Hz: bands %v", tc.rate, names)
		}
		for c, p := range powers {
			for b, v := range p {
				if !(v > 0) {
					t.Errorf("%g Hz, window %d: channel %d band %s power %g", tc.rate, tc.n, c, names[b], v)
				}
			}
		}
	}
}

// TestPSDBandChecks: a band with fewer than two bins (narrower than the
// bin spacing) or reaching above the Nyquist frequency fails the session
// and CheckRate, naming the band, the rate and the spacing; default bands
// above the Nyquist frequency are left out.
func TestPSDBandChecks(t *testing.T) {
	band := func(name string, lo, hi float64) map[string]any {
		return map[string]any{"bands": []any{map[string]any{"name": name, "low": lo, "high": hi}}}
	}
	for _, tc := range []struct {
		opts   map[string]any
		rate   float64
		n      int64
		errors []string // each in the error; none: no error
	}{
		{band("narrow", 8, 8.3), 1000, 2000, []string{"bands[0]: narrow [8, 8.3] Hz holds 1 frequency bin(s) at 1000 Hz sampling (bins 0.5 Hz apart: n_fft 2000, n_per_seg 2000)"}},
		{band("edge", 8, 8.5), 1000, 2000, nil},
		{band("high", 100, 300), 256, 512, []string{"bands[0]: high [100, 300] Hz reaches above the Nyquist frequency 128 Hz of 256 Hz sampling"}},
		{map[string]any{"n_per_seg": 256}, 20000, 40000, []string{"bands: the default bands delta [1, 4], theta [4, 8], alpha [8, 12], beta [12, 30], gamma [30, 45] Hz hold fewer than 2 frequency bins each at 20000 Hz sampling (bins 78.12 Hz apart: n_fft 256, n_per_seg 256)"}},
		{nil, 256, 10, []string{"bands: the default bands delta [1, 4],", "at 256 Hz sampling (bins 25.6 Hz apart: n_fft 10, n_per_seg the window's 10 samples)"}},
		{map[string]any{"n_per_seg": 512}, 256, 64, []string{"bands: the default bands delta [1, 4] Hz hold", "(bins 4 Hz apart: n_fft 64, n_per_seg 512 capped at the window's 64 samples)"}},
		{map[string]any{"total": []any{1, 200}}, 256, 512, []string{"total: the total range [1, 200] Hz reaches above the Nyquist frequency 128 Hz"}},
		{nil, 64, 128, nil}, // gamma (30–45 Hz) left out, total capped at 32 Hz
	} {
		b, errs := Build("psd", "", tc.opts)
		if errs != nil {
			t.Fatal(errs)
		}
		checked := b.(RateChecker).CheckRate(tc.rate, tc.n)
		_, err := b.NewSession(pipeline.SessionInfo{Session: "s", SampleRate: tc.rate, Channels: window(8, tc.rate).Channels, WindowLength: tc.n})
		if len(tc.errors) == 0 {
			if err != nil || checked != nil {
				t.Errorf("%v at %g Hz, window %d: %v / %v", tc.opts, tc.rate, tc.n, err, checked)
			}
			continue
		}
		if err == nil || len(checked) == 0 {
			t.Errorf("%v at %g Hz, window %d: accepted (%v, %v)", tc.opts, tc.rate, tc.n, err, checked)
			continue
		}
		for _, want := range tc.errors {
			if !strings.Contains(err.Error(), want) || !strings.Contains(joinErrors(checked).Error(), want) {
				t.Errorf("%v at %g Hz, window %d: errors %q / %q lack %q", tc.opts, tc.rate, tc.n, err, checked, want)
			}
		}
	}
	_, names := bandPowers(t, nil, window(128, 64))
	if !slices.Equal(names, []string{"delta", "theta", "alpha", "beta"}) {
		t.Errorf("default bands at 64 Hz: %v", names)
	}
}

// TestPSDBrainVision1000Hz: the shared 1000 Hz BrainVision recording in
// 2 s windows with the psd defaults has power in every standard band on
// every EEG channel (a fixed nperseg of 256 gave delta, theta and alpha 0).
func TestPSDBrainVision1000Hz(t *testing.T) {
	path := filepath.Join(testenv.DataDir(t), "format-samples", "brainvision", "test.vhdr")
	rec, err := open.File(path, open.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	in := rec.Info()
	if in.SampleRate != 1000 {
		t.Fatalf("%s at %g Hz, want 1000", path, in.SampleRate)
	}
	n := int64(2000)
	data := make([][]float64, len(in.Channels))
	for c := range data {
		data[c] = make([]float64, n)
	}
	if err := rec.ReadSamples(data, 0, n); err != nil {
		t.Fatal(err)
	}
	w := &pipeline.Window{WindowKey: arrowout.WindowKey{Session: "bv"}, SampleRate: 1000, Channels: in.Channels, Data: data}
	powers, names := bandPowers(t, nil, w)
	for c, p := range powers {
		if in.Channels[c].Type != formats.EEG {
			continue
		}
		for b, v := range p {
			if !(v > 0) {
				t.Errorf("%s %s: power %g", in.Channels[c].Label, names[b], v)
			}
		}
	}
}
