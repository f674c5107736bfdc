// Package dspbench measures the throughput of the analysis code on one
// core, on the same data tools/bench/dsp_compare.py runs through scipy,
// MNE and numpy: Welch PSD of every channel (with go-dsp's
// spectral.Pwelch as a baseline) and all-pairs cross-spectral density plus
// magnitude-squared coherence over the whole data, Hann window, 50%
// overlap (Result's three figures), then a Row for every other figure of
// docs/benchmarks.md's DSP table: IIR filtering (causal and zero-phase),
// resampling, the STFT, the multitaper PSD, the per-window CSD, the psd
// and coherence of sliding windows with and without segment reuse, the
// tokenizer and the SSVEP decoders. It is what `neurostream bench dsp`
// runs.
package dspbench

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/mjibson/go-dsp/spectral"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/tokenizer"
)

// Config is one measurement. Start from DefaultConfig.
type Config struct {
	// RawFile, when set, is the data: little-endian float64, channel-major
	// (channel 0's samples first), Channels channels. Default: none, seeded
	// synthetic data (Synthetic)
	RawFile string
	// Channels of the data. Default: 64
	Channels int
	// Rate is the sample rate in Hz. Default: 256
	Rate float64
	// Seconds is the duration of synthetic data. Default: 600
	Seconds float64
	// SegmentLen is the Welch segment length (nperseg). Default: 256
	SegmentLen int
	// Repeats is the runs per measurement; the best is reported.
	// Default: 3
	Repeats int
	// Windows bounds the windows of each per-window measurement (the
	// first ones of the data). Default: 200
	Windows int
}

// DefaultConfig returns the defaults of `neurostream bench dsp`.
func DefaultConfig() Config {
	return Config{Channels: 64, Rate: 256, Seconds: 600, SegmentLen: 256, Repeats: 3, Windows: 200}
}

// Result is the throughput of each estimator in channel-samples per
// second; JSON encodes it as `bench dsp --json` prints it.
type Result struct {
	CSDCoherence float64 `json:"csd_coherence"`
	PSD          float64 `json:"psd"`
	PSDGoDSP     float64 `json:"psd_go_dsp"`
	// Rows are the other measurements: filters, resampling, STFT,
	// multitaper, per-window CSD, the streaming psd and coherence, the
	// tokenizer and the SSVEP decoders (see Run).
	Rows []Row `json:"rows"`

	// The data measured on.
	Channels, Samples, SegmentLen int     `json:"-"`
	Rate                          float64 `json:"-"`
}

// WriteText writes r as `neurostream bench dsp` prints it.
func (r *Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%d ch × %g Hz × %g s, n_per_seg %d, 50%% overlap, Hann, one core\n", r.Channels, r.Rate, float64(r.Samples)/r.Rate, r.SegmentLen)
	fmt.Fprintf(w, "  %-26s %10.3g channel-samples/s\n", "psd (dsp.Welch)", r.PSD)
	fmt.Fprintf(w, "  %-26s %10.3g channel-samples/s\n", "psd (go-dsp Pwelch)", r.PSDGoDSP)
	fmt.Fprintf(w, "  %-26s %10.3g channel-samples/s\n", "csd + coherence, all pairs", r.CSDCoherence)
	for _, row := range r.Rows {
		fmt.Fprintf(w, "  %-26s %10.3g %s: %s\n", row.Name, row.Value, row.Unit, row.What)
	}
}

// Data reads cfg.RawFile, or makes Synthetic data when it is empty.
func Data(cfg Config) ([][]float64, error) {
	if cfg.Channels < 1 {
		return nil, fmt.Errorf("dspbench: Channels: want at least 1, got %d", cfg.Channels)
	}
	if cfg.RawFile == "" {
		return Synthetic(cfg.Channels, int(cfg.Rate*cfg.Seconds)), nil
	}
	path, channels := cfg.RawFile, cfg.Channels
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size()%int64(8*channels) != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float64 samples for %d channels", path, st.Size(), channels)
	}
	n := int(st.Size() / int64(8*channels))
	x := make([][]float64, channels)
	buf := make([]byte, 8*n)
	for c := range x {
		if _, err := io.ReadFull(f, buf); err != nil {
			return nil, fmt.Errorf("%s: channel %d: %w", path, c, err)
		}
		x[c] = make([]float64, n)
		for i := range x[c] {
			x[c][i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
		}
	}
	return x, nil
}

// Synthetic returns n samples of each of channels channels of seeded
// EEG-like data: a random walk (steps of 0.1 µV) plus white noise (1 µV),
// in V.
func Synthetic(channels, n int) [][]float64 {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([][]float64, channels)
	for c := range x {
		x[c] = make([]float64, n)
		var walk float64
		for i := range x[c] {
			walk += 1e-7 * r.NormFloat64()
			x[c][i] = walk + 1e-6*r.NormFloat64()
		}
	}
	return x
}

// Run times each estimator on x (channels × samples, at cfg.Rate) on the
// calling goroutine; run it with GOMAXPROCS 1 for one core.
func Run(x [][]float64, cfg Config) (*Result, error) {
	if len(x) == 0 || len(x[0]) == 0 {
		return nil, fmt.Errorf("dspbench: no data")
	}
	res := &Result{Channels: len(x), Samples: len(x[0]), SegmentLen: cfg.SegmentLen, Rate: cfg.Rate}
	cs := float64(len(x) * len(x[0]))
	w, err := dsp.NewWelch(dsp.WelchConfig{SampleRate: cfg.Rate, SegmentLen: cfg.SegmentLen})
	if err != nil {
		return nil, err
	}
	psd := make([]float64, w.Len())
	res.PSD = cs / bestOf(cfg.Repeats, func() {
		for _, ch := range x {
			w.PSD(psd, ch)
		}
	}).Seconds()
	opt := &spectral.PwelchOptions{NFFT: cfg.SegmentLen, Noverlap: cfg.SegmentLen / 2}
	res.PSDGoDSP = cs / bestOf(cfg.Repeats, func() {
		for _, ch := range x {
			spectral.Pwelch(ch, cfg.Rate, opt)
		}
	}).Seconds()
	csd, err := timeCSD(x, cfg)
	if err != nil {
		return nil, err
	}
	res.CSDCoherence = cs / csd.Seconds()
	res.Rows, err = rows(x, cfg)
	return res, err
}

// rows measures every Row on x: the filters, resampling to 200 Hz, the
// STFT, the real FFT, the multitaper PSD, the per-window CSD, the streaming psd and
// coherence, the tokenizer, the SSVEP decoders and the whole-data PSD and
// CSD with 250-sample segments. A measurement the data
// is too short for (fewer windows than it needs, too few motifs for a
// vocabulary) is left out.
func rows(x [][]float64, cfg Config) ([]Row, error) {
	if cfg.Windows == 0 {
		cfg.Windows = DefaultConfig().Windows
	}
	out, err := filterRows(x, cfg)
	if err != nil {
		return nil, err
	}
	up, down, err := tokenizer.Ratio(cfg.Rate)
	if err != nil {
		return nil, err
	}
	if up != down {
		r, err := resampleRow(x, cfg, up, down)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	r, err := stftRow(x, cfg)
	if err != nil {
		return nil, err
	}
	out = append(out, r)
	for _, f := range []func([][]float64, Config) ([]Row, error){oneRow(rfftRow), multitaperRows, oneRow(csdWindowRow), streamRows, tokenizerRows, ssvepRows, odd4Rows} {
		rs, err := f(x, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// oneRow adapts a measurement of one row, which it leaves out when empty.
func oneRow(f func([][]float64, Config) (Row, error)) func([][]float64, Config) ([]Row, error) {
	return func(x [][]float64, cfg Config) ([]Row, error) {
		r, err := f(x, cfg)
		if err != nil || r.Name == "" {
			return nil, err
		}
		return []Row{r}, nil
	}
}

// timeCSD times all-pairs CSD plus magnitude-squared coherence of the
// whole data, as one Welch computation over every pair.
func timeCSD(x [][]float64, cfg Config) (time.Duration, error) {
	plan, err := dsp.NewCSD(dsp.CSDConfig{WelchConfig: dsp.WelchConfig{SampleRate: cfg.Rate, SegmentLen: cfg.SegmentLen}, Channels: len(x)})
	if err != nil {
		return 0, err
	}
	m := plan.NewMatrix()
	pairs := dsp.AllChannelPairs(len(x))
	coh := make([]float64, len(pairs)*plan.Len())
	return bestOf(cfg.Repeats, func() {
		plan.Compute(m, x)
		m.Connectivity(coh, dsp.MSC, pairs)
	}), nil
}
