package ssvep

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// Calibration is every trial cut from a set of calibration recordings.
// pipeline/train fills it from recordings streamed through the pipeline,
// so its trials are the windows the ssvep stage decodes in trial mode.
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
	// Offset is the trials' start after their event's onset in s (the
	// visual latency), Offsets[0] when candidate offsets are given.
	Offset float64
	// Offsets, when set, are candidate offsets in s, ascending, for
	// TrainCalibration to choose from: each trial then spans from
	// Offsets[0] to at least the last offset plus Length, and AtOffset
	// cuts the trials of one offset, round(Length·rate) samples, from it.
	// Default: nil, the trials are of Length s from Offset.
	Offsets []float64
	// Span, when set, is how long after its onset a trial's stimulation
	// lasts in s; the trials then reach at least that far (with Offsets
	// set, at least Offsets[0]), so that Windows can cut training
	// windows of Length starting later than the decision window.
	// Default: 0, the trials reach the last offset plus Length.
	Span float64
	// Recordings counts the recordings that gave trials.
	Recordings int
	// Trials and Labels are the trials (channel × sample) and their
	// labels, a target index or Rest, in recording and event order.
	Trials [][][]float64
	Labels []int
	// Sessions[i] is the index (from 0, in recording order) of the
	// recording trial i was cut from; nil counts every trial as one
	// recording's.
	Sessions []int

	rest bool // rest codes were given
}

// NewCalibration returns an empty calibration of trials of length s for
// targets, which maps the event code (annotation description) of each
// target trial to its stimulus frequency in Hz (at least two distinct
// frequencies), and the event codes of rest (no-control) trials. labels
// gives each code's label: its target's index into Freqs (the distinct
// frequencies, ascending; codes sharing a frequency share a label) or
// Rest.
func NewCalibration(targets map[string]float64, rest []string, length float64) (c *Calibration, labels map[string]int, err error) {
	if !(length > 0) {
		return nil, nil, fmt.Errorf("ssvep: trial length %v s: want > 0", length)
	}
	var freqs []float64
	for _, f := range targets {
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
	labels = map[string]int{}
	for code, f := range targets {
		labels[code] = slices.Index(freqs, f)
	}
	for _, code := range rest {
		if _, dup := labels[code]; dup {
			return nil, nil, fmt.Errorf("ssvep: rest code %q is also a target code", code)
		}
		labels[code] = Rest
	}
	return &Calibration{Freqs: freqs, Length: length, rest: len(rest) > 0}, labels, nil
}

// samples returns the length in samples of the trials at one offset:
// round(Length·rate) as the pipeline's windows, or the stored trials'.
func (c *Calibration) samples() int {
	if len(c.Offsets) > 0 {
		return int(math.Round(c.Length * c.SampleRate))
	}
	if len(c.Trials) == 0 || len(c.Trials[0]) == 0 {
		return 0
	}
	return len(c.Trials[0][0])
}

// offsetSamples is an offset in samples as the pipeline's event windows
// round it: a window starts round(onset·rate) + round(offset·rate).
func offsetSamples(offset, rate float64) int { return int(math.Round(offset * rate)) }

// AtOffset returns the calibration of the trials that start o s after
// their onsets (one of Offsets): views of c's trials, sharing their
// samples. Without Offsets, o must be Offset and c itself is returned.
func (c *Calibration) AtOffset(o float64) (*Calibration, error) {
	if len(c.Offsets) == 0 {
		if o != c.Offset {
			return nil, fmt.Errorf("ssvep: trials at offset %v s: the calibration's are at %v s", o, c.Offset)
		}
		return c, nil
	}
	if !slices.Contains(c.Offsets, o) {
		return nil, fmt.Errorf("ssvep: offset %v s is not a candidate (%v)", o, c.Offsets)
	}
	v := *c
	v.Offset, v.Offsets, v.Span = o, nil, 0
	from, n := offsetSamples(o, c.SampleRate)-offsetSamples(c.Offsets[0], c.SampleRate), c.samples()
	v.Trials = make([][][]float64, len(c.Trials))
	for i, x := range c.Trials {
		if len(x) == 0 || from+n > len(x[0]) {
			return nil, fmt.Errorf("ssvep: trial %d is too short for offset %v s", i, o)
		}
		v.Trials[i] = make([][]float64, len(x))
		for ch, row := range x {
			v.Trials[i][ch] = row[from : from+n : from+n]
		}
	}
	return &v, nil
}

// subset returns the calibration of the trials keep admits, in order,
// sharing their samples.
func (c *Calibration) subset(keep func(i int) bool) *Calibration {
	v := *c
	v.Trials, v.Labels, v.Sessions = nil, nil, nil
	for i, x := range c.Trials {
		if !keep(i) {
			continue
		}
		v.Trials, v.Labels = append(v.Trials, x), append(v.Labels, c.Labels[i])
		if c.Sessions != nil {
			v.Sessions = append(v.Sessions, c.Sessions[i])
		}
	}
	return &v
}

// Windows returns the training windows of the trials from offset o (one
// of Offsets) on: for every trial, the windows of Length s that start o,
// o + step, o + 2·step, … s after its onset, as far as the trial reaches
// (views of c's trials, sharing their samples), with the trial's label
// and session; trial[j] is the index of the trial window j was cut from,
// and its first window is the decision window (AtOffset's). Training on
// every window of a trial (augmentation) gives a learned decoder several
// looks at each stimulation where a calibration has a few trials per
// class; cross-validation must keep a trial's windows in one fold
// (WindowFolds). step ≤ 0 gives the decision windows only.
func (c *Calibration) Windows(o, step float64) (w *Calibration, trial []int, err error) {
	at, err := c.AtOffset(o)
	if err != nil {
		return nil, nil, err
	}
	if len(c.Offsets) == 0 || !(step > 0) {
		trial = make([]int, len(at.Trials))
		for i := range trial {
			trial[i] = i
		}
		return at, trial, nil
	}
	v := *at
	v.Trials, v.Labels, v.Sessions = nil, nil, nil
	from, n, hop := offsetSamples(o, c.SampleRate)-offsetSamples(c.Offsets[0], c.SampleRate), c.samples(), offsetSamples(step, c.SampleRate)
	for i, x := range c.Trials {
		end := len(x[0])
		if c.Span > 0 {
			end = min(end, offsetSamples(c.Span, c.SampleRate)-offsetSamples(c.Offsets[0], c.SampleRate))
		}
		for s := from; s == from || s+n <= end; s += max(hop, 1) {
			win := make([][]float64, len(x))
			for ch, row := range x {
				win[ch] = row[s : s+n : s+n]
			}
			v.Trials, v.Labels, trial = append(v.Trials, win), append(v.Labels, c.Labels[i]), append(trial, i)
			if c.Sessions != nil {
				v.Sessions = append(v.Sessions, c.Sessions[i])
			}
		}
	}
	return &v, trial, nil
}

// WindowFolds returns the cross-validation fold of every window of
// Windows: its trial's (Folds), so that no trial has windows on both
// sides of a fold.
func (c *Calibration) WindowFolds(trial []int) []int {
	folds := c.Folds()
	out := make([]int, len(trial))
	for j, i := range trial {
		out[j] = folds[i]
	}
	return out
}

// blocksPerSession is the number of folds of a one-recording calibration:
// contiguous blocks of each class's trials in event order.
const blocksPerSession = 4

// Folds returns each trial's cross-validation fold: its recording, when
// the trials come from two recordings or more (leave-one-session-out),
// else one of blocksPerSession blocks, each holding a contiguous run of
// every class's trials in event order: the first quarter of the rest
// trials, of the 13 Hz trials, and so on. Never a shuffle: neighbouring
// trials share the session's state, which a shuffled fold would leak.
// Per class, because calibration protocols often run a class in one
// block (the exoskeleton set opens every session with its 8 rest trials):
// a block of the whole session would then hold out all of a class, and a
// rest model fitted on the other blocks would never see rest. Folds are
// numbered from 0.
func (c *Calibration) Folds() []int {
	folds := make([]int, len(c.Trials))
	ids := slices.Clone(c.Sessions)
	slices.Sort(ids)
	if ids = slices.Compact(ids); len(c.Sessions) == len(c.Trials) && len(ids) >= 2 {
		for i, s := range c.Sessions {
			folds[i] = slices.Index(ids, s)
		}
		return folds
	}
	total := make(map[int]int)
	for _, l := range c.Labels {
		total[l]++
	}
	seen := make(map[int]int)
	k := min(blocksPerSession, len(c.Trials))
	for i, l := range c.Labels {
		folds[i] = seen[l] * k / total[l]
		seen[l]++
	}
	return folds
}

// foldKind says what Folds' folds are.
func (c *Calibration) foldKind() string {
	ids := slices.Clone(c.Sessions)
	slices.Sort(ids)
	if len(c.Sessions) == len(c.Trials) && len(slices.Compact(ids)) >= 2 {
		return "one per recording"
	}
	return "contiguous blocks of each class's trials in one recording"
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
