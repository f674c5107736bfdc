package ssvep

import (
	"fmt"
	"io"
	"slices"
)

// TDCADelays and TDCAComponents are the candidates SelectTDCA compares:
// 0, 2 or 4 delayed copies (up to 16 ms at 256 Hz: the paper's delays are
// a few samples) and 1, 2, 4 or 8 components (the paper's 8 on 40
// targets; 4 classes need fewer), in order of preference, the fewer
// first.
var (
	TDCADelays     = []int{0, 2, 4}
	TDCAComponents = []int{1, 2, 4, 8}
)

// TDCASelection records what SelectTDCA chose and how well the choice did
// in the calibration's cross-validation; the model file keeps it.
type TDCASelection struct {
	// OffsetSeconds is the decision window's start after a trial's onset
	// in s.
	OffsetSeconds float64 `json:"offset_seconds"`
	// Delays and Components are the chosen TDCAConfig values.
	Delays     int `json:"delays"`
	Components int `json:"components"`
	// Rule is the rest decision (tdcaRules): a threshold rule, class
	// (rest's template), or none without rest trials.
	Rule NoControlRule `json:"rule"`
	WindowCV
}

// tdcaRules are the rest decisions SelectTDCA compares when the
// calibration has rest trials, in order of preference: a margin or a top
// threshold on the target scores (NoControl, calibrated on out-of-fold
// scores), or rest's own template as a class (which, a rest trial having
// no phase-locked response, has little to correlate with).
var tdcaRules = []NoControlRule{NoControlMargin, NoControlTop, NoControlClass}

// tdcaCandidate is one delays × components × rest rule candidate at one
// offset.
type tdcaCandidate struct {
	delays, comps int
	rule          NoControlRule // NoControlNone without rest trials
	acc           float64
	oof           [][]float64 // every window's out-of-fold target scores
}

// tdcaWindows are a calibration's windows at one offset, filtered and
// centred once for every candidate.
type tdcaWindows struct {
	cfg      TDCAConfig // resolved but for Delays and Components
	fb       *FilterBank
	sub      [][][][]float64 // [window][band][channel][sample]
	labels   []int
	folds    []int
	decision []bool // the trial's first window: the one decided
	classes  []int
	basis    [][]float64
}

func newTDCAWindows(cfg TDCAConfig, trials [][][]float64, labels, folds []int, decision []bool) (*tdcaWindows, error) {
	if len(trials) == 0 || len(trials[0]) == 0 || len(labels) != len(trials) || len(folds) != len(trials) {
		return nil, fmt.Errorf("ssvep: tdca: %d windows, %d labels, %d folds", len(trials), len(labels), len(folds))
	}
	samples := len(trials[0][0])
	cfg.Delays, cfg.Components = 0, 1
	cfg, fb, err := tdcaFilterBank(cfg, trials, "windows")
	if err != nil {
		return nil, err
	}
	w := &tdcaWindows{cfg: cfg, fb: fb, labels: labels, folds: folds, decision: decision}
	if w.classes, err = tdcaClasses(labels, len(cfg.Freqs)); err != nil {
		return nil, err
	}
	w.basis = tdcaBases(cfg, w.classes, samples)
	if w.sub, err = centredSubBands(fb, trials); err != nil {
		return nil, err
	}
	return w, nil
}

// crossValidate returns every candidate of TDCADelays × TDCAComponents
// (components ≤ the augmented rows), in order of preference, with its
// out-of-fold accuracy over the decision windows and every window's
// out-of-fold target scores: per fold, models trained on the other
// folds' windows score the fold's.
func (w *tdcaWindows) crossValidate() ([]tdcaCandidate, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(w.folds)))
	if len(ids) < 2 {
		return nil, fmt.Errorf("ssvep: tdca: cross-validation needs ≥ 2 folds, got %d", len(ids))
	}
	channels, samples := len(w.sub[0][0]), len(w.sub[0][0][0])
	var out []tdcaCandidate
	for _, delays := range TDCADelays {
		if delays >= samples {
			continue
		}
		var comps []int
		for _, c := range TDCAComponents {
			if c <= channels*(delays+1) {
				comps = append(comps, c)
			}
		}
		st := newTDCAStats(w.sub, w.labels, w.folds, w.classes, w.basis, delays)
		first := len(out)
		for _, c := range comps {
			out = append(out, tdcaCandidate{delays: delays, comps: c, rule: NoControlClass, oof: make([][]float64, len(w.sub))})
		}
		correct := make([]int, len(comps))
		total := 0
		for _, f := range ids {
			m, err := st.fit(w.cfg, w.fb, f, comps[len(comps)-1])
			if err != nil {
				return nil, fmt.Errorf("ssvep: tdca: %d delays, fold %d held out: %w", delays, f, err)
			}
			cls := make([][]float64, len(comps))
			for i := range cls {
				cls[i] = make([]float64, len(m.classes))
			}
			for i, g := range w.folds {
				if g != f {
					continue
				}
				m.subBandClassScores(cls, comps, w.sub[i])
				for ci, s := range cls {
					t := make([]float64, len(w.cfg.Freqs))
					m.targetScores(t, s)
					out[first+ci].oof[i] = t
					if w.decision[i] && m.classes[Argmax(s)] == w.labels[i] {
						correct[ci]++
					}
				}
				if w.decision[i] {
					total++
				}
			}
		}
		for ci := range comps {
			out[first+ci].acc = float64(correct[ci]) / float64(max(total, 1))
		}
		if !slices.Contains(w.classes, Rest) {
			for ci := range comps {
				out[first+ci].rule = NoControlNone
			}
			continue
		}
		// Each threshold rule, fitted on the other folds' out-of-fold
		// decision-window scores, decides the held-out fold's.
		classRule := slices.Clone(out[first:])
		out = out[:first]
		for _, c := range classRule {
			for _, rule := range tdcaRules {
				r := c
				r.rule = rule
				if rule != NoControlClass {
					acc, err := w.ruleAccuracy(rule, c.oof, ids)
					if err != nil {
						return nil, err
					}
					r.acc = acc
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// ruleAccuracy returns the out-of-fold accuracy over the decision windows
// of rule, its threshold calibrated on the other folds' scores.
func (w *tdcaWindows) ruleAccuracy(rule NoControlRule, oof [][]float64, ids []int) (float64, error) {
	correct, total := 0, 0
	for _, f := range ids {
		var sc [][]float64
		var y []int
		for i, g := range w.folds {
			if g != f && w.decision[i] {
				sc, y = append(sc, oof[i]), append(y, w.labels[i])
			}
		}
		var nc NoControl // without rest trials to calibrate on: none
		if slices.Contains(y, Rest) {
			var err error
			if nc, err = CalibrateNoControl(rule, sc, y); err != nil {
				return 0, fmt.Errorf("ssvep: tdca: rule %s, fold %d held out: %w", rule, f, err)
			}
		}
		for i, g := range w.folds {
			if g == f && w.decision[i] {
				if nc.Decide(oof[i]) == w.labels[i] {
					correct++
				}
				total++
			}
		}
	}
	return float64(correct) / float64(max(total, 1)), nil
}

// calibrateRule sets m's rest rule to c's, its threshold calibrated on
// c's out-of-fold decision-window scores.
func (w *tdcaWindows) calibrateRule(m *TDCA, c tdcaCandidate) error {
	if c.rule == NoControlNone || c.rule == NoControlClass {
		return nil
	}
	var sc [][]float64
	var y []int
	for i, d := range w.decision {
		if d {
			sc, y = append(sc, c.oof[i]), append(y, w.labels[i])
		}
	}
	nc, err := CalibrateNoControl(c.rule, sc, y)
	if err != nil {
		return fmt.Errorf("ssvep: tdca: rule %s: %w", c.rule, err)
	}
	m.noControl = nc
	return nil
}

// train trains the candidate's model on every window.
func (w *tdcaWindows) train(c tdcaCandidate) (*TDCA, error) {
	st := newTDCAStats(w.sub, w.labels, make([]int, len(w.labels)), w.classes, w.basis, c.delays)
	m, err := st.fit(w.cfg, w.fb, -1, c.comps)
	if err != nil {
		return nil, fmt.Errorf("ssvep: tdca: %w", err)
	}
	return m, nil
}

// tdcaConfig returns the TDCA configuration of cfg for cal's trials.
func (c *Calibration) tdcaConfig(cfg TrainCalibrationConfig) TDCAConfig {
	return TDCAConfig{SampleRate: c.SampleRate, Freqs: c.Freqs, Channels: c.Channels, Harmonics: cfg.Harmonics,
		FilterBank: FilterBankConfig{SubBands: cfg.SubBands}}
}

// decisionWindows marks the first window of each trial (Calibration.Windows'
// decision window).
func decisionWindows(trial []int) []bool {
	d := make([]bool, len(trial))
	for j := range trial {
		d[j] = j == 0 || trial[j] != trial[j-1]
	}
	return d
}

// SelectTDCA trains TDCA (rest, if cal has rest trials, as a class) on
// cal, choosing by cross-validation over cal.Folds the offset of its
// decision window among cal.Offsets (or cal.Offset), the number of
// delayed copies among TDCADelays and of components among
// TDCAComponents. As SelectStacked, every candidate trains on the
// augmented windows of each trial (Calibration.Windows, every
// cfg.AugmentStep s as far as cal.Span reaches), folds keep a trial's
// windows together (Calibration.WindowFolds), a candidate is scored on
// the held-out folds' decision windows only, and the choice is the first
// candidate in order of preference (the latest offset, the fewest delays,
// the fewest components) within one standard error of the best
// (oneStandardError). The winner is refitted on every window.
func SelectTDCA(cal *Calibration, cfg TrainCalibrationConfig) (*TDCA, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	step, offsets := cfg.augmentStep(), cal.latestOffsetsFirst()
	type cand struct {
		tdcaCandidate
		offset float64
		n      int
	}
	var cands []cand
	var accs []float64
	nfolds := 0
	for _, o := range offsets {
		win, trial, err := cal.Windows(o, step)
		if err != nil {
			return nil, err
		}
		folds := cal.WindowFolds(trial)
		nfolds = slices.Max(folds) + 1
		w, err := newTDCAWindows(cal.tdcaConfig(cfg), win.Trials, win.Labels, folds, decisionWindows(trial))
		if err != nil {
			return nil, err
		}
		cv, err := w.crossValidate()
		if err != nil {
			return nil, err
		}
		best := 0
		for i, c := range cv {
			cands, accs = append(cands, cand{c, o, len(trial)}), append(accs, c.acc)
			if c.acc > cv[best].acc {
				best = i
			}
		}
		fmt.Fprintf(cfg.Log, "offset %.3g s, %d training windows, tdca out-of-fold accuracy (%d folds): best %.3f (%d delays, %d components, rest rule %s)\n",
			o, len(trial), nfolds, cv[best].acc, cv[best].delays, cv[best].comps, cv[best].rule)
	}
	k := oneStandardError(accs, len(cal.Trials))
	win := cands[k]
	// The winner's windows again, rather than every offset's kept.
	ws, trial, err := cal.Windows(win.offset, step)
	if err != nil {
		return nil, err
	}
	w, err := newTDCAWindows(cal.tdcaConfig(cfg), ws.Trials, ws.Labels, cal.WindowFolds(trial), decisionWindows(trial))
	if err != nil {
		return nil, err
	}
	m, err := w.train(win.tdcaCandidate)
	if err != nil {
		return nil, err
	}
	if err := w.calibrateRule(m, win.tdcaCandidate); err != nil {
		return nil, err
	}
	m.sel = &TDCASelection{OffsetSeconds: win.offset, Delays: win.delays, Components: win.comps, Rule: win.rule,
		WindowCV: cal.windowCV(step, win.n, nfolds, win.acc, len(cands))}
	fmt.Fprintf(cfg.Log, "chosen by cross-validation: offset %.3g s, %d delays, %d components, rest rule %s, out-of-fold accuracy %.3f (%d candidates)\n",
		win.offset, win.delays, win.comps, win.rule, win.acc, len(cands))
	return m, nil
}
