package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
)

// SSVEPConfig configures SSVEPCalibration and SSVEP: which recordings,
// how the stream prepares them, which trials are cut, and the decoder.
type SSVEPConfig struct {
	Input
	// Targets maps the event code (annotation description: an EDF+/GDF
	// annotation, a FIF -eve.fif event, a CSV marker value, a simulated
	// "ssvep/<f>Hz" trial) of each target trial to its stimulus frequency
	// in Hz; at least two distinct frequencies (ssvep.ParseTargets reads
	// "CODE=FREQ,..."). Required.
	Targets map[string]float64
	// Rest are the event codes of no-control (rest) trials. Default: none.
	Rest []string
	// Offset is the trial start after the event onset in s (the visual
	// latency): the ssvep stage's window.events.offset_seconds. Default: 0.
	Offset float64
	// Offsets are candidate offsets in s for the calibration to choose
	// from by cross-validation (cca and fbcca with Model.NoControl auto;
	// ssvep.Calibration.Offsets); Offset is then unused. Default: none,
	// Offset.
	Offsets []float64
	// Length is the trial length in s: the decision window the model
	// scores. Required.
	Length float64
	// Span is how long after its onset a trial's stimulation lasts in s
	// (ssvep.Calibration.Span): the trials are cut that long, so that
	// the stacked fbcca+ts-lr trains on several windows of Length per
	// trial. Default: 0, trials of Length from each offset only.
	Span float64
	// Channels are the channels to use, in this order. Default: every EEG
	// channel.
	Channels []string
	// Notch is the mains frequency in Hz the pipeline's notch step
	// removes (Notch) after Input.Preprocess. Default: 0, none.
	Notch float64
	// Model says which decoder is trained or calibrated, and how
	// (ssvep.TrainCalibration); its Log receives the calibration summary,
	// the accuracy and the no-control threshold.
	Model ssvep.TrainCalibrationConfig
	// Notes receives a line for each recording skipped, or event that
	// gave no trial. Default: nil, discarded.
	Notes io.Writer
}

// SSVEP trains or calibrates an SSVEP decoder (cfg.Model.Method) on the
// trials of the recordings (SSVEPCalibration), as `neurostream train
// ssvep` does; its Save writes the model file the ssvep stage loads.
func SSVEP(ctx context.Context, cfg SSVEPConfig) (ssvep.Decoder, error) {
	cal, err := SSVEPCalibration(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if m := cfg.Model.Method; ssvep.ChoosesOffset(m) && cfg.Span == 0 && cfg.Notes != nil {
		// On the exoskeleton set the stack at 2 s went from 0.659 to 0.693
		// with the windows of a 5 s span (docs/ssvep.md, What was tried).
		span := "SSVEPConfig.Span"
		if f, ok := cfg.Input.Names[span]; ok {
			span = f
		}
		fmt.Fprintf(cfg.Notes, "note: %s trains on one window per trial and candidate offset; given how long each trial's stimulation lasts (%s S), it trains on every window to there\n", m, span)
	}
	return ssvep.TrainCalibration(cal, cfg.Model)
}

// SSVEPCalibration streams the recordings through the pipeline (Input,
// Notch) in trial mode — a stim channel made from the annotations of
// cfg.Targets and cfg.Rest (run's source.stim), one window of cfg.Length
// s cfg.Offset s after each onset (run's window.events) — and keeps each
// window's picked channels as a trial labelled by its code. Recordings
// without any of the events are skipped with a note; the others must
// share the sample rate and the picked channels.
func SSVEPCalibration(ctx context.Context, cfg SSVEPConfig) (*ssvep.Calibration, error) {
	cal, labels, err := ssvep.NewCalibration(cfg.Targets, cfg.Rest, cfg.Length)
	if err != nil {
		return nil, err
	}
	if cfg.Notes == nil {
		cfg.Notes = io.Discard
	}
	// One stim code per event code, in the codes' order.
	codes := slices.Sorted(maps.Keys(labels))
	stim := config.Stim{Channel: stimLabel}
	codeLabel := map[int]int{}
	for i, c := range codes {
		stim.Events = append(stim.Events, config.StimEvent{Description: c, Code: i + 1})
		codeLabel[i+1] = labels[c]
	}
	in := cfg.Input
	if cfg.Notch > 0 {
		in.Preprocess = append(in.Preprocess[:len(in.Preprocess):len(in.Preprocess)], Notch(cfg.Notch))
	}
	offset, length := cfg.Offset, cfg.Length
	offsets := cfg.Offsets
	if len(offsets) == 0 && cfg.Span > 0 {
		offsets = []float64{cfg.Offset}
	}
	if len(offsets) > 0 {
		cal.Offsets = slices.Sorted(slices.Values(offsets))
		cal.Offsets = slices.Compact(cal.Offsets)
		// One window from the first candidate past the last (or to the
		// span), with a margin for rounding: AtOffset and Windows cut
		// each candidate's trials.
		offset = cal.Offsets[0]
		length = max(cfg.Length+cal.Offsets[len(cal.Offsets)-1], cfg.Span) - offset + offsetMargin
		cal.Span = cfg.Span
	}
	cal.Offset = offset
	window := config.Window{LengthSeconds: length, Events: config.Events{StimChannel: stimLabel, OffsetSeconds: offset}}
	r, err := in.stream(ctx, window, stim, func(r *run) pipeline.StageBuilder {
		return &ssvepCollector{channels: cfg.Channels, labels: codeLabel, run: r}
	})
	if err != nil {
		return nil, err
	}
	for _, rec := range r.list() {
		if err := addTrials(cal, rec, labels, cfg.Notes); err != nil {
			return nil, in.Rename(in.RateHint(err))
		}
	}
	if len(cal.Trials) == 0 {
		return nil, errors.New("ssvep: no trials: none of the recordings holds the listed events")
	}
	return cal, nil
}

// offsetMargin lengthens the window of several candidate offsets, so
// that every candidate's trial, rounded to samples, fits in it.
const offsetMargin = 0.05

// addTrials appends the trials rec gave to cal, with notes on what it
// did not give.
func addTrials(cal *ssvep.Calibration, rec *recording, labels map[string]int, notes io.Writer) error {
	events := 0
	for _, a := range rec.info.Annotations {
		if _, ok := labels[a.Description]; ok {
			events++
		}
	}
	sr := rec.ssvep
	if events == 0 || sr == nil {
		fmt.Fprintf(notes, "note: %s: none of the listed events, skipped\n", rec.name)
		return nil
	}
	if cal.Channels == nil {
		cal.SampleRate, cal.Channels = sr.rate, sr.channels
	} else if sr.rate != cal.SampleRate || !slices.Equal(sr.channels, cal.Channels) {
		return fmt.Errorf("%s: %v Hz, channels %s; earlier recordings: %v Hz, channels %s",
			rec.name, sr.rate, strings.Join(sr.channels, ","), cal.SampleRate, strings.Join(cal.Channels, ","))
	}
	if missed := events - len(sr.trials); missed > 0 {
		fmt.Fprintf(notes, "note: %s: %d of %d events gave no trial (it would run past the recording or start before it), skipped\n", rec.name, missed, events)
	}
	cal.Trials = append(cal.Trials, sr.trials...)
	cal.Labels = append(cal.Labels, sr.labels...)
	for range sr.trials {
		cal.Sessions = append(cal.Sessions, cal.Recordings)
	}
	cal.Recordings++
	return nil
}

// ssvepRecording is what the collector kept of one recording: its trials.
type ssvepRecording struct {
	rate     float64
	channels []string
	trials   [][][]float64
	labels   []int
}

// ssvepCollector is the training run's stage: it keeps the picked
// channels of every event window, the window the ssvep stage decodes in
// trial mode, labelled by its event code.
type ssvepCollector struct {
	channels []string
	labels   map[int]int // stim code → target index or ssvep.Rest
	run      *run
}

func (c *ssvepCollector) Name() string { return "train ssvep" }

func (c *ssvepCollector) NewSession(si pipeline.SessionInfo) (pipeline.Stage, error) {
	rec := c.run.recording(si.Session)
	idx, labels, err := pickChannels(si.Channels, c.channels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rec.name, err)
	}
	rec.ssvep = &ssvepRecording{rate: si.SampleRate, channels: labels}
	return &ssvepSession{rec: rec.ssvep, idx: idx, labels: c.labels}, nil
}

type ssvepSession struct {
	rec    *ssvepRecording
	idx    []int
	labels map[int]int
}

// Process keeps the window's picked channels (a copy: the window aliases
// the session buffer) as a trial.
func (s *ssvepSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	l, ok := s.labels[w.Event.Code]
	if !ok {
		return nil, nil
	}
	trial := make([][]float64, len(s.idx))
	for i, c := range s.idx {
		trial[i] = slices.Clone(w.Data[c])
	}
	s.rec.trials, s.rec.labels = append(s.rec.trials, trial), append(s.rec.labels, l)
	return nil, nil
}
