package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// defaultBrokers is the --brokers default: $NEUROSTREAM_KAFKA, else the
// local development broker of `make kafka-up`.
func defaultBrokers() []string {
	if a := os.Getenv("NEUROSTREAM_KAFKA"); a != "" {
		return strings.Split(a, ",")
	}
	return []string{"127.0.0.1:9092"}
}

// replayTextFlags are replay's names for the plain-text options.
var replayTextFlags = config.TextOptionNames{SampleRate: "--text-rate", Unit: "--text-unit", TimeColumn: "--text-time-column", MarkerColumn: "--text-marker-column"}

func newReplayCmd() *cobra.Command {
	var (
		brokers             []string
		topic, eventsTopic  string
		partitions, maxOpen int
		chunkSeconds, pace  float64
		textOpt             text.Options
		quiet               bool
		stimLabel           string
		stimEvents          []string
		sec                 kafkaSecurityFlags
		pseudonymKey        string
	)
	cmd := &cobra.Command{
		Use:   "replay FILE|DIR ...",
		Short: "Publish recordings to Kafka as wire chunks, one session per file, at real-time pace or faster",
		Long: "replay streams recordings (EDF/EDF+/BDF, BrainVision, GDF, FIF, text/CSV; folders are searched\n" +
			"recursively) to the input topic as wire chunks keyed by session, exactly what a live acquisition\n" +
			"would produce: one session per file (the file name without extension; repeated names get -2, -3, …),\n" +
			"chunks of --chunk-seconds, at --pace times real time (0: as fast as possible). All files play at\n" +
			"once, as concurrent live sessions. Each annotation goes to --events-topic as one JSON message\n" +
			"{session, onset, duration, description, sample}, keyed by session, when the replay reaches its\n" +
			"onset. Missing topics are created with --partitions partitions. Progress goes to stderr: a bar on\n" +
			"a terminal, otherwise (or with --quiet) one line per finished file.\n\n" +
			"A secured cluster takes the --tls-* and --sasl-* flags, or the NEUROSTREAM_KAFKA_SECURITY_*\n" +
			"variables that kafka.security of a pipeline file reads; the password comes from\n" +
			"NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or --sasl-password-file, never from a flag.\n" +
			"--pseudonym-key-file replaces every session id by its keyed pseudonym (ps-<HMAC-SHA256>) before\n" +
			"anything is published (docs/operations.md, \"Security\").",
		Example: "  neurostream replay --brokers 127.0.0.1:9092 recordings/\n" +
			"  neurostream replay --stim-events 2=2,3=3,4=4 ssvep-exoskeleton/subject01/\n" +
			"  neurostream replay --pace 10 --partitions 12 --topic eeg.chunks a.edf b.vhdr\n" +
			"  neurostream replay --pace 0 --text-rate 173.61 --text-unit uV bonn/Z/\n" +
			"  NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD=... neurostream replay --brokers kafka:9093 --tls-ca-file ca.pem \\\n" +
			"      --sasl-mechanism SCRAM-SHA-512 --sasl-username eeg-ingest --pseudonym-key-file /run/secrets/pseudonym-key recordings/",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pace < 0 {
				return fmt.Errorf("--pace: want 0 (as fast as possible) or a positive speed-up, got %v", pace)
			}
			if !(chunkSeconds > 0) {
				return fmt.Errorf("--chunk-seconds: want a positive duration, got %v", chunkSeconds)
			}
			if topic == "" {
				return errors.New("--topic: empty")
			}
			conn, err := sec.connection(cmd, brokers)
			if err != nil {
				return err
			}
			var pseudonyms *pipeline.Pseudonyms
			if pseudonymKey != "" {
				if pseudonyms, err = pipeline.ReadPseudonymKey(pseudonymKey); err != nil {
					return withCode(exitUsage, fmt.Errorf("--pseudonym-key-file: %w", err))
				}
			}
			specs, err := config.FileRecordings(args, open.Options{Text: textOpt}, config.SessionIDs{})
			if err != nil {
				return err
			}
			for i := range specs {
				specs[i].Open = replayTextFlags.Open(specs[i].Open)
			}
			if len(stimEvents) > 0 {
				codes := map[string]int{}
				for _, e := range stimEvents {
					d, c, ok := strings.Cut(e, "=")
					code, err := strconv.Atoi(c)
					if !ok || d == "" || err != nil || code <= 0 {
						return fmt.Errorf("--stim-events %q: want DESCRIPTION=CODE with a positive integer code", e)
					}
					codes[d] = code
				}
				for i := range specs {
					specs[i].Open = config.WithStim(specs[i].Open, stimLabel, codes)
				}
			}
			if pseudonyms != nil {
				// The key, the wire chunk's session and the events all
				// take the session id from here.
				for i := range specs {
					specs[i].Session = pseudonyms.Session(specs[i].Session)
				}
			}
			rp := &replayer{
				conn:         conn,
				topic:        topic,
				eventsTopic:  eventsTopic,
				partitions:   partitions,
				chunkSeconds: chunkSeconds,
				pace:         pace,
				maxOpen:      maxOpen,
				logger:       slog.Default(),
			}
			stderr := cmd.ErrOrStderr()
			rp.progress = newReplayProgress(stderr, len(specs), !quiet && isTerminal(stderr))
			res, err := rp.run(cmd.Context(), specs)
			fmt.Fprintf(cmd.OutOrStdout(), "replayed %d of %d sessions: %d chunks, %.1f s of signal, %.1f MB to %s in %.2f s",
				res.Sessions, len(specs), res.Chunks, res.SignalSeconds, float64(res.Bytes)/1e6, topic, res.Elapsed.Seconds())
			if eventsTopic != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "; %d events to %s", res.Events, eventsTopic)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			for _, e := range res.Skipped {
				fmt.Fprintf(stderr, "skipped: %v\n", e)
			}
			if err != nil {
				return err
			}
			if n := len(res.Skipped); n > 0 {
				return fmt.Errorf("%d of %d recordings could not be replayed", n, len(specs))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.StringVar(&topic, "topic", "neurostream.raw", "input topic the wire chunks go to")
	f.StringVar(&eventsTopic, "events-topic", "neurostream.events", "topic for annotations as JSON (\"\": do not publish them)")
	f.IntVar(&partitions, "partitions", 0, "partitions of topics that do not exist yet (0: the broker's default)")
	f.Float64Var(&chunkSeconds, "chunk-seconds", 0.25, "duration of one wire chunk in seconds")
	f.Float64Var(&pace, "pace", 1, "replay speed: 1 real time, N N× real time, 0 as fast as possible")
	f.IntVar(&maxOpen, "max-open", 0, "most recordings open at once (0: all); with a pace, a file that opens late catches up at full speed")
	f.Float64Var(&textOpt.SampleRate, "text-rate", 0, "sample rate in Hz of plain-text files")
	f.StringVar(&textOpt.Unit, "text-unit", "uV", "unit of the numbers in plain-text files")
	f.StringVar(&textOpt.TimeColumn, "text-time-column", "", "CSV column of timestamps in seconds (not a channel)")
	f.StringVar(&textOpt.MarkerColumn, "text-marker-column", "", "CSV column of event codes (become events)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar: one line per finished file")
	f.StringVar(&stimLabel, "stim", "STI", "label of the stim channel --stim-events adds")
	f.StringSliceVar(&stimEvents, "stim-events", nil, "DESCRIPTION=CODE,...: add a stim channel with a pulse of CODE at each annotation DESCRIPTION, so trial windows (window.events) can be cut from the stream")
	f.StringVar(&pseudonymKey, "pseudonym-key-file", "", "replace each session id by ps-HMAC-SHA256(key, id) before publishing; the key is this `file`'s content, at least 32 bytes")
	sec.register(cmd)
	return cmd
}

// replaySession follows one recording through a replay.
type replaySession struct {
	id, name string
	// Set by the source's reading goroutine only.
	info      *formats.Info
	pos       int64 // end of the samples read last
	sent      int64 // end of the last chunk handed out
	nextEvent int

	// Under the progress lock.
	chunks, acked, events int64
	done                  bool
}

// trackedRecording notes how far the RecordingSource has read.
type trackedRecording struct {
	formats.Recording
	s *replaySession
}

func (r trackedRecording) ReadSamples(dst [][]float64, start, stop int64) error {
	err := r.Recording.ReadSamples(dst, start, stop)
	if err == nil {
		r.s.pos = stop
	}
	return err
}

// chunkSource is a pipeline.RecordingSource that says, for each chunk it
// yields, which session and samples [start, end) it holds: onRead runs in
// the reading goroutine before the chunk is handed on, onAck when it was
// acknowledged. The chunk encoding is the RecordingSource's own.
type chunkSource struct {
	*pipeline.RecordingSource
	sessions map[string]*replaySession
	onRead   func(s *replaySession, start, end int64, m *pipeline.Message)
	onAck    func(s *replaySession, start, end int64, m *pipeline.Message, err error)
}

func newChunkSource(specs []pipeline.RecordingSpec, cfg pipeline.RecordingSourceConfig) *chunkSource {
	cs := &chunkSource{sessions: map[string]*replaySession{}}
	rs := make([]pipeline.RecordingSpec, len(specs))
	for i, sp := range specs {
		s := &replaySession{id: sp.Session, name: sp.Name}
		cs.sessions[sp.Session] = s
		rs[i] = pipeline.RecordingSpec{Session: sp.Session, Name: sp.Name, Open: func() (formats.Recording, error) {
			rec, err := sp.Open()
			if err != nil {
				return nil, err
			}
			s.info = rec.Info()
			return trackedRecording{rec, s}, nil
		}}
	}
	cs.RecordingSource = pipeline.NewRecordingSource(rs, cfg)
	return cs
}

// Read implements pipeline.Source.
func (cs *chunkSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	m, ack, err := cs.RecordingSource.Read(ctx)
	if err != nil {
		return m, ack, err
	}
	s := cs.sessions[m.Key]
	if s == nil {
		return m, ack, nil
	}
	start, end := s.sent, s.pos
	s.sent = end
	if cs.onRead != nil {
		cs.onRead(s, start, end, &m)
	}
	if cs.onAck == nil {
		return m, ack, nil
	}
	return m, func(err error) {
		ack(err)
		cs.onAck(s, start, end, &m, err)
	}, nil
}

// replayEvent is the JSON value of one events-topic message.
type replayEvent struct {
	Session     string  `json:"session"`
	Onset       float64 `json:"onset"`
	Duration    float64 `json:"duration"`
	Description string  `json:"description"`
	// Sample is the onset on the session's sample clock,
	// round(onset · sample rate).
	Sample int64 `json:"sample"`
}

// replayer publishes recordings to Kafka.
type replayer struct {
	conn               pkafka.Connection
	topic, eventsTopic string
	partitions         int
	chunkSeconds, pace float64
	maxOpen            int
	logger             *slog.Logger
	progress           *replayProgress
}

// replayResult is what a replay did.
type replayResult struct {
	Sessions      int
	Chunks        int64
	Bytes         int64
	Events        int64
	SignalSeconds float64
	Elapsed       time.Duration
	Skipped       []error
}

func (rp *replayer) run(ctx context.Context, specs []pipeline.RecordingSpec) (res replayResult, err error) {
	t0 := time.Now()
	topics := []string{rp.topic}
	if rp.eventsTopic != "" {
		topics = append(topics, rp.eventsTopic)
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = pkafka.EnsureTopics(tctx, rp.conn, topics, rp.partitions)
	cancel()
	if err != nil {
		return res, fmt.Errorf("replay: %w", err)
	}
	prod := pkafka.ProducerConfig{Connection: rp.conn, Logger: rp.logger}
	chunks, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: prod, Topic: rp.topic})
	if err != nil {
		return res, err
	}
	defer chunks.Close()

	maxOpen := rp.maxOpen
	if maxOpen <= 0 {
		maxOpen = len(specs)
	}
	src := newChunkSource(specs, pipeline.RecordingSourceConfig{
		ChunkSeconds: rp.chunkSeconds, Pace: rp.pace, MaxOpen: maxOpen, Logger: rp.logger,
	})
	var ev *eventPublisher
	if rp.eventsTopic != "" {
		ew, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: prod, Topic: rp.eventsTopic})
		if err != nil {
			return res, err
		}
		ev = newEventPublisher(ctx, ew)
	}
	pr := rp.progress
	src.onRead = func(s *replaySession, start, end int64, m *pipeline.Message) {
		if ev == nil || s.info == nil {
			return
		}
		ann := s.info.Annotations
		for ; s.nextEvent < len(ann); s.nextEvent++ {
			a := ann[s.nextEvent]
			sample := int64(a.Onset*s.info.SampleRate + 0.5)
			if sample >= end && end < s.info.NSamples {
				break
			}
			ev.publish(replayEvent{Session: s.id, Onset: a.Onset, Duration: a.Duration, Description: a.Description, Sample: sample})
			pr.event(s)
		}
	}
	src.onAck = func(s *replaySession, start, end int64, m *pipeline.Message, err error) {
		if err == nil {
			pr.chunk(s, end-start, int64(len(m.Value)), end >= s.info.NSamples)
		}
	}
	pr.start()
	n, perr := chunks.Publish(ctx, src)
	if ev != nil {
		if err := ev.close(); err != nil && perr == nil {
			perr = err
		}
	}
	pr.stop()
	res = pr.result()
	res.Chunks = n
	res.Elapsed = time.Since(t0)
	res.Skipped = src.Errors()
	if perr != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("replay interrupted after %d chunks: %w", n, context.Cause(ctx))
		}
		return res, fmt.Errorf("replay: %w", perr)
	}
	return res, nil
}

// eventPublisher writes events in the background, in order, so chunks do
// not wait for them.
type eventPublisher struct {
	w    *pkafka.ChunkWriter
	ch   chan pipeline.Message
	done chan struct{}
	err  error
}

func newEventPublisher(ctx context.Context, w *pkafka.ChunkWriter) *eventPublisher {
	ep := &eventPublisher{w: w, ch: make(chan pipeline.Message, 1024), done: make(chan struct{})}
	go func() {
		defer close(ep.done)
		batch := make([]pipeline.Message, 0, 100)
		for m := range ep.ch {
			batch = append(batch[:0], m)
		fill:
			for len(batch) < cap(batch) {
				select {
				case m, ok := <-ep.ch:
					if !ok {
						break fill
					}
					batch = append(batch, m)
				default:
					break fill
				}
			}
			if ep.err != nil {
				continue // drain
			}
			if err := w.Write(ctx, batch...); err != nil {
				ep.err = fmt.Errorf("events to %s: %w", w.Topic(), err)
			}
		}
	}()
	return ep
}

func (ep *eventPublisher) publish(e replayEvent) {
	b, _ := json.Marshal(e) // plain fields: cannot fail
	ep.ch <- pipeline.Message{Key: e.Session, Value: b, Origin: "event of " + e.Session, Time: time.Now()}
}

// close waits until every event was written and closes the writer.
func (ep *eventPublisher) close() error {
	close(ep.ch)
	<-ep.done
	if err := ep.w.Close(); err != nil && ep.err == nil {
		ep.err = err
	}
	return ep.err
}

// replayProgress reports a replay on stderr: a bar redrawn at most ten
// times a second on a terminal, else one line per finished file.
type replayProgress struct {
	w     io.Writer
	bar   bool
	total int

	mu       sync.Mutex
	sessions []*replaySession
	seen     map[*replaySession]bool
	done     int
	chunks   int64
	bytes    int64
	events   int64
	seconds  float64
	t0       time.Time
	stopc    chan struct{}
	stopped  chan struct{}
}

func newReplayProgress(w io.Writer, total int, bar bool) *replayProgress {
	return &replayProgress{w: w, bar: bar, total: total, seen: map[*replaySession]bool{}}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

func (p *replayProgress) start() {
	p.t0 = time.Now()
	if !p.bar {
		return
	}
	p.stopc, p.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stopc:
				p.mu.Lock()
				p.draw()
				fmt.Fprintln(p.w)
				p.mu.Unlock()
				return
			case <-t.C:
				p.mu.Lock()
				p.draw()
				p.mu.Unlock()
			}
		}
	}()
}

func (p *replayProgress) stop() {
	if p.stopc != nil {
		close(p.stopc)
		<-p.stopped
	}
}

func (p *replayProgress) event(s *replaySession) {
	p.mu.Lock()
	s.events++
	p.events++
	p.mu.Unlock()
}

// chunk counts an acknowledged chunk of n samples; last says it ended the
// recording.
func (p *replayProgress) chunk(s *replaySession, n, bytes int64, last bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.seen[s] {
		p.seen[s] = true
		p.sessions = append(p.sessions, s)
	}
	s.chunks++
	s.acked += n
	p.chunks++
	p.bytes += bytes
	p.seconds += float64(n) / s.info.SampleRate
	if last && !s.done {
		s.done = true
		p.done++
		if !p.bar {
			fmt.Fprintf(p.w, "replayed %s as session %s: %d chunks, %.1f s of signal, %d events (%d/%d files, %.1f s)\n",
				s.name, s.id, s.chunks, float64(s.acked)/s.info.SampleRate, s.events, p.done, p.total, time.Since(p.t0).Seconds())
		}
	}
}

// draw redraws the bar; p.mu is held.
func (p *replayProgress) draw() {
	const width = 24
	var frac float64
	for _, s := range p.sessions {
		if s.done {
			frac++
		} else if s.info.NSamples > 0 {
			frac += float64(s.acked) / float64(s.info.NSamples)
		}
	}
	if p.total > 0 {
		frac /= float64(p.total)
	}
	fill := min(width, int(frac*width+0.5))
	el := time.Since(p.t0).Seconds()
	line := fmt.Sprintf("[%s%s] %3.0f%%  %d/%d sessions  %d chunks  %.1f s signal  %.0f chunks/s  %.1f MB/s",
		strings.Repeat("#", fill), strings.Repeat("-", width-fill), 100*frac, p.done, p.total, p.chunks, p.seconds,
		float64(p.chunks)/el, float64(p.bytes)/1e6/el)
	if p.events > 0 {
		line += fmt.Sprintf("  %d events", p.events)
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

func (p *replayProgress) result() replayResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	return replayResult{Sessions: p.done, Bytes: p.bytes, Events: p.events, SignalSeconds: p.seconds}
}
