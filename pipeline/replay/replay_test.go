package replay_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkabench"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/replay"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
	"github.com/neurostream/neurostream/simulate/simwrite"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// writeSim writes a simulated 19-channel EDF+ recording of the given
// length with a 1 s seizure at seizureAt (none when 0).
func writeSim(t *testing.T, path string, seed uint64, seconds, seizureAt float64) {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration = seed, seconds
	cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if seizureAt > 0 {
		cfg.Seizures.Enabled, cfg.Seizures.Events = true, []simulate.SeizureEvent{{Onset: seizureAt, Duration: 1}}
	}
	sim, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := simwrite.WriteEDF(path, sim, "test", fmt.Sprintf("replay test seed %d", seed)); err != nil {
		t.Fatal(err)
	}
}

// topic collects every record of some topics in the background.
type topic struct {
	mu   sync.Mutex
	msgs []kafkago.Message
}

func read(t *testing.T, broker string, topics ...string) *topic {
	t.Helper()
	tp := &topic{}
	rc, err := kafkabench.StartConsumer(pkafka.Connection{Brokers: []string{broker}}, topics, func(m *kafkago.Message, _ time.Time) {
		tp.mu.Lock()
		tp.msgs = append(tp.msgs, *m)
		tp.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	return tp
}

func (tp *topic) snapshot() []kafkago.Message {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return slices.Clone(tp.msgs)
}

// waitFor polls cond every 20 ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestReplay: two files of one name in two folders become sessions s and
// s-2; the input topic holds every chunk once, in order, keyed by session;
// the events topic every annotation as JSON, in order; progress off a
// terminal is one line per file.
func TestReplay(t *testing.T) {
	broker := kafkatest.Broker(t)
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "a", "s.edf"), filepath.Join(dir, "b", "s.edf")}
	writeSim(t, files[0], 1, 8, 3)
	writeSim(t, files[1], 2, 8, 5)
	in, events := kafkatest.Name(t, "raw"), kafkatest.Name(t, "events")
	var progress bytes.Buffer
	rp, err := replay.New(replay.Config{
		Connection: pkafka.Connection{Brokers: []string{broker}}, Topic: in, EventsTopic: events, Partitions: 2,
		ChunkSeconds: 0.5, Files: []string{dir}, Progress: &progress, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rp.Recordings()); n != 2 {
		t.Fatalf("%d recordings, want 2", n)
	}
	res, err := rp.Run(t.Context())
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if n := strings.Count(progress.String(), "replayed "); n != 2 || strings.Contains(progress.String(), "\r") {
		t.Errorf("progress off a terminal: want one line per file, got\n%s", progress.String())
	}
	for _, want := range []string{"as session s:", "as session s-2:", "16 chunks, 8.0 s of signal"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	if res.Sessions != 2 || res.Recordings != 2 || res.Chunks != 32 || res.SignalSeconds != 16 || res.Bytes == 0 || len(res.Skipped) != 0 {
		t.Errorf("result %+v", res)
	}
	if s := res.String(); !strings.HasPrefix(s, "replayed 2 of 2 sessions: 32 chunks, 16.0 s of signal") {
		t.Errorf("summary: %s", s)
	}

	checkChunks(t, read(t, broker, in))
	checkEvents(t, read(t, broker, events), files, res)
}

// checkChunks checks TestReplay's input topic: 16 chunks of 128 samples
// per session, in order, keyed by session.
func checkChunks(t *testing.T, chunks *topic) {
	t.Helper()
	waitFor(t, 10*time.Second, "32 chunks", func() bool { return len(chunks.snapshot()) >= 32 })
	dec := wire.NewDecoder(memory.DefaultAllocator)
	var c wire.Chunk
	next := map[string]int64{}
	for _, m := range chunks.snapshot() {
		if err := dec.Decode(&c, m.Value); err != nil {
			t.Fatalf("%s/%d@%d: %v", m.Topic, m.Partition, m.Offset, err)
		}
		if string(m.Key) != c.Session || c.FirstSample != next[c.Session] || c.Len() != 128 || len(c.Channels) != 19 || c.SampleRate != 256 {
			t.Errorf("chunk key %q: session %s first sample %d (want %d), %d samples, %d channels, %g Hz",
				m.Key, c.Session, c.FirstSample, next[c.Session], c.Len(), len(c.Channels), c.SampleRate)
		}
		next[c.Session] += int64(c.Len())
	}
	if len(next) != 2 || next["s"] != 2048 || next["s-2"] != 2048 {
		t.Errorf("samples per session %v, want s and s-2 with 2048 each", next)
	}

}

// checkEvents checks TestReplay's events topic: every annotation of each
// file, in order, keyed by session, and the result's count of them.
func checkEvents(t *testing.T, ev *topic, files []string, res replay.Result) {
	t.Helper()
	want := map[string][]replay.Event{}
	nev := 0
	for i, f := range files {
		rec, err := open.File(f, open.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sess := []string{"s", "s-2"}[i]
		for _, a := range rec.Info().Annotations {
			want[sess] = append(want[sess], replay.Event{Session: sess, Onset: a.Onset, Duration: a.Duration, Description: a.Description, Sample: int64(math.Round(a.Onset * 256))})
			nev++
		}
		rec.Close()
	}
	if res.Events != int64(nev) || !strings.HasSuffix(res.String(), fmt.Sprintf("; %d events to %s", nev, res.EventsTopic)) {
		t.Errorf("result counts %d events, want %d: %s", res.Events, nev, res)
	}
	waitFor(t, 10*time.Second, fmt.Sprintf("%d events", nev), func() bool { return len(ev.snapshot()) >= nev })
	time.Sleep(200 * time.Millisecond)
	got := map[string][]replay.Event{}
	for _, m := range ev.snapshot() {
		var e replay.Event
		if err := json.Unmarshal(m.Value, &e); err != nil {
			t.Fatalf("event %s: %v", m.Value, err)
		}
		if string(m.Key) != e.Session {
			t.Errorf("event key %q, session %q", m.Key, e.Session)
		}
		got[e.Session] = append(got[e.Session], e)
	}
	for s, w := range want {
		if !slices.Equal(got[s], w) {
			t.Errorf("session %s events\n got %+v\nwant %+v", s, got[s], w)
		}
	}
	if !slices.ContainsFunc(got["s"], func(e replay.Event) bool { return e.Description == "seizure" && e.Onset == 3 && e.Sample == 768 }) {
		t.Errorf("no seizure event at 3 s in %+v", got["s"])
	}
	if len(got) != len(want) {
		t.Errorf("events of sessions %v", slices.Collect(maps.Keys(got)))
	}
}

// TestReplayPace: at pace 4 a 6 s recording takes 1.5 s, and the event at
// 4 s is published with the chunk that reaches it, about 1 s after the
// first chunk.
func TestReplayPace(t *testing.T) {
	broker := kafkatest.Broker(t)
	f := filepath.Join(t.TempDir(), "paced.edf")
	cfg := simulate.DefaultConfig()
	cfg.Duration, cfg.Blinks.Enabled = 6, false
	cfg.Seizures.Enabled, cfg.Seizures.Events = true, []simulate.SeizureEvent{{Onset: 4, Duration: 1}}
	sim, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := simwrite.WriteEDF(f, sim, "test", "paced"); err != nil {
		t.Fatal(err)
	}
	sim.Close()
	in, events := kafkatest.Name(t, "raw"), kafkatest.Name(t, "events")
	rp, err := replay.New(replay.Config{Connection: pkafka.Connection{Brokers: []string{broker}}, Topic: in, EventsTopic: events, Pace: 4, Files: []string{f}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := rp.Run(t.Context()); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if el := time.Since(t0); el < 1400*time.Millisecond {
		t.Errorf("a 6 s recording at pace 4 replayed in %v", el)
	}
	chunks, ev := read(t, broker, in), read(t, broker, events)
	waitFor(t, 10*time.Second, "chunks and event", func() bool { return len(chunks.snapshot()) >= 24 && len(ev.snapshot()) >= 1 })
	first := chunks.snapshot()[0].Time
	for _, m := range chunks.snapshot() {
		if m.Time.Before(first) {
			first = m.Time
		}
	}
	// The chunk ending at 4.25 s is due (4.25−0.25)/4 = 1 s after the
	// first one.
	if d := ev.snapshot()[0].Time.Sub(first); d < 750*time.Millisecond || d > 2*time.Second {
		t.Errorf("event at 4 s published %v after the first chunk, want about 1 s", d)
	}
}

// TestSkipped: a file that cannot be read is skipped, the others are
// replayed, and the error says how many were skipped.
func TestSkipped(t *testing.T) {
	broker := kafkatest.Broker(t)
	dir := t.TempDir()
	writeSim(t, filepath.Join(dir, "good.edf"), 1, 2, 0)
	os.WriteFile(filepath.Join(dir, "bad.edf"), []byte("not an EDF file"), 0o644)
	rp, err := replay.New(replay.Config{Connection: pkafka.Connection{Brokers: []string{broker}}, Topic: kafkatest.Name(t, "raw"), Files: []string{dir}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rp.Run(t.Context())
	if err == nil || err.Error() != "1 of 2 recordings could not be replayed" {
		t.Errorf("error %v, want 1 of 2 recordings skipped", err)
	}
	if res.Sessions != 1 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error(), "bad.edf") {
		t.Errorf("result %+v", res)
	}
}

func TestConfig(t *testing.T) {
	ok := replay.Config{Topic: "t", Files: []string{"x"}}
	for _, tc := range []struct {
		edit func(*replay.Config)
		want string
	}{
		{func(c *replay.Config) { c.Topic = "" }, "replay: Topic: empty"},
		{func(c *replay.Config) { c.Pace = -1 }, "replay: Pace: want 0 (as fast as possible) or a positive speed-up, got -1"},
		{func(c *replay.Config) { c.ChunkSeconds = math.NaN() }, "replay: ChunkSeconds: want a positive duration, got NaN"},
		{func(c *replay.Config) { c.Files = nil }, "replay: Files: none"},
	} {
		c := ok
		tc.edit(&c)
		if err := c.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestParseStimEvents(t *testing.T) {
	got, err := replay.ParseStimEvents([]string{"2=2", "left hand=7"})
	if err != nil || !maps.Equal(got, map[string]int{"2": 2, "left hand": 7}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"2", "=3", "a=0", "a=x", "a=-1"} {
		if _, err := replay.ParseStimEvents([]string{bad}); err == nil || !strings.Contains(err.Error(), "want DESCRIPTION=CODE") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

// TestReplayChannelFiles: with ChannelFiles a folder of one-channel text
// files is one recording, one session named by the folder, its channels
// the files in name order (named by Text.Labels); its README is not read.
func TestReplayChannelFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ch1.inp", "ch2.inp", "README.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("1.5\n", 300)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := replay.New(replay.Config{Topic: "t", Files: []string{filepath.Dir(dir)}, ChannelFiles: "ch*.inp",
		Text: text.Options{SampleRate: 100, Labels: []string{"Fp1", "Fp2"}}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	specs := rp.Recordings()
	if len(specs) != 1 || specs[0].Session != "rec01" || specs[0].Name != dir {
		t.Fatalf("recordings %+v, want the folder rec01 alone", specs)
	}
	rec, err := specs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if info := rec.Info(); len(info.Channels) != 2 || info.Channels[1].Label != "Fp2" || info.NSamples != 300 {
		t.Errorf("recording: %d channels (%+v), %d samples; want Fp1, Fp2 and 300", len(info.Channels), info.Channels, info.NSamples)
	}
}
