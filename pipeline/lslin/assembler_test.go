package lslin

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// fakeClock is the LSL clock and a wall clock that follows it.
type fakeClock struct{ t float64 }

func (f *fakeClock) local() float64 { return f.t }
func (f *fakeClock) now() time.Time {
	return time.Unix(1_700_000_000, 0).Add(time.Duration(f.t * float64(time.Second)))
}

// asmRun feeds an assembler and decodes, validates and keeps what it
// emits.
type asmRun struct {
	t      *testing.T
	clk    *fakeClock
	a      *assembler
	dec    *wire.Decoder
	val    *wire.Validator
	chunks []wire.Chunk
	gaps   []string
	events []Event
}

func newAsmRun(t *testing.T, rate float64, chunkLen int64, stim bool, delay time.Duration) *asmRun {
	r := &asmRun{t: t, clk: &fakeClock{t: 5000}, dec: wire.NewDecoder(memory.DefaultAllocator), val: wire.NewValidator(wire.Reject)}
	chans := []formats.Channel{{Label: "Fz", Type: formats.EEG, Unit: "V"}, {Label: "Cz", Type: formats.EEG, Unit: "V"}}
	if stim {
		chans = append(chans, formats.Channel{Label: "STI", Type: formats.Stim, Unit: "NA"})
	}
	r.a = newAssembler(asmConfig{
		rate: rate, chunkLen: chunkLen, channels: chans, stim: stim,
		gapThr: max(0.1, 4/rate), confirm: 0.2, maxHold: time.Second, delay: delay, halfLife: 90,
		sessionID: func(ns int64) string { return SessionID("amp/17", time.Unix(0, ns)) },
		logger:    slog.New(slog.DiscardHandler), now: r.clk.now, local: r.clk.local,
	}, r.emit, func(e Event) { r.events = append(r.events, e) })
	return r
}

func (r *asmRun) emit(m pipeline.Message, _ *wire.Chunk) {
	var c wire.Chunk
	if err := r.dec.Decode(&c, m.Value); err != nil {
		r.t.Fatalf("%s: %v", m.Origin, err)
	}
	if m.Key != c.Session {
		r.t.Fatalf("key %q, session %q", m.Key, c.Session)
	}
	if err := r.val.Check(&c); err != nil {
		var we *wire.Error
		if !errors.As(err, &we) || we.Reason != wire.ReasonGap {
			r.t.Fatalf("chunk %d: %v", c.Seq, err)
		}
		r.gaps = append(r.gaps, we.Msg)
	}
	r.chunks = append(r.chunks, c)
}

// push sends samples [i, j) of the test signal (channel 0 holds the
// sample's number) stamped ts(k), one pull of them, arriving at the fake
// clock's time, then releases what is due.
func (r *asmRun) push(i, j int, ts func(k int) float64, recovered bool) {
	vals := make([]float32, 0, 2*(j-i))
	stamps := make([]float64, 0, j-i)
	for k := i; k < j; k++ {
		vals = append(vals, float32(k), -float32(k))
		stamps = append(stamps, ts(k))
	}
	r.a.samples(vals, stamps, recovered, r.clk.now())
	if err := r.a.release(r.clk.now()); err != nil {
		r.t.Fatal(err)
	}
}

// numbers returns channel 0 of every chunk with its sample index.
func (r *asmRun) numbers() map[int64]float32 {
	out := map[int64]float32{}
	for _, c := range r.chunks {
		for i, v := range c.Data[0] {
			s := c.FirstSample + int64(i)
			if _, dup := out[s]; dup {
				r.t.Fatalf("sample %d twice", s)
			}
			out[s] = v
		}
	}
	return out
}

func TestAssemblerContiguous(t *testing.T) {
	const rate = 250.0
	r := newAsmRun(t, rate, 25, false, -1)
	t0 := r.clk.t
	for i := 0; i < 1000; i += 10 {
		r.clk.t = t0 + float64(i+10)/rate
		r.push(i, i+10, func(k int) float64 { return t0 + float64(k)/rate + 0.003*math.Sin(float64(k)) }, false)
	}
	if got := len(r.chunks); got != 40 {
		t.Fatalf("%d chunks published before the end, want 40 (every complete chunk at once)", got)
	}
	r.push(1000, 1010, func(k int) float64 { return t0 + float64(k)/rate }, false)
	if ok, err := r.a.finish(); !ok || err != nil {
		t.Fatalf("finish: %v, %v", ok, err)
	}
	last := r.chunks[len(r.chunks)-1]
	if !last.Final || last.FirstSample != 1000 || last.Len() != 10 {
		t.Fatalf("last chunk: final %v, first %d, %d rows", last.Final, last.FirstSample, last.Len())
	}
	for i, c := range r.chunks[:len(r.chunks)-1] {
		if c.Final || c.Seq != int64(i) || c.FirstSample != int64(25*i) || c.Len() != 25 {
			t.Fatalf("chunk %d: seq %d first %d len %d final %v", i, c.Seq, c.FirstSample, c.Len(), c.Final)
		}
	}
	got := r.numbers()
	for s := range int64(1010) {
		if got[s] != float32(s) {
			t.Fatalf("sample %d holds %v", s, got[s])
		}
	}
	if len(r.gaps) > 0 || r.a.stats.Gaps > 0 {
		t.Fatalf("gaps %v", r.gaps)
	}
	c := r.chunks[0]
	wantStart := r.clk.now().Add(-time.Duration((r.clk.t - t0) * float64(time.Second))).UnixNano()
	if c.StartTimeNS != wantStart || c.SampleRate != rate || c.Session != "amp_17_"+time.Unix(0, wantStart).UTC().Format("20060102T150405Z") {
		t.Fatalf("session %q start %d (want %d) rate %v", c.Session, c.StartTimeNS, wantStart, c.SampleRate)
	}
	if r.a.stats.MaxResidual > 0.004 {
		t.Errorf("max residual %v with 3 ms jitter", r.a.stats.MaxResidual)
	}
}

// TestAssemblerGap: the time stamps jump by one second inside a
// connection (the source lost 250 samples): a wire gap of 250, every
// received sample once, at its place.
func TestAssemblerGap(t *testing.T) {
	const rate = 250.0
	r := newAsmRun(t, rate, 25, false, -1)
	t0 := r.clk.t
	ts := func(k int) float64 {
		if k >= 510 {
			return t0 + float64(k+250)/rate
		}
		return t0 + float64(k)/rate
	}
	for i := 0; i < 1000; i += 5 {
		r.clk.t = ts(i + 4)
		r.push(i, i+5, ts, false)
	}
	r.a.finish()
	if len(r.gaps) != 1 || r.a.stats.Gaps != 1 || r.a.stats.Missing != 250 {
		t.Fatalf("gaps %v, stats %+v", r.gaps, r.a.stats)
	}
	got := r.numbers()
	for k := range 1000 {
		s := int64(k)
		if k >= 510 {
			s += 250
		}
		if got[s] != float32(k) {
			t.Fatalf("received sample %d at %d holds %v", k, s, got[s])
		}
	}
	if len(got) != 1000 {
		t.Fatalf("%d samples, want 1000", len(got))
	}
}

// TestAssemblerStall: a source stalls 400 ms and sends what it buffered
// stamped when sent, then catches up: held, no gap, nothing lost.
func TestAssemblerStall(t *testing.T) {
	const rate = 250.0
	r := newAsmRun(t, rate, 25, false, -1)
	t0 := r.clk.t
	for i := 0; i < 500; i += 5 {
		r.clk.t = t0 + float64(i+4)/rate
		r.push(i, i+5, func(k int) float64 { return t0 + float64(k)/rate }, false)
	}
	// Samples 500..599 (0.4 s) arrive at once, 0.4 s late, stamped on
	// arrival; from 600 on the source is on time again.
	r.clk.t = t0 + 600.0/rate
	r.push(500, 600, func(int) float64 { return t0 + 600.0/rate }, false)
	for i := 600; i < 1000; i += 5 {
		r.clk.t = t0 + float64(i+4)/rate
		r.push(i, i+5, func(k int) float64 { return t0 + float64(k)/rate }, false)
	}
	r.a.finish()
	if r.a.stats.Gaps != 0 || len(r.gaps) != 0 {
		t.Fatalf("gaps %v: a stall taken for a gap", r.gaps)
	}
	got := r.numbers()
	for s := range int64(1000) {
		if got[s] != float32(s) {
			t.Fatalf("sample %d holds %v", s, got[s])
		}
	}
}

// TestAssemblerRecovery: after a reconnection the time stamps say how
// many samples the outlet pushed while no connection existed.
func TestAssemblerRecovery(t *testing.T) {
	const rate = 100.0
	r := newAsmRun(t, rate, 25, false, -1)
	t0 := r.clk.t
	ts := func(k int) float64 { return t0 + float64(k)/rate }
	r.push(0, 200, ts, false)
	// Samples 200..336 were pushed while disconnected; 337 on arrive.
	r.push(337, 400, ts, true)
	r.a.finish()
	if len(r.gaps) != 1 || r.a.stats.Missing != 137 {
		t.Fatalf("gaps %v, missing %d, want 137", r.gaps, r.a.stats.Missing)
	}
	got := r.numbers()
	for _, k := range []int64{199, 337, 399} {
		if got[k] != float32(k) {
			t.Fatalf("sample %d holds %v", k, got[k])
		}
	}
	// A reconnection with no sample lost is no gap.
	r2 := newAsmRun(t, rate, 25, false, -1)
	r2.push(0, 200, ts, false)
	r2.push(200, 300, ts, true)
	r2.a.finish()
	if len(r2.gaps) != 0 || len(r2.numbers()) != 300 {
		t.Fatalf("gaps %v, %d samples", r2.gaps, len(r2.numbers()))
	}
}

// TestAssemblerMarkers: markers land on the sample nearest their time,
// with their code; one after its sample was published goes to the first
// unpublished sample; one before the session is dropped; the marker delay
// holds complete chunks.
func TestAssemblerMarkers(t *testing.T) {
	const rate = 200.0
	r := newAsmRun(t, rate, 20, true, 50*time.Millisecond)
	t0 := r.clk.t
	ts := func(k int) float64 { return t0 + float64(k)/rate }
	r.a.addMarker(marker{t: t0 - 1, code: 9, desc: "early"})
	r.a.addMarker(marker{t: ts(7) + 0.4/rate, code: 3, desc: "three"})
	r.a.addMarker(marker{t: ts(33) - 0.4/rate, code: 5, desc: "five"})
	r.a.addMarker(marker{t: ts(35), desc: "no code"})
	r.clk.t = ts(19)
	r.push(0, 20, ts, false)
	r.clk.t = ts(39)
	r.push(20, 40, ts, false)
	if len(r.chunks) != 1 {
		// [0, 20) arrived 0.1 s ago, [20, 40) just now.
		t.Fatalf("%d chunks published, want 1: the second is within the marker delay", len(r.chunks))
	}
	if d := r.a.due(); !d.Equal(r.clk.now().Add(50 * time.Millisecond)) {
		t.Fatalf("due %v, want the marker delay from now", d.Sub(r.clk.now()))
	}
	r.clk.t = ts(39) + 0.051
	if err := r.a.release(r.clk.now()); err != nil {
		t.Fatal(err)
	}
	if len(r.chunks) != 2 {
		t.Fatalf("%d chunks after the marker delay, want 2", len(r.chunks))
	}
	// Published: [0, 40). A marker for sample 12 arrives now: late.
	r.a.addMarker(marker{t: ts(12), code: 7, desc: "late"})
	r.push(40, 60, ts, false)
	r.a.finish()
	stim := map[int64]float32{}
	for _, c := range r.chunks {
		for i, v := range c.Data[2] {
			if v != 0 {
				stim[c.FirstSample+int64(i)] = v
			}
		}
	}
	want := map[int64]float32{7: 3, 33: 5, 40: 7}
	if fmt.Sprint(stim) != fmt.Sprint(want) {
		t.Fatalf("stim %v, want %v", stim, want)
	}
	st := r.a.stats
	if st.Markers != 4 || st.Late != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
	wantEv := []int64{7, 33, 35, 12}
	for i, e := range r.events {
		if e.Sample != wantEv[i] || math.Abs(e.Onset*rate-float64(e.Sample)) > 0.5 || e.Session != r.chunks[0].Session {
			t.Errorf("event %d: %+v, want sample %d", i, e, wantEv[i])
		}
	}
}

// TestAssemblerEmptyFinal: with every sample published, finish still
// marks the end, with the wire's empty final chunk after the last sample.
func TestAssemblerEmptyFinal(t *testing.T) {
	r := newAsmRun(t, 100, 10, false, -1)
	r.push(0, 30, func(k int) float64 { return 100 + float64(k)/100 }, false)
	before := len(r.chunks)
	if ok, err := r.a.finish(); !ok || err != nil {
		t.Fatalf("finish: %v, %v", ok, err)
	}
	if len(r.chunks) != before+1 {
		t.Fatalf("%d chunks after finish, want %d", len(r.chunks), before+1)
	}
	last := r.chunks[len(r.chunks)-1]
	if !last.Final || last.Len() != 0 || last.FirstSample != 30 || last.Seq != int64(before) {
		t.Errorf("end chunk: final %v, %d rows, first %d, seq %d", last.Final, last.Len(), last.FirstSample, last.Seq)
	}
}
