package dsp

import (
	"fmt"
	"math"
)

// Sliding windows of a stream overlap, and so do their Welch segments: with
// 4 s windows every 1 s and segments of 256 samples every 128, a window's
// seven segments are the previous window's last five and two new ones.
// WelchStream and CSDStream keep each segment's transform in a ring keyed
// by the segment's first sample on the stream's clock and transform only
// the segments they have not seen; the per-window combination (the sum of
// the periodograms, the cross-products of the spectra) runs in the same
// order on the same values as the one-shot Welch.PSD and CSD.Compute, so
// the results are equal bit for bit.

// noSegment marks an empty slot of a segment ring.
const noSegment = math.MinInt64

// segmentRing maps segment starts to cache slots: the segment whose first
// sample is p lives in slot ⌊p/step⌋ mod len(keys), and is there when
// keys[slot] == p. A window's segments, step apart, take consecutive
// slots, so with as many slots as segments per window a window finds
// every segment it shares with the one before it. Segments of a window
// whose start is not on the previous window's segment grid (a hop that is
// not a multiple of step) are not found and are transformed: the ring
// then costs a copy per segment and saves nothing.
type segmentRing struct {
	step int64
	keys []int64
	// transforms counts the segments transformed, hits those found.
	transforms, hits int64
}

// slot returns the slot of the segment starting at p and whether it holds
// that segment.
func (r *segmentRing) slot(p int64) (int, bool) {
	q := p / r.step
	if p%r.step != 0 && p < 0 {
		q--
	}
	i := int(q % int64(len(r.keys)))
	if i < 0 {
		i += len(r.keys)
	}
	return i, r.keys[i] == p
}

// grow makes room for n segments, emptying the ring when it has to grow
// (the slot of a segment depends on the ring's size). It reports whether
// it grew.
func (r *segmentRing) grow(n int) bool {
	if n <= len(r.keys) {
		return false
	}
	r.keys = make([]int64, n)
	r.reset()
	return true
}

func (r *segmentRing) reset() {
	for i := range r.keys {
		r.keys[i] = noSegment
	}
}

// StreamStats counts a stream's segments since it was made.
type StreamStats struct {
	// Transformed is the number of segments transformed (per channel for
	// WelchStream), Reused the number taken from the ring.
	Transformed, Reused int64
}

// WelchStream computes Welch PSDs of overlapping windows of a multichannel
// stream, transforming each segment of each channel once: a ring per
// channel keeps the periodograms of the segments of the last window seen.
// Make one with Welch.NewStream. It is not safe for concurrent use, and it
// shares the plan's scratch space: do not use the plan concurrently with
// it either.
//
// The caller vouches that a stream sample index always holds the same
// value: after a discontinuity (a gap after which the indices restart, a
// rewind, another stream), call Reset.
type WelchStream struct {
	w     *Welch
	nf    int
	rings []segmentRing
	pgram [][]float64 // per channel: the periodograms |X_k|², slot after slot
}

// NewStream returns a stream of channels channels (≥ 1) computing w's
// estimate. Its rings are sized by the first window of each channel.
func (w *Welch) NewStream(channels int) *WelchStream {
	if channels < 1 {
		panic(fmt.Sprintf("dsp: Welch.NewStream: %d channels, want ≥ 1", channels))
	}
	s := &WelchStream{w: w, nf: w.Len(), rings: make([]segmentRing, channels), pgram: make([][]float64, channels)}
	for i := range s.rings {
		s.rings[i].step = int64(w.step)
	}
	return s
}

// PSD fills dst (length Len() of the plan; nil allocates) with the Welch
// estimate of channel ch's window x, whose first sample is the stream's
// sample start, and returns it. The result equals the plan's PSD(dst, x)
// bit for bit; segments of x that start at a stream sample where a
// segment of an earlier window of channel ch started are not transformed
// again. With AverageMedian it is Welch.PSD (every segment transformed).
// PSD does not allocate with a non-nil dst, once the channel's ring is
// sized (its first window, or a window with more segments than before,
// which also empties the ring).
func (s *WelchStream) PSD(dst []float64, ch int, x []float64, start int64) []float64 {
	const op = "WelchStream.PSD"
	w := s.w
	checkChannel(op, ch, len(s.rings))
	if w.cfg.Average == AverageMedian {
		return w.PSD(dst, x)
	}
	checkMinLen(op, "x", len(x), w.cfg.SegmentLen, "SegmentLen")
	dst = useDst(dst, s.nf, op)
	nseg := w.Segments(len(x))
	r := &s.rings[ch]
	if r.grow(nseg) {
		s.pgram[ch] = make([]float64, nseg*s.nf)
	}
	clear(dst)
	for i := range nseg {
		off := i * w.step
		slot, ok := r.slot(start + int64(off))
		p := s.pgram[ch][slot*s.nf : (slot+1)*s.nf]
		if ok {
			r.hits++
		} else {
			taperSegment(w.seg, x[off:off+w.cfg.SegmentLen], w.cfg.Window, w.cfg.Detrend)
			clear(p)
			w.fft.AddPower(p, w.seg)
			r.keys[slot] = start + int64(off)
			r.transforms++
		}
		for k, v := range p {
			dst[k] += v
		}
	}
	w.scale1(dst, w.scale/float64(nseg))
	return dst
}

// Reset forgets every segment seen, of every channel.
func (s *WelchStream) Reset() {
	for i := range s.rings {
		s.rings[i].reset()
	}
}

// Stats returns the segments transformed and reused so far, summed over
// the channels.
func (s *WelchStream) Stats() StreamStats {
	var st StreamStats
	for _, r := range s.rings {
		st.Transformed += r.transforms
		st.Reused += r.hits
	}
	return st
}

// CSDStream computes cross-spectral density matrices of overlapping
// windows of a multichannel stream, transforming each segment once: a
// ring keeps the spectra of every channel for the segments of the last
// window seen. The cross-products are formed per window from those
// spectra, as CSD.Compute forms them (keeping them too would cost more
// memory traffic than the multiply-adds they save). Make one with
// CSD.NewStream. It is not safe for concurrent use, and shares the
// plan's scratch space: do not use the plan concurrently with it either.
//
// The caller vouches that a stream sample index always holds the same
// value: after a discontinuity, call Reset.
type CSDStream struct {
	c    *CSD
	ring segmentRing
	spec []*SegmentSpectra // per slot
}

// NewStream returns a stream computing c's estimate. Its ring is sized by
// its first window.
func (c *CSD) NewStream() *CSDStream {
	return &CSDStream{c: c, ring: segmentRing{step: int64(c.step)}}
}

// Spectra returns the spectra of segment i (0 ≤ i < Segments(len(x[0])))
// of the window x, whose first sample is the stream's sample start: equal
// to the plan's Spectra(nil, x, i·Step()), computed unless a window before
// had a segment starting at the same stream sample. The result belongs to
// the stream: it is read-only and valid until the stream's next call.
// Spectra does not allocate once the ring is sized (its first window, or
// a window with more segments than before, which also empties the ring).
func (s *CSDStream) Spectra(x [][]float64, start int64, i int) *SegmentSpectra {
	const op = "CSDStream.Spectra"
	c := s.c
	samples := checkRows(op, x, c.n)
	nseg := c.Segments(samples)
	if i < 0 || i >= nseg {
		panic(fmt.Sprintf("dsp: %s: segment %d out of range [0, %d) of a window of %d samples", op, i, nseg, samples))
	}
	return s.segment(x, start, i, nseg)
}

// segment is Spectra without the checks.
func (s *CSDStream) segment(x [][]float64, start int64, i, nseg int) *SegmentSpectra {
	c := s.c
	if s.ring.grow(nseg) {
		s.spec = s.spec[:0]
		for range nseg {
			s.spec = append(s.spec, NewSegmentSpectra(c.n, c.nf))
		}
	}
	p := start + int64(i*c.step)
	slot, ok := s.ring.slot(p)
	sp := s.spec[slot]
	if ok {
		s.ring.hits++
		return sp
	}
	c.Spectra(sp, x, i*c.step)
	s.ring.keys[slot] = p
	s.ring.transforms++
	return sp
}

// Compute fills dst with the cross-spectral density matrix of the window
// x, whose first sample is the stream's sample start, and returns it; a
// nil dst allocates. The result equals the plan's Compute(dst, x) bit for
// bit; the segments are taken from the ring where an earlier window had
// them. With AverageMedian it is CSD.Compute (every segment transformed).
// Compute does not allocate with a non-nil dst once the ring is sized.
func (s *CSDStream) Compute(dst *CSDMatrix, x [][]float64, start int64) *CSDMatrix {
	const op = "CSDStream.Compute"
	c := s.c
	if c.cfg.Average == AverageMedian {
		return c.Compute(dst, x)
	}
	samples := checkRows(op, x, c.n)
	checkMinLen(op, "x[0]", samples, c.cfg.SegmentLen, "SegmentLen")
	nseg := c.Segments(samples)
	dst = c.useMatrix(dst, op)
	dst.Segments = nseg
	clear(dst.Data)
	// As Compute: the scaling and the mean folded into the spectra.
	g := math.Sqrt(c.scale / float64(nseg))
	c.grow(min(c.batch, nseg))
	ld := c.ld
	for s0 := 0; s0 < nseg; s0 += c.batch {
		b := min(c.batch, nseg-s0)
		for i := range b {
			c.scatter(s.segment(x, start, s0+i, nseg), c.spec, i*ld, b*ld, 2*b*ld, g)
		}
		c.addProducts(dst, b)
	}
	return dst
}

// Reset forgets every segment seen.
func (s *CSDStream) Reset() { s.ring.reset() }

// Stats returns the segments transformed and reused so far (each segment
// counts once for all channels).
func (s *CSDStream) Stats() StreamStats {
	return StreamStats{Transformed: s.ring.transforms, Reused: s.ring.hits}
}
