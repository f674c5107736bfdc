package ssvep

import (
	"errors"
	"fmt"
	"io"
)

// Model is a trained or calibrated decoder that saves itself as a model
// file. Every Decoder is one.
type Model interface {
	Save(w io.Writer) error
}

// Methods TrainCalibration knows.
const (
	MethodCCA   = "cca"
	MethodFBCCA = "fbcca"
	MethodTRCA  = "trca"
	MethodETRCA = "etrca"
)

// TrainCalibrationConfig configures TrainCalibration.
type TrainCalibrationConfig struct {
	// Method is the decoder: trca or etrca (trained on the target
	// trials), cca or fbcca (training-free: calibrated). Default: etrca.
	Method string
	// NoControl is the rule whose threshold is calibrated on the rest
	// trials: top or margin. Required when the calibration has rest codes;
	// unused otherwise.
	NoControl NoControlRule
	// SubBands is the number of filter-bank sub-bands of fbcca, trca and
	// etrca (1 for trca/etrca is plain TRCA on [6, 90] Hz). Default: 5.
	SubBands int
	// Harmonics is the number of harmonics of the cca and fbcca
	// references. Default: 5, or fewer if the highest would reach the
	// Nyquist frequency.
	Harmonics int
	// NoCV skips the leave-one-trial-out estimate of trca and etrca.
	// Default: false.
	NoCV bool
	// Log receives what training found as it goes: the calibration
	// summary, the accuracy estimate, the no-control threshold. Default:
	// nil, discarded.
	Log io.Writer
}

// TrainCalibration trains or calibrates a decoder on cal, as `neurostream
// train ssvep` does, and writes the calibration's summary to cfg.Log.
//
// trca and etrca train a TRCA model (TrainTRCA) on every trial and, unless
// cfg.NoCV, write the leave-one-trial-out accuracy over the target trials.
// cca and fbcca need no training: the decoder is built for the trials'
// rate, length and channels, and the accuracy over the target trials is
// written. With rest codes, the no-control threshold of cfg.NoControl is
// calibrated on the rest and target trials (TRCA: on leave-one-trial-out
// scores, see TRCAConfig.NoControl; CCA/FBCCA: on their scores, which no
// training biased) and written.
func TrainCalibration(cal *Calibration, cfg TrainCalibrationConfig) (Decoder, error) {
	if cfg.Method == "" {
		cfg.Method = MethodETRCA
	}
	rule := cfg.NoControl
	if !cal.rest {
		rule = NoControlNone
	} else if rule == NoControlNone || !rule.Valid() {
		return nil, fmt.Errorf("ssvep: no-control rule %q: want top or margin", rule)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if len(cal.Trials) == 0 {
		return nil, errors.New("ssvep: no trials: none of the recordings holds the listed events")
	}
	fmt.Fprintln(cfg.Log, cal)
	switch cfg.Method {
	case MethodTRCA, MethodETRCA:
		tc := TRCAConfig{Freqs: cal.Freqs, SampleRate: cal.SampleRate, Channels: cal.Channels,
			Ensemble: cfg.Method == MethodETRCA, FilterBank: FilterBankConfig{SubBands: cfg.SubBands}, NoControl: rule}
		return trainTRCA(cal, tc, cfg)
	case MethodCCA, MethodFBCCA:
		return calibrateCanonical(cal, cfg, rule)
	}
	return nil, fmt.Errorf("ssvep: method %q: want trca, etrca, cca or fbcca", cfg.Method)
}

// trainTRCA trains tc on cal's trials and logs the estimate and the
// threshold.
func trainTRCA(cal *Calibration, tc TRCAConfig, cfg TrainCalibrationConfig) (*TRCA, error) {
	m, err := TrainTRCA(tc, cal.Trials, cal.Labels)
	if err != nil {
		return nil, err
	}
	if !cfg.NoCV {
		correct, total, err := LeaveOneTrialOut(tc, cal.Trials, cal.Labels)
		if err != nil {
			return nil, fmt.Errorf("%w (skip the estimate to train without it)", err)
		}
		fmt.Fprintf(cfg.Log, "leave-one-trial-out accuracy (%s, targets only): %d/%d = %.1f%% (chance %.1f%%)\n",
			cfg.Method, correct, total, 100*float64(correct)/float64(total), 100/float64(len(tc.Freqs)))
	}
	if nc := m.NoControl(); nc.Rule != NoControlNone {
		fmt.Fprintf(cfg.Log, "no-control rule %s, threshold %.6g\n", nc.Rule, nc.Threshold)
	}
	return m, nil
}

// calibrateCanonical builds the cca/fbcca decoder for cal's trials,
// scores every trial, logs the accuracy over the target trials, and
// calibrates rule on the scores.
func calibrateCanonical(cal *Calibration, cfg TrainCalibrationConfig, rule NoControlRule) (*TrainingFree, error) {
	fc := FBCCAConfig{CCAConfig: CCAConfig{Harmonics: cfg.Harmonics}}
	if cfg.Method == MethodFBCCA {
		fc.FilterBank.SubBands = cfg.SubBands
	}
	dec, err := TrainDecoder(TrainConfig{Method: cfg.Method, SampleRate: cal.SampleRate, Freqs: cal.Freqs, Channels: cal.Channels, FBCCA: fc}, cal.Trials, cal.Labels)
	if err != nil {
		return nil, err
	}
	m := dec.(*TrainingFree)
	m.trials, m.rest = cal.Counts()
	scores := make([][]float64, len(cal.Trials))
	correct, total := 0, 0
	for i, x := range cal.Trials {
		if scores[i], err = m.Scores(nil, x); err != nil {
			return nil, fmt.Errorf("ssvep: trial %d: %w", i, err)
		}
		if l := cal.Labels[i]; l != Rest {
			total++
			if Argmax(scores[i]) == l {
				correct++
			}
		}
	}
	if total > 0 {
		fmt.Fprintf(cfg.Log, "accuracy on the calibration trials (%s, training-free, targets only): %d/%d = %.1f%% (chance %.1f%%)\n",
			cfg.Method, correct, total, 100*float64(correct)/float64(total), 100/float64(len(cal.Freqs)))
	}
	if rule != NoControlNone {
		nc, err := CalibrateNoControl(rule, scores, cal.Labels)
		if err != nil {
			return nil, err
		}
		if err := m.SetNoControl(nc); err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Log, "no-control rule %s, threshold %.6g\n", nc.Rule, nc.Threshold)
	}
	return m, nil
}
