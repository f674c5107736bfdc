package evaluate

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/neurostream/neurostream/internal/progress"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus"
)

// example is one labelled span of one recording.
type example struct {
	rec, class int
	// Token frames from … to−1 of every channel; the token support is
	// samples [lo, hi) at 200 Hz.
	from, to int64
	lo, hi   int
	logBP    []float64 // log10 band power per channel and band
	relBP    []float64 // relative band power per channel and band
	// powers[c] are channel c's band powers (tokenizer.Token.Powers,
	// NumBands per frame) of every frame in [lo, hi): the token frames
	// and their context.
	powers [][]float64
}

// data is every recording with examples at 200 Hz, and its examples.
type data struct {
	x        [][][]float64 // x[rec][channel] at 200 Hz
	labels   [][]string    // channel labels per recording
	kinds    [][]string    // channel types per recording
	test     []bool        // recordings of the test data (Config.TestPaths)
	ex       []example
	channels int                    // channels per recording when all agree, else 0
	motifs   [][]float64            // motifs per recording
	powers   []map[string][]float64 // their power levels by channel type
}

// span is a labelled stretch of a recording, in seconds.
type span struct {
	t0, t1 float64
	class  int
}

// spans returns rec's labelled spans; n is its length at 200 Hz.
func (l *labels) spans(rec *corpus.Recording, n int) []span {
	if l.folder {
		return []span{{0, float64(n) / tokenizer.SampleRate, l.class(filepath.Base(filepath.Dir(rec.Path)))}}
	}
	var out []span
	for _, a := range rec.Info.Annotations {
		if c, ok := l.byDesc[strings.TrimSpace(a.Description)]; ok {
			out = append(out, span{a.Onset, a.Onset + a.Duration, c})
		}
	}
	return out
}

// bandPower measures the band powers of examples.
type bandPower struct {
	welch *dsp.Welch
	freqs []float64
	psd   []float64
}

func newBandPower() (*bandPower, error) {
	welch, err := dsp.NewWelch(dsp.WelchConfig{SampleRate: tokenizer.SampleRate, SegmentLen: tokenizer.SampleRate})
	if err != nil {
		return nil, err
	}
	return &bandPower{welch: welch, freqs: welch.Freqs(nil), psd: make([]float64, welch.Len())}, nil
}

// add appends the log10 and relative (to 1–45 Hz) power of x in each of
// dsp.StandardBands to e.
func (b *bandPower) add(e *example, x []float64) {
	b.welch.PSD(b.psd, x)
	total := dsp.BandPower(b.psd, b.freqs, 1, 45)
	for _, band := range dsp.StandardBands {
		p := dsp.BandPower(b.psd, b.freqs, band.Low, band.High)
		e.logBP = append(e.logBP, math.Log10(max(p, 1e-300)))
		rel := 0.0
		if total > 0 {
			rel = p / total
		}
		e.relBP = append(e.relBP, rel)
	}
}

// cut returns the examples of the spans of recording rec (channels x at
// 200 Hz): the whole token frames inside each span, with their band
// powers. Spans too short for a token give none.
func (b *bandPower) cut(x [][]float64, rec int, spans []span, fc tokenizer.FeatureConfig) []example {
	ctx := int64(fc.Context)
	n := len(x[0])
	var out []example
	for _, s := range spans {
		s0 := max(0, int64(math.Ceil(s.t0*tokenizer.SampleRate-1e-9)))
		s1 := min(int64(n), int64(math.Floor(s.t1*tokenizer.SampleRate+1e-9)))
		from := (s0+tokenizer.Hop-1)/tokenizer.Hop + ctx
		if s1 < tokenizer.NFFT {
			continue
		}
		to := (s1-tokenizer.NFFT)/tokenizer.Hop - ctx + 1
		if to <= from {
			continue
		}
		e := example{rec: rec, class: s.class, from: from, to: to,
			lo: int((from - ctx) * tokenizer.Hop), hi: int((to-1+ctx)*tokenizer.Hop + tokenizer.NFFT)}
		for _, ch := range x {
			b.add(&e, ch[e.lo:e.hi])
		}
		out = append(out, e)
	}
	return out
}

// loader reads recordings into a data.
type loader struct {
	in  corpus.Input
	fc  tokenizer.FeatureConfig
	lab *labels
	log io.Writer
	bp  *bandPower
	rs  map[float64]*tokenizer.Resampler
	col *tokenizer.Collector
	tk  *tokenizer.Tokenizer // for the frames' band powers
}

func newLoader(in corpus.Input, v *tokenizer.Vocabulary, lab *labels, log io.Writer) (*loader, error) {
	fc := v.Features
	bp, err := newBandPower()
	if err != nil {
		return nil, err
	}
	col, err := tokenizer.NewCollector(fc)
	if err != nil {
		return nil, err
	}
	return &loader{in: in, fc: fc, lab: lab, log: log, bp: bp, rs: map[float64]*tokenizer.Resampler{}, col: col, tk: v.NewTokenizer()}, nil
}

// load reads the recordings files, resamples them to 200 Hz and adds
// their labelled examples, with their band powers, to d, marking them as
// test data when test is set. Recordings without an example are left
// out.
func (l *loader) load(d *data, files []string, test bool) error {
	show := progress.Steps(l.log)
	step := "read recordings"
	if test {
		step = "read test recordings"
	}
	for fi, path := range files {
		rec, err := l.in.Read(path)
		if err != nil {
			return err
		}
		rate := rec.Info.SampleRate
		r, ok := l.rs[rate]
		if !ok {
			if r, err = tokenizer.NewResampler(rate); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			l.rs[rate] = r
		}
		x := make([][]float64, len(rec.X))
		kinds := make([]string, len(rec.X))
		for c, ch := range rec.X {
			x[c] = r.Resample(ch)
			kinds[c] = string(rec.Types[c])
		}
		ex := l.bp.cut(x, len(d.x), l.lab.spans(rec, len(x[0])), l.fc)
		if len(ex) == 0 {
			fmt.Fprintf(l.log, "note: %s: no labelled span long enough for a token, skipped\n", path)
			show(step, fi+1, len(files))
			continue
		}
		for i := range ex {
			e := &ex[i]
			for _, ch := range x {
				e.powers = append(e.powers, l.tk.AppendPowers(nil, ch[e.lo:e.hi], int64(e.lo), int64(e.lo/tokenizer.Hop), e.to+int64(l.fc.Context)))
			}
		}
		d.ex = append(d.ex, ex...)
		l.col.Reset()
		for c, ch := range x {
			l.col.AddChannel(ch, tokenizer.SampleRate, kinds[c])
		}
		powers := map[string][]float64{}
		for k, p := range l.col.Powers {
			powers[k] = slices.Clone(p)
		}
		d.motifs = append(d.motifs, slices.Clone(l.col.Motifs))
		d.powers = append(d.powers, powers)
		d.x = append(d.x, x)
		d.labels = append(d.labels, rec.Labels)
		d.kinds = append(d.kinds, kinds)
		d.test = append(d.test, test)
		switch {
		case d.channels == -1:
			d.channels = len(x)
		case d.channels != len(x) || !slices.Equal(rec.Labels, d.labels[0]):
			d.channels = 0
		}
		show(step, fi+1, len(files))
	}
	return nil
}

// tokenize returns toks[example][channel] = the example's tokens.
func tokenize(v *tokenizer.Vocabulary, d *data) [][][]tokenizer.Token {
	toks := make([][][]tokenizer.Token, len(d.ex))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			tk := v.NewTokenizer()
			for i := range next {
				e := d.ex[i]
				for _, ch := range d.x[e.rec] {
					toks[i] = append(toks[i], tk.AppendFrames(nil, ch[e.lo:e.hi], int64(e.lo), e.from, e.to))
				}
			}
		})
	}
	for i := range d.ex {
		next <- i
	}
	close(next)
	wg.Wait()
	return toks
}
