package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// PartitionStats describes one input partition assigned to this member.
// Offsets are Kafka offsets: the offset of the next record, so an offset
// difference counts records (but for transaction markers and compacted
// gaps).
type PartitionStats struct {
	Topic     string
	Partition int
	// Generation is the consumer-group generation of the assignment.
	Generation int64
	// Position is the offset of the next record the source hands to the
	// pipeline; -1 until known (nothing committed and nothing read yet).
	Position int64
	// Committed is the group's committed offset: where the partition's
	// next owner starts. -1 when the group has committed none.
	Committed int64
	// LogStart and LogEnd are the partition's first offset and its end
	// (the high-water mark: the offset the next record written gets), read
	// from its leader every OffsetsInterval; -1 when unknown.
	LogStart, LogEnd int64
	// OffsetsTime is when LogStart and LogEnd were read; zero when
	// unknown.
	OffsetsTime time.Time
	// Lag is how far the group is behind: LogEnd − Committed. Without a
	// committed offset it counts from where the partition is read from:
	// LogStart with StartOffset FirstOffset, Position with LastOffset. -1
	// when unknown: the last read of LogEnd failed or is older than
	// 3 × OffsetsInterval (the broker is unreachable, or the partition has
	// no leader).
	Lag int64
	// Assignments counts the generations that assigned this partition to
	// this member, this one included.
	Assignments int64
}

// staleAfter is how old partition offsets and the last answer of a broker
// may be before lag is unknown and the source not ready.
func (s *Source) staleAfter() time.Duration { return 3 * s.cfg.OffsetsInterval }

// PartitionStats returns the partitions of the current generation, by
// topic and partition; none outside a generation (while joining, or while
// the brokers are unreachable), when the partitions' lag is this member's
// to report no longer.
func (s *Source) PartitionStats() []PartitionStats {
	s.mu.Lock()
	g := s.cur
	var counts []int64
	if g != nil {
		for _, p := range g.parts {
			counts = append(counts, s.assignments[topicPartition{p.topic, p.id}])
		}
	}
	s.mu.Unlock()
	if g == nil {
		return nil
	}
	now := time.Now()
	out := make([]PartitionStats, len(g.parts))
	for i, p := range g.parts {
		out[i] = s.partitionStats(g, p, now)
		out[i].Assignments = counts[i]
	}
	slices.SortFunc(out, func(a, b PartitionStats) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}

func (s *Source) partitionStats(g *generation, p *partition, now time.Time) PartitionStats {
	p.t.mu.Lock()
	committed := p.t.committed
	p.t.mu.Unlock()
	st := PartitionStats{
		Topic: p.topic, Partition: p.id, Generation: g.id,
		Position: p.pos.Load(), Committed: committed,
		LogStart: -1, LogEnd: -1, Lag: -1,
	}
	at := p.offsetsAt.Load()
	if at == 0 {
		return st
	}
	st.OffsetsTime = time.Unix(0, at)
	if now.Sub(st.OffsetsTime) > s.staleAfter() {
		st.OffsetsTime = time.Time{}
		return st
	}
	st.LogStart = p.logStart.Load()
	// A fetch may have seen a newer high-water mark than the last read.
	st.LogEnd = max(p.logEnd.Load(), p.hwm.Load())
	base := committed
	if base < 0 {
		switch {
		case s.cfg.StartOffset == kafkago.FirstOffset:
			base = st.LogStart
		case st.Position >= 0:
			base = st.Position
		default:
			base = st.LogEnd
		}
	}
	st.Lag = max(st.LogEnd-base, 0)
	return st
}

// Lag returns the consumer lag of the partitions this member owns: the sum
// of their PartitionStats.Lag; 0 with no partition assigned. It is -1
// (unknown) outside a consumer-group generation or when the lag of one of
// them is unknown, as while the brokers are unreachable.
func (s *Source) Lag() int64 {
	s.mu.Lock()
	inGen := s.cur != nil
	s.mu.Unlock()
	if !inGen {
		return -1
	}
	var lag int64
	for _, p := range s.PartitionStats() {
		if p.Lag < 0 {
			return -1
		}
		lag += p.Lag
	}
	return lag
}

// Ready reports whether the source consumes: Connect succeeded, the
// member belongs to a consumer-group generation, and its last request to
// the brokers (the offsets refresh every OffsetsInterval, an offset
// commit) succeeded less than 3 × OffsetsInterval ago. why says what is
// missing, or, when ready, the generation and partition count. A broker
// outage makes it false within about HeartbeatInterval (the generation
// ends) and true again once the member rejoined.
func (s *Source) Ready() (ok bool, why string) {
	switch s.state.Load() {
	case stateNew, stateConnecting:
		s.mu.Lock()
		err := s.connectErr
		s.mu.Unlock()
		if err != nil {
			return false, fmt.Sprintf("connecting to %v: %v", s.cfg.Brokers, err)
		}
		return false, fmt.Sprintf("connecting to %v", s.cfg.Brokers)
	case stateClosed:
		return false, "closed"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		if s.joinErr != nil {
			return false, fmt.Sprintf("not a member of a consumer-group generation: joining failed: %v", s.joinErr)
		}
		return false, "not a member of a consumer-group generation (joining)"
	}
	if s.contactErr != nil {
		return false, fmt.Sprintf("brokers %v unreachable for %v: %v", s.cfg.Brokers, time.Since(s.failedSince).Round(time.Second), s.contactErr)
	}
	if d := time.Since(s.contactAt); d > s.staleAfter() {
		return false, fmt.Sprintf("no answer from brokers %v for %v", s.cfg.Brokers, d.Round(time.Second))
	}
	return true, fmt.Sprintf("member of generation %d with %d partitions", s.cur.id, len(s.cur.parts))
}

// contact records the outcome of a request to the brokers (nil: it
// succeeded), for Ready. An error the broker returned (a rebalance in
// progress, a leader moving) is an answer: the broker is there.
func (s *Source) contact(err error) {
	var ke kafkago.Error
	if errors.As(err, &ke) {
		err = nil
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.contactAt, s.contactErr = now, nil
		return
	}
	if s.contactErr == nil {
		s.failedSince = now
	}
	s.contactErr = err
}

// offsetsLoop refreshes the partitions' offsets every OffsetsInterval, and
// when a generation starts, until the source closes.
func (s *Source) offsetsLoop() {
	defer close(s.offsetsDone)
	defer s.transport.CloseIdleConnections()
	t := time.NewTicker(s.cfg.OffsetsInterval)
	defer t.Stop()
	rl := retryLog{log: s.log}
	for {
		s.refreshOffsets(&rl)
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// refreshOffsets reads the start and end offsets of the current
// generation's partitions (ListOffsets on their leaders), or, outside a
// generation, the topics' metadata, so that Ready knows whether the
// brokers answer either way.
func (s *Source) refreshOffsets(rl *retryLog) {
	s.mu.Lock()
	g := s.cur
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	defer cancel()
	var err error
	if g == nil || len(g.parts) == 0 {
		_, err = s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: s.cfg.Topics})
	} else {
		err = s.listOffsets(ctx, g)
	}
	if s.ctx.Err() != nil {
		return // closing
	}
	var pe partitionErrors
	if err != nil && !errors.As(err, &pe) {
		if g != nil {
			for _, p := range g.parts {
				p.offsetsAt.Store(0)
			}
		}
		s.stats.offsetsErrors.Add(1)
		s.contact(err)
		rl.failed("kafka source: reading partition offsets failed; lag unknown until it succeeds", err, "brokers", s.cfg.Brokers)
		return
	}
	s.contact(nil)
	if err != nil {
		// The brokers answer, but some partitions have no leader (yet).
		s.stats.offsetsErrors.Add(int64(len(pe)))
		rl.failed("kafka source: reading partition offsets failed for some partitions; their lag is unknown", err)
		return
	}
	rl.ok("kafka source: reading partition offsets again")
}

// partitionErrors are the failures of single partitions in an otherwise
// successful ListOffsets.
type partitionErrors []error

func (e partitionErrors) Error() string { return errors.Join(e...).Error() }

func (s *Source) listOffsets(ctx context.Context, g *generation) error {
	req := map[string][]kafkago.OffsetRequest{}
	for _, p := range g.parts {
		req[p.topic] = append(req[p.topic], kafkago.FirstOffsetOf(p.id), kafkago.LastOffsetOf(p.id))
	}
	res, err := s.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: req})
	if err != nil {
		return fmt.Errorf("list offsets: %w", err)
	}
	now := time.Now().UnixNano()
	var errs partitionErrors
	for _, p := range g.parts {
		i := slices.IndexFunc(res.Topics[p.topic], func(o kafkago.PartitionOffsets) bool { return o.Partition == p.id })
		if i < 0 {
			p.offsetsAt.Store(0)
			errs = append(errs, fmt.Errorf("%s/%d: no offsets in the answer", p.topic, p.id))
			continue
		}
		o := res.Topics[p.topic][i]
		if o.Error != nil || o.FirstOffset < 0 || o.LastOffset < 0 {
			p.offsetsAt.Store(0)
			errs = append(errs, fmt.Errorf("%s/%d: offsets %d–%d: %v", p.topic, p.id, o.FirstOffset, o.LastOffset, o.Error))
			continue
		}
		p.logStart.Store(o.FirstOffset)
		p.logEnd.Store(o.LastOffset)
		p.offsetsAt.Store(now)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
