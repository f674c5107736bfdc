package lslin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/xdf"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// Config configures an ingest. Zero fields take the default named at the
// end of their comment.
type Config struct {
	// LSL is the network configuration (lsl.LoadConfig reads liblsl's
	// lsl_api.cfg). Default: ThisMachine().
	LSL lsl.Config
	// Query selects the EEG or MEG stream, in liblsl's query language
	// (lsl.Prop builds name='X', source_id='Y'). Default: type='EEG'.
	Query string
	// Markers are queries of marker streams (string or integer samples)
	// whose markers go into the stim channel and to EventsTopic. Each must
	// match one stream. Default: none (no stim channel).
	Markers []string
	// StimChannel labels the stim channel added with Markers. Default: STI.
	StimChannel string
	// StimCodes maps string markers to stim codes (positive); a string
	// marker not listed is sent to EventsTopic only. Integer markers are
	// their own codes (≤ 0: events only). Default: none.
	StimCodes map[string]int

	// Producer configures the Kafka writers (brokers, acks, batching).
	// Required: Producer.Brokers.
	Producer pkafka.ProducerConfig
	// Topic receives the wire chunks. Default: neurostream.raw.
	Topic string
	// EventsTopic receives each marker as a JSON event (see Event), as
	// `neurostream replay` sends annotations. Default: "" (none).
	EventsTopic string
	// Partitions of topics that do not exist yet; 0 is the broker's
	// default. Default: 0.
	Partitions int

	// ChunkSeconds is the duration of one wire chunk; chunk boundaries
	// fall on multiples of round(ChunkSeconds·rate) samples of the
	// session's clock, so windows whose hop is a multiple of it complete
	// at the end of a chunk. Default: 0.25.
	ChunkSeconds float64
	// MarkerDelay holds each complete chunk (only with Markers) until this
	// long after its last sample arrived, so that a marker arriving up to
	// that much after its sample still lands on it; a later one is
	// written at the first unpublished sample (Stats.Late). Negative: no
	// delay. Default: 50ms.
	MarkerDelay time.Duration
	// GapThreshold is how much later than the dejittered line a time
	// stamp must be to suspect missing samples. Default: 100ms, at least
	// 4 sample periods.
	GapThreshold time.Duration
	// GapConfirm is the span of time stamps, all later than the line by
	// more than GapThreshold, that confirms a gap. Default: 200ms.
	GapConfirm time.Duration
	// MaxHold bounds the wall time samples are held while a suspected gap
	// is decided. Default: 1s.
	MaxHold time.Duration
	// HalfLife is the dejitter's memory: samples this old weigh half.
	// Default: 90s (liblsl's smoothing_halftime).
	HalfLife time.Duration
	// ResolveTimeout bounds the search for each stream at start.
	// Default: 30s.
	ResolveTimeout time.Duration
	// RecoverTimeout is how long a lost outlet is looked for before the
	// session ends (lsl.ErrStreamLost). Default: 30s.
	RecoverTimeout time.Duration
	// OffsetInterval is how often each inlet's clock offset is measured
	// again. Default: 5s.
	OffsetInterval time.Duration
	// FinalWait is how long a stopped ingest waits for one more sample
	// when none is left to carry neurostream.final. Default: 1s.
	FinalWait time.Duration
	// Logger default: slog.Default().
	Logger *slog.Logger
}

// ThisMachine is the network configuration that finds every outlet on
// this machine and nothing else: discovery queries to 127.0.0.1 and to
// each port of 127.0.0.1 as a known peer. The zero lsl.Config queries only
// 127.0.0.1's multicast port, where Linux delivers a datagram to one of
// the outlets bound there, so with an amplifier and a marker stream on one
// machine one of them would not be found (docs/lsl.md, "Limits").
func ThisMachine() lsl.Config { return lsl.Config{KnownPeers: []string{"127.0.0.1"}} }

func (c *Config) setDefaults() {
	if c.LSL.Addresses == nil && c.LSL.KnownPeers == nil {
		c.LSL.KnownPeers = ThisMachine().KnownPeers
	}
	if c.Query == "" {
		c.Query = "type='EEG'"
	}
	if c.StimChannel == "" {
		c.StimChannel = "STI"
	}
	if c.Topic == "" {
		c.Topic = "neurostream.raw"
	}
	if c.ChunkSeconds == 0 {
		c.ChunkSeconds = 0.25
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.MarkerDelay, 50*time.Millisecond)
	def(&c.GapThreshold, 100*time.Millisecond)
	def(&c.GapConfirm, 200*time.Millisecond)
	def(&c.MaxHold, time.Second)
	def(&c.HalfLife, 90*time.Second)
	def(&c.ResolveTimeout, 30*time.Second)
	def(&c.RecoverTimeout, 30*time.Second)
	def(&c.OffsetInterval, 5*time.Second)
	def(&c.FinalWait, time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Producer.Logger == nil {
		c.Producer.Logger = c.Logger
	}
}

// Validate names the first field out of range.
func (c *Config) Validate() error {
	if len(c.Producer.Brokers) == 0 {
		return errors.New("lsl ingest: Producer.Brokers: required")
	}
	if !(c.ChunkSeconds >= 0) || math.IsInf(c.ChunkSeconds, 0) {
		return fmt.Errorf("lsl ingest: ChunkSeconds: want a positive duration, got %v", c.ChunkSeconds)
	}
	for code := range c.StimCodes {
		if c.StimCodes[code] <= 0 {
			return fmt.Errorf("lsl ingest: StimCodes[%q]: want a positive code, got %d", code, c.StimCodes[code])
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"GapThreshold", c.GapThreshold}, {"GapConfirm", c.GapConfirm}, {"MaxHold", c.MaxHold}, {"HalfLife", c.HalfLife},
		{"ResolveTimeout", c.ResolveTimeout}, {"RecoverTimeout", c.RecoverTimeout}, {"OffsetInterval", c.OffsetInterval}, {"FinalWait", c.FinalWait}} {
		if f.v < 0 {
			return fmt.Errorf("lsl ingest: %s: must not be negative, got %v", f.name, f.v)
		}
	}
	if c.Partitions < 0 {
		return fmt.Errorf("lsl ingest: Partitions: must not be negative, got %d", c.Partitions)
	}
	return nil
}

// Result is what an ingest did and why it ended.
type Result struct {
	Stats
	// Stream is the EEG/MEG stream's full info (its first outlet's).
	Stream lsl.StreamInfo
	// Reconnects counts the inlet's reconnections.
	Reconnects int
	// Ended says why the session ended: "stopped" (the context ended),
	// "stream lost" (the outlet went away for RecoverTimeout), or the
	// error's text.
	Ended string
	// Elapsed is the ingest's wall time.
	Elapsed time.Duration
}

// Run resolves the stream (and the marker streams), then ingests it (see
// Ingest).
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	eeg, err := resolve(ctx, &cfg, cfg.Query, "stream")
	if err != nil {
		return Result{}, err
	}
	markers := make([]lsl.StreamInfo, len(cfg.Markers))
	for i, q := range cfg.Markers {
		if markers[i], err = resolve(ctx, &cfg, q, "marker stream"); err != nil {
			return Result{}, err
		}
	}
	return Ingest(ctx, cfg, eeg, markers)
}

// resolve finds the one stream matching q.
func resolve(ctx context.Context, cfg *Config, q, what string) (lsl.StreamInfo, error) {
	rctx, cancel := context.WithTimeout(ctx, cfg.ResolveTimeout)
	defer cancel()
	found, err := lsl.Resolve(rctx, cfg.LSL, q, 1)
	if err != nil {
		if ctx.Err() != nil {
			return lsl.StreamInfo{}, ctx.Err()
		}
		return lsl.StreamInfo{}, fmt.Errorf("lsl ingest: no %s matches %s within %v (discovery queries go to %s, known peers %s): %w",
			what, q, cfg.ResolveTimeout, strings.Join(cfg.LSL.Addresses, ", "), strings.Join(cfg.LSL.KnownPeers, ", "), err)
	}
	if len(found) > 1 {
		var names []string
		for _, s := range found {
			names = append(names, fmt.Sprintf("%q (source_id %q on %s)", s.Name, s.SourceID, s.Hostname))
		}
		return lsl.StreamInfo{}, fmt.Errorf("lsl ingest: %d streams match %s: %s; select one by name or source_id", len(found), q, strings.Join(names, ", "))
	}
	return found[0], nil
}

// Ingest publishes the stream eeg (resolved) to Kafka as one session of
// wire chunks, with markers from the marker streams (resolved) in a stim
// channel and on the events topic, until ctx ends (a normal stop), the
// outlet is lost for RecoverTimeout (a normal end), or the stream changes
// or fails (an error). The session's last chunk carries
// neurostream.final=true: an empty chunk when no sample is left to carry
// it.
func Ingest(ctx context.Context, cfg Config, eeg lsl.StreamInfo, markers []lsl.StreamInfo) (res Result, err error) {
	t0 := time.Now()
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	defer func() { res.Elapsed = time.Since(t0) }()
	// The readers and the writers outlive ctx by as long as the final
	// chunk needs; the writers outlive the readers.
	bg, cancelAll := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAll()
	pubCtx, cancelPub := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPub()

	g := &ingest{cfg: cfg, log: cfg.Logger}
	defer g.closeInlets()
	if err := g.openInlets(ctx, eeg, markers); err != nil {
		return g.res, err
	}
	if g.pub, err = startPublisher(ctx, pubCtx, &g.cfg); err != nil {
		return g.res, err
	}
	defer g.pub.w.Close()
	g.newAssembler()

	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancelAll()
	g.startReaders(ctx, bg, &wg)
	endErr := g.pump(ctx)
	cancelAll() // stops the readers; inlets are closed by the defers
	if ok, err := g.asm.finish(); err != nil {
		endErr = errors.Join(endErr, err)
	} else if !ok {
		g.log.Warn("lsl ingest: the session published no chunk, so it has no end to mark",
			"session", g.asm.session)
	}
	close(g.pub.out.ch)
	// The writes left get what a producer's retries need, not forever.
	stopPub := time.AfterFunc(flushTimeout, cancelPub)
	defer stopPub.Stop()
	endErr = g.flush(endErr)
	g.res.Stats = g.asm.stats
	g.res.Reconnects = g.in.Reconnects()
	return g.res, endErr
}

// ingest is one Ingest's parts.
type ingest struct {
	cfg Config
	log *slog.Logger
	// in is the signal's inlet, mins the markers'; opened every inlet
	// opened, for closeInlets.
	in     *lsl.Inlet
	mins   []*lsl.Inlet
	opened []*lsl.Inlet
	info   lsl.StreamInfo
	// chans are the session's channels (the stim channel last, with
	// markers), scale the signal's factors to SI units.
	chans []formats.Channel
	scale []float64
	pub   *publisher
	asm   *assembler
	eegCh chan eegItem
	mkCh  chan markerItem
	res   Result
}

// openInlets connects to the signal's and the markers' streams, checks
// them, and makes the session's channels.
func (g *ingest) openInlets(ctx context.Context, eeg lsl.StreamInfo, markers []lsl.StreamInfo) error {
	icfg := lsl.InletConfig{Config: g.cfg.LSL, RecoverTimeout: g.cfg.RecoverTimeout, Logger: g.log}
	in, err := openInlet(ctx, eeg, icfg)
	if err != nil {
		return err
	}
	g.in, g.opened = in, append(g.opened, in)
	info := in.Info()
	g.info, g.res.Stream = info, info
	if err := checkSignal(info); err != nil {
		return err
	}
	g.chans, g.scale = xdf.Channels(info.Type, info.NominalRate, info.ChannelCount, xdfChannels(info.Channels()))
	for _, m := range markers {
		mi, err := openInlet(ctx, m, icfg)
		if err != nil {
			return err
		}
		g.opened = append(g.opened, mi)
		if err := checkMarkers(mi.Info()); err != nil {
			return err
		}
		g.mins = append(g.mins, mi)
	}
	if len(g.mins) == 0 {
		return nil
	}
	for _, ch := range g.chans {
		if ch.Label == g.cfg.StimChannel {
			return fmt.Errorf("lsl ingest: stream %q already has a channel %q: choose another stim channel label", info.Name, g.cfg.StimChannel)
		}
	}
	g.chans = append(g.chans, formats.Channel{Label: g.cfg.StimChannel, Type: formats.Stim, Unit: "NA", SampleRate: info.NominalRate})
	return nil
}

// closeInlets closes the inlets opened, the last first.
func (g *ingest) closeInlets() {
	for i := len(g.opened) - 1; i >= 0; i-- {
		g.opened[i].Close()
	}
}

// newAssembler makes the assembler of the session's chunks, emitting them
// and its events to the publisher.
func (g *ingest) newAssembler() {
	cfg, info := &g.cfg, g.info
	source := info.SourceID
	if source == "" {
		source = info.UID
	}
	delay := cfg.MarkerDelay
	if len(g.mins) == 0 {
		delay = -1
	}
	rate := info.NominalRate
	g.asm = newAssembler(asmConfig{
		rate:     rate,
		chunkLen: max(1, int64(math.Round(cfg.ChunkSeconds*rate))),
		channels: g.chans,
		stim:     len(g.mins) > 0,
		gapThr:   max(cfg.GapThreshold.Seconds(), 4/rate),
		confirm:  cfg.GapConfirm.Seconds(),
		maxHold:  cfg.MaxHold,
		delay:    delay,
		halfLife: cfg.HalfLife.Seconds(),
		sessionID: func(ns int64) string {
			return SessionID(source, time.Unix(0, ns))
		},
		logger: g.log,
		now:    time.Now,
		local:  lsl.LocalClock,
	}, g.pub.emit, g.pub.event)
}

// startReaders starts, on bg and counted by wg, a reader per stream and
// the clock offsets' refresh. The offsets are measured first, all at
// once, so that no reader waits for its own while the others' samples
// flow.
func (g *ingest) startReaders(ctx, bg context.Context, wg *sync.WaitGroup) {
	offs := newOffsets(g.log)
	var mwg sync.WaitGroup
	for _, i := range append([]*lsl.Inlet{g.in}, g.mins...) {
		mwg.Add(1)
		go func() {
			defer mwg.Done()
			if err := offs.measure(ctx, i); err != nil && ctx.Err() == nil {
				g.log.Warn("lsl ingest: clock offset not measured: time stamps used as they are until it is", "stream", i.Info().Name, "err", err)
			}
		}()
	}
	mwg.Wait()
	g.eegCh = make(chan eegItem, 64)
	wg.Add(1)
	go func() {
		defer wg.Done()
		readSignal(bg, g.in, g.scale, offs, g.eegCh)
	}()
	g.mkCh = make(chan markerItem, 1024)
	for i, mi := range g.mins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readMarkers(bg, mi, i, g.cfg.StimCodes, offs, g.mkCh)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		offs.refresh(bg, g.cfg.OffsetInterval, append([]*lsl.Inlet{g.in}, g.mins...))
	}()
}

// pump hands the assembler samples, markers and release times until the
// stream ends, ctx ends (and a sample carries the final mark, or
// FinalWait passes), publishing fails or the assembler does. It returns
// the error that ends the ingest, and sets res.Ended.
func (g *ingest) pump(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stopped := ctx.Done()
	var finalBy <-chan time.Time // set once stopped with nothing left to carry the final mark
	for {
		var tc <-chan time.Time
		if d := g.asm.due(); !d.IsZero() {
			timer.Reset(time.Until(d))
			tc = timer.C
		}
		select {
		case it := <-g.eegCh:
			if it.err != nil {
				return g.streamEnded(it.err)
			}
			g.asm.samples(it.vals, it.ts, it.recovered, it.arrival)
			if finalBy != nil {
				return nil
			}
		case m := <-g.mkCh:
			if m.err != nil {
				g.log.Warn("lsl ingest: marker stream ended: its markers stop", "stream", g.mins[m.stream].Info().Name, "err", m.err)
				continue
			}
			g.asm.addMarker(m.m)
		case <-tc:
		case <-stopped:
			stopped = nil
			g.res.Ended = "stopped"
			if g.asm.pending() {
				return nil
			}
			// No sample is left to carry neurostream.final: wait for one.
			finalBy = time.After(g.cfg.FinalWait)
		case <-finalBy:
			return nil
		case g.pub.err = <-g.pub.done:
			g.pub.failed = true
			return nil
		}
		if err := g.asm.release(time.Now()); err != nil {
			return err
		}
	}
}

// streamEnded says why the signal's reader stopped: the outlet lost (a
// normal end), or an error.
func (g *ingest) streamEnded(err error) error {
	if errors.Is(err, lsl.ErrStreamLost) {
		g.res.Ended = "stream lost"
		g.log.Info("lsl ingest: the outlet is gone", "stream", g.info.Name, "err", err)
		return nil
	}
	g.res.Ended = err.Error()
	return fmt.Errorf("lsl ingest: stream %q: %w", g.info.Name, err)
}

// flush waits for the publisher's last writes and the events', and
// returns endErr with their errors; a chunk lost unmarks the final one.
func (g *ingest) flush(endErr error) error {
	p := g.pub
	if !p.failed {
		p.err = <-p.done
	}
	if p.err != nil {
		endErr = errors.Join(endErr, fmt.Errorf("lsl ingest: publish to %s: %w", g.cfg.Topic, p.err))
		g.asm.stats.Final = false
	}
	if p.ev != nil {
		if err := p.ev.close(); err != nil {
			endErr = errors.Join(endErr, err)
		}
	}
	return endErr
}

// publisher writes the session's chunks to Topic in the background, and
// its events to EventsTopic.
type publisher struct {
	w   *pkafka.ChunkWriter
	ev  *eventWriter // nil without EventsTopic
	out *chanSource
	// done has Publish's error; err and failed keep it once received.
	done   chan error
	err    error
	failed bool
}

// startPublisher makes the topics and starts publishing on pubCtx.
func startPublisher(ctx, pubCtx context.Context, cfg *Config) (*publisher, error) {
	topics := []string{cfg.Topic}
	if cfg.EventsTopic != "" {
		topics = append(topics, cfg.EventsTopic)
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := pkafka.EnsureTopics(tctx, cfg.Producer.Connection, topics, cfg.Partitions)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("lsl ingest: %w", err)
	}
	w, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: cfg.Producer, Topic: cfg.Topic})
	if err != nil {
		return nil, err
	}
	p := &publisher{w: w, out: &chanSource{ch: make(chan pipeline.Message, 1024)}, done: make(chan error, 1)}
	if cfg.EventsTopic != "" {
		ew, err := pkafka.NewChunkWriter(pkafka.ChunkWriterConfig{ProducerConfig: cfg.Producer, Topic: cfg.EventsTopic})
		if err != nil {
			w.Close()
			return nil, err
		}
		p.ev = newEventWriter(pubCtx, ew)
	}
	go func() {
		_, err := w.Publish(pubCtx, p.out)
		p.done <- err
	}()
	return p, nil
}

// emit hands a chunk to Publish, unless publishing failed.
func (p *publisher) emit(m pipeline.Message, _ *wire.Chunk) {
	if p.failed {
		return
	}
	select {
	case p.out.ch <- m:
	case p.err = <-p.done:
		p.failed = true
	}
}

func (p *publisher) event(e Event) {
	if p.ev != nil {
		p.ev.publish(e)
	}
}

// flushTimeout bounds the writes left when an ingest ends.
const flushTimeout = 30 * time.Second

func openInlet(ctx context.Context, info lsl.StreamInfo, cfg lsl.InletConfig) (*lsl.Inlet, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	in, err := lsl.NewInlet(dctx, info, cfg)
	if err != nil {
		return nil, fmt.Errorf("lsl ingest: connect to %q (source_id %q at %s:%d): %w", info.Name, info.SourceID, info.V4Address, info.V4DataPort, err)
	}
	return in, nil
}

// checkSignal refuses streams that cannot be a session's signal.
func checkSignal(info lsl.StreamInfo) error {
	switch {
	case info.Format == lsl.FormatString:
		return fmt.Errorf("lsl ingest: stream %q (type %q) holds strings: want a numeric EEG/MEG stream (string streams are markers: --markers)", info.Name, info.Type)
	case !(info.NominalRate > 0):
		return fmt.Errorf("lsl ingest: stream %q (type %q) has an irregular rate: want a regularly sampled EEG/MEG stream (irregular streams are markers: --markers)", info.Name, info.Type)
	case info.ChannelCount < 1:
		return fmt.Errorf("lsl ingest: stream %q has no channels", info.Name)
	}
	return nil
}

func checkMarkers(info lsl.StreamInfo) error {
	switch {
	case info.Format == lsl.FormatFloat32 || info.Format == lsl.FormatDouble64:
		return fmt.Errorf("lsl ingest: marker stream %q holds %s values: want strings or integers", info.Name, info.Format)
	case info.ChannelCount < 1:
		return fmt.Errorf("lsl ingest: marker stream %q has no channels", info.Name)
	}
	return nil
}

func xdfChannels(cs []lsl.ChannelInfo) []xdf.ChannelInfo {
	out := make([]xdf.ChannelInfo, len(cs))
	for i, c := range cs {
		out[i] = xdf.ChannelInfo{Label: c.Label, Unit: c.Unit, Type: c.Type}
	}
	return out
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SessionID names a session after its stream's source_id (or, without
// one, its uid) and its first sample's time, UTC to the second:
// "amp-serial-17_20260315T101502Z". Characters outside [A-Za-z0-9._-]
// become '_'.
func SessionID(source string, start time.Time) string {
	s := unsafeID.ReplaceAllString(source, "_")
	if len(s) > 100 {
		s = s[:100]
	}
	return s + "_" + start.UTC().Format("20060102T150405Z")
}

// chanSource is a pipeline.Source over a channel; the channel's close is
// the end of input.
type chanSource struct{ ch chan pipeline.Message }

func (s *chanSource) Connect(context.Context) error { return nil }
func (s *chanSource) Close(context.Context) error   { return nil }
func (s *chanSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	select {
	case m, ok := <-s.ch:
		if !ok {
			return pipeline.Message{}, nil, pipeline.ErrEndOfInput
		}
		return m, func(error) {}, nil
	case <-ctx.Done():
		return pipeline.Message{}, nil, ctx.Err()
	}
}

// eegItem is one pulled chunk, converted: values sample-major in SI
// units, time stamps on this machine's LSL clock.
type eegItem struct {
	vals      []float32
	ts        []float64
	recovered bool
	arrival   time.Time
	err       error
}

// readSignal pulls the EEG/MEG inlet until it fails or ctx ends.
func readSignal(ctx context.Context, in *lsl.Inlet, scale []float64, offs *offsets, ch chan<- eegItem) {
	var c lsl.Chunk
	for {
		err := in.Pull(ctx, &c, 0)
		var it eegItem
		if err != nil {
			it.err = err
		} else {
			it.arrival = time.Now()
			off := offs.get(ctx, in, c.UID)
			it.ts = make([]float64, c.Len())
			for i, t := range c.Timestamps {
				it.ts[i] = t + off
			}
			it.vals = convert(&c, scale)
			it.recovered = c.Recovered
		}
		select {
		case ch <- it:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// convert returns c's values as float32 times each channel's factor.
func convert(c *lsl.Chunk, scale []float64) []float32 {
	n := c.Len() * c.Channels
	out := make([]float32, n)
	get := func(k int) float64 {
		switch c.Format {
		case lsl.FormatDouble64:
			return c.Float64[k]
		case lsl.FormatInt8:
			return float64(c.Int8[k])
		case lsl.FormatInt16:
			return float64(c.Int16[k])
		case lsl.FormatInt32:
			return float64(c.Int32[k])
		case lsl.FormatInt64:
			return float64(c.Int64[k])
		}
		return 0
	}
	for k := range n {
		f := scale[k%c.Channels]
		if c.Format == lsl.FormatFloat32 {
			if f == 1 {
				out[k] = c.Float32[k]
			} else {
				out[k] = float32(float64(c.Float32[k]) * f)
			}
			continue
		}
		out[k] = float32(get(k) * f)
	}
	return out
}

type markerItem struct {
	m      marker
	stream int
	err    error
}

// readMarkers pulls a marker inlet until it fails or ctx ends.
func readMarkers(ctx context.Context, in *lsl.Inlet, stream int, codes map[string]int, offs *offsets, ch chan<- markerItem) {
	var c lsl.Chunk
	for {
		if err := in.Pull(ctx, &c, 0); err != nil {
			select {
			case ch <- markerItem{stream: stream, err: err}:
			case <-ctx.Done():
			}
			return
		}
		off := offs.get(ctx, in, c.UID)
		now := time.Now()
		for i, t := range c.Timestamps {
			m := marker{t: t + off, arrival: now}
			parts := make([]string, c.Channels)
			for k := range c.Channels {
				j := i*c.Channels + k
				switch c.Format {
				case lsl.FormatString:
					parts[k] = c.Strings[j]
				case lsl.FormatInt8:
					parts[k] = strconv.Itoa(int(c.Int8[j]))
				case lsl.FormatInt16:
					parts[k] = strconv.Itoa(int(c.Int16[j]))
				case lsl.FormatInt32:
					parts[k] = strconv.Itoa(int(c.Int32[j]))
				case lsl.FormatInt64:
					parts[k] = strconv.FormatInt(c.Int64[j], 10)
				}
			}
			m.desc = strings.Join(parts, "/")
			if c.Format == lsl.FormatString {
				m.code = codes[m.desc]
			} else if v, err := strconv.ParseInt(parts[0], 10, 64); err == nil && v > 0 && v <= 1<<24 {
				// float32 holds integers exactly up to 2²⁴.
				m.code = int(v)
			}
			select {
			case ch <- markerItem{m: m, stream: stream}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// offsets holds each outlet instance's clock offset (what to add to its
// time stamps to get this machine's LSL clock), by uid.
type offsets struct {
	log *slog.Logger
	mu  sync.Mutex
	m   map[string]float64
}

func newOffsets(log *slog.Logger) *offsets { return &offsets{log: log, m: map[string]float64{}} }

// get returns uid's offset, measuring it first for an outlet instance not
// seen yet (the first chunk, or the first after a restart: its clock may
// be another machine's). A measurement that fails leaves the offset at 0
// (right on one machine) with a warning; refresh tries again.
func (o *offsets) get(ctx context.Context, in *lsl.Inlet, uid string) float64 {
	o.mu.Lock()
	off, ok := o.m[uid]
	o.mu.Unlock()
	if ok {
		return off
	}
	if err := o.measure(ctx, in); err != nil {
		o.log.Warn("lsl ingest: clock offset not measured: time stamps used as they are until it is", "stream", in.Info().Name, "err", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if off, ok = o.m[uid]; !ok {
		o.m[uid] = 0
	}
	return off
}

func (o *offsets) measure(ctx context.Context, in *lsl.Inlet) error {
	var last error
	for range 3 {
		tc, err := in.TimeCorrection(ctx)
		if err == nil {
			o.mu.Lock()
			o.m[in.Info().UID] = tc.Offset
			o.mu.Unlock()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		last = err
	}
	return last
}

// refresh measures every inlet's offset again every interval.
func (o *offsets) refresh(ctx context.Context, interval time.Duration, ins []*lsl.Inlet) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, in := range ins {
			// A failure keeps the last offset: the outlet may be gone or
			// restarting, which the readers find out.
			if err := o.measure(ctx, in); err != nil && ctx.Err() == nil {
				o.log.Debug("lsl ingest: clock offset not measured again", "stream", in.Info().Name, "err", err)
			}
		}
	}
}

// eventWriter writes events in the background, in order, so chunks do not
// wait for them.
type eventWriter struct {
	w    *pkafka.ChunkWriter
	ch   chan pipeline.Message
	done chan struct{}
	err  error
}

func newEventWriter(ctx context.Context, w *pkafka.ChunkWriter) *eventWriter {
	ew := &eventWriter{w: w, ch: make(chan pipeline.Message, 1024), done: make(chan struct{})}
	go func() {
		defer close(ew.done)
		batch := make([]pipeline.Message, 0, 100)
		for m := range ew.ch {
			batch = append(batch[:0], m)
		fill:
			for len(batch) < cap(batch) {
				select {
				case m, ok := <-ew.ch:
					if !ok {
						break fill
					}
					batch = append(batch, m)
				default:
					break fill
				}
			}
			if ew.err != nil {
				continue // drain
			}
			if err := w.Write(ctx, batch...); err != nil {
				ew.err = fmt.Errorf("lsl ingest: events to %s: %w", w.Topic(), err)
			}
		}
	}()
	return ew
}

func (ew *eventWriter) publish(e Event) {
	b, _ := json.Marshal(e) // plain fields: cannot fail
	ew.ch <- pipeline.Message{Key: e.Session, Value: b, Origin: "event of " + e.Session, Time: time.Now()}
}

func (ew *eventWriter) close() error {
	close(ew.ch)
	<-ew.done
	if err := ew.w.Close(); err != nil && ew.err == nil {
		ew.err = err
	}
	return ew.err
}
