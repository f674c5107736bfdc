package stages

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
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
// window, cropped to [fmin, fmax], with the configured noverlap (0 means
// none) and nperseg capped at the window length.
func TestPSDStage(t *testing.T) {
	const fs, n = 256.0, 512
	for _, tc := range []struct {
		opts  map[string]any
		welch dsp.WelchConfig
		fmin  float64
		fmax  float64
	}{
		{map[string]any{"nperseg": 128}, dsp.WelchConfig{SegmentLen: 128}, 0, 128},
		{map[string]any{"nperseg": 128, "noverlap": 0, "fmin": 5, "fmax": 40}, dsp.WelchConfig{SegmentLen: 128, Overlap: -1}, 5, 40},
		{map[string]any{"nperseg": 4096, "average": "median"}, dsp.WelchConfig{SegmentLen: n, Average: dsp.AverageMedian}, 0, 128},
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
		"nperseg: must be positive":         {"nperseg": -1},
		"noverlap: must be in [0, nperseg)": {"nperseg": 64, "noverlap": 64},
		"average: want mean or median":      {"average": "max"},
		"detrend: want constant":            {"detrend": "quadratic"},
		"bands[0]: want 0 ≤ low < high":     {"bands": []any{map[string]any{"name": "x", "low": 5, "high": 2}}},
		"bands[1].name: \"a\" used twice":   {"bands": []any{map[string]any{"name": "a", "low": 1, "high": 2}, map[string]any{"name": "a", "low": 3, "high": 4}}},
		"fmin/fmax":                         {"fmin": 50, "fmax": 10},
		"invalid keys: npersegg":            {"npersegg": 3},
	} {
		wantBuildError(t, "psd", want, opts)
	}
}

// TestPSDAllocs: the DSP path allocates nothing per window; what remains
// is Arrow's record assembly, which does not depend on the window length
// and grows only logarithmically (builder buffer doubling) with channels.
func TestPSDAllocs(t *testing.T) {
	allocs := func(n, channels int) float64 {
		w := window(n, 256)
		for len(w.Channels) < channels {
			w.Channels = append(w.Channels, w.Channels[0])
			w.Data = append(w.Data, w.Data[0])
		}
		process := processFunc(t, newStage(t, "psd", map[string]any{"nperseg": 128}, w), w)
		process()
		return testing.AllocsPerRun(20, process)
	}
	short, long := allocs(512, 2), allocs(8192, 2)
	if short != long {
		t.Errorf("allocations depend on window length: %v for 512 samples, %v for 8192", short, long)
	}
	if many := allocs(512, 64); many > short+4 {
		t.Errorf("allocations grow with channels: %v for 2, %v for 64", short, many)
	}
}
