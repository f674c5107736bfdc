package stages

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// TestPreprocessState: every preprocessing step is a
// pipeline.Checkpointer, and a session stopped after any chunk and resumed
// in a new session from its state goes on bit for bit; a state taken
// under another configuration is refused.
func TestPreprocessState(t *testing.T) {
	build := func(typ string, opts map[string]any) pipeline.Preprocessor {
		p, errs := BuildPreprocess(typ, "", opts)
		if errs != nil {
			t.Fatal(errs)
		}
		return p
	}
	steps := map[string]pipeline.Preprocessor{
		"bandpass":  build("filter", map[string]any{"kind": "bandpass", "order": 4, "edges": []any{0.5, 45}}),
		"notch":     build("notch", map[string]any{"freq": 50, "harmonics": 2}),
		"reference": build("reference", nil),
		"resample":  build("resample", map[string]any{"up": 3, "down": 4}),
	}
	x := signal(3, 2000)
	const chunk = 64
	for name, step := range steps {
		in := info(len(x))
		whole, _, err := step.NewSession(in)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]float64
		for pos := 0; pos < len(x[0]); pos += chunk {
			y, _, err := whole.Process(cut(x, pos, chunk), int64(pos))
			if err != nil {
				t.Fatal(err)
			}
			want = appendRows(want, y)
		}
		for _, stop := range []int{0, 1, 7, 30} {
			a, _, _ := step.NewSession(in)
			var got [][]float64
			var pos int
			for ; pos < stop*chunk; pos += chunk {
				y, _, _ := a.Process(cut(x, pos, chunk), int64(pos))
				got = appendRows(got, y)
			}
			st := a.(pipeline.Checkpointer).AppendState(nil)
			b, _, _ := step.NewSession(in)
			if err := b.(pipeline.Checkpointer).RestoreState(st); err != nil {
				t.Fatalf("%s after %d chunks: %v", name, stop, err)
			}
			for ; pos < len(x[0]); pos += chunk {
				y, _, _ := b.Process(cut(x, pos, chunk), int64(pos))
				got = appendRows(got, y)
			}
			for c := range want {
				for i := range want[c] {
					if math.Float64bits(got[c][i]) != math.Float64bits(want[c][i]) {
						t.Fatalf("%s resumed after %d chunks: channel %d sample %d = %v, want %v", name, stop, c, i, got[c][i], want[c][i])
					}
				}
			}
		}
	}
	// Another filter, another rate or channel count: refused.
	a, _, _ := steps["bandpass"].NewSession(info(3))
	st := a.(pipeline.Checkpointer).AppendState(nil)
	other := build("filter", map[string]any{"kind": "bandpass", "order": 4, "edges": []any{1, 40}})
	for _, c := range []struct {
		p  pipeline.Preprocessor
		in pipeline.SessionInfo
	}{{other, info(3)}, {steps["bandpass"], info(4)}} {
		b, _, _ := c.p.NewSession(c.in)
		if err := b.(pipeline.Checkpointer).RestoreState(st); err == nil {
			t.Error("a bandpass state restored into another filter or channel count")
		}
	}
	r, _, _ := steps["resample"].NewSession(info(3))
	if err := r.(pipeline.Checkpointer).RestoreState(st); err == nil {
		t.Error("a filter state restored into a resampler")
	}
	if err := r.(pipeline.Checkpointer).RestoreState(nil); err == nil {
		t.Error("an empty resampler state restored")
	}
}

func cut(x [][]float64, pos, n int) [][]float64 {
	out := make([][]float64, len(x))
	for c := range x {
		out[c] = append([]float64(nil), x[c][pos:min(pos+n, len(x[c]))]...)
	}
	return out
}

func appendRows(dst, y [][]float64) [][]float64 {
	if dst == nil {
		dst = make([][]float64, len(y))
	}
	for c := range y {
		dst[c] = append(dst[c], y[c]...)
	}
	return dst
}

// TestSeizureState: the seizure stage resumed from its state after any
// window writes the rows an uninterrupted one writes, events included,
// and its end rows; for a model on absolute features and for one on
// pooled baseline-relative features, whose running baseline is part of
// the state.
func TestSeizureState(t *testing.T) {
	const n, channels, fs = 256, 2, 128.0
	for _, model := range []string{syntheticSeizureModel(t, n, channels, fs), baselineSeizureModel(t, n, channels, fs)} {
		testSeizureState(t, model)
	}
}

// baselineSeizureModel is syntheticSeizureModel on the windows' pooled
// features relative to a 5 s baseline.
func baselineSeizureModel(t *testing.T, n, channels int, fs float64) string {
	t.Helper()
	spec := seizure.FeatureConfig{SampleRate: fs, WindowLen: n, Channels: channels, BaselineSeconds: 5, PoolChannels: true}
	ex, err := seizure.NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	b := seizure.NewBaseline(ex.InputLen(), spec.BaselineSeconds)
	var X [][]float64
	var y []bool
	for k := range 60 {
		w := seizureWindow(n, channels, fs, (k/6)%2 == 1, uint64(100+k))
		in := ex.Input(make([]float64, ex.InputLen()), ex.Features(nil, w.Data[:channels]))
		b.Relative(in, float64(k))
		X, y = append(X, in), append(y, (k/6)%2 == 1)
	}
	m, err := seizure.Train(spec, X, y, seizure.TrainConfig{Lambda: 1})
	if err != nil {
		t.Fatal(err)
	}
	return saveSeizureModel(t, m)
}

func testSeizureState(t *testing.T, model string) {
	const n, channels, fs = 256, 2, 128.0
	opts := map[string]any{"model": model, "smoothing": 2, "min_duration_seconds": 3, "merge_gap_seconds": 4}
	var windows []*pipeline.Window
	for k := range 40 {
		w := seizureWindow(n, channels, fs, (k/6)%2 == 1, uint64(k))
		w.Window, w.StartSample = int64(k), int64(k)*n/2
		windows = append(windows, w)
	}
	rows := func(st pipeline.Stage, ws []*pipeline.Window) []string {
		var out []string
		for _, w := range ws {
			res, err := st.Process(w)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				out = append(out, fmt.Sprint(r.Record))
				r.Record.Release()
			}
		}
		return out
	}
	end := func(st pipeline.Stage) string {
		res, err := st.(pipeline.Finisher).Finish(arrowout.WindowKey{Session: "s", Window: 40, StartSample: 40 * n / 2})
		if err != nil {
			t.Fatal(err)
		}
		defer res[0].Record.Release()
		return fmt.Sprint(res[0].Record)
	}
	whole := newStage(t, "seizure", opts, windows[0])
	want := append(rows(whole, windows), end(whole))
	if !strings.Contains(strings.Join(want, ""), `"event"`) {
		t.Fatal("the uninterrupted run found no event: the test needs one")
	}
	for _, stop := range []int{0, 5, 11, 17, 39} {
		a := newStage(t, "seizure", opts, windows[0])
		got := rows(a, windows[:stop])
		st := a.(pipeline.Checkpointer).AppendState(nil)
		b := newStage(t, "seizure", opts, windows[0])
		if err := b.(pipeline.Checkpointer).RestoreState(st); err != nil {
			t.Fatal(err)
		}
		got = append(append(got, rows(b, windows[stop:])...), end(b))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: resumed after window %d: rows differ from the uninterrupted run's", model, stop)
		}
	}
	other := newStage(t, "seizure", map[string]any{"model": model, "smoothing": 3}, windows[0])
	a := newStage(t, "seizure", opts, windows[0])
	if err := other.(pipeline.Checkpointer).RestoreState(a.(pipeline.Checkpointer).AppendState(nil)); err == nil {
		t.Error("a state smoothing over 2 windows restored into a stage smoothing over 3")
	}
	if err := other.(pipeline.Checkpointer).RestoreState([]byte{1}); err == nil {
		t.Error("a truncated state restored")
	}
}
