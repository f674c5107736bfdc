package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/neurostream/neurostream/pipeline/wire"
)

// DeadLetterLogMessage is the message of the Runner's warning for each
// dead letter, which a DeadLetterTally makes redundant: DropRecords drops
// it.
const DeadLetterLogMessage = "dead letter"

// DeadLetterTally is a DeadLetterSink that passes every dead letter on to
// another (the configured file or topic) and counts them per session and
// reason, so that a run's summary has one line per session and reason,
// with the first error in full, instead of one warning per chunk. The
// first dead letter of each session and reason is logged, up to
// MaxLoggedDeadLetters of them. It is safe for concurrent use.
type DeadLetterTally struct {
	next DeadLetterSink // nil: counted only
	log  *slog.Logger   // nil: nothing logged

	mu     sync.Mutex
	rows   map[tallyKey]*tallyRow
	order  []tallyKey // first-seen order
	logged int
}

type tallyKey struct{ session, reason string }

type tallyRow struct {
	n     int64
	first string // the first error, in full
}

// MaxLoggedDeadLetters bounds the dead letters a DeadLetterTally logs as
// they come; the summary counts the rest.
const MaxLoggedDeadLetters = 10

// NewDeadLetterTally returns a tally passing dead letters on to next
// (nil: none) and logging the first of each session and reason to log
// (nil: none).
func NewDeadLetterTally(next DeadLetterSink, log *slog.Logger) *DeadLetterTally {
	return &DeadLetterTally{next: next, log: log, rows: map[tallyKey]*tallyRow{}}
}

// DeadLetter implements DeadLetterSink.
func (t *DeadLetterTally) DeadLetter(ctx context.Context, d DeadLetter) error {
	k := tallyKey{d.Message.Key, d.Reason}
	t.mu.Lock()
	row := t.rows[k]
	if row == nil {
		row = &tallyRow{}
		if d.Err != nil {
			row.first = d.Err.Error()
		}
		t.rows[k] = row
		t.order = append(t.order, k)
		if t.log != nil {
			switch t.logged++; {
			case t.logged <= MaxLoggedDeadLetters:
				t.log.Warn(DeadLetterLogMessage, "session", k.session, "reason", k.reason, "err", d.Err,
					"note", "the first of this session and reason; the run summary counts them all")
			case t.logged == MaxLoggedDeadLetters+1:
				t.log.Warn("more sessions and reasons with dead letters: the run summary counts them")
			}
		}
	}
	row.n++
	t.mu.Unlock()
	if t.next == nil {
		return nil
	}
	return t.next.DeadLetter(ctx, d)
}

// Close implements DeadLetterSink: it closes the sink it passes on to.
func (t *DeadLetterTally) Close() error {
	if t.next == nil {
		return nil
	}
	return t.next.Close()
}

// chunkReason reports whether dead letters of reason set a chunk aside:
// all but gap, whose chunk is processed, and stage_error, which loses a
// window, not a chunk.
func chunkReason(reason string) bool {
	return reason != string(wire.ReasonGap) && reason != ReasonStageError
}

// Chunks returns how many chunks were set aside (chunkReason) and how
// many windows stage errors lost.
func (t *DeadLetterTally) Chunks() (setAside, lostWindows int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, row := range t.rows {
		switch {
		case k.reason == ReasonStageError:
			lostWindows += row.n
		case chunkReason(k.reason):
			setAside += row.n
		}
	}
	return setAside, lostWindows
}

// ChunkReasons lists the reasons chunks were set aside for and their
// counts, most frequent first (then by name), as "session_start 250,
// decode 3".
func (t *DeadLetterTally) ChunkReasons() string {
	t.mu.Lock()
	n := map[string]int64{}
	for k, row := range t.rows {
		if chunkReason(k.reason) {
			n[k.reason] += row.n
		}
	}
	t.mu.Unlock()
	rs := slices.SortedFunc(maps.Keys(n), func(a, b string) int {
		return cmp.Or(cmp.Compare(n[b], n[a]), strings.Compare(a, b))
	})
	for i, r := range rs {
		rs[i] = fmt.Sprintf("%s %d", r, n[r])
	}
	return strings.Join(rs, ", ")
}

// MaxTallyRows bounds the table Print writes; the dead-letter file or
// topic holds every dead letter.
const MaxTallyRows = 20

// Print writes a table of one line per session and reason, in the order
// of their first dead letter: the count and the first error in full.
func (t *DeadLetterTally) Print(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  session\treason\tcount\tfirst error")
	for i, k := range t.order {
		if i == MaxTallyRows {
			var more int64
			for _, k := range t.order[i:] {
				more += t.rows[k].n
			}
			tw.Flush()
			fmt.Fprintf(w, "  … and %d more sessions and reasons (%d dead letters)\n", len(t.order)-i, more)
			return
		}
		session := k.session
		if session == "" {
			session = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", session, k.reason, t.rows[k].n, t.rows[k].first)
	}
	tw.Flush()
}

// DropRecords is a slog.Handler that drops the records of one level and
// message (DeadLetterLogMessage at warning level, beside a
// DeadLetterTally) and passes the rest to the handler it wraps.
type DropRecords struct {
	slog.Handler
	Level slog.Level
	Msg   string
}

// Handle implements slog.Handler.
func (h DropRecords) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == h.Level && r.Message == h.Msg {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h DropRecords) WithAttrs(as []slog.Attr) slog.Handler {
	return DropRecords{h.Handler.WithAttrs(as), h.Level, h.Msg}
}

// WithGroup implements slog.Handler.
func (h DropRecords) WithGroup(name string) slog.Handler {
	return DropRecords{h.Handler.WithGroup(name), h.Level, h.Msg}
}
