package ssvep

import (
	"fmt"
	"io"
	"slices"

	"github.com/neurostream/neurostream/models/modelfile"
)

// TrainingFree is CCA or FBCCA as a Decoder: the decoder for windows of
// one length, built from the targets and the calibration trials' shape
// (nothing is learnt from the trials), with a model file that records its
// configuration, so that a RestDetector calibrated on top of it can be
// saved and served like a trained method. Decide is the top score (no
// no-control rule: a RestDetector adds one). Not safe for concurrent use.
type TrainingFree struct {
	method string
	cfg    FBCCAConfig
	d      interface {
		Scores(dst []float64, x [][]float64) ([]float64, error)
	}
	scores []float64
}

// NewTrainingFree returns the "cca" or "fbcca" decoder of cfg (the filter
// bank applies to fbcca only). An error reports another method or an
// invalid configuration.
func NewTrainingFree(method string, cfg FBCCAConfig) (*TrainingFree, error) {
	d := &TrainingFree{method: method}
	switch method {
	case "cca":
		if !isZeroFilterBank(cfg.FilterBank) {
			return nil, fmt.Errorf("ssvep: cca takes no filter bank")
		}
		c, err := NewCCA(cfg.CCAConfig)
		if err != nil {
			return nil, err
		}
		d.d, d.cfg = c, FBCCAConfig{CCAConfig: c.Config()}
	case "fbcca":
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
		return NewTrainingFree(method, c)
	}
}

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

// Scores writes the CCA or FBCCA scores of the window into dst and
// returns it.
func (d *TrainingFree) Scores(dst []float64, x [][]float64) ([]float64, error) {
	return d.d.Scores(dst, x)
}

// Decide returns the top-scoring target.
func (d *TrainingFree) Decide(x [][]float64) (int, error) {
	var err error
	if d.scores, err = d.d.Scores(d.scores, x); err != nil {
		return Rest, err
	}
	return Argmax(d.scores), nil
}

// Model file of a training-free decoder:
//
//	{"format": "neurostream-ssvep-trainingfree", "version": 1,
//	 "method": "cca" | "fbcca", "config": FBCCAConfig (freqs,
//	 sample_rate, samples, channels, harmonics, filter_bank)}
const (
	TrainingFreeModelFormat  = "neurostream-ssvep-trainingfree"
	TrainingFreeModelVersion = 1
)

var trainingFreeKind = modelfile.Kind{Format: TrainingFreeModelFormat, Oldest: TrainingFreeModelVersion, Newest: TrainingFreeModelVersion}

type trainingFreeFile struct {
	modelfile.Header
	Method string      `json:"method"`
	Config FBCCAConfig `json:"config"`
}

// Save writes the decoder's configuration as a model file.
func (d *TrainingFree) Save(w io.Writer) error {
	f := trainingFreeFile{Header: modelfile.Header{Format: TrainingFreeModelFormat, Version: TrainingFreeModelVersion},
		Method: d.method, Config: d.Config()}
	if d.method == "cca" {
		f.Config.FilterBank = FilterBankConfig{}
	}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save %s model: %w", d.method, err)
	}
	return nil
}

// LoadTrainingFree reads a model file written by TrainingFree.Save.
func LoadTrainingFree(r io.Reader) (*TrainingFree, error) {
	var f trainingFreeFile
	if err := trainingFreeKind.Read(r, &f); err != nil {
		return nil, fmt.Errorf("ssvep: load training-free model: %w", err)
	}
	d, err := NewTrainingFree(f.Method, f.Config)
	if err != nil {
		return nil, fmt.Errorf("ssvep: load training-free model: %w", err)
	}
	return d, nil
}
