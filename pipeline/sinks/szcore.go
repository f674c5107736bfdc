package sinks

import (
	"context"
	"crypto/sha256"
	"fmt"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/internal/resultcols"
)

// SzCORESink writes each session's seizure events as an SzCORE annotation
// file (formats/szcore), the hypothesis file `neurostream score` and
// szcore-evaluation compare with a reference. It reads the seizure stage's
// event rows and writes a session's file when its end row arrives, i.e.
// when a finite input ends: one "sz" row per event (onset, duration,
// confidence, channels), or one "bckg" row spanning the recording when
// there was none, each with the recording's start time (when the stream
// carries one) and duration. Sessions that never end (Kafka) get no file.
//
// A session id made of BIDS entities (sub-01_ses-02_task-x_run-00, as
// formats/bids names sessions) is written at the BIDS path
// sub-01/ses-02/eeg/sub-01_ses-02_task-x_run-00_events.tsv, so the output
// folder mirrors the reference dataset; any other id goes to
// <session>_events.tsv. A file is written as PATH.partial and renamed when
// complete.
type SzCORESink struct {
	dir string

	mu      sync.Mutex
	events  map[string][]szcore.Event
	written []string
}

// NewSzCORESink writes under dir, creating it.
func NewSzCORESink(dir string) (*SzCORESink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("szcore output: %w", err)
	}
	return &SzCORESink{dir: dir, events: map[string][]szcore.Event{}}, nil
}

// Write implements the pipeline's Sink.
func (s *SzCORESink) Write(_ context.Context, results []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range results {
		if r.Kind != arrowout.KindSeizure || r.Record == nil {
			continue
		}
		c := resultcols.New(r.Record, string(r.Kind))
		rt, on, off := c.Strings("row_type"), c.Floats("onset_seconds"), c.Floats("offset_seconds")
		conf, chans := c.Floats("confidence"), c.StringLists("channels")
		if err := c.Err(); err != nil {
			return fmt.Errorf("szcore output: %w", err)
		}
		for i := range int(r.Record.NumRows()) {
			switch rt(i) {
			case arrowout.SeizureRowEvent:
				e := szcore.Event{
					Onset: on(i), Duration: off(i) - on(i), EventType: "sz",
					Confidence: conf(i), RecordingDuration: math.NaN(), Channels: chans(i),
				}
				s.events[r.Key.Session] = append(s.events[r.Key.Session], e)
			case arrowout.SeizureRowEnd:
				if err := s.finish(r.Key, off(i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// finish writes session k.Session's file; k is its end row's key.
func (s *SzCORESink) finish(k arrowout.WindowKey, duration float64) error {
	evs := s.events[k.Session]
	delete(s.events, k.Session)
	if len(evs) == 0 {
		evs = []szcore.Event{{Duration: duration, EventType: szcore.Background, Confidence: math.NaN()}}
	}
	// The end row's time is that of the sample after the last; a stream
	// without a start time counts from the unix epoch (n/a).
	var start time.Time
	if t0 := k.StartTimeNS - int64(math.Round(duration*1e9)); t0 != 0 {
		start = time.Unix(0, t0).UTC().Truncate(time.Second)
	}
	for i := range evs {
		evs[i].RecordingDuration, evs[i].DateTime = duration, start
	}
	path := filepath.Join(s.dir, szcorePath(k.Session))
	if rel, err := filepath.Rel(s.dir, path); err != nil || !filepath.IsLocal(rel) {
		return fmt.Errorf("szcore output: session %q: file %s would leave %s", k.Session, path, s.dir) // szcorePath prevents it
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("szcore output: %w", err)
	}
	if err := writeAtomic(path, func(f *os.File) error { return szcore.Write(f, evs) }); err != nil {
		return fmt.Errorf("szcore output: session %s: %w", k.Session, err)
	}
	s.written = append(s.written, path)
	return nil
}

// writeAtomic writes path as PATH.partial, syncs it and renames it, so
// that path is either the whole new file or what it was before (a killed
// run, or a write that fails, never leaves a truncated file there).
func writeAtomic(path string, write func(*os.File) error) error {
	tmp := path + extPartial
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

var bidsSession = regexp.MustCompile(`^(sub-[A-Za-z0-9]+)(?:_(ses-[A-Za-z0-9]+))?(?:_[a-z]+-[A-Za-z0-9]+)*$`)

// szcorePath is a session's annotation file relative to the output folder.
// A session id is data (a Kafka key, wire metadata, a file name), so a
// name that is not BIDS is made a safe single file name: any byte other
// than ASCII letters, digits, '-', '_' and '.' becomes '_', a leading '.'
// is prefixed with '_' (no "..", no hidden file), and a changed name gets
// the first 8 bytes of its SHA-256 in hex, so two ids never share a file.
func szcorePath(session string) string {
	m := bidsSession.FindStringSubmatch(session)
	if m == nil {
		return safeFileName(session) + "_events.tsv"
	}
	dir := []string{m[1]}
	if m[2] != "" {
		dir = append(dir, m[2])
	}
	dir = append(dir, "eeg", session+"_events.tsv")
	return filepath.Join(dir...)
}

// Files returns the annotation files written so far.
func (s *SzCORESink) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.written...)
}

// Unfinished lists sessions that had events but never ended (a stopped
// run, a Kafka source): no file was written for them, their duration being
// unknown.
func (s *SzCORESink) Unfinished() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.events {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Report writes how many annotation files the sink wrote, and the
// sessions that had events but no file (Unfinished).
func (s *SzCORESink) Report(w io.Writer) {
	fmt.Fprintf(w, "wrote %d SzCORE annotation files under %s\n", len(s.Files()), s.dir)
	if u := s.Unfinished(); len(u) > 0 {
		fmt.Fprintf(w, "no SzCORE file for %d sessions that did not end: %s\n", len(u), strings.Join(u, ", "))
	}
}

// Close implements the pipeline's Sink.
func (s *SzCORESink) Close() error { return nil }

// safeFileName returns name as one file name that cannot leave its folder
// (see szcorePath).
func safeFileName(name string) string {
	b := []byte(name)
	changed := len(b) == 0
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i], changed = '_', true
		}
	}
	if len(b) == 0 || b[0] == '.' {
		b, changed = append([]byte{'_'}, b...), true
	}
	if len(b) > 120 {
		b, changed = b[:120], true
	}
	if changed {
		sum := sha256.Sum256([]byte(name))
		b = fmt.Appendf(b, "-%x", sum[:8])
	}
	return string(b)
}
