package stages

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// SeizureConfig configures the seizure stage: every window is scored by a
// models/seizure detector, the probabilities are smoothed by a moving
// average, and a hysteresis state machine turns the smoothed sequence into
// seizure events. Rows are of kind seizure (docs/schemas.md): one per
// window, and one per event once it is final.
//
// An event starts at the first window whose smoothed probability reaches
// OnThreshold and ends at the last window before it falls below
// OffThreshold. Events less than MergeGapSeconds apart are merged, then
// events shorter than MinDurationSeconds are dropped. An event is final,
// and written, only at the first window starting MergeGapSeconds after its
// offset: that adds MergeGapSeconds plus the window length (plus up to one
// hop) of latency after the offset. The per-window state is the immediate
// alarm.
type SeizureConfig struct {
	// Model is the model file written by seizure.Model.Save. Required.
	// Its sample rate and window length must be the session's.
	Model string `mapstructure:"model"`
	// Channels are the labels of the channels to analyse, in the model's
	// order; their number must be the model's. Default: the picked
	// channels, whose number must be the model's.
	Channels []string `mapstructure:"channels"`
	// ChannelPicks selects the channels (picks, exclude) when Channels is
	// not given. Default: the data channels (eeg, meg_mag, meg_grad).
	ChannelPicks `mapstructure:",squash"`
	// Smoothing is the moving-average length in windows. Default: 3.
	Smoothing int `mapstructure:"smoothing"`
	// OnThreshold starts an event. Default: 0.7.
	OnThreshold *float64 `mapstructure:"on_threshold"`
	// OffThreshold ends an event (≤ OnThreshold). Default: 0.3.
	OffThreshold *float64 `mapstructure:"off_threshold"`
	// MinDurationSeconds drops shorter events. Default: 10.
	MinDurationSeconds *float64 `mapstructure:"min_duration_seconds"`
	// MergeGapSeconds merges events closer than it. Default: 30.
	MergeGapSeconds *float64 `mapstructure:"merge_gap_seconds"`
}

func orDefault(p *float64, d float64) float64 {
	if p == nil {
		return d
	}
	return *p
}

// Validate reports each problem with its key (relative to the stage).
func (c *SeizureConfig) Validate() []error {
	errs := append(c.ChannelPicks.validate(), c.ChannelPicks.exclusive("channels", c.Channels)...)
	if c.Model == "" {
		errs = append(errs, fmt.Errorf("model: required (a file from seizure.Model.Save)"))
	}
	errs = append(errs, validateLabels("channels", c.Channels)...)
	if c.Smoothing < 0 {
		errs = append(errs, fmt.Errorf("smoothing: want ≥ 1 windows (0 for the default 3), got %d", c.Smoothing))
	}
	on, off := orDefault(c.OnThreshold, 0.7), orDefault(c.OffThreshold, 0.3)
	for _, v := range []struct {
		key string
		v   float64
	}{{"on_threshold", on}, {"off_threshold", off}} {
		if !(v.v >= 0 && v.v <= 1) {
			errs = append(errs, fmt.Errorf("%s: want a probability in [0, 1], got %g", v.key, v.v))
		}
	}
	if on >= 0 && on <= 1 && off >= 0 && off <= 1 && off > on {
		errs = append(errs, fmt.Errorf("off_threshold: %g is above on_threshold %g", off, on))
	}
	for _, v := range []struct {
		key string
		v   float64
	}{{"min_duration_seconds", orDefault(c.MinDurationSeconds, 10)}, {"merge_gap_seconds", orDefault(c.MergeGapSeconds, 30)}} {
		if !(v.v >= 0) || math.IsInf(v.v, 0) {
			errs = append(errs, fmt.Errorf("%s: want a finite duration ≥ 0 s, got %g", v.key, v.v))
		}
	}
	return errs
}

// Seizure builds seizure stage instances.
type Seizure struct {
	name  string
	cfg   SeizureConfig
	model *seizure.Model // loaded once, shared read-only by the sessions
	hyst  seizure.Hysteresis
}

// NewSeizure returns the seizure stage builder; cfg must have passed
// Validate. It loads the model file; an error names the key.
func NewSeizure(name string, cfg SeizureConfig) (*Seizure, error) {
	f, err := os.Open(cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	m, err := seizure.Load(f)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", cfg.Model, err)
	}
	if len(cfg.Channels) > 0 && len(cfg.Channels) != m.Features.Channels {
		return nil, fmt.Errorf("channels: %d labels, but model %s is for %d channels", len(cfg.Channels), cfg.Model, m.Features.Channels)
	}
	if cfg.Smoothing == 0 {
		cfg.Smoothing = 3
	}
	return &Seizure{name: name, cfg: cfg, model: m, hyst: seizure.Hysteresis{
		On:          orDefault(cfg.OnThreshold, 0.7),
		Off:         orDefault(cfg.OffThreshold, 0.3),
		MinDuration: orDefault(cfg.MinDurationSeconds, 10),
		MergeGap:    orDefault(cfg.MergeGapSeconds, 30),
	}}, nil
}

// Name implements pipeline.StageBuilder.
func (s *Seizure) Name() string { return s.name }

// NewSession implements pipeline.StageBuilder. It fails when a configured
// channel is not in the session, the number of channels (listed or
// picked) is not the model's, or the session's rate or window length is
// not the model's.
func (s *Seizure) NewSession(si pipeline.SessionInfo) (pipeline.Stage, error) {
	c, fc := s.cfg, s.model.Features
	idx, err := pickChannels("seizure", c.Channels, &c.ChannelPicks, si.Channels)
	if err != nil {
		return nil, err
	}
	if len(c.Channels) == 0 && len(idx) != fc.Channels {
		return nil, fmt.Errorf("seizure: picks: %d channels of the session picked, model %s is for %d; name the model's channels in channels", len(idx), c.Model, fc.Channels)
	}
	if si.SampleRate != fc.SampleRate {
		msg := fmt.Sprintf("seizure: model %s is for %g Hz, the session is at %g Hz", c.Model, fc.SampleRate, si.SampleRate)
		if hint := resampleHint(fc.SampleRate, si.SampleRate); hint != "" {
			msg += ": " + hint
		}
		return nil, errors.New(msg)
	}
	if si.WindowLength != int64(fc.WindowLen) {
		return nil, fmt.Errorf("seizure: model %s is for windows of %d samples, the session's are %d", c.Model, fc.WindowLen, si.WindowLength)
	}
	det, err := seizure.NewDetector(s.model)
	if err != nil {
		return nil, fmt.Errorf("seizure: model %s: %w", c.Model, err)
	}
	st := &seizureSession{
		det:    det,
		idx:    idx,
		x:      make([][]float64, len(idx)),
		rate:   si.SampleRate,
		t0:     si.StartTimeNS,
		length: float64(si.WindowLength) / si.SampleRate,
		smooth: seizure.NewSmoother(c.Smoothing),
		hyst:   s.hyst,
		rows:   arrowout.NewSeizureRows(nil),
	}
	for _, i := range idx {
		st.labels = append(st.labels, si.Channels[i].Label)
		st.labelBytes += len(si.Channels[i].Label)
	}
	return st, nil
}

type seizureSession struct {
	det          *seizure.Detector
	idx          []int
	x            [][]float64 // the analysed channels, aliasing the window
	rate, length float64     // Hz; window length in s
	t0           int64       // unix ns of the session's sample 0
	smooth       *seizure.Smoother
	hyst         seizure.Hysteresis
	labels       []string
	labelBytes   int
	rows         *arrowout.SeizureRows
}

// Process scores the window, smooths, steps the state machine and writes
// the window's row and, when one is final, an event row.
func (s *seizureSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	for i, c := range s.idx {
		s.x[i] = w.Data[c]
	}
	start := float64(w.StartSample) / s.rate
	p := s.det.ProbabilityAt(s.x, start)
	clear(s.x)
	sm := s.smooth.Add(p)
	ictal, ev, ok := s.hyst.Step(start, start+s.length, sm)
	s.rows.Reserve(2, 1, len(s.labels), s.labelBytes)
	s.rows.AppendWindow(w.WindowKey, p, sm, ictal)
	if ok {
		s.rows.AppendEvent(w.WindowKey, s.event(ev), s.labels)
	}
	return []arrowout.Result{{Kind: arrowout.KindSeizure, Key: w.WindowKey, Record: s.rows.Flush()}}, nil
}

// Finish implements pipeline.Finisher: at the end of a finite input, an
// event still open ends with the last window, and one waiting out its
// merge gap is final; either is written unless shorter than the minimum
// duration. Then the end row gives the session's duration.
func (s *seizureSession) Finish(end arrowout.WindowKey) ([]arrowout.Result, error) {
	s.rows.Reserve(2, 1, len(s.labels), s.labelBytes)
	if ev, ok := s.hyst.Close(); ok {
		s.rows.AppendEvent(end, s.event(ev), s.labels)
	}
	s.rows.AppendEnd(end, float64(end.StartSample)/s.rate, end.StartSample, end.StartTimeNS)
	return []arrowout.Result{{Kind: arrowout.KindSeizure, Key: end, Record: s.rows.Flush()}}, nil
}

// event gives ev's onset and offset (seconds from sample 0, window
// boundaries) as samples, exactly (round), and as wall-clock times, as the
// runtime times window starts.
func (s *seizureSession) event(ev seizure.AlarmEvent) arrowout.SeizureEvent {
	on, off := int64(math.Round(ev.Onset*s.rate)), int64(math.Round(ev.Offset*s.rate))
	return arrowout.SeizureEvent{
		Onset: ev.Onset, Offset: ev.Offset, Confidence: ev.Confidence(),
		OnsetSample: on, OffsetSample: off,
		OnsetTimeNS: s.timeNS(on), OffsetTimeNS: s.timeNS(off),
	}
}

// timeNS is the wall-clock time of a sample, as pipeline's window keys.
func (s *seizureSession) timeNS(sample int64) int64 {
	return s.t0 + int64(math.Round(float64(sample)/s.rate*1e9))
}

// resampleHint is what to add to a pipeline whose session arrives at
// rate from Hz for a model at rate to Hz: the resample step, when
// dsp.RateRatio finds one within 1000, else "".
func resampleHint(to, from float64) string {
	up, down, ok := dsp.RateRatio(to, from, 1000)
	if !ok {
		return ""
	}
	return fmt.Sprintf("add the preprocess step {type: resample, up: %d, down: %d} first among the preprocess steps", up, down)
}
