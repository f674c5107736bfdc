package stages

import (
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/neurostream/neurostream/formats"
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
	// order; their number must be the model's. Default: every EEG channel
	// of the session, whose number must be the model's.
	Channels []string `mapstructure:"channels"`
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
	var errs []error
	if c.Model == "" {
		errs = append(errs, fmt.Errorf("model: required (a file from seizure.Model.Save)"))
	}
	for i, l := range c.Channels {
		if l == "" {
			errs = append(errs, fmt.Errorf("channels[%d]: empty label", i))
		} else if j := slices.Index(c.Channels, l); j < i {
			errs = append(errs, fmt.Errorf("channels[%d]: %q repeats channels[%d]", i, l, j))
		}
	}
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
	hyst  seizureHysteresis
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
	return &Seizure{name: name, cfg: cfg, model: m, hyst: seizureHysteresis{
		on:     orDefault(cfg.OnThreshold, 0.7),
		off:    orDefault(cfg.OffThreshold, 0.3),
		minDur: orDefault(cfg.MinDurationSeconds, 10),
		gap:    orDefault(cfg.MergeGapSeconds, 30),
	}}, nil
}

// Name implements pipeline.StageBuilder.
func (s *Seizure) Name() string { return s.name }

// NewSession implements pipeline.StageBuilder. It fails when a configured
// channel is not in the session, the number of channels is not the
// model's, or the session's rate or window length is not the model's.
func (s *Seizure) NewSession(si pipeline.SessionInfo) (pipeline.Stage, error) {
	c, fc := s.cfg, s.model.Features
	var idx []int
	if len(c.Channels) > 0 {
		for _, l := range c.Channels {
			i, err := channelIndex(si.Channels, l)
			if err != nil {
				return nil, fmt.Errorf("seizure: channels: %w", err)
			}
			idx = append(idx, i)
		}
	} else {
		for i, ch := range si.Channels {
			if ch.Type == formats.EEG {
				idx = append(idx, i)
			}
		}
		if len(idx) != fc.Channels {
			return nil, fmt.Errorf("seizure: channels: the session has %d EEG channels, model %s is for %d; name the model's channels in channels", len(idx), c.Model, fc.Channels)
		}
	}
	if si.SampleRate != fc.SampleRate {
		return nil, fmt.Errorf("seizure: model %s is for %g Hz, the session is at %g Hz", c.Model, fc.SampleRate, si.SampleRate)
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
		length: float64(si.WindowLength) / si.SampleRate,
		ring:   make([]float64, c.Smoothing),
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
	ring         []float64   // the last len(ring) probabilities
	n            int         // probabilities seen
	hyst         seizureHysteresis
	labels       []string
	labelBytes   int
	rows         *arrowout.SeizureRows
}

// smooth adds p to the moving average and returns the mean over the last
// len(ring) probabilities (fewer at the start). The sum is recomputed from
// the ring, so rounding does not drift.
func (s *seizureSession) smooth(p float64) float64 {
	s.ring[s.n%len(s.ring)] = p
	s.n++
	k := min(s.n, len(s.ring))
	sum := 0.0
	for _, v := range s.ring[:k] {
		sum += v
	}
	return sum / float64(k)
}

// Process scores the window, smooths, steps the state machine and writes
// the window's row and, when one is final, an event row.
func (s *seizureSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	for i, c := range s.idx {
		s.x[i] = w.Data[c]
	}
	p := s.det.Probability(s.x)
	clear(s.x)
	sm := s.smooth(p)
	start := float64(w.StartSample) / s.rate
	ictal, ev, ok := s.hyst.step(start, start+s.length, sm)
	s.rows.Reserve(2, 1, len(s.labels), s.labelBytes)
	s.rows.AppendWindow(w.WindowKey, p, sm, ictal)
	if ok {
		s.rows.AppendEvent(w.WindowKey, ev.onset, ev.offset, ev.confidence(), s.labels)
	}
	return []arrowout.Result{{Kind: arrowout.KindSeizure, Key: w.WindowKey, Record: s.rows.Flush()}}, nil
}

// seizureEvent is an event in seconds from the session's sample 0, with the
// sum and count of the smoothed probabilities of its ictal windows.
type seizureEvent struct {
	onset, offset float64
	sum           float64
	n             int
}

func (e seizureEvent) confidence() float64 { return e.sum / float64(e.n) }

// seizureHysteresis is the event state machine over smoothed window
// probabilities. Windows are given by their start and end in seconds, in
// order.
type seizureHysteresis struct {
	on, off, minDur, gap float64

	ictal   bool
	cur     seizureEvent // the open event, while ictal
	pending bool         // a closed event waits out its merge gap
	last    seizureEvent // that event
}

// step takes the next window's start and end in s and its smoothed
// probability p; it returns whether the state after this window is ictal,
// and the event finalised at this window, if any.
//
// In order: a closed event whose offset lies merge gap or more before this
// window's start is final (written unless shorter than the minimum
// duration); an ictal state ends when p < off (this window is not part of
// the event); a background state starts an event when p ≥ on, continuing
// the pending event when it closed less than the merge gap before this
// window's start; an ictal window extends the event to its end.
func (h *seizureHysteresis) step(start, end, p float64) (ictal bool, ev seizureEvent, ok bool) {
	if h.pending && start-h.last.offset >= h.gap {
		h.pending = false
		if h.last.offset-h.last.onset >= h.minDur {
			ev, ok = h.last, true
		}
	}
	switch {
	case h.ictal && p < h.off:
		h.ictal = false
		h.pending, h.last = true, h.cur
	case !h.ictal && p >= h.on:
		h.ictal = true
		if h.pending {
			h.cur, h.pending = h.last, false
		} else {
			h.cur = seizureEvent{onset: start}
		}
	}
	if h.ictal {
		h.cur.offset = end
		h.cur.sum += p
		h.cur.n++
	}
	return h.ictal, ev, ok
}
