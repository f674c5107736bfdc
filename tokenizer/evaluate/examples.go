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
}

// data is every recording with examples at 200 Hz, and its examples.
type data struct {
	x        [][][]float64 // x[rec][channel] at 200 Hz
	labels   [][]string    // channel labels per recording
	ex       []example
	channels int // channels per recording when all agree, else 0
	motifs   [][]float64
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

// load reads the recordings, resamples them to 200 Hz and cuts the
// labelled examples with their band powers. Recordings without an
// example are left out.
func load(in corpus.Input, files []string, v *tokenizer.Vocabulary, lab *labels, log io.Writer) (*data, error) {
	d := &data{channels: -1}
	bp, err := newBandPower()
	if err != nil {
		return nil, err
	}
	rs := map[float64]*tokenizer.Resampler{}
	col, err := tokenizer.NewCollector(v.Features)
	if err != nil {
		return nil, err
	}
	progress := corpus.Progress(log)
	for fi, path := range files {
		rec, err := in.Read(path)
		if err != nil {
			return nil, err
		}
		rate := rec.Info.SampleRate
		r, ok := rs[rate]
		if !ok {
			if r, err = tokenizer.NewResampler(rate); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			rs[rate] = r
		}
		x := make([][]float64, len(rec.X))
		for c, ch := range rec.X {
			x[c] = r.Resample(ch)
		}
		ex := bp.cut(x, len(d.x), lab.spans(rec, len(x[0])), v.Features)
		if len(ex) == 0 {
			fmt.Fprintf(log, "note: %s: no labelled span long enough for a token, skipped\n", path)
			progress("read recordings", fi+1, len(files))
			continue
		}
		d.ex = append(d.ex, ex...)
		col.Motifs = col.Motifs[:0]
		for c, ch := range x {
			col.Add(ch, tokenizer.SampleRate, string(rec.Types[c]))
		}
		d.motifs = append(d.motifs, slices.Clone(col.Motifs))
		d.x = append(d.x, x)
		d.labels = append(d.labels, rec.Labels)
		switch {
		case d.channels == -1:
			d.channels = len(x)
		case d.channels != len(x) || !slices.Equal(rec.Labels, d.labels[0]):
			d.channels = 0
		}
		progress("read recordings", fi+1, len(files))
	}
	return d, nil
}

// tokenize returns toks[example][channel] = the example's token ids.
func tokenize(v *tokenizer.Vocabulary, d *data) [][][]int32 {
	toks := make([][][]int32, len(d.ex))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			tk := v.NewTokenizer()
			var buf []tokenizer.Token
			for i := range next {
				e := d.ex[i]
				for _, ch := range d.x[e.rec] {
					buf = tk.AppendFrames(buf[:0], ch[e.lo:e.hi], int64(e.lo), e.from, e.to)
					ids := make([]int32, len(buf))
					for j, t := range buf {
						ids[j] = t.ID
					}
					toks[i] = append(toks[i], ids)
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
