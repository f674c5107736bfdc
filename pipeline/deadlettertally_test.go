package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// countSink counts the dead letters passed on to it.
type countSink struct{ n int }

func (c *countSink) DeadLetter(context.Context, pipeline.DeadLetter) error { c.n++; return nil }
func (c *countSink) Close() error                                          { return nil }

// TestDeadLetterTally: every dead letter goes on to the next sink and is
// counted per session and reason; gaps and stage errors set no chunk
// aside; the first of each session and reason is logged, and the runtime's
// per-dead-letter warning is dropped from the handler it wraps.
func TestDeadLetterTally(t *testing.T) {
	var logs bytes.Buffer
	next := &countSink{}
	tally := pipeline.NewDeadLetterTally(next, slog.New(slog.NewTextHandler(&logs, nil)))
	add := func(session, reason string, n int) {
		for i := range n {
			d := pipeline.DeadLetter{Message: pipeline.Message{Key: session}, Reason: reason, Err: fmt.Errorf("%s chunk %d: %s", session, i, reason)}
			if err := tally.DeadLetter(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("s1", pipeline.ReasonSessionStart, 5)
	add("s2", "decode", 7)
	add("s1", string(wire.ReasonGap), 2)
	add("s2", pipeline.ReasonStageError, 3)
	if next.n != 17 {
		t.Errorf("%d dead letters passed on, want 17", next.n)
	}
	if setAside, lost := tally.Chunks(); setAside != 12 || lost != 3 {
		t.Errorf("Chunks() = %d set aside, %d windows lost; want 12, 3", setAside, lost)
	}
	if got := tally.ChunkReasons(); got != "decode 7, session_start 5" {
		t.Errorf("ChunkReasons() = %q", got)
	}
	var out bytes.Buffer
	tally.Print(&out)
	want := `  session  reason         count  first error
  s1       session_start  5      s1 chunk 0: session_start
  s2       decode         7      s2 chunk 0: decode
  s1       gap            2      s1 chunk 0: gap
  s2       stage_error    3      s2 chunk 0: stage_error
`
	if out.String() != want {
		t.Errorf("Print:\n%s\nwant\n%s", out.String(), want)
	}
	if n := strings.Count(logs.String(), `msg="dead letter"`); n != 4 {
		t.Errorf("%d dead letters logged, want 4 (the first of each session and reason):\n%s", n, logs.String())
	}

	logs.Reset()
	log := slog.New(pipeline.WithoutDeadLetterWarnings(slog.NewTextHandler(&logs, nil))).With("run", 1)
	log.Warn(pipeline.DeadLetterWarning, "reason", "decode")
	log.Info(pipeline.DeadLetterWarning)
	log.Warn("other")
	if got := logs.String(); strings.Contains(got, "level=WARN msg=\"dead letter\"") || !strings.Contains(got, "level=INFO msg=\"dead letter\" run=1") || !strings.Contains(got, "msg=other run=1") {
		t.Errorf("filtered log:\n%s", got)
	}
	if err := tally.Close(); err != nil {
		t.Error(err)
	}
}
