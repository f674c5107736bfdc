package stages

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/simulate"
)

var ssvepFreqs = []float64{8, 11, 13, 15}

// ssvepWindow is channels EEG channels (O1, O2, … then C3, C4, …) of n
// samples at fs Hz: a response at freq Hz (phase-locked to sample start)
// under white noise, plus one EOG channel of noise.
func ssvepWindow(n, channels int, fs, freq float64, start int64, seed uint64) *pipeline.Window {
	r := rand.New(rand.NewPCG(seed, 9))
	w := &pipeline.Window{
		WindowKey:  arrowout.WindowKey{Session: "s", Window: 5, StartSample: start},
		SampleRate: fs,
	}
	for c := range channels + 1 {
		ch := formats.Channel{Label: "E" + strconv.Itoa(c), Type: formats.EEG, Unit: "V"}
		if c == channels {
			ch = formats.Channel{Label: "EOG", Type: formats.EOG, Unit: "V"}
		}
		w.Channels = append(w.Channels, ch)
		x := make([]float64, n)
		for i := range x {
			t := float64(start+int64(i)) / fs
			x[i] = 1e-6 * r.NormFloat64()
			if c < channels {
				x[i] += 1e-6 * (0.5 + float64(c)/float64(channels)) * (math.Sin(2*math.Pi*freq*t+0.3*float64(c)) + 0.4*math.Sin(4*math.Pi*freq*t))
			}
		}
		w.Data = append(w.Data, x)
	}
	return w
}

// trcaModel trains a model on phase-locked windows like ssvepWindow's and
// saves it; it returns the file.
func trcaModel(t *testing.T, n, channels int, fs float64, ensemble bool) string {
	t.Helper()
	var trials [][][]float64
	var labels []int
	for rep := range 4 {
		for k, f := range ssvepFreqs {
			trials = append(trials, ssvepWindow(n, channels, fs, f, 0, uint64(100+rep*10+k)).Data[:channels])
			labels = append(labels, k)
		}
	}
	m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: fs, Freqs: ssvepFreqs, Ensemble: ensemble}, trials, labels)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trca.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSSVEPStage: the row holds exactly the scores of the decoder called
// directly on the selected channels of the window, the argmax decision and
// its frequency, the top score and the margin to the runner-up.
func TestSSVEPStage(t *testing.T) {
	const fs, n, channels = 256.0, 512, 4
	model := trcaModel(t, n, channels, fs, false)
	emodel := trcaModel(t, n, channels, fs, true)
	fbccaModel := canonicalModel(t, "fbcca", n, fs, []string{"E2", "E0"}, 3, 2)
	freqs := []any{8, 11, 13, 15}
	cca := ssvep.CCAConfig{Freqs: ssvepFreqs, SampleRate: fs, Samples: n, Channels: channels}
	for _, tc := range []struct {
		opts map[string]any
		dec  func() (scorer, error)
		pick []int
	}{
		{map[string]any{"method": "cca", "frequencies": freqs}, func() (scorer, error) { return ssvep.NewCCA(cca) }, []int{0, 1, 2, 3}},
		{map[string]any{"method": "cca", "frequencies": freqs, "harmonics": 2, "channels": []any{"E3", "E1"}},
			func() (scorer, error) {
				c := cca
				c.Harmonics, c.Channels = 2, 2
				return ssvep.NewCCA(c)
			}, []int{3, 1}},
		{map[string]any{"frequencies": freqs}, func() (scorer, error) { return ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cca}) }, []int{0, 1, 2, 3}},
		{map[string]any{"method": "fbcca", "frequencies": freqs, "sub_bands": 3, "causal": true},
			func() (scorer, error) {
				return ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cca, FilterBank: ssvep.FilterBankConfig{SubBands: 3, Causal: true}})
			}, []int{0, 1, 2, 3}},
		{map[string]any{"method": "trca", "model": model}, func() (scorer, error) { return loadModel(model) }, []int{0, 1, 2, 3}},
		{map[string]any{"method": "etrca", "model": emodel, "frequencies": freqs}, func() (scorer, error) { return loadModel(emodel) }, []int{0, 1, 2, 3}},
		// A calibrated fbcca model names its channels (E2, E0), harmonics
		// and sub-bands; the stage decodes with them.
		{map[string]any{"method": "fbcca", "model": fbccaModel}, func() (scorer, error) {
			return ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: ssvep.CCAConfig{Freqs: ssvepFreqs, SampleRate: fs, Samples: n, Channels: 2, Harmonics: 3},
				FilterBank: ssvep.FilterBankConfig{SubBands: 2}})
		}, []int{2, 0}},
	} {
		b, errs := Build("ssvep", "", tc.opts)
		if errs != nil {
			t.Fatal(tc.opts, errs)
		}
		w := ssvepWindow(n, channels, fs, 13, 0, 1)
		st, err := b.NewSession(pipeline.SessionInfo{Session: "s", SampleRate: fs, Channels: w.Channels, WindowLength: n})
		if err != nil {
			t.Fatal(tc.opts, err)
		}
		res, err := st.Process(w)
		if err != nil {
			t.Fatal(tc.opts, err)
		}
		if len(res) != 1 || res[0].Kind != arrowout.KindSSVEP || res[0].Key != w.WindowKey || res[0].Record.NumRows() != 1 {
			t.Fatalf("%v: results %+v", tc.opts, res)
		}
		dec, err := tc.dec()
		if err != nil {
			t.Fatal(err)
		}
		x := make([][]float64, len(tc.pick))
		for i, c := range tc.pick {
			x[i] = w.Data[c]
		}
		want, err := dec.Scores(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		row := ssvepRow(t, res[0])
		method, _ := tc.opts["method"].(string)
		if method == "" {
			method = "fbcca"
		}
		top, margin := topMargin(want)
		if row.Method != method || row.Decision != 2 || row.Frequency != 13 || row.Score != top || row.Margin != margin ||
			!equalFloats(row.Scores, want) || !equalFloats(row.Frequencies, ssvepFreqs) {
			t.Errorf("%v: row %+v, decoder scores %v", tc.opts, row, want)
		}
		if row.Margin <= 0 || row.Score != want[2] {
			t.Errorf("%v: 13 Hz window: top %g margin %g, scores %v", tc.opts, row.Score, row.Margin, want)
		}
		res[0].Record.Release()
	}
}

// canonicalModel calibrates a cca or fbcca model (harmonics, sub-bands)
// on windows like ssvepWindow's, with rest windows of noise, for the
// channels labels, and saves it; it returns the file.
func canonicalModel(t *testing.T, method string, n int, fs float64, labels []string, harmonics, subBands int) string {
	t.Helper()
	cal, _, err := ssvep.NewCalibration(map[string]float64{"a": 8, "b": 11, "c": 13, "d": 15}, []string{"rest"}, float64(n)/fs)
	if err != nil {
		t.Fatal(err)
	}
	cal.SampleRate, cal.Channels = fs, labels
	for rep := range 3 {
		for k, f := range append([]float64{0}, ssvepFreqs...) {
			w := ssvepWindow(n, len(labels), fs, f, 0, uint64(200+rep*10+k))
			cal.Trials, cal.Labels = append(cal.Trials, w.Data[:len(labels)]), append(cal.Labels, k-1)
		}
	}
	m, err := ssvep.TrainCalibration(cal, ssvep.TrainCalibrationConfig{Method: method, NoControl: ssvep.NoControlMargin,
		Harmonics: harmonics, SubBands: subBands})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), method+".json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadModel(path string) (*ssvep.TRCA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ssvep.LoadTRCA(f)
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ssvepRow reads the single row of an ssvep result.
func ssvepRow(t *testing.T, r arrowout.Result) arrowout.SSVEPRow {
	t.Helper()
	rec := r.Record
	list := func(name string) []float64 {
		l := column[*array.List](t, rec, name)
		lo, hi := l.ValueOffsets(0)
		return append([]float64(nil), l.ListValues().(*array.Float64).Float64Values()[lo:hi]...)
	}
	return arrowout.SSVEPRow{
		Method:      column[*array.String](t, rec, "method").Value(0),
		Decision:    int(column[*array.Int32](t, rec, "decision").Value(0)),
		Frequency:   column[*array.Float64](t, rec, "frequency").Value(0),
		Score:       column[*array.Float64](t, rec, "score").Value(0),
		Margin:      column[*array.Float64](t, rec, "margin").Value(0),
		Scores:      list("scores"),
		Frequencies: list("frequencies"),
	}
}

// TestSSVEPNoControl: a window whose statistic is below the threshold is
// rest (−1, NaN Hz); above it, the top target.
func TestSSVEPNoControl(t *testing.T) {
	const fs, n = 256.0, 512
	w := ssvepWindow(n, 4, fs, 11, 0, 3)
	score := func(rule string, threshold float64) arrowout.SSVEPRow {
		b, errs := Build("ssvep", "", map[string]any{"method": "cca", "frequencies": []any{8, 11, 13, 15},
			"no_control": map[string]any{"rule": rule, "threshold": threshold}})
		if errs != nil {
			t.Fatal(errs)
		}
		st, err := b.NewSession(pipeline.SessionInfo{Session: "s", SampleRate: fs, Channels: w.Channels, WindowLength: n})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Process(w)
		if err != nil {
			t.Fatal(err)
		}
		defer res[0].Record.Release()
		return ssvepRow(t, res[0])
	}
	accept := score("top", 0)
	if accept.Decision != 1 || accept.Frequency != 11 {
		t.Fatalf("accepted: %+v", accept)
	}
	for _, rule := range []string{"top", "margin"} {
		th := accept.Score
		if rule == "margin" {
			th = accept.Margin
		}
		if r := score(rule, th*0.99); r.Decision != 1 {
			t.Errorf("%s below the statistic: %+v", rule, r)
		}
		if r := score(rule, th*1.01); r.Decision != ssvep.Rest || !math.IsNaN(r.Frequency) || r.Score != accept.Score || r.Margin != accept.Margin {
			t.Errorf("%s above the statistic: %+v", rule, r)
		}
	}
}

func TestSSVEPConfigErrors(t *testing.T) {
	model := trcaModel(t, 256, 2, 256, false)
	fbcca := canonicalModel(t, "fbcca", 512, 256, []string{"E0", "E1"}, 0, 0)
	for want, opts := range map[string]map[string]any{
		"method: want one of [cca fbcca trca etrca mdm ts-lr tdca fbcca+ts-lr fbcca-bands+ts-lr fbcca+ts-lr+tdca]": {"method": "svm", "frequencies": []any{8}},
		"frequencies: required for method fbcca":                {},
		"frequencies[1]: want a positive frequency":             {"frequencies": []any{8, -1}},
		"frequencies[1]: 8 Hz repeats frequencies[0]":           {"frequencies": []any{8, 8}},
		"model: required for method trca":                       {"method": "trca"},
		"harmonics, sub_bands, causal: the cca model sets them": {"method": "cca", "model": "m.json", "harmonics": 3},
		"method: cca, but model":                                {"method": "cca", "model": fbcca},
		"frequencies: [8 11 13 16], but model":                  {"method": "fbcca", "model": fbcca, "frequencies": []any{8, 11, 13, 16}},
		"harmonics: want ≥ 1":                                   {"frequencies": []any{8}, "harmonics": -1},
		"harmonics: only for methods cca and fbcca":             {"method": "trca", "model": model, "harmonics": 3},
		"sub_bands: only for method fbcca":                      {"method": "cca", "frequencies": []any{8}, "sub_bands": 3},
		"causal: only for method fbcca":                         {"method": "cca", "frequencies": []any{8}, "causal": true},
		"channels[1]: \"O1\" repeats channels[0]":               {"frequencies": []any{8}, "channels": []any{"O1", "O1"}},
		"no_control.rule: want top or margin":                   {"frequencies": []any{8}, "no_control": map[string]any{"rule": "best", "threshold": 1}},
		"no_control.threshold: required with rule top":          {"frequencies": []any{8}, "no_control": map[string]any{"rule": "top"}},
		"no_control.threshold: needs no_control.rule":           {"frequencies": []any{8}, "no_control": map[string]any{"threshold": 1}},
		"model: open":                    {"method": "trca", "model": filepath.Join(t.TempDir(), "none.json")},
		"method: etrca, but model":       {"method": "etrca", "model": model},
		"frequencies: [8 11], but model": {"method": "trca", "model": model, "frequencies": []any{8, 11}},
		"invalid keys: frequency":        {"frequency": 8},
	} {
		wantBuildError(t, "ssvep", opts, want)
	}
}

// TestSSVEPSessionErrors: problems only a session reveals name the key.
func TestSSVEPSessionErrors(t *testing.T) {
	const fs = 256.0
	model := trcaModel(t, 256, 2, fs, false)
	cca := canonicalModel(t, "cca", 256, fs, []string{"E0", "E1"}, 0, 0)
	w := ssvepWindow(512, 4, fs, 8, 0, 1)
	for want, opts := range map[string]map[string]any{
		"ssvep: channels: channel \"Oz\" is not in this session": {"frequencies": []any{8}, "channels": []any{"E1", "Oz"}},
		"for windows of 256 samples, the session's are 512":      {"method": "trca", "model": model, "channels": []any{"E0", "E1"}},
		"is for 2 channels, the stage decodes 4":                 {"method": "trca", "model": model},
		"cca.json is for windows of 256 samples":                 {"method": "cca", "model": cca},
		"cca.json is for 2 channels, the stage decodes 3":        {"method": "cca", "model": cca, "channels": []any{"E0", "E1", "E2"}},
		"margin needs at least two targets":                      {"frequencies": []any{8}, "no_control": map[string]any{"rule": "margin", "threshold": 0.1}},
	} {
		b, errs := Build("ssvep", "", opts)
		if errs != nil {
			t.Fatal(opts, errs)
		}
		_, err := b.NewSession(pipeline.SessionInfo{Session: "s", SampleRate: fs, Channels: w.Channels, WindowLength: 512})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want %q", opts, err, want)
		}
	}
}

// TestSSVEPAllocs: the decoders allocate nothing per window; what remains
// is Arrow's record assembly, which depends on neither the window length
// nor the number of channels.
func TestSSVEPAllocs(t *testing.T) {
	for _, method := range []string{"cca", "fbcca"} {
		allocs := func(n, channels int) float64 {
			w := ssvepWindow(n, channels, 256, 11, 0, 1)
			process := processFunc(t, newStage(t, "ssvep", map[string]any{"method": method, "frequencies": []any{8, 11, 13, 15}}, w), w)
			process()
			return testing.AllocsPerRun(20, process)
		}
		short, long, many := allocs(512, 2), allocs(2048, 2), allocs(512, 32)
		t.Logf("%s: %v allocations per window", method, short)
		if short != long || short != many {
			t.Errorf("%s: allocations %v (512 samples, 2 channels), %v (2048 samples), %v (32 channels)", method, short, long, many)
		}
	}
}

// ssvepSink keeps the decisions of a pipeline run by window.
type ssvepSink struct {
	mu        sync.Mutex
	decisions map[int64]float64 // window → decided frequency (NaN for rest)
}

func (s *ssvepSink) Write(_ context.Context, rs []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if r.Kind != arrowout.KindSSVEP {
			continue
		}
		win := r.Record.Column(1).(*array.Int64)
		freq := r.Record.Column(6).(*array.Float64)
		for i := range int(r.Record.NumRows()) {
			s.decisions[win.Value(i)] = freq.Value(i)
		}
	}
	return nil
}

func (s *ssvepSink) Close() error { return nil }

// TestSSVEPPipeline runs a simulated session with SSVEP trials (8, 11, 13
// and 15 Hz, 4 s each with 2 s rest, from simulate's annotations) through
// the runtime with FBCCA on 2 s windows every 0.25 s: windows that lie
// wholly inside a trial mostly decide the stimulated frequency.
func TestSSVEPPipeline(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := simulate.DefaultConfig()
	cfg.Seed = 11
	cfg.Duration = 60
	cfg.SSVEP.Enabled = true
	cfg.SSVEP.Frequencies = ssvepFreqs
	rec, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	truth := rec.Truth()
	rec.Close()
	b, errs := Build("ssvep", "", map[string]any{"method": "fbcca", "frequencies": []any{8, 11, 13, 15}, "channels": []any{"O1", "O2", "P3", "Pz", "P4"}})
	if errs != nil {
		t.Fatal(errs)
	}
	notch, errs := BuildPreprocess("notch", "", map[string]any{"freq": 50})
	if errs != nil {
		t.Fatal(errs)
	}
	sink := &ssvepSink{decisions: map[int64]float64{}}
	src := pipeline.NewRecordingSource([]pipeline.RecordingSpec{{
		Session: "sim-0", Name: "simulation",
		Open: func() (formats.Recording, error) { return simulate.New(cfg) },
	}}, pipeline.RecordingSourceConfig{ChunkSeconds: 0.25})
	r, err := pipeline.New(pipeline.Options{
		Source:     src,
		Preprocess: []pipeline.Preprocessor{notch},
		Stages:     []pipeline.StageBuilder{b},
		Sinks:      []pipeline.Sink{sink},
		Window:     pipeline.WindowSpec{LengthSeconds: 2, HopSeconds: 0.25},
		Logger:     quietLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 60 s, 2 s windows every 0.25 s: windows 0…232.
	if len(sink.decisions) != 233 {
		t.Fatalf("%d windows decided, want 233", len(sink.decisions))
	}
	inside, correct := 0, 0
	for win, f := range sink.decisions {
		start := float64(win) * 0.25
		for _, e := range truth {
			if e.Kind == simulate.KindSSVEP && start >= e.Onset && start+2 <= e.Onset+e.Duration {
				inside++
				if f == e.Frequency {
					correct++
				}
			}
		}
	}
	acc := float64(correct) / float64(inside)
	t.Logf("%d of %d windows inside trials decide the stimulus (%.0f%%)", correct, inside, 100*acc)
	if inside < 50 || acc < 0.7 {
		t.Errorf("%d of %d windows inside trials correct (%.0f%%): want ≥ 70%%", correct, inside, 100*acc)
	}
}

// scorer is what TestSSVEPStage compares the stage's scores with.
type scorer interface {
	Scores(dst []float64, x [][]float64) ([]float64, error)
}
