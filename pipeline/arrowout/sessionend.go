package arrowout

import (
	"github.com/apache/arrow/go/v17/arrow"
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

var sessionEndTable = newTable(KindSessionEnd, nil,
	stringCol("reason", 0, func(r SessionEnd) string { return r.Reason }),
	float64Col("sample_rate", func(r SessionEnd) float64 { return r.SampleRate }),
	int64Col("chunks", func(r SessionEnd) int64 { return r.Chunks }),
	int64Col("samples", func(r SessionEnd) int64 { return r.Samples }),
	int64Col("windows", func(r SessionEnd) int64 { return r.Windows }),
	int64Col("unfinished_samples", func(r SessionEnd) int64 { return r.Unfinished }),
)

// SessionEndSchema is the session_end result: one row per ended session.
// Its window is the index the next window would have had and start_sample
// one past the session's last sample, so (session, window) stays unique and
// the idempotency key of a re-ended session after a restart is the same.
var SessionEndSchema = sessionEndTable.schema

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
	r := sessionEndTable.rows(mem)
	defer r.Release()
	r.add(k, e)
	return r.Flush()
}
