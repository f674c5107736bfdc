package pipeline

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// WindowSpec sets window length and hop, in samples or in seconds (then
// rounded to whole samples at each session's rate). Exactly one of the two
// forms is used.
type WindowSpec struct {
	Length, Hop               int64
	LengthSeconds, HopSeconds float64
}

// samples returns length and hop in samples at rate fs.
func (w WindowSpec) samples(fs float64) (length, hop int64, err error) {
	length, hop = w.Length, w.Hop
	if length == 0 {
		length = int64(math.Round(w.LengthSeconds * fs))
		hop = int64(math.Round(w.HopSeconds * fs))
	}
	if length < 1 || hop < 1 {
		return 0, 0, fmt.Errorf("window of %d samples with hop %d at %g Hz: both must be at least one sample", length, hop, fs)
	}
	return length, hop, nil
}

// EventWindows locks windows to stimulus events read from a stim channel
// (trial mode), as mne.find_events then mne.Epochs do: an onset is a sample
// whose stim value is nonzero and above the previous sample's
// (find_events' consecutive='increasing'; a value already nonzero at a
// session's first sample, or just after a gap, is no onset, as its
// initial_event=False), its code the value rounded to an integer. Each
// selected onset gives one window of Window's length starting Offset after
// the onset (negative: before it); Window's hop is unused. Windows are
// keyed by the onset sample (WindowKey.Window), which a re-read after a
// restart finds again, so results keep their idempotency keys.
//
// Preprocessing must leave the stim channel's codes intact: the filter,
// notch and reference steps do not touch stim channels; a resampler does.
type EventWindows struct {
	// StimChannel is the label of the channel carrying event codes. An
	// empty label means sliding windows.
	StimChannel string
	// Codes selects the codes that open a window. Default: every code.
	Codes []int
	// Offset from the onset to the window start, in samples or, when
	// Offset is 0, in seconds (rounded at the session's rate).
	Offset        int64
	OffsetSeconds float64
}

// Options configures a Runner.
type Options struct {
	Source Source
	// Preprocess runs, in order, on every chunk before windowing.
	Preprocess  []Preprocessor
	Stages      []StageBuilder
	Sinks       []Sink
	DeadLetters DeadLetterSink
	Window      WindowSpec
	// Events, when it names a stim channel, replaces sliding windows by
	// windows locked to the stimulus events in that channel.
	Events EventWindows
	// Workers is how many goroutines own sessions. Default: 1.
	Workers int
	// NonFinite is what a NaN or Inf sample does. Default: the chunk is
	// rejected to the dead-letter sink.
	NonFinite wire.NonFinitePolicy
	// Limits bound what one message may hold (size, channels, rows,
	// sample rate); a message beyond them is dead-lettered with reason
	// limit. Default: wire.Limits' defaults.
	Limits wire.Limits
	// Warmup is how much signal a session needs before its windows are
	// trustworthy (filter state), as a WindowSpec-style length: samples
	// or seconds. A session that starts mid-stream (after a restart or
	// rebalance) without a checkpoint (State) emits no window starting
	// within Warmup of its first sample, and a message is acknowledged
	// only once it lies Warmup before the next window, so a re-read starts
	// early enough to warm up and re-emitted windows equal the originals
	// up to the filter transient left. Default: none.
	Warmup WindowSpec
	// DrainTimeout bounds the soft drain after the context ends: queued
	// messages are processed for this long, then the run stops hard.
	// Default: 10s.
	DrainTimeout time.Duration
	// SessionIdle ends a session that received no chunk for this long, in
	// wall time, as a final chunk would: its stages finish, a session_end
	// row is written and its chunks are acknowledged. Live EEG sends a
	// chunk every fraction of a second, so a minute without one means the
	// producer is gone. Negative: sessions end only on a final chunk or
	// at the end of a finite input. Default: 60s.
	SessionIdle time.Duration
	// State, when set, keeps a checkpoint of every session read from a
	// partitioned source (Message.Topic set): the state of its
	// preprocessing, window position, events and stages, saved before the
	// chunks it covers are acknowledged. A session that moves to another
	// process or restarts resumes from it and goes on bit for bit as if
	// never interrupted, instead of warming up; chunks a checkpoint covers
	// are acknowledged unprocessed when re-read. A session's checkpoint is
	// deleted once it ended and its last chunk is committed (with a
	// Committer source). Default: none (sessions warm up, see Warmup).
	State StateStore
	// CheckpointInterval is the least time between two checkpoints of a
	// session: its acknowledgements wait up to this long (and then for the
	// save) before they go. Default: 1s.
	CheckpointInterval time.Duration
	// Logger default: slog.Default().
	Logger *slog.Logger
	// Metrics default: none recorded.
	Metrics *Metrics
}

// DefaultSessionIdle is Options.SessionIdle's default.
const DefaultSessionIdle = 60 * time.Second

// Runner runs one pipeline.
type Runner struct {
	opt   Options
	stats Stats

	// failure is the first error that stopped a worker (a sink failure);
	// nil while the run is healthy.
	failure atomic.Pointer[error]

	mu       sync.Mutex
	sessions map[string]*SessionStats
	// sinkNames label the sinks in metrics, made once (sinkName).
	sinkNames []string
	// ended lists ended sessions' ids, oldest first, so that the
	// statistics of a 24/7 run stay bounded (maxEndedStats).
	ended []string

	// runCtx is Run's hard context and failRun its fail, for checkpoint
	// saves started from write completions; saves counts those in
	// flight, and stateClosed is set when the store is closing.
	runCtx      context.Context
	failRun     func(error)
	saves       sync.WaitGroup
	stateClosed atomic.Bool
}

// maxEndedStats bounds how many ended sessions keep their statistics for
// Sessions (the run summary); older ones are forgotten.
const maxEndedStats = 10000

// Stats counts what a run did. Read it with Runner.Stats.
type Stats struct {
	Messages    atomic.Int64
	Windows     atomic.Int64
	DeadLetters atomic.Int64
	Gaps        atomic.Int64
	StageErrors atomic.Int64
}

// SessionStats summarises one session.
type SessionStats struct {
	Session    string
	SampleRate float64
	Channels   int
	Chunks     int64
	Samples    int64
	Windows    int64
	Gaps       int64
	// Ended is the session_end reason once the session ended, else "".
	Ended string
}

// New checks opt and returns a Runner.
func New(opt Options) (*Runner, error) {
	if opt.Source == nil {
		return nil, errors.New("pipeline: no source")
	}
	if len(opt.Sinks) == 0 {
		return nil, errors.New("pipeline: no sink")
	}
	if opt.Window.Length == 0 && opt.Window.LengthSeconds == 0 {
		return nil, errors.New("pipeline: window length not set")
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	if err := opt.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if opt.DrainTimeout <= 0 {
		opt.DrainTimeout = 10 * time.Second
	}
	if opt.SessionIdle == 0 {
		opt.SessionIdle = DefaultSessionIdle
	}
	if opt.CheckpointInterval <= 0 {
		opt.CheckpointInterval = DefaultCheckpointInterval
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	r := &Runner{opt: opt, sessions: map[string]*SessionStats{}}
	for _, sink := range opt.Sinks {
		r.sinkNames = append(r.sinkNames, sinkName(sink))
	}
	return r, nil
}

// Stats returns the run's counters.
func (r *Runner) Stats() *Stats { return &r.stats }

// Failure returns the error that stopped the run's workers (a sink or
// dead-letter sink failure), or nil while the run is healthy. Health
// endpoints report it: once set, the run is ending and acknowledges
// nothing more.
func (r *Runner) Failure() error {
	if p := r.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// Sessions returns per-session statistics sorted by session id.
func (r *Runner) Sessions() []SessionStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]SessionStats, 0, len(r.sessions))
	for _, s := range r.sessions {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Session < out[j].Session })
	return out
}

type job struct {
	msg Message
	ack AckFunc
}

// Run reads the source until it is exhausted or ctx ends, then drains:
// queued messages are still processed (for up to DrainTimeout), then sinks
// are closed. Bad input never stops a run; a sink failure does, and the
// messages behind the failed write are not acknowledged.
func (r *Runner) Run(ctx context.Context) error {
	src := r.opt.Source
	if err := src.Connect(ctx); err != nil {
		return fmt.Errorf("pipeline: connect source: %w", err)
	}
	// hard ends the drain; it outlives ctx by DrainTimeout.
	hard, cancelHard := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelHard(nil)
	stopAfter := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.opt.DrainTimeout, func() { cancelHard(errors.New("drain timeout")) })
		context.AfterFunc(hard, func() { t.Stop() })
	})
	defer stopAfter()

	// readCtx ends the source read as soon as a worker fails, so a failed
	// sink stops the run even while the source has nothing to deliver.
	readCtx, cancelRead := context.WithCancelCause(ctx)
	defer cancelRead(nil)
	// fail stops everything at the first worker failure: the read, the
	// drain, and every queued message goes back unacknowledged.
	fail := func(err error) {
		r.failure.CompareAndSwap(nil, &err)
		r.opt.Metrics.failed()
		cancelHard(err)
		cancelRead(err)
	}
	r.runCtx, r.failRun = hard, fail

	// endOfInput is set when the source is exhausted, before the queues
	// close: only then are unfinished windows final.
	var endOfInput atomic.Bool
	queues := make([]chan job, r.opt.Workers)
	errc := make(chan error, r.opt.Workers)
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan job, 16)
		dec := wire.NewDecoder(memory.DefaultAllocator)
		dec.Limits = r.opt.Limits
		w := &worker{r: r, dec: dec, sessions: map[string]*session{}, endOfInput: &endOfInput, fail: fail, loaded: map[string]loadedCheckpoint{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(hard, queues[i]); err != nil {
				errc <- err
				fail(err)
			}
		}()
	}

	var readErr error
	for {
		msg, ack, err := src.Read(readCtx)
		if err != nil {
			if errors.Is(err, ErrEndOfInput) {
				endOfInput.Store(true)
			} else if readCtx.Err() == nil {
				readErr = fmt.Errorf("pipeline: read source: %w", err)
			}
			break
		}
		r.stats.Messages.Add(1)
		q := queues[shard(msg.Key, len(queues))]
		select {
		case q <- job{msg, ack}:
		case <-hard.Done():
			ack(context.Cause(hard)) // never processed: not done
		}
		if hard.Err() != nil {
			break
		}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	close(errc)
	var errs []error
	if readErr != nil {
		errs = append(errs, readErr)
	}
	for err := range errc {
		errs = append(errs, err)
	}
	// Sinks close first: an asynchronous sink's close flushes its writes,
	// whose completions acknowledge messages, and the source's close then
	// commits them.
	for _, s := range r.opt.Sinks {
		if err := r.closeBounded(s.Close); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: close sink: %w", err))
		}
	}
	if r.opt.DeadLetters != nil {
		if err := r.closeBounded(r.opt.DeadLetters.Close); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: close dead-letter sink: %w", err))
		}
	}
	// The writes' completions start checkpoint saves, whose completions
	// acknowledge messages: the store closes after the sinks and before
	// the source.
	if r.opt.State != nil {
		if err := r.closeBounded(func() error { r.saves.Wait(); return nil }); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: checkpoint saves: %w", err))
		}
		r.stateClosed.Store(true)
		if err := r.closeBounded(r.opt.State.Close); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: close state store: %w", err))
		}
	}
	if err := src.Close(context.WithoutCancel(ctx)); err != nil {
		errs = append(errs, fmt.Errorf("pipeline: close source: %w", err))
	}
	if err := r.Failure(); err != nil && !slices.ContainsFunc(errs, func(e error) bool { return errors.Is(e, err) }) {
		errs = append(errs, err) // an asynchronous write failed
	}
	return errors.Join(errs...)
}

// closeBounded calls close, giving up after DrainTimeout: a sink whose
// destination is gone must not hold the process. What it did not flush
// was never acknowledged, so a restart re-reads it.
func (r *Runner) closeBounded(close func() error) error {
	done := make(chan error, 1)
	go func() { done <- close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(r.opt.DrainTimeout):
		return fmt.Errorf("not closed after %v; its unflushed results were not acknowledged", r.opt.DrainTimeout)
	}
}

func shard(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

type worker struct {
	r        *Runner
	dec      *wire.Decoder
	chunk    wire.Chunk
	sessions map[string]*session
	results  []arrowout.Result
	// stageErrs collects the stage failures of the message being handled.
	stageErrs []stageErr
	// endOfInput is the Runner's: set when the source is exhausted.
	endOfInput *atomic.Bool
	// fail stops the run at once (see Run).
	fail func(error)
	// epoch is the newest source epoch this worker has seen.
	epoch int64
	// loaded holds checkpoints of sessions whose re-read chunks are
	// still being skipped; tombs the ended sessions whose checkpoints are
	// to be deleted (Options.State).
	loaded map[string]loadedCheckpoint
	tombs  []tomb
	warned bool
}

type stageErr struct {
	stage  string
	window int64
	err    error
}

// idleTick is how often a worker looks for idle sessions: a fraction of
// the timeout, so a session ends at most a quarter late.
func idleTick(idle time.Duration) time.Duration {
	return min(max(idle/4, 10*time.Millisecond), time.Second)
}

func (w *worker) run(ctx context.Context, q <-chan job) error {
	var tick <-chan time.Time
	_, owner := w.r.opt.Source.(Owner)
	if w.r.opt.SessionIdle > 0 || owner || w.r.opt.State != nil {
		every := time.Second // how soon sessions that moved away are dropped
		if w.r.opt.SessionIdle > 0 {
			every = idleTick(w.r.opt.SessionIdle)
		}
		if w.r.opt.State != nil {
			every = min(every, max(w.r.opt.CheckpointInterval/2, 10*time.Millisecond))
		}
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		var err error
		select {
		case j, ok := <-q:
			if !ok {
				return w.finishAll(ctx)
			}
			if ctx.Err() != nil {
				j.ack(context.Cause(ctx))
				continue
			}
			err = w.handle(ctx, j)
		case now := <-tick:
			if ctx.Err() == nil {
				err = w.endIdle(ctx, now)
			}
		}
		if err != nil {
			// Stop the run before draining, so the source stops reading:
			// nothing queued is done, and nothing more may be acknowledged.
			w.fail(err)
			for j := range q {
				j.ack(err)
			}
			for _, s := range w.sessions {
				s.ackAll(err)
			}
			return err
		}
	}
}

// finishAll handles the closed queue. At the end of the input, windows
// that never completed never will: every session ends and what its windows
// held is released. After a stop, they still need it: a restart must
// re-read it.
func (w *worker) finishAll(ctx context.Context) error {
	if !w.endOfInput.Load() || ctx.Err() != nil {
		for _, s := range w.sessions {
			s.ackAll(errStopped)
		}
		return nil
	}
	ids := make([]string, 0, len(w.sessions))
	for id := range w.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i, id := range ids {
		if err := w.endSession(ctx, w.sessions[id], arrowout.EndOfInput); err != nil {
			for _, id := range ids[i+1:] {
				w.sessions[id].ackAll(err) // after a sink failure, nothing more is done
			}
			return err
		}
	}
	return nil
}

// dropMoved drops, without ending them, the sessions whose input this
// process no longer owns: their new owner goes on with them. With an
// Owner source, those of partitions that moved away; otherwise those of
// epochs older than the newest seen (a source delivers every message of an
// epoch before any of the next).
func (w *worker) dropMoved() {
	owner, _ := w.r.opt.Source.(Owner)
	for id, s := range w.sessions {
		moved := s.epoch < w.epoch
		if owner != nil {
			moved = s.topic != "" && !owner.Owned(s.topic, s.partition, s.epoch)
		}
		if moved {
			s.ackAll(errSuperseded)
			delete(w.sessions, id)
			w.r.opt.Metrics.session(-1)
		}
	}
}

// endIdle ends the sessions that received no chunk for SessionIdle.
func (w *worker) endIdle(ctx context.Context, now time.Time) error {
	// A session that moved to another process is not idle: it goes on
	// there.
	if _, ok := w.r.opt.Source.(Owner); ok {
		w.dropMoved()
	}
	if w.r.opt.State != nil {
		w.checkpointTick(ctx, now)
	}
	if w.r.opt.SessionIdle <= 0 {
		return nil
	}
	var ids []string
	for id, s := range w.sessions {
		if now.Sub(s.lastSeen) >= w.r.opt.SessionIdle {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := w.endSession(ctx, w.sessions[id], arrowout.EndIdle); err != nil {
			return err
		}
	}
	return nil
}

// endSession finishes s: its Finishers' results, then its session_end row,
// go to the sinks; then every chunk it holds is acknowledged (with the
// sink's error if a write failed) and it is forgotten.
func (w *worker) endSession(ctx context.Context, s *session, reason string) error {
	r := w.r
	g := s.acks.open()
	err := w.finish(ctx, s, g, reason)
	if err != nil {
		s.ackAll(err)
		s.acks.done(g, err)
	} else {
		// A checkpointed session's chunks go once its end is saved: a
		// restart before they are committed skips them, and a later chunk
		// starts a new session, as here.
		var ckpt []byte
		if s.ck != nil {
			ckpt = s.capture(true)
			w.tombs = append(w.tombs, tomb{session: s.info.Session, topic: s.topic, partition: s.partition, epoch: s.epoch,
				from: s.ck.lastOffset + 1, acks: s.acks})
		}
		s.acks.finish(g, s.takeAll(), ckpt)
	}
	delete(w.sessions, s.info.Session)
	r.opt.Metrics.session(-1)
	r.opt.Metrics.ended(reason)
	r.mu.Lock()
	s.stats.Ended = reason
	if r.sessions[s.info.Session] == s.stats {
		r.ended = append(r.ended, s.info.Session)
		if len(r.ended) > maxEndedStats {
			old := r.ended[0]
			if st := r.sessions[old]; st != nil && st.Ended != "" {
				delete(r.sessions, old)
			}
			r.ended = r.ended[1:]
		}
	}
	r.mu.Unlock()
	return err
}

// finish calls the session's Finishers and writes their results and the
// session_end row.
func (w *worker) finish(ctx context.Context, s *session, g *ackGroup, reason string) error {
	r := w.r
	if len(s.buf) == 0 || s.bufStart < 0 {
		return nil
	}
	w.results = w.results[:0]
	w.stageErrs = w.stageErrs[:0]
	msg := Message{Key: s.info.Session, Origin: "end of session " + s.info.Session}
	// The samples preprocessing held back complete the last windows.
	if err := s.flush(); err != nil {
		q := s.acks
		q.hold(g)
		if err := w.report(ctx, DeadLetter{Message: msg, Reason: ReasonPreprocess,
			Err: fmt.Errorf("%s: flush: %w", msg.Origin, err)}, func(err error) { q.done(g, err) }); err != nil {
			return err
		}
	} else if err := w.analyse(s, nil); err != nil {
		return err
	}
	end := s.key(s.next, s.bufEnd())
	unfinished := max(s.bufEnd()-max(s.next*s.hop, s.bufStart), 0)
	if s.ev != nil {
		end.Window = s.bufEnd()
		unfinished = 0
		if len(s.ev.pending) > 0 {
			unfinished = max(s.bufEnd()-max(s.ev.pending[0].Sample+s.ev.offset, s.bufStart), 0)
		}
	}
	for i, st := range s.stages {
		f, ok := st.(Finisher)
		if !ok {
			continue
		}
		res, err := f.Finish(end)
		if err != nil {
			w.stageErrs = append(w.stageErrs, stageErr{r.opt.Stages[i].Name(), end.Window, err})
			continue
		}
		w.results = append(w.results, res...)
	}
	windows := s.next
	if s.ev != nil {
		r.mu.Lock()
		windows = s.stats.Windows
		r.mu.Unlock()
	}
	w.results = append(w.results, arrowout.Result{Kind: arrowout.KindSessionEnd, Key: end,
		Record: arrowout.SessionEndRecord(memory.DefaultAllocator, end, arrowout.SessionEnd{
			Reason: reason, SampleRate: s.info.SampleRate, Chunks: s.lastSeq + 1, Samples: s.bufEnd(),
			Windows: windows, Unfinished: unfinished,
		})})
	err := w.write(ctx, s, g, msg)
	w.release()
	if err != nil {
		return err
	}
	return w.reportStageErrors(ctx, s.acks, g, msg)
}

// reportStageErrors dead-letters the stage failures collected while
// handling msg, one dead letter each; g, the group of the chunks msg lets
// go, waits until they are durable.
func (w *worker) reportStageErrors(ctx context.Context, q *ackQueue, g *ackGroup, msg Message) error {
	for _, e := range w.stageErrs {
		w.r.stats.StageErrors.Add(1)
		w.r.opt.Metrics.stageError(e.stage)
		q.hold(g)
		err := w.report(ctx, DeadLetter{Message: msg, Reason: ReasonStageError, Stage: e.stage, Window: e.window,
			Err: fmt.Errorf("%s: session %s window %d: stage %s: %w", msg.Origin, msg.Key, e.window, e.stage, e.err)},
			func(err error) { q.done(g, err) })
		if err != nil {
			return err
		}
	}
	w.stageErrs = w.stageErrs[:0]
	return nil
}

var errStopped = errors.New("pipeline: stopped before the windows needing this message completed")

// handle processes one message. Only sink failures are returned.
func (w *worker) handle(ctx context.Context, j job) error {
	r := w.r
	if err := w.dec.Decode(&w.chunk, j.msg.Value); err != nil {
		return w.deadLetter(ctx, j, string(wire.ReasonOf(err)), fmt.Errorf("%s: %w", j.msg.Origin, err))
	}
	c := &w.chunk
	if j.msg.Key != "" && c.Session != j.msg.Key {
		return w.deadLetter(ctx, j, string(wire.ReasonSession),
			fmt.Errorf("%s: message key %q but chunk session %q", j.msg.Origin, j.msg.Key, c.Session))
	}
	if c.FirstSample > MaxSample-int64(c.Len()) {
		return w.deadLetter(ctx, j, ReasonLimit,
			fmt.Errorf("%s: session %s chunk %d: first sample %d + %d rows is past the largest sample index %d", j.msg.Origin, c.Session, c.Seq, c.FirstSample, c.Len(), MaxSample))
	}
	if o, ok := r.opt.Source.(Owner); ok && j.msg.Topic != "" && !o.Owned(j.msg.Topic, j.msg.Partition, j.msg.Epoch) {
		// Queued before its partition moved away: the new owner has it.
		j.ack(errSuperseded)
		return nil
	}
	if j.msg.Epoch > w.epoch {
		w.epoch = j.msg.Epoch
		w.dropMoved()
	}
	s, skip, err := w.sessionFor(ctx, j, c)
	if err != nil {
		return w.deadLetter(ctx, j, ReasonSessionStart, fmt.Errorf("%s: %w", j.msg.Origin, err))
	}
	if skip {
		return nil
	}
	s.lastSeen = time.Now()
	mark := s.mark(j.msg.Offset)
	if err := s.validator.Check(c); err != nil {
		var we *wire.Error
		if !errors.As(err, &we) || we.Reason != wire.ReasonGap {
			s.recycle(mark.pre)
			return w.deadLetter(ctx, j, string(wire.ReasonOf(err)), fmt.Errorf("%s: %w", j.msg.Origin, err))
		}
		// A gap is reported, not bridged: the chunk itself is good, so it
		// is processed from its own position; windows spanning the gap are
		// skipped.
		r.stats.Gaps.Add(1)
		s.stats.Gaps++
		// Every acknowledgement after this one waits for the gap's dead
		// letter: a group of its own, ahead of the chunk's.
		gap := s.acks.open()
		if err := w.report(ctx, DeadLetter{Message: j.msg, Reason: string(wire.ReasonGap), Err: fmt.Errorf("%s: %w", j.msg.Origin, err)},
			func(err error) { s.acks.done(gap, err) }); err != nil {
			j.ack(err)
			return err
		}
	}
	w.results = w.results[:0]
	w.stageErrs = w.stageErrs[:0]
	if err := s.add(c, j.ack, mark); err != nil {
		s.recycle(mark.pre)
		return w.deadLetter(ctx, j, ReasonPreprocess, fmt.Errorf("%s: session %s: %w", j.msg.Origin, c.Session, err))
	}
	if err := w.analyse(s, c); err != nil {
		return err
	}
	g := s.acks.open()
	if len(w.results) > 0 {
		err := w.write(ctx, s, g, j.msg)
		w.release()
		if err != nil {
			s.ackAll(err)
			s.acks.done(g, err)
			return err
		}
	}
	// Stage failures are reported before the chunk is acknowledged, so a
	// lost window is never silent: its dead letter is written first.
	if err := w.reportStageErrors(ctx, s.acks, g, j.msg); err != nil {
		s.ackAll(err)
		s.acks.done(g, err)
		return err
	}
	// The chunks no unfinished window needs are acknowledged once the
	// results written so far are durable, and, for a checkpointed session,
	// once a checkpoint covering them is saved (at most one per
	// CheckpointInterval).
	acks := s.doneAcks()
	s.acks.finish(g, acks, s.checkpointDue(len(acks) > 0))
	if c.Final {
		return w.endSession(ctx, s, arrowout.EndFinal)
	}
	return nil
}

// analyse runs the stages on every window s completed, appending to
// w.results and w.stageErrs, and counts the windows and the chunk c that
// completed them (nil: the flush at the session's end).
func (w *worker) analyse(s *session, c *wire.Chunk) error {
	r := w.r
	windows, err := s.windows(func(win *Window) {
		for i, st := range s.stages {
			t0 := time.Now()
			res, err := st.Process(win)
			r.opt.Metrics.stage(r.opt.Stages[i].Name(), time.Since(t0))
			if err != nil {
				w.stageErrs = append(w.stageErrs, stageErr{r.opt.Stages[i].Name(), win.WindowKey.Window, err})
				continue
			}
			w.results = append(w.results, res...)
		}
	})
	if err != nil {
		return err
	}
	r.stats.Windows.Add(windows)
	if c != nil {
		r.opt.Metrics.chunk()
	}
	r.opt.Metrics.window(windows)
	r.mu.Lock()
	if c != nil {
		s.stats.Chunks++
		s.stats.Samples += int64(c.Len())
	}
	s.stats.Windows += windows
	r.mu.Unlock()
	return nil
}

// write hands w.results, the results of msg's windows, to every sink. An
// asynchronous sink's pending write holds g open until it is durable; a
// failure there stops the run. Results a sink rejects for good become a
// dead letter naming msg. Only sink failures are returned.
func (w *worker) write(ctx context.Context, s *session, g *ackGroup, msg Message) error {
	r := w.r
	for i, sink := range r.opt.Sinks {
		t0 := time.Now()
		var err error
		if as, ok := sink.(AsyncSink); ok {
			q, session := s.acks, s.info.Session
			q.hold(g)
			err = as.WriteAsync(ctx, w.results, func(err error) {
				if err != nil {
					err = fmt.Errorf("pipeline: session %s: sink: %w", session, err)
					w.fail(err) // before the release, so no later group is acknowledged as done
				}
				q.done(g, err)
			})
			var rej *RejectedError
			if err != nil && !errors.As(err, &rej) {
				q.done(g, nil) // nothing was handed over: done will not be called
			}
		} else {
			err = sink.Write(ctx, w.results)
		}
		r.opt.Metrics.sink(r.sinkNames[i], time.Since(t0))
		var rej *RejectedError
		if errors.As(err, &rej) {
			q := s.acks
			q.hold(g)
			if rerr := w.report(ctx, DeadLetter{Message: msg, Reason: ReasonResultRejected,
				Err: fmt.Errorf("%s: session %s: result %w", msg.Origin, s.info.Session, rej)},
				func(err error) { q.done(g, err) }); rerr != nil {
				return rerr
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("pipeline: session %s: sink: %w", s.info.Session, err)
		}
	}
	return nil
}

// errSuperseded acknowledges messages of an epoch that ended before their
// windows completed; the new owner re-reads them.
var errSuperseded = errors.New("pipeline: superseded by a new epoch")

func (w *worker) release() {
	for i, res := range w.results {
		if res.Record != nil {
			res.Record.Release()
		}
		w.results[i] = arrowout.Result{}
	}
	w.results = w.results[:0]
}

// deadLetter reports a message the pipeline cannot use and acknowledges
// it: it is handled, by being set aside.
func (w *worker) deadLetter(ctx context.Context, j job, reason string, err error) error {
	return w.report(ctx, DeadLetter{Message: j.msg, Reason: reason, Err: err}, j.ack)
}

// MaxSample is the largest sample index a session may reach: far beyond
// any recording (2^62 samples are 1.4 million years at 100 kHz), and low
// enough that window arithmetic (index · hop + length + warm-up) cannot
// overflow int64.
const MaxSample = 1 << 62

// report writes a dead letter and calls after exactly once: when it is
// durable (nil), or with the error when it cannot be. With an
// AsyncDeadLetterSink that is later, from another goroutine, and a failure
// then stops the run; report itself returns only errors that happened
// before the letter was handed over.
func (w *worker) report(ctx context.Context, d DeadLetter, after func(error)) error {
	r := w.r
	r.stats.DeadLetters.Add(1)
	r.opt.Metrics.deadLetter(d.Reason)
	r.opt.Logger.Warn(DeadLetterWarning, "reason", d.Reason, "err", d.Err)
	switch dl := r.opt.DeadLetters.(type) {
	case nil:
		after(nil)
	case AsyncDeadLetterSink:
		err := dl.DeadLetterAsync(ctx, d, func(err error) {
			if err != nil {
				err = fmt.Errorf("pipeline: dead-letter sink: %w", err)
				w.fail(err)
			}
			after(err)
		})
		if err != nil {
			err = fmt.Errorf("pipeline: dead-letter sink: %w", err)
			after(err)
			return err
		}
	default:
		if err := dl.DeadLetter(ctx, d); err != nil {
			err = fmt.Errorf("pipeline: dead-letter sink: %w", err)
			after(err)
			return err
		}
		after(nil)
	}
	return nil
}

func (w *worker) newSession(c *wire.Chunk) (*session, error) {
	info := SessionInfo{
		Session:     c.Session,
		SampleRate:  c.SampleRate,
		Channels:    append(c.Channels[:0:0], c.Channels...),
		StartTimeNS: c.StartTimeNS,
	}
	var pre []Preprocess
	for _, b := range w.r.opt.Preprocess {
		p, next, err := b.NewSession(info)
		if err != nil {
			return nil, fmt.Errorf("session %s: preprocess %s: %w", c.Session, b.Name(), err)
		}
		pre, info = append(pre, p), next
	}
	win := w.r.opt.Window
	events := w.r.opt.Events
	if events.StimChannel != "" {
		win.Hop, win.HopSeconds = 1, 0 // unused
		if win.Length == 0 {
			win.Length = int64(math.Round(win.LengthSeconds * info.SampleRate))
		}
	}
	length, hop, err := win.samples(info.SampleRate)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", c.Session, err)
	}
	info.WindowLength = length
	var warmup int64
	if w.r.opt.Warmup != (WindowSpec{}) {
		warmup = w.r.opt.Warmup.Length
		if warmup == 0 {
			warmup = int64(math.Round(w.r.opt.Warmup.LengthSeconds * info.SampleRate))
		}
	}
	s := &session{
		r:         w.r,
		info:      info,
		validator: wire.NewValidator(w.r.opt.NonFinite),
		length:    length,
		hop:       hop,
		warmup:    warmup,
		buf:       make([][]float64, len(info.Channels)),
		in:        make([][]float64, len(c.Channels)),
		pre:       pre,
		data:      make([][]float64, len(info.Channels)),
		bufStart:  -1,
		acks:      &ackQueue{r: w.r},
	}
	if events.StimChannel != "" {
		i := slices.IndexFunc(info.Channels, func(ch formats.Channel) bool { return ch.Label == events.StimChannel })
		if i < 0 {
			return nil, fmt.Errorf("session %s: events: stim channel %q is not among the session's %d channels", c.Session, events.StimChannel, len(info.Channels))
		}
		offset := events.Offset
		if offset == 0 {
			offset = int64(math.Round(events.OffsetSeconds * info.SampleRate))
		}
		s.ev = &eventState{stim: i, codes: events.Codes, offset: offset, prev: math.NaN()}
	}
	for _, b := range w.r.opt.Stages {
		st, err := b.NewSession(info)
		if err != nil {
			return nil, fmt.Errorf("session %s: stage %s: %w", c.Session, b.Name(), err)
		}
		s.stages = append(s.stages, st)
	}
	s.stats = &SessionStats{Session: c.Session, SampleRate: info.SampleRate, Channels: len(info.Channels)}
	w.r.mu.Lock()
	w.r.sessions[c.Session] = s.stats
	w.r.mu.Unlock()
	return s, nil
}

// sinkName labels a sink in metrics: its type, e.g. "kafka.ResultSink".
func sinkName(s Sink) string {
	name := fmt.Sprintf("%T", s)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimPrefix(name, "*")
}
