package arrowout

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// KindSessionEnd is the row the runtime writes when a session ends.
const KindSessionEnd Kind = "session_end"

// Session end reasons (the reason column).
const (
	// EndFinal: the session's last chunk carried neurostream.final=true.
	EndFinal = "final"
	// EndIdle: no chunk arrived for the idle timeout.
	EndIdle = "idle"
	// EndOfInput: a finite input (files, simulation) ended.
	EndOfInput = "end_of_input"
)

// SessionEndSchema is the session_end result: one row per ended session.
// Its window is the index the next window would have had and start_sample
// one past the session's last sample, so (session, window) stays unique and
// the idempotency key of a re-ended session after a restart is the same.
var SessionEndSchema = schema(KindSessionEnd, nil,
	arrow.Field{Name: "reason", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "sample_rate", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "chunks", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "samples", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "windows", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "unfinished_samples", Type: arrow.PrimitiveTypes.Int64},
)

// SessionEnd is what one session_end row reports. Every count is taken on
// the session's own clocks, not from what this process happened to see, so
// a session re-read after a restart ends with the same row.
type SessionEnd struct {
	Reason     string
	SampleRate float64
	// Chunks is the last chunk's seq + 1; Samples one past the session's
	// last sample (after resampling: on the output clock); Windows the
	// number of sliding windows the session's clock completed (the next
	// window's index), or with event windows the windows emitted.
	Chunks, Samples, Windows int64
	// Unfinished is the number of samples at the end of the session that
	// no window covered wholly: the start of the window that could not
	// complete up to the last sample. 0 when the last window ended at the
	// last sample (or with event windows and no pending event).
	Unfinished int64
}

// SessionEndRecord returns the one-row session_end record for key k.
func SessionEndRecord(mem memory.Allocator, k WindowKey, e SessionEnd) arrow.Record {
	r := newRows(mem, SessionEndSchema, 0)
	defer r.Release()
	r.windowKey(k)
	r.field(0).(*array.StringBuilder).Append(e.Reason)
	r.field(1).(*array.Float64Builder).Append(e.SampleRate)
	for i, v := range [...]int64{e.Chunks, e.Samples, e.Windows, e.Unfinished} {
		r.field(2 + i).(*array.Int64Builder).Append(v)
	}
	return r.Flush()
}
