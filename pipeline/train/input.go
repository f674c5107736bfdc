package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
)

// Input is where training recordings come from and how the stream
// prepares them, in run's terms.
type Input struct {
	// Files are the recordings and how to read them: run's source.files
	// (paths of files or folders, a folder of sub-* folders being a BIDS
	// dataset; sample_rate and unit of plain-text files; CSV time and
	// marker columns; channel files and labels). Files.Paths is required.
	// Default unit: uV.
	Files config.Files
	// Preprocess are the steps run before windowing: run's preprocess.
	// Default: none.
	Preprocess []config.Stage
	// Names maps configuration keys (source.files.sample_rate) to the
	// caller's names for them (FlagNames), in errors. Default: none, the
	// keys.
	Names map[string]string
	// Progress, when it is a terminal, shows a bar while the recordings
	// are read (as run over recordings does); elsewhere nothing is
	// written. Default: nil.
	Progress io.Writer
}

// FlagNames are `neurostream train`'s flags for the keys of Input and the
// fields of SeizureConfig and SSVEPConfig.
var FlagNames = map[string]string{
	"source.files.paths":          "--data",
	"source.files.sample_rate":    "--rate",
	"source.files.unit":           "--unit",
	"source.files.time_column":    "--time-column",
	"source.files.marker_column":  "--marker-column",
	"source.files.channel_files":  "--channel-files",
	"source.files.channel_labels": "--channel-labels",
	"SeizureConfig.Window":        "--window",
	"SeizureConfig.Hop":           "--hop",
	"SeizureConfig.Reference":     "--reference",
	"SeizureConfig.Classifier":    "--classifier",
	"SeizureConfig.Train.Lambda":  "--lambda",
	"SeizureConfig.Folds":         "--folds",
	"SeizureConfig.Labels":        "--labels",
	"SeizureConfig.Baseline":      "--baseline",
	"SSVEPConfig.Span":            "--span",
}

// AverageReference is the pipeline's common average reference of the
// EEG channels, as run's `{type: reference, types: [eeg]}`.
func AverageReference() config.Stage {
	return config.Stage{Type: "reference", Options: map[string]any{"types": []string{"eeg"}}}
}

// Notch is the pipeline's notch step at freq Hz (Q 30, no harmonics), as
// run's `{type: notch, freq: F}`: causal, started from zero state.
func Notch(freq float64) config.Stage {
	return config.Stage{Type: "notch", Options: map[string]any{"freq": freq}}
}

// stimLabel labels the stim channel the SSVEP trainer adds from the
// annotations (run's source.stim.channel default).
const stimLabel = "STI"

// recording is one training recording as the source opened it, and what
// the collector stage kept of it.
type recording struct {
	order   int    // its place among the recordings
	session string // its session id
	name    string // its path: for notes and events files
	info    *formats.Info
	notes   []string
	// What the collector kept (one of them), set by its session.
	seizure *seizureRecording
	ssvep   *ssvepRecording
}

// run is the set of recordings of one training run, by session.
type run struct {
	mu   sync.Mutex
	recs map[string]*recording
}

// recording returns the recording of session, opened by the source
// before the session's first chunk.
func (r *run) recording(session string) *recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recs[session]
}

// list returns the recordings opened, in order.
func (r *run) list() []*recording {
	recs := make([]*recording, 0, len(r.recs))
	for _, rec := range r.recs {
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b *recording) int { return a.order - b.order })
	return recs
}

// stream runs the recordings of in through the pipeline, as run would
// with windows window and source.stim stim, to the stage that newStage
// makes for the run: the recordings open through run's source options,
// their chunks go through run's preprocessing and windows. Anything the
// stream would set aside (a recording it cannot read, a dead letter)
// fails training.
func (in Input) stream(ctx context.Context, window config.Window, stim config.Stim, newStage func(*run) pipeline.StageBuilder) (*run, error) {
	c := config.Default()
	c.SessionIdleSeconds = 0 // training waits for every sample, however slow
	// Training's only sink is the stage it reads; run's default output
	// would create ./out and a dead-letter file in the user's folder.
	c.Output.Dir = ""
	c.Source.Files, c.Source.Stim, c.Window, c.Preprocess = in.Files, stim, window, in.Preprocess
	if c.Source.Files.Unit == "" {
		c.Source.Files.Unit = "uV"
	}
	if len(c.Source.Files.Paths) == 0 {
		return nil, in.Rename(errors.New("train: no recordings: give source.files.paths"))
	}
	if err := c.ValidateInput(); err != nil {
		return nil, in.Rename(err)
	}
	specs, err := c.Recordings()
	if err != nil {
		return nil, in.Rename(err)
	}
	r := &run{recs: map[string]*recording{}}
	for i := range specs {
		open, spec := specs[i].Open, specs[i]
		specs[i].Open = func() (formats.Recording, error) {
			rec, err := open()
			if err == nil {
				r.mu.Lock()
				r.recs[spec.Session] = &recording{order: i, session: spec.Session, name: spec.Name, info: rec.Info()}
				r.mu.Unlock()
			}
			return rec, err
		}
	}
	logger := slog.New(slog.DiscardHandler)
	b, err := c.Build(logger)
	if err != nil {
		return nil, in.Rename(err)
	}
	src := pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{ChunkSeconds: c.Source.ChunkSeconds, Logger: logger})
	dead := &stopOnDeadLetter{}
	opt := b.Options
	opt.Source, opt.Stages, opt.Sinks, opt.DeadLetters = src, []pipeline.StageBuilder{newStage(r)}, []pipeline.Sink{discard{}}, dead
	runner, err := pipeline.New(opt)
	if err != nil {
		return nil, err
	}
	bar := config.RecordingProgress(in.Progress, src)
	err = runner.Run(ctx)
	bar.Close()
	switch {
	case dead.err != nil:
		return nil, in.Rename(fmt.Errorf("train: %w", dead.err))
	case len(src.Errors()) > 0:
		return nil, in.Rename(fmt.Errorf("train: %w", errors.Join(src.Errors()...)))
	case err != nil:
		return nil, err
	}
	return r, nil
}

// RateHint adds to err, an error of recordings at different rates, what
// to do when the rates were fitted from a time column: they differ a
// little from file to file.
func (in Input) RateHint(err error) error {
	if in.Files.TimeColumn == "" || in.Files.SampleRate != 0 {
		return err
	}
	return fmt.Errorf("%w (rates fitted from source.files.time_column differ a little per file: set source.files.sample_rate to read them at one rate)", err)
}

// Rename names the configuration keys in err as in.Names does (the
// flags of the command that set them).
func (in Input) Rename(err error) error {
	if err == nil || len(in.Names) == 0 {
		return err
	}
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(in.Names)) {
		pairs = append(pairs, k, in.Names[k])
	}
	msg := err.Error()
	if renamed := strings.NewReplacer(pairs...).Replace(msg); renamed != msg {
		return &renamedError{renamed, err}
	}
	return err
}

type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

// errStop stops a training run at its first dead letter.
var errStop = errors.New("train: stopped at a message the stream would set aside")

// stopOnDeadLetter keeps the first dead letter and stops the run: a
// training set with a chunk, window or recording missing would not be the
// one asked for.
type stopOnDeadLetter struct {
	mu  sync.Mutex
	err error
}

func (s *stopOnDeadLetter) DeadLetter(_ context.Context, d pipeline.DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = fmt.Errorf("%s (%s)", d.Err, d.Reason)
	}
	return errStop
}

func (s *stopOnDeadLetter) Close() error { return nil }

// discard is the run's sink: the collector hands its windows over in
// memory and writes no rows.
type discard struct{}

func (discard) Write(context.Context, []arrowout.Result) error { return nil }
func (discard) Close() error                                   { return nil }

// pickChannels returns the indices and labels of the named channels, in
// that order, or of every EEG channel when names is empty.
func pickChannels(chs []formats.Channel, names []string) ([]int, []string, error) {
	var idx []int
	var labels []string
	if len(names) == 0 {
		for i, ch := range chs {
			if ch.Type == formats.EEG {
				idx, labels = append(idx, i), append(labels, ch.Label)
			}
		}
		if len(idx) == 0 {
			return nil, nil, errors.New("no EEG channels; name the channels to use")
		}
		return idx, labels, nil
	}
	for _, want := range names {
		i := slices.IndexFunc(chs, func(ch formats.Channel) bool { return ch.Label == want })
		if i < 0 {
			all := make([]string, len(chs))
			for j, ch := range chs {
				all[j] = ch.Label
			}
			return nil, nil, fmt.Errorf("no channel %q (channels: %s)", want, strings.Join(all, ","))
		}
		idx, labels = append(idx, i), append(labels, want)
	}
	return idx, labels, nil
}
