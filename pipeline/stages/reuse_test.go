package stages

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// reuseSession is a session as the runtime cuts it into windows of n
// samples: two signals (the second stands for what arrives at the same
// sample indices after a restart), and the windows' starts, run starts
// and sources.
type reuseSession struct {
	sig     [2][][]float64
	windows []reuseWindow
}

type reuseWindow struct {
	start, run int64
	source     int
}

// newReuseSession returns channels channels at 256 Hz and a session of
// windows of n samples: a start mid-stream, hops of 2 segment steps, of 1
// step and of half a step (no reuse possible), a gap, a restart on other
// data at indices seen before, and overlapping event-like windows.
func newReuseSession(channels, n, step int) *reuseSession {
	s := &reuseSession{}
	for src := range s.sig {
		r := rand.New(rand.NewPCG(uint64(11+src), 5))
		for c := range channels {
			x := make([]float64, 40000)
			var walk float64
			for i := range x {
				walk += 1e-7 * r.NormFloat64()
				t := float64(i-c) / 256
				x[i] = walk + 1e-5*math.Sin(2*math.Pi*(10+float64(src))*t)/(1+float64(c)) + 4e-6*r.NormFloat64()
			}
			s.sig[src] = append(s.sig[src], x)
		}
	}
	add := func(start, run int64, src int) {
		s.windows = append(s.windows, reuseWindow{start, run, src})
	}
	run := int64(700)
	pos := run + int64(step)
	for _, hop := range []int{2 * step, step, step / 2} {
		for range 6 {
			add(pos, run, 0)
			pos += int64(hop)
		}
	}
	run = pos + 3000 // a gap
	for i := range 5 {
		add(run+int64(i*2*step), run, 0)
	}
	// A restart at indices seen before, with other samples there: first
	// those of the last windows, then older ones.
	last := s.windows[len(s.windows)-1].start
	for i := range 3 {
		add(last-int64(step)+int64(i*step), 20000, 1)
	}
	for i := range 5 {
		add(700+int64(step+i*2*step), 30000, 1)
	}
	for _, st := range []int64{31000, 31000 + int64(step), 31003, 31000 + int64(3*step)} {
		add(st, 30000, 1)
	}
	return s
}

// window returns window i of the session, its data aliasing the signal.
func (s *reuseSession) window(i, n int, channels []formats.Channel) *pipeline.Window {
	rw := s.windows[i]
	w := &pipeline.Window{
		WindowKey:  arrowout.WindowKey{Session: "s", Window: int64(i), StartSample: rw.start},
		SampleRate: 256,
		Channels:   channels,
		RunStart:   rw.run,
	}
	for _, x := range s.sig[rw.source] {
		w.Data = append(w.Data, x[rw.start:rw.start+int64(n)])
	}
	return w
}

// TestStagesReuseSegments: the psd and coherence stages give the same rows
// bit for bit with segments reused across windows (the default) as with
// every window computed on its own (reuse_segments: false), over a
// session with hops on and off the segment grid, a gap, a restart on
// other data at sample indices seen before (a new RunStart) and event-like
// windows; and they do reuse segments.
func TestStagesReuseSegments(t *testing.T) {
	const n, channels = 512, 6
	for _, tc := range []struct {
		typ  string
		opts map[string]any
	}{
		{"psd", map[string]any{"nperseg": 256, "noverlap": 128}},
		{"psd", map[string]any{"nperseg": 128, "noverlap": 96, "nfft": 200, "detrend": "linear"}},
		{"psd", map[string]any{"nperseg": 256, "noverlap": 128, "average": "median"}},
		{"coherence", map[string]any{"methods": []any{"coh", "msc", "cohy"}}},
		{"coherence", map[string]any{"nperseg": 128, "noverlap": 64, "detrend": "none", "taper": "hann", "methods": []any{"plv", "wpli", "imcoh"}}},
		{"coherence", map[string]any{"pairs": []any{[]any{"X2", "X0"}, []any{"X5", "X1"}}}},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.typ, tc.opts), func(t *testing.T) {
			off := map[string]any{"reuse_segments": false}
			for k, v := range tc.opts {
				off[k] = v
			}
			var chans []formats.Channel
			for c := range channels {
				chans = append(chans, formats.Channel{Label: fmt.Sprintf("X%d", c), Type: formats.EEG, Unit: "V"})
			}
			info := pipeline.SessionInfo{Session: "s", SampleRate: 256, Channels: chans, WindowLength: n}
			on, ref := buildSession(t, tc.typ, tc.opts, info), buildSession(t, tc.typ, off, info)
			var stats func() dsp.StreamStats
			switch st := on.(type) {
			case *psdSession:
				if st.stream != nil {
					stats = st.stream.Stats
				}
			case *coherenceSession:
				stats = st.stream.Stats
			}
			nperseg, step := 256, 128
			if v, ok := tc.opts["nperseg"].(int); ok {
				nperseg, step = v, v-tc.opts["noverlap"].(int)
			}
			s := newReuseSession(channels, n, step)
			for i := range s.windows {
				w := s.window(i, n, chans)
				got, want := processRows(t, on, w), processRows(t, ref, w)
				if len(got) != len(want) {
					t.Fatalf("window %d: %d records, want %d", i, len(got), len(want))
				}
				for r := range want {
					if d := recordDiff(got[r], want[r]); d != "" {
						t.Fatalf("window %d (start %d, run %d) record %d: %s", i, w.StartSample, w.RunStart, r, d)
					}
				}
			}
			if tc.opts["average"] == "median" {
				if stats != nil {
					t.Error("median averaging keeps segments")
				}
				return
			}
			// At least every segment a window shares with the one before
			// (same run, same segment start) is reused.
			perSeg := int64(1)
			if tc.typ == "psd" {
				perSeg = channels
			}
			nseg := (n - (nperseg - step)) / step
			var shared int64
			for i := 1; i < len(s.windows); i++ {
				a, b := s.windows[i-1], s.windows[i]
				if d := b.start - a.start; a.run == b.run && d%int64(step) == 0 && d < int64(nseg*step) {
					shared += int64(nseg) - d/int64(step)
				}
			}
			st := stats()
			t.Logf("segments transformed %d, reused %d (%d shared with the window before)", st.Transformed, st.Reused, shared*perSeg)
			if shared == 0 || st.Reused < shared*perSeg {
				t.Errorf("segments transformed %d, reused %d, want ≥ %d reused", st.Transformed, st.Reused, shared*perSeg)
			}
		})
	}
}

func buildSession(t testing.TB, typ string, opts map[string]any, info pipeline.SessionInfo) pipeline.Stage {
	t.Helper()
	b, errs := Build(typ, "", opts)
	if errs != nil {
		t.Fatal(errs)
	}
	st, err := b.NewSession(info)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// processRows runs st on w and returns its records as text, one string
// per column, floats in their shortest exact form.
func processRows(t *testing.T, st pipeline.Stage, w *pipeline.Window) [][]string {
	t.Helper()
	res, err := st.Process(w)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, r := range res {
		out = append(out, recordText(r.Record))
		r.Record.Release()
	}
	return out
}

// recordText returns each column of rec as text; float64 values as their
// bits, so that equal text means equal bits.
func recordText(rec arrow.Record) []string {
	var cols []string
	for i, col := range rec.Columns() {
		s := rec.ColumnName(i) + ":"
		switch a := col.(type) {
		case *array.Float64:
			for _, v := range a.Float64Values() {
				s += fmt.Sprintf(" %x", math.Float64bits(v))
			}
		case *array.List:
			if f, ok := a.ListValues().(*array.Float64); ok {
				for _, v := range f.Float64Values() {
					s += fmt.Sprintf(" %x", math.Float64bits(v))
				}
				break
			}
			s += a.String()
		default:
			s += a.String()
		}
		cols = append(cols, s)
	}
	return cols
}

// recordDiff names the first column that differs.
func recordDiff(got, want []string) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d columns, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			return fmt.Sprintf("column %d differs:\n got %.300s\nwant %.300s", i, got[i], want[i])
		}
	}
	return ""
}
