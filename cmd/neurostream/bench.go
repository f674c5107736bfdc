package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"github.com/mjibson/go-dsp/spectral"
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/dsp"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure throughput of the analysis code"}
	cmd.AddCommand(newBenchDSPCmd(), newBenchLatencyCmd(), newBenchThroughputCmd(), newBenchBCILoopCmd())
	return cmd
}

func newBenchDSPCmd() *cobra.Command {
	var (
		raw               string
		channels, nperseg int
		rate, seconds     float64
		repeats           int
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "dsp",
		Short: "Welch PSD and all-pairs CSD + coherence throughput, single-threaded",
		Long: "bench dsp runs, on one core, Welch PSD of every channel (ours, and go-dsp's spectral.Pwelch as a\n" +
			"baseline) and all-pairs cross-spectral density plus magnitude-squared coherence over the whole\n" +
			"data, Hann window, 50% overlap, and prints channel-samples per second (best of --repeats).\n" +
			"Data: seeded synthetic EEG-like noise, or --raw-f64 FILE (little-endian float64, channel-major).\n" +
			"tools/bench/dsp_compare.py runs the same data through scipy, MNE and numpy and prints ratios.",
		Example: "  neurostream bench dsp\n  neurostream bench dsp --raw-f64 data.f64 --channels 64 --rate 256 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			runtime.GOMAXPROCS(1)
			x, err := benchData(raw, channels, rate, seconds)
			if err != nil {
				return err
			}
			res, err := benchDSP(x, rate, nperseg, repeats)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(res)
			}
			fmt.Fprintf(out, "%d ch × %g Hz × %g s, nperseg %d, 50%% overlap, Hann, one core\n", len(x), rate, float64(len(x[0]))/rate, nperseg)
			fmt.Fprintf(out, "  %-26s %10.3g channel-samples/s\n", "psd (dsp.Welch)", res["psd"])
			fmt.Fprintf(out, "  %-26s %10.3g channel-samples/s\n", "psd (go-dsp Pwelch)", res["psd_go_dsp"])
			fmt.Fprintf(out, "  %-26s %10.3g channel-samples/s\n", "csd + coherence, all pairs", res["csd_coherence"])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&raw, "raw-f64", "", "little-endian float64 file, channel-major (channel 0's samples first)")
	f.IntVar(&channels, "channels", 64, "channels")
	f.Float64Var(&rate, "rate", 256, "sample rate in Hz")
	f.Float64Var(&seconds, "seconds", 600, "duration of synthetic data in seconds")
	f.IntVar(&nperseg, "nperseg", 256, "Welch segment length")
	f.IntVar(&repeats, "repeats", 3, "runs per measurement; the best is reported")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// benchData reads a raw file or makes seeded synthetic data: a random walk
// plus white noise per channel, EEG-like in scale.
func benchData(path string, channels int, rate, seconds float64) ([][]float64, error) {
	if channels < 1 {
		return nil, fmt.Errorf("--channels must be at least 1")
	}
	if path != "" {
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
	n := int(rate * seconds)
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
	return x, nil
}

func bestOf(repeats int, fn func()) time.Duration {
	best := time.Duration(math.MaxInt64)
	for range max(1, repeats) {
		t0 := time.Now()
		fn()
		best = min(best, time.Since(t0))
	}
	return best
}

// benchDSP returns channel-samples/s per measurement.
func benchDSP(x [][]float64, rate float64, nperseg, repeats int) (map[string]float64, error) {
	cs := float64(len(x) * len(x[0]))
	w, err := dsp.NewWelch(dsp.WelchConfig{SampleRate: rate, SegmentLen: nperseg})
	if err != nil {
		return nil, err
	}
	psd := make([]float64, w.Len())
	res := map[string]float64{}
	res["psd"] = cs / bestOf(repeats, func() {
		for _, ch := range x {
			w.PSD(psd, ch)
		}
	}).Seconds()
	opt := &spectral.PwelchOptions{NFFT: nperseg, Noverlap: nperseg / 2}
	res["psd_go_dsp"] = cs / bestOf(repeats, func() {
		for _, ch := range x {
			spectral.Pwelch(ch, rate, opt)
		}
	}).Seconds()
	csd, err := benchCSD(x, rate, nperseg, repeats)
	if err != nil {
		return nil, err
	}
	res["csd_coherence"] = cs / csd.Seconds()
	return res, nil
}

// benchCSD times all-pairs CSD plus magnitude-squared coherence of the
// whole data, as one Welch computation over every pair.
func benchCSD(x [][]float64, rate float64, nperseg, repeats int) (time.Duration, error) {
	plan, err := dsp.NewCSD(dsp.CSDConfig{WelchConfig: dsp.WelchConfig{SampleRate: rate, SegmentLen: nperseg}, Channels: len(x)})
	if err != nil {
		return 0, err
	}
	m := plan.NewMatrix()
	pairs := dsp.AllChannelPairs(len(x))
	coh := make([]float64, len(pairs)*plan.Len())
	return bestOf(repeats, func() {
		plan.Compute(m, x)
		m.Connectivity(coh, dsp.MSC, pairs)
	}), nil
}
