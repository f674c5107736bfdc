package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// streamWindow is one window of a stream test: its first sample on the
// stream clock, its length, and whether the stream restarts before it
// (Reset, then other data at the same indices).
type streamWindow struct {
	start  int64
	n      int
	reset  bool
	source int // which signal the samples come from
}

// streamWindows returns a session as the pipeline cuts it, for segments
// of step samples: a start mid-stream, sliding windows at hops that are
// and are not multiples of step, a gap, a restart on other data at
// indices seen before, longer and shorter windows, and event-like windows
// at arbitrary starts.
func streamWindows(step int) []streamWindow {
	var ws []streamWindow
	add := func(start int64, n int) { ws = append(ws, streamWindow{start: start, n: n}) }
	pos := int64(1000 + 3*step)
	const n = 512
	for range 12 { // hop 2 steps: the common case
		add(pos, n)
		pos += int64(2 * step)
	}
	for range 8 { // hop 1 step
		add(pos, n)
		pos += int64(step)
	}
	for range 6 { // hop 1.5 steps: every other window on the grid
		add(pos, n)
		pos += int64(3 * step / 2)
	}
	for range 5 { // hop not a multiple of step at all
		add(pos, n)
		pos += int64(step + 7)
	}
	pos += 5000 // a gap: nothing shared
	for range 6 {
		add(pos, n)
		pos += int64(4 * step)
	}
	// A restart on other data at indices seen before.
	ws = append(ws, streamWindow{start: 1000 + 3*int64(step), n: n, reset: true, source: 1})
	for i := range 8 {
		ws = append(ws, streamWindow{start: 1000 + int64(3+i*2)*int64(step), n: n, source: 1})
	}
	// Longer windows (the ring grows), then shorter ones again.
	for i := range 4 {
		add(pos+int64(i*step), 2*n)
	}
	for i := range 4 {
		add(pos+int64((i+4)*step), n/2+5)
	}
	// Event windows: overlapping, at arbitrary starts.
	for _, s := range []int64{20000, 20000 + int64(step), 20003, 20000 + 5*int64(step), 19000} {
		add(s, n)
	}
	for i := range ws {
		if i > 0 && ws[i].source == 0 && ws[i-1].source == 1 {
			ws[i].reset = true
		}
	}
	return ws
}

// streamSignals returns two different signals of channels × 30000 samples.
func streamSignals(channels int) [2][][]float64 {
	var out [2][][]float64
	for s := range out {
		r := rand.New(rand.NewPCG(uint64(7+s), 3))
		out[s] = make([][]float64, channels)
		for c := range out[s] {
			x := make([]float64, 30000)
			var walk float64
			for i := range x {
				walk += r.NormFloat64()
				x[i] = walk + 3*r.NormFloat64() + float64(c)
			}
			out[s][c] = x
		}
	}
	return out
}

func streamWelchConfigs() []WelchConfig {
	return []WelchConfig{
		{SampleRate: 256, SegmentLen: 64},
		{SampleRate: 256, SegmentLen: 64, Overlap: 48},
		{SampleRate: 256, SegmentLen: 50, Overlap: -1},
		{SampleRate: 256, SegmentLen: 64, NFFT: 101, Detrend: DetrendLinear},
		{SampleRate: 256, SegmentLen: 60, Overlap: 20, Detrend: DetrendNone, Scaling: ScalingSpectrum},
		{SampleRate: 256, SegmentLen: 64, Average: AverageMedian},
	}
}

// TestWelchStream: every window's PSD equals the one-shot Welch.PSD bit
// for bit, over a session with starts, hops on and off the segment grid,
// a gap, a restart on other data (after Reset), and window lengths that
// change; segments shared with the window before are not transformed
// again.
func TestWelchStream(t *testing.T) {
	const channels = 3
	sig := streamSignals(channels)
	for _, cfg := range streamWelchConfigs() {
		name := fmt.Sprintf("nperseg=%d/noverlap=%d/nfft=%d/detrend=%d/average=%d", cfg.SegmentLen, cfg.Overlap, cfg.NFFT, cfg.Detrend, cfg.Average)
		t.Run(name, func(t *testing.T) {
			w, err := NewWelch(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := NewWelch(cfg)
			step := w.Config().SegmentLen - w.Config().Overlap
			st := w.NewStream(channels)
			got, want := make([]float64, w.Len()), make([]float64, w.Len())
			var segs int64
			for i, win := range streamWindows(step) {
				if win.reset {
					st.Reset()
				}
				for c := range channels {
					x := sig[win.source][c][win.start : win.start+int64(win.n)]
					st.PSD(got, c, x, win.start)
					ref.PSD(want, x)
					for k := range want {
						if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
							t.Fatalf("window %d (start %d, %d samples) channel %d bin %d: stream %v, one-shot %v", i, win.start, win.n, c, k, got[k], want[k])
						}
					}
				}
				segs += int64(channels * w.Segments(win.n))
			}
			s := st.Stats()
			if s.Transformed+s.Reused != segs && cfg.Average == AverageMean {
				t.Errorf("%d segments transformed + %d reused, want %d in all", s.Transformed, s.Reused, segs)
			}
			// The first 12 windows alone (hop 2 steps) share all but 2
			// segments per window with the one before.
			if cfg.Average == AverageMean && s.Reused < int64(channels*11*(w.Segments(512)-2)) {
				t.Errorf("%d segments reused of %d, want at least %d", s.Reused, segs, channels*11*(w.Segments(512)-2))
			}
			if cfg.Average == AverageMedian && s != (StreamStats{}) {
				t.Errorf("median: stream stats %+v, want none (one-shot)", s)
			}
		})
	}
}

// TestCSDStream: Compute and Spectra equal CSD.Compute and CSD.Spectra
// bit for bit over the session of TestWelchStream, with the scalar and
// the batched (gemv) kernels.
func TestCSDStream(t *testing.T) {
	for _, channels := range []int{3, csdGemvChannels + 2} {
		sig := streamSignals(channels)
		for _, wc := range streamWelchConfigs() {
			name := fmt.Sprintf("ch=%d/nperseg=%d/noverlap=%d/nfft=%d/average=%d", channels, wc.SegmentLen, wc.Overlap, wc.NFFT, wc.Average)
			t.Run(name, func(t *testing.T) {
				cfg := CSDConfig{WelchConfig: wc, Channels: channels}
				c, err := NewCSD(cfg)
				if err != nil {
					t.Fatal(err)
				}
				ref, _ := NewCSD(cfg)
				st := c.NewStream()
				got, want := c.NewMatrix(), ref.NewMatrix()
				wantSp := NewSegmentSpectra(channels, c.Len())
				x := make([][]float64, channels)
				var gemv bool
				for i, win := range streamWindows(c.Step()) {
					if win.reset {
						st.Reset()
					}
					for ch := range x {
						x[ch] = sig[win.source][ch][win.start : win.start+int64(win.n)]
					}
					st.Compute(got, x, win.start)
					ref.Compute(want, x)
					gemv = gemv || (channels >= csdGemvChannels && want.Segments >= csdGemvSegments)
					if got.Segments != want.Segments {
						t.Fatalf("window %d: %d segments, want %d", i, got.Segments, want.Segments)
					}
					for p, v := range want.Data {
						g := got.Data[p]
						if math.Float64bits(real(g)) != math.Float64bits(real(v)) || math.Float64bits(imag(g)) != math.Float64bits(imag(v)) {
							t.Fatalf("window %d (start %d, %d samples) entry %d: stream %v, one-shot %v", i, win.start, win.n, p, g, v)
						}
					}
					seg := min(1, c.Segments(win.n)-1)
					sp := st.Spectra(x, win.start, seg)
					ref.Spectra(wantSp, x, seg*c.Step())
					for k := range wantSp.Re {
						if sp.Re[k] != wantSp.Re[k] || sp.Im[k] != wantSp.Im[k] {
							t.Fatalf("window %d segment %d: Spectra differ at %d", i, seg, k)
						}
					}
				}
				if channels > csdGemvChannels && !gemv {
					t.Error("the batched kernel was not exercised")
				}
				s := st.Stats()
				if wc.Average == AverageMean && s.Reused < int64(11*(c.Segments(512)-2)) {
					t.Errorf("%d segments reused (%d transformed), want at least %d", s.Reused, s.Transformed, 11*(c.Segments(512)-2))
				}
			})
		}
	}
}

// TestStreamReuseNeedsReset: the stream trusts the stream clock; without
// Reset, other data at indices it has seen gives the old segments' values,
// which is why the pipeline's stages reset it when a window's run of
// samples changes.
func TestStreamReuseNeedsReset(t *testing.T) {
	sig := streamSignals(1)
	w, _ := NewWelch(WelchConfig{SampleRate: 256, SegmentLen: 64})
	st := w.NewStream(1)
	a, b := make([]float64, w.Len()), make([]float64, w.Len())
	st.PSD(a, 0, sig[0][0][:512], 0)
	st.PSD(b, 0, sig[1][0][:512], 0)
	if a[3] != b[3] {
		t.Fatalf("without Reset the stream recomputed a seen segment")
	}
	st.Reset()
	st.PSD(b, 0, sig[1][0][:512], 0)
	if want := w.PSD(nil, sig[1][0][:512]); b[3] != want[3] {
		t.Fatalf("after Reset: %v, want %v", b[3], want[3])
	}
}

func TestStreamNoAllocs(t *testing.T) {
	sig := streamSignals(30)
	w, _ := NewWelch(WelchConfig{SampleRate: 256, SegmentLen: 64})
	c, _ := NewCSD(CSDConfig{WelchConfig: w.Config(), Channels: 30})
	ws, cs := w.NewStream(30), c.NewStream()
	psd, m := make([]float64, w.Len()), c.NewMatrix()
	start := int64(0)
	x := make([][]float64, 30)
	if n := testing.AllocsPerRun(20, func() {
		for i, ch := range sig[0] {
			x[i] = ch[start : start+512]
		}
		for i, ch := range x {
			ws.PSD(psd, i, ch, start)
		}
		cs.Compute(m, x, start)
		start += 64
	}); n != 0 { // AllocsPerRun's warm-up call sizes the rings
		t.Errorf("%v allocations per window", n)
	}
}
