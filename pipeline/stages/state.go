package stages

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/models/seizure"
)

// The stateful preprocessing steps and stages implement
// pipeline.Checkpointer, so that a session resumed in another process
// continues bit for bit: floats are stored as their IEEE 754 bits,
// counts as varints. Each state starts with what it must fit (a
// fingerprint of the filter, the resampling factors and channel count, the
// smoothing length), so that a checkpoint taken under another
// configuration is refused rather than misread.

// maxStateCount bounds the sample and window counts a state may hold: no
// stream reaches it, and it fits an int everywhere.
const maxStateCount = 1 << 53

// sosSum fingerprints a filter's sections and channel count (FNV-64a).
func sosSum(sos dsp.SOS, channels int) uint64 {
	h := fnv.New64a()
	var b []byte
	b = binary.AppendUvarint(b, uint64(channels))
	for _, sec := range sos {
		for _, c := range sec {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c))
		}
	}
	h.Write(b)
	return h.Sum64()
}

func appendFloats(dst []byte, xs []float64) []byte {
	for _, x := range xs {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

// readFloats fills xs from b and returns the rest.
func readFloats(xs []float64, b []byte) ([]byte, error) {
	if len(b) < 8*len(xs) {
		return nil, fmt.Errorf("state truncated: %d bytes for %d values", len(b), len(xs))
	}
	for i := range xs {
		xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return b[8*len(xs):], nil
}

// readInts reads varints into ps and returns the rest.
func readInts(b []byte, ps ...*int64) ([]byte, error) {
	for _, p := range ps {
		v, n := binary.Varint(b)
		if n <= 0 {
			return nil, errors.New("state truncated")
		}
		*p, b = v, b[n:]
	}
	return b, nil
}

// AppendState implements pipeline.Checkpointer: the fingerprint, then
// each filtered channel's state in scipy's zi layout (sosfilt's zf).
func (s sosSession) AppendState(dst []byte) []byte {
	if s.f == nil {
		return dst
	}
	dst = binary.LittleEndian.AppendUint64(dst, s.sum)
	for k := range s.idx {
		dst = appendFloats(dst, s.f.State(s.z, k))
	}
	return dst
}

// RestoreState implements pipeline.Checkpointer.
func (s sosSession) RestoreState(b []byte) error {
	if s.f == nil {
		if len(b) != 0 {
			return fmt.Errorf("filter state of %d bytes for a session with no channel to filter", len(b))
		}
		return nil
	}
	if want := 8 + 8*len(s.z)*len(s.idx); len(b) != want {
		return fmt.Errorf("filter state of %d bytes, want %d (%d channels, %d sections)", len(b), want, len(s.idx), len(s.z)/2)
	}
	if sum := binary.LittleEndian.Uint64(b); sum != s.sum {
		return errors.New("filter state of another filter (sections or channels differ)")
	}
	b = b[8:]
	for k := range s.idx {
		b, _ = readFloats(s.z, b)
		s.f.SetState(k, s.z)
	}
	return nil
}

// AppendState implements pipeline.Checkpointer: re-referencing has no
// state.
func (refSession) AppendState(dst []byte) []byte { return dst }

// RestoreState implements pipeline.Checkpointer.
func (refSession) RestoreState(b []byte) error {
	if len(b) != 0 {
		return fmt.Errorf("reference state of %d bytes: the step has none", len(b))
	}
	return nil
}

// AppendState implements pipeline.Checkpointer: up, down and channel
// count, the run's output position, then each channel's resampler state
// (samples seen, outputs emitted, input history).
func (r *resampleSession) AppendState(dst []byte) []byte {
	dst = binary.AppendVarint(dst, int64(r.rs.Up()))
	dst = binary.AppendVarint(dst, int64(r.rs.Down()))
	dst = binary.AppendVarint(dst, int64(r.rs.Channels()))
	dst = binary.AppendVarint(dst, r.start)
	dst = binary.AppendVarint(dst, r.emitted)
	hist := make([]float64, r.rs.HistoryLen())
	for c := range r.rs.Channels() {
		seen, emitted, h := r.rs.State(hist, c)
		dst = binary.AppendVarint(dst, int64(seen))
		dst = binary.AppendVarint(dst, int64(emitted))
		dst = appendFloats(dst, h)
	}
	return dst
}

// RestoreState implements pipeline.Checkpointer.
func (r *resampleSession) RestoreState(b []byte) error {
	var up, down, channels, start, emitted int64
	b, err := readInts(b, &up, &down, &channels, &start, &emitted)
	if err != nil {
		return err
	}
	if up != int64(r.rs.Up()) || down != int64(r.rs.Down()) || channels != int64(r.rs.Channels()) {
		return fmt.Errorf("resampler state by %d/%d over %d channels, the step is %d/%d over %d", up, down, channels, r.rs.Up(), r.rs.Down(), r.rs.Channels())
	}
	hist := make([]float64, r.rs.HistoryLen())
	for c := range r.rs.Channels() {
		var seen, emitted int64
		if b, err = readInts(b, &seen, &emitted); err != nil {
			return err
		}
		if b, err = readFloats(hist, b); err != nil {
			return err
		}
		if seen > maxStateCount || emitted > maxStateCount {
			return errors.New("resampler state counts out of range")
		}
		if err := r.rs.SetState(c, int(seen), int(emitted), hist); err != nil {
			return err
		}
	}
	if len(b) != 0 {
		return fmt.Errorf("resampler state: %d bytes too many", len(b))
	}
	r.start, r.emitted = start, emitted
	return nil
}

// AppendState implements pipeline.Checkpointer: the moving average's ring
// and count, then the event state machine (open event, event waiting out
// its merge gap), then, for a model on baseline-relative features, the
// recording's running baseline (window count, first and latest window
// starts, the mean and variance of each feature). A model on absolute features has no baseline, so
// its state is as before baselines existed.
func (s *seizureSession) AppendState(dst []byte) []byte {
	ring, n := s.smooth.State()
	dst = binary.AppendVarint(dst, int64(len(ring)))
	dst = binary.AppendVarint(dst, int64(n))
	dst = appendFloats(dst, ring)
	h := s.hyst.State()
	var flags byte
	if h.Ictal {
		flags |= 1
	}
	if h.Pending {
		flags |= 2
	}
	dst = append(dst, flags)
	for _, ev := range []seizure.AlarmEvent{h.Open, h.Last} {
		dst = appendFloats(dst, []float64{ev.Onset, ev.Offset, ev.Sum})
		dst = binary.AppendVarint(dst, int64(ev.N))
	}
	if b := s.det.Baseline(); b != nil {
		st := b.State()
		dst = binary.AppendVarint(dst, int64(st.N))
		dst = appendFloats(dst, []float64{st.First, st.Last})
		dst = appendFloats(dst, st.Mean)
		dst = appendFloats(dst, st.Var)
	}
	return dst
}

// RestoreState implements pipeline.Checkpointer.
func (s *seizureSession) RestoreState(b []byte) error {
	var size, n int64
	b, err := readInts(b, &size, &n)
	if err != nil {
		return err
	}
	if size < 0 || size > int64(len(b)/8) || n < 0 || n > maxStateCount {
		return fmt.Errorf("seizure state: smoothing over %d windows after %d", size, n)
	}
	ring := make([]float64, size)
	if b, err = readFloats(ring, b); err != nil {
		return err
	}
	if err := s.smooth.SetState(ring, int(n)); err != nil {
		return err
	}
	if len(b) < 1 {
		return errors.New("seizure state truncated")
	}
	h := seizure.HysteresisState{Ictal: b[0]&1 != 0, Pending: b[0]&2 != 0}
	b = b[1:]
	for _, ev := range []*seizure.AlarmEvent{&h.Open, &h.Last} {
		v := make([]float64, 3)
		if b, err = readFloats(v, b); err != nil {
			return err
		}
		var count int64
		if b, err = readInts(b, &count); err != nil {
			return err
		}
		*ev = seizure.AlarmEvent{Onset: v[0], Offset: v[1], Sum: v[2], N: int(count)}
	}
	if base := s.det.Baseline(); base != nil {
		var count int64
		if b, err = readInts(b, &count); err != nil {
			return fmt.Errorf("seizure state: baseline: %w", err)
		}
		if count < 0 || count > maxStateCount {
			return fmt.Errorf("seizure state: baseline of %d windows", count)
		}
		st := seizure.BaselineState{N: int(count), Mean: make([]float64, base.Len()), Var: make([]float64, base.Len())}
		times := make([]float64, 2)
		for _, v := range [][]float64{times, st.Mean, st.Var} {
			if b, err = readFloats(v, b); err != nil {
				return fmt.Errorf("seizure state: baseline: %w", err)
			}
		}
		st.First, st.Last = times[0], times[1]
		if err := base.SetState(st); err != nil {
			return err
		}
	}
	if len(b) != 0 {
		return fmt.Errorf("seizure state: %d bytes too many", len(b))
	}
	s.hyst.SetState(h)
	return nil
}
