package config

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
)

// Built is a runnable pipeline and handles on its parts.
type Built struct {
	Options     pipeline.Options
	Source      *pipeline.RecordingSource
	Files       *arrowout.FileSink
	Summary     *arrowout.Summary
	DeadLetters *pipeline.DeadLetterFile
	// DeadLetterPath is the dead-letter file.
	DeadLetterPath string
}

// Build makes the pipeline c describes. c must have passed Validate.
func (c *Config) Build(logger *slog.Logger) (*Built, error) {
	if logger == nil {
		logger = slog.Default()
	}
	specs, err := c.recordings()
	if err != nil {
		return nil, err
	}
	b := &Built{Summary: arrowout.NewSummary()}
	b.Source = pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{
		ChunkSeconds: c.Source.ChunkSeconds, Pace: c.Source.Pace, Logger: logger,
	})
	var builders []pipeline.StageBuilder
	for i, st := range c.Stages {
		sb, errs := stages.Build(st.Type, st.Name, st.Options)
		if errs != nil {
			return nil, fmt.Errorf("stages[%d]: %v", i, Errors(errs))
		}
		builders = append(builders, sb)
	}
	b.Files, err = arrowout.NewFileSink(c.Output.Dir, arrowout.FileFormat(c.Output.Format))
	if err != nil {
		return nil, err
	}
	dl := c.Output.DeadLetters
	if dl == "" {
		dl = filepath.Join(c.Output.Dir, "deadletters.jsonl")
	}
	b.DeadLetterPath = dl
	if b.DeadLetters, err = pipeline.NewDeadLetterFile(dl); err != nil {
		b.Files.Close()
		return nil, err
	}
	policy := wire.Reject
	if c.NonFinite == "allow" {
		policy = wire.Allow
	}
	b.Options = pipeline.Options{
		Source:      b.Source,
		Stages:      builders,
		Sinks:       []pipeline.Sink{b.Files, b.Summary},
		DeadLetters: b.DeadLetters,
		Window: pipeline.WindowSpec{
			Length: c.Window.Length, Hop: c.Window.Hop,
			LengthSeconds: c.Window.LengthSeconds, HopSeconds: c.Window.HopSeconds,
		},
		Workers:   c.Workers,
		NonFinite: policy,
		Logger:    logger,
	}
	return b, nil
}

// recordings lists the sessions: simulated ones first, then one per file.
func (c *Config) recordings() ([]pipeline.RecordingSpec, error) {
	var specs []pipeline.RecordingSpec
	taken := map[string]bool{}
	unique := func(id string) string {
		base, n := id, 1
		for taken[id] {
			n++
			id = fmt.Sprintf("%s-%d", base, n)
		}
		taken[id] = true
		return id
	}
	sim := c.Source.Simulate
	for i := range sim.Sessions {
		cfg := sim.Config
		cfg.Seed += uint64(i)
		id := unique(fmt.Sprintf("sim-%d", i+1))
		specs = append(specs, pipeline.RecordingSpec{
			Session: id,
			Name:    fmt.Sprintf("simulation %s (seed %d)", id, cfg.Seed),
			Open:    func() (formats.Recording, error) { return simulate.New(cfg) },
		})
	}
	opt := open.Options{Text: text.Options{
		SampleRate: c.Source.Files.SampleRate, Unit: c.Source.Files.Unit,
		TimeColumn: c.Source.Files.TimeColumn, MarkerColumn: c.Source.Files.MarkerColumn,
	}}
	for _, p := range c.Source.Files.Paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			id := unique(SessionID(f))
			specs = append(specs, pipeline.RecordingSpec{
				Session: id,
				Name:    f,
				Open:    func() (formats.Recording, error) { return open.File(f, opt) },
			})
		}
	}
	return specs, nil
}

// SessionID derives a session id from a file name: the name without
// extension (and without a FIF "_raw"), with characters outside
// [A-Za-z0-9._-] replaced by '_'.
func SessionID(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.TrimSuffix(base, "_raw")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, base)
}

// expand returns path itself, or the recordings under a folder in name
// order.
func expand(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("source.files.paths: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && open.Recordable(p) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source.files.paths: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("source.files.paths: no recordings under %s", path)
	}
	sort.Strings(out)
	return out, nil
}
