package pipeline_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// runStartStage records each window's start and RunStart.
type runStartStage struct {
	mu   *sync.Mutex
	seen *[][2]int64
}

func (s runStartStage) Name() string { return "runstart" }
func (s runStartStage) NewSession(pipeline.SessionInfo) (pipeline.Stage, error) {
	return s, nil
}
func (s runStartStage) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.seen = append(*s.seen, [2]int64{w.StartSample, w.RunStart})
	return nil, nil
}

// gapChunks is a session of 30 chunks of 40 samples with a gap of 37
// samples before chunk 12 and one of 3 samples before chunk 20.
func gapChunks(t *testing.T) []pipeline.Message {
	return chunks(t, "s", 30, 40, func(i int, c *wire.Chunk) {
		shift := 0
		if i >= 12 {
			shift += 37
		}
		if i >= 20 {
			shift += 3
		}
		c.FirstSample += int64(shift)
		for j := range c.Data[0] {
			x := float64(c.FirstSample + int64(j))
			c.Data[0][j] = float32(1e-5*math.Sin(2*math.Pi*10*x/100) + 1e-6*math.Sin(x*x))
		}
	})
}

// TestWindowRunStart: a window's RunStart is the session's first sample
// until a gap, then the first sample after the gap.
func TestWindowRunStart(t *testing.T) {
	var mu sync.Mutex
	var seen [][2]int64
	r, err := pipeline.New(pipeline.Options{
		Source:      &chunkSource{msgs: gapChunks(t)},
		Stages:      []pipeline.StageBuilder{runStartStage{&mu, &seen}},
		Sinks:       []pipeline.Sink{newMemSink()},
		DeadLetters: &memDead{},
		Window:      pipeline.WindowSpec{Length: 100, Hop: 20},
		Logger:      quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Runs: [0, 480), [517, 837), [840, 1240).
	runs := [][2]int64{{0, 480}, {517, 837}, {840, 1240}}
	var n [3]int
	for _, w := range seen {
		i := 0
		for i < 2 && w[0] >= runs[i+1][0] {
			i++
		}
		if w[1] != runs[i][0] || w[0]+100 > runs[i][1] {
			t.Errorf("window at %d: RunStart %d, want %d (run [%d, %d))", w[0], w[1], runs[i][0], runs[i][0], runs[i][1])
		}
		n[i]++
	}
	if n[0] == 0 || n[1] == 0 || n[2] == 0 {
		t.Errorf("windows per run %v, want some in each", n)
	}
}

// textSink keeps every result record as text, by kind and window.
type textSink struct {
	mu   sync.Mutex
	rows map[string]string
}

func (s *textSink) Write(_ context.Context, rs []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		var txt string
		for i, col := range r.Record.Columns() {
			txt += r.Record.ColumnName(i) + ":"
			if f, ok := col.(*array.Float64); ok {
				for _, v := range f.Float64Values() {
					txt += fmt.Sprintf(" %x", math.Float64bits(v)) // bits: equal text is equal values
				}
				continue
			}
			txt += col.String() + "\n"
		}
		s.rows[fmt.Sprintf("%s/%s/%d", r.Key.Session, r.Kind, r.Key.Window)] = txt
	}
	return nil
}

func (s *textSink) Close() error { return nil }

// TestReuseSegmentsRuntime: through the runtime, with gaps, the psd and
// coherence stages write the same rows with their segments reused across
// windows as without.
func TestReuseSegmentsRuntime(t *testing.T) {
	results := map[bool]map[string]string{}
	for _, reuse := range []bool{true, false} {
		var builders []pipeline.StageBuilder
		for _, st := range []struct {
			typ  string
			opts map[string]any
		}{
			{"psd", map[string]any{"nperseg": 32, "noverlap": 16, "fmin": 1, "bands": []any{map[string]any{"name": "a", "low": 5, "high": 20}}}},
			{"coherence", map[string]any{"nperseg": 32, "noverlap": 24, "methods": []any{"coh", "plv"}, "bands": []any{map[string]any{"name": "a", "low": 5, "high": 15}}}},
		} {
			st.opts["reuse_segments"] = reuse
			b, errs := stages.Build(st.typ, "", st.opts)
			if errs != nil {
				t.Fatal(errs)
			}
			builders = append(builders, b)
		}
		sink, dead := &textSink{rows: map[string]string{}}, &memDead{}
		r, err := pipeline.New(pipeline.Options{
			Source:      &chunkSource{msgs: gapChunks(t)},
			Stages:      builders,
			Sinks:       []pipeline.Sink{sink},
			DeadLetters: dead,
			Window:      pipeline.WindowSpec{Length: 100, Hop: 16},
			Logger:      quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, d := range dead.letters {
			if d.Reason != "gap" {
				t.Fatalf("dead letter: %s: %v", d.Reason, d.Err)
			}
		}
		results[reuse] = sink.rows
	}
	on, off := results[true], results[false]
	if len(on) != len(off) || len(on) < 60 {
		t.Fatalf("%d records with reuse, %d without", len(on), len(off))
	}
	for k, want := range off {
		if on[k] != want {
			t.Errorf("%s differs with segments reused:\n got %.400s\nwant %.400s", k, on[k], want)
		}
	}
}
