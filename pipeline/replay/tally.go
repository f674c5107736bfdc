package replay

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/neurostream/neurostream/internal/progress"
)

// tally counts what a replay acknowledged and reports it: a bar, or one
// line per finished recording.
type tally struct {
	rep   *progress.Reporter
	total int

	mu       sync.Mutex
	sessions []*Session
	seen     map[*Session]bool
	done     int
	chunks   int64
	bytes    int64
	events   int64
	seconds  float64
	t0       time.Time
}

func newTally(w io.Writer, lines bool, total int) *tally {
	t := &tally{total: total, seen: map[*Session]bool{}, t0: time.Now()}
	if w == nil {
		return t
	}
	mode := progress.Auto
	if lines {
		mode = progress.Lines
	}
	t.rep = progress.New(w, progress.Config{Mode: mode, Poll: t.poll})
	return t
}

func (t *tally) event(s *Session) {
	t.mu.Lock()
	s.events++
	t.events++
	t.mu.Unlock()
}

// chunk counts an acknowledged chunk of n samples; last says it ended the
// recording.
func (t *tally) chunk(s *Session, n, bytes int64, last bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.seen[s] {
		t.seen[s] = true
		t.sessions = append(t.sessions, s)
	}
	s.chunks++
	s.acked += n
	t.chunks++
	t.bytes += bytes
	t.seconds += float64(n) / s.Info.SampleRate
	if last && !s.done {
		s.done = true
		t.done++
		t.rep.Item("replayed %s as session %s: %d chunks, %.1f s of signal, %d events (%d/%d files, %.1f s)",
			s.Name, s.ID, s.chunks, float64(s.acked)/s.Info.SampleRate, s.events, t.done, t.total, time.Since(t.t0).Seconds())
	}
}

// poll is the bar's progress in per mille of the recordings, and its
// status.
func (t *tally) poll() (int64, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var frac float64
	for _, s := range t.sessions {
		if s.done {
			frac++
		} else if s.Info.NSamples > 0 {
			frac += float64(s.acked) / float64(s.Info.NSamples)
		}
	}
	if t.total > 0 {
		frac /= float64(t.total)
	}
	el := time.Since(t.t0).Seconds()
	status := fmt.Sprintf("%d/%d sessions  %d chunks  %.1f s signal  %.0f chunks/s  %.1f MB/s",
		t.done, t.total, t.chunks, t.seconds, float64(t.chunks)/el, float64(t.bytes)/1e6/el)
	if t.events > 0 {
		status += fmt.Sprintf("  %d events", t.events)
	}
	return int64(1000*frac + 0.5), status
}

func (t *tally) close() { t.rep.Close() }

// fill copies the counts into res.
func (t *tally) fill(res *Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	res.Sessions, res.Bytes, res.Events, res.SignalSeconds = t.done, t.bytes, t.events, t.seconds
}
