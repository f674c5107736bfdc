package pipeline_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
)

// warned is a recording whose reader reported damage.
type warned struct{ formats.Recording }

func (w warned) Info() *formats.Info {
	in := *w.Recording.Info()
	in.Warnings = []string{"s.edf: header: 10 records announced, 5 complete records present"}
	return &in
}

// TestRecordingWarnings: a reader's warnings are logged once per
// recording and kept for the run summary, naming the session.
func TestRecordingWarnings(t *testing.T) {
	var log bytes.Buffer
	specs := sims(t, 2, 3)
	open := specs[1].Open
	specs[1].Open = func() (formats.Recording, error) {
		rec, err := open()
		return warned{rec}, err
	}
	src := pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	run(t, src, 1, newMemSink(), nil)
	got := src.Warnings()
	if len(got) != 1 || !strings.HasPrefix(got[0], "session s1: s.edf: header:") {
		t.Errorf("warnings %q", got)
	}
	if n := strings.Count(log.String(), "5 complete records"); n != 1 {
		t.Errorf("warning logged %d times:\n%s", n, log.String())
	}
}

// TestRecordingProgress: the share read grows with every chunk, a
// recording that fails to open counts as finished, and the end of input
// is exactly the whole.
func TestRecordingProgress(t *testing.T) {
	specs := sims(t, 3, 3)
	specs[2].Open = func() (formats.Recording, error) { return nil, errors.New("gone") }
	src := pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: 0.5, Logger: slog.New(slog.DiscardHandler)})
	if err := src.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	var last int64
	for {
		_, _, err := src.Read(t.Context())
		done, total, finished, n := src.Progress()
		if err != nil {
			if !errors.Is(err, pipeline.ErrEndOfInput) || done != total || finished != 3 || n != 3 {
				t.Fatalf("end: err %v, done %d of %d, %d of %d finished", err, done, total, finished, n)
			}
			return
		}
		if done <= last || done > total {
			t.Fatalf("done %d after %d, of %d", done, last, total)
		}
		last = done
	}
}
