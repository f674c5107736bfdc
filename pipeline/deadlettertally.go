package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/neurostream/neurostream/pipeline/wire"
)

// DeadLetterWarning is the message of the Runner's warning for each dead
// letter, which a DeadLetterTally replaces (WithoutDeadLetterWarnings).
const DeadLetterWarning = "dead letter"

// DeadLetterTally is a run's dead-letter sink seen from its report: it
// passes every dead letter on to the configured sink (file or topic) and
// counts them per session and reason, so that the report has one line per
// session and reason, with the first error in full, instead of one
// warning per chunk. The first dead letter of each session and reason is
// logged, up to maxLogged of them.
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

// maxLogged bounds the dead letters logged as they come; the summary
// counts the rest.
const maxLogged = 10

// NewDeadLetterTally returns a tally that passes dead letters on to next
// (nil: none) and logs the first of each session and reason to log (nil:
// none).
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
			case t.logged <= maxLogged:
				t.log.Warn(DeadLetterWarning, "session", k.session, "reason", k.reason, "err", d.Err,
					"note", "the first of this session and reason; the run summary counts them all")
			case t.logged == maxLogged+1:
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

// Close implements DeadLetterSink.
func (t *DeadLetterTally) Close() error {
	if t.next == nil {
		return nil
	}
	return t.next.Close()
}

// Chunks returns how many chunks were set aside (dead letters of every
// reason but gap, whose chunk is processed, and stage_error, which loses
// a window, not a chunk) and how many windows stage errors lost.
func (t *DeadLetterTally) Chunks() (setAside, lostWindows int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, row := range t.rows {
		switch k.reason {
		case string(wire.ReasonGap):
		case ReasonStageError:
			lostWindows += row.n
		default:
			setAside += row.n
		}
	}
	return setAside, lostWindows
}

// ChunkReasons lists the reasons chunks were set aside for (all but gap
// and stage_error) and their counts, most frequent first, as
// "session_start 250, decode 3".
func (t *DeadLetterTally) ChunkReasons() string {
	t.mu.Lock()
	n := map[string]int64{}
	for k, row := range t.rows {
		if k.reason == string(wire.ReasonGap) || k.reason == ReasonStageError {
			continue
		}
		n[k.reason] += row.n
	}
	t.mu.Unlock()
	var rs []string
	for r := range n {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b string) int {
		if n[a] != n[b] {
			return int(n[b] - n[a])
		}
		return strings.Compare(a, b)
	})
	for i, r := range rs {
		rs[i] = fmt.Sprintf("%s %d", r, n[r])
	}
	return strings.Join(rs, ", ")
}

// maxTallyRows bounds the summary's table; the dead-letter file or topic
// holds every one.
const maxTallyRows = 20

// Print writes one line per session and reason, in order of their first
// dead letter: the count and the first error in full.
func (t *DeadLetterTally) Print(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  session\treason\tcount\tfirst error")
	for i, k := range t.order {
		if i == maxTallyRows {
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

// WithoutDeadLetterWarnings returns h without the Runner's warning for
// each dead letter, which a DeadLetterTally replaces: a bad recording
// makes one per chunk.
func WithoutDeadLetterWarnings(h slog.Handler) slog.Handler {
	return dropRecords{h, slog.LevelWarn, DeadLetterWarning}
}

// dropRecords is a slog.Handler that drops the records of one level and
// message and passes the rest to the handler it wraps.
type dropRecords struct {
	slog.Handler
	level slog.Level
	msg   string
}

func (h dropRecords) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == h.level && r.Message == h.msg {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h dropRecords) WithAttrs(as []slog.Attr) slog.Handler {
	return dropRecords{h.Handler.WithAttrs(as), h.level, h.msg}
}

func (h dropRecords) WithGroup(name string) slog.Handler {
	return dropRecords{h.Handler.WithGroup(name), h.level, h.msg}
}
