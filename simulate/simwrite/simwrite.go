// Package simwrite writes simulated sessions to files: EDF+ recordings,
// wire chunk files (the bytes a Kafka producer sends) and SzCORE
// annotation files of their seizures, for `neurostream simulate`, the demo
// and tests. The writers take any formats.Recording.
package simwrite

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/internal/fileio"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
)

// Output says where a simulated session goes: EDF or ChunkDir, and
// optionally SeizureTSV.
type Output struct {
	// EDF, when set, is the EDF+ file to write (16-bit, µV, 1 s data
	// records).
	EDF string
	// ChunkDir, when set, is the folder for wire chunk files, one Arrow
	// IPC stream per chunk (SESSION-SEQ.arrows).
	ChunkDir string
	// Session is the session id the chunks carry. Default: "sim"
	Session string
	// ChunkSeconds is the chunk duration. Default: 0.25
	ChunkSeconds float64
	// SeizureTSV, when set, is the SzCORE annotation file of the
	// simulated seizures (WriteSeizureTSV).
	SeizureTSV string
}

// Written is what Write wrote.
type Written struct {
	Output
	// Info is the simulated session's.
	Info *formats.Info
	// Seizures written to SeizureTSV; Chunks written to ChunkDir.
	Seizures, Chunks int
}

// WriteText writes one line per file written, as `neurostream simulate`
// prints them.
func (w *Written) WriteText(out io.Writer) {
	if w.SeizureTSV != "" {
		fmt.Fprintf(out, "wrote %s: %d seizures\n", w.SeizureTSV, w.Seizures)
	}
	if w.EDF != "" {
		fmt.Fprintf(out, "wrote %s: %d channels, %g s at %g Hz, %d annotations\n", w.EDF, len(w.Info.Channels), w.Info.Duration(), w.Info.SampleRate, len(w.Info.Annotations))
	}
	if w.ChunkDir != "" {
		fmt.Fprintf(out, "wrote %d chunks of session %s to %s\n", w.Chunks, w.Session, w.ChunkDir)
	}
}

// Write simulates cfg and writes the session to out. The EDF+ file's
// recording field names the seed.
func Write(cfg simulate.Config, out Output) (*Written, error) {
	if (out.EDF == "") == (out.ChunkDir == "") {
		return nil, fmt.Errorf("simwrite: want exactly one of Output.EDF and Output.ChunkDir")
	}
	if out.Session == "" {
		out.Session = "sim"
	}
	if out.ChunkSeconds == 0 {
		out.ChunkSeconds = 0.25
	}
	sim, err := simulate.New(cfg)
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	w := &Written{Output: out, Info: sim.Info()}
	if out.SeizureTSV != "" {
		if w.Seizures, err = WriteSeizureTSV(out.SeizureTSV, sim.Info()); err != nil {
			return nil, err
		}
	}
	if out.EDF != "" {
		return w, WriteEDF(out.EDF, sim, "simulated", fmt.Sprintf("neurostream simulate seed %d", cfg.Seed))
	}
	w.Chunks, err = WriteChunks(out.ChunkDir, out.Session, sim, out.ChunkSeconds)
	return w, err
}

// ParseSeizures parses ONSET:DURATION pairs in seconds ("120:40").
func ParseSeizures(pairs []string) ([]simulate.SeizureEvent, error) {
	var evs []simulate.SeizureEvent
	for _, s := range pairs {
		on, dur, ok := strings.Cut(s, ":")
		o, err1 := strconv.ParseFloat(on, 64)
		d, err2 := strconv.ParseFloat(dur, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q: want ONSET:DURATION in seconds, e.g. 120:40", s)
		}
		evs = append(evs, simulate.SeizureEvent{Onset: o, Duration: d})
	}
	return evs, nil
}

// WriteSeizureTSV writes the "seizure" annotations of a recording as an
// SzCORE annotation file (one bckg row when there are none) and returns
// how many seizures it wrote.
func WriteSeizureTSV(path string, info *formats.Info) (int, error) {
	var evs []szcore.Event
	for _, a := range info.Annotations {
		if a.Description == "seizure" {
			evs = append(evs, szcore.Event{Onset: a.Onset, Duration: a.Duration, EventType: "sz", Confidence: math.NaN()})
		}
	}
	n := len(evs)
	if n == 0 {
		evs = []szcore.Event{{Duration: info.Duration(), EventType: szcore.Background, Confidence: math.NaN()}}
	}
	for i := range evs {
		evs[i].RecordingDuration, evs[i].DateTime = info.Duration(), info.StartTime.UTC().Truncate(time.Second)
	}
	return n, szcore.WriteFile(path, evs)
}

// WriteEDF writes rec as EDF+C with 1 s data records, making path's
// folder when missing.
func WriteEDF(path string, rec formats.Recording, patient, recording string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return fileio.WriteFile(path, func(w io.Writer) error {
		return edf.WriteRecording(w, rec, edf.WriteOptions{Patient: patient, Recording: recording, RecordDuration: 1})
	})
}

// WriteChunks writes rec as wire chunk files dir/SESSION-SEQ.arrows of
// seconds each and returns how many it wrote.
func WriteChunks(dir, session string, rec formats.Recording, seconds float64) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	in := rec.Info()
	n := max(1, int64(seconds*in.SampleRate+0.5))
	c := wire.Chunk{Session: session, SampleRate: in.SampleRate, Channels: in.Channels, Data: make([][]float32, len(in.Channels))}
	if !in.StartTime.IsZero() {
		c.StartTimeNS = in.StartTime.UnixNano()
	}
	buf := make([][]float64, len(in.Channels))
	for i := range buf {
		buf[i] = make([]float64, n)
	}
	enc := wire.NewEncoder(memory.DefaultAllocator)
	var b []byte
	count := 0
	for start := int64(0); start < in.NSamples; start += n {
		stop := min(start+n, in.NSamples)
		for i := range buf {
			buf[i] = buf[i][:stop-start]
		}
		if err := rec.ReadSamples(buf, start, stop); err != nil {
			return count, err
		}
		for i, col := range buf {
			c.Data[i] = c.Data[i][:0]
			for _, v := range col {
				c.Data[i] = append(c.Data[i], float32(v))
			}
		}
		c.FirstSample = start
		c.Final = stop == in.NSamples
		var err error
		// Encode appends: each file holds its own chunk only.
		if b, err = enc.Encode(b[:0], &c); err != nil {
			return count, err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%06d.arrows", session, c.Seq)), b, 0o644); err != nil {
			return count, err
		}
		c.Seq++
		count++
	}
	return count, nil
}
