package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// RecordingSpec names one recording to stream as a session.
type RecordingSpec struct {
	// Session is the session id the chunks carry.
	Session string
	// Name is the recording's path or description, for errors.
	Name string
	// Open opens the recording; it is called when the session starts.
	Open func() (formats.Recording, error)
}

// RecordingSourceConfig configures a RecordingSource.
type RecordingSourceConfig struct {
	// ChunkSeconds is the duration of one wire chunk. Default: 0.25.
	ChunkSeconds float64
	// Pace is the replay speed: 1 is real time, 2 twice as fast, 0 as
	// fast as possible. Default: 0.
	Pace float64
	// MaxOpen bounds how many recordings are open at once; sessions are
	// interleaved by sample time among the open ones. Default: 16.
	MaxOpen int
	// Logger default: slog.Default().
	Logger *slog.Logger
}

// RecordingSource streams recordings (files or simulations) as wire
// chunks, one session per recording: the same chunks a Kafka replay of the
// same recordings carries, so file and Kafka runs share every later step.
// A recording that fails to open or read is logged and skipped; the rest
// go on.
type RecordingSource struct {
	cfg   RecordingSourceConfig
	specs []RecordingSpec
	next  int // next spec to open
	open  []*recStream
	enc   *wire.Encoder
	start time.Time

	mu       sync.Mutex
	errs     []error
	warnings []string

	// done counts progress in Progress's units: each recording weighs
	// the same, and advances by its share as its samples are read (or
	// all at once when it is skipped).
	done     atomic.Int64
	finished atomic.Int64
}

// progressUnit is about the whole input in Progress's units (rounded
// down to a multiple of the number of recordings).
const progressUnit = 1_000_000

type recStream struct {
	spec  RecordingSpec
	rec   formats.Recording
	info  *formats.Info
	chunk wire.Chunk
	len   int64 // samples per chunk
	pos   int64
	buf   [][]float64
}

// NewRecordingSource returns a source over specs.
func NewRecordingSource(specs []RecordingSpec, cfg RecordingSourceConfig) *RecordingSource {
	if cfg.ChunkSeconds <= 0 {
		cfg.ChunkSeconds = 0.25
	}
	if cfg.MaxOpen <= 0 {
		cfg.MaxOpen = 16
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &RecordingSource{cfg: cfg, specs: specs, enc: wire.NewEncoder(memory.DefaultAllocator)}
}

// Connect implements Source.
func (s *RecordingSource) Connect(context.Context) error {
	s.start = time.Now()
	return nil
}

// Errors returns the recordings that failed, each naming the file.
func (s *RecordingSource) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// Warnings returns what the readers reported about damaged recordings
// (formats.Info.Warnings), once per recording, each naming the file.
func (s *RecordingSource) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

// Progress reports how much of the input has been read (done of total,
// about a million units, each recording weighing the same), and how many
// recordings are finished (read to the end or skipped) out of how many.
// Safe to call from any goroutine.
func (s *RecordingSource) Progress() (done, total int64, finished, recordings int) {
	w := progressUnit / int64(max(1, len(s.specs)))
	return s.done.Load(), w * int64(max(1, len(s.specs))), int(s.finished.Load()), len(s.specs)
}

// advance adds the share of a recording's weight that n of its nSamples
// samples stand for; the last chunk adds the rounding rest.
func (s *RecordingSource) advance(st *recStream, n int64) {
	w := progressUnit / int64(max(1, len(s.specs)))
	if st.pos+n >= st.info.NSamples {
		s.done.Add(w - w*st.pos/st.info.NSamples)
		s.finished.Add(1)
		return
	}
	s.done.Add(w*(st.pos+n)/st.info.NSamples - w*st.pos/st.info.NSamples)
}

// skip counts the part of a recording not read because it failed.
func (s *RecordingSource) skip(st *recStream) {
	w := progressUnit / int64(max(1, len(s.specs)))
	var read int64
	if st != nil && st.info != nil && st.info.NSamples > 0 {
		read = w * st.pos / st.info.NSamples
	}
	s.done.Add(w - read)
	s.finished.Add(1)
}

func (s *RecordingSource) fail(err error) {
	s.cfg.Logger.Error("recording skipped", "err", err)
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

// fill opens recordings until MaxOpen are open or none are left.
func (s *RecordingSource) fill() {
	for len(s.open) < s.cfg.MaxOpen && s.next < len(s.specs) {
		spec := s.specs[s.next]
		s.next++
		rec, err := spec.Open()
		if err != nil {
			s.skip(nil)
			s.fail(fmt.Errorf("session %s: %w", spec.Session, err))
			continue
		}
		info := rec.Info()
		for _, w := range info.Warnings {
			s.cfg.Logger.Warn("recording read with a warning", "session", spec.Session, "warning", w)
			s.mu.Lock()
			s.warnings = append(s.warnings, fmt.Sprintf("session %s: %s", spec.Session, w))
			s.mu.Unlock()
		}
		if info.NSamples == 0 || len(info.Channels) == 0 || !(info.SampleRate > 0) {
			rec.Close()
			s.skip(nil)
			s.fail(fmt.Errorf("session %s: %s: no samples to stream (%d channels, %d samples)", spec.Session, spec.Name, len(info.Channels), info.NSamples))
			continue
		}
		st := &recStream{spec: spec, rec: rec, info: info}
		st.len = max(1, int64(math.Round(s.cfg.ChunkSeconds*info.SampleRate)))
		st.buf = make([][]float64, len(info.Channels))
		for i := range st.buf {
			st.buf[i] = make([]float64, st.len)
		}
		var t0 int64
		if !info.StartTime.IsZero() {
			t0 = info.StartTime.UnixNano()
		}
		st.chunk = wire.Chunk{
			Session:     spec.Session,
			SampleRate:  info.SampleRate,
			StartTimeNS: t0,
			Channels:    info.Channels,
			Data:        make([][]float32, len(info.Channels)),
		}
		s.open = append(s.open, st)
	}
}

// Read implements Source: the next chunk of the open session that is
// earliest in recording time, after waiting for it under Pace.
func (s *RecordingSource) Read(ctx context.Context) (Message, AckFunc, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Message{}, nil, err
		}
		s.fill()
		if len(s.open) == 0 {
			return Message{}, nil, ErrEndOfInput
		}
		i := 0
		for j, st := range s.open {
			if st.time() < s.open[i].time() {
				i = j
			}
		}
		st := s.open[i]
		if st.pos >= st.info.NSamples {
			st.rec.Close()
			s.open = append(s.open[:i], s.open[i+1:]...)
			continue
		}
		if s.cfg.Pace > 0 {
			due := s.start.Add(time.Duration(st.time() / s.cfg.Pace * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return Message{}, nil, ctx.Err()
				case <-t.C:
				}
			}
		}
		msg, err := s.encode(st)
		if err != nil {
			s.skip(st)
			st.rec.Close()
			s.open = append(s.open[:i], s.open[i+1:]...)
			s.fail(fmt.Errorf("session %s: %w", st.spec.Session, err))
			continue
		}
		return msg, func(error) {}, nil
	}
}

// time is the recording time in seconds at which the stream's next chunk
// ends (when, live, it would be complete).
func (st *recStream) time() float64 {
	return float64(min(st.pos+st.len, st.info.NSamples)) / st.info.SampleRate
}

func (s *RecordingSource) encode(st *recStream) (Message, error) {
	n := min(st.len, st.info.NSamples-st.pos)
	buf := st.buf
	for i := range buf {
		buf[i] = buf[i][:n]
	}
	if err := st.rec.ReadSamples(buf, st.pos, st.pos+n); err != nil {
		return Message{}, fmt.Errorf("%s: samples [%d, %d): %w", st.spec.Name, st.pos, st.pos+n, err)
	}
	c := &st.chunk
	for i, col := range buf {
		d := c.Data[i][:0]
		for _, v := range col {
			d = append(d, float32(v))
		}
		c.Data[i] = d
	}
	c.FirstSample = st.pos
	c.Final = st.pos+n >= st.info.NSamples // the session ends with this chunk
	b, err := s.enc.Encode(nil, c)
	if err != nil {
		return Message{}, fmt.Errorf("%s: encode chunk %d: %w", st.spec.Name, c.Seq, err)
	}
	msg := Message{
		Key:    st.spec.Session,
		Value:  b,
		Origin: fmt.Sprintf("%s chunk %d", st.spec.Name, c.Seq),
		Time:   time.Now(),
	}
	c.Seq++
	s.advance(st, n)
	st.pos += n
	return msg, nil
}

// Close implements Source.
func (s *RecordingSource) Close(context.Context) error {
	for _, st := range s.open {
		st.rec.Close()
	}
	s.open = nil
	return nil
}
