package simulate

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
)

// EventKind names a kind of ground-truth event.
type EventKind string

// Event kinds. The annotation text of an event is its Description.
const (
	KindBlink   EventKind = "blink"
	KindSSVEP   EventKind = "ssvep"
	KindSeizure EventKind = "seizure"
)

// Event is one ground-truth event of a session.
type Event struct {
	Kind EventKind
	// Onset is in seconds from the first sample (for seizures, the onset
	// at the focus).
	Onset float64
	// Duration is in seconds.
	Duration float64
	// Frequency is the SSVEP stimulus frequency or the seizure's
	// frequency at onset in Hz; 0 for blinks.
	Frequency float64
	// EndFrequency is the seizure's final frequency in Hz; 0 otherwise.
	EndFrequency float64
	// Amplitude is the peak amplitude in V (volt-equivalents for MEG) at
	// the most exposed channel: the blink peak, the SSVEP fundamental, or
	// the seizure's final amplitude at the focus.
	Amplitude float64
	// OnsetDuration is, for seizures, the duration in s of the onset
	// phase (0 without Seizures.OnsetPhase); 0 otherwise.
	OnsetDuration float64
	// OnsetAmplitude is, for seizures, the peak amplitude in V at the
	// focus at onset (Seizures.StartAmplitude without OnsetPhase); 0
	// otherwise.
	OnsetAmplitude float64
	// Channels lists the channels the event shows on: for blinks and
	// SSVEP those whose spatial weight is at least 0.1 of the largest, in
	// montage order; for seizures the recruited channels in order of
	// recruitment (focus first).
	Channels []string
	// ChannelOnsets gives, for seizures, the onset in seconds at each of
	// Channels; nil otherwise.
	ChannelOnsets []float64
}

// Description is the annotation text: "blink", "ssvep/<f>Hz" or
// "seizure".
func (e *Event) Description() string {
	if e.Kind == KindSSVEP {
		return "ssvep/" + strconv.FormatFloat(e.Frequency, 'g', -1, 64) + "Hz"
	}
	return string(e.Kind)
}

// span is the time range of a rendered event in samples, [first, end).
type span struct{ first, end int64 }

func sampleSpan(onset, duration, rate float64) span {
	return span{int64(math.Ceil(onset * rate)), int64(math.Ceil((onset + duration) * rate))}
}

// overlapping returns the indices [i, j) of the events in sorted (by
// first) list spans that overlap samples [a, b), given that no event is
// longer than maxLen samples.
func overlapping(spans []span, maxLen, a, b int64) (int, int) {
	i := sort.Search(len(spans), func(k int) bool { return spans[k].first > a-maxLen })
	j := sort.Search(len(spans), func(k int) bool { return spans[k].first >= b })
	return i, j
}

// ramp is a raised-cosine step: 0 for x <= 0, 1 for x >= 1.
func ramp(x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	return 0.5 - 0.5*math.Cos(math.Pi*x)
}

// blinkShape is the blink waveform at u = (t - onset)/duration in [0, 1):
// a raised-cosine rise to 1 at u = 0.4 and a slower fall to 0 at u = 1.
func blinkShape(u float64) float64 {
	switch {
	case u <= 0 || u >= 1:
		return 0
	case u < 0.4:
		return 0.5 - 0.5*math.Cos(math.Pi*u/0.4)
	}
	return 0.5 + 0.5*math.Cos(math.Pi*(u-0.4)/0.6)
}

// Spike-and-wave complex: a sharp negative spike (Gaussian, σ = 2.5% of
// the cycle) at 75% of the cycle, where sin(2πp) has its trough, followed
// by a slow positive wave (Gaussian, σ = 15%) centred 40% of a cycle
// later, near the sine's crest, so morphing from the sine to the complex
// keeps the polarity. Shifted to zero mean and scaled to peak magnitude 1.
var swMean, swScale = func() (float64, float64) {
	const n = 4096
	var sum float64
	for i := 0; i < n; i++ {
		sum += spikeWaveRaw(float64(i) / n)
	}
	mean := sum / n
	var peak float64
	for i := 0; i < n; i++ {
		peak = math.Max(peak, math.Abs(spikeWaveRaw(float64(i)/n)-mean))
	}
	return mean, 1 / peak
}()

func spikeWaveRaw(p float64) float64 {
	q := p - 0.65
	q -= math.Floor(q)
	g := func(mu, sigma float64) float64 {
		d := (q - mu) / sigma
		return math.Exp(-0.5 * d * d)
	}
	return -g(0.1, 0.025) + 0.4*g(0.5, 0.15)
}

func spikeWave(p float64) float64 { return (spikeWaveRaw(p) - swMean) * swScale }

// wave is the common seizure time course of e at s seconds after its
// onset: amplitude × waveform, before the per-channel gain and envelope
// (Seizures documents the course), with a the amplitude at the end of the
// onset phase (Seizures.StartAmplitude).
func (e *Event) wave(s, a float64) float64 {
	d, T := e.Duration, e.OnsetDuration
	cycles := e.Frequency*s + (e.EndFrequency-e.Frequency)*s*s/(2*d)
	p := cycles - math.Floor(cycles)
	if s < T {
		// Geometric build-up: the amplitude's logarithm rises linearly.
		return e.OnsetAmplitude * math.Pow(a/e.OnsetAmplitude, s/T) * math.Sin(2*math.Pi*p)
	}
	u := (s - T) / (d - T)
	w := (1-u)*math.Sin(2*math.Pi*p) + u*spikeWave(p)
	return (a + (e.Amplitude-a)*u) * w
}

// blinkSchedule draws the blink onsets and amplitudes.
func blinkSchedule(seed uint64, b Blinks, duration float64) []Event {
	var pcg rand.PCG
	seedPCG(&pcg, seed, streamBlinks, 0, 0)
	r := rand.New(&pcg)
	dead := 2 * b.Duration
	var ev []Event
	for t := 0.0; ; {
		t += dead + r.ExpFloat64()*(1/b.Rate-dead)
		if t+b.Duration > duration {
			return ev
		}
		a := b.MinAmplitude + (b.MaxAmplitude-b.MinAmplitude)*r.Float64()
		ev = append(ev, Event{Kind: KindBlink, Onset: t, Duration: b.Duration, Amplitude: a})
	}
}

// ssvepSchedule returns the configured trials or lays them out.
func ssvepSchedule(seed uint64, s SSVEP, duration float64) []Event {
	var ev []Event
	if len(s.Trials) > 0 {
		for _, t := range s.Trials {
			ev = append(ev, Event{Kind: KindSSVEP, Onset: t.Onset, Duration: t.Duration, Frequency: t.Frequency, Amplitude: s.Amplitude})
		}
		sort.SliceStable(ev, func(i, j int) bool { return ev[i].Onset < ev[j].Onset })
		return ev
	}
	var pcg rand.PCG
	seedPCG(&pcg, seed, streamSSVEP, 0, 0)
	r := rand.New(&pcg)
	order := make([]float64, 0, len(s.Frequencies))
	for t := s.FirstOnset; t+s.TrialDuration <= duration; t += s.TrialDuration + s.Interval {
		if len(order) == 0 {
			order = append(order, s.Frequencies...)
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		f := order[0]
		order = order[1:]
		ev = append(ev, Event{Kind: KindSSVEP, Onset: t, Duration: s.TrialDuration, Frequency: f, Amplitude: s.Amplitude})
	}
	return ev
}

// seizureSchedule returns the configured seizures or draws them, each
// with its onset phase.
func seizureSchedule(seed uint64, z Seizures, duration float64) []Event {
	var ev []Event
	if len(z.Events) > 0 {
		for _, e := range z.Events {
			ev = append(ev, Event{Kind: KindSeizure, Onset: e.Onset, Duration: e.Duration})
		}
	} else {
		var pcg rand.PCG
		seedPCG(&pcg, seed, streamSeizures, 0, 0)
		r := rand.New(&pcg)
		for t := 0.0; ; {
			t += r.ExpFloat64() * 3600 / z.RatePerHour
			d := z.MinDuration + (z.MaxDuration-z.MinDuration)*r.Float64()
			if t+d > duration {
				break
			}
			ev = append(ev, Event{Kind: KindSeizure, Onset: t, Duration: d})
			t += d
		}
	}
	for i := range ev {
		ev[i].setCourse(seed, uint64(i), z)
	}
	return ev
}

// Onset rhythms (Seizures): delta onsets with this probability, else
// theta/alpha; frequency bands in Hz; onset amplitude as a fraction of
// Seizures.StartAmplitude.
const (
	deltaOnsetProb             = 0.35
	deltaOnsetLo, deltaOnsetHi = 2.0, 5.0
	thetaOnsetLo, thetaOnsetHi = 5.0, 9.0
	onsetAmpLo, onsetAmpHi     = 0.1, 0.3
)

// setCourse sets seizure e's frequencies, amplitudes and onset phase,
// drawing the onset from the seizure's own stream (seed, index i).
func (e *Event) setCourse(seed, i uint64, z Seizures) {
	e.Frequency, e.EndFrequency = z.StartFrequency, z.EndFrequency
	e.Amplitude, e.OnsetAmplitude = z.EndAmplitude, z.StartAmplitude
	if !z.OnsetPhase {
		return
	}
	var pcg rand.PCG
	seedPCG(&pcg, seed, streamSeizureOnsets, i, 0)
	r := rand.New(&pcg)
	lo, hi := thetaOnsetLo, thetaOnsetHi
	if r.Float64() < deltaOnsetProb {
		lo, hi = deltaOnsetLo, deltaOnsetHi
	}
	f0 := lo + (hi-lo)*r.Float64()
	e.Frequency, e.EndFrequency = f0, f0*z.EndFrequency/z.StartFrequency
	e.OnsetDuration = math.Min(z.OnsetMinDuration+(z.OnsetMaxDuration-z.OnsetMinDuration)*r.Float64(), e.Duration/2)
	e.OnsetAmplitude = z.StartAmplitude * (onsetAmpLo + (onsetAmpHi-onsetAmpLo)*r.Float64())
}
