// Package stages adapts the domain packages (dsp, and later tokenizer and
// models) into pipeline stages, and maps configured stage names to their
// constructors.
package stages

import (
	"fmt"
	"math"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// BandConfig is one named band in Hz, inclusive.
type BandConfig struct {
	Name string  `mapstructure:"name"`
	Low  float64 `mapstructure:"low"`
	High float64 `mapstructure:"high"`
}

// PSDConfig configures the psd stage: a Welch PSD per channel per window,
// with scipy.signal.welch semantics, and band powers from it.
type PSDConfig struct {
	// SegmentConfig sets nperseg (capped at the window length, as MNE's
	// psd_array_welch caps n_per_seg), noverlap, nfft and detrend.
	SegmentConfig `mapstructure:",squash"`
	// Average is "mean" or "median". Default: mean.
	Average string `mapstructure:"average"`
	// FMin and FMax crop the psd rows to [FMin, FMax] Hz; band powers use
	// the whole spectrum. Default: 0 to Nyquist.
	FMin float64 `mapstructure:"fmin"`
	FMax float64 `mapstructure:"fmax"`
	// Bands for the bandpower rows. Default: dsp.StandardBands.
	Bands []BandConfig `mapstructure:"bands"`
	// Total is the range whose power relative band power divides by.
	// Default: [1, 45] Hz.
	Total [2]float64 `mapstructure:"total"`
	// EmitPSD writes psd rows too; bandpower rows are always written.
	// Default: true.
	EmitPSD *bool `mapstructure:"emit_psd"`
}

// Validate reports each problem with its key (relative to the stage).
func (c *PSDConfig) Validate() []error {
	errs := c.SegmentConfig.validate()
	switch c.Average {
	case "", "mean", "median":
	default:
		errs = append(errs, fmt.Errorf("average: want mean or median, got %q", c.Average))
	}
	if c.FMin < 0 || (c.FMax != 0 && c.FMax < c.FMin) {
		errs = append(errs, fmt.Errorf("fmin/fmax: want 0 ≤ fmin ≤ fmax, got %g, %g", c.FMin, c.FMax))
	}
	errs = append(errs, validateBands(c.Bands)...)
	if c.Total != [2]float64{} && !(c.Total[0] >= 0 && c.Total[1] > c.Total[0]) {
		errs = append(errs, fmt.Errorf("total: want [low, high] with 0 ≤ low < high, got %v", c.Total))
	}
	return errs
}

// PSD builds psd stage instances.
type PSD struct {
	name string
	cfg  PSDConfig
}

// NewPSD returns the psd stage builder; cfg must have passed Validate.
func NewPSD(name string, cfg PSDConfig) *PSD {
	if cfg.SegmentLen == 0 {
		cfg.SegmentLen = 256
	}
	if len(cfg.Bands) == 0 {
		for _, b := range dsp.StandardBands {
			cfg.Bands = append(cfg.Bands, BandConfig{b.Name, b.Low, b.High})
		}
	}
	if cfg.Total == [2]float64{} {
		cfg.Total = [2]float64{1, 45}
	}
	return &PSD{name: name, cfg: cfg}
}

// Name implements pipeline.StageBuilder.
func (p *PSD) Name() string { return p.name }

// NewSession implements pipeline.StageBuilder.
func (p *PSD) NewSession(s pipeline.SessionInfo) (pipeline.Stage, error) {
	c := p.cfg
	wc := c.welch(s)
	if c.Average == "median" {
		wc.Average = dsp.AverageMedian
	}
	w, err := dsp.NewWelch(wc)
	if err != nil {
		return nil, err
	}
	st := &psdSession{
		cfg:      c,
		welch:    w,
		freqs:    w.Freqs(nil),
		psd:      make([]float64, w.Len()),
		units:    make([]string, len(s.Channels)),
		psdUnits: make([]string, len(s.Channels)),
		bp:       arrowout.NewBandPowerRows(nil),
	}
	for i, ch := range s.Channels {
		u := ch.Unit
		if u == "" {
			u = "1"
		}
		st.units[i] = u + "^2"
		st.psdUnits[i] = u + "^2/Hz"
	}
	fmax := c.FMax
	if fmax == 0 {
		fmax = math.Inf(1)
	}
	st.lo, st.hi = len(st.freqs), 0
	for k, f := range st.freqs {
		if f >= c.FMin && f <= fmax {
			st.lo, st.hi = min(st.lo, k), k+1
		}
	}
	if c.EmitPSD == nil || *c.EmitPSD {
		if st.lo >= st.hi {
			return nil, fmt.Errorf("psd: no frequency bin in [%g, %g] Hz at %g Hz sampling", c.FMin, fmax, s.SampleRate)
		}
		st.rows = arrowout.NewPSDRows(nil)
	}
	return st, nil
}

type psdSession struct {
	cfg   PSDConfig
	welch *dsp.Welch
	freqs []float64
	psd   []float64
	units []string
	// psdUnits are units+"/Hz", built once so windows do not allocate them.
	psdUnits []string
	lo, hi   int
	rows     *arrowout.PSDRows
	bp       *arrowout.BandPowerRows
}

func (p *psdSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	if int(len(w.Data[0])) < p.welch.Config().SegmentLen {
		return nil, fmt.Errorf("psd: window of %d samples shorter than nperseg %d", len(w.Data[0]), p.welch.Config().SegmentLen)
	}
	step := p.freqs[1] - p.freqs[0]
	if p.rows != nil {
		p.rows.Reserve(len(w.Data), p.hi-p.lo)
	}
	p.bp.Reserve(len(w.Data) * len(p.cfg.Bands))
	for c, x := range w.Data {
		p.welch.PSD(p.psd, x)
		label := w.Channels[c].Label
		if p.rows != nil {
			p.rows.Append(w.WindowKey, label, p.psdUnits[c], p.freqs[p.lo], step, p.psd[p.lo:p.hi])
		}
		total := dsp.BandPower(p.psd, p.freqs, p.cfg.Total[0], p.cfg.Total[1])
		for _, b := range p.cfg.Bands {
			bp := dsp.BandPower(p.psd, p.freqs, b.Low, b.High)
			rel := math.NaN()
			if total > 0 {
				rel = bp / total
			}
			p.bp.Append(w.WindowKey, label, p.units[c], b.Name, b.Low, b.High, bp, rel)
		}
	}
	out := make([]arrowout.Result, 0, 2)
	if p.rows != nil {
		out = append(out, arrowout.Result{Kind: arrowout.KindPSD, Key: w.WindowKey, Record: p.rows.Flush()})
	}
	out = append(out, arrowout.Result{Kind: arrowout.KindBandPower, Key: w.WindowKey, Record: p.bp.Flush()})
	return out, nil
}
