package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
)

// SeizureConfig configures SeizureDataset and Seizure: which recordings,
// how the stream prepares them, which windows are cut and labelled, and
// the model. Zero fields take the defaults.
type SeizureConfig struct {
	Input
	// Reference "average" re-references the EEG channels to their mean
	// with the pipeline's reference step (AverageReference), after
	// Input.Preprocess. Default: "", as recorded.
	Reference string
	// Window is the window length in s: the seizure stage's window.
	// Default: 4.
	Window float64
	// Hop is the time between window starts in s. Default: 2.
	Hop float64
	// Labels are the annotation descriptions that mark seizures, compared
	// case-insensitively, surrounding spaces ignored. Default:
	// ["seizure"], what simulated sessions carry.
	Labels []string
	// EventsDir is a folder of SzCORE <name>_events.tsv files, whose
	// seizure rows are seizure spans too. Default: "", the events file next
	// to each recording (seizure.EventsFile).
	EventsDir string
	// Channels are the channels to use, in this order. Default: every EEG
	// channel.
	Channels []string
	// Coherence and Extended add those features (seizure.FeatureConfig).
	// Default: false.
	Coherence, Extended bool
	// Baseline, when > 0, trains on features relative to each
	// recording's running baseline with this time constant in s
	// (seizure.FeatureConfig.BaselineSeconds): every window, labelled or
	// not, joins the baseline in stream order, as in the stage. Default:
	// 0, absolute features.
	Baseline float64
	// PoolChannels trains on each feature's mean, smallest and largest
	// value over the channels (seizure.FeatureConfig.PoolChannels).
	// Default: false.
	PoolChannels bool
	// Classifier is logreg (L2 logistic regression) or gbt
	// (gradient-boosted trees, Train.Boost's defaults). Default: logreg.
	Classifier string
	// Train configures the model (its Balanced is set: recordings hold
	// far fewer seizure windows than background ones; Boost by
	// Classifier). Lambda 0 is the default 0.01.
	Train seizure.TrainConfig
	// Folds, Seed and NoCV configure the cross-validated estimate
	// (seizure.TrainDatasetConfig). Default: 5 folds, seed 0.
	Folds int
	Seed  uint64
	NoCV  bool
	// Notes receives a line for each recording skipped or lacking labels,
	// and why the estimate was skipped. Default: nil, discarded.
	Notes io.Writer
	// Log receives the dataset summary and the estimate. Default: nil,
	// discarded.
	Log io.Writer
}

func (c SeizureConfig) withDefaults() SeizureConfig {
	if c.Window == 0 {
		c.Window = 4
	}
	if c.Hop == 0 {
		c.Hop = 2
	}
	if c.Labels == nil {
		c.Labels = []string{"seizure"}
	}
	if c.Classifier == "" {
		c.Classifier = "logreg"
	}
	if c.Folds == 0 {
		c.Folds = 5
	}
	if c.Notes == nil {
		c.Notes = io.Discard
	}
	return c
}

// Validate reports the first setting that cannot be trained with, by
// the name Input.Names gives it.
func (c SeizureConfig) Validate() error {
	c = c.withDefaults()
	var err error
	switch {
	case !(c.Window > 0) || !(c.Hop > 0):
		err = fmt.Errorf("SeizureConfig.Window %v s, SeizureConfig.Hop %v s: want lengths > 0", c.Window, c.Hop)
	case c.Reference != "" && c.Reference != "average":
		err = fmt.Errorf("SeizureConfig.Reference %q: want average (or nothing: as recorded)", c.Reference)
	case c.Classifier != "logreg" && c.Classifier != "gbt":
		err = fmt.Errorf("SeizureConfig.Classifier %q: want logreg or gbt", c.Classifier)
	case !(c.Baseline >= 0) || math.IsInf(c.Baseline, 0):
		err = fmt.Errorf("SeizureConfig.Baseline %v s: want a finite time constant ≥ 0", c.Baseline)
	case !(c.Train.Lambda >= 0):
		err = errors.New("SeizureConfig.Train.Lambda must be ≥ 0")
	case !c.NoCV && c.Folds < 2:
		err = fmt.Errorf("SeizureConfig.Folds must be at least 2, got %d", c.Folds)
	case len(c.Labels) == 0:
		err = errors.New("SeizureConfig.Labels: give at least one annotation description")
	}
	if err != nil {
		return c.Rename(fmt.Errorf("train: %w", err))
	}
	return nil
}

// Seizure trains a seizure detector on every labelled window of the
// recordings (SeizureDataset), as `neurostream train seizure` does: it
// writes the dataset's summary and the cross-validated estimate to
// cfg.Log (seizure.TrainDataset).
func Seizure(ctx context.Context, cfg SeizureConfig) (*seizure.Model, error) {
	d, err := SeizureDataset(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tc := cfg.Train
	tc.Balanced = true
	if cfg.Classifier == "gbt" {
		tc.Boost = &seizure.BoostConfig{}
	}
	return seizure.TrainDataset(d, seizure.TrainDatasetConfig{Train: tc, Folds: cfg.Folds, Seed: cfg.Seed,
		NoCV: cfg.NoCV, Log: cfg.Log, Notes: cfg.Notes})
}

// SeizureDataset streams the recordings through the pipeline (Input,
// Reference) with windows of cfg.Window s every cfg.Hop s, and keeps the
// seizure stage's features of every labelled window: a window fully
// inside a seizure span is ictal, one touching no span is background, and
// windows partly overlapping a span are skipped (seizure.WindowClass).
// Seizure spans are the annotations whose description is one of
// cfg.Labels and the seizure rows of the recording's SzCORE events file
// (seizure.SeizureSpans, seizure.EventsFile). All recordings must share
// the sample rate (after preprocessing) and the number of channels picked.
func SeizureDataset(ctx context.Context, cfg SeizureConfig) (*seizure.Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	in := cfg.Input
	in.Preprocess = append(in.Preprocess[:len(in.Preprocess):len(in.Preprocess)], seizureSteps(cfg)...)
	r, err := in.stream(ctx, config.Window{LengthSeconds: cfg.Window, HopSeconds: cfg.Hop}, config.Stim{},
		func(r *run) pipeline.StageBuilder { return &seizureCollector{cfg: cfg, run: r} })
	if err != nil {
		return nil, err
	}
	d := &seizure.Dataset{Window: cfg.Window, Hop: cfg.Hop}
	for _, rec := range r.list() {
		if err := addSeizure(d, rec, cfg.Notes); err != nil {
			return nil, in.Rename(in.RateHint(err))
		}
	}
	if d.Channels == nil {
		return nil, errors.New("train: no recording gave windows")
	}
	return d, nil
}

// seizureSteps are the preprocessing steps cfg adds to its Input's.
func seizureSteps(cfg SeizureConfig) []config.Stage {
	if cfg.Reference == "average" {
		return []config.Stage{AverageReference()}
	}
	return nil
}

// addSeizure appends the windows rec gave to d, with rec's notes.
func addSeizure(d *seizure.Dataset, rec *recording, notes io.Writer) error {
	for _, n := range rec.notes {
		fmt.Fprintf(notes, "note: %s: %s\n", rec.name, n)
	}
	sr := rec.seizure
	if sr == nil {
		fmt.Fprintf(notes, "note: %s: no samples, skipped\n", rec.name)
		return nil
	}
	if d.Channels == nil {
		d.Features, d.Channels = sr.features, sr.channels
	} else if sr.features.SampleRate != d.Features.SampleRate || sr.features.Channels != d.Features.Channels {
		return fmt.Errorf("%s: %v Hz, %d channels; earlier recordings: %v Hz, %d channels",
			rec.name, sr.features.SampleRate, sr.features.Channels, d.Features.SampleRate, d.Features.Channels)
	}
	if sr.windows == 0 {
		fmt.Fprintf(notes, "note: %s: shorter than one window, skipped\n", rec.name)
		return nil
	}
	if len(sr.spans) == 0 {
		fmt.Fprintf(notes, "note: %s: no seizure labels, background windows only\n", rec.name)
	}
	for i, x := range sr.x {
		d.X, d.Y = append(d.X, x), append(d.Y, sr.y[i])
		d.Recording, d.Position = append(d.Recording, d.Recordings), append(d.Position, sr.position[i])
	}
	d.Recordings++
	return nil
}

// seizureRecording is what the collector kept of one recording: its
// labelled windows' features and where they lie.
type seizureRecording struct {
	features seizure.FeatureConfig
	channels []string
	spans    []seizure.Span
	windows  int // windows seen, skipped ones included
	x        [][]float64
	y        []bool
	position []int
}

// seizureCollector is the training run's stage: it computes the features
// of every labelled window as the seizure stage does (seizure.Extractor
// on the picked channels of the runtime's window) and keeps them.
type seizureCollector struct {
	cfg SeizureConfig
	run *run
}

func (c *seizureCollector) Name() string { return "train seizure" }

func (c *seizureCollector) NewSession(si pipeline.SessionInfo) (pipeline.Stage, error) {
	rec := c.run.recording(si.Session)
	idx, labels, err := pickChannels(si.Channels, c.cfg.Channels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rec.name, err)
	}
	ex, err := seizure.NewExtractor(seizure.FeatureConfig{SampleRate: si.SampleRate, WindowLen: int(si.WindowLength),
		Channels: len(idx), Coherence: c.cfg.Coherence, Extended: c.cfg.Extended, BaselineSeconds: c.cfg.Baseline, PoolChannels: c.cfg.PoolChannels})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rec.name, err)
	}
	var events []szcore.Event
	if tsv := seizure.EventsFile(rec.name, c.cfg.EventsDir); tsv != "" {
		if events, err = szcore.ReadFile(tsv); err != nil {
			return nil, err
		}
	} else if c.cfg.EventsDir != "" {
		rec.notes = append(rec.notes, "no events TSV in "+c.cfg.EventsDir)
	}
	rec.seizure = &seizureRecording{features: ex.Config(), channels: labels,
		spans: seizure.SeizureSpans(rec.info.Annotations, c.cfg.Labels, events)}
	ss := &seizureSession{rec: rec.seizure, ex: ex, idx: idx, x: make([][]float64, len(idx)),
		rate: si.SampleRate, length: si.WindowLength}
	if c.cfg.Baseline > 0 {
		ss.base = seizure.NewBaseline(ex.InputLen(), c.cfg.Baseline)
	}
	return ss, nil
}

type seizureSession struct {
	rec    *seizureRecording
	ex     *seizure.Extractor
	idx    []int
	x      [][]float64 // the picked channels, aliasing the window
	rate   float64
	length int64
	base   *seizure.Baseline // nil for absolute features
}

// Process labels the window and, unless it is skipped, keeps its
// features. With a baseline, every window's features join it, skipped
// ones too, as the stage's do.
func (s *seizureSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	s.rec.windows = int(w.Window) + 1
	start := float64(w.StartSample) / s.rate
	class := seizure.WindowClass(start, float64(w.StartSample+s.length)/s.rate, s.rec.spans)
	if class < 0 && s.base == nil {
		return nil, nil
	}
	for i, c := range s.idx {
		s.x[i] = w.Data[c]
	}
	f := s.ex.Features(nil, s.x)
	clear(s.x)
	if s.ex.Config().PoolChannels {
		f = s.ex.Input(make([]float64, s.ex.InputLen()), f)
	}
	if s.base != nil {
		s.base.Relative(f, start) // as seizure.Detector.ProbabilityAt
		if class < 0 {
			return nil, nil
		}
	}
	s.rec.x = append(s.rec.x, f)
	s.rec.y = append(s.rec.y, class == 1)
	s.rec.position = append(s.rec.position, int(w.Window))
	return nil, nil
}
