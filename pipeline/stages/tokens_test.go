package stages

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/simulate"
	"github.com/neurostream/neurostream/tokenizer"
)

// tokensSim is a simulated 10-20 session at 256 Hz.
func tokensSim(seed uint64, seconds float64) simulate.Config {
	cfg := simulate.DefaultConfig()
	cfg.Seed, cfg.Duration = seed, seconds
	return cfg
}

// readSim returns every channel of a simulated session.
func readSim(t *testing.T, cfg simulate.Config) ([][]float64, *formats.Info) {
	t.Helper()
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return formatstest.ReadAll(t, s), s.Info()
}

// tokensVocab trains a 128-token vocabulary with 11 power levels per
// channel type on a simulated session and writes it; it returns the file
// and the vocabulary.
func tokensVocab(t *testing.T) (string, *tokenizer.Vocabulary) {
	return tokensVocabLevels(t, 0)
}

// tokensVocabLevels is tokensVocab with the given TrainConfig.Levels.
func tokensVocabLevels(t *testing.T, levels int) (string, *tokenizer.Vocabulary) {
	t.Helper()
	x, info := readSim(t, tokensSim(21, 40))
	col, err := tokenizer.NewCollector(tokenizer.FeatureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for c, ch := range x {
		if _, err := col.AddChannel(ch, info.SampleRate, string(info.Channels[c].Type)); err != nil {
			t.Fatal(err)
		}
	}
	v, err := tokenizer.Train(col.Motifs, tokenizer.TrainConfig{Size: 128, Seed: 1, Powers: col.Powers, Levels: levels})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vocab.arrow")
	if err := v.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path, v
}

// tokenRow is one tokens row.
type tokenRow struct {
	window   int64
	channel  string
	frame    int64
	token    int32
	distance float64
	levels   string // power_levels as fmt prints them, "null" for null
}

func tokenRows(t *testing.T, res []arrowout.Result) []tokenRow {
	t.Helper()
	var out []tokenRow
	for _, r := range res {
		if r.Kind != arrowout.KindTokens {
			t.Fatalf("kind %s", r.Kind)
		}
		rec := r.Record
		if !rec.Schema().Equal(arrowout.TokensSchema) {
			t.Fatalf("schema %v", rec.Schema())
		}
		win := column[*array.Int64](t, rec, "window")
		ch := column[*array.String](t, rec, "channel")
		fr := column[*array.Int64](t, rec, "frame")
		tok := column[*array.Int32](t, rec, "token")
		dist := column[*array.Float64](t, rec, "distance")
		lvl := column[*array.List](t, rec, "power_levels")
		lv := lvl.ListValues().(*array.Int32).Int32Values()
		for i := range int(rec.NumRows()) {
			levels := "null"
			if lvl.IsValid(i) {
				lo, hi := lvl.ValueOffsets(i)
				levels = fmt.Sprint(lv[lo:hi])
			}
			out = append(out, tokenRow{win.Value(i), ch.Value(i), fr.Value(i), tok.Value(i), dist.Value(i), levels})
		}
	}
	return out
}

func TestTokensConfigErrors(t *testing.T) {
	wantBuildError(t, "tokens", map[string]any{}, "vocab: required")
	wantBuildError(t, "tokens", map[string]any{"vocab": "v.arrow", "channels": []string{"Cz", "Cz"}}, `channels[1]: "Cz" repeats channels[0]`)
	wantBuildError(t, "tokens", map[string]any{"vocab": "v.arrow", "context": 2}, "context")
	wantBuildError(t, "tokens", map[string]any{"vocab": filepath.Join(t.TempDir(), "none.arrow")}, "vocab: open")
}

// TestTokensSessionErrors: a session at the wrong
// rate (naming the resample step), short windows and a too-long hop are
// refused with the reason.
func TestTokensSessionErrors(t *testing.T) {
	path, _ := tokensVocab(t)
	si := pipeline.SessionInfo{Session: "s", SampleRate: 200, WindowLength: 400,
		Channels: []formats.Channel{{Label: "Cz", Type: formats.EEG}, {Label: "EOG", Type: formats.EOG}}}
	newSession := func(opts map[string]any, si pipeline.SessionInfo) (pipeline.Stage, error) {
		b, errs := Build("tokens", "", opts)
		if errs != nil {
			t.Fatal(errs)
		}
		return b.NewSession(si)
	}
	for _, c := range []struct {
		opts map[string]any
		edit func(*pipeline.SessionInfo)
		want string
	}{
		{map[string]any{"vocab": path}, func(s *pipeline.SessionInfo) { s.SampleRate = 256 }, "{type: resample, up: 25, down: 32}"},
		{map[string]any{"vocab": path}, func(s *pipeline.SessionInfo) { s.WindowLength = 399 }, "shorter than a token's span of 400 samples"},
		{map[string]any{"vocab": path, "channels": []string{"C3"}}, nil, `channel "C3" is not in this session`},
		{map[string]any{"vocab": path}, func(s *pipeline.SessionInfo) { s.Channels = s.Channels[1:] }, "picks: picks [data] select no channel of this session (it has 1 eog"},
	} {
		s := si
		if c.edit != nil {
			c.edit(&s)
		}
		_, err := newSession(c.opts, s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.opts, err, c.want)
		}
	}
	// Windows of 2 s every 1 s leave frames no window holds whole.
	st, err := newSession(map[string]any{"vocab": path}, si)
	if err != nil {
		t.Fatal(err)
	}
	w := &pipeline.Window{WindowKey: arrowout.WindowKey{Session: "s", Window: 3, StartSample: 600}, SampleRate: 200,
		Channels: si.Channels, Data: [][]float64{make([]float64, 400), make([]float64, 400)}}
	if _, err := st.Process(w); err == nil || !strings.Contains(err.Error(), "window hop 200 samples is too long") {
		t.Errorf("hop 200 of 400-sample windows: %v", err)
	}
}

// tokensSink keeps the tokens rows of a run.
type tokensSink struct {
	mu   sync.Mutex
	t    *testing.T
	rows map[string][]tokenRow // by session
}

func (s *tokensSink) Write(_ context.Context, rs []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if r.Kind == arrowout.KindTokens {
			s.rows[r.Key.Session] = append(s.rows[r.Key.Session], tokenRows(s.t, []arrowout.Result{r})...)
		}
	}
	return nil
}

func (s *tokensSink) Close() error { return nil }

// TestTokensStreamEqualsOneShot runs simulated 256 Hz sessions through the
// runtime (resample step to 200 Hz, then the tokens stage) with several
// chunk sizes and window lengths and hops, and checks the rows against a
// one-shot tokenizer.Tokenize of each whole channel resampled with
// dsp.ResamplePoly: every frame is written once, with the same token and
// distance bit for bit, and every frame whose span ends by the last
// window's end is written.
func TestTokensStreamEqualsOneShot(t *testing.T) {
	defer goleak.VerifyNone(t)
	path, v := tokensVocab(t)
	cfg := tokensSim(5, 30)
	x, info := readSim(t, cfg)
	tk := v.NewTokenizer()
	want := map[string][]tokenizer.Token{}
	kind := map[string]string{}
	for c, ch := range x {
		kind[info.Channels[c].Label] = string(info.Channels[c].Type)
		// The wire carries float32 samples.
		for i, v := range ch {
			ch[i] = float64(float32(v))
		}
		y, err := dsp.ResamplePoly(nil, ch, 25, 32)
		if err != nil {
			t.Fatal(err)
		}
		want[info.Channels[c].Label] = tk.Tokenize(nil, y)
	}
	r := rand.New(rand.NewPCG(8, 9))
	for _, wc := range []struct{ length, hop float64 }{{2, 0.5}, {4, 2}, {3, 1}, {2.5, 0.25}, {5, 2.5}} {
		chunk := 0.05 + 0.5*r.Float64()
		t.Run(fmt.Sprintf("window %gs hop %gs chunk %.3fs", wc.length, wc.hop, chunk), func(t *testing.T) {
			b, errs := Build("tokens", "", map[string]any{"vocab": path})
			if errs != nil {
				t.Fatal(errs)
			}
			rs, errs := BuildPreprocess("resample", "", map[string]any{"up": 25, "down": 32})
			if errs != nil {
				t.Fatal(errs)
			}
			sink := &tokensSink{t: t, rows: map[string][]tokenRow{}}
			src := pipeline.NewRecordingSource([]pipeline.RecordingSpec{{
				Session: "sim", Name: "simulation",
				Open: func() (formats.Recording, error) { return simulate.New(cfg) },
			}}, pipeline.RecordingSourceConfig{ChunkSeconds: chunk})
			run, err := pipeline.New(pipeline.Options{
				Source: src, Preprocess: []pipeline.Preprocessor{rs},
				Stages: []pipeline.StageBuilder{b}, Sinks: []pipeline.Sink{sink},
				Window: pipeline.WindowSpec{LengthSeconds: wc.length, HopSeconds: wc.hop},
				Logger: quietLogger,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := run.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if st := run.Stats(); st.StageErrors.Load() != 0 {
				t.Fatalf("%d stage errors", st.StageErrors.Load())
			}
			rows := sink.rows["sim"]
			// The runtime's windows end at the last k·hop+length within the
			// resampled session, which the resample step flushes at the
			// end of the input: as long as one resample_poly of it.
			n := int64(dsp.ResampledLen(int(info.NSamples), 25, 32))
			L, H := int64(wc.length*200), int64(wc.hop*200)
			wantEnd := (n-L)/H*H + L
			got := map[string]map[int64]tokenRow{}
			var lastEnd int64
			for _, row := range rows {
				if got[row.channel] == nil {
					got[row.channel] = map[int64]tokenRow{}
				}
				if _, dup := got[row.channel][row.frame]; dup {
					t.Fatalf("channel %s frame %d written twice", row.channel, row.frame)
				}
				got[row.channel][row.frame] = row
				lastEnd = max(lastEnd, row.window*H+L)
			}
			if lastEnd > wantEnd || lastEnd < wantEnd-tokenizer.Hop {
				t.Fatalf("last window with rows ends at %d, want the last window's end %d (%d resampled samples)", lastEnd, wantEnd, n)
			}
			lastEnd = wantEnd
			for label, all := range want {
				g := got[label]
				if len(g) == 0 {
					t.Fatalf("channel %s: no rows", label)
				}
				for _, tok := range all {
					end := (tok.Frame+1)*tokenizer.Hop + tokenizer.NFFT
					row, ok := g[tok.Frame]
					if end > lastEnd {
						if ok {
							t.Errorf("channel %s frame %d written, though its span ends at %d after the last window's end %d", label, tok.Frame, end, lastEnd)
						}
						continue
					}
					if !ok {
						t.Fatalf("channel %s: frame %d (span ends at %d) missing; last window ends at %d", label, tok.Frame, end, lastEnd)
					}
					levels := fmt.Sprint(v.AppendLevels(nil, kind[label], &tok))
					if row.token != tok.ID || row.distance != tok.Distance || row.levels != levels {
						t.Fatalf("channel %s frame %d: stream token %d (%v) levels %s, one-shot %d (%v) levels %s",
							label, tok.Frame, row.token, row.distance, row.levels, tok.ID, tok.Distance, levels)
					}
					delete(g, tok.Frame)
				}
				if len(g) != 0 {
					t.Errorf("channel %s: %d rows for frames the one-shot run has not", label, len(g))
				}
			}
		})
	}
}

// TestTokensRestart: a stage instance started at a later window (a session
// rebuilt after a restart or rebalance) writes, for every window, the
// same rows as the instance that saw the session from its start.
func TestTokensRestart(t *testing.T) {
	path, _ := tokensVocab(t)
	x, info := readSim(t, tokensSim(6, 20))
	y := make([][]float64, len(x))
	for c := range x {
		var err error
		if y[c], err = dsp.ResamplePoly(nil, x[c], 25, 32); err != nil {
			t.Fatal(err)
		}
	}
	channels := slices.Clone(info.Channels)
	const L, H = 500, 100
	si := pipeline.SessionInfo{Session: "s", SampleRate: 200, Channels: channels, WindowLength: L}
	window := func(k int64) *pipeline.Window {
		w := &pipeline.Window{WindowKey: arrowout.WindowKey{Session: "s", Window: k, StartSample: k * H}, SampleRate: 200, Channels: channels}
		for c := range y {
			w.Data = append(w.Data, y[c][k*H:k*H+L])
		}
		return w
	}
	build := func() pipeline.Stage { return newTokensSession(t, path, si) }
	live, restarted := build(), build()
	last := (int64(len(y[0])) - L) / H
	for k := range last + 1 {
		a, err := live.Process(window(k))
		if err != nil {
			t.Fatal(err)
		}
		ra := tokenRows(t, a)
		if k < 17 {
			continue
		}
		b, err := restarted.Process(window(k))
		if err != nil {
			t.Fatal(err)
		}
		rb := tokenRows(t, b)
		if len(ra) == 0 || !slices.Equal(ra, rb) {
			t.Fatalf("window %d: %d rows live, %d after the restart, or different", k, len(ra), len(rb))
		}
	}
}

// TestTokensPowerLevels: with a vocabulary with power levels every row
// carries its frame's levels, and they spread over the range in every
// band; with one without them (a version 1 file) the column is null and
// the tokens are the same.
func TestTokensPowerLevels(t *testing.T) {
	withPath, with := tokensVocabLevels(t, 4)
	withoutPath, without := tokensVocabLevels(t, tokenizer.NoLevels)
	if with.Levels() != 4 || without.Levels() != 0 {
		t.Fatalf("levels %d and %d", with.Levels(), without.Levels())
	}
	x, info := readSim(t, tokensSim(7, 20))
	for c := range x {
		var err error
		if x[c], err = dsp.ResamplePoly(nil, x[c], 25, 32); err != nil {
			t.Fatal(err)
		}
	}
	si := pipeline.SessionInfo{Session: "s", SampleRate: 200, Channels: info.Channels, WindowLength: 400}
	var rows [2][]tokenRow
	for i, path := range []string{withPath, withoutPath} {
		st := newTokensSession(t, path, si)
		for k := int64(0); (k+4)*100 <= int64(len(x[0])); k++ {
			w := &pipeline.Window{WindowKey: arrowout.WindowKey{Session: "s", Window: k, StartSample: k * 100}, SampleRate: 200, Channels: info.Channels}
			for c := range x {
				w.Data = append(w.Data, x[c][k*100:k*100+400])
			}
			res, err := st.Process(w)
			if err != nil {
				t.Fatal(err)
			}
			rows[i] = append(rows[i], tokenRows(t, res)...)
		}
	}
	seen := map[string]int{}
	for j, r := range rows[0] {
		var lv [tokenizer.NumBands]int
		if n, err := fmt.Sscanf(r.levels, "[%d %d %d %d %d]", &lv[0], &lv[1], &lv[2], &lv[3], &lv[4]); n != tokenizer.NumBands || err != nil {
			t.Fatalf("row %d: power levels %s", j, r.levels)
		}
		for b, l := range lv {
			seen[fmt.Sprint(b, l)]++
		}
		if o := rows[1][j]; o.levels != "null" || o.token != r.token || o.frame != r.frame {
			t.Fatalf("row %d: %+v with levels, %+v without", j, r, o)
		}
	}
	if len(seen) != 4*tokenizer.NumBands {
		t.Errorf("band and level pairs written %v, want each level 0…3 in each band", seen)
	}
}

// newTokensSession builds the tokens stage of the vocabulary at path for
// the session si.
func newTokensSession(t *testing.T, path string, si pipeline.SessionInfo) pipeline.Stage {
	t.Helper()
	b, errs := Build("tokens", "", map[string]any{"vocab": path})
	if errs != nil {
		t.Fatal(errs)
	}
	st, err := b.NewSession(si)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
