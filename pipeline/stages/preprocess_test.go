package stages

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

func signal(channels, n int) [][]float64 {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([][]float64, channels)
	for c := range x {
		x[c] = make([]float64, n)
		for i := range x[c] {
			x[c][i] = 1e-5*math.Sin(2*math.Pi*10*float64(i)/256+float64(c)) + 1e-6*r.NormFloat64()
		}
	}
	return x
}

func info(channels int) pipeline.SessionInfo {
	in := pipeline.SessionInfo{Session: "s", SampleRate: 256}
	for c := range channels {
		in.Channels = append(in.Channels, formats.Channel{Label: string(rune('A' + c)), Type: formats.EEG, Unit: "V"})
	}
	in.Channels[channels-1].Type = formats.ECG
	return in
}

// run feeds x through a fresh session of each step in chunks of the given
// lengths and returns the concatenated output and its first index.
func run(t *testing.T, steps []pipeline.Preprocessor, x [][]float64, first int64, lens []int) ([][]float64, int64) {
	t.Helper()
	in := info(len(x))
	var sess []pipeline.Preprocess
	for _, s := range steps {
		p, next, err := s.NewSession(in)
		if err != nil {
			t.Fatal(err)
		}
		sess, in = append(sess, p), next
	}
	out := make([][]float64, len(x))
	outFirst := int64(-1)
	pos := 0
	for _, n := range lens {
		chunk := make([][]float64, len(x))
		for c := range x {
			chunk[c] = append([]float64(nil), x[c][pos:pos+n]...)
		}
		y, f := chunk, first+int64(pos)
		for _, p := range sess {
			var err error
			if y, f, err = p.Process(y, f); err != nil {
				t.Fatal(err)
			}
		}
		if outFirst < 0 && len(y[0]) > 0 {
			outFirst = f
		}
		for c := range y {
			out[c] = append(out[c], y[c]...)
		}
		pos += n
	}
	return out, outFirst
}

func chunking(r *rand.Rand, n int) []int {
	var lens []int
	for n > 0 {
		k := min(n, 1+r.IntN(300))
		lens = append(lens, k)
		n -= k
	}
	return lens
}

// TestPreprocessChain: filter → notch → reference → resample gives the
// same output for any chunking, equal to the dsp functions run one-shot.
func TestPreprocessChain(t *testing.T) {
	const tol = 1e-12 // relative to the signal's peak
	var steps []pipeline.Preprocessor
	for _, s := range []struct {
		typ  string
		opts map[string]any
	}{
		{"filter", map[string]any{"kind": "bandpass", "edges": []any{1.0, 40.0}, "order": 4}},
		{"notch", map[string]any{"freq": 50, "harmonics": 2}},
		{"reference", map[string]any{}},
		{"resample", map[string]any{"up": 1, "down": 2}},
	} {
		p, errs := BuildPreprocess(s.typ, "", s.opts)
		if errs != nil {
			t.Fatal(errs)
		}
		steps = append(steps, p)
	}
	x := signal(4, 5000)
	// One-shot reference with the dsp functions.
	bp, _ := dsp.Butter(4, []float64{1, 40}, dsp.Bandpass, 256)
	n1, _ := dsp.Notch(50, 30, 256)
	n2, _ := dsp.Notch(100, 30, 256)
	want := make([][]float64, 4)
	for c := range x {
		f, _ := dsp.NewSOSFilter(append(append(append(dsp.SOS{}, bp...), n1...), n2...), 1, dsp.InitZero)
		want[c] = f.Filter(nil, x[c], 0)
	}
	// Average of the three EEG channels; the ECG channel untouched.
	for i := range want[0] {
		m := (want[0][i] + want[1][i] + want[2][i]) / 3
		for c := range 3 {
			want[c][i] -= m
		}
	}
	for c := range want {
		want[c], _ = dsp.ResamplePoly(nil, want[c], 1, 2)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 5 {
		lens := []int{5000}
		if trial > 0 {
			lens = chunking(r, 5000)
		}
		got, first := run(t, steps, x, 0, lens)
		if first != 0 {
			t.Errorf("first output index %d", first)
		}
		for c := range want {
			// The streaming resampler holds back its last outputs until
			// more input (or a flush) comes; compare what it gave.
			if len(got[c]) > len(want[c]) || len(got[c]) < len(want[c])-20 {
				t.Fatalf("channel %d: %d outputs, one-shot %d", c, len(got[c]), len(want[c]))
			}
			for i, v := range got[c] {
				if math.Abs(v-want[c][i]) > tol*2e-5 {
					t.Fatalf("trial %d channel %d sample %d: %g, one-shot %g", trial, c, i, v, want[c][i])
				}
			}
		}
	}
}

// TestResampleAlignment: a session joining mid-stream at an input sample
// that is not a multiple of Down starts at the next one, so its output
// clock matches an uninterrupted run's.
func TestResampleAlignment(t *testing.T) {
	p, _ := BuildPreprocess("resample", "", map[string]any{"up": 2, "down": 3})
	x := signal(2, 3000)
	_, first := run(t, []pipeline.Preprocessor{p}, [][]float64{x[0][1001:], x[1][1001:]}, 1001, []int{1999})
	if first != 1002*2/3 {
		t.Errorf("first output at %d, want %d", first, 1002*2/3)
	}
}

func TestPreprocessConfigErrors(t *testing.T) {
	for typ, opts := range map[string]map[string]any{
		"filter":    {"kind": "bandpass", "edges": []any{1.0}},
		"notch":     {"q": -1},
		"reference": {"types": []any{"brain"}},
		"resample":  {"up": 0, "down": 2},
		"wavelet":   {},
	} {
		if _, errs := BuildPreprocess(typ, "", opts); errs == nil {
			t.Errorf("%s %v accepted", typ, opts)
		}
	}
}

// memRecording is a recording held in memory (V, EEG channels).
type memRecording struct {
	info formats.Info
	x    [][]float64
}

func newMemRecording(rate float64, x [][]float64) *memRecording {
	r := &memRecording{x: x, info: formats.Info{SampleRate: rate, NSamples: int64(len(x[0]))}}
	for c := range x {
		r.info.Channels = append(r.info.Channels, formats.Channel{Label: fmt.Sprintf("E%d", c), Type: formats.EEG, Unit: "V", SampleRate: rate})
	}
	return r
}

func (r *memRecording) Info() *formats.Info { return &r.info }
func (r *memRecording) Close() error        { return nil }
func (r *memRecording) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&r.info, dst, start, stop); err != nil {
		return err
	}
	for c := range dst {
		copy(dst[c], r.x[c][start:stop])
	}
	return nil
}

// windowLog is a stage that keeps every window's start and samples and
// the end key the runtime finishes the session with.
type windowLog struct {
	mu     sync.Mutex
	starts []int64
	data   [][][]float64
	end    int64
}

func (l *windowLog) Name() string { return "log" }
func (l *windowLog) NewSession(pipeline.SessionInfo) (pipeline.Stage, error) {
	return l, nil
}
func (l *windowLog) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := make([][]float64, len(w.Data))
	for c := range d {
		d[c] = slices.Clone(w.Data[c])
	}
	l.starts, l.data = append(l.starts, w.StartSample), append(l.data, d)
	return nil, nil
}
func (l *windowLog) Finish(end arrowout.WindowKey) ([]arrowout.Result, error) {
	l.end = end.StartSample
	return nil, nil
}

type nopSink struct{}

func (nopSink) Write(context.Context, []arrowout.Result) error { return nil }
func (nopSink) Close() error                                   { return nil }

// TestResampleFlushedAtEnd: a 500 s recording at 100 Hz resampled to
// 256 Hz through the runtime lasts 500 s (128000 samples), not 499.90 s:
// at the end of the input the resample step flushes what its filter delay
// held back, the last window ends at the last sample, and its samples
// equal one resample_poly of the whole recording (as the wire carries it,
// float32) bit for bit.
func TestResampleFlushedAtEnd(t *testing.T) {
	defer goleak.VerifyNone(t)
	const rate, seconds, up, down = 100, 500, 64, 25
	x := signal(2, rate*seconds)
	rs, errs := BuildPreprocess("resample", "", map[string]any{"up": up, "down": down})
	if errs != nil {
		t.Fatal(errs)
	}
	log := &windowLog{}
	run, err := pipeline.New(pipeline.Options{
		Source: pipeline.NewRecordingSource([]pipeline.RecordingSpec{{Session: "s", Name: "memory",
			Open: func() (formats.Recording, error) { return newMemRecording(rate, x), nil }}}, pipeline.RecordingSourceConfig{}),
		Preprocess: []pipeline.Preprocessor{rs}, Stages: []pipeline.StageBuilder{log}, Sinks: []pipeline.Sink{nopSink{}},
		Window: pipeline.WindowSpec{LengthSeconds: 4, HopSeconds: 1}, Logger: quietLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := int64(dsp.ResampledLen(rate*seconds, up, down))
	if log.end != n {
		t.Fatalf("session ends at sample %d (%.2f s), want %d (%d s)", log.end, float64(log.end)/256, n, seconds)
	}
	last := len(log.starts) - 1
	if end := log.starts[last] + 1024; end != n {
		t.Fatalf("last window ends at %d, want %d", end, n)
	}
	for c := range x {
		x32 := make([]float64, len(x[c]))
		for i, v := range x[c] {
			x32[i] = float64(float32(v))
		}
		want, err := dsp.ResamplePoly(nil, x32, up, down)
		if err != nil {
			t.Fatal(err)
		}
		if got := log.data[last][c]; !slices.Equal(got, want[n-1024:]) {
			t.Errorf("channel %d: last window differs from resample_poly of the recording", c)
		}
	}
}
