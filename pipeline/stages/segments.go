package stages

import (
	"fmt"

	"github.com/neurostream/neurostream/dsp"
)

// SegmentConfig is the Welch segmenting of a window, with the psd stage's
// keys and meaning. The keys are MNE's (psd_array_welch's n_per_seg,
// n_overlap, n_fft); scipy's spellings (nperseg, noverlap, nfft) are
// still accepted for one version (RenamedKeys).
type SegmentConfig struct {
	// SegmentLen is n_per_seg in samples, capped at the window length.
	// Default: the stage's (psd: 2 s of samples, coherence: 256).
	SegmentLen int `mapstructure:"n_per_seg"`
	// Overlap is n_overlap in samples; 0 means none. Default: SegmentLen/2.
	Overlap *int `mapstructure:"n_overlap"`
	// NFFT is n_fft, the zero-padded segment length. Default: SegmentLen.
	NFFT int `mapstructure:"n_fft"`
	// Detrend is "constant", "linear" or "none". Default: constant.
	Detrend string `mapstructure:"detrend"`
	// ReuseSegments keeps each Welch segment's transform for the later
	// windows that hold the same segment (sliding windows overlap: 4 s
	// windows every 1 s share three quarters of their samples), so a
	// segment is transformed once per session rather than once per
	// window. The results are the same bit for bit; it costs one
	// window's transforms of memory per session. Off, every window is
	// computed on its own. Median averaging always computes every
	// window on its own. Default: true.
	ReuseSegments *bool `mapstructure:"reuse_segments"`
}

// reuse reports whether segments are kept across windows.
func (c *SegmentConfig) reuse() bool { return c.ReuseSegments == nil || *c.ReuseSegments }

// validate reports each problem with its key.
func (c *SegmentConfig) validate() []error {
	var errs []error
	if c.SegmentLen < 0 {
		errs = append(errs, fmt.Errorf("n_per_seg: must be positive, got %d", c.SegmentLen))
	}
	if o := c.Overlap; o != nil && (*o < 0 || (c.SegmentLen > 0 && *o >= c.SegmentLen)) {
		errs = append(errs, fmt.Errorf("n_overlap: must be in [0, n_per_seg), got %d", *o))
	}
	if c.NFFT != 0 && c.NFFT < c.SegmentLen {
		errs = append(errs, fmt.Errorf("n_fft: must be ≥ n_per_seg (%d), got %d", c.SegmentLen, c.NFFT))
	}
	switch c.Detrend {
	case "", "constant", "linear", "none":
	default:
		errs = append(errs, fmt.Errorf("detrend: want constant, linear or none, got %q", c.Detrend))
	}
	return errs
}

// welch returns the dsp configuration at rate Hz with windows of
// windowLength samples (0: not known): n_per_seg defaults to defaultSeg and
// is capped at the window length, n_overlap at n_per_seg−1.
func (c SegmentConfig) welch(rate float64, windowLength int64, defaultSeg int) dsp.WelchConfig {
	seg := c.SegmentLen
	if seg == 0 {
		seg = defaultSeg
	}
	if windowLength > 0 && int64(seg) > windowLength {
		seg = int(windowLength)
	}
	wc := dsp.WelchConfig{SampleRate: rate, SegmentLen: seg, NFFT: max(c.NFFT, seg)}
	if c.Overlap != nil {
		wc.Overlap = min(*c.Overlap, seg-1)
		if wc.Overlap == 0 {
			wc.Overlap = -1 // dsp: negative means none
		}
	}
	switch c.Detrend {
	case "linear":
		wc.Detrend = dsp.DetrendLinear
	case "none":
		wc.Detrend = dsp.DetrendNone
	}
	return wc
}

// validateBands reports empty, repeated and inverted bands.
func validateBands(bands []BandConfig) []error {
	var errs []error
	seen := map[string]bool{}
	for i, b := range bands {
		if b.Name == "" {
			errs = append(errs, fmt.Errorf("bands[%d].name: empty", i))
		} else if seen[b.Name] {
			errs = append(errs, fmt.Errorf("bands[%d].name: %q used twice", i, b.Name))
		}
		seen[b.Name] = true
		if !(b.Low >= 0 && b.High > b.Low) {
			errs = append(errs, fmt.Errorf("bands[%d]: want 0 ≤ low < high Hz, got [%g, %g]", i, b.Low, b.High))
		}
	}
	return errs
}
