package pipeline

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// session is one session's state, owned by one worker.
type session struct {
	r         *Runner
	info      SessionInfo
	validator *wire.Validator
	stages    []Stage
	stats     *SessionStats

	length, hop int64
	// warmup is how many samples a session joined mid-stream needs
	// before its first window (see Options.Warmup).
	warmup int64
	// epoch is the source epoch the state belongs to; topic and
	// partition locate its input (Kafka; "" otherwise).
	epoch     int64
	topic     string
	partition int
	// lastSeen is the wall time the session's last chunk was handled
	// (Options.SessionIdle).
	lastSeen time.Time
	// lastSeq is the seq of the last chunk added.
	lastSeq int64
	// pre is the preprocessing chain; in is its input scratch and inEnd
	// one past the last input sample seen (to detect gaps).
	pre   []Preprocess
	in    [][]float64
	inEnd int64
	// buf[c][i] is channel c's sample bufStart+i, in SI units; bufStart is
	// -1 before the first chunk.
	buf      [][]float64
	bufStart int64
	// runStart is the first sample of the run the buffer holds: bufStart
	// when the buffer last restarted (Window.RunStart).
	runStart int64
	// next is the index of the next window to emit; it starts at
	// next·hop.
	next int64
	// pending holds acknowledgements of chunks whose samples an
	// unfinished window may still need, oldest first.
	pending []pendingAck
	data    [][]float64
	win     Window
	// ev is the event-window state; nil with sliding windows.
	ev *eventState
	// acks releases acknowledgements once the results before them are
	// durable.
	acks *ackQueue
	// ck is the checkpoint bookkeeping of a session whose state is saved
	// (Options.State); nil otherwise.
	ck *sessionCkpt
	// resumed is set by restore until the first chunk is added: the
	// window position and event state are the checkpoint's, not to be
	// reset by the buffer's restart.
	resumed bool
}

// sessionCkpt is a checkpointed session's bookkeeping.
type sessionCkpt struct {
	// inRate is the input sample rate (the session's first chunk's).
	inRate float64
	// lastOffset is the source offset of the last chunk added.
	lastOffset int64
	// lastCapture is when the last checkpoint was taken.
	lastCapture time.Time
	// free holds mark buffers for reuse; scratch is AppendState's.
	free    [][]byte
	scratch []byte
}

// chunkMark is a checkpointed session's state just before one of its
// chunks: what a checkpoint needs when that chunk is the oldest one still
// pending (checkpoint's "before the chunk at From").
type chunkMark struct {
	offset                                    int64
	inEnd, outEnd, lastSeq, valSeq, valSample int64
	// pre is the preprocessing chain's state, appendPre's encoding.
	pre []byte
}

// eventState finds stimulus onsets in a session's stim channel and holds
// those whose window is not complete yet.
type eventState struct {
	stim  int   // the stim channel's index
	codes []int // codes that open a window; all when empty
	// offset is the window start relative to the onset, in samples.
	offset int64
	// scan is the next sample to look at; prev the stim value of the one
	// before it, NaN when unknown (first sample, after a gap).
	scan int64
	prev float64
	// minStart is the earliest window start allowed (warm-up, restart).
	minStart int64
	pending  []Event
}

type pendingAck struct {
	end int64 // one past the chunk's last sample
	ack AckFunc
	// mark is the state before the chunk, for checkpoints; zero when the
	// session is not checkpointed.
	mark chunkMark
}

func (s *session) bufEnd() int64 { return s.bufStart + int64(len(s.buf[0])) }

// add appends a validated chunk, run through the session's preprocessing.
// A chunk that does not continue the input (after a gap) resets the
// preprocessing and restarts the buffer at the chunk's first output sample:
// no window ever spans missing samples and no filter carries state across
// them.
//
// m is the session's state before c (mark), kept with c's acknowledgement
// for checkpoints. The first chunk after restore continues the restored
// window position and event state.
func (s *session) add(c *wire.Chunk, ack AckFunc, m chunkMark) error {
	first := s.bufStart < 0
	if !first && c.FirstSample != s.inEnd {
		for _, p := range s.pre {
			p.Reset()
		}
	}
	for i, col := range c.Data {
		in := s.in[i][:0]
		for _, v := range col {
			in = append(in, float64(v))
		}
		s.in[i] = in
	}
	out, outFirst, err := runSteps(s.pre, s.in, c.FirstSample)
	if err != nil {
		return err
	}
	s.inEnd = c.LastSample()
	s.lastSeq = c.Seq
	s.push(out, outFirst, first)
	// On the output clock: with resampling, Warmup must also cover the
	// resampler's delay (see Options.Warmup).
	s.pending = append(s.pending, pendingAck{end: s.bufEnd(), ack: ack, mark: m})
	if s.ck != nil {
		s.ck.lastOffset = m.offset
	}
	return nil
}

// runSteps runs x, whose first sample is first, through steps.
func runSteps(steps []Preprocess, x [][]float64, first int64) ([][]float64, int64, error) {
	for _, p := range steps {
		var err error
		if x, first, err = p.Process(x, first); err != nil {
			return nil, 0, err
		}
	}
	return x, first, nil
}

// flush ends the preprocessing at the end of the session: each Flusher's
// held-back samples go through the steps after it into the buffer.
func (s *session) flush() error {
	if s.bufStart < 0 {
		return nil
	}
	for i, p := range s.pre {
		f, ok := p.(Flusher)
		if !ok {
			continue
		}
		out, outFirst := f.Flush()
		if len(out) == 0 || len(out[0]) == 0 {
			continue
		}
		out, outFirst, err := runSteps(s.pre[i+1:], out, outFirst)
		if err != nil {
			return err
		}
		s.push(out, outFirst, false)
	}
	return nil
}

// push appends preprocessed samples whose first is outFirst to the
// buffer; first is true for the session's first chunk.
func (s *session) push(out [][]float64, outFirst int64, first bool) {
	if first || outFirst != s.bufEnd() {
		for i := range s.buf {
			s.buf[i] = s.buf[i][:0]
		}
		s.bufStart = outFirst
		s.runStart = outFirst
		if !s.resumed {
			// The first window that lies wholly after the restart; a
			// session joined mid-stream also skips its warm-up.
			from := outFirst
			if first && outFirst > 0 {
				from += s.warmup
			}
			s.next = max(s.next, ceilDiv(from, s.hop))
			if s.ev != nil {
				s.ev.scan, s.ev.prev, s.ev.minStart = outFirst, math.NaN(), from
			}
		}
	}
	s.resumed = false
	for i, col := range out {
		s.buf[i] = append(s.buf[i], col...)
	}
	if s.ev != nil {
		s.ev.find(s.buf[s.ev.stim], s.bufStart)
	}
}

// find scans the stim channel stim (whose first sample is start) from
// e.scan to its end for onsets: a sample whose value is nonzero and above
// the previous one's (mne.find_events with consecutive='increasing').
func (e *eventState) find(stim []float64, start int64) {
	end := start + int64(len(stim))
	if e.scan >= end {
		return // a resumed session re-adding chunks its checkpoint scanned
	}
	for i := e.scan; i < end; i++ {
		v := stim[i-start]
		if v != 0 && v > e.prev { // false while prev is NaN
			code := int(math.Round(v))
			if len(e.codes) == 0 || slices.Contains(e.codes, code) {
				e.pending = append(e.pending, Event{Sample: i, Code: code})
			}
		}
		e.prev = v
	}
	e.scan = end
}

// keep is the first sample an unfinished event window may need: the first
// pending window's start, or, for onsets still to come, the offset before
// the scan position.
func (e *eventState) keep() int64 {
	k := e.scan + min(e.offset, 0)
	if len(e.pending) > 0 {
		k = min(k, e.pending[0].Sample+e.offset)
	}
	return k
}

// reread is the first sample a re-read must start from to rebuild every
// unfinished event window: it must see the onset, and the sample before
// it to see the rise.
func (e *eventState) reread() int64 {
	n := e.scan + min(e.offset, 0)
	if len(e.pending) > 0 {
		n = min(n, e.pending[0].Sample+min(e.offset, 0))
	}
	return n - 1
}

// windows calls fn for every complete window in the buffer, in order, then
// drops samples no later window needs. It returns the number of windows.
func (s *session) windows(fn func(*Window)) (int64, error) {
	var n int64
	if len(s.buf) == 0 {
		return 0, nil
	}
	if s.ev != nil {
		return s.eventWindows(fn), nil
	}
	for {
		start := s.next * s.hop
		if start < s.bufStart {
			s.next = ceilDiv(s.bufStart, s.hop)
			continue
		}
		if start+s.length > s.bufEnd() {
			break
		}
		s.emit(fn, s.next, start, nil)
		s.next++
		n++
	}
	// Keep samples from the next window's start on.
	s.compact(min(s.next*s.hop, s.bufEnd()))
	return n, nil
}

// eventWindows calls fn for every pending event whose window is complete,
// in onset order, drops events whose window lies (partly) before the
// buffer or the warm-up, and drops samples no later window needs.
func (s *session) eventWindows(fn func(*Window)) int64 {
	e := s.ev
	var n int64
	i := 0
	for ; i < len(e.pending); i++ {
		ev := e.pending[i]
		start := ev.Sample + e.offset
		if start < s.bufStart || start < e.minStart {
			continue // cut by a gap, or before a restart's warm-up
		}
		if start+s.length > s.bufEnd() {
			break
		}
		s.emit(fn, ev.Sample, start, &e.pending[i])
		n++
	}
	e.pending = append(e.pending[:0], e.pending[i:]...)
	s.compact(min(e.keep(), s.bufEnd()))
	return n
}

// emit calls fn with window w: the buffered samples from start on.
func (s *session) emit(fn func(*Window), w, start int64, ev *Event) {
	off := start - s.bufStart
	for c := range s.data {
		s.data[c] = s.buf[c][off : off+s.length : off+s.length]
	}
	s.win = Window{
		WindowKey:  s.key(w, start),
		SampleRate: s.info.SampleRate,
		Channels:   s.info.Channels,
		Data:       s.data,
		Event:      ev,
		RunStart:   s.runStart,
	}
	fn(&s.win)
}

// key is the result key of window w starting at sample start.
func (s *session) key(w, start int64) arrowout.WindowKey {
	return arrowout.WindowKey{
		Session:     s.info.Session,
		Window:      w,
		StartSample: start,
		StartTimeNS: s.info.StartTimeNS + int64(math.Round(float64(start)/s.info.SampleRate*1e9)),
	}
}

// compact drops the samples before from once the dead prefix is at least
// as long as what is kept, so copying stays O(1) per sample.
func (s *session) compact(from int64) {
	keepFrom := from - s.bufStart
	if keepFrom > 0 && keepFrom >= int64(len(s.buf[0]))-keepFrom {
		for c := range s.buf {
			m := copy(s.buf[c], s.buf[c][keepFrom:])
			s.buf[c] = s.buf[c][:m]
		}
		s.bufStart += keepFrom
	}
}

// ackGroup holds the acknowledgements of one handled message (or session
// end) until the asynchronous writes of its results are durable and, for
// a checkpointed session, a checkpoint covering them is saved.
type ackGroup struct {
	pending int // writes in flight, plus one while the worker fills acks
	err     error
	acks    []AckFunc
	// ckpt is the session's checkpoint as of this group (session.capture),
	// saved once this group and every one before it are durable; nil when
	// none was taken.
	ckpt []byte
	// covered: a checkpoint taken at or after this group is saved.
	covered bool
}

// ackQueue releases a session's ack groups in the order they were opened,
// each once its writes are durable: an acknowledgement never overtakes a
// result written before it. For a checkpointed session the
// acknowledgements also wait until a checkpoint taken at or after their
// group is saved, so a committed offset never runs ahead of the saved
// state; the newest checkpoint among the durable groups at the head is
// saved, one save at a time, so a session's saves stay in order.
// Completions of asynchronous writes and saves call done and saved from
// other goroutines.
type ackQueue struct {
	r      *Runner
	mu     sync.Mutex
	groups []*ackGroup
	// session keys the session's checkpoints; "" when it has none. It is
	// set before the first group and never changed.
	session string
	// unsaved: the session's checkpoints are too large for the store; its
	// acknowledgements go as without checkpoints.
	unsaved bool
	// saving: a checkpoint save is in flight.
	saving bool
	// abandoned, once set, is the error the acknowledgements still
	// waiting for a checkpoint are released with: the session is gone
	// (moved, stopped), and no checkpoint will cover them.
	abandoned error
}

// open starts a group held by the caller until finish or done.
func (q *ackQueue) open() *ackGroup {
	g := &ackGroup{pending: 1}
	q.mu.Lock()
	q.groups = append(q.groups, g)
	q.mu.Unlock()
	return g
}

// hold adds one pending write to g.
func (q *ackQueue) hold(g *ackGroup) {
	q.mu.Lock()
	g.pending++
	q.mu.Unlock()
}

// finish gives g its acknowledgements and checkpoint (nil: none) and
// drops the caller's hold.
func (q *ackQueue) finish(g *ackGroup, acks []AckFunc, ckpt []byte) {
	q.mu.Lock()
	g.acks, g.ckpt = acks, ckpt
	q.mu.Unlock()
	q.done(g, nil)
}

// done ends one pending write of g (or the caller's hold) and
// acknowledges every group at the head that may go: with nil, unless a
// write failed or the run failed since.
func (q *ackQueue) done(g *ackGroup, err error) {
	q.mu.Lock()
	g.pending--
	if err != nil && g.err == nil {
		g.err = err
	}
	ready, save := q.next()
	q.mu.Unlock()
	q.release(ready, save)
}

// saved ends the save of g's checkpoint: on success every group up to g is
// covered; a failure stops the run, and those groups are acknowledged with
// it.
func (q *ackQueue) saved(g *ackGroup, err error) {
	q.mu.Lock()
	q.saving = false
	g.ckpt = nil
	if i := slices.Index(q.groups, g); i >= 0 {
		for _, h := range q.groups[:i+1] {
			h.ckpt = nil // older than g's, never to be saved
			if err == nil {
				h.covered = true
			} else if h.err == nil {
				h.err = err
			}
		}
	}
	ready, save := q.next()
	q.mu.Unlock()
	if err == nil {
		q.r.opt.Metrics.checkpointSaved()
	} else if !errors.Is(err, errStopped) {
		// Before the release, so no later group is acknowledged as done.
		q.r.failRun(fmt.Errorf("pipeline: session %s: checkpoint: %w", q.session, err))
	}
	q.release(ready, save)
}

// tooLarge ends the save of g's checkpoint, which the store refused for
// its size: the session goes on without checkpoints (see
// ErrStateTooLarge), and the one it has is deleted.
func (q *ackQueue) tooLarge(g *ackGroup, err error) {
	q.mu.Lock()
	q.saving, q.unsaved = false, true
	g.ckpt = nil
	ready, _ := q.next()
	q.mu.Unlock()
	q.r.opt.Logger.Warn("checkpoint: too large for the state store; the session goes on without checkpoints and warms up after a restart or rebalance",
		"session", q.session, "err", err)
	q.r.opt.State.Save(q.r.runCtx, q.session, nil, func(error) {})
	q.release(ready, nil)
}

// abandon releases with err the acknowledgements that wait for a
// checkpoint, now and once their writes are durable: the session is gone.
func (q *ackQueue) abandon(err error) {
	q.mu.Lock()
	if q.abandoned == nil {
		q.abandoned = err
	}
	ready, save := q.next()
	q.mu.Unlock()
	q.release(ready, save)
}

// empty reports whether every group was released.
func (q *ackQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.groups) == 0
}

// uncovered reports whether acknowledgements wait for a checkpoint not
// taken yet (rate-limited, see Options.CheckpointInterval).
func (q *ackQueue) uncovered() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	waiting := false
	for _, g := range q.groups {
		switch {
		case g.ckpt != nil:
			waiting = false
		case len(g.acks) > 0 && !g.covered:
			waiting = true
		}
	}
	return waiting
}

// next, with q.mu held, removes the groups at the head that may be
// released, and picks the checkpoint to save, if one is due.
func (q *ackQueue) next() (ready []*ackGroup, save *ackGroup) {
	checkpointed := q.session != "" && !q.unsaved
	if checkpointed && !q.saving && q.abandoned == nil {
		for _, g := range q.groups {
			if g.pending > 0 {
				break
			}
			if g.ckpt != nil && !g.covered && g.err == nil {
				save = g
			}
		}
		q.saving = save != nil
	}
	failed := q.r.Failure() != nil
	for len(q.groups) > 0 {
		g := q.groups[0]
		if g.pending > 0 {
			break
		}
		if checkpointed && !g.covered && g.err == nil && !failed {
			if q.abandoned == nil && (len(g.acks) > 0 || g.ckpt != nil) {
				break // waits for its checkpoint
			}
			if len(g.acks) > 0 {
				g.err = q.abandoned
			}
		}
		ready = append(ready, g)
		q.groups[0] = nil
		q.groups = q.groups[1:]
	}
	return ready, save
}

// release acknowledges the groups next removed, and starts the save it
// picked.
func (q *ackQueue) release(ready []*ackGroup, save *ackGroup) {
	for _, g := range ready {
		err := g.err
		if err == nil && len(g.acks) > 0 {
			err = q.r.Failure()
		}
		for _, a := range g.acks {
			a(err)
		}
	}
	if save != nil {
		q.r.save(q, save)
	}
}

// doneAcks removes and returns the acknowledgements of the chunks no
// unfinished window needs: those ending
// at or before the next window's start less the warm-up (every later window
// starts there or after; after a gap that is past the gap too), so a re-read
// from the oldest unacknowledged chunk rebuilds the same windows. With
// event windows, the next window's start is that of the first pending
// event, or of an onset not seen yet.
func (s *session) doneAcks() []AckFunc {
	need := s.next * s.hop
	if s.ev != nil {
		need = s.ev.reread()
	}
	need -= s.warmup
	var acks []AckFunc
	i := 0
	for ; i < len(s.pending) && s.pending[i].end <= need; i++ {
		acks = append(acks, s.pending[i].ack)
		s.recycle(s.pending[i].mark.pre)
		s.pending[i] = pendingAck{}
	}
	s.pending = append(s.pending[:0], s.pending[i:]...)
	return acks
}

// takeAll removes and returns every pending acknowledgement.
func (s *session) takeAll() []AckFunc {
	acks := make([]AckFunc, len(s.pending))
	for i := range s.pending {
		acks[i] = s.pending[i].ack
		s.recycle(s.pending[i].mark.pre)
		s.pending[i] = pendingAck{}
	}
	s.pending = s.pending[:0]
	return acks
}

// ackAll acknowledges every pending chunk with err, and every chunk whose
// acknowledgement waits for a checkpoint that will not be taken.
func (s *session) ackAll(err error) {
	for i := range s.pending {
		s.pending[i].ack(err)
		s.pending[i] = pendingAck{}
	}
	s.pending = s.pending[:0]
	s.acks.abandon(err)
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return -((-a) / b)
	}
	return (a + b - 1) / b
}
