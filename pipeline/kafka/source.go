package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
)

// SourceConfig configures a Source.
type SourceConfig struct {
	Connection
	// Topics are the input topics of wire chunks. Required.
	Topics []string
	// GroupID names the consumer group; replicas of one pipeline share
	// it. Required.
	GroupID string

	// MinBytes is how much data a fetch waits for before the broker
	// answers. Default: 1 (answer as soon as one record is there).
	MinBytes int
	// MaxBytes bounds one fetch response per partition; the broker still
	// returns a record larger than this, alone. Default: 10 MiB.
	MaxBytes int
	// MaxWait bounds how long the broker holds a fetch while fewer than
	// MinBytes are there. It does not delay records that arrive (with
	// MinBytes 1 a waiting fetch returns as soon as one does); it is how
	// often an idle partition is polled. 50 ms left kafka-go's read
	// deadline only 12.5 ms of slack, so a stall of the host caused
	// "i/o timeout" reconnects; 500 ms measured no latency difference
	// (docs/benchmarks.md). Default: 500ms.
	MaxWait time.Duration
	// QueueCapacity is how many records each partition reader fetches
	// ahead of the pipeline. Default: 64.
	QueueCapacity int

	// CommitInterval is how often acknowledged offsets are committed (and
	// once more when a generation ends or the source closes).
	// Default: 200ms.
	CommitInterval time.Duration
	// StartOffset is where a partition without a committed offset starts:
	// kafka-go's FirstOffset (-2) or LastOffset (-1). Default: FirstOffset.
	StartOffset int64

	// HeartbeatInterval is how often the member tells the group
	// coordinator it is alive; a rebalance is noticed within it.
	// Default: 1s.
	HeartbeatInterval time.Duration
	// SessionTimeout is how long the coordinator waits for a heartbeat
	// before it drops a member (a killed replica's partitions move after
	// this long). Brokers accept 6s–30s by default
	// (group.min/max.session.timeout.ms). Default: 10s.
	SessionTimeout time.Duration
	// RebalanceTimeout is how long the coordinator waits for members to
	// rejoin during a rebalance. Default: 10s.
	RebalanceTimeout time.Duration
	// JoinGroupBackoff is the pause before rejoining after a failed join.
	// Default: 1s.
	JoinGroupBackoff time.Duration
	// WatchPartitionChanges makes the group rebalance when partitions are
	// added to a topic, checked every PartitionWatchInterval.
	// Default: false (restart the replicas after adding partitions).
	WatchPartitionChanges bool
	// PartitionWatchInterval: see WatchPartitionChanges. Default: 5s.
	PartitionWatchInterval time.Duration

	// ConnectTimeout bounds how long Connect waits for the brokers: it
	// retries a metadata request with a backoff from 100 ms, doubling up
	// to 5 s, so a pipeline started before its broker, or during a broker
	// restart, starts once the broker answers. A missing input topic is
	// not waited for: Connect fails at once. Default: 0 (keep trying
	// until Connect's context ends).
	ConnectTimeout time.Duration
	// OffsetsInterval is how often the start and end offsets of the
	// assigned partitions are read from their leaders (ListOffsets), for
	// PartitionStats, Lag and Ready; also at once when a generation
	// starts. Default: 5s.
	OffsetsInterval time.Duration

	// Logger default: slog.Default().
	Logger *slog.Logger
}

// Validate checks the configuration; errors name the field.
func (c *SourceConfig) Validate() error {
	if err := c.Connection.validate(); err != nil {
		return fmt.Errorf("kafka source: %w", err)
	}
	if len(c.Topics) == 0 {
		return errors.New("kafka source: Topics: at least one topic is required")
	}
	for i, t := range c.Topics {
		if t == "" {
			return fmt.Errorf("kafka source: Topics[%d]: empty topic name", i)
		}
	}
	if c.GroupID == "" {
		return errors.New("kafka source: GroupID: required")
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"MaxWait", c.MaxWait}, {"CommitInterval", c.CommitInterval}, {"HeartbeatInterval", c.HeartbeatInterval},
		{"SessionTimeout", c.SessionTimeout}, {"RebalanceTimeout", c.RebalanceTimeout},
		{"JoinGroupBackoff", c.JoinGroupBackoff}, {"PartitionWatchInterval", c.PartitionWatchInterval},
		{"ConnectTimeout", c.ConnectTimeout}, {"OffsetsInterval", c.OffsetsInterval},
	} {
		if f.v < 0 {
			return fmt.Errorf("kafka source: %s: must not be negative, got %v", f.name, f.v)
		}
	}
	if c.MinBytes < 0 || c.MaxBytes < 0 || c.QueueCapacity < 0 {
		return fmt.Errorf("kafka source: MinBytes, MaxBytes, QueueCapacity: must not be negative, got %d, %d, %d", c.MinBytes, c.MaxBytes, c.QueueCapacity)
	}
	if c.MaxBytes != 0 && c.MinBytes > c.MaxBytes {
		return fmt.Errorf("kafka source: MinBytes: %d is more than MaxBytes %d", c.MinBytes, c.MaxBytes)
	}
	if c.StartOffset != 0 && c.StartOffset != kafkago.FirstOffset && c.StartOffset != kafkago.LastOffset {
		return fmt.Errorf("kafka source: StartOffset: must be FirstOffset (%d) or LastOffset (%d), got %d", kafkago.FirstOffset, kafkago.LastOffset, c.StartOffset)
	}
	hb, st := or(c.HeartbeatInterval, time.Second), or(c.SessionTimeout, 10*time.Second)
	if hb >= st {
		return fmt.Errorf("kafka source: HeartbeatInterval: %v must be shorter than SessionTimeout %v", hb, st)
	}
	return nil
}

func or[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

func (c *SourceConfig) setDefaults() {
	c.Connection.setDefaults()
	c.MinBytes = or(c.MinBytes, 1)
	c.MaxBytes = or(c.MaxBytes, 10<<20)
	c.MaxWait = or(c.MaxWait, 500*time.Millisecond)
	c.QueueCapacity = or(c.QueueCapacity, 64)
	c.CommitInterval = or(c.CommitInterval, 200*time.Millisecond)
	c.StartOffset = or(c.StartOffset, kafkago.FirstOffset)
	c.HeartbeatInterval = or(c.HeartbeatInterval, time.Second)
	c.SessionTimeout = or(c.SessionTimeout, 10*time.Second)
	c.RebalanceTimeout = or(c.RebalanceTimeout, 10*time.Second)
	c.JoinGroupBackoff = or(c.JoinGroupBackoff, time.Second)
	c.PartitionWatchInterval = or(c.PartitionWatchInterval, 5*time.Second)
	c.OffsetsInterval = or(c.OffsetsInterval, 5*time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Source reads wire chunks from Kafka as a member of a consumer group
// (pipeline.Source). Each group generation reads its assigned partitions
// from their committed offsets; Message.Epoch is the generation ID, so a
// rebalance makes the runtime rebuild the sessions it touches. Offsets are
// committed per partition up to the contiguous prefix of records
// acknowledged without error, every CommitInterval and on Close.
//
// A broker outage ends the member's generation (its heartbeat fails); the
// source then keeps rejoining, every JoinGroupBackoff, and the next
// generation re-reads each partition from its committed offset. Ready is
// false meanwhile.
//
// Read, the AckFuncs, Stats, Lag, PartitionStats and Ready are safe for
// concurrent use.
type Source struct {
	cfg    SourceConfig
	dialer *kafkago.Dialer
	log    *slog.Logger
	// client reads partition offsets (offsetsLoop); its transport is
	// closed with the source.
	client    *kafkago.Client
	transport *kafkago.Transport

	state atomic.Int32
	// ctx ends when the source closes: it stops Connect's retries, the
	// group's generations and the offsets loop.
	ctx    context.Context
	cancel context.CancelFunc

	group       *kafkago.ConsumerGroup
	msgs        chan delivery
	runDone     chan struct{}
	offsetsDone chan struct{}
	// kick asks the offsets loop for a refresh now (a generation started).
	kick chan struct{}

	closeOnce sync.Once
	closeErr  error

	mu  sync.Mutex
	cur *generation
	// prev is the last generation that ended; its partitions may carry
	// over into the next one.
	prev    *generation
	closing bool
	// finalErr is the last commit error of a generation that ended
	// because the source closed.
	finalErr error
	// connectErr is the last failure while connecting; joinErr the last
	// failure to join the group since the last generation.
	connectErr, joinErr error
	// contactAt is the last request to the brokers that succeeded
	// (offsets, metadata, commit); failedSince and contactErr describe
	// the failures since, if any.
	contactAt, failedSince time.Time
	contactErr             error
	// assignments counts generations per partition assigned to this member.
	assignments map[topicPartition]int64

	stats sourceCounters
}

type topicPartition struct {
	topic     string
	partition int
}

// Source states.
const (
	stateNew int32 = iota
	stateConnecting
	stateConnected
	stateClosed
)

type sourceCounters struct {
	messages, stale, ackErrors, commits, commitErrors, fetchErrors, joinErrors, generations atomic.Int64
	rebalances, offsetsErrors                                                               atomic.Int64
}

// SourceStats counts what a Source did.
type SourceStats struct {
	// Messages is how many records were handed to the pipeline.
	Messages int64
	// Stale counts fetched records dropped because their generation had
	// ended before Read (the partition's next owner re-reads them).
	Stale int64
	// AckErrors counts records acknowledged with an error.
	AckErrors int64
	// Commits and CommitErrors count offset commit requests.
	Commits, CommitErrors int64
	// FetchErrors counts failed fetches (retried).
	FetchErrors int64
	// JoinErrors counts failed attempts to join the group (retried).
	JoinErrors int64
	// Generations counts the group generations this member took part in.
	Generations int64
	// Rebalances counts the generations that ended while the source was
	// running (a rebalance, or the coordinator or broker lost), not by
	// Close.
	Rebalances int64
	// OffsetsErrors counts failed refreshes of partition offsets
	// (OffsetsInterval), and partitions whose offsets a refresh could not
	// read.
	OffsetsErrors int64
	// Generation is the current generation ID, -1 when in none.
	Generation int64
	// Partitions is how many partitions the current generation assigned.
	Partitions int
}

type generation struct {
	id    int64
	parts []*partition
	// done is closed when the generation ended; its records are stale.
	done chan struct{}
}

func (g *generation) ended() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

type partition struct {
	topic string
	id    int
	// epoch is the generation from which this member has owned the
	// partition without interruption: the Epoch of its messages. A
	// partition that stays across a rebalance keeps its epoch, tracker
	// and position, so its sessions go on untouched.
	epoch int64
	t     *tracker
	// hwm is the partition's high-water mark seen by the last fetch.
	hwm atomic.Int64
	// pos is the offset of the next record handed to the pipeline, -1
	// until known.
	pos atomic.Int64
	// logStart and logEnd are the partition's offsets read at offsetsAt
	// (Unix nanoseconds; 0: not read, or the last read failed).
	logStart, logEnd, offsetsAt atomic.Int64
}

type delivery struct {
	msg kafkago.Message
	gen *generation
	p   *partition
	seq int64
}

// NewSource validates cfg and returns a Source; Connect joins the group.
func NewSource(cfg SourceConfig) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	cfg.Topics = append([]string(nil), cfg.Topics...)
	s := &Source{cfg: cfg, dialer: cfg.dialer(), log: cfg.Logger.With("group", cfg.GroupID), assignments: map[topicPartition]int64{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Connect waits until the brokers answer and checks that the topics
// exist, then joins the consumer group; partitions are assigned
// asynchronously (Ready says when). While no broker answers it retries,
// with a backoff from 100 ms doubling up to 5 s, for ConnectTimeout (0:
// until ctx ends or the source closes), and returns ctx's error promptly
// when ctx ends. A missing input topic, refused authorisation and the
// like fail at once: they are configuration errors, and a topic is
// expected to exist before its consumers start (docs/operations.md).
func (s *Source) Connect(ctx context.Context) error {
	if !s.state.CompareAndSwap(stateNew, stateConnecting) {
		if s.state.Load() == stateClosed {
			return errors.New("kafka source: Connect after Close")
		}
		return errors.New("kafka source: Connect called twice")
	}
	err := s.connect(ctx)
	if err != nil {
		s.mu.Lock()
		s.connectErr = err
		s.mu.Unlock()
		s.state.CompareAndSwap(stateConnecting, stateNew)
		return fmt.Errorf("kafka source group %s: %w", s.cfg.GroupID, err)
	}
	return nil
}

func (s *Source) connect(ctx context.Context) error {
	if err := s.awaitBrokers(ctx); err != nil {
		return err
	}
	g, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                     s.cfg.GroupID,
		Brokers:                s.cfg.Brokers,
		Dialer:                 s.dialer,
		Topics:                 s.cfg.Topics,
		HeartbeatInterval:      s.cfg.HeartbeatInterval,
		SessionTimeout:         s.cfg.SessionTimeout,
		RebalanceTimeout:       s.cfg.RebalanceTimeout,
		JoinGroupBackoff:       s.cfg.JoinGroupBackoff,
		WatchPartitionChanges:  s.cfg.WatchPartitionChanges,
		PartitionWatchInterval: s.cfg.PartitionWatchInterval,
		StartOffset:            s.cfg.StartOffset,
		Timeout:                s.cfg.DialTimeout,
		Logger:                 debugLogger(s.log, "consumergroup"),
		ErrorLogger:            warnLogger(s.log, "consumergroup"),
	})
	if err != nil {
		return err
	}
	s.transport = s.cfg.transport(s.cfg.Topics...) // its client reads the input topics' offsets only
	s.client = &kafkago.Client{Addr: kafkago.TCP(s.cfg.Brokers...), Transport: s.transport, Timeout: s.cfg.DialTimeout}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		g.Close()
		s.transport.CloseIdleConnections()
		return errors.New("closed while connecting")
	}
	s.group = g
	s.msgs = make(chan delivery)
	s.runDone = make(chan struct{})
	s.offsetsDone = make(chan struct{})
	s.kick = make(chan struct{}, 1)
	s.contactAt, s.contactErr, s.connectErr = time.Now(), nil, nil
	s.state.Store(stateConnected)
	go s.run()
	go s.offsetsLoop()
	return nil
}

// Connect's retry backoff.
const (
	connectBackoffMin = 100 * time.Millisecond
	connectBackoffMax = 5 * time.Second
)

// awaitBrokers retries checkTopics until it succeeds, fails permanently,
// ConnectTimeout passes, ctx ends or the source closes.
func (s *Source) awaitBrokers(ctx context.Context) error {
	if s.cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.cfg.ConnectTimeout, errConnectTimeout)
		defer cancel()
	}
	ctx, stop := mergeCancel(ctx, s.ctx)
	defer stop()
	rl := retryLog{log: s.log}
	start := time.Now()
	backoff := connectBackoffMin
	for {
		actx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
		err := checkTopics(actx, s.cfg.Connection, s.cfg.Topics)
		cancel()
		if err == nil {
			rl.ok("kafka source: brokers answer", "brokers", s.cfg.Brokers)
			return nil
		}
		if ctx.Err() == nil && permanent(err) {
			return err
		}
		s.mu.Lock()
		s.connectErr = err
		s.mu.Unlock()
		if ctx.Err() == nil {
			rl.failed("kafka source: brokers do not answer; retrying", err, "brokers", s.cfg.Brokers, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			backoff = min(2*backoff, connectBackoffMax)
		}
		if ctx.Err() != nil {
			switch cause := context.Cause(ctx); {
			case errors.Is(cause, errConnectTimeout):
				return fmt.Errorf("brokers %v did not answer within ConnectTimeout %v (%d attempts): %w", s.cfg.Brokers, s.cfg.ConnectTimeout, rl.failures, err)
			case s.ctx.Err() != nil:
				return fmt.Errorf("closed while connecting to %v (last error: %w)", s.cfg.Brokers, err)
			default:
				return fmt.Errorf("connecting to %v for %v: %w (last error: %w)", s.cfg.Brokers, time.Since(start).Round(time.Millisecond), ctx.Err(), err)
			}
		}
	}
}

var errConnectTimeout = errors.New("kafka source: ConnectTimeout")

// mergeCancel returns a context that ends with a or b (with a's values
// and deadline).
func mergeCancel(a, b context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(a)
	stop := context.AfterFunc(b, func() { cancel(context.Cause(b)) })
	return ctx, func() {
		stop()
		cancel(nil)
	}
}

// checkTopics fails when a broker cannot be reached or a topic does not
// exist (without creating it, whatever the broker's auto-creation).
func checkTopics(ctx context.Context, c Connection, topics []string) error {
	return c.withClient(func(cl *kafkago.Client) error {
		md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
		if err != nil {
			return fmt.Errorf("metadata from %v: %w", c.Brokers, err)
		}
		for _, t := range md.Topics {
			if errors.Is(t.Error, kafkago.UnknownTopicOrPartition) {
				return fmt.Errorf("topic %s does not exist on %v (create it first; the source neither creates nor waits for its input topics): %w", t.Name, c.Brokers, t.Error)
			}
			if t.Error != nil {
				return fmt.Errorf("topic %s: %w", t.Name, t.Error)
			}
		}
		return nil
	})
}

// run follows the group's generations until the group closes.
func (s *Source) run() {
	defer close(s.runDone)
	rl := retryLog{log: s.log}
	for {
		gen, err := s.group.Next(s.ctx)
		if err != nil {
			if errors.Is(err, kafkago.ErrGroupClosed) || s.ctx.Err() != nil {
				return
			}
			s.stats.joinErrors.Add(1)
			s.mu.Lock()
			s.joinErr = err
			s.mu.Unlock()
			rl.failed("kafka source: joining the consumer group failed; retrying", err, "retry_in", s.cfg.JoinGroupBackoff)
			continue
		}
		rl.ok("kafka source: joined the consumer group", "generation", gen.ID)
		s.startGeneration(gen)
	}
}

func (s *Source) startGeneration(gen *kafkago.Generation) {
	g := &generation{id: int64(gen.ID), done: make(chan struct{})}
	var assigned []any
	start := map[*partition]int64{}
	s.mu.Lock()
	prev := s.prev
	for _, topic := range s.cfg.Topics {
		for _, a := range gen.Assignments[topic] {
			// A partition this member owned in the generation just before,
			// whose committed offset nobody moved since, carries over: its
			// sessions, pending acknowledgements and position stay, and
			// fetching resumes after the last record handed over.
			if pp := prev.find(topic, a.ID); pp != nil && int64(gen.ID) == prev.id+1 && a.Offset == pp.t.committedOffset() && pp.pos.Load() >= 0 {
				g.parts = append(g.parts, pp)
				start[pp] = pp.pos.Load()
				assigned = append(assigned, fmt.Sprintf("%s/%d@%d (kept)", topic, a.ID, pp.pos.Load()))
				continue
			}
			p := &partition{topic: topic, id: a.ID, t: newTracker(), epoch: int64(gen.ID)}
			p.pos.Store(-1)
			if a.Offset >= 0 {
				p.t.committed = a.Offset
				p.pos.Store(a.Offset)
			}
			off := a.Offset
			if off < 0 {
				off = s.cfg.StartOffset
			}
			start[p] = off
			g.parts = append(g.parts, p)
			assigned = append(assigned, fmt.Sprintf("%s/%d@%s", topic, a.ID, offsetString(a.Offset)))
		}
	}
	s.mu.Unlock()
	s.stats.generations.Add(1)
	s.mu.Lock()
	s.cur = g
	s.joinErr = nil
	for _, p := range g.parts {
		s.assignments[topicPartition{p.topic, p.id}]++
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	s.log.Info("kafka source: generation started", "generation", gen.ID, "member", gen.MemberID, "partitions", assigned)
	for _, p := range g.parts {
		offset := start[p]
		gen.Start(func(ctx context.Context) { s.fetch(ctx, g, p, offset) })
	}
	gen.Start(func(ctx context.Context) { s.commitLoop(ctx, gen, g) })
}

func offsetString(o int64) string {
	switch o {
	case kafkago.FirstOffset:
		return "first"
	case kafkago.LastOffset:
		return "last"
	}
	return fmt.Sprint(o)
}

// fetch reads one partition from offset until the generation ends.
func (s *Source) fetch(ctx context.Context, g *generation, p *partition, offset int64) {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:        s.cfg.Brokers,
		Topic:          p.topic,
		Partition:      p.id,
		Dialer:         s.dialer,
		MinBytes:       s.cfg.MinBytes,
		MaxBytes:       s.cfg.MaxBytes,
		MaxWait:        s.cfg.MaxWait,
		QueueCapacity:  s.cfg.QueueCapacity,
		ReadBackoffMin: 50 * time.Millisecond,
		ReadBackoffMax: time.Second,
		Logger:         debugLogger(s.log, "reader"),
		ErrorLogger:    warnLogger(s.log, "reader"),
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		// Only fails on a used reader; this one is new.
		s.log.Error("kafka source: set offset", "topic", p.topic, "partition", p.id, "offset", offset, "err", err)
		return
	}
	backoff := 50 * time.Millisecond
	rl := retryLog{log: s.log}
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.stats.fetchErrors.Add(1)
			rl.failed("kafka source: fetch failed; retrying", err, "topic", p.topic, "partition", p.id)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		rl.ok("kafka source: fetching again", "topic", p.topic, "partition", p.id)
		p.hwm.Store(m.HighWaterMark)
		d := delivery{msg: m, gen: g, p: p, seq: p.t.track(m.Offset)}
		select {
		case s.msgs <- d:
			p.pos.Store(m.Offset + 1)
		case <-ctx.Done():
			p.t.untrack(d.seq) // never handed over: fetched again
			return
		}
	}
}

// commitLoop commits every CommitInterval, and once more when the
// generation ends (before the member rejoins or leaves the group).
func (s *Source) commitLoop(ctx context.Context, gen *kafkago.Generation, g *generation) {
	t := time.NewTicker(s.cfg.CommitInterval)
	defer t.Stop()
	rl := retryLog{log: s.log}
	for {
		select {
		case <-ctx.Done():
			close(g.done)
			err := s.commit(gen, g)
			s.mu.Lock()
			if s.cur == g {
				s.cur = nil
			}
			s.prev = g
			if s.closing {
				s.finalErr = err
			} else {
				s.stats.rebalances.Add(1)
			}
			s.mu.Unlock()
			if err != nil {
				s.log.Warn("kafka source: final commit of generation failed; its partitions' next owner re-reads from the previous commit", "generation", g.id, "err", err)
			}
			return
		case <-t.C:
			if err := s.commit(gen, g); err != nil {
				rl.failed("kafka source: commit failed; retrying at the next interval", err, "generation", g.id)
			} else {
				rl.ok("kafka source: committing again", "generation", g.id)
			}
		}
	}
}

// commit commits each partition's new commitable offset, if any.
func (s *Source) commit(gen *kafkago.Generation, g *generation) error {
	offsets := map[string]map[int]int64{}
	var parts []*partition
	var values []int64
	for _, p := range g.parts {
		o, ok := p.t.toCommit()
		if !ok {
			continue
		}
		if offsets[p.topic] == nil {
			offsets[p.topic] = map[int]int64{}
		}
		offsets[p.topic][p.id] = o
		parts = append(parts, p)
		values = append(values, o)
	}
	if len(parts) == 0 {
		return nil
	}
	if err := gen.CommitOffsets(offsets); err != nil {
		s.stats.commitErrors.Add(1)
		s.contact(err)
		return fmt.Errorf("commit offsets %v of generation %d: %w", offsets, g.id, err)
	}
	s.contact(nil)
	s.stats.commits.Add(1)
	for i, p := range parts {
		p.t.markCommitted(values[i])
	}
	return nil
}

// Read implements pipeline.Source: the next record of a partition this
// member owns, with an AckFunc that makes its offset committable.
func (s *Source) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	if st := s.state.Load(); st == stateNew || st == stateConnecting {
		return pipeline.Message{}, nil, errors.New("kafka source: Read before Connect")
	}
	for {
		var d delivery
		select {
		case <-ctx.Done():
			return pipeline.Message{}, nil, ctx.Err()
		case <-s.ctx.Done():
			return pipeline.Message{}, nil, pipeline.ErrEndOfInput
		case d = <-s.msgs:
		}
		if d.gen.ended() && !s.keep(d) {
			// Its generation is over and the partition not (yet) kept:
			// never acknowledged here, re-read by the partition's next
			// owner, this member too if the partition carries over.
			s.stats.stale.Add(1)
			continue
		}
		s.stats.messages.Add(1)
		m := &d.msg
		t := m.Time
		if t.IsZero() {
			t = time.Now()
		}
		msg := pipeline.Message{
			Key:       string(m.Key),
			Value:     m.Value,
			Origin:    fmt.Sprintf("kafka %s/%d@%d", m.Topic, m.Partition, m.Offset),
			Time:      t,
			Topic:     m.Topic,
			Partition: m.Partition,
			Offset:    m.Offset,
			Epoch:     d.p.epoch,
		}
		p, seq := d.p, d.seq
		return msg, func(err error) {
			if err != nil {
				s.stats.ackErrors.Add(1)
			}
			p.t.ack(seq, err)
		}, nil
	}
}

// keep decides what becomes of d, a record of a generation that ended:
// delivered as usual when its partition carried over into the current
// generation; otherwise forgotten (untracked, its position reset) so that
// it is fetched again should the partition carry over later.
func (s *Source) keep(d delivery) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.has(d.p) {
		return true
	}
	d.p.t.untrack(d.seq)
	for {
		pos := d.p.pos.Load()
		if pos >= 0 && pos <= d.msg.Offset || d.p.pos.CompareAndSwap(pos, d.msg.Offset) {
			return false
		}
	}
}

// Owned implements pipeline.Owner: whether this member still owns the
// partition of a message of epoch epoch. While the group rebalances it
// answers yes: a partition that stays must not lose its sessions.
func (s *Source) Owned(topic string, partition int, epoch int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return true
	}
	p := s.cur.find(topic, partition)
	return p != nil && p.epoch == epoch
}

// Committed implements pipeline.Committer: the offset this member last
// committed for topic/partition (where a new owner starts reading), while
// it owns the partition.
func (s *Source) Committed(topic string, partition int) (int64, bool) {
	s.mu.Lock()
	p := s.cur.find(topic, partition)
	s.mu.Unlock()
	if p == nil {
		return 0, false
	}
	o := p.t.committedOffset()
	return o, o >= 0
}

func (g *generation) find(topic string, id int) *partition {
	if g == nil {
		return nil
	}
	for _, p := range g.parts {
		if p.topic == topic && p.id == id {
			return p
		}
	}
	return nil
}

func (g *generation) has(p *partition) bool { return g != nil && slices.Contains(g.parts, p) }

// Close commits what is committable, leaves the group and stops the
// partition readers. Acknowledgements after Close change nothing.
func (s *Source) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		group := s.group
		s.mu.Unlock()
		s.state.Store(stateClosed)
		if group == nil {
			// Not connected: stop a Connect that is still retrying.
			s.cancel()
			return
		}
		// Closing the group ends the current generation: the commit loop
		// commits once more, the readers stop, then the member leaves.
		done := make(chan struct{})
		go func() {
			group.Close()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			// The group keeps closing in the background (bounded by the
			// coordinator timeouts); stop waiting for it.
			s.closeErr = fmt.Errorf("kafka source group %s: close: %w", s.cfg.GroupID, ctx.Err())
		}
		s.cancel()
		<-s.runDone
		<-s.offsetsDone
		s.mu.Lock()
		if s.finalErr != nil && s.closeErr == nil {
			s.closeErr = fmt.Errorf("kafka source group %s: close: %w", s.cfg.GroupID, s.finalErr)
		}
		s.mu.Unlock()
	})
	return s.closeErr
}

// Stats returns the source's counters.
func (s *Source) Stats() SourceStats {
	st := SourceStats{
		Messages:      s.stats.messages.Load(),
		Stale:         s.stats.stale.Load(),
		AckErrors:     s.stats.ackErrors.Load(),
		Commits:       s.stats.commits.Load(),
		CommitErrors:  s.stats.commitErrors.Load(),
		FetchErrors:   s.stats.fetchErrors.Load(),
		JoinErrors:    s.stats.joinErrors.Load(),
		Generations:   s.stats.generations.Load(),
		Rebalances:    s.stats.rebalances.Load(),
		OffsetsErrors: s.stats.offsetsErrors.Load(),
		Generation:    -1,
	}
	s.mu.Lock()
	if g := s.cur; g != nil {
		st.Generation = g.id
		st.Partitions = len(g.parts)
	}
	s.mu.Unlock()
	return st
}
