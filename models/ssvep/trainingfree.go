package ssvep

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/modelfile"
)

// TrainingFree is CCA or FBCCA as a Decoder: the decoder for windows of
// one length, built from the targets and the calibration trials' shape
// (nothing is learnt from the trials), with a model file that records its
// configuration, the channels it decodes and, when calibrated on rest
// trials, its no-control rule. So `train ssvep` can calibrate it and a
// RestDetector can be trained on top of it, and the ssvep stage decodes
// as the calibration did. Decide is the top score, or Rest when the
// no-control rule refuses it. Not safe for concurrent use.
type TrainingFree struct {
	method string
	cfg    FBCCAConfig
	d      interface {
		Scores(dst []float64, x [][]float64) ([]float64, error)
	}
	names []string
	nc    NoControl
	// Calibration counts: trials per target and rest trials.
	trials []int
	rest   int
	sel    *Selection // what SelectTrainingFree chose, if it made d
	scores []float64
}

// NewTrainingFree returns the "cca" or "fbcca" decoder of cfg (the filter
// bank applies to fbcca only), with no no-control rule. An error reports
// another method or an invalid configuration.
func NewTrainingFree(method string, cfg FBCCAConfig) (*TrainingFree, error) {
	d := &TrainingFree{method: method}
	switch method {
	case MethodCCA:
		if !isZeroFilterBank(cfg.FilterBank) {
			return nil, fmt.Errorf("ssvep: cca takes no filter bank")
		}
		c, err := NewCCA(cfg.CCAConfig)
		if err != nil {
			return nil, err
		}
		d.d, d.cfg = c, FBCCAConfig{CCAConfig: c.Config()}
	case MethodFBCCA:
		f, err := NewFBCCA(cfg)
		if err != nil {
			return nil, err
		}
		d.d, d.cfg = f, f.Config()
	default:
		return nil, fmt.Errorf("ssvep: training-free method %q: want cca or fbcca", method)
	}
	d.scores = make([]float64, len(d.cfg.Freqs))
	return d, nil
}

func isZeroFilterBank(c FilterBankConfig) bool {
	return c.SubBands == 0 && c.Bands == nil && c.Weights == nil && !c.Causal
}

// trainTrainingFree builds cca/fbcca for the trials' shape.
func trainTrainingFree(method string) trainFunc {
	return func(cfg TrainConfig, trials [][][]float64, labels []int) (Decoder, error) {
		if len(trials) == 0 || len(trials[0]) == 0 {
			return nil, fmt.Errorf("ssvep: %s: no trials to take the window shape from", method)
		}
		c := cfg.FBCCA
		c.Freqs, c.SampleRate, c.Channels, c.Samples = cfg.Freqs, cfg.SampleRate, len(trials[0]), len(trials[0][0])
		if method == MethodCCA {
			c.FilterBank = FilterBankConfig{}
		}
		d, err := NewTrainingFree(method, c)
		if err != nil {
			return nil, err
		}
		if len(cfg.Channels) == len(trials[0]) {
			d.names = slices.Clone(cfg.Channels)
		}
		return d, nil
	}
}

// SetNoControl sets the no-control rule Decide applies (NoControlNone:
// always the top target). An error reports an invalid rule or threshold.
func (d *TrainingFree) SetNoControl(nc NoControl) error {
	switch {
	case !nc.Rule.Valid():
		return fmt.Errorf("ssvep: no-control rule %q: want top or margin", nc.Rule)
	case math.IsNaN(nc.Threshold) || math.IsInf(nc.Threshold, 0):
		return fmt.Errorf("ssvep: no-control threshold %v: want a finite number", nc.Threshold)
	case nc.Rule == NoControlMargin && len(d.cfg.Freqs) < 2:
		return fmt.Errorf("ssvep: no-control rule margin needs two targets")
	}
	d.nc = nc
	return nil
}

// NoControl returns the no-control rule Decide applies.
func (d *TrainingFree) NoControl() NoControl { return d.nc }

// Method returns "cca" or "fbcca".
func (d *TrainingFree) Method() string { return d.method }

// Config returns the configuration with its defaults filled in.
func (d *TrainingFree) Config() FBCCAConfig {
	c := d.cfg
	c.Freqs = slices.Clone(c.Freqs)
	return c
}

// Freqs returns the targets' frequencies in Hz.
func (d *TrainingFree) Freqs() []float64 { return slices.Clone(d.cfg.Freqs) }

// SampleRate returns the windows' sample rate in Hz.
func (d *TrainingFree) SampleRate() float64 { return d.cfg.SampleRate }

// Channels returns the number of channels per window.
func (d *TrainingFree) Channels() int { return d.cfg.Channels }

// ChannelNames returns the labels of the channels decoded, in order, or
// nil when the calibration did not name them.
func (d *TrainingFree) ChannelNames() []string { return slices.Clone(d.names) }

// Selection returns what SelectTrainingFree chose, or nil if the
// configuration was given.
func (d *TrainingFree) Selection() *Selection {
	if d.sel == nil {
		return nil
	}
	s := *d.sel
	return &s
}

// Offset returns the start of the decoded window after a trial's onset in
// s that the selection chose (0 without a selection): the ssvep stage
// decodes a trial window that long longer from there.
func (d *TrainingFree) Offset() float64 {
	if d.sel == nil {
		return 0
	}
	return d.sel.OffsetSeconds
}

// Samples returns the number of samples per window.
func (d *TrainingFree) Samples() int { return d.cfg.Samples }

// Scores writes the CCA or FBCCA scores of the window into dst and
// returns it.
func (d *TrainingFree) Scores(dst []float64, x [][]float64) ([]float64, error) {
	return d.d.Scores(dst, x)
}

// Decide returns the top-scoring target, or Rest when the no-control rule
// refuses it.
func (d *TrainingFree) Decide(x [][]float64) (int, error) {
	var err error
	if d.scores, err = d.d.Scores(d.scores, x); err != nil {
		return Rest, err
	}
	return d.nc.Decide(d.scores), nil
}

// Model file of a training-free decoder, the one format of cca and fbcca
// whether calibrated or not:
//
//	{"format": "neurostream-ssvep-trainingfree", "version": 1,
//	 "method": "cca" | "fbcca",
//	 "config": FBCCAConfig (freqs, sample_rate, samples, channels,
//	           harmonics, filter_bank {sub_bands, bands, weights, causal};
//	           filter_bank empty for cca),
//	 "channel_names": [...], "trials_per_target": [...], "rest_trials": n,
//	 "no_control": {"rule", "threshold"},
//	 "selection": Selection (offset_seconds, harmonics, filter_bank, rule,
//	              rest_threshold, folds, fold_kind, cv_accuracy, candidates)}
//
// channel_names, the trial counts, no_control and selection are left out
// when unset (no_control: none, every window decided a target; selection:
// the configuration was given, not chosen).
const (
	TrainingFreeModelFormat  = "neurostream-ssvep-trainingfree"
	TrainingFreeModelVersion = 1
)

var trainingFreeKind = modelfile.Kind{Format: TrainingFreeModelFormat, Oldest: TrainingFreeModelVersion, Newest: TrainingFreeModelVersion}

type trainingFreeFile struct {
	modelfile.Header
	Method          string      `json:"method"`
	Config          FBCCAConfig `json:"config"`
	ChannelNames    []string    `json:"channel_names,omitempty"`
	TrialsPerTarget []int       `json:"trials_per_target,omitempty"`
	RestTrials      int         `json:"rest_trials,omitempty"`
	NoControl       *NoControl  `json:"no_control,omitempty"`
	Selection       *Selection  `json:"selection,omitempty"`
}

// Save writes the decoder's configuration and calibration as a model
// file.
func (d *TrainingFree) Save(w io.Writer) error {
	f := trainingFreeFile{Header: modelfile.Header{Format: TrainingFreeModelFormat, Version: TrainingFreeModelVersion},
		Method: d.method, Config: d.Config(), ChannelNames: d.names, TrialsPerTarget: d.trials, RestTrials: d.rest, Selection: d.sel}
	if d.method == MethodCCA {
		f.Config.FilterBank = FilterBankConfig{}
	}
	if d.nc.Rule != NoControlNone {
		f.NoControl = &d.nc
	}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save %s model: %w", d.method, err)
	}
	return nil
}

// LoadTrainingFree reads a model file written by TrainingFree.Save. An
// error names what is wrong: another format or version, a configuration
// the decoder refuses, channel names or trial counts that disagree with
// it, an invalid no-control rule.
func LoadTrainingFree(r io.Reader) (*TrainingFree, error) {
	return loadFile(r, trainingFreeKind, "training-free model", func(f *trainingFreeFile) (*TrainingFree, error) {
		d, err := NewTrainingFree(f.Method, f.Config)
		if err == nil {
			err = d.setCalibration(f)
		}
		return d, err
	})
}

// setCalibration checks and sets what a model file adds to the
// configuration.
func (d *TrainingFree) setCalibration(f *trainingFreeFile) error {
	c := d.cfg
	switch {
	case f.ChannelNames != nil && len(f.ChannelNames) != c.Channels:
		return fmt.Errorf("%d channel names for %d channels", len(f.ChannelNames), c.Channels)
	case f.TrialsPerTarget != nil && len(f.TrialsPerTarget) != len(c.Freqs):
		return fmt.Errorf("%d trial counts for %d targets", len(f.TrialsPerTarget), len(c.Freqs))
	case c.Harmonics != f.Config.Harmonics && f.Config.Harmonics != 0:
		return fmt.Errorf("harmonics %d is not what the decoder makes of it (%d)", f.Config.Harmonics, c.Harmonics)
	}
	if f.NoControl != nil {
		if err := d.SetNoControl(*f.NoControl); err != nil {
			return err
		}
	}
	if sel := f.Selection; sel != nil && (!(sel.OffsetSeconds >= 0) || math.IsInf(sel.OffsetSeconds, 0)) {
		return fmt.Errorf("selection offset %v s: want ≥ 0", sel.OffsetSeconds)
	}
	d.names, d.trials, d.rest, d.sel = f.ChannelNames, f.TrialsPerTarget, f.RestTrials, f.Selection
	return nil
}
