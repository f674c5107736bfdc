package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/neurostream/neurostream/pipeline/wire"
)

// DefaultCheckpointInterval is Options.CheckpointInterval's default.
const DefaultCheckpointInterval = time.Second

// checkpointable reports whether a session's state can be saved: its
// preprocessing steps all implement Checkpointer.
func checkpointable(pre []Preprocess) bool {
	for _, p := range pre {
		if _, ok := p.(Checkpointer); !ok {
			return false
		}
	}
	return true
}

// mark returns the session's state now, before a chunk at offset is
// validated and added: what a checkpoint holds when that chunk is the
// oldest one pending. It is zero for a session not checkpointed.
func (s *session) mark(offset int64) chunkMark {
	if s.ck == nil {
		return chunkMark{}
	}
	m := chunkMark{offset: offset, inEnd: s.inEnd, outEnd: -1, lastSeq: s.lastSeq}
	if s.bufStart >= 0 {
		m.outEnd = s.bufEnd()
	}
	m.valSeq, m.valSample = s.validator.Expected()
	var buf []byte
	if n := len(s.ck.free); n > 0 {
		buf, s.ck.free = s.ck.free[n-1], s.ck.free[:n-1]
	}
	m.pre = s.appendPre(buf[:0])
	return m
}

// maxFreeMarks bounds the mark buffers a session keeps for reuse.
const maxFreeMarks = 64

// recycle takes back a mark's buffer.
func (s *session) recycle(b []byte) {
	if s.ck != nil && b != nil && len(s.ck.free) < maxFreeMarks {
		s.ck.free = append(s.ck.free, b)
	}
}

// appendPre appends the preprocessing chain's state, as checkpoint.encode
// writes its pre field.
func (s *session) appendPre(dst []byte) []byte {
	e := stateEncoder{b: dst}
	e.int(int64(len(s.pre)))
	for i, p := range s.pre {
		e.str(s.r.opt.Preprocess[i].Name())
		s.ck.scratch = p.(Checkpointer).AppendState(s.ck.scratch[:0])
		e.blob(s.ck.scratch)
	}
	return e.b
}

// checkpointDue returns the checkpoint for the group of the message just
// handled, or nil: one is taken when acknowledgements would wait for it
// (acked: the message let chunks go) and CheckpointInterval has passed
// since the last one.
func (s *session) checkpointDue(acked bool) []byte {
	if s.ck == nil || time.Since(s.ck.lastCapture) < s.r.opt.CheckpointInterval || !acked && !s.acks.uncovered() {
		return nil
	}
	s.ck.lastCapture = time.Now()
	return s.capture(false)
}

// capture encodes the session's checkpoint now: its state just before its
// oldest pending chunk (or, with none pending, now), and its windows,
// events and stages as they are after the last chunk handled. ended
// marks a session that just ended.
func (s *session) capture(ended bool) []byte {
	c := checkpoint{ended: ended, topic: s.topic, partition: s.partition, from: s.ck.lastOffset + 1}
	if ended {
		return c.encode(nil)
	}
	c.rate, c.startNS, c.channels = s.ck.inRate, s.info.StartTimeNS, len(s.in)
	m := chunkMark{}
	if len(s.pending) > 0 {
		m = s.pending[0].mark
		c.exact, c.from = true, m.offset
	} else {
		m = s.mark(c.from)
		defer s.recycle(m.pre)
	}
	c.inEnd, c.outEnd, c.lastSeq, c.valSeq, c.valSample, c.preRaw = m.inEnd, m.outEnd, m.lastSeq, m.valSeq, m.valSample, m.pre
	c.next, c.windows = s.next, s.stats.Windows
	if e := s.ev; e != nil {
		c.events, c.scan, c.prev, c.minStart, c.pending = true, e.scan, e.prev, e.minStart, e.pending
	}
	c.stages = make([]namedState, len(s.stages))
	for i, st := range s.stages {
		c.stages[i].name = s.r.opt.Stages[i].Name()
		if cp, ok := st.(Checkpointer); ok {
			c.stages[i].state = cp.AppendState(nil)
		}
	}
	return c.encode(nil)
}

// restore sets a new session's state from c, taken by a session whose
// first chunk matched chunk c (the one it resumes with). An error says why
// c does not fit; the session must then be discarded.
func (s *session) restore(c *checkpoint, ch *wire.Chunk) error {
	if c.rate != ch.SampleRate || c.startNS != ch.StartTimeNS || c.channels != len(ch.Channels) {
		return fmt.Errorf("checkpoint of a session at %g Hz with %d channels from %d ns, the chunk is at %g Hz with %d channels from %d ns",
			c.rate, c.channels, c.startNS, ch.SampleRate, len(ch.Channels), ch.StartTimeNS)
	}
	if err := s.checkPositions(c); err != nil {
		return err
	}
	if len(c.pre) != len(s.pre) || len(c.stages) != len(s.stages) || c.events != (s.ev != nil) {
		return fmt.Errorf("checkpoint of %d preprocessing steps, %d stages, event windows %t; the pipeline has %d, %d, %t",
			len(c.pre), len(c.stages), c.events, len(s.pre), len(s.stages), s.ev != nil)
	}
	for i, p := range s.pre {
		name := s.r.opt.Preprocess[i].Name()
		if c.pre[i].name != name {
			return fmt.Errorf("checkpoint's preprocessing step %d is %q, the pipeline's %q", i, c.pre[i].name, name)
		}
		if err := p.(Checkpointer).RestoreState(c.pre[i].state); err != nil {
			return fmt.Errorf("preprocess %s: %w", name, err)
		}
	}
	for i, st := range s.stages {
		name := s.r.opt.Stages[i].Name()
		if c.stages[i].name != name {
			return fmt.Errorf("checkpoint's stage %d is %q, the pipeline's %q", i, c.stages[i].name, name)
		}
		cp, ok := st.(Checkpointer)
		switch {
		case ok:
			if err := cp.RestoreState(c.stages[i].state); err != nil {
				return fmt.Errorf("stage %s: %w", name, err)
			}
		case len(c.stages[i].state) > 0:
			return fmt.Errorf("stage %s: checkpoint holds %d bytes of state for a stage without any", name, len(c.stages[i].state))
		}
	}
	s.validator.Reset(c.valSeq, c.valSample)
	s.inEnd, s.lastSeq, s.bufStart, s.next = c.inEnd, c.lastSeq, max(c.outEnd, -1), c.next
	if s.ev != nil {
		s.ev.scan, s.ev.prev, s.ev.minStart, s.ev.pending = c.scan, c.prev, c.minStart, c.pending
	}
	s.r.mu.Lock()
	s.stats.Windows = c.windows
	s.r.mu.Unlock()
	s.resumed = true
	return nil
}

// checkPositions refuses sample positions the window arithmetic cannot
// take (see MaxSample): a checkpoint is data, and must not make a worker
// spin or panic.
func (s *session) checkPositions(c *checkpoint) error {
	in := func(v, lo int64) bool { return v >= lo && v <= MaxSample }
	ok := in(c.inEnd, 0) && in(c.outEnd, -1) && in(c.lastSeq, 0) && in(c.valSeq, -1) && in(c.valSample, -1) &&
		in(c.next, 0) && c.next <= MaxSample/s.hop && in(c.windows, 0)
	if c.events {
		ok = ok && in(c.scan, -MaxSample) && in(c.minStart, -MaxSample)
		for _, e := range c.pending {
			ok = ok && in(e.Sample, 0)
		}
	}
	if !ok {
		return errors.New("checkpoint positions out of range")
	}
	return nil
}

// loadedCheckpoint is a checkpoint loaded for a session whose chunks the
// worker is still skipping (those before its From).
type loadedCheckpoint struct {
	ck    *checkpoint
	epoch int64
	at    time.Time
}

// loadedTTL is how long a loaded checkpoint is kept for the chunks still
// to skip; after that a chunk loads it again.
const loadedTTL = time.Minute

// checkpointFor decides what becomes of msg, chunk c, the first chunk of
// a session not in memory: skip (acknowledge, its results are saved
// already), resume from ck, or start afresh (ck nil).
func (w *worker) checkpointFor(ctx context.Context, msg Message, c *wire.Chunk) (ck *checkpoint, skip bool) {
	r := w.r
	lc, ok := w.loaded[c.Session]
	if !ok || lc.epoch != msg.Epoch {
		b, err := r.opt.State.Load(ctx, c.Session)
		switch {
		case err != nil:
			r.opt.Logger.Warn("checkpoint: load failed; the session warms up instead", "session", c.Session, "origin", msg.Origin, "err", err)
			r.opt.Metrics.checkpointLoad("error")
			return nil, false
		case b == nil:
			r.opt.Metrics.checkpointLoad("none")
			return nil, false
		}
		ck, err := decodeCheckpoint(b)
		if err != nil {
			r.opt.Logger.Warn("checkpoint: unreadable; the session warms up instead", "session", c.Session, "origin", msg.Origin, "err", err)
			r.opt.Metrics.checkpointLoad("invalid")
			return nil, false
		}
		lc = loadedCheckpoint{ck: ck, epoch: msg.Epoch}
	}
	ck = lc.ck
	if ck.topic != msg.Topic || ck.partition != msg.Partition {
		delete(w.loaded, c.Session)
		r.opt.Logger.Warn("checkpoint: saved for another partition; the session warms up instead", "session", c.Session,
			"checkpoint", fmt.Sprintf("%s/%d@%d", ck.topic, ck.partition, ck.from), "origin", msg.Origin)
		r.opt.Metrics.checkpointLoad("stale")
		return nil, false
	}
	if msg.Offset < ck.from {
		lc.at = time.Now()
		w.loaded[c.Session] = lc
		r.opt.Metrics.checkpointSkip()
		if ck.ended && !slices.ContainsFunc(w.tombs, func(t tomb) bool { return t.session == c.Session }) {
			// The process that ended it stopped before deleting its
			// marker: this one does, once the re-read is committed.
			w.tombs = append(w.tombs, tomb{session: c.Session, topic: ck.topic, partition: ck.partition, epoch: msg.Epoch, from: ck.from, acks: &ackQueue{r: r, session: c.Session}})
		}
		return nil, true
	}
	delete(w.loaded, c.Session)
	switch {
	case ck.ended:
		r.opt.Metrics.checkpointLoad("ended")
		return nil, false // a new session after the end, as it would have been
	case ck.exact && msg.Offset != ck.from, !ck.exact && (c.Seq != ck.valSeq || c.FirstSample != ck.valSample):
		r.opt.Logger.Warn("checkpoint: the session does not continue where it was saved; it warms up instead", "session", c.Session,
			"checkpoint", fmt.Sprintf("%s/%d@%d", ck.topic, ck.partition, ck.from), "origin", msg.Origin, "seq", c.Seq, "first_sample", c.FirstSample)
		r.opt.Metrics.checkpointLoad("stale")
		return nil, false
	}
	return ck, false
}

// sessionFor returns the session of chunk c, msg's, creating it (restored
// from its checkpoint, when it has one) if it is not in memory; skip says
// msg is covered by the session's checkpoint and was acknowledged.
func (w *worker) sessionFor(ctx context.Context, j job, c *wire.Chunk) (s *session, skip bool, err error) {
	r := w.r
	if s = w.sessions[c.Session]; s != nil && s.epoch == j.msg.Epoch {
		return s, false, nil
	}
	if s != nil {
		// Ownership changed: what this session held is superseded; it is
		// rebuilt (or resumed from its checkpoint) from this message on,
		// as after a restart.
		s.ackAll(errSuperseded)
		delete(w.sessions, c.Session)
		r.opt.Metrics.session(-1)
	}
	saved := r.opt.State != nil && j.msg.Topic != ""
	var ck *checkpoint
	// A session that ended here goes on as a new one: its ended marker
	// may still be on its way to the store, and the new session's
	// checkpoints must follow it, so the new session takes over its ack
	// queue.
	var ended *ackQueue
	if i := slices.IndexFunc(w.tombs, func(t tomb) bool { return t.session == c.Session }); i >= 0 {
		if t := w.tombs[i]; saved && t.topic == j.msg.Topic && t.partition == j.msg.Partition && t.epoch == j.msg.Epoch && j.msg.Offset >= t.from {
			ended = t.acks
			r.opt.Metrics.checkpointLoad("ended")
		}
		w.tombs = slices.Delete(w.tombs, i, i+1)
	}
	if saved && ended == nil {
		if ck, skip = w.checkpointFor(ctx, j.msg, c); skip {
			j.ack(nil)
			return nil, true, nil
		}
	}
	if s, err = w.newSession(c); err != nil {
		return nil, false, err
	}
	if ended != nil {
		s.acks = ended
	}
	if saved && !checkpointable(s.pre) {
		saved = false
		w.warnOnce("checkpoint: a preprocessing step keeps no checkpoint; sessions warm up after a restart or rebalance")
	}
	if saved {
		s.ck = &sessionCkpt{inRate: c.SampleRate, lastCapture: time.Now()}
		if ended == nil { // a taken-over queue is keyed already, and in use
			s.acks.session = c.Session
		}
		if ck != nil {
			if err := s.restore(ck, c); err != nil {
				r.opt.Logger.Warn("checkpoint: does not fit the session; it warms up instead", "session", c.Session, "origin", j.msg.Origin, "err", err)
				r.opt.Metrics.checkpointLoad("invalid")
				if s, err = w.newSession(c); err != nil {
					return nil, false, err
				}
				s.ck = &sessionCkpt{inRate: c.SampleRate, lastCapture: time.Now()}
				s.acks.session = c.Session
			} else {
				r.opt.Metrics.checkpointLoad("restored")
			}
		}
	}
	s.epoch = j.msg.Epoch
	s.topic, s.partition = j.msg.Topic, j.msg.Partition
	w.sessions[c.Session] = s
	r.opt.Metrics.session(1)
	return s, false, nil
}

// warnOnce logs msg once per worker.
func (w *worker) warnOnce(msg string) {
	if !w.warned {
		w.warned = true
		w.r.opt.Logger.Warn(msg)
	}
}

// tomb is an ended session whose checkpoint (its ended marker) is to be
// deleted once its last chunk, before offset from, is committed: until
// then a restart re-reads those chunks and the marker says to skip them.
// acks is the session's ack queue, which a new session under the same id
// takes over.
type tomb struct {
	session   string
	topic     string
	partition int
	epoch     int64
	from      int64
	acks      *ackQueue
}

// checkpointTick runs on the worker's tick: it takes a checkpoint of each
// session whose acknowledgements wait for one (a session that went quiet
// before the checkpoint interval passed), deletes the checkpoints of
// ended sessions whose last chunk is committed, and forgets checkpoints
// loaded long ago.
func (w *worker) checkpointTick(ctx context.Context, now time.Time) {
	r := w.r
	for _, s := range w.sessions {
		if s.ck != nil && now.Sub(s.ck.lastCapture) >= r.opt.CheckpointInterval && s.acks.uncovered() {
			g := s.acks.open()
			s.ck.lastCapture = now
			s.acks.finish(g, nil, s.capture(false))
		}
	}
	for id, lc := range w.loaded {
		if now.Sub(lc.at) > loadedTTL {
			delete(w.loaded, id)
		}
	}
	committer, _ := r.opt.Source.(Committer)
	owner, _ := r.opt.Source.(Owner)
	keep := w.tombs[:0]
	for _, t := range w.tombs {
		if owner != nil && !owner.Owned(t.topic, t.partition, t.epoch) {
			continue // its partition's new owner re-reads from the commit; the marker stays
		}
		if committer == nil {
			// The marker stays (nothing says when a restart no longer
			// re-reads the session); the entry goes once it is saved.
			if !t.acks.empty() {
				keep = append(keep, t)
			}
			continue
		}
		if off, ok := committer.Committed(t.topic, t.partition); !ok || off < t.from {
			keep = append(keep, t)
			continue
		}
		err := r.opt.State.Save(ctx, t.session, nil, func(err error) {
			if err != nil {
				r.opt.Logger.Warn("checkpoint: deleting an ended session's checkpoint failed", "session", t.session, "err", err)
			}
		})
		if err != nil {
			r.opt.Logger.Warn("checkpoint: deleting an ended session's checkpoint failed", "session", t.session, "err", err)
		}
	}
	w.tombs = keep
}

// save starts the save of g's checkpoint, for q's session. It runs on its
// own goroutine: save is called from completions of the sinks' writes,
// which must not wait for the store.
func (r *Runner) save(q *ackQueue, g *ackGroup) {
	r.saves.Add(1)
	go func() {
		defer r.saves.Done()
		if r.stateClosed.Load() {
			q.saved(g, errStopped)
			return
		}
		err := r.opt.State.Save(r.runCtx, q.session, g.ckpt, func(err error) { q.saved(g, err) })
		switch {
		case errors.Is(err, ErrStateTooLarge):
			q.tooLarge(g, err)
		case err != nil:
			q.saved(g, err)
		}
	}()
}
