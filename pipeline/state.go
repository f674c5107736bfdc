package pipeline

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sync"
)

// StateStore keeps one checkpoint per session (Options.State): the
// changelog of Kafka Streams, a compacted topic keyed by session. The
// runtime saves a session's checkpoint before it acknowledges the chunks
// the checkpoint covers, so the committed offsets never run ahead of the
// saved state, and loads it when the session's first chunk arrives in a
// process (after a restart or a rebalance).
type StateStore interface {
	// Load returns the session's newest checkpoint, or nil when it has
	// none. It sees every Save that was durable before it was called.
	Load(ctx context.Context, session string) ([]byte, error)
	// Save hands over the session's checkpoint; nil deletes it (a
	// tombstone). It returns once it no longer needs state; done is called
	// once, from any goroutine, when the checkpoint is durable (nil) or
	// cannot be. Saves of one session become durable in the order they
	// were made. An error returned by Save itself means nothing was handed
	// over and done is never called.
	Save(ctx context.Context, session string, state []byte, done func(error)) error
	Close() error
}

// ErrStateTooLarge is returned by StateStore.Save (wrapped) for a
// checkpoint larger than the store accepts. The runtime stops
// checkpointing that session, deletes its checkpoint and goes on with the
// warm-up, rather than stopping at the same session after every restart.
var ErrStateTooLarge = errors.New("pipeline: checkpoint too large for the state store")

// Committer is implemented by sources that commit read positions (Kafka).
// Committed returns the committed offset of topic/partition (the offset a
// new owner reads from), and false when this process does not know it
// (the partition is not its own). The runtime deletes an ended session's
// checkpoint once its last chunk is committed.
type Committer interface {
	Committed(topic string, partition int) (int64, bool)
}

// Checkpointer is implemented by preprocessing steps (Preprocess) and
// stages (Stage) that carry state from one chunk or window to the next,
// so that a session resumed elsewhere continues bit for bit. A stage that
// does not implement it is taken to be stateless: each window's results
// depend on that window alone. A Preprocess that does not implement it
// keeps the sessions of its pipeline from being checkpointed: they are
// rebuilt with a warm-up, as without Options.State.
type Checkpointer interface {
	// AppendState appends the instance's state to dst and returns it.
	AppendState(dst []byte) []byte
	// RestoreState sets the state from b, written by AppendState of an
	// instance built for the same configuration and session. An error
	// reports a b that does not fit this instance; the instance is then
	// discarded.
	RestoreState(b []byte) error
}

// MemoryStateStore is a StateStore in memory, for tests and single-process
// runs: Save is durable at once.
type MemoryStateStore struct {
	mu    sync.Mutex
	state map[string][]byte
	saves int
}

// NewMemoryStateStore returns an empty store.
func NewMemoryStateStore() *MemoryStateStore {
	return &MemoryStateStore{state: map[string][]byte{}}
}

// Load implements StateStore.
func (m *MemoryStateStore) Load(_ context.Context, session string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.state[session]; ok {
		return append([]byte(nil), b...), nil
	}
	return nil, nil
}

// Save implements StateStore; done runs before Save returns.
func (m *MemoryStateStore) Save(_ context.Context, session string, state []byte, done func(error)) error {
	m.mu.Lock()
	if state == nil {
		delete(m.state, session)
	} else {
		m.state[session] = append([]byte(nil), state...)
	}
	m.saves++
	m.mu.Unlock()
	done(nil)
	return nil
}

// Close implements StateStore.
func (m *MemoryStateStore) Close() error { return nil }

// Sessions returns how many sessions have a checkpoint, and how many saves
// (tombstones included) were made.
func (m *MemoryStateStore) Sessions() (sessions, saves int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.state), m.saves
}

// Checkpoints returns a copy of every session's checkpoint.
func (m *MemoryStateStore) Checkpoints() map[string][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]byte, len(m.state))
	for k, v := range m.state {
		out[k] = append([]byte(nil), v...)
	}
	return out
}

// checkpoint is one session's saved state, consistent with the offsets
// that may be committed once it is durable: every chunk of the session
// before offset From on its topic/partition is accounted for (its windows'
// results are durable); the state is what the runtime held just before
// the chunk at From (preprocessing, validator, positions) and after the
// last chunk it handled (next window, events, stages), so that re-adding
// the chunks from From on rebuilds the window buffer and the next windows
// come out as they would have.
type checkpoint struct {
	// ended: the session ended before From; a chunk from From on starts
	// a new session.
	ended     bool
	topic     string
	partition int
	from      int64
	// exact: the chunk at From itself continues the state (it was
	// pending); otherwise the session held no chunk, and the state goes
	// on with whichever chunk continues the validator's expectation.
	exact bool

	// The session as its first chunk described it (input side).
	rate     float64
	startNS  int64
	channels int

	// Before the chunk at From.
	inEnd, outEnd, lastSeq int64
	valSeq, valSample      int64
	// pre is the preprocessing chain's state as decoded; encode writes
	// preRaw instead, the chain's part already encoded (appendPre).
	pre    []namedState
	preRaw []byte

	// After the last chunk handled.
	next, windows int64
	events        bool
	scan          int64
	prev          float64
	minStart      int64
	pending       []Event
	stages        []namedState
}

// namedState is one step's or stage's state, under its configured name.
type namedState struct {
	name  string
	state []byte
}

// checkpointMagic and checkpointVersion start every encoded checkpoint.
// A change of the layout below takes a new version; a version this
// runtime does not know is not restored (the session warms up instead).
const (
	checkpointMagic   = "NSCK"
	checkpointVersion = 1
)

var errBadCheckpoint = errors.New("pipeline: checkpoint")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checkpoint flags.
const (
	ckEnded = 1 << iota
	ckExact
	ckEvents
)

// encode appends c's encoding to dst: the magic, the version, the fields
// (varints, float64 bits little-endian, length-prefixed strings and
// blobs), and a CRC-32C of all of it.
func (c *checkpoint) encode(dst []byte) []byte {
	start := len(dst)
	e := stateEncoder{b: append(dst, checkpointMagic...)}
	var flags byte
	if c.ended {
		flags |= ckEnded
	}
	if c.exact {
		flags |= ckExact
	}
	if c.events {
		flags |= ckEvents
	}
	e.b = append(e.b, checkpointVersion, flags)
	e.str(c.topic)
	e.int(int64(c.partition))
	e.int(c.from)
	if !c.ended {
		e.float(c.rate)
		e.int(c.startNS)
		e.int(int64(c.channels))
		for _, v := range []int64{c.inEnd, c.outEnd, c.lastSeq, c.valSeq, c.valSample, c.next, c.windows} {
			e.int(v)
		}
		if c.events {
			e.int(c.scan)
			e.float(c.prev)
			e.int(c.minStart)
			e.int(int64(len(c.pending)))
			for _, ev := range c.pending {
				e.int(ev.Sample)
				e.int(int64(ev.Code))
			}
		}
		e.b = append(e.b, c.preRaw...)
		e.named(c.stages)
	}
	return binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(e.b[start:], castagnoli))
}

// decodeCheckpoint parses b; errors wrap errBadCheckpoint and say what is
// wrong. The blobs of c alias b.
func decodeCheckpoint(b []byte) (*checkpoint, error) {
	if len(b) < len(checkpointMagic)+2+4 || string(b[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a checkpoint (%d bytes)", errBadCheckpoint, len(b))
	}
	if v := b[len(checkpointMagic)]; v != checkpointVersion {
		return nil, fmt.Errorf("%w: version %d, this runtime reads version %d", errBadCheckpoint, v, checkpointVersion)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (%d bytes)", errBadCheckpoint, len(b))
	}
	flags := body[len(checkpointMagic)+1]
	d := stateDecoder{b: body[len(checkpointMagic)+2:]}
	c := &checkpoint{ended: flags&ckEnded != 0, exact: flags&ckExact != 0, events: flags&ckEvents != 0}
	c.topic = d.str()
	c.partition = int(d.int())
	c.from = d.int()
	if !c.ended {
		c.rate = d.float()
		c.startNS = d.int()
		c.channels = int(d.int())
		for _, p := range []*int64{&c.inEnd, &c.outEnd, &c.lastSeq, &c.valSeq, &c.valSample, &c.next, &c.windows} {
			*p = d.int()
		}
		if c.events {
			c.scan = d.int()
			c.prev = d.float()
			c.minStart = d.int()
			n := d.count(2)
			c.pending = make([]Event, n)
			for i := range c.pending {
				c.pending[i] = Event{Sample: d.int(), Code: int(d.int())}
			}
		}
		c.pre = d.named()
		c.stages = d.named()
	}
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes after the last field", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %w", errBadCheckpoint, d.err)
	}
	return c, nil
}

// stateEncoder appends a checkpoint's fields.
type stateEncoder struct{ b []byte }

func (e *stateEncoder) int(v int64) { e.b = binary.AppendVarint(e.b, v) }
func (e *stateEncoder) float(v float64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}
func (e *stateEncoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *stateEncoder) blob(p []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(p)))
	e.b = append(e.b, p...)
}

func (e *stateEncoder) named(ns []namedState) {
	e.int(int64(len(ns)))
	for _, n := range ns {
		e.str(n.name)
		e.blob(n.state)
	}
}

// stateDecoder reads what stateEncoder wrote; the first problem sticks in
// err and every later read returns zero.
type stateDecoder struct {
	b   []byte
	err error
}

func (d *stateDecoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errors.New("truncated integer")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDecoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.err = errors.New("truncated float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

// count reads a count of items of at least min bytes each, refusing one
// that the rest of the input cannot hold.
func (d *stateDecoder) count(min int) int {
	n := d.int()
	if d.err == nil && (n < 0 || n > int64(len(d.b)/min)) {
		d.err = fmt.Errorf("count %d for %d bytes left", n, len(d.b))
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

func (d *stateDecoder) blob() []byte {
	if d.err != nil {
		return nil
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.err = errors.New("truncated blob")
		return nil
	}
	p := d.b[k : k+int(n) : k+int(n)]
	d.b = d.b[k+int(n):]
	return p
}

func (d *stateDecoder) str() string { return string(d.blob()) }

func (d *stateDecoder) named() []namedState {
	n := d.count(2)
	ns := make([]namedState, n)
	for i := range ns {
		ns[i] = namedState{name: d.str(), state: d.blob()}
	}
	return ns
}
