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
	// Warmup is how much signal a session needs before its windows are
	// trustworthy (filter state), as a WindowSpec-style length: samples
	// or seconds. A session that starts mid-stream (after a restart or
	// rebalance) emits no window starting within Warmup of its first
	// sample, and a message is acknowledged only once it lies Warmup
	// before the next window, so a re-read starts early enough to warm up
	// and re-emitted windows equal the originals. Default: none.
	Warmup WindowSpec
	// DrainTimeout bounds the soft drain after the context ends: queued
	// messages are processed for this long, then the run stops hard.
	// Default: 10s.
	DrainTimeout time.Duration
	// Logger default: slog.Default().
	Logger *slog.Logger
	// Metrics default: none recorded.
	Metrics *Metrics
}

// Runner runs one pipeline.
type Runner struct {
	opt   Options
	stats Stats

	mu       sync.Mutex
	sessions map[string]*SessionStats
}

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
	if opt.DrainTimeout <= 0 {
		opt.DrainTimeout = 10 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Runner{opt: opt, sessions: map[string]*SessionStats{}}, nil
}

// Stats returns the run's counters.
func (r *Runner) Stats() *Stats { return &r.stats }

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

	// endOfInput is set when the source is exhausted, before the queues
	// close: only then are unfinished windows final.
	var endOfInput atomic.Bool
	queues := make([]chan job, r.opt.Workers)
	errc := make(chan error, r.opt.Workers)
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan job, 16)
		w := &worker{r: r, dec: wire.NewDecoder(memory.DefaultAllocator), sessions: map[string]*session{}, endOfInput: &endOfInput}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(hard, queues[i]); err != nil {
				errc <- err
				cancelHard(err)
			}
		}()
	}

	var readErr error
	for {
		msg, ack, err := src.Read(ctx)
		if err != nil {
			if errors.Is(err, ErrEndOfInput) {
				endOfInput.Store(true)
			} else if ctx.Err() == nil {
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
	if err := src.Close(context.WithoutCancel(ctx)); err != nil {
		errs = append(errs, fmt.Errorf("pipeline: close source: %w", err))
	}
	for _, s := range r.opt.Sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: close sink: %w", err))
		}
	}
	if r.opt.DeadLetters != nil {
		if err := r.opt.DeadLetters.Close(); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: close dead-letter sink: %w", err))
		}
	}
	return errors.Join(errs...)
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
	// endOfInput is the Runner's: set when the source is exhausted.
	endOfInput *atomic.Bool
	// epoch is the newest source epoch this worker has seen.
	epoch int64
}

func (w *worker) run(ctx context.Context, q <-chan job) error {
	for j := range q {
		if ctx.Err() != nil {
			j.ack(context.Cause(ctx))
			continue
		}
		if err := w.handle(ctx, j); err != nil {
			// Drain the queue without acknowledging: none of it is done.
			for j := range q {
				j.ack(err)
			}
			return err
		}
	}
	// At the end of the input, windows that never completed never will:
	// stages finish their sessions and what the windows held is released.
	// After a stop, they still need it: a restart must re-read it.
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
	var failed error
	for _, id := range ids {
		s := w.sessions[id]
		if failed == nil {
			failed = w.finish(ctx, s)
		}
		s.ackAll(failed) // after a sink failure, nothing more is done
	}
	return failed
}

// finish calls the session's Finishers and writes their results.
func (w *worker) finish(ctx context.Context, s *session) error {
	r := w.r
	if len(s.buf) == 0 || s.bufStart < 0 {
		return nil
	}
	end := s.key(s.next, s.bufEnd())
	if s.ev != nil {
		end.Window = s.bufEnd()
	}
	w.results = w.results[:0]
	for i, st := range s.stages {
		f, ok := st.(Finisher)
		if !ok {
			continue
		}
		res, err := f.Finish(end)
		if err != nil {
			r.stats.StageErrors.Add(1)
			r.opt.Logger.Error("stage failed to finish", "stage", r.opt.Stages[i].Name(), "session", s.info.Session, "err", err)
			continue
		}
		w.results = append(w.results, res...)
	}
	if len(w.results) == 0 {
		return nil
	}
	defer w.release()
	for _, sink := range r.opt.Sinks {
		if err := sink.Write(ctx, w.results); err != nil {
			return fmt.Errorf("pipeline: session %s: sink: %w", s.info.Session, err)
		}
	}
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
	if j.msg.Epoch > w.epoch {
		// A new epoch: sessions of older ones were handed to their new
		// owners (this worker too, maybe); drop them all, so state of
		// sessions that moved away is not kept forever. A source delivers
		// every message of an epoch before any of the next.
		w.epoch = j.msg.Epoch
		for id, old := range w.sessions {
			if old.epoch < w.epoch {
				old.ackAll(errSuperseded)
				delete(w.sessions, id)
				r.opt.Metrics.session(-1)
			}
		}
	}
	s := w.sessions[c.Session]
	if s != nil && s.epoch != j.msg.Epoch {
		// Ownership changed: what this session held is superseded; it
		// is rebuilt from this message on, as a restart would.
		s.ackAll(errSuperseded)
		s = nil
		r.opt.Metrics.session(-1)
	}
	if s == nil {
		var err error
		s, err = w.newSession(c)
		if err != nil {
			return w.deadLetter(ctx, j, "session", fmt.Errorf("%s: %w", j.msg.Origin, err))
		}
		s.epoch = j.msg.Epoch
		w.sessions[c.Session] = s
		r.opt.Metrics.session(1)
	}
	if err := s.validator.Check(c); err != nil {
		var we *wire.Error
		if !errors.As(err, &we) || we.Reason != wire.ReasonGap {
			return w.deadLetter(ctx, j, string(wire.ReasonOf(err)), fmt.Errorf("%s: %w", j.msg.Origin, err))
		}
		// A gap is reported, not bridged: the chunk itself is good, so it
		// is processed from its own position; windows spanning the gap are
		// skipped.
		r.stats.Gaps.Add(1)
		s.stats.Gaps++
		if err := r.report(ctx, DeadLetter{Message: j.msg, Reason: string(wire.ReasonGap), Err: fmt.Errorf("%s: %w", j.msg.Origin, err)}); err != nil {
			return err
		}
	}
	w.results = w.results[:0]
	if err := s.add(c, j.ack); err != nil {
		return w.deadLetter(ctx, j, "preprocess", fmt.Errorf("%s: session %s: %w", j.msg.Origin, c.Session, err))
	}
	windows, err := s.windows(func(win *Window) {
		for i, st := range s.stages {
			t0 := time.Now()
			res, err := st.Process(win)
			r.opt.Metrics.stage(r.opt.Stages[i].Name(), time.Since(t0))
			if err != nil {
				r.stats.StageErrors.Add(1)
				r.opt.Logger.Error("stage failed", "stage", r.opt.Stages[i].Name(), "session", win.Session, "window", win.WindowKey.Window, "err", err)
				continue
			}
			w.results = append(w.results, res...)
		}
	})
	if err != nil {
		return err
	}
	r.stats.Windows.Add(windows)
	r.opt.Metrics.chunk()
	r.opt.Metrics.window(windows)
	r.mu.Lock()
	s.stats.Chunks++
	s.stats.Samples += int64(c.Len())
	s.stats.Windows += windows
	r.mu.Unlock()
	if len(w.results) > 0 {
		for _, sink := range r.opt.Sinks {
			t0 := time.Now()
			err := sink.Write(ctx, w.results)
			r.opt.Metrics.sink(time.Since(t0))
			if err != nil {
				w.release()
				s.ackAll(err)
				return fmt.Errorf("pipeline: session %s: sink: %w", c.Session, err)
			}
		}
		w.release()
	}
	s.ackDone()
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
	if rerr := w.r.report(ctx, DeadLetter{Message: j.msg, Reason: reason, Err: err}); rerr != nil {
		j.ack(rerr)
		return rerr
	}
	j.ack(nil)
	return nil
}

func (r *Runner) report(ctx context.Context, d DeadLetter) error {
	r.stats.DeadLetters.Add(1)
	r.opt.Metrics.deadLetter(d.Reason)
	r.opt.Logger.Warn("dead letter", "reason", d.Reason, "err", d.Err)
	if r.opt.DeadLetters == nil {
		return nil
	}
	if err := r.opt.DeadLetters.DeadLetter(ctx, d); err != nil {
		return fmt.Errorf("pipeline: dead-letter sink: %w", err)
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
