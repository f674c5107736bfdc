package ssvep

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/models/linear"
)

// DefaultAugmentStep is the hop in s between the training windows the
// stacked fbcca+ts-lr cuts from each calibration trial
// (TrainCalibrationConfig.AugmentStep).
const DefaultAugmentStep = 0.5

// BandSet is a named choice of the stacked ts-lr's bands.
type BandSet struct {
	Name string
	// BandWidth and Harmonics are RiemannConfig's.
	BandWidth float64
	Harmonics int
}

// StackBands is the stacked ts-lr's default band set: 2 Hz wide bands
// around each target and its second harmonic ([h·f ± 1] Hz, h = 1, 2),
// which ring for a shorter time than MOABB's [f ± 0.5] Hz in a window
// filtered alone and add the second harmonic's power. (Choosing between
// it and MOABB's bands by cross-validation, MOABB's preferred as the
// fewer features, lost accuracy on held-out sessions: docs/ssvep.md.)
var StackBands = BandSet{"harmonic-2", 2, 2}

// StackSelection records what SelectStacked chose and how well the
// choice did in the calibration's cross-validation; the stack's model
// file keeps it ("selection").
type StackSelection struct {
	// OffsetSeconds is the decision window's start after a trial's onset
	// in s (see Stacked.Offset).
	OffsetSeconds float64 `json:"offset_seconds"`
	// Bands names the ts-lr band set (StackBands' name, or "given" when
	// the configuration set them).
	Bands string `json:"bands"`
	WindowCV
	// TDCADelays and TDCAComponents are the TDCA part's (fbcca+ts-lr+tdca):
	// chosen at the chosen offset by TDCA's own cross-validation over the
	// same folds (SelectTDCA's candidates).
	TDCADelays     int `json:"tdca_delays,omitempty"`
	TDCAComponents int `json:"tdca_components,omitempty"`
}

// stackBandSets returns the band sets cfg lets the selection compare:
// cfg.Riemann's when it sets the band width or harmonics, else
// StackBands.
func stackBandSets(cfg TrainCalibrationConfig) []BandSet {
	if cfg.Riemann.BandWidth != 0 || cfg.Riemann.Harmonics != 0 {
		return []BandSet{{"given", cfg.Riemann.BandWidth, cfg.Riemann.Harmonics}}
	}
	return []BandSet{StackBands}
}

// SelectStacked trains the stacked fbcca+ts-lr (Stacked) on cal,
// choosing by cross-validation over cal.Folds the offset of its decision
// window among cal.Offsets (or cal.Offset), ts-lr on the bands of
// cfg.Riemann or else StackBands.
//
// Every learned part trains on augmented windows: each calibration trial
// gives the windows of cal.Length from the offset on, every
// cfg.AugmentStep s, as far as cal.Span reaches (Calibration.Windows; a
// calibration without a span gives the decision window only). The folds
// keep all windows of a trial together (Calibration.WindowFolds), so no
// window of a held-out trial is trained on; a candidate is scored on the
// decision windows only, one per trial, as the model decides.
//
// A candidate's accuracy is that of the stacking regression trained on
// the other folds' features and deciding the held-out fold's decision
// windows, where the features are the parts' out-of-fold scores (fbcca's
// need no training; ts-lr's come from a model trained on the other
// folds): one level of folds, the usual estimate of a stack's accuracy
// (the ts-lr scores of a training fold's windows come from models that
// saw the held-out fold, which a second level of folds would avoid at k
// times the cost). The choice takes the first candidate in order of
// preference (the latest offset first) within one
// standard error of the best (oneStandardError, as SelectTrainingFree),
// and the winner's regression is refitted on every window.
//
// With cfg.Method MethodStackTDCA the stack has a third part, TDCA (rest
// as a class in its training), whose out-of-fold target scores at each
// offset join the features (stackTDCA). With cfg.Method MethodStackBands
// the regression reads fbcca's sub-band correlations instead of its
// scores.
func SelectStacked(cal *Calibration, cfg TrainCalibrationConfig) (*Stacked, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	step, offsets := cfg.augmentStep(), cal.latestOffsetsFirst()
	tc := cal.trainConfig(cfg)
	withTDCA := cfg.Method == MethodStackTDCA
	tc.Method = MethodStack
	if cfg.Method == MethodStackBands {
		tc.Method = MethodStackBands
	}
	type cand struct {
		sd     *stackData
		feat   [][]float64
		offset float64
		bands  string
		n      int
		tdca   tdcaCandidate
	}
	var cands []cand
	var accs []float64
	var windows int
	nfolds := 0
	for _, o := range offsets {
		w, trial, err := cal.Windows(o, step)
		if err != nil {
			return nil, err
		}
		folds := cal.WindowFolds(trial)
		nfolds = slices.Max(folds) + 1
		decision := make([]bool, len(trial)) // the first window of each trial
		for j := range trial {
			decision[j] = j == 0 || trial[j] != trial[j-1]
		}
		fb, err := stackFBCCA(tc, w.Trials)
		if err != nil {
			return nil, err
		}
		var fbScores [][]float64
		var line []string
		var tdca *TDCA
		var tc0 tdcaCandidate
		if withTDCA {
			if tdca, tc0, err = stackTDCA(cal, cfg, w, folds, decision); err != nil {
				return nil, err
			}
		}
		for _, bs := range stackBandSets(cfg) {
			bc := tc
			bc.Riemann.BandWidth, bc.Riemann.Harmonics = bs.BandWidth, bs.Harmonics
			sd, err := newStackData(bc, fb, w.Trials, w.Labels, folds, fbScores)
			if err != nil {
				return nil, err
			}
			fbScores = sd.fbScores
			if tdca != nil {
				sd.tdca, sd.tdcaScores = tdca, tc0.oof
			}
			feat, err := sd.features()
			if err != nil {
				return nil, err
			}
			acc, err := metaAccuracy(feat, w.Labels, folds, decision)
			if err != nil {
				return nil, err
			}
			cands, accs = append(cands, cand{sd, feat, o, bs.Name, len(trial), tc0}), append(accs, acc)
			line = append(line, fmt.Sprintf("%s %.3f", bs.Name, acc))
		}
		windows = len(trial)
		fmt.Fprintf(cfg.Log, "offset %.3g s, %d training windows, stack out-of-fold accuracy (%d folds%s): %s\n",
			o, windows, nfolds, cal.restNote(), strings.Join(line, ", "))
	}
	k := oneStandardError(accs, len(cal.Trials))
	win := cands[k]
	d, err := win.sd.trainOn(win.feat)
	if err != nil {
		return nil, err
	}
	sel := &StackSelection{OffsetSeconds: win.offset, Bands: win.bands, WindowCV: cal.windowCV(step, win.n, nfolds, accs[k], len(cands))}
	if withTDCA {
		sel.TDCADelays, sel.TDCAComponents = win.tdca.delays, win.tdca.comps
	}
	d.sel = sel
	fmt.Fprintf(cfg.Log, "chosen by cross-validation: offset %.3g s, ts-lr bands %s, out-of-fold accuracy %.3f (%d candidates)\n",
		sel.OffsetSeconds, sel.Bands, sel.Accuracy, sel.Candidates)
	return d, nil
}

// stackTDCA returns the TDCA part of fbcca+ts-lr+tdca for the windows w
// of one offset (folds and decision windows as SelectStacked's): its
// delays and components chosen by TDCA's cross-validation over the same
// folds (SelectTDCA's candidates and one-SE rule; the part's rest rule
// does not matter, the stack reads only its target scores), trained on
// every window, and the chosen candidate, whose out-of-fold scores are
// the stack's features.
func stackTDCA(cal *Calibration, cfg TrainCalibrationConfig, w *Calibration, folds []int, decision []bool) (*TDCA, tdcaCandidate, error) {
	tw, err := newTDCAWindows(cal.tdcaConfig(cfg), w.Trials, w.Labels, folds, decision)
	if err != nil {
		return nil, tdcaCandidate{}, err
	}
	cv, err := tw.crossValidate()
	if err != nil {
		return nil, tdcaCandidate{}, err
	}
	accs := make([]float64, len(cv))
	for i, c := range cv {
		accs[i] = c.acc
	}
	win := cv[oneStandardError(accs, len(cal.Trials))]
	m, err := tw.train(win)
	if err != nil {
		return nil, tdcaCandidate{}, err
	}
	fmt.Fprintf(cfg.Log, "tdca part: %d delays, %d components (out-of-fold accuracy %.3f, rest rule %s)\n", win.delays, win.comps, win.acc, win.rule)
	return m, win, nil
}

// metaAccuracy returns the out-of-fold accuracy of the stacking
// regression: trained on the other folds' feature rows, deciding the
// held-out fold's decision rows.
func metaAccuracy(feat [][]float64, labels, folds []int, decision []bool) (float64, error) {
	classes, err := stackClasses(labels)
	if err != nil {
		return 0, err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(folds)))
	probs := make([]float64, len(classes))
	correct, total := 0, 0
	for _, f := range ids {
		sm, err := meta(feat, labels, classes, func(i int) bool { return folds[i] != f })
		if err != nil {
			return 0, fmt.Errorf("fold %d held out: %w", f, err)
		}
		for i, g := range folds {
			if g == f && decision[i] {
				sm.Probabilities(probs, linear.Dense(feat[i]))
				if classes[Argmax(probs)] == labels[i] {
					correct++
				}
				total++
			}
		}
	}
	return float64(correct) / float64(max(total, 1)), nil
}

// ChoosesOffset reports whether method always chooses its decision
// window's offset among a calibration's candidate offsets and trains on
// the windows its span allows (SelectStacked, SelectTDCA, SelectMethod):
// the stacks, tdca and auto. (cca and fbcca choose it under rule auto.)
func ChoosesOffset(method string) bool {
	return isStack(method) || method == MethodTDCA || method == MethodAuto
}

// MethodAuto chooses per calibration between fbcca, calibrated with rule
// auto (SelectTrainingFree), and the stacked fbcca+ts-lr
// (SelectStacked), by their cross-validated accuracy (SelectMethod).
const MethodAuto = "auto"

// SelectMethod calibrates fbcca with rule auto (SelectTrainingFree) and
// the stacked fbcca+ts-lr (SelectStacked) on cal, and returns the one
// ChooseMethod keeps.
func SelectMethod(cal *Calibration, cfg TrainCalibrationConfig) (Decoder, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	fc, sc := cfg, cfg
	fc.Method, fc.NoControl, sc.Method = MethodFBCCA, NoControlAuto, MethodStack
	fb, err := SelectTrainingFree(cal, fc)
	if err != nil {
		return nil, err
	}
	st, err := SelectStacked(cal, sc)
	if err != nil {
		return nil, err
	}
	return ChooseMethod(cal, cfg, fb, st)
}

// ChooseMethod returns the one SelectMethod keeps of fb, fbcca calibrated
// on cal by SelectTrainingFree with cfg, and st, the stack SelectStacked
// trained on it: the better by accuracy over the calibration trials (rest
// as a class, over cal.Folds), fbcca within one standard error
// (oneStandardError), as it learns nothing from the trials but its rest
// rule. fbcca's accuracy is a nested estimate (NestedTrainingFree), not
// its selection's out-of-fold accuracy: that one is the best of about 40
// candidates on the same folds and leans optimistic by more than the
// stack's best of its few offsets, which biased the choice towards fbcca
// (measured: docs/ssvep.md). An error reports a decoder without its
// selection.
func ChooseMethod(cal *Calibration, cfg TrainCalibrationConfig, fb Decoder, st *Stacked) (Decoder, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	tf, ok := fb.(*TrainingFree)
	if r, isRest := fb.(*RestDetector); isRest {
		tf, ok = r.Base().(*TrainingFree)
	}
	if !ok || tf.Selection() == nil || st.Selection() == nil {
		return nil, fmt.Errorf("ssvep: choose a method: want fbcca and %s as calibrated with their selections", MethodStack)
	}
	fc := cfg
	fc.Method, fc.NoControl = MethodFBCCA, NoControlAuto
	fbAcc, err := NestedTrainingFree(cal, fc)
	if err != nil {
		return nil, err
	}
	n := len(cal.Trials)
	if !cal.rest {
		_, rest := cal.Counts()
		n -= rest
	}
	d := Decoder(st)
	if oneStandardError([]float64{fbAcc, st.Selection().Accuracy}, n) == 0 {
		d = fb
	}
	fmt.Fprintf(cfg.Log, "fbcca nested accuracy %.3f, %s out-of-fold accuracy %.3f: chosen %s\n", fbAcc, MethodStack, st.Selection().Accuracy, d.Method())
	return d, nil
}

// NestedTrainingFree estimates the accuracy of SelectTrainingFree with
// cfg on cal, choice included: for each of cal.Folds, the selection made
// on the other folds' trials (with its own folds among them) decides the
// held-out fold's trials at the offset it chose; where the other folds
// hold no rest trial, by the top score. It calibrates cca or fbcca once
// per fold.
func NestedTrainingFree(cal *Calibration, cfg TrainCalibrationConfig) (float64, error) {
	cfg.Log = io.Discard
	folds := cal.Folds()
	correct, total := 0, 0
	for f := range slices.Max(folds) + 1 {
		train := cal.subset(func(i int) bool { return folds[i] != f })
		if !slices.Contains(train.Labels, Rest) {
			// No rest to fit a rule on (a calibration of one rest trial):
			// the fold is decided by the top score, as foldAccuracy does.
			train.rest = false
		}
		d, err := SelectTrainingFree(train, cfg)
		if err != nil {
			return 0, fmt.Errorf("ssvep: nested estimate, fold %d held out: %w", f, err)
		}
		test, err := cal.subset(func(i int) bool { return folds[i] == f }).AtOffset(Offset(d))
		if err != nil {
			return 0, err
		}
		for i, x := range test.Trials {
			if !cal.rest && test.Labels[i] == Rest {
				continue
			}
			k, err := d.Decide(x)
			if err != nil {
				return 0, err
			}
			if k == test.Labels[i] {
				correct++
			}
			total++
		}
	}
	return float64(correct) / float64(max(total, 1)), nil
}

// restNote qualifies an accuracy over cal's trials in the log: with rest
// codes, rest is one of its classes.
func (cal *Calibration) restNote() string {
	if cal.rest {
		return ", rest as a class"
	}
	return ""
}

// augmentStep is cfg.AugmentStep or its default.
func (cfg TrainCalibrationConfig) augmentStep() float64 {
	if cfg.AugmentStep == 0 {
		return DefaultAugmentStep
	}
	return cfg.AugmentStep
}

// latestOffsetsFirst returns the candidate offsets, the latest first (the
// order of preference of every selection), or the calibration's offset.
func (cal *Calibration) latestOffsetsFirst() []float64 {
	offsets := slices.Clone(cal.Offsets)
	if len(offsets) == 0 {
		offsets = []float64{cal.Offset}
	}
	slices.Reverse(offsets)
	return offsets
}

// WindowCV is how a selection on augmented windows (SelectStacked,
// SelectTDCA) cross-validated its candidates; its fields are part of the
// selection's JSON.
type WindowCV struct {
	// AugmentStep is the hop in s between the training windows cut from
	// each trial, and Windows the number of training windows (0 and the
	// number of trials: no augmentation).
	AugmentStep float64 `json:"augment_step_seconds,omitempty"`
	Windows     int     `json:"windows"`
	// Folds and FoldKind describe the cross-validation (Calibration.Folds).
	Folds    int    `json:"folds"`
	FoldKind string `json:"fold_kind"`
	// Accuracy is the chosen candidate's out-of-fold accuracy over the
	// calibration trials' decision windows, rest as a class.
	Accuracy float64 `json:"cv_accuracy"`
	// Candidates counts the candidates compared.
	Candidates int `json:"candidates"`
}

// windowCV describes a cross-validation over n training windows cut every
// step s from cal's trials in folds folds, the winner's accuracy acc among
// candidates.
func (cal *Calibration) windowCV(step float64, n, folds int, acc float64, candidates int) WindowCV {
	cv := WindowCV{Windows: n, Folds: folds, FoldKind: cal.foldKind(), Accuracy: acc, Candidates: candidates}
	if n > len(cal.Trials) {
		cv.AugmentStep = step
	}
	return cv
}
