package stages

import (
	"fmt"
	"math"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// XCorrConfig configures the xcorr stage: per window, the normalized
// cross-correlation of every picked channel (the reference too, if picked)
// with a reference channel, or of their Hilbert envelopes.
//
// For channel x and reference y (demeaned, then divided by their norms) the
// correlation at lag ℓ samples is r(ℓ) = Σ_n x[n+ℓ]·y[n] / (‖x‖·‖y‖), as
// dsp.XCorr: a peak at a positive lag means the channel follows the
// reference; r(0) is Pearson's correlation.
type XCorrConfig struct {
	// ChannelPicks selects the channels correlated with the reference
	// (picks, exclude). Default: the data channels (eeg, meg_mag,
	// meg_grad).
	ChannelPicks `mapstructure:",squash"`
	// Reference is the reference channel's label, of any type (an EOG or
	// ECG channel, say). Required.
	Reference string `mapstructure:"reference"`
	// MaxLagSeconds is the largest |lag|, rounded to whole samples at the
	// session's rate; it must be shorter than the window. Required.
	MaxLagSeconds float64 `mapstructure:"max_lag_seconds"`
	// Envelope correlates the Hilbert envelopes |x + i·H{x}| of the
	// channel and the reference (scipy.signal.hilbert over the window)
	// instead of the signals. Default: false.
	Envelope bool `mapstructure:"envelope"`
	// Demean removes each window's mean from both inputs before
	// correlating. Default: true.
	Demean *bool `mapstructure:"demean"`
	// EmitCurve writes the correlation at every lag in the corr column
	// (null otherwise). Default: false.
	EmitCurve bool `mapstructure:"emit_curve"`
}

// Validate reports each problem with its key (relative to the stage).
func (c *XCorrConfig) Validate() []error {
	errs := c.ChannelPicks.validate()
	if c.Reference == "" {
		errs = append(errs, fmt.Errorf("reference: required (a channel label)"))
	}
	if !(c.MaxLagSeconds > 0) || math.IsInf(c.MaxLagSeconds, 0) {
		errs = append(errs, fmt.Errorf("max_lag_seconds: required, want a positive number of seconds, got %g", c.MaxLagSeconds))
	}
	return errs
}

// XCorr builds xcorr stage instances.
type XCorr struct {
	name string
	cfg  XCorrConfig
}

// NewXCorr returns the xcorr stage builder; cfg must have passed Validate.
func NewXCorr(name string, cfg XCorrConfig) *XCorr {
	if cfg.Demean == nil {
		t := true
		cfg.Demean = &t
	}
	return &XCorr{name: name, cfg: cfg}
}

// Name implements pipeline.StageBuilder.
func (x *XCorr) Name() string { return x.name }

// NewSession implements pipeline.StageBuilder. It fails when the session
// has no channel labelled as the reference, nothing is picked or the
// window is not longer than the largest lag.
func (x *XCorr) NewSession(s pipeline.SessionInfo) (pipeline.Stage, error) {
	ref, err := channelIndex(s.Channels, x.cfg.Reference)
	if err != nil {
		return nil, fmt.Errorf("xcorr: reference: %w", err)
	}
	idx, err := x.cfg.indices(s.Channels)
	if err != nil {
		return nil, fmt.Errorf("xcorr: %w", err)
	}
	maxLag := int(math.Round(x.cfg.MaxLagSeconds * s.SampleRate))
	if int64(maxLag) >= s.WindowLength {
		return nil, fmt.Errorf("xcorr: max_lag_seconds: %g s is %d samples at %g Hz, want fewer than the window's %d",
			x.cfg.MaxLagSeconds, maxLag, s.SampleRate, s.WindowLength)
	}
	n := int(s.WindowLength)
	plan, err := dsp.NewXCorr(dsp.XCorrConfig{Len: n, MaxLag: maxLag, Demean: *x.cfg.Demean})
	if err != nil {
		return nil, fmt.Errorf("xcorr: %w", err)
	}
	st := &xcorrSession{
		cfg:    x.cfg,
		ref:    ref,
		idx:    idx,
		n:      n,
		maxLag: maxLag,
		rate:   s.SampleRate,
		plan:   plan,
		corr:   make([]float64, plan.Len()),
		rows:   arrowout.NewXCorrRows(nil),
	}
	if x.cfg.Envelope {
		st.hilbert = dsp.NewHilbert(n)
		st.refEnv = make([]float64, n)
		st.env = make([]float64, n)
	}
	return st, nil
}

type xcorrSession struct {
	cfg     XCorrConfig
	ref     int
	idx     []int // the picked channels
	n       int
	maxLag  int
	rate    float64
	plan    *dsp.XCorr
	hilbert *dsp.Hilbert
	refEnv  []float64
	env     []float64
	corr    []float64
	rows    *arrowout.XCorrRows
}

// Process correlates every channel with the reference.
func (x *xcorrSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	if len(w.Data[0]) != x.n {
		return nil, fmt.Errorf("xcorr: window of %d samples, the plan has %d", len(w.Data[0]), x.n)
	}
	ref := x.reference(w.Data)
	lags := 0
	if x.cfg.EmitCurve {
		lags = len(x.corr)
	}
	x.rows.Reserve(len(x.idx), lags)
	row := arrowout.XCorrRow{
		Reference: w.Channels[x.ref].Label,
		Envelope:  x.cfg.Envelope,
		LagStart:  -float64(x.maxLag) / x.rate,
		LagStep:   1 / x.rate,
	}
	for _, c := range x.idx {
		peak := x.correlate(w.Data[c], ref)
		row.Channel = w.Channels[c].Label
		row.PeakLag, row.PeakCorr = math.NaN(), math.NaN()
		if peak >= 0 {
			row.PeakLag = float64(peak-x.maxLag) / x.rate
			row.PeakCorr = x.corr[peak]
		}
		row.ZeroLag = x.corr[x.maxLag]
		row.Corr = nil
		if x.cfg.EmitCurve {
			row.Corr = x.corr
		}
		x.rows.Append(w.WindowKey, &row)
	}
	return []arrowout.Result{{Kind: arrowout.KindXCorr, Key: w.WindowKey, Record: x.rows.Flush()}}, nil
}

// reference returns the window's reference signal, or its envelope.
func (x *xcorrSession) reference(data [][]float64) []float64 {
	if x.hilbert != nil {
		return x.hilbert.Envelope(x.refEnv, data[x.ref])
	}
	return data[x.ref]
}

// correlate fills x.corr with the correlation of sig (or its envelope)
// with ref and returns the index of its peak. It allocates nothing.
func (x *xcorrSession) correlate(sig, ref []float64) int {
	if x.hilbert != nil {
		sig = x.hilbert.Envelope(x.env, sig)
	}
	x.plan.Compute(x.corr, sig, ref)
	return xcorrPeak(x.corr, x.maxLag)
}

// xcorrPeak returns the index of the largest |r| in r (lag i−mid), the
// smallest |lag| among equal maxima (the negative one first), or −1 when
// every value is NaN.
func xcorrPeak(r []float64, mid int) int {
	best, at := -1.0, -1
	consider := func(i int) {
		if a := math.Abs(r[i]); a > best {
			best, at = a, i
		}
	}
	consider(mid)
	for d := 1; d <= mid; d++ {
		consider(mid - d)
		consider(mid + d)
	}
	return at
}
