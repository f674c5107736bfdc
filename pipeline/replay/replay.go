package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// Config says what to replay, where to and how fast.
type Config struct {
	// Connection is the cluster and its security.
	Connection pkafka.Connection
	// Topic is the input topic the wire chunks go to. Required.
	Topic string
	// EventsTopic is the topic the annotations go to as JSON (Event).
	// Default: none (annotations are not published)
	EventsTopic string
	// Partitions of the topics that do not exist yet.
	// Default: 0, the broker's default
	Partitions int
	// ChunkSeconds is the duration of one wire chunk in seconds.
	// Default: 0.25
	ChunkSeconds float64
	// Pace is the replay speed: 1 real time, N N× real time, 0 as fast
	// as possible. Default: 0
	Pace float64
	// MaxOpen bounds the recordings open at once; with a pace, one that
	// opens late catches up at full speed. Default: 0, all of them
	MaxOpen int

	// Files are the recordings (EDF/EDF+/BDF, BrainVision, GDF, FIF,
	// text/CSV), one session each; folders are searched recursively.
	// The session id is config.SessionID of the file, made unique with
	// -2, -3, … Required.
	Files []string
	// Text says how to read plain-text files.
	// Default: formats/text's defaults
	Text text.Options
	// ChannelFiles reads recordings stored one channel per file
	// (config.Files.ChannelFiles): a file-name pattern; each folder under
	// Files holding such files is one recording. Default: "", every file
	// is a recording
	ChannelFiles string
	// TextNames names Text's options in errors (a CLI gives its flags).
	// Default: formats/text's field names
	TextNames config.TextOptionNames
	// StimEvents, when set, adds a stim channel with a pulse of the
	// code at each annotation of that description (ParseStimEvents), so
	// trial windows can be cut from the stream. Default: none
	StimEvents map[string]int
	// StimChannel is the label of the channel StimEvents adds.
	// Default: "STI"
	StimChannel string
	// Pseudonyms, when set, replaces every session id by its keyed
	// pseudonym before anything is published. Default: none
	Pseudonyms *pipeline.Pseudonyms

	// Progress, when set, receives progress reports: on a terminal a
	// bar redrawn at most ten times a second, else one line per finished
	// recording. Default: none
	Progress io.Writer
	// ProgressLines asks for the lines on a terminal too.
	// Default: false
	ProgressLines bool
	// Logger default: slog.Default().
	Logger *slog.Logger
}

// Validate checks c; errors name the field.
func (c *Config) Validate() error {
	switch {
	case c.Topic == "":
		return errors.New("replay: Topic: empty")
	case !(c.Pace >= 0) || math.IsInf(c.Pace, 0):
		return fmt.Errorf("replay: Pace: want 0 (as fast as possible) or a positive speed-up, got %v", c.Pace)
	case !(c.ChunkSeconds >= 0) || math.IsInf(c.ChunkSeconds, 0):
		return fmt.Errorf("replay: ChunkSeconds: want a positive duration, got %v", c.ChunkSeconds)
	case len(c.Files) == 0:
		return errors.New("replay: Files: none")
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.ChunkSeconds == 0 {
		c.ChunkSeconds = 0.25
	}
	if c.StimChannel == "" {
		c.StimChannel = "STI"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ParseStimEvents parses DESCRIPTION=CODE pairs with positive integer
// codes into Config.StimEvents.
func ParseStimEvents(pairs []string) (map[string]int, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	codes := map[string]int{}
	for _, e := range pairs {
		d, c, ok := strings.Cut(e, "=")
		code, err := strconv.Atoi(c)
		if !ok || d == "" || err != nil || code <= 0 {
			return nil, fmt.Errorf("%q: want DESCRIPTION=CODE with a positive integer code", e)
		}
		codes[d] = code
	}
	return codes, nil
}

// Replayer replays the recordings of one Config.
type Replayer struct {
	cfg   Config
	specs []pipeline.RecordingSpec
}

// New checks cfg and lists its recordings.
func New(cfg Config) (*Replayer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	opt := open.Options{Text: cfg.Text}
	var specs []pipeline.RecordingSpec
	var err error
	if cfg.ChannelFiles != "" {
		specs, err = config.ChannelFileRecordings(cfg.Files, cfg.ChannelFiles, opt, config.SessionIDs{})
	} else {
		specs, err = config.FileRecordings(cfg.Files, opt, config.SessionIDs{})
	}
	if err != nil {
		return nil, err
	}
	for i := range specs {
		specs[i].Open = cfg.TextNames.Open(specs[i].Open)
		if len(cfg.StimEvents) > 0 {
			specs[i].Open = config.WithStim(specs[i].Open, cfg.StimChannel, cfg.StimEvents)
		}
		if cfg.Pseudonyms != nil {
			// The key, the wire chunk's session and the events all
			// take the session id from here.
			specs[i].Session = cfg.Pseudonyms.Session(specs[i].Session)
		}
	}
	return &Replayer{cfg: cfg, specs: specs}, nil
}

// Recordings returns the sessions Run replays.
func (rp *Replayer) Recordings() []pipeline.RecordingSpec { return rp.specs }

// Result is what a replay did.
type Result struct {
	// Sessions replayed to their end, of Recordings.
	Sessions, Recordings int
	// Chunks, and their bytes, acknowledged by the broker.
	Chunks, Bytes int64
	// Events published.
	Events int64
	// SignalSeconds is the signal duration the chunks hold, summed
	// over the sessions.
	SignalSeconds float64
	Elapsed       time.Duration
	// Skipped are the recordings that could not be read.
	Skipped []error
	// Topic and EventsTopic are Config's.
	Topic, EventsTopic string
}

// String is the one-line summary `neurostream replay` prints.
func (r Result) String() string {
	s := fmt.Sprintf("replayed %d of %d sessions: %d chunks, %.1f s of signal, %.1f MB to %s in %.2f s",
		r.Sessions, r.Recordings, r.Chunks, r.SignalSeconds, float64(r.Bytes)/1e6, r.Topic, r.Elapsed.Seconds())
	if r.EventsTopic != "" {
		s += fmt.Sprintf("; %d events to %s", r.Events, r.EventsTopic)
	}
	return s
}

// Run creates missing topics and publishes every recording at once, as
// concurrent live sessions, until all have ended or ctx is done. The
// result counts what was published either way. A recording that cannot
// be read is skipped (Result.Skipped) and makes the error non-nil after
// the others were replayed.
func (rp *Replayer) Run(ctx context.Context) (res Result, err error) {
	cfg := &rp.cfg
	t0 := time.Now()
	res = Result{Recordings: len(rp.specs), Topic: cfg.Topic, EventsTopic: cfg.EventsTopic}
	topics := []string{cfg.Topic}
	if cfg.EventsTopic != "" {
		topics = append(topics, cfg.EventsTopic)
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = pkafka.EnsureTopics(tctx, cfg.Connection, topics, cfg.Partitions)
	cancel()
	if err != nil {
		return res, fmt.Errorf("replay: %w", err)
	}
	prod := pkafka.ProducerConfig{Connection: cfg.Connection, Logger: cfg.Logger}
	chunks, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: prod, Topic: cfg.Topic})
	if err != nil {
		return res, err
	}
	defer chunks.Close()

	maxOpen := cfg.MaxOpen
	if maxOpen <= 0 {
		maxOpen = len(rp.specs)
	}
	src := NewChunkSource(rp.specs, pipeline.RecordingSourceConfig{
		ChunkSeconds: cfg.ChunkSeconds, Pace: cfg.Pace, MaxOpen: maxOpen, Logger: cfg.Logger,
	})
	var ev *eventPublisher
	if cfg.EventsTopic != "" {
		ew, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: prod, Topic: cfg.EventsTopic})
		if err != nil {
			return res, err
		}
		ev = newEventPublisher(ctx, ew)
	}
	ta := newTally(cfg.Progress, cfg.ProgressLines, len(rp.specs))
	if ev != nil {
		src.OnRead = func(s *Session, _, end int64, _ *pipeline.Message) { ev.publishDue(s, end, ta.event) }
	}
	src.OnAck = func(s *Session, start, end int64, m *pipeline.Message, err error) {
		if err == nil {
			ta.chunk(s, end-start, int64(len(m.Value)), end >= s.Info.NSamples)
		}
	}
	n, perr := chunks.Publish(ctx, src)
	if ev != nil {
		if err := ev.close(); err != nil && perr == nil {
			perr = err
		}
	}
	ta.close()
	ta.fill(&res)
	res.Chunks = n
	res.Elapsed = time.Since(t0)
	res.Skipped = src.Errors()
	switch {
	case perr != nil && ctx.Err() != nil:
		return res, fmt.Errorf("replay interrupted after %d chunks: %w", n, context.Cause(ctx))
	case perr != nil:
		return res, fmt.Errorf("replay: %w", perr)
	case len(res.Skipped) > 0:
		return res, fmt.Errorf("%d of %d recordings could not be replayed", len(res.Skipped), len(rp.specs))
	}
	return res, nil
}
