package simulate

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/floats"

	"github.com/neurostream/neurostream/formats"
)

// Format is the Info.Format of a simulated session.
const Format = "simulated"

// ErrClosed is returned by ReadSamples after Close.
var ErrClosed = errors.New("simulate: session closed")

// Envelope ramps, in seconds.
const (
	ssvepRamp      = 0.1
	seizureOnRamp  = 0.5
	seizureOffRamp = 1.0
)

// Session is a simulated recording. It implements formats.Recording.
// A Session is not safe for concurrent use; open one per goroutine (they
// are cheap, and equal Configs give equal data).
type Session struct {
	cfg     Config
	info    formats.Info
	truth   []Event
	sensors []sensor
	L       int

	field *noiseField

	lineGain  []float64
	lineAmp   []float64 // per harmonic; harmonic h+1 at (h+1)·Frequency
	linePhase []float64 // cycles

	blinkW     []float64
	blinks     []Event
	blinkSpans []span
	blinkMax   int64

	ssvepW     []float64
	trials     []Event
	trialSpans []span
	trialMax   int64

	szGain   []float64
	szDelay  []float64 // s after onset; +Inf when never recruited
	seizures []Event
	szSpans  []span
	szMax    int64

	out    [][]float64 // cached span, channels × L
	outIdx int64
	outOK  bool
	wave   []float64
	closed bool
}

var _ formats.Recording = (*Session)(nil)

// blockLen is the span length L in samples: the power of two at or above
// 4 s of samples (1024 at 256 Hz).
func blockLen(rate float64) int {
	n := int(math.Ceil(4 * rate))
	L := 64
	for L < n {
		L *= 2
	}
	return L
}

// New validates cfg (defaults applied) and builds the session. It draws
// the event schedules; samples are generated on demand by ReadSamples.
func New(cfg Config) (*Session, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Session{cfg: c, sensors: buildSensors(c.Montage), L: blockLen(c.SampleRate)}
	nc := len(s.sensors)
	rate := c.SampleRate
	r := c.Montage.HeadRadius

	s.info = formats.Info{
		Format:     Format,
		SampleRate: rate,
		NSamples:   int64(math.Round(c.Duration * rate)),
		StartTime:  c.StartTime,
	}
	for i := range s.sensors {
		p := s.sensors[i].pos
		s.info.Channels = append(s.info.Channels, formats.Channel{
			Label: s.sensors[i].label, Type: s.sensors[i].typ, Unit: s.sensors[i].unit,
			SampleRate: rate, Pos: &p,
		})
	}

	if c.Background.Enabled || c.Alpha.Enabled {
		s.field = newNoiseField(s.L)
	}
	if b := c.Background; b.Enabled {
		pts := fibonacciCap(b.Sources, 120)
		gs := make([][3]float64, len(pts))
		for i, p := range pts {
			gs[i] = spherical(0.75*r, p[0], p[1])
		}
		w := make([][]float64, nc)
		for ch := range w {
			w[ch] = make([]float64, len(gs))
			var ss float64
			for j, g := range gs {
				w[ch][j] = kernel(&s.sensors[ch], g, b.Spread)
				ss += w[ch][j] * w[ch][j]
			}
			if ss > 0 {
				floats.Scale(b.Amplitude/math.Sqrt(ss), w[ch])
			}
		}
		beta, hp := b.Exponent, b.HighPass
		sh := s.field.shape(rate, func(f float64) float64 {
			if f < hp {
				return math.Pow(hp, -beta) * (f / hp) * (f / hp)
			}
			return math.Pow(f, -beta)
		})
		s.field.addSources(streamBackground, sh, w)
	}
	if a := c.Alpha; a.Enabled {
		w := fieldWeights(s.sensors, alphaGenerators(r), a.Spread)
		for ch := range w {
			floats.Scale(a.Amplitude, w[ch])
		}
		sigma := a.Bandwidth / (2 * math.Sqrt(2*math.Ln2))
		f0 := a.Frequency
		sh := s.field.shape(rate, func(f float64) float64 {
			d := (f - f0) / sigma
			return math.Exp(-0.5 * d * d)
		})
		s.field.addSources(streamAlpha, sh, w)
	}
	if s.field != nil {
		s.field.finish()
	}

	if l := c.LineNoise; l.Enabled {
		var pcg rand.PCG
		seedPCG(&pcg, c.Seed, streamLine, 0, 0)
		rng := rand.New(&pcg)
		s.lineGain = make([]float64, nc)
		for ch := range s.lineGain {
			s.lineGain[ch] = 0.7 + 0.6*rng.Float64()
		}
		amp := l.Amplitude
		for h := 1; h <= l.Harmonics; h++ {
			if float64(h)*l.Frequency < rate/2 {
				s.lineAmp = append(s.lineAmp, amp)
				s.linePhase = append(s.linePhase, rng.Float64())
			}
			amp *= l.HarmonicDecay
		}
	}

	if b := c.Blinks; b.Enabled {
		s.blinkW = coherentWeights(s.sensors, eyePositions(r), b.Spread)
		s.blinks = blinkSchedule(c.Seed, b, c.Duration)
		s.blinkSpans, s.blinkMax = spansOf(s.blinks, rate)
		chans := labelsAbove(s.sensors, s.blinkW, 0.1)
		for i := range s.blinks {
			s.blinks[i].Channels = chans
		}
		s.truth = append(s.truth, s.blinks...)
	}
	if v := c.SSVEP; v.Enabled {
		s.ssvepW = coherentWeights(s.sensors, ssvepGenerator(r), v.Spread)
		s.trials = ssvepSchedule(c.Seed, v, c.Duration)
		s.trialSpans, s.trialMax = spansOf(s.trials, rate)
		chans := labelsAbove(s.sensors, s.ssvepW, 0.1)
		for i := range s.trials {
			s.trials[i].Channels = chans
		}
		s.truth = append(s.truth, s.trials...)
	}
	if z := c.Seizures; z.Enabled {
		s.seizureSpread(z)
		s.seizures = seizureSchedule(c.Seed, z, c.Duration)
		s.szSpans, s.szMax = spansOf(s.seizures, rate)
		order := make([]int, nc)
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(i, j int) bool { return s.szDelay[order[i]] < s.szDelay[order[j]] })
		for i := range s.seizures {
			e := &s.seizures[i]
			for _, ch := range order {
				if s.recruited(ch, e.Duration) {
					e.Channels = append(e.Channels, s.sensors[ch].label)
					e.ChannelOnsets = append(e.ChannelOnsets, e.Onset+s.szDelay[ch])
				}
			}
		}
		s.truth = append(s.truth, s.seizures...)
	}

	sort.SliceStable(s.truth, func(i, j int) bool { return s.truth[i].Onset < s.truth[j].Onset })
	for i := range s.truth {
		e := &s.truth[i]
		s.info.Annotations = append(s.info.Annotations, formats.Annotation{Onset: e.Onset, Duration: e.Duration, Description: e.Description()})
	}

	s.out = make([][]float64, nc)
	for ch := range s.out {
		s.out[ch] = make([]float64, s.L)
	}
	s.wave = make([]float64, s.L)
	return s, nil
}

// coherentWeights returns per sensor the summed field of generators gs
// (one common time course), scaled per sensor group so the largest
// magnitude is 1.
func coherentWeights(sensors []sensor, gs [][3]float64, spread float64) []float64 {
	w := make([]float64, len(sensors))
	var max [2]float64
	for i := range sensors {
		for _, g := range gs {
			w[i] += kernel(&sensors[i], g, spread)
		}
		max[sensors[i].group] = math.Max(max[sensors[i].group], math.Abs(w[i]))
	}
	for i := range w {
		if m := max[sensors[i].group]; m > 0 {
			w[i] /= m
		}
	}
	return w
}

func labelsAbove(sensors []sensor, w []float64, min float64) []string {
	var l []string
	for i := range sensors {
		if math.Abs(w[i]) >= min {
			l = append(l, sensors[i].label)
		}
	}
	return l
}

func spansOf(ev []Event, rate float64) ([]span, int64) {
	sp := make([]span, len(ev))
	var max int64
	for i := range ev {
		sp[i] = sampleSpan(ev[i].Onset, ev[i].Duration, rate)
		max = int64(math.Max(float64(max), float64(sp[i].end-sp[i].first)))
	}
	return sp, max
}

// seizureSpread sets every channel's recruitment delay and gain from its
// distance to the nearest focus channel.
func (s *Session) seizureSpread(z Seizures) {
	var focus [][3]float64
	if len(z.Focus) > 0 {
		want := map[string]bool{}
		for _, l := range z.Focus {
			want[l] = true
		}
		for i := range s.sensors {
			if want[s.sensors[i].label] {
				focus = append(focus, s.sensors[i].pos)
			}
		}
	} else {
		// The two distinct sensor positions nearest the left temporal
		// point.
		p := temporalFocus(s.cfg.Montage.HeadRadius)
		idx := make([]int, len(s.sensors))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return dist(s.sensors[idx[a]].pos, p) < dist(s.sensors[idx[b]].pos, p) })
		for _, i := range idx {
			q := s.sensors[i].pos
			dup := false
			for _, f := range focus {
				dup = dup || f == q
			}
			if !dup {
				focus = append(focus, q)
			}
			if len(focus) == 2 {
				break
			}
		}
	}
	s.szGain = make([]float64, len(s.sensors))
	s.szDelay = make([]float64, len(s.sensors))
	for i := range s.sensors {
		d := math.Inf(1)
		for _, f := range focus {
			d = math.Min(d, dist(s.sensors[i].pos, f))
		}
		s.szDelay[i] = d / z.SpreadSpeed
		s.szGain[i] = math.Exp(-d / z.SpreadDecay)
	}
}

// recruited reports whether channel ch joins a seizure of duration d.
func (s *Session) recruited(ch int, d float64) bool {
	return s.szDelay[ch]+seizureOffRamp < d
}

// Info describes the session. The returned value must not be modified.
func (s *Session) Info() *formats.Info { return &s.info }

// Truth returns the ground-truth events sorted by onset, the same ones
// Info().Annotations lists, with their channels and frequencies. The
// returned slice and the slices in it must not be modified.
func (s *Session) Truth() []Event { return s.truth }

// Config returns the session's configuration with every default filled
// in.
func (s *Session) Config() Config { return s.cfg.withDefaults() }

// Close releases the sample buffers. ReadSamples then returns ErrClosed.
func (s *Session) Close() error {
	s.closed = true
	s.out, s.wave, s.field = nil, nil, nil
	return nil
}

// ReadSamples fills dst[c][i] with channel c's sample start+i in SI units
// (V for EEG, T for magnetometers, T/m for gradiometers). It panics when
// dst has the wrong shape and returns an error for a range outside
// [0, NSamples]. Any range, read in any order and in any chunking, gives
// bit-identical values. ReadSamples does not allocate.
func (s *Session) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&s.info, dst, start, stop); err != nil {
		return err
	}
	if s.closed {
		return ErrClosed
	}
	L := int64(s.L)
	for n := start; n < stop; {
		k := n / L
		if !s.outOK || s.outIdx != k {
			s.render(k)
		}
		off := n - k*L
		m := min(stop-n, L-off)
		for c := range dst {
			copy(dst[c][n-start:n-start+m], s.out[c][off:off+m])
		}
		n += m
	}
	return nil
}

// render computes span k (samples [kL, (k+1)L)) into s.out. Its result
// depends only on the configuration and k.
func (s *Session) render(k int64) {
	for c := range s.out {
		clear(s.out[c])
	}
	if s.field != nil {
		s.field.span(s.cfg.Seed, k, s.out) // first: it needs s.out zero
	}
	a := k * int64(s.L)
	b := a + int64(s.L)
	s.renderLine(a)
	s.renderBlinks(a, b)
	s.renderSSVEP(a, b)
	s.renderSeizures(a, b)
	for c := range s.out {
		if sc := s.sensors[c].scale; sc != 1 {
			floats.Scale(sc, s.out[c])
		}
	}
	s.outIdx, s.outOK = k, true
}

func (s *Session) renderLine(a int64) {
	if len(s.lineAmp) == 0 {
		return
	}
	rate, f := s.cfg.SampleRate, s.cfg.LineNoise.Frequency
	for i := range s.wave {
		n := float64(a + int64(i))
		var v float64
		for h, amp := range s.lineAmp {
			x := float64(h+1)*f*n/rate + s.linePhase[h]
			x -= math.Floor(x)
			v += amp * math.Sin(2*math.Pi*x)
		}
		s.wave[i] = v
	}
	for c := range s.out {
		floats.AddScaled(s.out[c], s.lineGain[c], s.wave)
	}
}

// clip returns the part [i0, i1) of span sp inside [a, b), relative to a.
func clip(sp span, a, b int64) (int, int) {
	return int(max(sp.first, a) - a), int(min(sp.end, b) - a)
}

func (s *Session) renderBlinks(a, b int64) {
	rate := s.cfg.SampleRate
	i, j := overlapping(s.blinkSpans, s.blinkMax, a, b)
	for ; i < j; i++ {
		e := &s.blinks[i]
		i0, i1 := clip(s.blinkSpans[i], a, b)
		if i0 >= i1 {
			continue
		}
		for x := i0; x < i1; x++ {
			t := float64(a+int64(x))/rate - e.Onset
			s.wave[x] = e.Amplitude * blinkShape(t/e.Duration)
		}
		for c, w := range s.blinkW {
			if w != 0 {
				floats.AddScaled(s.out[c][i0:i1], w, s.wave[i0:i1])
			}
		}
	}
}

func (s *Session) renderSSVEP(a, b int64) {
	rate := s.cfg.SampleRate
	v := s.cfg.SSVEP
	i, j := overlapping(s.trialSpans, s.trialMax, a, b)
	for ; i < j; i++ {
		e := &s.trials[i]
		i0, i1 := clip(s.trialSpans[i], a, b)
		if i0 >= i1 {
			continue
		}
		for x := i0; x < i1; x++ {
			t := float64(a+int64(x))/rate - e.Onset
			env := ramp(t/ssvepRamp) * ramp((e.Duration-t)/ssvepRamp)
			var y float64
			amp := e.Amplitude
			for h := 1; h <= v.Harmonics; h++ {
				f := float64(h) * e.Frequency
				if f >= rate/2 {
					break
				}
				c := f * t
				y += amp * math.Sin(2*math.Pi*(c-math.Floor(c)))
				amp *= v.HarmonicDecay
			}
			s.wave[x] = env * y
		}
		for c, w := range s.ssvepW {
			if w != 0 {
				floats.AddScaled(s.out[c][i0:i1], w, s.wave[i0:i1])
			}
		}
	}
}

func (s *Session) renderSeizures(a, b int64) {
	rate := s.cfg.SampleRate
	z := &s.cfg.Seizures
	i, j := overlapping(s.szSpans, s.szMax, a, b)
	for ; i < j; i++ {
		e := &s.seizures[i]
		i0, i1 := clip(s.szSpans[i], a, b)
		if i0 >= i1 {
			continue
		}
		for x := i0; x < i1; x++ {
			t := float64(a+int64(x))/rate - e.Onset
			s.wave[x] = e.wave(t, z.StartAmplitude) * ramp((e.Duration-t)/seizureOffRamp)
		}
		for c := range s.out {
			if !s.recruited(c, e.Duration) {
				continue
			}
			g, delay := s.szGain[c], s.szDelay[c]
			out := s.out[c]
			for x := i0; x < i1; x++ {
				t := float64(a+int64(x))/rate - e.Onset
				if t > delay {
					out[x] += g * ramp((t-delay)/seizureOnRamp) * s.wave[x]
				}
			}
		}
	}
}
