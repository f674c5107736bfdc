package stages

import (
	"fmt"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// Tapers of the coherence stage.
const (
	// TaperHannSymmetric is numpy.hanning(nperseg), the taper of
	// mne-connectivity's mode='fourier'.
	TaperHannSymmetric = "hann_symmetric"
	// TaperHann is the periodic Hann window, scipy.signal.get_window('hann',
	// nperseg), the default of scipy.signal.coherence and the psd stage.
	TaperHann = "hann"
)

// CoherenceConfig configures the coherence stage: spectral connectivity
// between channel pairs per window, averaged over frequency bands.
//
// The window is cut into Welch segments (n_per_seg, n_overlap; detrended,
// tapered, zero-padded to n_fft) and the segments are the epochs of
// mne-connectivity: with the defaults (taper hann_symmetric, detrend
// constant, n_fft = n_per_seg) every method other than msc equals
// mne_connectivity.spectral_connectivity_epochs(segments, mode='fourier',
// method, indices, faverage=True) with the bands as fmin/fmax, and msc
// equals scipy.signal.coherence(seed, target, window=numpy.hanning(nperseg),
// nperseg, noverlap) averaged over the band's bins (with taper hann, the
// scipy default window).
type CoherenceConfig struct {
	// ChannelPicks selects the channels whose every pair is scored
	// (picks, exclude), when Pairs is not given. Default: the data
	// channels (eeg, meg_mag, meg_grad).
	ChannelPicks  `mapstructure:",squash"`
	SegmentConfig `mapstructure:",squash"`
	// Taper is hann_symmetric (numpy.hanning, MNE) or hann (periodic,
	// scipy). Default: hann_symmetric.
	Taper string `mapstructure:"taper"`
	// Methods are mne-connectivity method names (coh, cohy, imcoh, plv,
	// pli, wpli) or msc (scipy's magnitude-squared coherence).
	// Default: [coh].
	Methods []string `mapstructure:"methods"`
	// Pairs lists [seed, target] channel labels, of any type. Default:
	// every pair of the picked channels, in mne-connectivity's order
	// (seed index > target index).
	Pairs [][]string `mapstructure:"pairs"`
	// Bands to average scores over (bins with low ≤ f ≤ high).
	// Default: dsp.StandardBands.
	Bands []BandConfig `mapstructure:"bands"`
}

// Validate reports each problem with its key (relative to the stage).
func (c *CoherenceConfig) Validate() []error {
	errs := append(c.SegmentConfig.validate(), c.ChannelPicks.validate()...)
	if len(c.Pairs) > 0 && c.ChannelPicks.set() {
		errs = append(errs, fmt.Errorf("picks/exclude: not used with pairs, which name the channels already: give one"))
	}
	switch c.Taper {
	case "", TaperHannSymmetric, TaperHann:
	default:
		errs = append(errs, fmt.Errorf("taper: want %s or %s, got %q", TaperHannSymmetric, TaperHann, c.Taper))
	}
	seen := map[string]bool{}
	for i, m := range c.Methods {
		if _, err := dsp.ParseConnMethod(m); err != nil {
			errs = append(errs, fmt.Errorf("methods[%d]: unknown method %q (want one of %v)", i, m, dsp.ConnMethods))
		} else if seen[m] {
			errs = append(errs, fmt.Errorf("methods[%d]: %q listed twice", i, m))
		}
		seen[m] = true
	}
	pairs := map[[2]string]bool{}
	for i, p := range c.Pairs {
		switch {
		case len(p) != 2 || p[0] == "" || p[1] == "":
			errs = append(errs, fmt.Errorf("pairs[%d]: want [seed, target] channel labels, got %q", i, p))
		case p[0] == p[1]:
			errs = append(errs, fmt.Errorf("pairs[%d]: seed and target are both %q", i, p[0]))
		case pairs[[2]string{p[0], p[1]}]:
			errs = append(errs, fmt.Errorf("pairs[%d]: [%s, %s] listed twice", i, p[0], p[1]))
		default:
			pairs[[2]string{p[0], p[1]}] = true
		}
	}
	return append(errs, validateBands(c.Bands)...)
}

// coherenceSegmentLen is the coherence stage's default n_per_seg. It stays
// fixed rather than following the rate as the psd stage's does: the
// segments are the epochs coherence is estimated over, and 2 s segments
// would leave a window of a few seconds one or two of them.
const coherenceSegmentLen = 256

// Coherence builds coherence stage instances.
type Coherence struct {
	name    string
	cfg     CoherenceConfig
	methods []dsp.ConnMethod
	bands   []dsp.Band
}

// NewCoherence returns the coherence stage builder; cfg must have passed
// Validate.
func NewCoherence(name string, cfg CoherenceConfig) *Coherence {
	if cfg.Taper == "" {
		cfg.Taper = TaperHannSymmetric
	}
	if len(cfg.Methods) == 0 {
		cfg.Methods = []string{string(dsp.Coh)}
	}
	c := &Coherence{name: name, cfg: cfg}
	for _, m := range cfg.Methods {
		c.methods = append(c.methods, dsp.ConnMethod(m))
	}
	if len(cfg.Bands) == 0 {
		c.bands = append(c.bands, dsp.StandardBands...)
	}
	for _, b := range cfg.Bands {
		c.bands = append(c.bands, dsp.Band{Name: b.Name, Low: b.Low, High: b.High})
	}
	return c
}

// Name implements pipeline.StageBuilder.
func (c *Coherence) Name() string { return c.name }

// NewSession implements pipeline.StageBuilder. It fails when a listed pair
// names a channel the session does not have, fewer than two channels are
// picked, or a band holds no frequency bin at the session's rate.
func (c *Coherence) NewSession(s pipeline.SessionInfo) (pipeline.Stage, error) {
	// idx are the channels the CSD is computed over: the picks, or every
	// channel when pairs name them.
	var idx []int
	if len(c.cfg.Pairs) == 0 {
		var err error
		if idx, err = c.cfg.indices(s.Channels); err != nil {
			return nil, fmt.Errorf("coherence: %w", err)
		}
	} else {
		for i := range s.Channels {
			idx = append(idx, i)
		}
	}
	n := len(idx)
	labels := make([]string, n)
	for i, ch := range idx {
		labels[i] = s.Channels[ch].Label
	}
	var pairs []dsp.ChannelPair
	for i, p := range c.cfg.Pairs {
		seed, err := channelIndex(s.Channels, p[0])
		if err != nil {
			return nil, fmt.Errorf("coherence: pairs[%d]: %w", i, err)
		}
		target, err := channelIndex(s.Channels, p[1])
		if err != nil {
			return nil, fmt.Errorf("coherence: pairs[%d]: %w", i, err)
		}
		pairs = append(pairs, dsp.ChannelPair{Seed: seed, Target: target})
	}
	if pairs == nil && n < 2 {
		return nil, fmt.Errorf("coherence: %d channel picked, need at least 2 for pairs", n)
	}
	wc := c.cfg.SegmentConfig.welch(s.SampleRate, s.WindowLength, coherenceSegmentLen)
	wc.Window = dsp.Hann(nil, wc.SegmentLen, c.cfg.Taper == TaperHann)
	plan, err := dsp.NewCSD(dsp.CSDConfig{WelchConfig: wc, Channels: n, Names: labels})
	if err != nil {
		return nil, fmt.Errorf("coherence: %w", err)
	}
	freqs := plan.Freqs(nil)
	for _, b := range c.bands {
		found := false
		for _, f := range freqs {
			found = found || (f >= b.Low && f <= b.High)
		}
		if !found {
			return nil, fmt.Errorf("coherence: band %s [%g, %g] Hz holds no frequency bin at %g Hz sampling with n_fft %d",
				b.Name, b.Low, b.High, s.SampleRate, plan.Config().NFFT)
		}
	}
	st := &coherenceSession{
		c:     c,
		idx:   idx,
		x:     make([][]float64, n),
		plan:  plan,
		freqs: freqs,
		rows:  arrowout.NewCoherenceRows(nil),
		run:   -1,
	}
	if c.cfg.reuse() {
		st.stream = plan.NewStream()
	}
	// Seed and target labels per scored pair, in score order.
	scored := pairs
	if scored == nil {
		scored = dsp.AllChannelPairs(n)
	}
	st.npairs = len(scored)
	for _, p := range scored {
		st.seeds = append(st.seeds, labels[p.Seed])
		st.targets = append(st.targets, labels[p.Target])
	}
	// Coherence-type methods on all pairs come from the Welch CSD matrix
	// (its kernel is the fast one for many channels); phase methods need
	// every segment's cross-spectrum, and listed pairs are cheaper one by
	// one, so they go through the epoch accumulator.
	st.useCSD = pairs == nil
	for _, m := range c.methods {
		switch m {
		case dsp.PLV, dsp.PLI, dsp.WPLI:
			st.useCSD = false
		}
	}
	nf := plan.Len()
	if st.useCSD {
		st.matrix = plan.NewMatrix()
	} else {
		st.acc, err = dsp.NewConnectivity(dsp.ConnConfig{Channels: n, Bins: nf, Pairs: pairs, Methods: c.methods})
		if err != nil {
			return nil, fmt.Errorf("coherence: %w", err)
		}
		st.spectra = dsp.NewSegmentSpectra(n, nf)
	}
	nb := len(c.bands)
	st.scores = make([]float64, st.npairs*nf)
	st.bandMeans = make([][]float64, len(c.methods))
	for i, m := range c.methods {
		if m == dsp.Cohy {
			st.cscores = make([]complex128, st.npairs*nf)
			st.cbandMeans = make([]complex128, st.npairs*nb)
			continue
		}
		st.bandMeans[i] = make([]float64, st.npairs*nb)
	}
	return st, nil
}

type coherenceSession struct {
	c    *Coherence
	idx  []int       // the channels of the CSD
	x    [][]float64 // their data, aliasing the window's
	plan *dsp.CSD
	// stream keeps the segments' spectra across windows of the run of
	// samples starting at run (nil: every window on its own).
	stream *dsp.CSDStream
	run    int64
	freqs  []float64
	useCSD bool
	// matrix is the window's CSD (useCSD), acc and spectra the epoch
	// accumulator and one segment's spectra (otherwise).
	matrix  *dsp.CSDMatrix
	acc     *dsp.Connectivity
	spectra *dsp.SegmentSpectra
	npairs  int
	seeds   []string
	targets []string
	// scores holds one method's per-bin scores [pair][bin]; bandMeans[m]
	// its band means [pair][band]. Cohy uses cscores and cbandMeans.
	scores     []float64
	bandMeans  [][]float64
	cscores    []complex128
	cbandMeans []complex128
	rows       *arrowout.CoherenceRows
}

// Process computes every method's band-averaged scores for every pair and
// writes them pair by pair, method by method, band by band.
func (c *coherenceSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	n := len(w.Data[0])
	seg := c.plan.Config().SegmentLen
	if n < seg {
		return nil, fmt.Errorf("coherence: window of %d samples shorter than n_per_seg %d", n, seg)
	}
	for i, ch := range c.idx {
		c.x[i] = w.Data[ch]
	}
	if c.stream != nil && w.RunStart != c.run {
		c.stream.Reset() // a gap: the sample indices hold other samples now
		c.run = w.RunStart
	}
	nseg := c.compute(c.x, w.StartSample)
	clear(c.x)
	bands := c.c.bands
	nb := len(bands)
	c.rows.Reserve(c.npairs * len(c.c.methods) * nb)
	for p := range c.npairs {
		seed, target := c.seeds[p], c.targets[p]
		for i, m := range c.c.methods {
			for b, band := range bands {
				if m == dsp.Cohy {
					c.rows.AppendComplex(w.WindowKey, seed, target, string(m), band.Name, band.Low, band.High, c.cbandMeans[p*nb+b], nseg)
					continue
				}
				c.rows.Append(w.WindowKey, seed, target, string(m), band.Name, band.Low, band.High, c.bandMeans[i][p*nb+b], nseg)
			}
		}
	}
	return []arrowout.Result{{Kind: arrowout.KindCoherence, Key: w.WindowKey, Record: c.rows.Flush()}}, nil
}

// compute fills bandMeans (cbandMeans for cohy) from the window x, whose
// first sample is start, and returns its segment count. It allocates
// nothing.
func (c *coherenceSession) compute(x [][]float64, start int64) int {
	nseg := c.plan.Segments(len(x[0]))
	switch {
	case c.useCSD && c.stream != nil:
		c.stream.Compute(c.matrix, x, start)
	case c.useCSD:
		c.plan.Compute(c.matrix, x)
	default:
		c.acc.Reset()
		for s := range nseg {
			if c.stream != nil {
				c.acc.Accumulate(c.stream.Spectra(x, start, s))
			} else {
				c.acc.Accumulate(c.plan.Spectra(c.spectra, x, s*c.plan.Step()))
			}
		}
	}
	for i, m := range c.c.methods {
		switch {
		case m == dsp.Cohy && c.useCSD:
			c.matrix.Coherency(c.cscores, nil)
		case m == dsp.Cohy:
			c.acc.Coherency(c.cscores)
		case c.useCSD:
			c.matrix.Connectivity(c.scores, m, nil)
		default:
			c.acc.Result(c.scores, m)
		}
		if m == dsp.Cohy {
			dsp.ConnBandMeanComplex(c.cbandMeans, c.cscores, c.freqs, c.c.bands)
		} else {
			dsp.ConnBandMean(c.bandMeans[i], c.scores, c.freqs, c.c.bands)
		}
	}
	return nseg
}
