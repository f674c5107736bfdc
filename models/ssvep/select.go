package ssvep

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// NoControlAuto, as TrainCalibrationConfig.NoControl, has the
// calibration choose by cross-validation: for cca and fbcca the latency
// offset (among Calibration.Offsets), the number of harmonics, the filter
// bank and the decision rule (SelectTrainingFree); for the other methods
// it stands for their usual rule (trca, etrca: margin; mdm, ts-lr:
// detector).
const NoControlAuto NoControlRule = "auto"

// FilterBankChoice is a named filter bank SelectTrainingFree may choose.
type FilterBankChoice struct {
	Name   string
	Config FilterBankConfig
}

// StandardFilterBanks returns the FBCCA filter banks SelectTrainingFree
// chooses from for targets freqs at sampleRate Hz: Chen et al.'s (2015)
// M3 bank with 3 and with 5 sub-bands ("chen-3", "chen-5": sub-band k
// passes [8k − 2, 90] Hz) and a bank of the targets' harmonics
// ("harmonic-3", Chen's M2 idea: sub-band k passes [k·f_min − 2, 90] Hz,
// f_min the lowest target, lower stop edge 4 Hz below), all with the
// FBCCA weights k^−1.25 + 0.25. Sub-bands that would start above the
// upper edge are left out (a bank with none is not returned).
func StandardFilterBanks(freqs []float64, sampleRate float64) []FilterBankChoice {
	out := []FilterBankChoice{{"chen-5", FilterBankConfig{SubBands: 5}}, {"chen-3", FilterBankConfig{SubBands: 3}}}
	chen, err := ChenSubBands(1, sampleRate)
	if err != nil || len(freqs) == 0 {
		return out
	}
	var bands []SubBand
	for k := 1; k <= 3; k++ {
		b := chen[0]
		b.PassLow = float64(k)*slices.Min(freqs) - 2
		b.StopLow = b.PassLow - 4
		if b.StopLow <= 0 || b.PassLow >= b.PassHigh {
			continue
		}
		bands = append(bands, b)
	}
	if len(bands) > 0 {
		out = append(out, FilterBankChoice{fmt.Sprintf("harmonic-%d", len(bands)), FilterBankConfig{Bands: bands}})
	}
	return out
}

// Selection records what SelectTrainingFree chose, and how well the
// choice did in the calibration's cross-validation; the model file keeps
// it ("selection").
type Selection struct {
	// OffsetSeconds is the trials' start after their onset in s: the
	// ssvep stage decodes the window from there (see Offset).
	OffsetSeconds float64 `json:"offset_seconds"`
	// Harmonics and FilterBank (a StandardFilterBanks name; "" for cca)
	// are the decoder's.
	Harmonics  int    `json:"harmonics"`
	FilterBank string `json:"filter_bank,omitempty"`
	// Rule is the decision rule: top, margin, detector, or none (no rest
	// trials).
	Rule NoControlRule `json:"rule,omitempty"`
	// RestThreshold is the rest detector's probability threshold, chosen
	// on the out-of-fold probabilities.
	RestThreshold float64 `json:"rest_threshold,omitempty"`
	// Folds and FoldKind describe the cross-validation (Calibration.Folds).
	Folds    int    `json:"folds"`
	FoldKind string `json:"fold_kind"`
	// Accuracy is the chosen candidate's out-of-fold accuracy over every
	// calibration trial, rest as a class (targets only without rest).
	Accuracy float64 `json:"cv_accuracy"`
	// Candidates counts the candidates compared.
	Candidates int `json:"candidates"`
}

// selectRules are the decision rules the selection compares, in order
// of preference.
var selectRules = []NoControlRule{NoControlDetector, NoControlMargin, NoControlTop}

// restThresholds are the rest detector's probability thresholds the
// selection compares.
var restThresholds = []float64{0.3, 0.4, 0.5, 0.6, 0.7}

// candidate is one decoder configuration at one offset, with its scores
// of every calibration trial.
type candidate struct {
	offset    float64
	harmonics int
	bank      int // index into banks; −1 for cca
	cal       *Calibration
	dec       *TrainingFree
	scores    [][]float64
	targetAcc float64
}

// oneStandardError returns the index of the first of the candidates,
// in order of preference, whose accuracy (over n trials) is within one
// standard error, √(p(1 − p)/n) at the best accuracy p, of the best
// (Breiman's one-standard-error rule): a small calibration cannot tell
// candidates apart that closely, and choosing the best of many by
// chance costs more than it gains (measured: docs/ssvep.md).
func oneStandardError(acc []float64, n int) int {
	best := slices.Max(acc)
	se := math.Sqrt(best * (1 - best) / float64(max(n, 1)))
	for i, a := range acc {
		if a >= best-se-1e-12 {
			return i
		}
	}
	return slices.Index(acc, best)
}

// SelectTrainingFree calibrates cca or fbcca (cfg.Method) choosing, by
// cross-validation over cal.Folds (leave-one-recording-out, or
// contiguous blocks of a single recording's trials), the latency offset
// among cal.Offsets, the number of harmonics (5, 4, 3, 2, or
// cfg.Harmonics), the filter bank (StandardFilterBanks, or Chen's with
// cfg.SubBands) and, with rest trials, the decision rule: a rest detector
// with its probability threshold, a margin or a top threshold.
//
// CCA and FBCCA learn nothing, so a configuration's scores of the
// calibration trials are unbiased: per offset, the harmonics and filter
// bank are chosen on the accuracy of the top score over the target
// trials. Each decision rule is then fitted on all folds but one and
// decides the held-out fold's trials (the thresholds, the detector and
// its probability threshold are fitted per subject inside the training
// folds); the offset and rule are chosen on the out-of-fold accuracy over
// every trial, rest as a class. Every choice takes the first candidate in
// order of preference (the latest offset; 5 harmonics; chen-5; detector,
// margin, top) whose accuracy is within one standard error of the best
// (oneStandardError): picking the best of many candidates on 32 trials
// chose by chance and lost accuracy on held-out sessions (docs/ssvep.md).
// The winner is refitted on every trial. The result's Selection says
// what was chosen.
func SelectTrainingFree(cal *Calibration, cfg TrainCalibrationConfig) (Decoder, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	offsets := cal.Offsets
	if len(offsets) == 0 {
		offsets = []float64{cal.Offset}
	}
	folds := cal.Folds()
	nfolds := slices.Max(folds) + 1
	// Offsets in order of preference: the latest first, which starts the
	// window after the gaze has settled on the target.
	offsets = slices.Clone(offsets)
	slices.Reverse(offsets)
	type choice struct {
		c         *candidate
		rule      NoControlRule
		threshold float64
	}
	var choices []choice
	var accs []float64
	count := 0
	for _, o := range offsets {
		c, n, err := bestConfiguration(cal, cfg, o)
		if err != nil {
			return nil, err
		}
		count += n
		fmt.Fprintf(cfg.Log, "offset %.3g s: %s, accuracy on the target trials %.3f\n", o, c.name(cfg), c.targetAcc)
		if !cal.rest {
			choices, accs = append(choices, choice{c, NoControlNone, 0}), append(accs, c.targetAcc)
			continue
		}
		var line []string
		for _, rule := range selectRules {
			acc, threshold, err := c.foldAccuracy(rule, cfg.Rest, folds, nfolds)
			if err != nil {
				return nil, err
			}
			count++
			line = append(line, fmt.Sprintf("%s %.3f", rule, acc))
			choices, accs = append(choices, choice{c, rule, threshold}), append(accs, acc)
		}
		fmt.Fprintf(cfg.Log, "offset %.3g s, out-of-fold accuracy (%d folds%s): %s\n", c.offset, nfolds, cal.restNote(), strings.Join(line, ", "))
	}
	n := len(cal.Trials)
	if !cal.rest {
		_, rest := cal.Counts()
		n -= rest
	}
	pick := choices[oneStandardError(accs, n)]
	win, winAcc, winRule, winThreshold := pick.c, accs[slices.IndexFunc(choices, func(c choice) bool { return c == pick })], pick.rule, pick.threshold
	sel := Selection{Folds: nfolds, FoldKind: cal.foldKind()}
	sel.OffsetSeconds, sel.Harmonics, sel.Rule, sel.Accuracy, sel.Candidates = win.offset, win.dec.cfg.Harmonics, winRule, winAcc, count
	if win.bank >= 0 {
		sel.FilterBank = filterBanks(cal, cfg)[win.bank].Name
	}
	win.dec.trials, win.dec.rest = cal.Counts()
	win.dec.sel = &sel
	var d Decoder = win.dec
	switch winRule {
	case NoControlMargin, NoControlTop:
		nc, err := CalibrateNoControl(winRule, win.scores, win.cal.Labels)
		if err != nil {
			return nil, err
		}
		if err := win.dec.SetNoControl(nc); err != nil {
			return nil, err
		}
	case NoControlDetector:
		rc := cfg.Rest
		rc.Threshold = winThreshold
		r, err := TrainRest(win.dec, rc, win.scores, win.cal.Trials, win.cal.Labels)
		if err != nil {
			return nil, err
		}
		sel.RestThreshold, d = winThreshold, r
	}
	fmt.Fprintf(cfg.Log, "chosen by cross-validation: offset %.3g s, %s, rule %s, out-of-fold accuracy %.3f (%d candidates)\n",
		sel.OffsetSeconds, win.name(cfg), ruleName(sel.Rule, sel.RestThreshold), sel.Accuracy, sel.Candidates)
	return d, nil
}

func ruleName(r NoControlRule, threshold float64) string {
	switch r {
	case NoControlNone:
		return "none"
	case NoControlDetector:
		return fmt.Sprintf("detector (rest at p ≥ %.2g)", threshold)
	}
	return string(r)
}

// name describes c's configuration.
func (c *candidate) name(cfg TrainCalibrationConfig) string {
	if c.bank < 0 {
		return fmt.Sprintf("cca, %d harmonics", c.dec.cfg.Harmonics)
	}
	return fmt.Sprintf("fbcca, %d harmonics, filter bank %s", c.dec.cfg.Harmonics, filterBanks(c.cal, cfg)[c.bank].Name)
}

// filterBanks returns the banks cfg lets the selection compare.
func filterBanks(cal *Calibration, cfg TrainCalibrationConfig) []FilterBankChoice {
	if cfg.SubBands > 0 {
		return []FilterBankChoice{{fmt.Sprintf("chen-%d", cfg.SubBands), FilterBankConfig{SubBands: cfg.SubBands}}}
	}
	return StandardFilterBanks(cal.Freqs, cal.SampleRate)
}

// bestConfiguration returns, at offset o, the harmonics and filter bank
// whose top score picks the target of the most target trials (the first
// on ties), and the number of configurations compared.
func bestConfiguration(cal *Calibration, cfg TrainCalibrationConfig, o float64) (*candidate, int, error) {
	view, err := cal.AtOffset(o)
	if err != nil {
		return nil, 0, err
	}
	harmonics := []int{5, 4, 3, 2} // in order of preference: Chen et al.'s 5 first
	if cfg.Harmonics > 0 {
		harmonics = []int{cfg.Harmonics}
	}
	banks := []int{-1}
	if cfg.Method == MethodFBCCA {
		banks = banks[:0]
		for b := range filterBanks(cal, cfg) {
			banks = append(banks, b)
		}
	}
	var cands []*candidate
	n := 0
	for _, b := range banks {
		for _, h := range harmonics {
			if float64(h)*slices.Max(cal.Freqs) >= cal.SampleRate/2 {
				continue // a harmonic at or above Nyquist
			}
			fc := FBCCAConfig{CCAConfig: CCAConfig{Freqs: cal.Freqs, SampleRate: cal.SampleRate, Channels: len(cal.Channels),
				Samples: view.samples(), Harmonics: h}}
			if b >= 0 {
				fc.FilterBank = filterBanks(cal, cfg)[b].Config
			}
			d, err := NewTrainingFree(cfg.Method, fc)
			if err != nil {
				return nil, 0, err
			}
			d.names = slices.Clone(cal.Channels)
			c := &candidate{offset: o, harmonics: h, bank: b, cal: view, dec: d, scores: make([][]float64, len(view.Trials))}
			hit, total := 0, 0
			for i, x := range view.Trials {
				if c.scores[i], err = d.Scores(nil, x); err != nil {
					return nil, 0, fmt.Errorf("ssvep: offset %v s, trial %d: %w", o, i, err)
				}
				if l := view.Labels[i]; l != Rest {
					total++
					if Argmax(c.scores[i]) == l {
						hit++
					}
				}
			}
			c.targetAcc = float64(hit) / float64(max(total, 1))
			n++
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil, 0, fmt.Errorf("ssvep: no decoder configuration to choose from")
	}
	acc := make([]float64, len(cands))
	for i, c := range cands {
		acc[i] = c.targetAcc
	}
	_, rest := cal.Counts()
	return cands[oneStandardError(acc, len(cal.Trials)-rest)], n, nil
}

// foldAccuracy returns the out-of-fold accuracy of rule on c's scores:
// fitted on every fold but one, deciding the held-out fold. For the
// detector it also returns the probability threshold (among
// restThresholds) with the best out-of-fold accuracy. A fold whose
// training folds lack rest or target trials decides its trials by the
// top score.
func (c *candidate) foldAccuracy(rule NoControlRule, rc RestConfig, folds []int, nfolds int) (float64, float64, error) {
	labels := c.cal.Labels
	prob := make([]float64, len(labels)) // detector: out-of-fold probability of rest
	correct := 0
	for f := range nfolds {
		var sx [][]float64
		var tx [][][]float64
		var ty []int
		for i, g := range folds {
			if g != f {
				sx, tx, ty = append(sx, c.scores[i]), append(tx, c.cal.Trials[i]), append(ty, labels[i])
			}
		}
		if !slices.Contains(ty, Rest) || !slices.ContainsFunc(ty, func(l int) bool { return l != Rest }) {
			for i, g := range folds {
				if g == f && Argmax(c.scores[i]) == labels[i] {
					correct++
				}
			}
			continue
		}
		if rule != NoControlDetector {
			nc, err := CalibrateNoControl(rule, sx, ty)
			if err != nil {
				return 0, 0, err
			}
			for i, g := range folds {
				if g == f && nc.Decide(c.scores[i]) == labels[i] {
					correct++
				}
			}
			continue
		}
		r, err := TrainRest(c.dec, rc, sx, tx, ty)
		if err != nil {
			return 0, 0, err
		}
		for i, g := range folds {
			if g == f {
				if prob[i], err = r.RestProbability(c.scores[i], c.cal.Trials[i]); err != nil {
					return 0, 0, err
				}
			}
		}
	}
	if rule != NoControlDetector {
		return float64(correct) / float64(len(labels)), 0, nil
	}
	bestAcc, bestT := -1.0, 0.0
	for _, t := range restThresholds {
		n := 0
		for i, l := range labels {
			d := Argmax(c.scores[i])
			if prob[i] >= t {
				d = Rest
			}
			if d == l {
				n++
			}
		}
		if acc := float64(n) / float64(len(labels)); acc > bestAcc || (acc == bestAcc && math.Abs(t-0.5) < math.Abs(bestT-0.5)) {
			bestAcc, bestT = acc, t
		}
	}
	return bestAcc, bestT, nil
}

// Offset returns the window offset after a trial's onset in s that d's
// calibration chose (SelectTrainingFree; through a RestDetector, its
// base's), or 0 when d has none: trials for d start that long after
// their onsets (Calibration.AtOffset cuts them from a calibration of
// candidate offsets).
func Offset(d Decoder) float64 {
	if o, ok := d.(interface{ Offset() float64 }); ok {
		return o.Offset()
	}
	return 0
}
