package lslin

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/lsl/lsltest"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// These tests put real liblsl (pylsl, testdata/lsl_source.py) on the
// amplifier's and the stimulus program's side of `ingest lsl`, and read
// what reached Kafka back with the wire decoder.

func ingestConfig(t testing.TB, broker, query string) Config {
	q, err := lsl.Prop("source_id", query)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		LSL:            lsltest.Config(t),
		Query:          q,
		Producer:       pkafka.ProducerConfig{Connection: pkafka.Connection{Brokers: []string{broker}}},
		Topic:          kafkatest.Name(t, "raw"),
		Partitions:     1,
		ResolveTimeout: 20 * time.Second,
		RecoverTimeout: 3 * time.Second,
	}
}

// value is what lsl_source.py pushes as sample k, channel c, converted as
// ingest converts microvolts.
func value(k, c, nch int) float32 {
	return float32(float64(float32(float64(k*nch+c)+0.5)) * 1e-6)
}

// TestPylsl60s: 8 channels × 250 Hz × 60 s from a liblsl outlet at 20×
// real time, with string markers from a liblsl marker stream every half
// second: every sample reaches Kafka exactly once, in µV → V, every marker
// lands on its sample in the stim channel and on the events topic, the
// session ends with a final chunk when the outlet goes away.
func TestPylsl60s(t *testing.T) {
	broker := kafkatest.Broker(t)
	const nch, rate, n, every = 8, 250, 15000, 125
	id := uniqueName("eeg")
	mid := uniqueName("mk")
	labels := []string{"Fp1", "Fp2", "C3", "C4", "P3", "P4", "O1", "O2"}
	py := startPy(t, map[string]any{
		"name": id, "source_id": id, "channels": nch, "rate": rate, "n": n, "pace": 20, "chunk": 10, "labels": labels,
		"markers": map[string]any{"name": mid, "source_id": mid, "format": "string", "every": every, "first": 60, "values": []string{"left", "right", "other"}},
		"linger":  0.5,
	})
	py.expect("ready", 30*time.Second)
	cfg := ingestConfig(t, broker, id)
	mq, _ := lsl.Prop("source_id", mid)
	cfg.Markers = []string{mq}
	cfg.StimCodes = map[string]int{"left": 1, "right": 2}
	cfg.EventsTopic = kafkatest.Name(t, "events")
	run := startIngest(t, cfg)
	py.expect("pushed", 60*time.Second)
	py.expect("closed", 10*time.Second)
	res, err := run.wait(t, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != "stream lost" || !res.Final {
		t.Fatalf("ended %q, final %v", res.Ended, res.Final)
	}
	chunks := readChunks(t, broker, cfg.Topic, 30*time.Second)
	if gaps := checkContinuous(t, chunks); len(gaps) > 0 {
		t.Fatalf("gaps: %v", gaps)
	}
	c0 := chunks[0]
	if !strings.HasPrefix(c0.Session, id+"_") || c0.SampleRate != rate {
		t.Fatalf("session %q, rate %v", c0.Session, c0.SampleRate)
	}
	checkLabels(t, c0, labels, rate)
	if d := time.Since(time.Unix(0, c0.StartTimeNS)); d < 0 || d > 2*time.Minute {
		t.Errorf("start time %v ago", d)
	}
	stim := checkSamples(t, chunks, nch, n)
	checkStim(t, stim, n, every)
	events := readEvents(t, broker, cfg.EventsTopic, n/every, 30*time.Second)
	for i, e := range events {
		k := int64(60 + i*every)
		if e.Session != c0.Session || math.Abs(float64(e.Sample-k)) > 1 || e.Description != []string{"left", "right", "other"}[i%3] {
			t.Errorf("event %d: %+v, want sample %d", i, e, k)
		}
	}
	if res.Late > 0 || res.Dropped > 0 || res.Gaps > 0 {
		t.Errorf("stats %+v", res.Stats)
	}
	t.Logf("%d chunks; stats %+v", len(chunks), res.Stats)
}

// checkLabels checks c's channels: labels' EEG channels in V, then the
// stim channel STI.
func checkLabels(t *testing.T, c wire.Chunk, labels []string, rate float64) {
	t.Helper()
	for i, ch := range c.Channels {
		want := formats.Channel{Label: "STI", Type: formats.Stim, Unit: "NA", SampleRate: rate}
		if i < len(labels) {
			want = formats.Channel{Label: labels[i], Type: formats.EEG, Unit: "V", SampleRate: rate}
		}
		if ch.Label != want.Label || ch.Type != want.Type || ch.Unit != want.Unit {
			t.Errorf("channel %d: %+v, want %+v", i, ch, want)
		}
	}
}

// checkSamples checks that chunks (of at most 0.25 s) carry lsl_source.py's
// n samples of nch channels once each, in order, and returns the stim
// channel's pulses (channel nch) by sample.
func checkSamples(t *testing.T, chunks []wire.Chunk, nch, n int) map[int64]float32 {
	t.Helper()
	seen := 0
	stim := map[int64]float32{}
	for _, c := range chunks {
		if c.Len() > 63 {
			t.Fatalf("chunk of %d rows, over 0.25 s", c.Len())
		}
		for i := range c.Len() {
			k := int(c.FirstSample) + i
			if k != seen {
				t.Fatalf("sample %d where %d was expected", k, seen)
			}
			for ch := range nch {
				if got, want := c.Data[ch][i], value(k, ch, nch); got != want {
					t.Fatalf("sample %d channel %d: %v, want %v", k, ch, got, want)
				}
			}
			if v := c.Data[nch][i]; v != 0 {
				stim[int64(k)] = v
			}
			seen++
		}
	}
	if seen != n {
		t.Fatalf("%d samples, want %d", seen, n)
	}
	return stim
}

// checkStim checks that the markers lsl_source.py sends from sample 60
// on, every every samples, cycling "left", "right", "other", are pulses
// 1 and 2 within a sample of theirs ("other" has no code), and no other.
func checkStim(t *testing.T, stim map[int64]float32, n, every int) {
	t.Helper()
	var want int
	for k := 60; k < n; k += every {
		code := [...]float32{1, 2, 0}[(k/every)%3]
		if code == 0 {
			continue
		}
		want++
		found := false
		for d := int64(-1); d <= 1; d++ {
			if stim[int64(k)+d] == code {
				found = true
			}
		}
		if !found {
			t.Errorf("marker of sample %d (code %v) not within one sample; stim near it: %v %v %v", k, code, stim[int64(k-1)], stim[int64(k)], stim[int64(k+1)])
		}
	}
	if len(stim) != want {
		t.Errorf("%d stim pulses, want %d", len(stim), want)
	}
}

// TestPylslRestart: the liblsl outlet goes away after 500 samples and a
// new one with the same source_id continues: the inlet recovers, every
// sample reaches Kafka once, with no gap (liblsl buffered what the new
// outlet pushed once the inlet was connected).
func TestPylslRestart(t *testing.T) {
	broker := kafkatest.Broker(t)
	const nch, rate, n = 4, 100, 1210 // not a multiple of the chunk: a sample is left for the final mark
	id := uniqueName("restart")
	py := startPy(t, map[string]any{
		"name": id, "source_id": id, "channels": nch, "rate": rate, "n": n, "pace": 4, "chunk": 5,
		"restart_at": 500, "restart_pause": 1.0, "linger": 0.5,
	})
	py.expect("ready", 30*time.Second)
	cfg := ingestConfig(t, broker, id)
	cfg.ChunkSeconds = 0.2
	run := startIngest(t, cfg)
	py.expect("outlet_closed", 60*time.Second)
	py.expect("restarted", 30*time.Second)
	py.expect("pushed", 60*time.Second)
	py.expect("closed", 10*time.Second)
	res, err := run.wait(t, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reconnects < 1 || !res.Final {
		t.Fatalf("reconnects %d, final %v", res.Reconnects, res.Final)
	}
	chunks := readChunks(t, broker, cfg.Topic, 30*time.Second)
	if gaps := checkContinuous(t, chunks); len(gaps) > 0 {
		t.Fatalf("gaps: %v", gaps)
	}
	seen := 0
	for _, c := range chunks {
		for i := range c.Len() {
			k := int(c.FirstSample) + i
			if k != seen || c.Data[0][i] != value(k, 0, nch) {
				t.Fatalf("row %d of chunk %d: sample %d holding %v, want sample %d", i, c.Seq, k, c.Data[0][i], seen)
			}
			seen++
		}
	}
	if seen != n {
		t.Fatalf("%d samples, want %d", seen, n)
	}
}

// TestPylslChangedStream: the outlet comes back with 3 channels instead
// of 4: the ingest stops with lsl.ErrStreamChanged, after publishing what
// it had with the final mark.
func TestPylslChangedStream(t *testing.T) {
	broker := kafkatest.Broker(t)
	id := uniqueName("changed")
	py := startPy(t, map[string]any{
		"name": id, "source_id": id, "channels": 4, "rate": 100, "n": 1000, "pace": 4, "chunk": 5,
		"restart_at": 510, "restart_channels": 3, "restart_pause": 0.5, "linger": 0.5,
	})
	py.expect("ready", 30*time.Second)
	cfg := ingestConfig(t, broker, id)
	cfg.ChunkSeconds = 0.25
	run := startIngest(t, cfg)
	py.expect("outlet_closed", 60*time.Second)
	res, err := run.wait(t, 30*time.Second)
	if !errors.Is(err, lsl.ErrStreamChanged) {
		t.Fatalf("err %v, want lsl.ErrStreamChanged", err)
	}
	chunks := readChunks(t, broker, cfg.Topic, 30*time.Second)
	last := chunks[len(chunks)-1]
	if !res.Final || !last.Final || last.LastSample() != 510 {
		t.Fatalf("final %v, last chunk ends at %d (final %v), want 510", res.Final, last.LastSample(), last.Final)
	}
	checkContinuous(t, chunks)
}
