package sinks

import (
	"context"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats/szcore"
)

// TestSzCORESink: events then the end row give one sz row per event with
// the recording's start and duration; a session without events gets one
// bckg row spanning it; BIDS-named sessions go to their BIDS path; a
// session that never ends is listed, not written.
func TestSzCORESink(t *testing.T) {
	dir := t.TempDir()
	s, err := NewSzCORESink(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	key := func(session string, seconds float64) arrowout.WindowKey {
		return arrowout.WindowKey{Session: session, Window: int64(seconds), StartSample: int64(seconds * 256), StartTimeNS: t0 + int64(seconds*1e9)}
	}
	rows := arrowout.NewSeizureRows(nil)
	write := func(k arrowout.WindowKey, f func(arrowout.WindowKey)) {
		rows.Reserve(2, 1, 2, 4)
		f(k)
		rec := rows.Flush()
		defer rec.Release()
		if err := s.Write(context.Background(), []arrowout.Result{{Kind: arrowout.KindSeizure, Key: k, Record: rec}}); err != nil {
			t.Fatal(err)
		}
	}
	write(key("rec-a", 150), func(k arrowout.WindowKey) {
		rows.AppendEvent(k, arrowout.SeizureEvent{Onset: 100, Offset: 140, Confidence: 0.9}, []string{"T3", "T5"})
	})
	write(key("rec-a", 350), func(k arrowout.WindowKey) {
		rows.AppendEvent(k, arrowout.SeizureEvent{Onset: 300, Offset: 310.5, Confidence: 0.75}, []string{"T3", "T5"})
	})
	write(key("rec-a", 600), func(k arrowout.WindowKey) { rows.AppendEnd(k, 600, 153600, 0) })
	write(key("sub-01_ses-02_task-x_run-00", 60), func(k arrowout.WindowKey) { rows.AppendEnd(k, 60, 15360, 0) })
	write(key("open", 50), func(k arrowout.WindowKey) {
		rows.AppendEvent(k, arrowout.SeizureEvent{Onset: 10, Offset: 40, Confidence: 0.8}, nil)
	})

	got, err := szcore.ReadFile(filepath.Join(dir, "rec-a_events.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Onset != 100 || got[0].Duration != 40 || got[0].EventType != "sz" || got[0].Confidence != 0.9 ||
		len(got[0].Channels) != 2 || got[1].Duration != 10.5 || got[1].RecordingDuration != 600 ||
		!got[1].DateTime.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("rec-a: %+v", got)
	}
	bids, err := szcore.ReadFile(filepath.Join(dir, "sub-01", "ses-02", "eeg", "sub-01_ses-02_task-x_run-00_events.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bids) != 1 || bids[0].EventType != szcore.Background || bids[0].Duration != 60 || !math.IsNaN(bids[0].Confidence) {
		t.Errorf("seizure-free session: %+v", bids)
	}
	if u := s.Unfinished(); len(u) != 1 || u[0] != "open" || len(s.Files()) != 2 {
		t.Errorf("unfinished %v, files %v", u, s.Files())
	}
	var report strings.Builder
	s.Report(&report)
	if want := "wrote 2 SzCORE annotation files under " + dir + "\nno SzCORE file for 1 sessions that did not end: open\n"; report.String() != want {
		t.Errorf("report %q, want %q", report.String(), want)
	}
}

// TestSzCORESinkAtomic: a session's file is replaced whole or not at all:
// a write that fails (a channel label with a tab) leaves the file that was
// there, and no .partial file.
func TestSzCORESinkAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec-a_events.tsv")
	old := []szcore.Event{{Duration: 60, EventType: szcore.Background, Confidence: math.NaN(), RecordingDuration: 60}}
	if err := szcore.WriteFile(path, old); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSzCORESink(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := arrowout.NewSeizureRows(nil)
	k := arrowout.WindowKey{Session: "rec-a", Window: 50}
	rows.AppendEvent(k, arrowout.SeizureEvent{Onset: 10, Offset: 40, Confidence: 0.8}, []string{"T3\tT5"})
	rows.AppendEnd(k, 60, 15360, 0)
	rec := rows.Flush()
	defer rec.Release()
	if err := s.Write(context.Background(), []arrowout.Result{{Kind: arrowout.KindSeizure, Key: k, Record: rec}}); err == nil {
		t.Fatal("a channel label with a tab was written")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("the failed write changed the file:\n%q\nwas\n%q", after, before)
	}
	if _, err := os.Stat(path + ".partial"); err == nil {
		t.Error("a .partial file was left")
	}
}

// TestSzCORESinkHostileSessions: session ids are data (Kafka keys, wire
// metadata): none can make the sink write outside its folder, and ids
// that sanitise alike still get files of their own.
func TestSzCORESinkHostileSessions(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	s, err := NewSzCORESink(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := arrowout.NewSeizureRows(nil)
	hostile := []string{"../../escaped", "a/../../b", "/etc/passwd", "..", ".", ".hidden", "nul\x00byte", "ctl\n\r\tx",
		"a/b", "a_b", "sub-01/../../x", `..\..\win`, "", "ünïcødé"}
	for _, id := range hostile {
		k := arrowout.WindowKey{Session: id, Window: 10, StartSample: 2560, StartTimeNS: 1e18}
		rows.Reserve(1, 0, 0, 0)
		rows.AppendEnd(k, 10, 2560, 0)
		rec := rows.Flush()
		err := s.Write(context.Background(), []arrowout.Result{{Kind: arrowout.KindSeizure, Key: k, Record: rec}})
		rec.Release()
		if err != nil {
			t.Fatalf("session %q: %v", id, err)
		}
	}
	files := s.Files()
	if len(files) != len(hostile) {
		t.Fatalf("%d files for %d sessions: %q", len(files), len(hostile), files)
	}
	seen := map[string]bool{}
	for _, f := range files {
		rel, err := filepath.Rel(dir, f)
		if err != nil || !filepath.IsLocal(rel) || seen[f] {
			t.Errorf("file %s: outside %s or written twice", f, dir)
		}
		seen[f] = true
	}
	// Nothing appeared beside the output folder.
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("the sink wrote beside its folder: %v", entries)
	}
}
