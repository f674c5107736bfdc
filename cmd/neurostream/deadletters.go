package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/neurostream/neurostream/pipeline"
)

// deadLetterMsg is the runtime's warning for each dead letter, which the
// tally replaces: run drops it with dropRecords unless -v asks for all.
const deadLetterMsg = pipeline.DeadLetterLogMessage

// dropRecords is pipeline.DropRecords under the name and fields run uses.
type dropRecords struct {
	slog.Handler
	level slog.Level
	msg   string
}

func (h dropRecords) drop() pipeline.DropRecords {
	return pipeline.DropRecords{Handler: h.Handler, Level: h.level, Msg: h.msg}
}
func (h dropRecords) Handle(ctx context.Context, r slog.Record) error { return h.drop().Handle(ctx, r) }
func (h dropRecords) WithAttrs(as []slog.Attr) slog.Handler           { return h.drop().WithAttrs(as) }
func (h dropRecords) WithGroup(name string) slog.Handler              { return h.drop().WithGroup(name) }

// deadLetterTally is the run's pipeline.DeadLetterTally, under the names
// run's summary uses.
type deadLetterTally struct{ *pipeline.DeadLetterTally }

// newDeadLetterTally passes dead letters on to next and logs the first of
// each session and reason when logFirst.
func newDeadLetterTally(next pipeline.DeadLetterSink, log *slog.Logger, logFirst bool) *deadLetterTally {
	if !logFirst {
		log = nil
	}
	return &deadLetterTally{pipeline.NewDeadLetterTally(next, log)}
}

func (t *deadLetterTally) chunks() (setAside, lostWindows int64) { return t.Chunks() }
func (t *deadLetterTally) chunkReasons() string                  { return t.ChunkReasons() }
func (t *deadLetterTally) print(w io.Writer)                     { t.Print(w) }
