package ssvep

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Model is a trained or calibrated decoder that saves itself as a model
// file. Every Decoder is one.
type Model interface {
	Save(w io.Writer) error
}

// Methods TrainCalibration knows (and MethodMDM, MethodTSLR).
const (
	MethodCCA   = "cca"
	MethodFBCCA = "fbcca"
	MethodTRCA  = "trca"
	MethodETRCA = "etrca"
)

// Decision rules for the rest (no-control) trials of a calibration,
// besides NoControlTop and NoControlMargin (a threshold on the scores).
// They are TrainCalibrationConfig.NoControl values only, not NoControl
// rules.
const (
	// NoControlDetector trains a RestDetector on the method's
	// out-of-fold scores and the windows' covariances.
	NoControlDetector NoControlRule = "detector"
	// NoControlClass learns rest as a class of its own (mdm, ts-lr).
	NoControlClass NoControlRule = "class"
)

// TrainCalibrationConfig configures TrainCalibration.
type TrainCalibrationConfig struct {
	// Method is the decoder: trca, etrca, mdm, ts-lr, tdca, fbcca+ts-lr,
	// fbcca-bands+ts-lr or fbcca+ts-lr+tdca (trained), cca or fbcca (training-free: calibrated), or auto (fbcca
	// or fbcca+ts-lr, whichever the cross-validation prefers:
	// SelectMethod). Default: etrca.
	Method string
	// NoControl is how rest trials are decided: auto (cca, fbcca: chosen
	// with the offset, harmonics and filter bank by SelectTrainingFree;
	// see NoControlAuto for the others), top or margin (a threshold on the
	// scores, calibrated on the rest trials; cca, fbcca, trca, etrca),
	// detector (a RestDetector, any method) or class (rest learnt as a
	// class; mdm, ts-lr). Required when the calibration has rest codes;
	// otherwise only auto matters (cca, fbcca: the selection without a
	// rule).
	NoControl NoControlRule
	// SubBands is the number of filter-bank sub-bands of fbcca, trca and
	// etrca (1 for trca/etrca is plain TRCA on [6, 90] Hz). Default: 5.
	SubBands int
	// Harmonics is the number of harmonics of the cca and fbcca
	// references. Default: 5, or fewer if the highest would reach the
	// Nyquist frequency.
	Harmonics int
	// Riemann holds the mdm/ts-lr options (its Method, SampleRate, Freqs
	// and Channels are the calibration's). Default: MOABB's.
	Riemann RiemannConfig
	// Rest configures the detector of NoControlDetector. Default:
	// RestConfig's defaults.
	Rest RestConfig
	// AugmentStep is the hop in s between the training windows the
	// stacked fbcca+ts-lr and tdca cut from each calibration trial, as far as
	// Calibration.Span reaches (SelectStacked, SelectTDCA). Default: 0.5
	// (DefaultAugmentStep); negative: the decision windows only.
	AugmentStep float64
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
// written. mdm and ts-lr train a Riemann decoder on the target trials, or
// with rule class on every trial. With rest codes, the no-control rule of
// cfg.NoControl is calibrated on the rest and target trials: a threshold
// (TRCA: on leave-one-trial-out scores, see TRCAConfig.NoControl;
// CCA/FBCCA: on their scores, which no training biased), or a rest
// detector (TrainWithRest, folds: Calibration.Folds). fbcca+ts-lr is
// SelectStacked (its offset among cal.Offsets, its parts trained on
// augmented windows), tdca SelectTDCA (the same, rest as a class), auto
// is SelectMethod. A calibration with a single
// candidate offset (trials reaching a span) trains the other methods on
// its trials at that offset.
func TrainCalibration(cal *Calibration, cfg TrainCalibrationConfig) (Decoder, error) {
	if cfg.Method == "" {
		cfg.Method = MethodETRCA
	}
	rule, err := calibrationRule(cal, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if len(cal.Trials) == 0 {
		return nil, errors.New("ssvep: no trials: none of the recordings holds the listed events")
	}
	fmt.Fprintln(cfg.Log, cal)
	selecting := cfg.NoControl == NoControlAuto && (cfg.Method == MethodCCA || cfg.Method == MethodFBCCA)
	switch {
	case isStack(cfg.Method):
		return SelectStacked(cal, cfg)
	case cfg.Method == MethodAuto:
		return SelectMethod(cal, cfg)
	case cfg.Method == MethodTDCA:
		m, err := SelectTDCA(cal, cfg)
		if err != nil {
			return nil, err // not a nil *TDCA in a non-nil Decoder
		}
		return m, nil
	}
	if len(cal.Offsets) == 1 && !selecting {
		// One offset, its trials reaching a span only the stack uses.
		if cal, err = cal.AtOffset(cal.Offsets[0]); err != nil {
			return nil, err
		}
	}
	if len(cal.Offsets) > 0 && !selecting {
		return nil, fmt.Errorf("ssvep: candidate offsets %v: only cca and fbcca with rule auto and %s choose among them", cal.Offsets, MethodStack)
	}
	switch {
	case selecting:
		return SelectTrainingFree(cal, cfg)
	case rule == NoControlDetector:
		return trainDetector(cal, cfg)
	case cfg.Method == MethodTRCA || cfg.Method == MethodETRCA:
		tc := TRCAConfig{Freqs: cal.Freqs, SampleRate: cal.SampleRate, Channels: cal.Channels,
			Ensemble: cfg.Method == MethodETRCA, FilterBank: FilterBankConfig{SubBands: cfg.SubBands}, NoControl: rule}
		return trainTRCA(cal, tc, cfg)
	case cfg.Method == MethodCCA || cfg.Method == MethodFBCCA:
		return calibrateCanonical(cal, cfg, rule)
	}
	x, y := cal.Trials, cal.Labels
	if rule != NoControlClass {
		x, y = targetTrials(x, y)
	}
	return TrainDecoder(cal.trainConfig(cfg), x, y)
}

// calibrationRule checks cfg.NoControl against the method and whether cal
// has rest trials, and returns the rule to apply (none without rest
// codes).
func calibrationRule(cal *Calibration, cfg TrainCalibrationConfig) (NoControlRule, error) {
	stack := isStack(cfg.Method)
	if !slices.Contains(TrainedMethods(), cfg.Method) && !stack && cfg.Method != MethodAuto {
		return "", fmt.Errorf("ssvep: method %q: want one of %v, %s, %s, %s or %s", cfg.Method, TrainedMethods(), MethodStack, MethodStackBands, MethodStackTDCA, MethodAuto)
	}
	rule := cfg.NoControl
	if cfg.Method == MethodAuto && rule != NoControlAuto && cal.rest {
		return "", fmt.Errorf("ssvep: no-control rule %q: method %s chooses the rule (auto)", rule, MethodAuto)
	}
	if !cal.rest {
		return NoControlNone, nil
	}
	if stack || cfg.Method == MethodTDCA {
		if rule != NoControlAuto && rule != NoControlClass {
			return "", fmt.Errorf("ssvep: no-control rule %q: %s learns rest as a class (auto or class)", rule, cfg.Method)
		}
		return NoControlClass, nil
	}
	riemannian := cfg.Method == MethodMDM || cfg.Method == MethodTSLR
	switch rule {
	case NoControlAuto:
		switch cfg.Method {
		case MethodTRCA, MethodETRCA:
			return NoControlMargin, nil
		case MethodMDM, MethodTSLR:
			return NoControlDetector, nil
		}
	case NoControlDetector:
	case NoControlClass:
		if !riemannian {
			return "", fmt.Errorf("ssvep: no-control rule class is for mdm and ts-lr; %s: want top, margin or detector", cfg.Method)
		}
	case NoControlTop, NoControlMargin:
		if riemannian {
			return "", fmt.Errorf("ssvep: no-control rule %s is for score thresholds; %s: want class or detector", rule, cfg.Method)
		}
	default:
		if riemannian {
			return "", fmt.Errorf("ssvep: no-control rule %q: want auto, class or detector", rule)
		}
		return "", fmt.Errorf("ssvep: no-control rule %q: want auto, top, margin or detector", rule)
	}
	return rule, nil
}

// trainConfig returns the TrainDecoder configuration of cfg for cal's
// trials.
func (c *Calibration) trainConfig(cfg TrainCalibrationConfig) TrainConfig {
	tc := TrainConfig{Method: cfg.Method, SampleRate: c.SampleRate, Freqs: c.Freqs, Channels: c.Channels,
		TRCA: TRCAConfig{FilterBank: FilterBankConfig{SubBands: cfg.SubBands}}, Riemann: cfg.Riemann}
	tc.FBCCA.Harmonics = cfg.Harmonics
	if cfg.Method == MethodFBCCA {
		tc.FBCCA.FilterBank.SubBands = cfg.SubBands
	}
	return tc
}

// targetTrials returns the trials whose label is a target.
func targetTrials(trials [][][]float64, labels []int) ([][][]float64, []int) {
	var x [][][]float64
	var y []int
	for i, l := range labels {
		if l != Rest {
			x, y = append(x, trials[i]), append(y, l)
		}
	}
	return x, y
}

// trainDetector trains cfg's method on cal's target trials and a rest
// detector on its out-of-fold scores (TrainWithRest), and logs the folds.
func trainDetector(cal *Calibration, cfg TrainCalibrationConfig) (*RestDetector, error) {
	folds := cal.Folds()
	d, err := TrainWithRest(cal.trainConfig(cfg), cfg.Rest, cal.Trials, cal.Labels, folds)
	if err != nil {
		return nil, err
	}
	if tf, ok := d.base.(*TrainingFree); ok {
		tf.trials, tf.rest = cal.Counts()
	}
	fmt.Fprintf(cfg.Log, "rest detector on %s's scores out of %d folds (%s), rest at probability ≥ %.3g\n",
		cfg.Method, slices.Max(folds)+1, cal.foldKind(), d.Threshold())
	return d, nil
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
		if err := phaseLockNote(cal, cfg, correct, total); err != nil {
			return nil, err
		}
	}
	if nc := m.NoControl(); nc.Rule != NoControlNone {
		fmt.Fprintf(cfg.Log, "no-control rule %s, threshold %.6g\n", nc.Rule, nc.Threshold)
	}
	return m, nil
}

// phaseLockNote writes a note to cfg.Log when training-free fbcca (its
// defaults) decides cal's target trials better than TRCA's
// leave-one-trial-out estimate, correct of total, by more than one
// standard error. TRCA learns a template of the response's phase after
// the onset; where the stimulation is not phase-locked to the events it
// stays near chance (the exoskeleton set) or well below fbcca (the Muse
// set), and etrca is train's default method: without the note such a
// model looks trained and decides worse than a decoder that needs no
// training.
func phaseLockNote(cal *Calibration, cfg TrainCalibrationConfig, correct, total int) error {
	fc := cfg
	fc.Method, fc.SubBands, fc.Harmonics = MethodFBCCA, 0, 0
	fb, err := TrainDecoder(cal.trainConfig(fc), cal.Trials, cal.Labels)
	if err != nil {
		return err
	}
	_, fbCorrect, fbTotal, err := scoreTrials(fb, cal)
	if err != nil {
		return err
	}
	if total == 0 || fbTotal == 0 {
		return nil
	}
	acc, fbAcc := float64(correct)/float64(total), float64(fbCorrect)/float64(fbTotal)
	if oneStandardError([]float64{acc, fbAcc}, min(total, fbTotal)) == 0 {
		return nil
	}
	fmt.Fprintf(cfg.Log, "note: training-free fbcca decides these target trials better: %d/%d = %.1f%% against %s's %.1f%%; "+
		"TRCA needs stimulation phase-locked to the events, which these trials seem to lack: try method fbcca or auto\n",
		fbCorrect, fbTotal, 100*fbAcc, cfg.Method, 100*acc)
	return nil
}

// scoreTrials scores every trial of cal with d and counts the target
// trials (total) whose top score is their label (correct).
func scoreTrials(d Decoder, cal *Calibration) (scores [][]float64, correct, total int, err error) {
	scores = make([][]float64, len(cal.Trials))
	for i, x := range cal.Trials {
		if scores[i], err = d.Scores(nil, x); err != nil {
			return nil, 0, 0, fmt.Errorf("ssvep: trial %d: %w", i, err)
		}
		if l := cal.Labels[i]; l != Rest {
			total++
			if Argmax(scores[i]) == l {
				correct++
			}
		}
	}
	return scores, correct, total, nil
}

// calibrateCanonical builds the cca/fbcca decoder for cal's trials,
// scores every trial, logs the accuracy over the target trials, and
// calibrates rule on the scores.
func calibrateCanonical(cal *Calibration, cfg TrainCalibrationConfig, rule NoControlRule) (*TrainingFree, error) {
	dec, err := TrainDecoder(cal.trainConfig(cfg), cal.Trials, cal.Labels)
	if err != nil {
		return nil, err
	}
	m := dec.(*TrainingFree)
	m.trials, m.rest = cal.Counts()
	scores, correct, total, err := scoreTrials(m, cal)
	if err != nil {
		return nil, err
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
