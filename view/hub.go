package view

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// Config configures a Hub.
type Config struct {
	// Source describes where the results come from, for the page's
	// header ("run demo", "Kafka topics neurostream.* on 127.0.0.1:9092").
	// Default: "".
	Source string
	// Buffer is how many results may wait between the pipeline (or the
	// Kafka reader) and the view's state. Offer never waits: when the
	// buffer is full the oldest waiting result is dropped and counted,
	// and the page says so. Default: 8192.
	Buffer int
	// Interval is the time between two page updates; results arriving in
	// between are sent together. Default: 250ms.
	Interval time.Duration
	// History is how many windows of each session's trends (band power,
	// seizure probability, SSVEP decisions) are kept and drawn.
	// Default: 600.
	History int
	// SpectrogramHistory is how many windows the spectrogram shows.
	// Default: 120.
	SpectrogramHistory int
	// TokenHistory is how many 0.5 s token frames the token strip
	// shows. Default: 240 (two minutes).
	TokenHistory int
	// MaxSessions bounds the sessions kept; past it the one whose last
	// result is oldest (ended sessions first) is forgotten. Default: 1000.
	MaxSessions int
	// Logger default: slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Buffer <= 0 {
		c.Buffer = 8192
	}
	if c.Interval <= 0 {
		c.Interval = 250 * time.Millisecond
	}
	if c.History <= 0 {
		c.History = 600
	}
	if c.SpectrogramHistory <= 0 {
		c.SpectrogramHistory = 120
	}
	if c.TokenHistory <= 0 {
		c.TokenHistory = 240
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 1000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// item is one thing waiting in the hub's input buffer: a result record
// (retained) or a dead letter of a session.
type item struct {
	kind    arrowout.Kind
	rec     arrow.Record // nil for a dead letter
	session string       // the dead letter's session
	arrival time.Time
	behind  int64
}

// Hub holds the view's state of every session, fed by Offer from the
// pipeline (Sink) or a Kafka reader, and serves it to pages (Handler).
//
// Results reach the state through a bounded drop-oldest buffer, so a
// feeder never waits for the view; Run applies them and wakes the pages
// every Interval. Each page has its own goroutine that sends what changed
// since its last update, so a slow browser only gets fewer, larger
// updates and holds up nothing else.
type Hub struct {
	cfg Config

	inMu   sync.Mutex
	in     []item // ring of cap Buffer
	head   int
	queued int
	wake   chan struct{}

	received, dropped, applied, bad atomic.Int64

	mu       sync.RWMutex // guards what follows
	upd      int64        // bumped by every applied result
	sessions map[string]*session
	evicted  int64 // upd of the last forgotten session
	tick     chan struct{}
	ticks    int64
	closed   bool
}

// NewHub returns a hub; call Run to apply what is offered.
func NewHub(cfg Config) *Hub {
	cfg.setDefaults()
	return &Hub{
		cfg: cfg, in: make([]item, cfg.Buffer), wake: make(chan struct{}, 1),
		sessions: map[string]*session{}, tick: make(chan struct{}),
	}
}

// Stats counts what a hub received.
type Stats struct {
	// Received results (records) and dead letters offered.
	Received int64
	// Dropped from the full buffer, oldest first, before being applied.
	Dropped int64
	// Applied to the state.
	Applied int64
	// Bad records: not of a result schema (a message naming it is logged).
	Bad int64
	// Sessions in the state.
	Sessions int
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	n := len(h.sessions)
	h.mu.RUnlock()
	return Stats{Received: h.received.Load(), Dropped: h.dropped.Load(), Applied: h.applied.Load(), Bad: h.bad.Load(), Sessions: n}
}

func (h *Hub) push(it item) {
	h.received.Add(1)
	h.inMu.Lock()
	if h.queued == len(h.in) {
		old := &h.in[h.head]
		if old.rec != nil {
			old.rec.Release()
		}
		*old = item{}
		h.head = (h.head + 1) % len(h.in)
		h.queued--
		h.dropped.Add(1)
	}
	h.in[(h.head+h.queued)%len(h.in)] = it
	h.queued++
	h.inMu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Offer hands results to the view without waiting: each record is
// retained until applied (or dropped from the full buffer). behind is how
// many records the reader is behind the end of the results' Kafka
// partition, or −1.
func (h *Hub) Offer(results []arrowout.Result, behind int64) {
	now := time.Now()
	for _, r := range results {
		r.Record.Retain()
		h.push(item{kind: r.Kind, rec: r.Record, arrival: now, behind: behind})
	}
}

// OfferDeadLetter counts a dead letter of session.
func (h *Hub) OfferDeadLetter(session string) {
	h.push(item{session: session, arrival: time.Now()})
}

// take moves the waiting items to dst.
func (h *Hub) take(dst []item) []item {
	h.inMu.Lock()
	defer h.inMu.Unlock()
	for h.queued > 0 {
		dst = append(dst, h.in[h.head])
		h.in[h.head] = item{}
		h.head = (h.head + 1) % len(h.in)
		h.queued--
	}
	return dst
}

// session returns the state of id, creating it. The caller holds h.mu.
func (h *Hub) session(id string) *session {
	s := h.sessions[id]
	if s == nil {
		s = newSession(id, h.cfg.History, h.cfg.SpectrogramHistory, h.cfg.TokenHistory)
		h.sessions[id] = s
	}
	return s
}

// Run applies offered results and wakes the pages every Interval until
// ctx ends. The pages' streams end with it.
func (h *Hub) Run(ctx context.Context) error {
	t := time.NewTicker(h.cfg.Interval)
	defer t.Stop()
	var batch []item
	for {
		select {
		case <-ctx.Done():
			h.mu.Lock()
			h.closed = true
			close(h.tick)
			h.mu.Unlock()
			for _, it := range h.take(batch[:0]) {
				if it.rec != nil {
					it.rec.Release()
				}
			}
			return nil
		case <-h.wake:
			batch = h.applyAll(batch[:0])
		case <-t.C:
			batch = h.applyAll(batch[:0])
			h.mu.Lock()
			h.ticks++
			close(h.tick)
			h.tick = make(chan struct{})
			h.mu.Unlock()
		}
	}
}

func (h *Hub) applyAll(batch []item) []item {
	batch = h.take(batch)
	if len(batch) == 0 {
		return batch
	}
	h.mu.Lock()
	for i, it := range batch {
		if it.rec == nil {
			h.upd++
			s := h.session(it.session)
			s.deadLetters++
			s.upd = h.upd
		} else {
			if err := h.apply(it.kind, it.rec, it.arrival, it.behind); err != nil {
				if h.bad.Add(1) <= 10 {
					h.cfg.Logger.Warn("view: result not shown", "error", err)
				}
			}
			it.rec.Release()
		}
		h.applied.Add(1)
		batch[i] = item{}
	}
	h.evict()
	h.mu.Unlock()
	return batch
}

// evict forgets sessions past MaxSessions: ended ones first, then those
// whose last result is oldest.
func (h *Hub) evict() {
	over := len(h.sessions) - h.cfg.MaxSessions
	if over <= 0 {
		return
	}
	all := make([]*session, 0, len(h.sessions))
	for _, s := range h.sessions {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b *session) int {
		if (a.ended != "") != (b.ended != "") {
			if a.ended != "" {
				return -1
			}
			return 1
		}
		return a.arrival.Compare(b.arrival)
	})
	for _, s := range all[:over] {
		delete(h.sessions, s.id)
	}
	h.evicted = h.upd
}

// num is a float64 that marshals to JSON with 5 significant digits, and
// NaN or ±Inf as null: the page draws no more precision than that, and an
// update for 64 sessions stays small.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', 5, 64), nil
}

// num32 is num for float32 values.
type num32 float32

func (n num32) MarshalJSON() ([]byte, error) { return num(n).MarshalJSON() }

func (h *Hub) String() string { return fmt.Sprintf("view hub (%s)", h.cfg.Source) }
