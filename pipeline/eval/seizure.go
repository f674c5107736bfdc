package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"

	"github.com/neurostream/neurostream/configs"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/models/metrics"
	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/pipeline/train"
)

// ShippedModel is the model path of configs/seizure-monitor.yaml: when no
// such file exists where Seizure runs, the model embedded in the binary
// (configs.SeizureSimModel) is used.
const ShippedModel = "configs/models/" + configs.SeizureSimModelName

// SeizureConfig configures Seizure.
type SeizureConfig struct {
	// Input are the recordings, read with run's source options
	// (Input.Files, as for `train seizure`); Input.Preprocess runs before
	// the configuration's own steps. Files.Paths is required.
	Input train.Input
	// Config is the pipeline configuration whose seizure stage is
	// evaluated: its window, preprocessing and stage as they are, its
	// source replaced by Input and its outputs by SzCORE files
	// (config.LoadFile: a file or builtin:NAME.yaml). Default:
	// builtin:seizure-monitor.yaml.
	Config string
	// Model replaces the seizure stage's model file. Default: the
	// configuration's.
	Model string
	// Labels are the annotation descriptions that mark the reference
	// seizures, as for `train seizure`. Default: ["seizure"].
	Labels []string
	// EventsDir is a folder of SzCORE <name>_events.tsv reference files.
	// Default: "", the events file next to each recording
	// (seizure.EventsFile). A BIDS recording's is its events TSV.
	EventsDir string
	// DurationTolerance is how many seconds a detection file may be
	// shorter or longer than its recording (metrics.ScoreRecording).
	// Default: 0.
	DurationTolerance float64
	// WorkDir receives the run's files (results, SzCORE detections, the
	// shipped model). Default: a temporary folder, removed at the end.
	WorkDir string
	// Logger receives the run's log. Default: nil, discarded.
	Logger *slog.Logger
	// Notes receives a line for each recording scored otherwise than one
	// might expect. Default: nil, discarded.
	Notes io.Writer
}

// SeizureScores are the SzCORE figures of one recording or of all.
type SeizureScores struct {
	// Event and Sample are SzCORE event and sample scoring (timescoring
	// 0.0.7 rules): sensitivity, precision, F1, false alarms per 24 h
	// (fpRate) and the counts.
	Event  metrics.Results `json:"event"`
	Sample metrics.Results `json:"sample"`
	// AlarmLatency is, for each reference seizure in order, how long after
	// its onset the alarm was on in s (metrics.AlarmLatencies); null when
	// it was missed.
	AlarmLatency []metrics.JSONFloat `json:"alarm_latency_seconds"`
}

// SeizureRecord is one recording's evaluation.
type SeizureRecord struct {
	Subject string `json:"subject"`
	Session string `json:"session"`
	Path    string `json:"path"`
	SeizureScores
	// Alarms are the reference seizures as event scoring scored them, with
	// their alarm times.
	Alarms []metrics.EventAlarm `json:"alarms"`
	// Note says when the detections were scored otherwise than as
	// written (missing, padded, truncated, discarded).
	Note string `json:"note,omitempty"`
}

// SeizureEvaluation is what Seizure found; its JSON is `neurostream eval
// seizure --json`'s.
type SeizureEvaluation struct {
	Records []SeizureRecord `json:"records"`
	// Total sums the counts of all recordings (szcore-evaluation's
	// cumulated figures) and pools their latencies.
	Total SeizureScores `json:"total"`
}

// Seizure runs the seizure pipeline of cfg.Config on the recordings of
// cfg.Input as `run` does, writing each recording's detections as an
// SzCORE file (output.szcore), and scores them against the reference
// seizures of each recording — the cfg.Labels annotations and its SzCORE
// events file, as `train seizure` labels windows — with SzCORE event and
// sample scoring and alarm latencies, as `neurostream score` does.
func Seizure(ctx context.Context, cfg SeizureConfig) (*SeizureEvaluation, error) {
	if cfg.Labels == nil {
		cfg.Labels = []string{"seizure"}
	}
	if cfg.Notes == nil {
		cfg.Notes = io.Discard
	}
	if !(cfg.DurationTolerance >= 0) {
		return nil, fmt.Errorf("eval: duration tolerance %v s: want ≥ 0", cfg.DurationTolerance)
	}
	recs, err := Recordings(cfg.Input)
	if err != nil {
		return nil, err
	}
	work := cfg.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "neurostream-eval-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	c, err := seizureRun(cfg, work)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := c.Run(ctx, config.RunOptions{Logger: log, Progress: cfg.Input.Progress}); err != nil {
		return nil, cfg.Input.Rename(fmt.Errorf("eval: run: %w", err))
	}
	hyps, err := detectionFiles(c.Output.SzCORE)
	if err != nil {
		return nil, err
	}
	ev := &SeizureEvaluation{Records: []SeizureRecord{}, Total: SeizureScores{AlarmLatency: []metrics.JSONFloat{}}}
	var event, sample metrics.Totals
	for _, r := range recs {
		rec, rs, err := scoreRecording(cfg, r, hyps[r.Spec.Session+"_events.tsv"])
		if err != nil {
			return nil, err
		}
		if rec.Note != "" {
			fmt.Fprintf(cfg.Notes, "note: %s: %s\n", r.Spec.Name, rec.Note)
		}
		event.Add(rs.Event.Score)
		sample.Add(rs.Sample)
		ev.Records = append(ev.Records, rec)
		ev.Total.AlarmLatency = append(ev.Total.AlarmLatency, rec.AlarmLatency...)
	}
	ev.Total.Event, ev.Total.Sample = results(event), results(sample)
	return ev, nil
}

// seizureRun returns the configuration Seizure runs: cfg.Config with the
// recordings as source, the model replaced, and results and SzCORE files
// under work.
func seizureRun(cfg SeizureConfig, work string) (*config.Config, error) {
	name := cfg.Config
	if name == "" {
		name = config.BuiltinPrefix + "seizure-monitor.yaml"
	}
	c, err := config.LoadFile(name)
	if err != nil {
		return nil, err
	}
	stage := -1
	for i, s := range c.Stages {
		if s.Type == "seizure" {
			stage = i
		}
	}
	if stage < 0 {
		return nil, fmt.Errorf("eval: %s has no seizure stage", name)
	}
	opts := map[string]any{}
	for k, v := range c.Stages[stage].Options {
		opts[k] = v
	}
	model, _ := opts["model"].(string)
	if cfg.Model != "" {
		model = cfg.Model
	} else if _, err := os.Stat(model); errors.Is(err, fs.ErrNotExist) && model == ShippedModel {
		model = filepath.Join(work, configs.SeizureSimModelName)
		if err := os.WriteFile(model, configs.SeizureSimModel, 0o644); err != nil {
			return nil, err
		}
	}
	opts["model"] = model
	c.Stages = []config.Stage{{Type: "seizure", Options: opts}}
	c.Preprocess = append(cfg.Input.Preprocess[:len(cfg.Input.Preprocess):len(cfg.Input.Preprocess)], c.Preprocess...)
	c.Source = config.Default().Source
	c.Source.Files = cfg.Input.Files
	if c.Source.Files.Unit == "" {
		c.Source.Files.Unit = "uV"
	}
	c.SessionIdleSeconds = 0 // every sample is waited for, however slow
	c.Output = config.Default().Output
	c.Output.Dir = filepath.Join(work, "results")
	c.Output.SzCORE = filepath.Join(work, "szcore")
	c.Metrics = config.Metrics{}
	if err := c.Validate(); err != nil {
		return nil, cfg.Input.Rename(fmt.Errorf("eval: %s:\n%w", name, err))
	}
	return c, nil
}

// detectionFiles maps the base name of each SzCORE file under dir to its
// path: the sink writes a session's at <session>_events.tsv, a BIDS
// session's in BIDS folders.
func detectionFiles(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll // no session ended
			}
			return err
		}
		if !d.IsDir() {
			files[d.Name()] = p
		}
		return nil
	})
	return files, err
}

// scoreRecording scores the detections in hyp (a path, "" for none) of
// the recording r against its reference seizures.
func scoreRecording(cfg SeizureConfig, r Recording, hyp string) (SeizureRecord, metrics.RecordingScore, error) {
	rec := SeizureRecord{Subject: r.Subject, Session: r.Session, Path: r.Spec.Name, Alarms: []metrics.EventAlarm{}}
	ref, err := referenceMask(cfg, r)
	if err != nil {
		return rec, metrics.RecordingScore{}, err
	}
	var hypMask []bool
	if hyp != "" {
		events, err := szcore.ReadFile(hyp)
		if err != nil {
			return rec, metrics.RecordingScore{}, err
		}
		if len(events) > 0 {
			if hypMask, err = szcore.SeizureMask(events, metrics.RecordingRate); err != nil {
				return rec, metrics.RecordingScore{}, fmt.Errorf("%s: %w", hyp, err)
			}
		}
	}
	rs, err := metrics.ScoreRecording(ref, hypMask, cfg.DurationTolerance)
	if err != nil {
		return rec, rs, fmt.Errorf("%s: %w", r.Spec.Name, err)
	}
	rec.Note = rs.Note
	var event, sample metrics.Totals
	event.Add(rs.Event.Score)
	sample.Add(rs.Sample)
	rec.Event, rec.Sample = results(event), results(sample)
	rec.AlarmLatency = []metrics.JSONFloat{}
	for _, l := range metrics.AlarmLatencies(rs.Event, metrics.DefaultEventParams()) {
		rec.AlarmLatency = append(rec.AlarmLatency, metrics.JSONFloat(l.Latency))
		rec.Alarms = append(rec.Alarms, metrics.EventAlarm{Reference: r.Spec.Name, Onset: metrics.JSONFloat(l.Event.Start),
			Offset: metrics.JSONFloat(l.Event.Stop), Alarm: metrics.JSONFloat(l.Alarm), Latency: metrics.JSONFloat(l.Latency)})
	}
	return rec, rs, nil
}

// referenceMask returns the 1 Hz reference mask of the recording r: its
// seizure spans (cfg.Labels annotations, SzCORE events file) over its
// duration, as an SzCORE reference file of them would give.
func referenceMask(cfg SeizureConfig, r Recording) ([]bool, error) {
	src, err := r.Spec.Open()
	if err != nil {
		return nil, cfg.Input.Rename(err)
	}
	info := src.Info()
	src.Close()
	var events []szcore.Event
	if tsv := seizure.EventsFile(r.Spec.Name, cfg.EventsDir); tsv != "" {
		if events, err = szcore.ReadFile(tsv); err != nil {
			return nil, err
		}
	}
	d := info.Duration()
	rows := []szcore.Event{{Onset: 0, Duration: d, EventType: "bckg", RecordingDuration: d, Confidence: math.NaN()}}
	for _, s := range seizure.SeizureSpans(info.Annotations, cfg.Labels, events) {
		rows = append(rows, szcore.Event{Onset: s.Onset, Duration: s.Offset - s.Onset, EventType: "sz", RecordingDuration: d, Confidence: math.NaN()})
	}
	return szcore.SeizureMask(rows, metrics.RecordingRate)
}

// results are the rates and counts of t as metrics.Results.
func results(t metrics.Totals) metrics.Results {
	s := t.Score()
	return metrics.Results{Sensitivity: metrics.JSONFloat(s.Sensitivity), Precision: metrics.JSONFloat(s.Precision),
		F1: metrics.JSONFloat(s.F1), FPRate: metrics.JSONFloat(s.FPRate),
		TP: t.TP, FP: t.FP, RefTrue: t.RefTrue, Duration: metrics.JSONFloat(t.Duration)}
}
