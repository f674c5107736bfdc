package pipeline

import (
	"math"

	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// session is one session's state, owned by one worker.
type session struct {
	info      SessionInfo
	validator *wire.Validator
	stages    []Stage
	stats     *SessionStats

	length, hop int64
	// warmup is how many samples a session joined mid-stream needs
	// before its first window (see Options.Warmup).
	warmup int64
	// epoch is the source epoch the state belongs to.
	epoch int64
	// pre is the preprocessing chain; in is its input scratch and inEnd
	// one past the last input sample seen (to detect gaps).
	pre   []Preprocess
	in    [][]float64
	inEnd int64
	// buf[c][i] is channel c's sample bufStart+i, in SI units; bufStart is
	// -1 before the first chunk.
	buf      [][]float64
	bufStart int64
	// next is the index of the next window to emit; it starts at
	// next·hop.
	next int64
	// pending holds acknowledgements of chunks whose samples an
	// unfinished window may still need, oldest first.
	pending []pendingAck
	data    [][]float64
	win     Window
}

type pendingAck struct {
	end int64 // one past the chunk's last sample
	ack AckFunc
}

func (s *session) bufEnd() int64 { return s.bufStart + int64(len(s.buf[0])) }

// add appends a validated chunk, run through the session's preprocessing.
// A chunk that does not continue the input (after a gap) resets the
// preprocessing and restarts the buffer at the chunk's first output sample:
// no window ever spans missing samples and no filter carries state across
// them.
func (s *session) add(c *wire.Chunk, ack AckFunc) error {
	first := s.bufStart < 0
	if !first && c.FirstSample != s.inEnd {
		for _, p := range s.pre {
			p.Reset()
		}
	}
	for i, col := range c.Data {
		in := s.in[i][:0]
		for _, v := range col {
			in = append(in, float64(v))
		}
		s.in[i] = in
	}
	out, outFirst := s.in, c.FirstSample
	for _, p := range s.pre {
		var err error
		if out, outFirst, err = p.Process(out, outFirst); err != nil {
			return err
		}
	}
	s.inEnd = c.LastSample()
	if first || outFirst != s.bufEnd() {
		for i := range s.buf {
			s.buf[i] = s.buf[i][:0]
		}
		s.bufStart = outFirst
		// The first window that lies wholly after the restart; a session
		// joined mid-stream also skips its warm-up.
		from := outFirst
		if first && outFirst > 0 {
			from += s.warmup
		}
		s.next = max(s.next, ceilDiv(from, s.hop))
	}
	for i, col := range out {
		s.buf[i] = append(s.buf[i], col...)
	}
	// On the output clock: with resampling, Warmup must also cover the
	// resampler's delay (see Options.Warmup).
	s.pending = append(s.pending, pendingAck{end: s.bufEnd(), ack: ack})
	return nil
}

// windows calls fn for every complete window in the buffer, in order, then
// drops samples no later window needs. It returns the number of windows.
func (s *session) windows(fn func(*Window)) (int64, error) {
	var n int64
	if len(s.buf) == 0 {
		return 0, nil
	}
	for {
		start := s.next * s.hop
		if start < s.bufStart {
			s.next = ceilDiv(s.bufStart, s.hop)
			continue
		}
		if start+s.length > s.bufEnd() {
			break
		}
		off := start - s.bufStart
		for c := range s.data {
			s.data[c] = s.buf[c][off : off+s.length : off+s.length]
		}
		s.win = Window{
			WindowKey: arrowout.WindowKey{
				Session:     s.info.Session,
				Window:      s.next,
				StartSample: start,
				StartTimeNS: s.info.StartTimeNS + int64(math.Round(float64(start)/s.info.SampleRate*1e9)),
			},
			SampleRate: s.info.SampleRate,
			Channels:   s.info.Channels,
			Data:       s.data,
		}
		fn(&s.win)
		s.next++
		n++
	}
	// Keep samples from the next window's start on; compact once the dead
	// prefix is at least as long as what is kept, so copying stays O(1)
	// per sample.
	keepFrom := min(s.next*s.hop, s.bufEnd()) - s.bufStart
	if keepFrom > 0 && keepFrom >= int64(len(s.buf[0]))-keepFrom {
		for c := range s.buf {
			m := copy(s.buf[c], s.buf[c][keepFrom:])
			s.buf[c] = s.buf[c][:m]
		}
		s.bufStart += keepFrom
	}
	return n, nil
}

// ackDone acknowledges the chunks no unfinished window needs: those ending
// at or before the next window's start less the warm-up (every later window
// starts there or after; after a gap that is past the gap too), so a re-read
// from the oldest unacknowledged chunk rebuilds the same windows.
func (s *session) ackDone() {
	need := s.next*s.hop - s.warmup
	i := 0
	for ; i < len(s.pending) && s.pending[i].end <= need; i++ {
		s.pending[i].ack(nil)
		s.pending[i] = pendingAck{}
	}
	s.pending = append(s.pending[:0], s.pending[i:]...)
}

// ackAll acknowledges every pending chunk with err.
func (s *session) ackAll(err error) {
	for i := range s.pending {
		s.pending[i].ack(err)
		s.pending[i] = pendingAck{}
	}
	s.pending = s.pending[:0]
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return -((-a) / b)
	}
	return (a + b - 1) / b
}
