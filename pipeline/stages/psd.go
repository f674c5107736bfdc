package stages

import (
	"fmt"
	"math"
	"strings"

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
//
// Band powers integrate the PSD with the trapezoidal rule over the bins in
// the band, so a band needs two bins: one narrower than the bin spacing
// (sample rate / n_fft) or reaching above the Nyquist frequency would come
// out 0 or short. Such a band is an error, at `config validate` when the
// rate is known there and otherwise when a session starts.
type PSDConfig struct {
	// ChannelPicks selects the channels (picks, exclude). Default: the
	// data channels (eeg, meg_mag, meg_grad).
	ChannelPicks `mapstructure:",squash"`
	// SegmentConfig sets n_per_seg (default 2 s of samples, MNE's usual
	// 0.5 Hz resolution; capped at the window length, as MNE's
	// psd_array_welch caps it), n_overlap (default n_per_seg/2), n_fft
	// and detrend.
	SegmentConfig `mapstructure:",squash"`
	// Average is "mean" or "median". Default: mean.
	Average string `mapstructure:"average"`
	// FMin and FMax crop the psd rows to [FMin, FMax] Hz; band powers use
	// the whole spectrum. Default: 0 to Nyquist.
	FMin float64 `mapstructure:"fmin"`
	FMax float64 `mapstructure:"fmax"`
	// Bands for the bandpower rows. Default: dsp.StandardBands, less those
	// reaching above the Nyquist frequency.
	Bands []BandConfig `mapstructure:"bands"`
	// Total is the range whose power relative band power divides by.
	// Default: [1, 45] Hz, capped at the Nyquist frequency.
	Total [2]float64 `mapstructure:"total"`
	// EmitPSD writes psd rows too; bandpower rows are always written.
	// Default: true.
	EmitPSD *bool `mapstructure:"emit_psd"`
}

// Validate reports each problem with its key (relative to the stage).
func (c *PSDConfig) Validate() []error {
	errs := append(c.SegmentConfig.validate(), c.ChannelPicks.validate()...)
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

// psdSegmentSeconds is the psd stage's default n_per_seg in seconds.
const psdSegmentSeconds = 2

// PSD builds psd stage instances.
type PSD struct {
	name string
	cfg  PSDConfig
}

// NewPSD returns the psd stage builder; cfg must have passed Validate.
func NewPSD(name string, cfg PSDConfig) *PSD {
	return &PSD{name: name, cfg: cfg}
}

// Name implements pipeline.StageBuilder.
func (p *PSD) Name() string { return p.name }

// psdPlan is the psd stage resolved for a sample rate and window length.
type psdPlan struct {
	welch dsp.WelchConfig
	freqs []float64
	bands []BandConfig
	total [2]float64
}

// plan resolves the defaults at rate Hz with windows of windowLength
// samples (0: not known) and checks every band against the bins, each
// problem with its key.
func (p *PSD) plan(rate float64, windowLength int64) (psdPlan, []error) {
	c := p.cfg
	pl := psdPlan{welch: c.welch(rate, windowLength, max(1, int(math.Round(psdSegmentSeconds*rate))))}
	if c.Average == "median" {
		pl.welch.Average = dsp.AverageMedian
	}
	nfft := pl.welch.NFFT
	pl.freqs = make([]float64, nfft/2+1)
	for k := range pl.freqs {
		pl.freqs[k] = float64(k) * rate / float64(nfft) // as dsp.Welch.Freqs
	}
	nyquist := rate / 2
	// Where the bins come from, for the messages.
	spacing := fmt.Sprintf("at %g Hz sampling (bins %.4g Hz apart: n_fft %d", rate, rate/float64(nfft), nfft)
	switch {
	case c.SegmentLen == 0 && pl.welch.SegmentLen < int(math.Round(psdSegmentSeconds*rate)):
		spacing += fmt.Sprintf(", n_per_seg the window's %d samples)", pl.welch.SegmentLen)
	case c.SegmentLen > pl.welch.SegmentLen:
		spacing += fmt.Sprintf(", n_per_seg %d capped at the window's %d samples)", c.SegmentLen, pl.welch.SegmentLen)
	default:
		spacing += fmt.Sprintf(", n_per_seg %d)", pl.welch.SegmentLen)
	}
	const advice = "band power integrates the bins in the band (trapezoidal rule) and needs 2: widen it, or lengthen n_per_seg (or n_fft) and the window"
	var errs []error
	// check reports a band above the Nyquist frequency or with fewer
	// than two bins.
	check := func(key, what string, low, high float64) {
		if high > nyquist {
			errs = append(errs, fmt.Errorf("%s: %s [%g, %g] Hz reaches above the Nyquist frequency %g Hz of %g Hz sampling", key, what, low, high, nyquist, rate))
		} else if n := binsIn(pl.freqs, low, high); n < 2 {
			errs = append(errs, fmt.Errorf("%s: %s [%g, %g] Hz holds %d frequency bin(s) %s; %s", key, what, low, high, n, spacing, advice))
		}
	}
	if len(c.Bands) == 0 {
		// The defaults fail together (the window is too short): one error.
		var short []string
		for _, b := range dsp.StandardBands {
			if b.High > nyquist {
				continue
			}
			pl.bands = append(pl.bands, BandConfig{b.Name, b.Low, b.High})
			if binsIn(pl.freqs, b.Low, b.High) < 2 {
				short = append(short, fmt.Sprintf("%s [%g, %g]", b.Name, b.Low, b.High))
			}
		}
		if short != nil {
			errs = append(errs, fmt.Errorf("bands: the default bands %s Hz hold fewer than 2 frequency bins each %s; %s, or set bands", strings.Join(short, ", "), spacing, advice))
		}
	} else {
		pl.bands = c.Bands
		for i, b := range c.Bands {
			check(fmt.Sprintf("bands[%d]", i), b.Name, b.Low, b.High)
		}
	}
	if pl.total = c.Total; pl.total == [2]float64{} {
		pl.total = [2]float64{1, min(45, nyquist)}
		if len(errs) == 0 { // else said above
			check("total", "the default total range", pl.total[0], pl.total[1])
		}
	} else {
		check("total", "the total range", pl.total[0], pl.total[1])
	}
	if c.EmitPSD == nil || *c.EmitPSD {
		fmax := c.FMax
		if fmax == 0 {
			fmax = math.Inf(1)
		}
		if binsIn(pl.freqs, c.FMin, fmax) == 0 {
			errs = append(errs, fmt.Errorf("fmin/fmax: no frequency bin in [%g, %g] Hz: %s", c.FMin, fmax, spacing))
		}
	}
	return pl, errs
}

// binsIn counts the frequencies f with low ≤ f ≤ high.
func binsIn(freqs []float64, low, high float64) int {
	n := 0
	for _, f := range freqs {
		if f >= low && f <= high {
			n++
		}
	}
	return n
}

// CheckRate implements RateChecker: the problems NewSession would report
// for a session at rate Hz with windows of windowLength samples (0: not
// known), each with its key.
func (p *PSD) CheckRate(rate float64, windowLength int64) []error {
	_, errs := p.plan(rate, windowLength)
	return errs
}

// NewSession implements pipeline.StageBuilder. It fails when a band or
// the total range holds fewer than two frequency bins at the session's
// rate and window length, or reaches above its Nyquist frequency.
func (p *PSD) NewSession(s pipeline.SessionInfo) (pipeline.Stage, error) {
	c := p.cfg
	pl, errs := p.plan(s.SampleRate, s.WindowLength)
	if errs != nil {
		return nil, fmt.Errorf("psd: %w", joinErrors(errs))
	}
	idx, err := c.indices(s.Channels)
	if err != nil {
		return nil, fmt.Errorf("psd: %w", err)
	}
	c.Bands, c.Total = pl.bands, pl.total
	w, err := dsp.NewWelch(pl.welch)
	if err != nil {
		return nil, err
	}
	st := &psdSession{
		cfg:   c,
		idx:   idx,
		welch: w,
		run:   -1,
		freqs: w.Freqs(nil),
		psd:   make([]float64, w.Len()),
	}
	labels, units, psdUnits := make([]string, len(idx)), make([]string, len(idx)), make([]string, len(idx))
	for i, c := range idx {
		u := s.Channels[c].Unit
		if u == "" {
			u = "1"
		}
		labels[i] = s.Channels[c].Label
		units[i] = u + "^2"
		psdUnits[i] = u + "^2/Hz"
	}
	st.labels = labels
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
		st.rows = arrowout.NewPSDWindows(labels, psdUnits, st.freqs[st.lo], st.freqs[1]-st.freqs[0], st.hi-st.lo)
		st.rowPSD = make([]float64, len(idx)*(st.hi-st.lo))
	}
	bands := make([]arrowout.Band, len(c.Bands))
	for j, b := range c.Bands {
		bands[j] = arrowout.Band{Name: b.Name, Low: b.Low, High: b.High}
		st.bins = append(st.bins, bandBins(st.freqs, b.Low, b.High))
	}
	st.total = bandBins(st.freqs, c.Total[0], c.Total[1])
	st.bp = arrowout.NewBandPowerWindows(labels, units, bands)
	st.power = make([]float64, len(idx)*len(bands))
	st.relative = make([]float64, len(idx)*len(bands))
	if c.reuse() && pl.welch.Average == dsp.AverageMean {
		st.stream = w.NewStream(len(idx))
	}
	return st, nil
}

// joinErrors joins errors into one, separated by "; ", wrapping them all.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return joined(errs)
}

type joined []error

func (j joined) Error() string {
	s := make([]string, len(j))
	for i, e := range j {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

func (j joined) Unwrap() []error { return j }

type psdSession struct {
	cfg   PSDConfig
	idx   []int // the picked channels
	welch *dsp.Welch
	// stream keeps the segments' periodograms across windows of the run
	// of samples starting at run (nil: every window on its own).
	stream *dsp.WelchStream
	run    int64
	freqs  []float64
	psd    []float64
	lo, hi int // the psd rows' bins
	// bins are the bins of each band, total those of the total range.
	bins  []binRange
	total binRange
	// labels are the picked channels' labels, refreshed from each window.
	labels []string
	// rows (nil: no psd rows) and bp build the records from rowPSD
	// (channel after channel, bins lo to hi) and power and relative
	// (channel after channel, band after band).
	rows            *arrowout.PSDWindows
	bp              *arrowout.BandPowerWindows
	rowPSD          []float64
	power, relative []float64
}

// binRange is the bins k in [lo, hi): those with low ≤ freqs[k] ≤ high
// for a band [low, high], consecutive as the frequencies rise.
type binRange struct{ lo, hi int }

// bandBins returns the bins in [low, high].
func bandBins(freqs []float64, low, high float64) binRange {
	r := binRange{len(freqs), len(freqs)}
	for k, f := range freqs {
		if f >= low && f <= high {
			if r.lo == len(freqs) {
				r.lo = k
			}
			r.hi = k + 1
		}
	}
	return r
}

// power integrates psd over the bins of r with the trapezoidal rule: the
// operations of dsp.BandPower(psd, freqs, low, high) in its order, so the
// same bits, without looking at the bins outside the band.
func (r binRange) power(psd, freqs []float64) float64 {
	var p float64
	for k := r.lo + 1; k < r.hi; k++ {
		p += (freqs[k] - freqs[k-1]) * (psd[k] + psd[k-1]) / 2
	}
	return p
}

func (p *psdSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	if int(len(w.Data[0])) < p.welch.Config().SegmentLen {
		return nil, fmt.Errorf("psd: window of %d samples shorter than n_per_seg %d", len(w.Data[0]), p.welch.Config().SegmentLen)
	}
	if p.stream != nil && w.RunStart != p.run {
		p.stream.Reset() // a gap: the sample indices hold other samples now
		p.run = w.RunStart
	}
	nb, bins := len(p.bins), p.hi-p.lo
	for i, c := range p.idx {
		if p.stream != nil {
			p.stream.PSD(p.psd, i, w.Data[c], w.StartSample)
		} else {
			p.welch.PSD(p.psd, w.Data[c])
		}
		p.labels[i] = w.Channels[c].Label
		if p.rows != nil {
			copy(p.rowPSD[i*bins:(i+1)*bins], p.psd[p.lo:p.hi])
		}
		total := p.total.power(p.psd, p.freqs)
		for j, b := range p.bins {
			bp := b.power(p.psd, p.freqs)
			rel := math.NaN()
			if total > 0 {
				rel = bp / total
			}
			p.power[i*nb+j], p.relative[i*nb+j] = bp, rel
		}
	}
	out := make([]arrowout.Result, 0, 2)
	if p.rows != nil {
		out = append(out, arrowout.Result{Kind: arrowout.KindPSD, Key: w.WindowKey, Record: p.rows.Record(w.WindowKey, p.labels, p.rowPSD)})
	}
	out = append(out, arrowout.Result{Kind: arrowout.KindBandPower, Key: w.WindowKey, Record: p.bp.Record(w.WindowKey, p.labels, p.power, p.relative)})
	return out, nil
}
