package xdf

import "math"

// dejitter is pyxdf's _jitter_removal for one stream: a regular stream's
// time stamps are split into segments at gaps (longer than both
// JitterBreakSeconds and JitterBreakSamples sample intervals), and each
// segment's time stamps are replaced by the least-squares line through
// them (time = a + b·index), which removes the transmission jitter while
// keeping the stream's effective rate. Irregular streams keep their time
// stamps, and so do streams whose header says they can drop samples
// (desc/synchronization/can_drop_samples), since a line would compress
// the dropped frames' gaps.
func dejitter(s *Stream, o Sync, warn func(string, ...any)) {
	s.EffectiveRate = 0
	ts := s.Timestamps
	n := len(ts)
	if n == 0 {
		return
	}
	if s.NominalRate == 0 {
		s.Segments = append(s.Segments, [2]int{0, n - 1})
		return
	}
	if s.canDropSamples() {
		s.Segments = append(s.Segments, [2]int{0, n - 1})
		if n > 1 {
			if d := ts[n-1] - ts[0]; d > 0 {
				s.EffectiveRate = float64(n-1) / d
			}
		}
		return
	}
	limit := math.Max(o.JitterBreakSeconds, o.JitterBreakSamples*(1/s.NominalRate))
	breaks := make([]bool, n-1)
	for i := range breaks {
		breaks[i] = math.Abs(ts[i+1]-ts[i]) > limit
	}
	s.Segments = segmentIndices(breaks)
	var samples, duration float64
	multi := false
	for _, seg := range s.Segments {
		fitLine(ts[seg[0] : seg[1]+1])
		samples += float64(seg[1] - seg[0])
		duration += ts[seg[1]] - ts[seg[0]]
		multi = multi || seg[1] > seg[0]
	}
	if multi {
		s.EffectiveRate = samples / duration
	}
	if math.Abs(s.NominalRate-s.EffectiveRate)/s.NominalRate > 0.1 {
		warn("stream %d: effective sampling rate %.4f Hz differs from the nominal %.4f Hz by more than 10%%", s.ID, s.EffectiveRate, s.NominalRate)
	}
}

// fitLine replaces y[k] by the least-squares line through (k, y[k]).
//
// pyxdf solves the same problem with numpy's lstsq on absolute indices
// and absolute times; here the sums run on differences from the first
// time stamp around the mean index, so that time stamps of 10⁵–10⁶ s
// lose no precision to the sums (the two agree to about 1e-10 s).
func fitLine(y []float64) {
	m := len(y)
	if m < 2 {
		return // a single point is its own line
	}
	y0 := y[0]
	kbar := float64(m-1) / 2
	var dsum float64
	for _, v := range y {
		dsum += v - y0
	}
	dbar := dsum / float64(m)
	var sxy, sxx float64
	for k, v := range y {
		dk := float64(k) - kbar
		sxy += dk * ((v - y0) - dbar)
		sxx += dk * dk
	}
	slope := sxy / sxx
	for k := range y {
		y[k] = y0 + (dbar + slope*(float64(k)-kbar))
	}
}
