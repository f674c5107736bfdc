package train_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/models/modelfile"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/simulate"
	"github.com/neurostream/neurostream/simulate/simwrite"
)

// simSeizure is a simulated session (128 Hz, 240 s, the 19 channels of
// the 10-20 system) with the given seizures (onset, duration).
func simSeizure(t *testing.T, seed uint64, seizures ...[2]float64) *simulate.Session {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration, cfg.SampleRate = seed, 240, 128
	for _, s := range seizures {
		cfg.Seizures.Enabled = true
		cfg.Seizures.Events = append(cfg.Seizures.Events, simulate.SeizureEvent{Onset: s[0], Duration: s[1]})
	}
	return sim(t, cfg)
}

// simSSVEP is a simulated SSVEP session: 4 s trials at 8, 11, 13 and
// 15 Hz, 2 s apart, with background EEG, alpha, blinks and line noise.
func simSSVEP(t *testing.T, seed uint64, duration float64) *simulate.Session {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration = seed, duration
	cfg.SSVEP.Enabled = true
	return sim(t, cfg)
}

func sim(t *testing.T, cfg simulate.Config) *simulate.Session {
	t.Helper()
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writeEDF writes s as EDF+ at path, making its folder.
func writeEDF(t *testing.T, path string, s *simulate.Session) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := simwrite.WriteEDF(path, s, "sim", "sim"); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeModel writes a model file named name with save into a temporary
// folder and returns its path.
func writeModel(t *testing.T, name string, save func(io.Writer) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := modelfile.WriteFile(path, save); err != nil {
		t.Fatal(err)
	}
	return path
}

// rows keeps the rows of one column set of a run, by session and window
// start sample.
type rows struct {
	mu      sync.Mutex
	kind    arrowout.Kind
	keep    func(rec arrow.Record, i int) (any, bool)
	got     map[string]map[int64]any
	windows map[string][]int64 // start samples in order
}

func (r *rows) Write(_ context.Context, rs []arrowout.Result) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range rs {
		if res.Kind != r.kind {
			continue
		}
		rec := res.Record
		start := column[*array.Int64](rec, "start_sample")
		for i := range int(rec.NumRows()) {
			v, ok := r.keep(rec, i)
			if !ok {
				continue
			}
			s := res.Key.Session
			if r.got[s] == nil {
				r.got[s] = map[int64]any{}
			}
			r.got[s][start.Value(i)] = v
			r.windows[s] = append(r.windows[s], start.Value(i))
		}
	}
	return nil
}

func (r *rows) Close() error { return nil }

// column returns the column named name of rec.
func column[T arrow.Array](rec arrow.Record, name string) T {
	return rec.Column(rec.Schema().FieldIndices(name)[0]).(T)
}

// runConfig runs c as `neurostream run` would, its results going to
// sink instead of c's outputs.
func runConfig(t *testing.T, c *config.Config, sink pipeline.Sink) {
	t.Helper()
	c.Output.Dir = t.TempDir()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := c.Build(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	b.Options.Sinks = []pipeline.Sink{sink}
	r, err := pipeline.New(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := r.Stats().DeadLetters.Load(); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
	b.Files.Close()
}
