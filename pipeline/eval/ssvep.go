package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/models/metrics"
	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/pipeline/train"
)

// SSVEPConfig configures SSVEP: the recordings and their trials as
// train.SSVEPConfig has them, and what is evaluated.
type SSVEPConfig struct {
	// Input, Targets, Rest, Offset, Channels and Notch say which trials
	// are cut from which recordings and how the stream prepares them, as
	// for `train ssvep` (train.SSVEPConfig; Input.Progress is unused: each
	// recording is a short run of its own). Targets is required.
	Input    train.Input
	Targets  map[string]float64
	Rest     []string
	Offset   float64
	Channels []string
	Notch    float64
	// Offsets are the candidate offsets in s among which cca and fbcca
	// calibrated with the auto rule choose (train.SSVEPConfig.Offsets):
	// their calibration trials are cut at every candidate and each test
	// session is decided from the offset the model chose. Default: none,
	// every method at Offset.
	Offsets []float64
	// Span is how long after its onset a trial's stimulation lasts in s
	// (train.SSVEPConfig.Span): the stacked fbcca+ts-lr trains on the
	// windows of each calibration trial every Model.AugmentStep s as far
	// as it reaches. Default: 0, no augmentation.
	Span float64
	// Windows are the trial lengths in s evaluated, each a run of its
	// own. Required.
	Windows []float64
	// Methods are the decoders evaluated: names of Methods().
	// Default: every one of them.
	Methods []string
	// Model are the calibration options of `train ssvep`
	// (ssvep.TrainCalibration) of every method; its Method
	// is set per method, its Log unused. Harmonics and SubBands also
	// configure the training-free cca and fbcca of the 3-class rows.
	Model ssvep.TrainCalibrationConfig
	// CalibrateOn names the sessions every subject's calibrated methods
	// are calibrated on (a session id, or its 1-based place among the
	// subject's sessions in name order); the subject's other sessions are
	// the test sets. Default: none, leave-one-session-out within each
	// subject.
	CalibrateOn []string
	// GazeShift is the time in s added to the window for the time per
	// selection of the ITR (ssvep.ITR). Default: 0.5, as in Chen et al.
	// 2015 and Nakanishi et al. 2018.
	GazeShift float64
	// Notes receives a line for each recording, subject or method
	// skipped and why. Default: nil, discarded.
	Notes io.Writer
	// Progress receives a line for each test session decided: its
	// accuracy and how long its calibration and decisions took, so that
	// an evaluation of many minutes shows where it is. Default: nil,
	// discarded.
	Progress io.Writer
}

// SSVEPResult is one test session's figures for one method, window length
// and number of classes.
type SSVEPResult struct {
	Subject string `json:"subject"`
	Session string `json:"session"`
	Method  string `json:"method"`
	// WindowSeconds is the trial length in s.
	WindowSeconds float64 `json:"window_seconds"`
	// Classes is 3 (targets only: the target trials, decided among the
	// targets) or 4 (with rest: every trial, rest a decision too); in
	// general the number of targets, or one more.
	Classes int `json:"classes"`
	// N counts the trials decided.
	N int `json:"n"`
	// Accuracy is the share of trials decided right; BalancedAccuracy the
	// mean over the classes present of their recall.
	Accuracy         metrics.JSONFloat `json:"accuracy"`
	BalancedAccuracy metrics.JSONFloat `json:"balanced_accuracy"`
	// ITR is the Wolpaw ITR of Accuracy among Classes classes, T =
	// window + SSVEPConfig.GazeShift.
	ITR metrics.JSONFloat `json:"itr_bits_per_min"`
	// CalibratedOn are the sessions the decoder was calibrated or trained
	// on; empty for a training-free decoder.
	CalibratedOn []string `json:"calibrated_on"`

	pred, truth []int // decisions and labels: 0 rest, k+1 target k
	targets     int
}

// SSVEPSubject is one subject's figures for one method, window length
// and number of classes: the trials of its test sessions pooled.
type SSVEPSubject struct {
	Subject          string            `json:"subject"`
	Method           string            `json:"method"`
	WindowSeconds    float64           `json:"window_seconds"`
	Classes          int               `json:"classes"`
	N                int               `json:"n"`
	Accuracy         metrics.JSONFloat `json:"accuracy"`
	BalancedAccuracy metrics.JSONFloat `json:"balanced_accuracy"`
	ITR              metrics.JSONFloat `json:"itr_bits_per_min"`
}

// SSVEPSummary is one method's figures for one window length and number
// of classes over subjects: each subject's trials pooled over its test
// sessions, then the mean over subjects.
type SSVEPSummary struct {
	Method        string  `json:"method"`
	WindowSeconds float64 `json:"window_seconds"`
	Classes       int     `json:"classes"`
	// Subjects counts the subjects averaged.
	Subjects             int               `json:"subjects"`
	MeanAccuracy         metrics.JSONFloat `json:"mean_accuracy"`
	MeanBalancedAccuracy metrics.JSONFloat `json:"mean_balanced_accuracy"`
	MeanITR              metrics.JSONFloat `json:"mean_itr_bits_per_min"`
}

// SSVEPEvaluation is what SSVEP found; its JSON is `neurostream eval ssvep
// --json`'s.
type SSVEPEvaluation struct {
	Results []SSVEPResult  `json:"results"`
	Summary []SSVEPSummary `json:"summary"`
	// Subjects are each subject's figures, its test sessions pooled; the
	// summary's means are theirs.
	Subjects []SSVEPSubject `json:"subjects"`
}

// session is one recording's trials at one window length.
type session struct {
	rec Recording
	cal *ssvep.Calibration // nil: no trials
}

func (c SSVEPConfig) withDefaults() SSVEPConfig {
	if c.Methods == nil {
		c.Methods = Methods()
	}
	if c.GazeShift == 0 {
		c.GazeShift = 0.5
	}
	if c.Notes == nil {
		c.Notes = io.Discard
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// Validate reports the first setting SSVEP cannot evaluate with.
func (c SSVEPConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case len(c.Windows) == 0:
		return errors.New("eval: give at least one window length")
	case !(c.GazeShift >= 0):
		return fmt.Errorf("eval: gaze shift %v s: want ≥ 0", c.GazeShift)
	}
	for _, w := range c.Windows {
		if !(w > 0) {
			return fmt.Errorf("eval: window %v s: want > 0", w)
		}
	}
	for _, m := range c.Methods {
		if !slices.Contains(Methods(), m) {
			return fmt.Errorf("eval: method %q: want one of %v", m, Methods())
		}
	}
	if len(c.Offsets) > 0 && c.Model.NoControl != ssvep.NoControlAuto {
		return fmt.Errorf("eval: candidate offsets %v: only cca and fbcca under the auto rule choose among them", c.Offsets)
	}
	_, _, err := ssvep.NewCalibration(c.Targets, c.Rest, c.Windows[0])
	return err
}

// SSVEP evaluates every method of cfg at every window length on the
// recordings of cfg.Input, as `neurostream eval ssvep` does. Each
// recording's trials are cut by train.SSVEPCalibration (the stream's
// path); a recording holding none of the events is skipped with a note.
//
// A method that needs calibration — every method with rest (4 classes),
// trca, etrca, mdm and ts-lr with 3 — is calibrated on some of a subject's
// sessions and tested on the others: leave-one-session-out, or
// cfg.CalibrateOn. Methods are calibrated as `train ssvep` does
// (ssvep.TrainCalibration) and decide as the model file it writes does
// (cca and fbcca under the auto rule with cfg.Offsets: each test session
// cut at the offset the model chose); mdm and ts-lr without rest trials
// are trained by ssvep.TrainDecoder on the targets. cca and fbcca with 3
// classes are training-free and tested on every session. 4-class rows are
// made only for test sessions with rest trials whose calibration sessions
// have them too.
func SSVEP(ctx context.Context, cfg SSVEPConfig) (*SSVEPEvaluation, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	recs, err := Recordings(cfg.Input)
	if err != nil {
		return nil, err
	}
	ev := &SSVEPEvaluation{Results: []SSVEPResult{}, Summary: []SSVEPSummary{}, Subjects: []SSVEPSubject{}}
	for _, w := range cfg.Windows {
		subjects, err := sessions(ctx, cfg, recs, w, nil)
		if err != nil {
			return nil, err
		}
		var chosen [][]session // trials at every candidate offset, to the span
		if slices.ContainsFunc(cfg.Methods, func(m string) bool { return choosesOffset(cfg, m, true) }) {
			offsets := cfg.Offsets
			if len(offsets) == 0 {
				offsets = []float64{cfg.Offset}
			}
			if chosen, err = sessions(ctx, cfg, recs, w, offsets); err != nil {
				return nil, err
			}
		}
		cuts := newTestCuts(ctx, cfg, recs, w, subjects)
		for _, method := range cfg.Methods {
			for _, rest := range []bool{false, true} {
				ss := subjects
				if choosesOffset(cfg, method, rest) {
					ss = chosen
				}
				rows, err := evaluate(cfg, ss, method, w, rest, cuts)
				if err != nil {
					return nil, err
				}
				ev.Results = append(ev.Results, rows...)
				if per, s, ok := summarize(rows, cfg.GazeShift); ok {
					ev.Subjects, ev.Summary = append(ev.Subjects, per...), append(ev.Summary, s)
				}
			}
		}
	}
	return ev, nil
}

// Methods are the methods SSVEP evaluates: every one `train ssvep`
// trains or calibrates, the stacks (fbcca+ts-lr, fbcca-bands+ts-lr, fbcca+ts-lr+tdca) and
// the choice between fbcca and the stack (auto) too.
func Methods() []string {
	return append(append(ssvep.TrainedMethods(), ssvep.StackMethods()...), ssvep.MethodAuto)
}

// choosesOffset reports whether method, calibrated for rows of that kind,
// chooses its offset among cfg.Offsets (or trains on windows to
// cfg.Span): cca and fbcca calibrated (with rest) under the auto rule,
// the stacks, tdca and auto (ssvep.ChoosesOffset), as `train ssvep`
// calibrates them.
func choosesOffset(cfg SSVEPConfig, method string, rest bool) bool {
	if ssvep.ChoosesOffset(method) {
		return len(cfg.Offsets) > 0 || cfg.Span > 0
	}
	return len(cfg.Offsets) > 0 && rest && cfg.Model.NoControl == ssvep.NoControlAuto &&
		(method == ssvep.MethodCCA || method == ssvep.MethodFBCCA)
}

// sessions cuts the trials of length seconds of every recording — at
// cfg.Offset, or at every one of offsets, reaching cfg.Span, when given — and groups the
// recordings with trials by subject, subjects and sessions in name order.
func sessions(ctx context.Context, cfg SSVEPConfig, recs []Recording, length float64, offsets []float64) ([][]session, error) {
	bySubject := map[string][]session{}
	for _, r := range recs {
		tc := train.SSVEPConfig{Input: only(cfg.Input, r.Spec.Name), Targets: cfg.Targets, Rest: cfg.Rest,
			Offset: cfg.Offset, Offsets: offsets, Length: length, Channels: cfg.Channels, Notch: cfg.Notch}
		if offsets != nil {
			tc.Span = cfg.Span
		}
		tc.Progress = nil // a bar per short run would only flicker
		cal, err := train.SSVEPCalibration(ctx, tc)
		if err != nil {
			if none, oerr := holdsNone(r, cfg); oerr == nil && none {
				fmt.Fprintf(cfg.Notes, "note: %s: none of the listed events, skipped\n", r.Spec.Name)
				continue
			}
			return nil, err
		}
		bySubject[r.Subject] = append(bySubject[r.Subject], session{rec: r, cal: cal})
	}
	var out [][]session
	for _, sub := range slices.Sorted(maps.Keys(bySubject)) {
		ss := bySubject[sub]
		slices.SortFunc(ss, func(a, b session) int { return strings.Compare(a.rec.Session, b.rec.Session) })
		for _, s := range ss[1:] {
			if s.cal.SampleRate != ss[0].cal.SampleRate || !slices.Equal(s.cal.Channels, ss[0].cal.Channels) {
				err := fmt.Errorf("eval: subject %s: %s has %v Hz and channels %v, %s %v Hz and %v",
					sub, s.rec.Spec.Name, s.cal.SampleRate, s.cal.Channels, ss[0].rec.Spec.Name, ss[0].cal.SampleRate, ss[0].cal.Channels)
				if s.cal.SampleRate != ss[0].cal.SampleRate {
					err = cfg.Input.Rename(cfg.Input.RateHint(err))
				}
				return nil, err
			}
		}
		out = append(out, ss)
	}
	if len(out) == 0 {
		return nil, errors.New("eval: no trials: none of the recordings holds the listed events")
	}
	return out, nil
}

// holdsNone reports whether the recording has none of the events of cfg.
func holdsNone(r Recording, cfg SSVEPConfig) (bool, error) {
	rec, err := r.Spec.Open()
	if err != nil {
		return false, err
	}
	defer rec.Close()
	return !slices.ContainsFunc(rec.Info().Annotations, func(a formats.Annotation) bool {
		_, target := cfg.Targets[a.Description]
		return target || slices.Contains(cfg.Rest, a.Description)
	}), nil
}

// needsCalibration reports whether method must be calibrated for rows of
// that kind: every method with rest, all but the training-free ones
// without.
func needsCalibration(method string, rest bool) bool {
	return rest || (method != ssvep.MethodCCA && method != ssvep.MethodFBCCA)
}

// split is one test session and the sessions its decoder is calibrated on.
type split struct {
	test  session
	calib []session
}

// splits returns the test sessions of a subject and their calibration
// sessions, or a note on why the subject has none.
func splits(cfg SSVEPConfig, ss []session, calibrate bool) ([]split, string) {
	if !calibrate {
		out := make([]split, len(ss))
		for i, s := range ss {
			out[i] = split{test: s}
		}
		return out, ""
	}
	if len(cfg.CalibrateOn) > 0 {
		var sp split
		var tests []session
		for i, s := range ss {
			if slices.Contains(cfg.CalibrateOn, s.rec.Session) || slices.Contains(cfg.CalibrateOn, strconv.Itoa(i+1)) {
				sp.calib = append(sp.calib, s)
			} else {
				tests = append(tests, s)
			}
		}
		if len(sp.calib) == 0 || len(tests) == 0 {
			return nil, fmt.Sprintf("%d of its %d sessions are calibration sessions: want at least one of each", len(sp.calib), len(ss))
		}
		out := make([]split, len(tests))
		for i, t := range tests {
			out[i] = split{test: t, calib: sp.calib}
		}
		return out, ""
	}
	if len(ss) < 2 {
		return nil, "one session: leave-one-session-out needs two"
	}
	out := make([]split, len(ss))
	for i, s := range ss {
		out[i] = split{test: s, calib: append(slices.Clone(ss[:i]), ss[i+1:]...)}
	}
	return out, ""
}

// evaluate returns the rows of method at window length w for every
// subject's test sessions: 3-class rows, or with rest 4-class rows.
func evaluate(cfg SSVEPConfig, subjects [][]session, method string, w float64, rest bool, cuts *testCuts) ([]SSVEPResult, error) {
	var rows []SSVEPResult
	for _, ss := range subjects {
		sps, note := splits(cfg, ss, needsCalibration(method, rest))
		if note != "" {
			fmt.Fprintf(cfg.Notes, "note: subject %s, %s: %s; skipped\n", ss[0].rec.Subject, method, note)
			continue
		}
		for _, sp := range sps {
			if rest && (!hasRest(sp.test) || !slices.ContainsFunc(sp.calib, hasRest)) {
				continue
			}
			start := time.Now()
			decide, offset, err := decoder(cfg, method, sp, w, rest)
			if err != nil {
				fmt.Fprintf(cfg.Notes, "note: subject %s, session %s, %s, %g s: %v; skipped\n", sp.test.rec.Subject, sp.test.rec.Session, method, w, err)
				continue
			}
			if sp.test, err = cuts.at(offset, sp.test); err != nil {
				return nil, err
			}
			row, err := score(cfg, sp, decide, offset, rest)
			if err != nil {
				return nil, fmt.Errorf("eval: %s, session %s, %s: %w", sp.test.rec.Subject, sp.test.rec.Session, method, err)
			}
			if row.N > 0 {
				row.Method, row.WindowSeconds = method, w
				rows = append(rows, row)
				fmt.Fprintf(cfg.Progress, "eval: subject %s, session %s, %s, %g s, %d classes: accuracy %.3f of %d trials (%s)\n",
					row.Subject, row.Session, method, w, row.Classes, float64(row.Accuracy), row.N, time.Since(start).Round(time.Second/10))
			}
		}
	}
	return rows, nil
}

// testCuts cuts test sessions at the one offset a calibrated decoder
// chose, with no span. The sessions of the methods that choose their
// offset are cut at every candidate and as far as the span reaches, for
// calibration; a test trial near a recording's end whose later candidates
// or span do not fit would be left out of their rows only, so methods
// would be compared on different trials.
type testCuts struct {
	ctx      context.Context
	cfg      SSVEPConfig
	recs     []Recording
	w        float64
	byOffset map[float64]map[string]session // by recording name
}

// newTestCuts starts with subjects, the sessions already cut at
// cfg.Offset, so that offset is not cut again.
func newTestCuts(ctx context.Context, cfg SSVEPConfig, recs []Recording, w float64, subjects [][]session) *testCuts {
	c := &testCuts{ctx: ctx, cfg: cfg, recs: recs, w: w, byOffset: map[float64]map[string]session{}}
	c.byOffset[cfg.Offset] = byName(subjects)
	return c
}

func byName(subjects [][]session) map[string]session {
	m := map[string]session{}
	for _, ss := range subjects {
		for _, s := range ss {
			m[s.rec.Spec.Name] = s
		}
	}
	return m
}

// at returns t, a session cut at one offset (a span implies candidate
// offsets), or t's recording cut at offset alone (once per offset and
// window length).
func (c *testCuts) at(offset float64, t session) (session, error) {
	if len(t.cal.Offsets) == 0 {
		return t, nil
	}
	m, ok := c.byOffset[offset]
	if !ok {
		cfg := c.cfg
		cfg.Offset, cfg.Notes = offset, io.Discard // the notes were written once
		subjects, err := sessions(c.ctx, cfg, c.recs, c.w, nil)
		if err != nil {
			return session{}, err
		}
		m = byName(subjects)
		c.byOffset[offset] = m
	}
	s, ok := m[t.rec.Spec.Name]
	if !ok {
		return session{}, fmt.Errorf("eval: %s: no trials at offset %v s", t.rec.Spec.Name, offset)
	}
	return s, nil
}

func hasRest(s session) bool { return slices.Contains(s.cal.Labels, ssvep.Rest) }

// trials returns the calibration of the sessions' trials: every trial
// with rest, the target trials without.
func trials(ss []session, w float64, targets map[string]float64, restCodes []string, rest bool) (*ssvep.Calibration, error) {
	if !rest {
		restCodes = nil
	}
	cal, _, err := ssvep.NewCalibration(targets, restCodes, w)
	if err != nil {
		return nil, err
	}
	for k, s := range ss {
		cal.SampleRate, cal.Channels = s.cal.SampleRate, s.cal.Channels
		cal.Offset, cal.Offsets, cal.Span = s.cal.Offset, s.cal.Offsets, s.cal.Span
		for i, l := range s.cal.Labels {
			if rest || l != ssvep.Rest {
				cal.Trials, cal.Labels = append(cal.Trials, s.cal.Trials[i]), append(cal.Labels, l)
				cal.Sessions = append(cal.Sessions, k)
			}
		}
		cal.Recordings++
	}
	return cal, nil
}

// decoder calibrates or builds method for the split's test session and
// returns its decision function and the offset in s after the onset its
// trials start at.
func decoder(cfg SSVEPConfig, method string, sp split, w float64, rest bool) (func([][]float64) (int, error), float64, error) {
	if len(sp.calib) == 0 { // training-free cca or fbcca, targets only
		t := sp.test.cal
		fc := ssvep.FBCCAConfig{CCAConfig: ssvep.CCAConfig{Freqs: t.Freqs, SampleRate: t.SampleRate,
			Samples: len(t.Trials[0][0]), Channels: len(t.Channels), Harmonics: cfg.Model.Harmonics}}
		if method == ssvep.MethodFBCCA {
			fc.FilterBank.SubBands = cfg.Model.SubBands
		}
		d, err := ssvep.NewTrainingFree(method, fc)
		if err != nil {
			return nil, 0, err
		}
		return d.Decide, t.Offset, nil
	}
	cal, err := trials(sp.calib, w, cfg.Targets, cfg.Rest, rest)
	if err != nil {
		return nil, 0, err
	}
	mc := cfg.Model
	mc.Method, mc.Log = method, nil
	d, err := ssvep.TrainCalibration(cal, mc)
	switch {
	case err == nil && len(cal.Offsets) > 0:
		return d.Decide, ssvep.Offset(d), nil
	case err == nil:
		return d.Decide, cal.Offset, nil
	case rest || slices.Contains(calibrated, method):
		return nil, 0, err
	}
	// mdm and ts-lr without rest trials, which their auto rule (the rest
	// detector) needs: trained with rest a class of its own.
	d, err = ssvep.TrainDecoder(ssvep.TrainConfig{Method: method, SampleRate: cal.SampleRate, Freqs: cal.Freqs,
		Channels: cal.Channels}, cal.Trials, cal.Labels)
	if err != nil {
		return nil, 0, err
	}
	return d.Decide, cal.Offset, nil
}

// calibrated are the methods ssvep.TrainCalibration calibrates without
// rest trials; the others fall back to ssvep.TrainDecoder then.
var calibrated = []string{ssvep.MethodCCA, ssvep.MethodFBCCA, ssvep.MethodTRCA, ssvep.MethodETRCA}

// score decides the test session's trials (the target trials, or with
// rest all) and returns the row's figures.
func score(cfg SSVEPConfig, sp split, decide func([][]float64) (int, error), offset float64, rest bool) (SSVEPResult, error) {
	t := sp.test
	cal, err := t.cal.AtOffset(offset)
	if err != nil {
		return SSVEPResult{}, err
	}
	k := len(cal.Freqs)
	var pred, truth []int
	for i, x := range cal.Trials {
		l := cal.Labels[i]
		if l == ssvep.Rest && !rest {
			continue
		}
		d, err := decide(x)
		if err != nil {
			return SSVEPResult{}, fmt.Errorf("trial %d: %w", i, err)
		}
		// Class 0 is rest: a decoder may decide rest in a 3-class row,
		// which is wrong there.
		pred, truth = append(pred, d+1), append(truth, l+1)
	}
	classes := k
	if rest {
		classes++
	}
	row := SSVEPResult{Subject: t.rec.Subject, Session: t.rec.Session, Classes: classes, N: len(pred), CalibratedOn: []string{}}
	for _, s := range sp.calib {
		row.CalibratedOn = append(row.CalibratedOn, s.rec.Session)
	}
	row.pred, row.truth, row.targets = pred, truth, k
	if len(pred) == 0 {
		return row, nil // no trial of the kind: no row
	}
	acc := accuracy(pred, truth)
	row.Accuracy = metrics.JSONFloat(acc)
	row.BalancedAccuracy = metrics.JSONFloat(metrics.BalancedAccuracyMulti(pred, truth, k+1))
	row.ITR = metrics.JSONFloat(ssvep.ITR(classes, acc, cal.Length+cfg.GazeShift))
	return row, nil
}

func accuracy(pred, truth []int) float64 {
	correct := 0
	for i := range pred {
		if pred[i] == truth[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(pred))
}

// summarize returns each subject's figures for rows (one method, window
// and number of classes), its test sessions pooled, and their means over
// subjects; false when there are no rows.
func summarize(rows []SSVEPResult, gazeShift float64) ([]SSVEPSubject, SSVEPSummary, bool) {
	if len(rows) == 0 {
		return nil, SSVEPSummary{}, false
	}
	var names []string
	pred, truth := map[string][]int{}, map[string][]int{}
	for _, r := range rows {
		if !slices.Contains(names, r.Subject) {
			names = append(names, r.Subject)
		}
		pred[r.Subject], truth[r.Subject] = append(pred[r.Subject], r.pred...), append(truth[r.Subject], r.truth...)
	}
	r0 := rows[0]
	sum := SSVEPSummary{Method: r0.Method, WindowSeconds: r0.WindowSeconds, Classes: r0.Classes, Subjects: len(names)}
	subjects := make([]SSVEPSubject, len(names))
	var acc, bal, itr float64
	for i, name := range names {
		p, t := pred[name], truth[name]
		a := accuracy(p, t)
		// Targets are classes 1…k, rest 0: k+1 classes in all.
		b := metrics.BalancedAccuracyMulti(p, t, r0.targets+1)
		r := ssvep.ITR(r0.Classes, a, r0.WindowSeconds+gazeShift)
		subjects[i] = SSVEPSubject{Subject: name, Method: r0.Method, WindowSeconds: r0.WindowSeconds, Classes: r0.Classes,
			N: len(p), Accuracy: metrics.JSONFloat(a), BalancedAccuracy: metrics.JSONFloat(b), ITR: metrics.JSONFloat(r)}
		acc, bal, itr = acc+a, bal+b, itr+r
	}
	n := float64(len(names))
	sum.MeanAccuracy, sum.MeanBalancedAccuracy, sum.MeanITR = metrics.JSONFloat(acc/n), metrics.JSONFloat(bal/n), metrics.JSONFloat(itr/n)
	return subjects, sum, true
}
