package kafka

import "sync"

// ackState is an outstanding record's acknowledgement.
type ackState uint8

const (
	ackPending ackState = iota
	ackDone
	ackFailed
	// ackGone: tracked but never handed to the pipeline (its generation
	// ended first); it is fetched again.
	ackGone
)

// tracker follows one partition's outstanding records while this member
// owns it (across generations that keep it) and computes what may be committed: 1 + the highest offset o such that
// every record delivered up to o was acknowledged without error. Records
// are tracked in fetch order, which is offset order; offsets need not be
// consecutive (compaction, transaction markers). A record acknowledged
// with an error is never committed past.
//
// A tracker is safe for concurrent use: records are tracked by the fetch
// goroutine and acknowledged by pipeline workers.
type tracker struct {
	mu sync.Mutex
	// offsets[start+k] and states[start+k] describe the record with
	// sequence number head+k; sequence numbers count the records in
	// delivery order.
	offsets []int64
	states  []ackState
	start   int
	head    int64
	// commitable is the offset to commit; -1 until a record was done.
	commitable int64
	// committed is the offset last committed to the broker, -1 if none.
	committed int64
}

func newTracker() *tracker { return &tracker{commitable: -1, committed: -1} }

// track registers the next delivered record and returns its sequence
// number for ack.
func (t *tracker) track(offset int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.offsets = append(t.offsets, offset)
	t.states = append(t.states, ackPending)
	return t.head + int64(len(t.offsets)-t.start) - 1
}

// ack records the acknowledgement of record seq. A second acknowledgement
// of the same record is ignored. Amortised O(1).
func (t *tracker) ack(seq int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := seq - t.head
	if i < 0 || i >= int64(len(t.states)-t.start) {
		return
	}
	j := t.start + int(i)
	if t.states[j] != ackPending {
		return
	}
	if err != nil {
		t.states[j] = ackFailed
		return
	}
	t.states[j] = ackDone
	// Advance over the acknowledged prefix; a failed record stops it for
	// good.
	for t.start < len(t.states) && t.states[t.start] == ackDone {
		t.commitable = t.offsets[t.start] + 1
		t.start++
		t.head++
	}
	if t.start >= 64 && t.start*2 >= len(t.states) {
		n := copy(t.offsets, t.offsets[t.start:])
		t.offsets = t.offsets[:n]
		copy(t.states, t.states[t.start:])
		t.states = t.states[:n]
		t.start = 0
	}
}

// untrack forgets record seq, fetched but never handed to the pipeline,
// so it is fetched again and tracked anew. Such records are the newest
// tracked ones: once every record after it is gone too, they are dropped
// from the tail and their sequence numbers reused.
func (t *tracker) untrack(seq int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := seq - t.head
	if i < 0 || i >= int64(len(t.states)-t.start) {
		return
	}
	t.states[t.start+int(i)] = ackGone
	for len(t.states) > t.start && t.states[len(t.states)-1] == ackGone {
		t.states = t.states[:len(t.states)-1]
		t.offsets = t.offsets[:len(t.offsets)-1]
	}
}

// committedOffset returns the offset last committed, -1 if none.
func (t *tracker) committedOffset() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.committed
}

// toCommit returns the offset to commit and whether it is newer than the
// last one committed.
func (t *tracker) toCommit() (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commitable, t.commitable > t.committed
}

// markCommitted records that offset was committed.
func (t *tracker) markCommitted(offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.committed = max(t.committed, offset)
}

// outstanding returns how many delivered records are not yet committable.
func (t *tracker) outstanding() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.states) - t.start
}
