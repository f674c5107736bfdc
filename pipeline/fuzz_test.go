package pipeline_test

import (
	"context"
	"encoding/binary"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// splitMessages cuts fuzz input into messages: each is a 2-byte
// little-endian length and that many bytes (the last one takes what is
// left).
func splitMessages(b []byte) []pipeline.Message {
	var out []pipeline.Message
	for len(b) >= 2 && len(out) < 64 {
		n := int(binary.LittleEndian.Uint16(b))
		b = b[2:]
		n = min(n, len(b))
		out = append(out, pipeline.Message{Value: b[:n:n], Origin: "fuzz"})
		b = b[n:]
	}
	return out
}

func joinMessages(msgs []pipeline.Message) []byte {
	var b []byte
	for _, m := range msgs {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(m.Value)))
		b = append(b, m.Value...)
	}
	return b
}

// FuzzRunner drives the whole runtime (decoder, validator, sessions,
// windows, a psd stage, session ends) with arbitrary messages: Run must
// return before its deadline whatever they hold, acknowledge every message
// exactly once, and allocate at most a bounded multiple of the input.
func FuzzRunner(f *testing.F) {
	t := &testing.T{}
	good := chunks(t, "s", 6, 50, func(i int, c *wire.Chunk) { c.Final = i == 5 })
	f.Add(joinMessages(good))
	f.Add(joinMessages(chunks(t, "huge", 2, 50, func(i int, c *wire.Chunk) { c.FirstSample = math.MaxInt64 - 200 + int64(i*50) })))
	f.Add(joinMessages(chunks(t, "rate", 3, 40, func(i int, c *wire.Chunk) { c.SampleRate = 99999 })))
	f.Add(joinMessages(append(good[3:], good[:3]...)))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs := splitMessages(b)
		src := &chunkSource{msgs: msgs}
		r, err := pipeline.New(pipeline.Options{
			Source: src, Stages: []pipeline.StageBuilder{psdStage(t)}, Sinks: []pipeline.Sink{newResultSink()},
			DeadLetters: &memDead{}, Window: pipeline.WindowSpec{Length: 64, Hop: 32},
			Logger: quiet, SessionIdle: -1, DrainTimeout: time.Second,
			Limits: wire.Limits{MaxRows: 4096, MaxChannels: 64},
		})
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10 s")
		}
		runtime.ReadMemStats(&after)
		// psd rows per window are bounded by the channels, windows by the
		// samples: allocation stays within a constant times the input.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(2000*len(b))+64<<20 {
			t.Fatalf("%d bytes of input allocated %d bytes", len(b), alloc)
		}
		for i := range msgs {
			if n := len(src.acks[i]); n != 1 {
				t.Fatalf("message %d acknowledged %d times", i, n)
			}
		}
	})
}
