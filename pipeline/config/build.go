package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/bids"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/lslout"
	"github.com/neurostream/neurostream/pipeline/sinks"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
)

// Built is a runnable pipeline and handles on its parts. Source is nil
// for a Kafka source (KafkaSource is set), Files is nil without output.dir.
type Built struct {
	Options     pipeline.Options
	Source      *pipeline.RecordingSource
	KafkaSource *pkafka.Source
	KafkaSink   *pkafka.ResultSink
	// State is the checkpoints' store (source.kafka.checkpoints), when
	// the source is Kafka.
	State *pkafka.StateStore
	// KafkaDeadLetters is the dead-letter topic's sink, when Kafka output
	// is configured.
	KafkaDeadLetters *pkafka.DeadLetterSink
	Files            *sinks.FileSink
	SzCORE           *sinks.SzCORESink
	// LSL is the output.lsl sink, when configured.
	LSL         *lslout.Sink
	Summary     *sinks.Summary
	DeadLetters *pipeline.DeadLetterFile
	// DeadLetterPath is the dead-letter file.
	DeadLetterPath string
}

// Build makes the pipeline c describes. c must have passed Validate.
func (c *Config) Build(logger *slog.Logger) (*Built, error) {
	if logger == nil {
		logger = slog.Default()
	}
	c.logDeprecated(logger)
	b := &Built{Summary: sinks.NewSummary()}
	src, err := c.buildSource(b, logger)
	if err != nil {
		return nil, err
	}
	pre, builders, err := c.buildStages()
	if err != nil {
		return nil, err
	}
	outs := []pipeline.Sink{b.Summary}
	var dead pipeline.DeadLetterSink
	if c.Output.Dir != "" {
		var err error
		// A Kafka consumer restarted after a crash continues from its
		// committed offsets, so the files of the run before are the
		// beginning of this run's; a run over recordings starts again.
		resume := len(c.Source.Kafka.Brokers) > 0
		if c.Output.Resume != nil {
			resume = *c.Output.Resume
		}
		interval := seconds(c.Output.PartSeconds)
		if c.Output.PartSeconds == 0 {
			interval = -1 // no time limit
		}
		if b.Files, err = sinks.NewFileSink(sinks.FileSinkConfig{
			Dir: c.Output.Dir, Format: sinks.FileFormat(c.Output.Format),
			PartRows: c.Output.PartRows, PartInterval: interval, RowGroupRows: c.Output.RowGroupRows,
			Resume: resume, Logger: logger, Metadata: c.Provenance(),
		}); err != nil {
			return nil, fmt.Errorf("output.dir: %w", err)
		}
		outs = append(outs, b.Files)
		// Dead letters go to a file only when they do not go to Kafka.
		if len(c.Output.Kafka.Brokers) == 0 {
			dl := c.Output.DeadLetters
			if dl == "" {
				dl = filepath.Join(c.Output.Dir, "deadletters.jsonl")
			}
			b.DeadLetterPath = dl
			if b.DeadLetters, err = pipeline.NewDeadLetterFile(dl); err != nil {
				b.Files.Close()
				return nil, err
			}
			dead = b.DeadLetters
		}
	}
	if c.Output.SzCORE != "" {
		var err error
		if b.SzCORE, err = sinks.NewSzCORESink(c.Output.SzCORE); err != nil {
			return nil, fmt.Errorf("output.szcore: %w", err)
		}
		outs = append(outs, b.SzCORE)
	}
	if ko := c.Output.Kafka; len(ko.Brokers) > 0 {
		conn, err := c.KafkaConnection(ko.Brokers)
		if err != nil {
			return nil, err
		}
		prod := pkafka.ProducerConfig{Connection: conn, Logger: logger,
			RetryTimeout: seconds(ko.RetryTimeoutSeconds), TopicPartitions: ko.Partitions}
		if ko.Acks == "one" {
			prod.RequiredAcks = kafkago.RequireOne
		}
		kinds := []arrowout.Kind{arrowout.KindSessionEnd}
		for _, st := range c.Stages {
			for _, k := range stages.Kinds(st.Type) {
				if !slices.Contains(kinds, k) {
					kinds = append(kinds, k)
				}
			}
		}
		rs, err := pkafka.NewResultSink(pkafka.ResultSinkConfig{ProducerConfig: prod, TopicPrefix: ko.TopicPrefix, Kinds: kinds})
		if err != nil {
			return nil, fmt.Errorf("output.kafka: %w", err)
		}
		b.KafkaSink = rs
		outs = append(outs, rs)
		kd, err := pkafka.NewDeadLetterSink(pkafka.DeadLetterConfig{ProducerConfig: prod, Topic: ko.DeadLetterTopic})
		if err != nil {
			return nil, fmt.Errorf("output.kafka: %w", err)
		}
		b.DeadLetterPath = "topic " + ko.DeadLetterTopic
		b.KafkaDeadLetters = kd
		dead = kd
	}
	if len(c.Output.LSL.Kinds) > 0 {
		ls, err := c.lslSink(logger)
		if err != nil {
			return nil, err
		}
		b.LSL = ls
		outs = append(outs, ls)
	}
	warmup := c.Window.WarmupSeconds
	if warmup == 0 && len(pre) > 0 {
		warmup = 2
	}
	policy := wire.Reject
	if c.NonFinite == "allow" {
		policy = wire.Allow
	}
	b.Options = pipeline.Options{
		Source:      src,
		Preprocess:  pre,
		Stages:      builders,
		Sinks:       outs,
		DeadLetters: dead,
		Warmup:      pipeline.WindowSpec{LengthSeconds: warmup},
		Window: pipeline.WindowSpec{
			Length: c.Window.Length, Hop: c.Window.Hop,
			LengthSeconds: c.Window.LengthSeconds, HopSeconds: c.Window.HopSeconds,
		},
		Events: pipeline.EventWindows{
			StimChannel: c.Window.Events.StimChannel, Codes: c.Window.Events.Codes,
			OffsetSeconds: c.Window.Events.OffsetSeconds,
		},
		Workers:     c.Workers,
		NonFinite:   policy,
		Limits:      c.Source.Limits.wire(),
		SessionIdle: -1,
		Logger:      logger,
	}
	if c.SessionIdleSeconds > 0 {
		b.Options.SessionIdle = seconds(c.SessionIdleSeconds)
	}
	if b.State != nil {
		b.Options.State = b.State
		b.Options.CheckpointInterval = seconds(c.Source.Kafka.CheckpointIntervalSeconds)
	}
	return b, nil
}

// buildSource makes the source: a Kafka consumer when source.kafka has
// brokers, else the recordings (simulated, then files); it sets b's
// handle on it.
func (c *Config) buildSource(b *Built, logger *slog.Logger) (pipeline.Source, error) {
	if k := c.Source.Kafka; len(k.Brokers) > 0 {
		conn, err := c.KafkaConnection(k.Brokers)
		if err != nil {
			return nil, err
		}
		ks, err := pkafka.NewSource(pkafka.SourceConfig{
			Connection: conn,
			Topics:     []string{k.Topic}, GroupID: k.GroupID, Logger: logger,
			ConnectTimeout: seconds(k.ConnectTimeoutSeconds),
		})
		if err != nil {
			return nil, fmt.Errorf("source.kafka: %w", err)
		}
		b.KafkaSource = ks
		if k.CheckpointsOn() {
			b.State, err = pkafka.NewStateStore(pkafka.StateStoreConfig{
				ProducerConfig: pkafka.ProducerConfig{Connection: conn, Logger: logger, RetryTimeout: seconds(c.Output.Kafka.RetryTimeoutSeconds)},
				Topic:          c.StateTopic(), InputTopic: k.Topic,
			})
			if err != nil {
				return nil, fmt.Errorf("source.kafka.state_topic: %w", err)
			}
		}
		return ks, nil
	}
	specs, err := c.Recordings()
	if err != nil {
		return nil, err
	}
	b.Source = pipeline.NewRecordingSource(specs, pipeline.RecordingSourceConfig{
		ChunkSeconds: c.Source.ChunkSeconds, Pace: c.Source.Pace, Logger: logger,
	})
	return b.Source, nil
}

// buildStages makes the preprocess steps and the stage builders.
func (c *Config) buildStages() ([]pipeline.Preprocessor, []pipeline.StageBuilder, error) {
	var pre []pipeline.Preprocessor
	for i, st := range c.Preprocess {
		p, errs := stages.BuildPreprocess(st.Type, st.Name, st.Options)
		if errs != nil {
			return nil, nil, fmt.Errorf("preprocess[%d]: %v", i, Errors(errs))
		}
		pre = append(pre, p)
	}
	var builders []pipeline.StageBuilder
	for i, st := range c.Stages {
		sb, errs := stages.Build(st.Type, st.Name, st.Options)
		if errs != nil {
			return nil, nil, fmt.Errorf("stages[%d]: %v", i, Errors(errs))
		}
		builders = append(builders, sb)
	}
	return pre, builders, nil
}

// KafkaConnection is a connection to brokers with kafka.security applied
// (its files read); errors name the keys.
func (c *Config) KafkaConnection(brokers []string) (pkafka.Connection, error) {
	conn := pkafka.Connection{Brokers: brokers}
	if err := c.Kafka.Security.Apply(&conn); err != nil {
		return conn, SecurityErrors(err, securityName)
	}
	return conn, nil
}

// lslSink opens output.lsl's outlets. Band-power streams are regular at
// 1/hop_seconds with sliding windows in seconds, irregular otherwise.
func (c *Config) lslSink(logger *slog.Logger) (*lslout.Sink, error) {
	o := c.Output.LSL
	file := o.ConfigFile
	if file == "" {
		file = os.Getenv("LSLAPICFG")
	}
	var net lsl.Config
	if file != "" {
		var err error
		if net, err = lsl.LoadConfig(file); err != nil {
			return nil, fmt.Errorf("output.lsl.config_file: %w", err)
		}
	}
	cfg := lslout.Config{LSL: net, Prefix: o.Prefix, SSVEPFormat: o.SSVEPFormat, BandPowerValue: o.BandPower, Logger: logger}
	for _, k := range o.Kinds {
		cfg.Kinds = append(cfg.Kinds, arrowout.Kind(k))
	}
	if c.Window.Events.StimChannel == "" && c.Window.HopSeconds > 0 {
		cfg.BandPowerRate = 1 / c.Window.HopSeconds
	}
	s, err := lslout.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("output.lsl: %w", err)
	}
	return s, nil
}

// Recordings lists the sessions of the simulate and files sources:
// simulated ones first, then one per file.
func (c *Config) Recordings() ([]pipeline.RecordingSpec, error) {
	var specs []pipeline.RecordingSpec
	ids := SessionIDs{}
	sim := c.Source.Simulate
	for i := range sim.Sessions {
		cfg := sim.Config
		cfg.Seed += uint64(i)
		id := ids.Unique(fmt.Sprintf("sim-%d", i+1))
		specs = append(specs, pipeline.RecordingSpec{
			Session: id,
			Name:    fmt.Sprintf("simulation %s (seed %d)", id, cfg.Seed),
			Open:    func() (formats.Recording, error) { return simulate.New(cfg) },
		})
	}
	files, err := c.Source.Files.Recordings(ids)
	if err != nil {
		return nil, fmt.Errorf("source.files.paths: %w", err)
	}
	for i := range files {
		files[i].Open = TextKeys.Open(files[i].Open)
	}
	specs = append(specs, files...)
	if st := c.Source.Stim; len(st.Events) > 0 {
		label := st.Channel
		if label == "" {
			label = "STI"
		}
		for i := range specs {
			specs[i].Open = WithStim(specs[i].Open, label, st.codes())
		}
	}
	return specs, nil
}

// WithStim wraps a recording opener so the recording gains a stim channel
// labelled label with a pulse of codes[d] at each annotation described d.
func WithStim(open func() (formats.Recording, error), label string, codes map[string]int) func() (formats.Recording, error) {
	return func() (formats.Recording, error) {
		rec, err := open()
		if err != nil {
			return nil, err
		}
		in := rec.Info()
		ev, err := formats.StimFromAnnotations(in.Annotations, in.SampleRate, in.NSamples, codes)
		if err == nil {
			var r formats.Recording
			if r, err = formats.WithStim(rec, label, ev); err == nil {
				return r, nil
			}
		}
		rec.Close()
		return nil, fmt.Errorf("source.stim: %w", err)
	}
}

// SessionIDs hands out unique session ids.
type SessionIDs map[string]bool

// Unique returns id, or id-2, id-3, … when id is taken, and takes it.
func (t SessionIDs) Unique(id string) string {
	base, n := id, 1
	for t[id] {
		n++
		id = fmt.Sprintf("%s-%d", base, n)
	}
	t[id] = true
	return id
}

// FileRecordings lists one session per recording under paths (files as
// given, folders searched recursively in name order), named by SessionID
// and made unique in ids. A folder holding sub-* folders is a BIDS-EEG
// dataset: its recordings are those formats/bids lists, named by their
// BIDS entities (sub-01_ses-01_task-szMonitoring_run-00).
func FileRecordings(paths []string, opt open.Options, ids SessionIDs) ([]pipeline.RecordingSpec, error) {
	var specs []pipeline.RecordingSpec
	for _, p := range paths {
		if isBIDS(p) {
			recs, err := bids.Walk(p)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				specs = append(specs, pipeline.RecordingSpec{
					Session: ids.Unique(r.ID()),
					Name:    r.EEG,
					Open:    func() (formats.Recording, error) { return open.File(r.EEG, opt) },
				})
			}
			continue
		}
		files, err := open.Recordings(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			specs = append(specs, pipeline.RecordingSpec{
				Session: ids.Unique(SessionID(f)),
				Name:    f,
				Open:    func() (formats.Recording, error) { return open.File(f, opt) },
			})
		}
	}
	return specs, nil
}

// OpenOptions are the readers' options f sets (formats/open).
func (f Files) OpenOptions() open.Options {
	return open.Options{Text: text.Options{
		SampleRate: f.SampleRate, Unit: f.Unit, TimeColumn: f.TimeColumn, MarkerColumn: f.MarkerColumn,
		Labels: f.ChannelLabels,
	}, ChannelFiles: f.ChannelFiles}
}

// Recordings lists one session per recording of f (FileRecordings, or
// with ChannelFiles ChannelFileRecordings), read with f's options and
// made unique in ids.
func (f Files) Recordings(ids SessionIDs) ([]pipeline.RecordingSpec, error) {
	if f.ChannelFiles != "" {
		return ChannelFileRecordings(f.Paths, f.ChannelFiles, f.OpenOptions(), ids)
	}
	return FileRecordings(f.Paths, f.OpenOptions(), ids)
}

// ChannelFileRecordings lists one session per folder under paths
// (searched recursively, in name order) that holds files whose names
// match pattern: those files, in name order, are the channels of one
// plain-text recording (open.Find and open.File with opt.ChannelFiles
// pattern), named by the folder. Paths that are files are recordings as
// in FileRecordings. No such folder is an error.
func ChannelFileRecordings(paths []string, pattern string, opt open.Options, ids SessionIDs) ([]pipeline.RecordingSpec, error) {
	opt.ChannelFiles = pattern
	var specs []pipeline.RecordingSpec
	for _, p := range paths {
		recs, err := open.Find(p, opt)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			specs = append(specs, pipeline.RecordingSpec{Session: ids.Unique(SessionID(r)), Name: r,
				Open: func() (formats.Recording, error) { return open.File(r, opt) }})
		}
	}
	return specs, nil
}

// isBIDS reports whether dir is a folder with a sub-* folder in it.
func isBIDS(dir string) bool {
	subs, _ := filepath.Glob(filepath.Join(dir, "sub-*"))
	for _, s := range subs {
		if st, err := os.Stat(s); err == nil && st.IsDir() {
			return true
		}
	}
	return false
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

func (l Limits) wire() wire.Limits {
	return wire.Limits{
		MaxMessageBytes: l.MaxMessageBytes, MaxChannels: l.MaxChannels, MaxRows: l.MaxRows,
		MinSampleRate: l.MinSampleRate, MaxSampleRate: l.MaxSampleRate,
	}
}

func seconds(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// Prepare creates the Kafka result, dead-letter and state topics the run
// will write that are missing, before its first message
// (kafka.ResultSink's and kafka.StateStore's Prepare). Without Kafka it
// does nothing.
func (b *Built) Prepare(ctx context.Context) error {
	if b.State != nil {
		if err := b.State.Prepare(ctx); err != nil {
			return fmt.Errorf("source.kafka.state_topic: %w", err)
		}
	}
	if b.KafkaSink != nil {
		if err := b.KafkaSink.Prepare(ctx); err != nil {
			return fmt.Errorf("output.kafka: %w", err)
		}
	}
	if b.KafkaDeadLetters != nil {
		if err := b.KafkaDeadLetters.Prepare(ctx); err != nil {
			return fmt.Errorf("output.kafka: %w", err)
		}
	}
	return nil
}
