package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/pipeline"
)

// logRecords is a slog.Handler keeping "level message" of every record.
type logRecords struct{ lines *[]string }

func (h logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h logRecords) Handle(_ context.Context, r slog.Record) error {
	*h.lines = append(*h.lines, r.Level.String()+" "+r.Message)
	return nil
}
func (h logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logRecords) WithGroup(string) slog.Handler      { return h }

func letter(session, reason string, i int) pipeline.DeadLetter {
	return pipeline.DeadLetter{Message: pipeline.Message{Key: session}, Reason: reason, Err: fmt.Errorf("%s %s #%d", session, reason, i)}
}

// TestDeadLetterTally: dead letters are passed on and counted per session
// and reason; chunks set aside exclude gaps and stage errors, which lose
// windows; reasons come most frequent first; the first of each session
// and reason is logged, up to MaxLoggedDeadLetters; the table lists them
// in order of appearance with the first error, up to MaxTallyRows; Close
// closes the sink it passes on to.
func TestDeadLetterTally(t *testing.T) {
	next := &closeErrDead{}
	var logged []string
	tally := pipeline.NewDeadLetterTally(next, slog.New(logRecords{&logged}))
	ctx := context.Background()
	for i, d := range []pipeline.DeadLetter{
		letter("a", "decode", 1), letter("a", "decode", 2), letter("a", "gap", 1),
		letter("b", "session_start", 1), letter("b", "session_start", 2), letter("b", "session_start", 3),
		letter("b", pipeline.ReasonStageError, 1), letter("", "limit", 1),
	} {
		if err := tally.DeadLetter(ctx, d); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if len(next.letters) != 8 {
		t.Errorf("passed on %d dead letters, want 8", len(next.letters))
	}
	if set, lost := tally.Chunks(); set != 6 || lost != 1 {
		t.Errorf("Chunks() = %d, %d; want 6 set aside, 1 window lost", set, lost)
	}
	if got := tally.ChunkReasons(); got != "session_start 3, decode 2, limit 1" {
		t.Errorf("ChunkReasons() = %q", got)
	}
	if len(logged) != 5 || logged[0] != "WARN "+pipeline.DeadLetterLogMessage {
		t.Errorf("logged %q, want the first of each of 5 sessions and reasons", logged)
	}
	var b bytes.Buffer
	tally.Print(&b)
	want := "" +
		"  session  reason         count  first error\n" +
		"  a        decode         2      a decode #1\n" +
		"  a        gap            1      a gap #1\n" +
		"  b        session_start  3      b session_start #1\n" +
		"  b        stage_error    1      b stage_error #1\n" +
		"  -        limit          1       limit #1\n"
	if b.String() != want {
		t.Errorf("Print:\n%s\nwant\n%s", b.String(), want)
	}

	// Past the bounds: one log line for the rest, one table line for them.
	many := pipeline.NewDeadLetterTally(nil, slog.New(logRecords{&logged}))
	logged = nil
	for i := range pipeline.MaxTallyRows + 5 {
		many.DeadLetter(ctx, letter(fmt.Sprintf("s%02d", i), "decode", i))
	}
	many.DeadLetter(ctx, letter("s00", "decode", 99))
	if len(logged) != pipeline.MaxLoggedDeadLetters+1 || !strings.HasPrefix(logged[len(logged)-1], "WARN more sessions") {
		t.Errorf("logged %d lines: %q", len(logged), logged)
	}
	b.Reset()
	many.Print(&b)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != pipeline.MaxTallyRows+2 || lines[len(lines)-1] != "  … and 5 more sessions and reasons (5 dead letters)" {
		t.Errorf("Print of %d rows:\n%s", pipeline.MaxTallyRows+5, b.String())
	}
	if !strings.Contains(lines[1], "s00") || !strings.HasSuffix(lines[1], " 2      s00 decode #0") {
		t.Errorf("first row %q: want s00's count 2 and first error", lines[1])
	}
	if err := many.Close(); err != nil {
		t.Error(err)
	}
	if err := tally.Close(); err == nil || err.Error() != "closed twice" {
		t.Errorf("Close: %v, want the next sink's error", err)
	}
}

// closeErrDead is a dead-letter sink whose Close fails.
type closeErrDead struct{ memDead }

func (*closeErrDead) Close() error { return errors.New("closed twice") }

// TestDeadLetterTallyRuntime: the runtime's warning for each dead letter
// is DeadLetterLogMessage, so DropRecords drops exactly those beside a
// tally.
func TestDeadLetterTallyRuntime(t *testing.T) {
	var logged []string
	logger := slog.New(pipeline.DropRecords{Handler: logRecords{&logged}, Level: slog.LevelWarn, Msg: pipeline.DeadLetterLogMessage})
	next := &memDead{}
	tally := pipeline.NewDeadLetterTally(next, nil)
	msgs := chunks(t, "s", 4, 50, nil)
	msgs[1].Value = []byte("not an arrow stream")
	src := &chunkSource{msgs: msgs}
	r, err := pipeline.New(pipeline.Options{
		Source: src, Stages: []pipeline.StageBuilder{psdStage(t)}, Sinks: []pipeline.Sink{newMemSink()},
		DeadLetters: tally, Window: pipeline.WindowSpec{Length: 200, Hop: 100}, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if set, _ := tally.Chunks(); set != 1 || len(next.letters) < 1 {
		t.Errorf("%d chunks set aside, %d passed on; want the corrupt one", set, len(next.letters))
	}
	for _, l := range logged {
		if l == "WARN "+pipeline.DeadLetterLogMessage {
			t.Errorf("the runtime's dead-letter warning was not dropped: %q", logged)
		}
	}
	// Without the filter, the runtime logs it under that message.
	logged = nil
	src = &chunkSource{msgs: msgs}
	r, _ = pipeline.New(pipeline.Options{
		Source: src, Stages: []pipeline.StageBuilder{psdStage(t)}, Sinks: []pipeline.Sink{newMemSink()},
		DeadLetters: pipeline.NewDeadLetterTally(nil, nil), Window: pipeline.WindowSpec{Length: 200, Hop: 100},
		Logger: slog.New(logRecords{&logged}),
	})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "WARN "+pipeline.DeadLetterLogMessage) {
		t.Errorf("the runtime logged %q, without %q", logged, pipeline.DeadLetterLogMessage)
	}
}
