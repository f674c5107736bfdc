package ssvep

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/modelfile"
)

// Canonical model file identification. A calibrated CCA or FBCCA decoder
// is one JSON object:
//
//	{"format": "neurostream-ssvep-cca", "version": 1,
//	 "method": "cca" | "fbcca",
//	 "config": FBCCAConfig (freqs, sample_rate, samples, channels,
//	           harmonics, filter_bank {sub_bands, bands, weights, causal};
//	           filter_bank empty for cca),
//	 "channel_names": [...], "trials_per_target": [...], "rest_trials": n,
//	 "no_control": {"rule", "threshold"}}
//
// CCA and FBCCA learn nothing from the trials: the file records the
// settings the calibration used and the no-control threshold it chose, so
// the ssvep stage decodes as the calibration did.
const (
	CanonicalFormat  = "neurostream-ssvep-cca"
	CanonicalVersion = 1
)

var canonicalKind = modelfile.Kind{Format: CanonicalFormat, Oldest: CanonicalVersion, Newest: CanonicalVersion}

// CanonicalModel is a calibrated training-free decoder, CCA or FBCCA:
// its configuration (defaults filled in), the channels it decodes and its
// no-control rule, as TrainCalibration made it.
type CanonicalModel struct {
	modelfile.Header
	// Method is cca or fbcca.
	Method string `json:"method"`
	// Config is the decoder's configuration; FilterBank is unused for cca.
	Config FBCCAConfig `json:"config"`
	// ChannelNames are the labels of the Config.Channels channels, in
	// order.
	ChannelNames []string `json:"channel_names"`
	// TrialsPerTarget and RestTrials count the calibration trials.
	TrialsPerTarget []int `json:"trials_per_target"`
	RestTrials      int   `json:"rest_trials"`
	// NoControl is the calibrated rule; none without rest trials.
	NoControl NoControl `json:"no_control"`
}

// CanonicalDecoder is the decoder of a CanonicalModel: a *CCA or a *FBCCA.
type CanonicalDecoder interface {
	Scores(dst []float64, x [][]float64) ([]float64, error)
	config() FBCCAConfig
}

func (d *CCA) config() FBCCAConfig   { return FBCCAConfig{CCAConfig: d.Config()} }
func (d *FBCCA) config() FBCCAConfig { return d.Config() }

// Decoder returns a new CCA or FBCCA decoder of m's configuration (a
// *CCA or *FBCCA); each goroutine needs its own.
func (m *CanonicalModel) Decoder() (CanonicalDecoder, error) {
	switch m.Method {
	case MethodCCA:
		return NewCCA(m.Config.CCAConfig)
	case MethodFBCCA:
		return NewFBCCA(m.Config)
	}
	return nil, fmt.Errorf("ssvep: canonical model method %q: want cca or fbcca", m.Method)
}

// Save writes m to w as a versioned JSON model file.
func (m *CanonicalModel) Save(w io.Writer) error {
	f := *m
	f.Header = modelfile.Header{Format: CanonicalFormat, Version: CanonicalVersion}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save %s model: %w", m.Method, err)
	}
	return nil
}

// LoadCanonical reads a model file written by CanonicalModel.Save. An
// error names what is wrong: another format or version, a configuration
// the decoder refuses, channel names or counts that disagree, a non-finite
// threshold.
func LoadCanonical(r io.Reader) (*CanonicalModel, error) {
	var m CanonicalModel
	if err := canonicalKind.Read(r, &m); err != nil {
		return nil, fmt.Errorf("ssvep: load cca model: %w", err)
	}
	dec, err := m.Decoder()
	if err != nil {
		return nil, fmt.Errorf("ssvep: load cca model: %w", err)
	}
	switch c := dec.config(); {
	case len(m.ChannelNames) != c.Channels:
		err = fmt.Errorf("%d channel names for %d channels", len(m.ChannelNames), c.Channels)
	case len(m.TrialsPerTarget) != len(c.Freqs):
		err = fmt.Errorf("%d trial counts for %d targets", len(m.TrialsPerTarget), len(c.Freqs))
	case !m.NoControl.Rule.Valid():
		err = fmt.Errorf("no-control rule %q", m.NoControl.Rule)
	case math.IsNaN(m.NoControl.Threshold) || math.IsInf(m.NoControl.Threshold, 0):
		err = fmt.Errorf("no-control threshold %v", m.NoControl.Threshold)
	case c.Harmonics != m.Config.Harmonics || !slices.Equal(c.Freqs, m.Config.Freqs):
		err = fmt.Errorf("harmonics %d or frequencies %v are not what the decoder makes of them (%d, %v)", m.Config.Harmonics, m.Config.Freqs, c.Harmonics, c.Freqs)
	}
	if err != nil {
		return nil, fmt.Errorf("ssvep: load cca model: %w", err)
	}
	return &m, nil
}
