package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// seen is what the recording stage saw of one window.
type seen struct {
	Session      string
	Window       int64
	Start        int64
	Code         int
	First, Last  float64 // channel 0's first and last sample
	Len          int
	FinishedAt   int64 // for Finish calls: end.StartSample
	FinishWindow int64
}

// recStage records every window (and Finish call) it is given.
type recStage struct {
	mu  sync.Mutex
	got []seen
}

func (r *recStage) Name() string { return "rec" }
func (r *recStage) NewSession(pipeline.SessionInfo) (pipeline.Stage, error) {
	return recSession{r}, nil
}

type recSession struct{ r *recStage }

func (s recSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	v := seen{Session: w.Session, Window: w.Window, Start: w.StartSample, Code: -1,
		First: w.Data[0][0], Last: w.Data[0][len(w.Data[0])-1], Len: len(w.Data[0])}
	if w.Event != nil {
		v.Code = w.Event.Code
		if w.Event.Sample != w.Window {
			return nil, fmt.Errorf("event at %d, window key %d", w.Event.Sample, w.Window)
		}
	}
	s.r.mu.Lock()
	s.r.got = append(s.r.got, v)
	s.r.mu.Unlock()
	return nil, nil
}

func (s recSession) Finish(end arrowout.WindowKey) ([]arrowout.Result, error) {
	s.r.mu.Lock()
	s.r.got = append(s.r.got, seen{Session: end.Session, Window: -1, FinishedAt: end.StartSample, FinishWindow: end.Window})
	s.r.mu.Unlock()
	return nil, nil
}

func (r *recStage) windows() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.got)
	slices.SortFunc(out, func(a, b seen) int { return int(a.Window - b.Window) })
	return out
}

// stimMessages encodes a 100 Hz session of n samples, cut into chunks of
// the given sizes (cycled): channel C3 holds the sample index, STI the
// codes of onsets (each held for 3 samples).
func stimMessages(t *testing.T, n int, onsets map[int]int, sizes []int) []pipeline.Message {
	t.Helper()
	enc := wire.NewEncoder(memory.DefaultAllocator)
	stim := make([]float32, n)
	// In onset order, so a later onset overwrites an earlier one's hold.
	for _, at := range slices.Sorted(maps.Keys(onsets)) {
		for j := at; j < min(at+3, n); j++ {
			stim[j] = float32(onsets[at])
		}
	}
	var out []pipeline.Message
	for pos, i := 0, 0; pos < n; i++ {
		rows := min(sizes[i%len(sizes)], n-pos)
		c := wire.Chunk{
			Session: "s", SampleRate: 100, FirstSample: int64(pos), Seq: int64(i),
			Channels: []formats.Channel{{Label: "C3", Type: formats.EEG, Unit: "V"}, {Label: "STI", Type: formats.Stim, Unit: "NA"}},
			Data:     [][]float32{make([]float32, rows), slices.Clone(stim[pos : pos+rows])},
		}
		for j := range rows {
			c.Data[0][j] = float32(pos + j)
		}
		b, err := enc.Encode(nil, &c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pipeline.Message{Key: "s", Value: b, Origin: fmt.Sprintf("chunk %d", i)})
		pos += rows
	}
	return out
}

func eventOptions(src pipeline.Source, st *recStage, ev pipeline.EventWindows) pipeline.Options {
	return pipeline.Options{
		Source: src, Stages: []pipeline.StageBuilder{st}, Sinks: []pipeline.Sink{newMemSink()},
		Window: pipeline.WindowSpec{Length: 50}, Events: ev, Logger: quiet,
	}
}

// TestEventWindows: windows start at each selected onset plus the offset,
// hold exactly those samples, carry the code, and do not depend on how the
// stream is chunked; an onset at the first sample is none (MNE's
// initial_event=False), a window running past the end never comes, and
// the session is finished at its last sample.
func TestEventWindows(t *testing.T) {
	const n = 1000
	onsets := map[int]int{0: 7, 100: 1, 250: 2, 400: 1, 402: 3, 600: 2, 980: 1}
	ev := pipeline.EventWindows{StimChannel: "STI", Codes: []int{1, 3}, OffsetSeconds: -0.1}
	// 400 then 402: 1 → 3 is a rise, so both are onsets.
	want := []int64{100, 400, 402}
	var ref []seen
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 8 {
		sizes := []int{1000}
		if trial > 0 {
			sizes = []int{1 + rng.IntN(120), 1 + rng.IntN(40), 1 + rng.IntN(7)}
		}
		st := &recStage{}
		r, err := pipeline.New(eventOptions(&chunkSource{msgs: stimMessages(t, n, onsets, sizes)}, st, ev))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := st.windows()
		if trial == 0 {
			ref = got
			if len(got) != len(want)+1 {
				t.Fatalf("windows %+v, want onsets %v and a finish", got, want)
			}
			if f := got[0]; f.Window != -1 || f.FinishedAt != n || f.FinishWindow != n {
				t.Errorf("finish %+v, want at sample %d", f, n)
			}
			for i, w := range got[1:] {
				if w.Window != want[i] || w.Start != want[i]-10 || w.First != float64(want[i]-10) || w.Last != float64(want[i]+39) || w.Len != 50 {
					t.Errorf("window %d: %+v, want onset %d, samples [%d, %d)", i, w, want[i], want[i]-10, want[i]+40)
				}
				if wantCode := onsets[int(want[i])]; w.Code != wantCode {
					t.Errorf("window %d: code %d, want %d", i, w.Code, wantCode)
				}
			}
			continue
		}
		if !slices.Equal(got, ref) {
			t.Errorf("chunk sizes %v: %+v, one chunk %+v", sizes, got, ref)
		}
	}
}

// cutSource delivers messages until the cut, then ends the run as a crash
// or a stop would (the context ends): what was acknowledged with nil is
// committed.
type cutSource struct {
	chunkSource
	cut    int
	cancel context.CancelFunc
}

func (s *cutSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	if s.next == s.cut {
		s.cancel()
		<-ctx.Done()
		return pipeline.Message{}, nil, ctx.Err()
	}
	return s.chunkSource.Read(ctx)
}

// committed is the index of the first message not acknowledged with nil.
func (s *chunkSource) committed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.msgs {
		errs := s.acks[i]
		if len(errs) == 0 || errs[0] != nil {
			return i
		}
	}
	return len(s.msgs)
}

// TestEventWindowsRestart: a run stopped at any message, then restarted
// from the first message it did not commit, together emit every window of
// an uninterrupted run, with identical samples: acknowledgements wait for
// the onsets (and the sample before each) of unfinished trials.
func TestEventWindowsRestart(t *testing.T) {
	const n = 1200
	onsets := map[int]int{100: 1, 142: 2, 250: 2, 284: 1, 400: 1, 402: 3, 600: 2, 700: 1, 1000: 2} // 142, 284: at chunk boundaries
	msgs := stimMessages(t, n, onsets, []int{23, 7, 41})
	for _, offset := range []float64{-0.2, 0, 0.3} {
		ev := pipeline.EventWindows{StimChannel: "STI", OffsetSeconds: offset}
		full := &recStage{}
		r, _ := pipeline.New(eventOptions(&chunkSource{msgs: msgs}, full, ev))
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		ref := map[int64]seen{}
		for _, w := range full.windows() {
			if w.Window >= 0 {
				ref[w.Window] = w
			}
		}
		if len(ref) != len(onsets) {
			t.Fatalf("offset %g: %d windows, want %d", offset, len(ref), len(onsets))
		}
		for cut := 1; cut < len(msgs); cut += 3 {
			ctx, cancel := context.WithCancel(context.Background())
			first := &recStage{}
			src := &cutSource{chunkSource: chunkSource{msgs: msgs}, cut: cut, cancel: cancel}
			r, _ := pipeline.New(eventOptions(src, first, ev))
			if err := r.Run(ctx); err != nil {
				t.Fatal(err)
			}
			cancel()
			from := src.committed()
			second := &recStage{}
			r, _ = pipeline.New(eventOptions(&chunkSource{msgs: msgs[from:]}, second, ev))
			if err := r.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := map[int64]seen{}
			for _, w := range append(first.windows(), second.windows()...) {
				if w.Window < 0 {
					continue
				}
				if prev, ok := got[w.Window]; ok && prev != w {
					t.Errorf("offset %g cut %d: window %d twice, differing: %+v, %+v", offset, cut, w.Window, prev, w)
				}
				got[w.Window] = w
			}
			for k, w := range ref {
				if g, ok := got[k]; !ok || g != w {
					t.Errorf("offset %g, cut at message %d, restart from %d: window %d = %+v (present %v), want %+v", offset, cut, from, k, g, ok, w)
				}
			}
		}
	}
}

// TestEventWindowsMissingStim: a session without the stim channel is
// refused, naming the channel, and the run goes on.
func TestEventWindowsMissingStim(t *testing.T) {
	dead := &memDead{}
	opt := eventOptions(&chunkSource{msgs: chunks(t, "s", 3, 50, nil)}, &recStage{}, pipeline.EventWindows{StimChannel: "TRIG"})
	opt.DeadLetters = dead
	r, _ := pipeline.New(opt)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(dead.letters) != 3 {
		t.Fatalf("%d dead letters, want 3", len(dead.letters))
	}
	if msg := dead.letters[0].Err.Error(); !strings.Contains(msg, `stim channel "TRIG"`) {
		t.Errorf("error %q does not name the stim channel", msg)
	}
}
