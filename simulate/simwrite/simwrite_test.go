package simwrite

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
)

func config(seconds float64, seizures ...simulate.SeizureEvent) simulate.Config {
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration = 3, seconds
	cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg.Montage.Channels = 4
	cfg.Seizures.Enabled, cfg.Seizures.Events = len(seizures) > 0, seizures
	return cfg
}

// TestWriteChunks: the chunk files hold every sample of the session, in
// order, as float32, the last one final and shorter.
func TestWriteChunks(t *testing.T) {
	dir := t.TempDir()
	w, err := Write(config(1.1), Output{ChunkDir: dir, Session: "s01", ChunkSeconds: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	if w.Chunks != 5 {
		t.Fatalf("%d chunks of 1.1 s in 0.25 s chunks, want 5", w.Chunks)
	}
	sim, err := simulate.New(config(1.1))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	want := make([][]float64, 4)
	for i := range want {
		want[i] = make([]float64, sim.Info().NSamples)
	}
	if err := sim.ReadSamples(want, 0, sim.Info().NSamples); err != nil {
		t.Fatal(err)
	}
	dec := wire.NewDecoder(memory.DefaultAllocator)
	var c wire.Chunk
	var next int64
	for seq := range 5 {
		b, err := os.ReadFile(filepath.Join(dir, "s01-00000"+string(rune('0'+seq))+".arrows"))
		if err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(&c, b); err != nil {
			t.Fatal(err)
		}
		if c.Session != "s01" || c.FirstSample != next || c.Seq != int64(seq) || c.Final != (seq == 4) || c.StartTimeNS != sim.Info().StartTime.UnixNano() {
			t.Errorf("chunk %d: session %s first %d seq %d final %v", seq, c.Session, c.FirstSample, c.Seq, c.Final)
		}
		for ch := range want {
			for i, v := range c.Data[ch] {
				if v != float32(want[ch][next+int64(i)]) {
					t.Fatalf("chunk %d channel %d sample %d: %v, want %v", seq, ch, i, v, float32(want[ch][next+int64(i)]))
				}
			}
		}
		next += int64(c.Len())
	}
	if next != sim.Info().NSamples || c.Len() != int(sim.Info().NSamples-4*64) {
		t.Errorf("%d samples in the chunks, last of %d, want %d", next, c.Len(), sim.Info().NSamples)
	}
	var out bytes.Buffer
	w.WriteText(&out)
	if got := out.String(); got != "wrote 5 chunks of session s01 to "+dir+"\n" {
		t.Errorf("text %q", got)
	}
}

// TestWriteEDF: the EDF+ file has the session's channels, length and
// annotations, and the SzCORE file its seizures, or one background row.
func TestWriteEDF(t *testing.T) {
	dir := t.TempDir()
	out := Output{EDF: filepath.Join(dir, "sub", "s.edf"), SeizureTSV: filepath.Join(dir, "s.tsv")}
	w, err := Write(config(30, simulate.SeizureEvent{Onset: 5, Duration: 10}, simulate.SeizureEvent{Onset: 20, Duration: 5}), out)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := edf.Open(out.EDF)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if in := rec.Info(); len(in.Channels) != 4 || in.Duration() != 30 || len(in.Annotations) != len(w.Info.Annotations) {
		t.Errorf("EDF: %d channels, %g s, %d annotations", len(in.Channels), in.Duration(), len(in.Annotations))
	}
	evs, err := szcore.ReadFile(out.SeizureTSV)
	if err != nil {
		t.Fatal(err)
	}
	if w.Seizures != 2 || len(evs) != 2 || evs[0].Onset != 5 || evs[0].Duration != 10 || evs[1].EventType != "sz" || evs[1].RecordingDuration != 30 {
		t.Errorf("%d seizures written: %+v", w.Seizures, evs)
	}
	var text bytes.Buffer
	w.WriteText(&text)
	if want := "wrote " + out.SeizureTSV + ": 2 seizures\nwrote " + out.EDF + ": 4 channels, 30 s at 256 Hz, "; !strings.HasPrefix(text.String(), want) {
		t.Errorf("text %q, want it to start %q", text.String(), want)
	}

	n, err := WriteSeizureTSV(out.SeizureTSV, w.Info)
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	sim, _ := simulate.New(config(30))
	defer sim.Close()
	if n, err := WriteSeizureTSV(out.SeizureTSV, sim.Info()); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if evs, err := szcore.ReadFile(out.SeizureTSV); err != nil || len(evs) != 1 || evs[0].EventType != szcore.Background || evs[0].Duration != 30 {
		t.Errorf("no seizures: %+v, %v", evs, err)
	}
}

func TestWriteOutput(t *testing.T) {
	for _, out := range []Output{{}, {EDF: "a.edf", ChunkDir: "c"}} {
		if _, err := Write(config(1), out); err == nil || !strings.Contains(err.Error(), "exactly one of") {
			t.Errorf("%+v: error %v", out, err)
		}
	}
}

func TestParseSeizures(t *testing.T) {
	got, err := ParseSeizures([]string{"120:40", "5.5:1"})
	if err != nil || len(got) != 2 || got[0] != (simulate.SeizureEvent{Onset: 120, Duration: 40}) || got[1] != (simulate.SeizureEvent{Onset: 5.5, Duration: 1}) {
		t.Errorf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"120", "a:1", "1:b", ""} {
		if _, err := ParseSeizures([]string{bad}); err == nil || !strings.Contains(err.Error(), "want ONSET:DURATION") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}
