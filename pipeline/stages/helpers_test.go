package stages

import (
	"strings"
	"testing"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// newStage builds a stage of type typ from opts and its instance for the
// session w belongs to (w's rate, channels and length).
func newStage(t *testing.T, typ string, opts map[string]any, w *pipeline.Window) pipeline.Stage {
	t.Helper()
	b, errs := Build(typ, "", opts)
	if errs != nil {
		t.Fatal(errs)
	}
	st, err := b.NewSession(session(w))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// processOnce builds a stage of type typ from opts for w's session and
// returns its results for w.
func processOnce(t *testing.T, typ string, opts map[string]any, w *pipeline.Window) []arrowout.Result {
	t.Helper()
	res, err := newStage(t, typ, opts, w).Process(w)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// processFunc returns a function that runs st on w and releases the
// records, for allocation counts.
func processFunc(t *testing.T, st pipeline.Stage, w *pipeline.Window) func() {
	return func() {
		res, err := st.Process(w)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			r.Record.Release()
		}
	}
}

// wantBuildError checks that building a stage of type typ from opts fails
// with an error containing want.
func wantBuildError(t *testing.T, typ string, opts map[string]any, want string) {
	t.Helper()
	_, errs := Build(typ, "", opts)
	if errs == nil {
		t.Errorf("%v accepted", opts)
		return
	}
	for _, e := range errs {
		if strings.Contains(e.Error(), want) {
			return
		}
	}
	t.Errorf("%v: errors %v lack %q", opts, errs, want)
}
