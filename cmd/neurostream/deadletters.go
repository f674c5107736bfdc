package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/neurostream/neurostream/pipeline"
)

// The run summary's dead-letter counts (pipeline.DeadLetterTally) and the
// filter of the runtime's warning per dead letter (pipeline.DropRecords),
// under the names and fields run uses.
const deadLetterMsg = pipeline.DeadLetterLogMessage

type deadLetterTally struct{ *pipeline.DeadLetterTally }

func newDeadLetterTally(next pipeline.DeadLetterSink, log *slog.Logger, logFirst bool) *deadLetterTally {
	if !logFirst {
		log = nil
	}
	return &deadLetterTally{pipeline.NewDeadLetterTally(next, log)}
}

func (t *deadLetterTally) chunks() (setAside, lostWindows int64) { return t.Chunks() }
func (t *deadLetterTally) chunkReasons() string                  { return t.ChunkReasons() }
func (t *deadLetterTally) print(w io.Writer)                     { t.Print(w) }

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
