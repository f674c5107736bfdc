package stages

import (
	"fmt"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/pipeline"
)

// SegmentConfig is the Welch segmenting of a window, with the psd stage's
// keys, defaults and meaning.
type SegmentConfig struct {
	// SegmentLen is nperseg in samples. Default: 256, capped at the window
	// length.
	SegmentLen int `mapstructure:"nperseg"`
	// Overlap is noverlap in samples; 0 means none. Default: SegmentLen/2.
	Overlap *int `mapstructure:"noverlap"`
	// NFFT default: SegmentLen.
	NFFT int `mapstructure:"nfft"`
	// Detrend is "constant", "linear" or "none". Default: constant.
	Detrend string `mapstructure:"detrend"`
}

// validate reports each problem with its key.
func (c *SegmentConfig) validate() []error {
	var errs []error
	if c.SegmentLen < 0 {
		errs = append(errs, fmt.Errorf("nperseg: must be positive, got %d", c.SegmentLen))
	}
	if o := c.Overlap; o != nil && (*o < 0 || (c.SegmentLen > 0 && *o >= c.SegmentLen)) {
		errs = append(errs, fmt.Errorf("noverlap: must be in [0, nperseg), got %d", *o))
	}
	if c.NFFT != 0 && c.NFFT < c.SegmentLen {
		errs = append(errs, fmt.Errorf("nfft: must be ≥ nperseg (%d), got %d", c.SegmentLen, c.NFFT))
	}
	switch c.Detrend {
	case "", "constant", "linear", "none":
	default:
		errs = append(errs, fmt.Errorf("detrend: want constant, linear or none, got %q", c.Detrend))
	}
	return errs
}

// welch returns the dsp configuration for a session: nperseg defaults to
// 256 and is capped at the window length, noverlap at nperseg−1.
func (c SegmentConfig) welch(s pipeline.SessionInfo) dsp.WelchConfig {
	seg := c.SegmentLen
	if seg == 0 {
		seg = 256
	}
	if s.WindowLength > 0 && int64(seg) > s.WindowLength {
		seg = int(s.WindowLength)
	}
	wc := dsp.WelchConfig{SampleRate: s.SampleRate, SegmentLen: seg, NFFT: max(c.NFFT, seg)}
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
