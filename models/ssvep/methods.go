package ssvep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/neurostream/neurostream/models/modelfile"
)

// Decoder is a trained SSVEP decoder as training, evaluation and a stage
// use it, whatever its method: CCA and FBCCA (TrainingFree), TRCA and
// ensemble TRCA, the Riemannian decoders (Riemann) and a decoder with a
// rest detector (RestDetector).
// TrainDecoder trains one by method name, LoadDecoder reads any of their
// model files.
type Decoder interface {
	// Method is the method name ("cca", "fbcca", "trca", "etrca", "mdm",
	// "ts-lr", "tdca", …).
	Method() string
	// Freqs are the targets' frequencies in Hz; score k is Freqs[k]'s.
	Freqs() []float64
	// SampleRate is the windows' sample rate in Hz.
	SampleRate() float64
	// Channels is the number of channels per window.
	Channels() int
	// Scores writes one score per target into dst (length len(Freqs);
	// nil allocates) and returns it; higher is a better match.
	Scores(dst []float64, x [][]float64) ([]float64, error)
	// Decide returns the decision for the window: a target index, or Rest
	// when the decoder detects the no-control state.
	Decide(x [][]float64) (int, error)
	// Save writes the versioned model file.
	Save(w io.Writer) error
}

// TrainConfig configures TrainDecoder: the targets and the trials' shape
// shared by every method, and each method family's own options.
type TrainConfig struct {
	// Method is a name of TrainedMethods. Required.
	Method string
	// SampleRate is the trials' sample rate in Hz. Required.
	SampleRate float64
	// Freqs are the targets' frequencies in Hz; label k is Freqs[k].
	// Required.
	Freqs []float64
	// Channels optionally names the trials' channels.
	Channels []string
	// FBCCA holds the cca/fbcca options (Harmonics; FilterBank for
	// fbcca); its Freqs, SampleRate, Channels and Samples are set from the
	// above and the trials.
	FBCCA FBCCAConfig
	// TRCA holds the trca/etrca options (FilterBank, NoControl); its
	// SampleRate, Freqs, Channels and Ensemble are set from the above.
	TRCA TRCAConfig
	// Riemann holds the mdm/ts-lr options; its Method, SampleRate, Freqs
	// and Channels are set from the above.
	Riemann RiemannConfig
	// TDCA holds the tdca options (Delays, Components, Harmonics,
	// FilterBank); its SampleRate, Freqs and Channels are set from the
	// above.
	TDCA TDCAConfig
}

type trainFunc func(cfg TrainConfig, trials [][][]float64, labels []int) (Decoder, error)

// trainers is the method registry.
var trainers = map[string]trainFunc{
	"cca":      trainTrainingFree("cca"),
	"fbcca":    trainTrainingFree("fbcca"),
	"trca":     trcaTrainer(false),
	"etrca":    trcaTrainer(true),
	MethodMDM:  trainRiemann,
	MethodTSLR: trainRiemann,
	MethodTDCA: trainTDCA,
}

// TrainedMethods returns the names of the methods TrainDecoder trains,
// sorted.
func TrainedMethods() []string { return slices.Sorted(maps.Keys(trainers)) }

// TrainDecoder trains cfg.Method on trials[i][channel][sample] labelled by
// target index or Rest (see each method for what it does with rest
// trials: TRCA calibrates its NoControl rule on them, mdm, ts-lr and
// tdca learn rest as a class; cca and fbcca only take the window shape). An error reports an unknown method or the method's
// training error.
func TrainDecoder(cfg TrainConfig, trials [][][]float64, labels []int) (Decoder, error) {
	train, ok := trainers[cfg.Method]
	if !ok {
		return nil, fmt.Errorf("ssvep: method %q: want one of %v", cfg.Method, TrainedMethods())
	}
	return train(cfg, trials, labels)
}

func trcaTrainer(ensemble bool) trainFunc {
	return func(cfg TrainConfig, trials [][][]float64, labels []int) (Decoder, error) {
		tc := cfg.TRCA
		tc.SampleRate, tc.Freqs, tc.Channels, tc.Ensemble = cfg.SampleRate, cfg.Freqs, cfg.Channels, ensemble
		m, err := TrainTRCA(tc, trials, labels)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

func trainTDCA(cfg TrainConfig, trials [][][]float64, labels []int) (Decoder, error) {
	tc := cfg.TDCA
	tc.SampleRate, tc.Freqs, tc.Channels = cfg.SampleRate, cfg.Freqs, cfg.Channels
	return TrainTDCA(tc, trials, labels)
}

func trainRiemann(cfg TrainConfig, trials [][][]float64, labels []int) (Decoder, error) {
	rc := cfg.Riemann
	rc.Method, rc.SampleRate, rc.Freqs, rc.Channels = cfg.Method, cfg.SampleRate, cfg.Freqs, cfg.Channels
	return TrainRiemann(rc, trials, labels)
}

// Method returns "trca", or "etrca" for an ensemble TRCA.
func (m *TRCA) Method() string {
	if m.cfg.Ensemble {
		return MethodETRCA
	}
	return MethodTRCA
}

// Freqs returns the targets' frequencies in Hz.
func (m *TRCA) Freqs() []float64 { return slices.Clone(m.cfg.Freqs) }

// SampleRate returns the windows' sample rate in Hz.
func (m *TRCA) SampleRate() float64 { return m.cfg.SampleRate }

// ChannelNames returns the labels of the channels decoded, or nil.
func (m *TRCA) ChannelNames() []string { return slices.Clone(m.cfg.Channels) }

// Decide returns the top-scoring target, or Rest when the calibrated
// no-control rule refuses it.
func (m *TRCA) Decide(x [][]float64) (int, error) {
	s, err := m.Scores(nil, x)
	if err != nil {
		return Rest, err
	}
	return m.noControl.Decide(s), nil
}

// SampleRate returns the windows' sample rate in Hz.
func (d *Riemann) SampleRate() float64 { return d.cfg.SampleRate }

// ChannelNames returns the labels of the channels decoded, or nil.
func (d *Riemann) ChannelNames() []string { return slices.Clone(d.cfg.Channels) }

// LoadDecoder reads any SSVEP model file this build writes — TRCA
// (ModelFormat), Riemannian (RiemannModelFormat), training-free
// (TrainingFreeModelFormat), with a rest detector (RestModelFormat), TDCA
// (TDCAModelFormat), stacked (StackModelFormat) —
// choosing the reader by the file's format. An error
// names an unknown format or the reader's error.
func LoadDecoder(r io.Reader) (Decoder, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ssvep: load model: %w", err)
	}
	var h modelfile.Header
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("ssvep: load model: %w", err)
	}
	switch h.Format {
	case ModelFormat:
		return LoadTRCA(bytes.NewReader(b))
	case RiemannModelFormat:
		return LoadRiemann(bytes.NewReader(b))
	case RestModelFormat:
		return LoadRest(bytes.NewReader(b))
	case TrainingFreeModelFormat:
		return LoadTrainingFree(bytes.NewReader(b))
	case StackModelFormat:
		return LoadStacked(bytes.NewReader(b))
	case TDCAModelFormat:
		return LoadTDCA(bytes.NewReader(b))
	}
	return nil, fmt.Errorf("ssvep: load model: format %q: want %s, %s, %s, %s, %s or %s", h.Format, ModelFormat, RiemannModelFormat, TrainingFreeModelFormat, RestModelFormat, StackModelFormat, TDCAModelFormat)
}

// CrossValidatedScores returns every trial's target scores from a decoder
// of cfg trained on the trials of the other folds: folds[i] names trial
// i's fold (e.g. its session or recording). Out-of-fold scores are what a
// second-stage model (RestDetector) must be calibrated on: a trained
// decoder scores its own training trials too well. With trainTargetsOnly,
// rest trials are left out of every training set (they are still
// scored). An error reports fewer than two folds or a failed training.
func CrossValidatedScores(cfg TrainConfig, trials [][][]float64, labels, folds []int, trainTargetsOnly bool) ([][]float64, error) {
	if len(folds) != len(trials) || len(labels) != len(trials) {
		return nil, fmt.Errorf("ssvep: cross-validation: %d trials, %d labels, %d folds", len(trials), len(labels), len(folds))
	}
	ids := slices.Clone(folds)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) < 2 {
		return nil, fmt.Errorf("ssvep: cross-validation needs ≥ 2 folds, got %d", len(ids))
	}
	out := make([][]float64, len(trials))
	for _, f := range ids {
		var tx [][][]float64
		var ty []int
		for i, g := range folds {
			if g != f && (!trainTargetsOnly || labels[i] != Rest) {
				tx, ty = append(tx, trials[i]), append(ty, labels[i])
			}
		}
		d, err := TrainDecoder(cfg, tx, ty)
		if err != nil {
			return nil, fmt.Errorf("ssvep: cross-validation, fold %d held out: %w", f, err)
		}
		for i, g := range folds {
			if g == f {
				if out[i], err = d.Scores(nil, trials[i]); err != nil {
					return nil, fmt.Errorf("ssvep: cross-validation, trial %d: %w", i, err)
				}
			}
		}
	}
	return out, nil
}

// ScoreDecide returns the window's target scores (written into dst, as
// Decoder.Scores) and d's decision (as Decoder.Decide), computing what the
// two share once for the decoders of this package: what the ssvep stage
// writes for every window. An error is Scores' or Decide's.
func ScoreDecide(d Decoder, dst []float64, x [][]float64) ([]float64, int, error) {
	if sd, ok := d.(interface {
		scoreDecide(dst []float64, x [][]float64) ([]float64, int, error)
	}); ok {
		return sd.scoreDecide(dst, x)
	}
	dst, err := d.Scores(dst, x)
	if err != nil {
		return dst, Rest, err
	}
	l, err := d.Decide(x)
	return dst, l, err
}

func (d *TrainingFree) scoreDecide(dst []float64, x [][]float64) ([]float64, int, error) {
	dst, err := d.d.Scores(dst, x)
	if err != nil {
		return dst, Rest, err
	}
	return dst, d.nc.Decide(dst), nil
}

func (m *TRCA) scoreDecide(dst []float64, x [][]float64) ([]float64, int, error) {
	dst, err := m.Scores(dst, x)
	if err != nil {
		return dst, Rest, err
	}
	return dst, m.noControl.Decide(dst), nil
}

func (d *Riemann) scoreDecide(dst []float64, x [][]float64) ([]float64, int, error) {
	c, err := d.Covariance(d.cov, x)
	if err != nil {
		return useVector(dst, len(d.cfg.Freqs)), Rest, err
	}
	if dst, err = d.ScoresCovariance(dst, c); err != nil {
		return dst, Rest, err
	}
	return dst, d.classes[Argmax(d.cls)], nil
}

func (d *RestDetector) scoreDecide(dst []float64, x [][]float64) ([]float64, int, error) {
	dst, err := d.base.Scores(dst, x)
	if err != nil {
		return dst, Rest, err
	}
	p, err := d.RestProbability(dst, x)
	if err != nil {
		return dst, Rest, err
	}
	if p >= d.cfg.Threshold {
		return dst, Rest, nil
	}
	return dst, Argmax(dst), nil
}
