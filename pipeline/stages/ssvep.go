package stages

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// SSVEPConfig configures the ssvep stage: every window is scored against
// every SSVEP target by a models/ssvep decoder and decided, with the top
// score and the margin to the runner-up as its confidence. Rows are of
// kind ssvep (docs/schemas.md). With sliding windows this is asynchronous
// mode, a decision every hop; with windows locked to stimulus events
// (window.events) it is trial mode, one decision per onset at the window's
// end, whose row carries the event code.
//
// The window is decoded as a whole: FBCCA and TRCA filter it into
// sub-bands per window, zero-phase (forward-backward, as the papers and
// the offline evaluation do) unless causal is set. Zero-phase filtering
// only sees the window, so no filter state is carried between windows and
// a decision is as fresh as the window's last sample; causal filtering
// runs forward only, started from the steady state of the window's first
// sample, and adds the filters' group delay.
type SSVEPConfig struct {
	// Method is the decoder: cca, fbcca, trca, etrca, mdm, ts-lr, tdca,
	// fbcca+ts-lr, fbcca-bands+ts-lr or fbcca+ts-lr+tdca.
	// Default: the model's method, else fbcca.
	Method string `mapstructure:"method"`
	// Frequencies are the targets' stimulus frequencies in Hz. Required
	// for cca and fbcca without a model; with a model they come from it
	// and, if given, must equal it.
	Frequencies []float64 `mapstructure:"frequencies"`
	// Harmonics is the number of harmonics of the cca/fbcca references.
	// Default: the model's, else 5, or fewer if the highest would reach
	// the Nyquist frequency.
	Harmonics int `mapstructure:"harmonics"`
	// Channels are the labels of the channels to decode. Default: the
	// model's channels if it names them, else the picked channels.
	Channels []string `mapstructure:"channels"`
	// ChannelPicks selects the channels (picks, exclude) when neither
	// Channels nor the model names them. Default: the data channels (eeg,
	// meg_mag, meg_grad).
	ChannelPicks `mapstructure:",squash"`
	// SubBands is the number of fbcca sub-bands (Chen et al.: sub-band n
	// passes [8n−2, 90] Hz). Default: the model's, else 5.
	SubBands int `mapstructure:"sub_bands"`
	// Causal filters fbcca's sub-bands forward only instead of zero-phase
	// per window (see above). Default: false.
	Causal bool `mapstructure:"causal"`
	// Model is a model file `neurostream train ssvep` writes, any method
	// (ssvep.LoadDecoder): required for trca, etrca, mdm, ts-lr, tdca and
	// the stacks,
	// optional for cca and fbcca. The model's frequencies, channels,
	// sample rate, window length, method options and decision rule (its
	// calibrated no-control threshold or rest detector) apply.
	Model string `mapstructure:"model"`
	// NoControl refuses a target (decision rest) when the rule's
	// statistic is below the threshold, in place of the model's decision
	// rule. Default: the model's decision, otherwise none (always a
	// target).
	NoControl SSVEPNoControlConfig `mapstructure:"no_control"`
}

// SSVEPNoControlConfig is the ssvep stage's no-control (rest) rule.
type SSVEPNoControlConfig struct {
	// Rule is top (threshold the top score) or margin (the top score
	// minus the runner-up).
	Rule string `mapstructure:"rule"`
	// Threshold is in the method's score units; required with a rule.
	Threshold *float64 `mapstructure:"threshold"`
}

var ssvepMethods = []string{"cca", "fbcca", "trca", "etrca", "mdm", "ts-lr", "tdca", "fbcca+ts-lr", "fbcca-bands+ts-lr", "fbcca+ts-lr+tdca"}

// Validate reports each problem with its key (relative to the stage).
func (c *SSVEPConfig) Validate() []error {
	errs := append(c.ChannelPicks.validate(), c.ChannelPicks.exclusive("channels", c.Channels)...)
	method := c.Method
	if method == "" && c.Model == "" {
		method = "fbcca"
	}
	errs = append(errs, c.validateMethod(method)...)
	errs = append(errs, c.validateFrequencies()...)
	errs = append(errs, c.validateOptions(method)...)
	errs = append(errs, validateLabels("channels", c.Channels)...)
	return append(errs, c.NoControl.validate()...)
}

// trainedMethod says whether method decodes with a trained model. With a
// model and no method, the model's method is not known before it is read:
// it counts as trained (the model sets the options).
func trainedMethod(method string) bool { return method != "cca" && method != "fbcca" }

// validateMethod checks the method and what it requires: a model for the
// trained methods, frequencies for the others.
func (c *SSVEPConfig) validateMethod(method string) []error {
	var errs []error
	trained := trainedMethod(method)
	if method != "" && !slices.Contains(ssvepMethods, method) {
		errs = append(errs, fmt.Errorf("method: want one of %v, got %q", ssvepMethods, c.Method))
	}
	if trained && c.Model == "" && slices.Contains(ssvepMethods, method) {
		errs = append(errs, fmt.Errorf("model: required for method %s (a file `neurostream train ssvep` writes)", method))
	}
	if !trained && c.Model == "" && len(c.Frequencies) == 0 && slices.Contains(ssvepMethods, method) {
		errs = append(errs, fmt.Errorf("frequencies: required for method %s without a model (the targets' stimulus frequencies in Hz)", method))
	}
	if !trained && c.Model != "" && (c.Harmonics != 0 || c.SubBands != 0 || c.Causal) {
		errs = append(errs, fmt.Errorf("harmonics, sub_bands, causal: the %s model sets them (as calibrated); remove them", method))
	}
	return errs
}

// validateFrequencies checks that each frequency is positive and given
// once.
func (c *SSVEPConfig) validateFrequencies() []error {
	var errs []error
	for i, f := range c.Frequencies {
		if !(f > 0) || math.IsInf(f, 0) {
			errs = append(errs, fmt.Errorf("frequencies[%d]: want a positive frequency in Hz, got %g", i, f))
		} else if j := slices.Index(c.Frequencies, f); j < i {
			errs = append(errs, fmt.Errorf("frequencies[%d]: %g Hz repeats frequencies[%d]", i, f, j))
		}
	}
	return errs
}

// validateOptions checks harmonics, sub_bands and causal, and that each
// is given only for the methods that use it.
func (c *SSVEPConfig) validateOptions(method string) []error {
	var errs []error
	if c.Harmonics < 0 {
		errs = append(errs, fmt.Errorf("harmonics: want ≥ 1 (0 for the default), got %d", c.Harmonics))
	} else if c.Harmonics != 0 && trainedMethod(method) {
		errs = append(errs, fmt.Errorf("harmonics: only for methods cca and fbcca without a model"))
	}
	if c.SubBands < 0 {
		errs = append(errs, fmt.Errorf("sub_bands: want ≥ 1 (0 for the default 5), got %d", c.SubBands))
	} else if c.SubBands != 0 && method != "fbcca" {
		errs = append(errs, fmt.Errorf("sub_bands: only for method fbcca (a model sets its filter bank)"))
	}
	if c.Causal && method != "fbcca" {
		errs = append(errs, fmt.Errorf("causal: only for method fbcca (a model sets its filter bank)"))
	}
	return errs
}

// validate checks the rule and its threshold.
func (c *SSVEPNoControlConfig) validate() []error {
	switch r := ssvep.NoControlRule(c.Rule); {
	case r == ssvep.NoControlNone:
		if c.Threshold != nil {
			return []error{fmt.Errorf("no_control.threshold: needs no_control.rule (top or margin)")}
		}
	case !r.Valid():
		return []error{fmt.Errorf("no_control.rule: want top or margin, got %q", c.Rule)}
	case c.Threshold == nil:
		return []error{fmt.Errorf("no_control.threshold: required with rule %s", r)}
	case math.IsNaN(*c.Threshold) || math.IsInf(*c.Threshold, 0):
		return []error{fmt.Errorf("no_control.threshold: want a finite number, got %g", *c.Threshold)}
	}
	return nil
}

// SSVEP builds ssvep stage instances.
type SSVEP struct {
	name  string
	cfg   SSVEPConfig
	model []byte        // the model file, read again per session (decoders are not safe for concurrent use)
	dec   ssvep.Decoder // the model's decoder as loaded, for its metadata
}

// NewSSVEP returns the ssvep stage builder; cfg must have passed Validate.
// It loads the model file, if any; an error names the key.
func NewSSVEP(name string, cfg SSVEPConfig) (*SSVEP, error) {
	s := &SSVEP{name: name, cfg: cfg}
	if cfg.Model == "" {
		if s.cfg.Method == "" {
			s.cfg.Method = "fbcca"
		}
		return s, nil
	}
	var err error
	if s.model, err = os.ReadFile(cfg.Model); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if s.dec, err = ssvep.LoadDecoder(bytes.NewReader(s.model)); err != nil {
		return nil, fmt.Errorf("model: %s: %w", cfg.Model, err)
	}
	m := s.dec.Method()
	switch {
	case cfg.Method != "" && cfg.Method != m:
		return nil, fmt.Errorf("method: %s, but model %s is a%s %s model", cfg.Method, cfg.Model, article(m), m)
	case len(cfg.Frequencies) > 0 && !slices.Equal(cfg.Frequencies, s.dec.Freqs()):
		return nil, fmt.Errorf("frequencies: %v, but model %s has targets %v Hz", cfg.Frequencies, cfg.Model, s.dec.Freqs())
	case (m == "cca" || m == "fbcca") && (cfg.Harmonics != 0 || cfg.SubBands != 0 || cfg.Causal):
		return nil, fmt.Errorf("harmonics, sub_bands, causal: the %s model sets them (as calibrated); remove them", m)
	}
	s.cfg.Method = m
	return s, nil
}

// article is "n" before a method name that starts with a vowel sound.
func article(method string) string {
	if strings.HasPrefix(method, "e") {
		return "n"
	}
	return ""
}

// Name implements pipeline.StageBuilder.
func (s *SSVEP) Name() string { return s.name }

// NewSession implements pipeline.StageBuilder. It fails when a configured
// channel is not in the session, the picks select none, or the decoder
// cannot be built for the session's rate and window length (a model
// trained or calibrated on other windows, a window too short for fbcca's
// zero-phase filters).
func (s *SSVEP) NewSession(si pipeline.SessionInfo) (pipeline.Stage, error) {
	c := s.cfg
	labels := c.Channels
	if len(labels) == 0 && s.dec != nil {
		if n, ok := s.dec.(interface{ ChannelNames() []string }); ok {
			labels = n.ChannelNames()
		}
	}
	if len(c.Channels) == 0 && len(labels) > 0 && c.ChannelPicks.set() {
		return nil, fmt.Errorf("ssvep: picks/exclude: model %s names its channels already", c.Model)
	}
	idx, err := pickChannels("ssvep", labels, &c.ChannelPicks, si.Channels)
	if err != nil {
		return nil, err
	}
	n := int(si.WindowLength)
	st := &ssvepSession{
		method: c.Method,
		idx:    idx,
		window: n,
		n:      n,
		x:      make([][]float64, len(idx)),
		rows:   arrowout.NewSSVEPRows(nil),
	}
	if err := s.decoder(st, si); err != nil {
		return nil, fmt.Errorf("ssvep: %w", err)
	}
	if c.NoControl.Rule != "" {
		st.nc = &ssvep.NoControl{Rule: ssvep.NoControlRule(c.NoControl.Rule), Threshold: *c.NoControl.Threshold}
		if st.nc.Rule == ssvep.NoControlMargin && len(st.freqs) < 2 {
			return nil, fmt.Errorf("ssvep: no_control.rule: margin needs at least two targets")
		}
	}
	st.scores = make([]float64, len(st.freqs))
	return st, nil
}

// decoder sets st's decoder and targets for the session si: the model's,
// loaded anew, or the cca/fbcca of the configuration.
func (s *SSVEP) decoder(st *ssvepSession, si pipeline.SessionInfo) error {
	c := s.cfg
	if s.model != nil {
		d, err := ssvep.LoadDecoder(bytes.NewReader(s.model))
		if err != nil {
			return err
		}
		st.dec, st.freqs = d, d.Freqs()
		samples := st.n
		if w, ok := d.(interface{ Samples() int }); ok {
			samples = w.Samples()
		}
		if o, ok := d.(interface{ Offset() float64 }); ok && samples != st.n && o.Offset() > 0 {
			// A window from the onset itself: decode the model's part,
			// from its calibrated offset.
			skip := int(math.Round(o.Offset() * si.SampleRate))
			if st.n < skip+samples {
				return fmt.Errorf("model %s is for windows of %d samples %g s after the onset: want windows of that length from the offset, or of ≥ %d samples from the onset; the session's are %d",
					s.cfg.Model, samples, o.Offset(), skip+samples, st.n)
			}
			st.from, st.n = skip, samples
		}
		return s.checkModel(d.Channels(), d.SampleRate(), samples, len(st.idx), si.SampleRate, st.n)
	}
	cca := ssvep.CCAConfig{Freqs: c.Frequencies, SampleRate: si.SampleRate, Samples: st.n, Channels: len(st.idx), Harmonics: c.Harmonics}
	fb := ssvep.FilterBankConfig{SubBands: c.SubBands, Causal: c.Causal}
	if c.Method == "cca" {
		fb = ssvep.FilterBankConfig{}
	}
	d, err := ssvep.NewTrainingFree(c.Method, ssvep.FBCCAConfig{CCAConfig: cca, FilterBank: fb})
	if err != nil {
		return err
	}
	st.dec, st.freqs = d, d.Freqs()
	return nil
}

// checkModel reports a model for other channels, rate or windows than the
// session's.
func (s *SSVEP) checkModel(channels int, rate float64, samples, sessionChannels int, sessionRate float64, sessionSamples int) error {
	switch {
	case channels != sessionChannels:
		return fmt.Errorf("model %s is for %d channels, the stage decodes %d", s.cfg.Model, channels, sessionChannels)
	case rate != sessionRate:
		msg := fmt.Sprintf("model %s is for %g Hz, the session is at %g Hz", s.cfg.Model, rate, sessionRate)
		if hint := resampleHint(rate, sessionRate); hint != "" {
			msg += ": " + hint
		}
		return errors.New(msg)
	case samples != sessionSamples:
		return fmt.Errorf("model %s is for windows of %d samples, the session's are %d", s.cfg.Model, samples, sessionSamples)
	}
	return nil
}

type ssvepSession struct {
	method string
	idx    []int
	window int // samples per window
	from   int // first sample decoded (a model's calibrated offset)
	n      int // samples decoded
	dec    ssvep.Decoder
	freqs  []float64
	nc     *ssvep.NoControl // the configuration's rule, in place of the decoder's decision
	x      [][]float64      // the decoded channels, aliasing the window
	scores []float64
	rows   *arrowout.SSVEPRows
}

// Process scores the window against every target and decides.
func (s *ssvepSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	if len(w.Data[0]) != s.window {
		return nil, fmt.Errorf("ssvep: window of %d samples, the session's are %d", len(w.Data[0]), s.window)
	}
	for i, c := range s.idx {
		s.x[i] = w.Data[c][s.from : s.from+s.n]
	}
	scores, decision, err := ssvep.ScoreDecide(s.dec, s.scores, s.x)
	clear(s.x)
	if err != nil {
		return nil, err
	}
	s.scores = scores
	if s.nc != nil {
		decision = s.nc.Decide(scores)
	}
	row := arrowout.SSVEPRow{Method: s.method, Scores: scores, Frequencies: s.freqs}
	if w.Event != nil {
		row.Trial, row.EventCode = true, w.Event.Code
	}
	row.Decision, row.Frequency = ssvep.Rest, math.NaN()
	row.Score, row.Margin = topMargin(scores)
	if decision != ssvep.Rest {
		row.Decision, row.Frequency = decision, s.freqs[decision]
	}
	s.rows.Reserve(1, len(scores))
	s.rows.Append(w.WindowKey, &row)
	return []arrowout.Result{{Kind: arrowout.KindSSVEP, Key: w.WindowKey, Record: s.rows.Flush()}}, nil
}

// topMargin returns the top score and its margin over the runner-up (NaN
// for a single score).
func topMargin(scores []float64) (top, margin float64) {
	top = scores[ssvep.Argmax(scores)]
	if len(scores) < 2 {
		return top, math.NaN()
	}
	return top, ssvep.NoControl{Rule: ssvep.NoControlMargin}.Statistic(scores)
}
