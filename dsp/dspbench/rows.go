package dspbench

import (
	"fmt"
	"math"
	"time"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/internal/cpuclock"
)

// Row is one measurement beyond Result's three whole-data figures: a
// computation, how fast it ran, and the parameters its reference in
// tools/bench/dsp_compare.py needs to do the same work.
type Row struct {
	// Name identifies the computation; dsp_compare.py pairs it with its
	// reference by this name.
	Name string `json:"name"`
	// What says what was computed, on what.
	What string `json:"what"`
	// Unit of Value: "channel-samples/s" (input samples times channels),
	// "windows/s" or "decisions/s", per second of the process's CPU time
	// (internal/cpuclock: on a shared machine, wall-clock time would count
	// the time spent waiting for a core), best of Config.Repeats runs.
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
	// Params are the parameters of the work (filter coefficients, window
	// lengths, …), for the reference.
	Params map[string]any `json:"params,omitempty"`
}

// Units of Row.Value.
const (
	UnitChannelSamples = "channel-samples/s"
	UnitWindows        = "windows/s"
	UnitDecisions      = "decisions/s"
)

// timed returns work/s for the best of repeats runs of fn.
func timed(repeats int, work float64, fn func()) float64 {
	return work / bestOf(repeats, fn).Seconds()
}

// windowStarts returns the first samples of up to limit windows of length
// samples every hop samples that fit in n samples.
func windowStarts(n, length, hop, limit int) []int {
	var s []int
	for start := 0; start+length <= n && len(s) < limit; start += hop {
		s = append(s, start)
	}
	return s
}

// window sets xs[c] to x[c][start : start+n] and returns xs.
func window(xs, x [][]float64, start, n int) [][]float64 {
	for c, row := range x {
		xs[c] = row[start : start+n : start+n]
	}
	return xs
}

// filterRows times a 4th-order Butterworth band-pass, 1–40 Hz, over every
// channel: causal from a zero state (scipy.signal.sosfilt) and zero-phase
// (scipy.signal.sosfiltfilt).
func filterRows(x [][]float64, cfg Config) ([]Row, error) {
	sos, err := dsp.Butter(4, []float64{1, 40}, dsp.Bandpass, cfg.Rate)
	if err != nil {
		return nil, err
	}
	f, err := dsp.NewSOSFilter(sos, len(x), dsp.InitZero)
	if err != nil {
		return nil, err
	}
	ff, err := dsp.NewFiltFilt(sos)
	if err != nil {
		return nil, err
	}
	work := float64(len(x) * len(x[0]))
	dst := f.FilterChannels(nil, x)
	params := map[string]any{"sos": sos}
	what := fmt.Sprintf("4th-order Butterworth band-pass 1–40 Hz (%d sections), every channel of the data", len(sos))
	rows := []Row{{
		Name: "sosfilt", What: what + ", causal from a zero state", Unit: UnitChannelSamples, Params: params,
		Value: timed(cfg.Repeats, work, func() {
			f.Reset()
			f.FilterChannels(dst, x)
		}),
	}}
	var ferr error
	rows = append(rows, Row{
		Name: "sosfiltfilt", What: what + ", zero-phase (forward-backward, scipy's padding)", Unit: UnitChannelSamples, Params: params,
		Value: timed(cfg.Repeats, work, func() {
			for c, row := range x {
				if _, err := ff.Filter(dst[c], row); err != nil {
					ferr = err
				}
			}
		}),
	})
	return rows, ferr
}

// rfftRow times dsp.RealFFT of every block of SegmentLen samples of every
// channel: the transform under Welch, the CSD, the STFT and the
// multitaper PSD.
func rfftRow(x [][]float64, cfg Config) (Row, error) {
	n := cfg.SegmentLen
	f := dsp.NewRealFFT(n)
	coef := make([]complex128, n/2+1)
	blocks := len(x[0]) / n
	return Row{
		Name: "rfft", What: fmt.Sprintf("real FFT of every %d-sample block of every channel", n),
		Unit: UnitChannelSamples, Params: map[string]any{"n": n},
		Value: timed(cfg.Repeats, float64(len(x)*blocks*n), func() {
			for _, row := range x {
				for b := range blocks {
					f.Coefficients(coef, row[b*n:(b+1)*n])
				}
			}
		}),
	}, nil
}

// resampleRow times dsp.ResamplePoly of every channel to 200 Hz (the
// tokenizer's rate; 25/32 from 256 Hz).
func resampleRow(x [][]float64, cfg Config, up, down int) (Row, error) {
	dst := make([]float64, dsp.ResampledLen(len(x[0]), up, down))
	var rerr error
	v := timed(cfg.Repeats, float64(len(x)*len(x[0])), func() {
		for _, row := range x {
			if _, err := dsp.ResamplePoly(dst, row, up, down); err != nil {
				rerr = err
			}
		}
	})
	return Row{
		Name: "resample", What: fmt.Sprintf("polyphase resampling by %d/%d (to 200 Hz), every channel", up, down),
		Unit: UnitChannelSamples, Value: v, Params: map[string]any{"up": up, "down": down},
	}, rerr
}

// stftRow times dsp.STFT (scipy.signal.stft's defaults: Hann, 50 %
// overlap, boundary zeros, padding) with 1 s frames over every channel.
func stftRow(x [][]float64, cfg Config) (Row, error) {
	n := int(math.Round(cfg.Rate))
	p, err := dsp.NewSTFT(dsp.STFTConfig{SampleRate: cfg.Rate, SegmentLen: n})
	if err != nil {
		return Row{}, err
	}
	z := make([]complex128, p.Frames(len(x[0]))*p.Len())
	v := timed(cfg.Repeats, float64(len(x)*len(x[0])), func() {
		for _, row := range x {
			p.Transform(z, row)
		}
	})
	return Row{
		Name: "stft", What: fmt.Sprintf("STFT, nperseg %d (1 s), 50 %% overlap, Hann, scipy.signal.stft's boundary and padding, every channel", n),
		Unit: UnitChannelSamples, Value: v, Params: map[string]any{"nperseg": n},
	}, nil
}

// multitaperRows times the multitaper PSD of every channel of 2 s windows
// (MNE's defaults: NW 4, low-bias tapers, fixed or adaptive weights).
func multitaperRows(x [][]float64, cfg Config) ([]Row, error) {
	n := int(math.Round(2 * cfg.Rate))
	starts := windowStarts(len(x[0]), n, n, cfg.Windows)
	if len(starts) == 0 {
		return nil, nil
	}
	var rows []Row
	for _, adaptive := range []bool{false, true} {
		p, err := dsp.NewMultitaper(dsp.MultitaperConfig{SampleRate: cfg.Rate, Len: n, Adaptive: adaptive})
		if err != nil {
			return nil, err
		}
		dst := make([]float64, p.Len())
		name, what := "multitaper", "fixed"
		if adaptive {
			name, what = "multitaper_adaptive", "adaptive"
		}
		rows = append(rows, Row{
			Name: name, What: fmt.Sprintf("multitaper PSD (NW 4, %d tapers, %s weights) of every channel of a 2 s window", p.NumTapers(), what),
			Unit: UnitWindows, Params: map[string]any{"length": n, "windows": len(starts), "adaptive": adaptive},
			Value: timed(cfg.Repeats, float64(len(starts)), func() {
				for _, s := range starts {
					for _, row := range x {
						p.PSD(dst, row[s:s+n])
					}
				}
			}),
		})
	}
	return rows, nil
}

// csdWindowRow times the one-shot all-pairs CSD plus magnitude-squared
// coherence of 2 s windows, each on its own.
func csdWindowRow(x [][]float64, cfg Config) (Row, error) {
	n := int(math.Round(2 * cfg.Rate))
	starts := windowStarts(len(x[0]), n, n, cfg.Windows)
	if len(starts) == 0 || n < cfg.SegmentLen {
		return Row{}, nil
	}
	c, err := newCoherence(len(x), cfg)
	if err != nil {
		return Row{}, err
	}
	xs := make([][]float64, len(x))
	return Row{
		Name: "csd_window", What: fmt.Sprintf("all-pairs CSD + magnitude-squared coherence of a 2 s window (nperseg %d, 50 %% overlap)", cfg.SegmentLen),
		Unit: UnitWindows, Params: map[string]any{"length": n, "windows": len(starts), "nperseg": cfg.SegmentLen},
		Value: timed(cfg.Repeats, float64(len(starts)), func() {
			for _, s := range starts {
				c.plan.Compute(c.m, window(xs, x, s, n))
				c.m.Connectivity(c.coh, dsp.MSC, c.pairs)
			}
		}),
	}, nil
}

// coherence is an all-pairs CSD plan with its outputs.
type coherence struct {
	plan  *dsp.CSD
	m     *dsp.CSDMatrix
	pairs []dsp.ChannelPair
	coh   []float64
}

func newCoherence(channels int, cfg Config) (*coherence, error) {
	plan, err := dsp.NewCSD(dsp.CSDConfig{WelchConfig: dsp.WelchConfig{SampleRate: cfg.Rate, SegmentLen: cfg.SegmentLen}, Channels: channels})
	if err != nil {
		return nil, err
	}
	pairs := dsp.AllChannelPairs(channels)
	return &coherence{plan: plan, m: plan.NewMatrix(), pairs: pairs, coh: make([]float64, len(pairs)*plan.Len())}, nil
}

// bestOf returns the shortest of repeats runs of fn (at least one), in
// CPU time (see Row).
func bestOf(repeats int, fn func()) time.Duration {
	return bestOfEach(repeats, fn)[0]
}

// bestOfEach runs the fns one after the other, repeats times over, and
// returns the shortest run of each: alternating keeps a burst of load on
// the machine from falling on one of them only.
func bestOfEach(repeats int, fns ...func()) []time.Duration {
	best := make([]time.Duration, len(fns))
	for i := range best {
		best[i] = time.Duration(math.MaxInt64)
	}
	for range max(1, repeats) {
		for i, fn := range fns {
			t0 := cpuclock.Now()
			fn()
			best[i] = min(best[i], cpuclock.Since(t0))
		}
	}
	return best
}

// odd4Rows times the whole-data Welch PSD and all-pairs CSD + coherence
// with segments of 250 samples (1 s at 250 Hz, 2 s at 125 Hz): a length
// whose half, 125, is not a multiple of 4, so that no Stockham stage of one
// transform vectorises and the plans transform four segments (Welch) or
// channels (CSD) at once. The sample rate does not change the work.
func odd4Rows(x [][]float64, cfg Config) ([]Row, error) {
	const n = 250
	if len(x[0]) < n {
		return nil, nil
	}
	wc := dsp.WelchConfig{SampleRate: cfg.Rate, SegmentLen: n}
	w, err := dsp.NewWelch(wc)
	if err != nil {
		return nil, err
	}
	c, err := dsp.NewCSD(dsp.CSDConfig{WelchConfig: wc, Channels: len(x)})
	if err != nil {
		return nil, err
	}
	psd := make([]float64, w.Len())
	m := c.NewMatrix()
	pairs := dsp.AllChannelPairs(len(x))
	coh := make([]float64, len(pairs)*c.Len())
	work := float64(len(x) * len(x[0]))
	params := map[string]any{"nperseg": n}
	best := bestOfEach(cfg.Repeats, func() {
		for _, ch := range x {
			w.PSD(psd, ch)
		}
	}, func() {
		c.Compute(m, x)
		m.Connectivity(coh, dsp.MSC, pairs)
	})
	return []Row{{
		Name: "psd_nperseg", Unit: UnitChannelSamples, Value: work / best[0].Seconds(), Params: params,
		What: fmt.Sprintf("Welch PSD of every channel, whole data, nperseg %d (four transforms at once), 50 %% overlap", n),
	}, {
		Name: "csd_coherence_nperseg", Unit: UnitChannelSamples, Value: work / best[1].Seconds(), Params: params,
		What: fmt.Sprintf("all-pairs CSD + magnitude-squared coherence, whole data, nperseg %d (four transforms at once)", n),
	}}, nil
}
