package ssvep

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/models/internal/recordings"
)

// ParseTargets parses "CODE=FREQ,...": each event code (an annotation
// description; the last "=" splits) and the stimulus frequency in Hz its
// trials flicker at. A code may not repeat; several codes may share a
// frequency.
func ParseTargets(spec string) (map[string]float64, error) {
	targets := map[string]float64{}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndex(item, "=")
		if i <= 0 {
			return nil, fmt.Errorf("ssvep: target %q: want CODE=FREQ", item)
		}
		code := item[:i]
		f, err := strconv.ParseFloat(strings.TrimSpace(item[i+1:]), 64)
		if err != nil || !(f > 0) {
			return nil, fmt.Errorf("ssvep: target %q: frequency must be a positive number", item)
		}
		if _, dup := targets[code]; dup {
			return nil, fmt.Errorf("ssvep: target code %q given twice", code)
		}
		targets[code] = f
	}
	return targets, nil
}

// CalibrationConfig configures ReadCalibration: which trials are cut from
// the calibration recordings, and how.
type CalibrationConfig struct {
	// Targets maps the event code (annotation description) of each target
	// trial to its stimulus frequency in Hz; at least two distinct
	// frequencies. Required.
	Targets map[string]float64
	// Rest are the event codes of no-control (rest) trials, labelled Rest.
	// Default: none.
	Rest []string
	// Offset is the trial start after the event onset in s (the visual
	// latency). Default: 0.
	Offset float64
	// Length is the trial length in s: the decision window the model
	// scores. Required.
	Length float64
	// Channels are the channels to use, in this order. Default: every EEG
	// channel.
	Channels []string
	// Notch is the mains frequency in Hz notched (causal, Q 30, started
	// from steady state) before the trials are cut. Default: 0, none.
	Notch float64
	// Notes receives a line for each recording skipped, or trial that runs
	// past its recording's end. Default: nil, discarded.
	Notes io.Writer
}

// Calibration is every trial cut from a set of calibration recordings.
type Calibration struct {
	// Freqs are the distinct target frequencies, ascending: a target label
	// k is Freqs[k].
	Freqs []float64
	// SampleRate and Channels are the recordings' rate and the picked
	// channels' labels.
	SampleRate float64
	Channels   []string
	// Length is the trial length in s.
	Length float64
	// Recordings counts the recordings that gave trials.
	Recordings int
	// Trials and Labels are the trials (channel × sample) and their
	// labels, a target index or Rest, in recording and event order.
	Trials [][][]float64
	Labels []int

	rest bool // rest codes were given
}

// codes returns the label of each event code and the ascending distinct
// target frequencies the labels index.
func (c CalibrationConfig) codes() (map[string]int, []float64, error) {
	var freqs []float64
	for _, f := range c.Targets {
		if !(f > 0) {
			return nil, nil, fmt.Errorf("ssvep: target frequency %v: want > 0", f)
		}
		if !slices.Contains(freqs, f) {
			freqs = append(freqs, f)
		}
	}
	if len(freqs) < 2 {
		return nil, nil, errors.New("ssvep: give at least two target frequencies (CODE=FREQ,...)")
	}
	slices.Sort(freqs)
	codes := map[string]int{}
	for code, f := range c.Targets {
		codes[code] = slices.Index(freqs, f)
	}
	for _, code := range c.Rest {
		if _, dup := codes[code]; dup {
			return nil, nil, fmt.Errorf("ssvep: rest code %q is also a target code", code)
		}
		codes[code] = Rest
	}
	return codes, freqs, nil
}

// ReadCalibration cuts a trial of cfg.Length s at every target or rest
// event's onset plus cfg.Offset s from each recording of paths (files, or
// folders searched recursively): events are annotations whose description
// is the code (FIF -eve.fif events, EDF+/GDF annotations, simulated
// "ssvep/<f>Hz" trials). Recordings without any of the events are
// skipped with a note; the others must share the sample rate and the
// picked channels.
func ReadCalibration(paths []string, cfg CalibrationConfig) (*Calibration, error) {
	if !(cfg.Length > 0) {
		return nil, fmt.Errorf("ssvep: trial length %v s: want > 0", cfg.Length)
	}
	codes, freqs, err := cfg.codes()
	if err != nil {
		return nil, err
	}
	if cfg.Notes == nil {
		cfg.Notes = io.Discard
	}
	files, err := recordings.Files(paths)
	if err != nil {
		return nil, err
	}
	c := &Calibration{Freqs: freqs, Length: cfg.Length, rest: len(cfg.Rest) > 0}
	for _, f := range files {
		if err := c.add(f, cfg, codes); err != nil {
			return nil, err
		}
	}
	if len(c.Trials) == 0 {
		return nil, errors.New("ssvep: no trials: none of the recordings holds the listed events")
	}
	return c, nil
}

// add reads the picked channels of path, notches them, and cuts its
// trials.
func (c *Calibration) add(path string, cfg CalibrationConfig, codes map[string]int) error {
	r, err := recordings.Open(path, "SSVEP calibration")
	if err != nil {
		return err
	}
	defer r.Close()
	info := r.Info()
	if !slices.ContainsFunc(info.Annotations, func(a formats.Annotation) bool { _, ok := codes[a.Description]; return ok }) {
		fmt.Fprintf(cfg.Notes, "note: %s: none of the listed events, skipped\n", path)
		return nil
	}
	idx, labels, err := recordings.PickChannels(info, cfg.Channels, path)
	if err != nil {
		return err
	}
	if c.Channels == nil {
		c.SampleRate, c.Channels = info.SampleRate, labels
	} else if info.SampleRate != c.SampleRate || !slices.Equal(labels, c.Channels) {
		return fmt.Errorf("%s: %v Hz, channels %s; earlier recordings: %v Hz, channels %s",
			path, info.SampleRate, strings.Join(labels, ","), c.SampleRate, strings.Join(c.Channels, ","))
	}
	all, err := formats.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	data := make([][]float64, len(idx))
	for i, k := range idx {
		data[i] = all[k]
	}
	if cfg.Notch > 0 {
		sos, err := dsp.Notch(cfg.Notch, 30, info.SampleRate)
		if err != nil {
			return fmt.Errorf("ssvep: notch: %w", err)
		}
		f, err := dsp.NewSOSFilter(sos, len(data), dsp.InitSteady)
		if err != nil {
			return err
		}
		f.FilterChannels(data, data)
	}
	trials, tl, skipped := EventTrials(data, info.SampleRate, info.Annotations, codes, cfg.Offset, cfg.Length)
	if skipped > 0 {
		fmt.Fprintf(cfg.Notes, "note: %s: %d trials run past the recording, skipped\n", path, skipped)
	}
	c.Trials = append(c.Trials, trials...)
	c.Labels = append(c.Labels, tl...)
	c.Recordings++
	return nil
}

// Counts returns the number of trials of each target and of rest.
func (c *Calibration) Counts() (perTarget []int, rest int) {
	perTarget = make([]int, len(c.Freqs))
	for _, l := range c.Labels {
		if l == Rest {
			rest++
		} else {
			perTarget[l]++
		}
	}
	return perTarget, rest
}

// String summarises c: recordings, trials per target (and rest, when rest
// codes were given), rate and channels.
func (c *Calibration) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d recordings, %d trials of %v s at %v Hz, %d channels (%s)",
		c.Recordings, len(c.Trials), c.Length, c.SampleRate, len(c.Channels), strings.Join(c.Channels, ","))
	counts, rest := c.Counts()
	for k, f := range c.Freqs {
		fmt.Fprintf(&b, "\n  %v Hz: %d trials", f, counts[k])
	}
	if c.rest {
		fmt.Fprintf(&b, "\n  rest: %d trials", rest)
	}
	return b.String()
}

// LeaveOneTrialOut estimates the accuracy of TRCA models trained with cfg
// on trials: one model per target trial, trained on the other target
// trials (rest trials and the no-control rule aside), and counts the
// held-out trials whose top score is their target.
func LeaveOneTrialOut(cfg TRCAConfig, trials [][][]float64, labels []int) (correct, total int, err error) {
	cfg.NoControl = NoControlNone
	var x [][][]float64
	var y []int
	for i, l := range labels {
		if l != Rest {
			x, y = append(x, trials[i]), append(y, l)
		}
	}
	tx := make([][][]float64, 0, max(len(x)-1, 0))
	ty := make([]int, 0, max(len(y)-1, 0))
	var scores []float64
	for i := range x {
		tx, ty = append(append(tx[:0], x[:i]...), x[i+1:]...), append(append(ty[:0], y[:i]...), y[i+1:]...)
		m, err := TrainTRCA(cfg, tx, ty)
		if err != nil {
			return 0, 0, fmt.Errorf("ssvep: leave-one-trial-out (trial %d held out): %w", i, err)
		}
		scores, err = m.Scores(scores, x[i])
		if err != nil {
			return 0, 0, err
		}
		if Argmax(scores) == y[i] {
			correct++
		}
		total++
	}
	return correct, total, nil
}

// TrainRecordingsConfig configures TrainRecordings.
type TrainRecordingsConfig struct {
	// Calibration says which trials are cut from the recordings.
	Calibration CalibrationConfig
	// TRCA configures the model. Its Freqs, SampleRate and Channels are
	// taken from the calibration, and its NoControl rule applies only with
	// rest trials (Calibration.Rest): then it must be top or margin.
	TRCA TRCAConfig
	// NoCV skips the leave-one-trial-out estimate. Default: false.
	NoCV bool
	// Log receives what training found as it goes: the calibration
	// summary, the estimate, the no-control threshold. Default: nil,
	// discarded.
	Log io.Writer
}

// TrainRecordings trains a TRCA model on the calibration trials of the
// recordings of paths (ReadCalibration), as `neurostream train ssvep`
// does: it writes the calibration's summary to cfg.Log, trains on every
// trial, and writes the leave-one-trial-out accuracy over the target
// trials (unless cfg.NoCV) and the calibrated no-control threshold.
func TrainRecordings(paths []string, cfg TrainRecordingsConfig) (*TRCA, error) {
	tc := cfg.TRCA
	if len(cfg.Calibration.Rest) == 0 {
		tc.NoControl = NoControlNone
	} else if tc.NoControl == NoControlNone || !tc.NoControl.Valid() {
		return nil, fmt.Errorf("ssvep: no-control rule %q: want top or margin", tc.NoControl)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	cal, err := ReadCalibration(paths, cfg.Calibration)
	if err != nil {
		return nil, err
	}
	tc.Freqs, tc.SampleRate, tc.Channels = cal.Freqs, cal.SampleRate, cal.Channels
	fmt.Fprintln(cfg.Log, cal)
	m, err := TrainTRCA(tc, cal.Trials, cal.Labels)
	if err != nil {
		return nil, err
	}
	if !cfg.NoCV {
		correct, total, err := LeaveOneTrialOut(tc, cal.Trials, cal.Labels)
		if err != nil {
			return nil, fmt.Errorf("%w (skip the estimate to train without it)", err)
		}
		method := map[bool]string{false: "trca", true: "etrca"}[tc.Ensemble]
		fmt.Fprintf(cfg.Log, "leave-one-trial-out accuracy (%s, targets only): %d/%d = %.1f%% (chance %.1f%%)\n",
			method, correct, total, 100*float64(correct)/float64(total), 100/float64(len(tc.Freqs)))
	}
	if nc := m.NoControl(); nc.Rule != NoControlNone {
		fmt.Fprintf(cfg.Log, "no-control rule %s, threshold %.6g\n", nc.Rule, nc.Threshold)
	}
	return m, nil
}
