package simulate

import (
	"fmt"
	"math"
	"time"
)

// Config describes a simulated session. A zero numeric field takes the
// default named at the end of its comment, so a partly filled Config is
// usable; a component is switched on and off only by its Enabled field.
// DefaultConfig returns every default filled in.
//
// Amplitudes are given in volts as for EEG. For MEG montages they are
// "volt-equivalents" converted per sensor by Montage.MagScale and
// Montage.GradScale (see Montage).
type Config struct {
	// Seed selects the random realisation. Two sessions with equal
	// Configs (Seed included) return bit-identical samples and truth.
	// Zero is a valid seed. Default: 0.
	Seed uint64
	// SampleRate is the sampling rate in Hz. Default: 256.
	SampleRate float64
	// Duration is the session length in seconds; Info.NSamples is
	// round(Duration*SampleRate). Default: 60.
	Duration float64
	// StartTime is reported as Info.StartTime. Default: the zero Time.
	StartTime time.Time

	Montage    Montage
	Background Background
	Alpha      Alpha
	LineNoise  LineNoise
	Blinks     Blinks
	SSVEP      SSVEP
	Seizures   Seizures
}

// Montage selects the sensors.
//
// EEG positions lie on a sphere of radius HeadRadius in MNE's head frame
// (x right, y anterior, z up, metres), at the idealised spherical 10-20
// angles (the ones BESA and EEGLAB use). MEG sensors lie on a spherical
// helmet of radius HelmetRadius; each location carries one magnetometer
// (label suffix 1, radial) and two orthogonal planar gradiometers
// (suffixes 2 and 3, along the local latitude and longitude) like an
// Elekta/MEGIN Vectorview, but the locations are a regular spiral and the
// numbers are sequential, not Vectorview's physical layout.
type Montage struct {
	// Kind is "eeg" or "meg". Default: "eeg".
	Kind string
	// Labels names the EEG channels, in order, from the 10-20 system
	// (Fp1 Fpz Fp2 F7 F3 Fz F4 F8 T3 C3 Cz C4 T4 T5 P3 Pz P4 T6 O1 Oz O2;
	// T7, T8, P7, P8 are accepted for T3, T4, T5, T6) or the 10-10 system
	// (AF3, FC1, CPz, PO8, P9, Iz, …). Default: the Channels electrodes
	// listed below.
	Labels []string
	// Channels is the number of EEG channels when Labels is empty: 19 is
	// the 10-20 montage Fp1 Fp2 F7 F3 Fz F4 F8 T3 C3 Cz C4 T4 T5 P3 Pz P4
	// T6 O1 O2; fewer take a subset of it that covers the head; more (up
	// to 82) add Fpz, Oz and then 10-10 electrodes (64 is the BioSemi 64
	// layout); above 82 the cap is a high-density net numbered "E1".."En"
	// spread evenly (Fibonacci spiral) down to 100° from the vertex. With
	// Labels it must be 0 or their number. Default: 19 (0).
	Channels int
	// HeadRadius is the EEG sphere radius in m. Default: 0.095.
	HeadRadius float64
	// Locations is the number of MEG sensor locations. Default: 102.
	Locations int
	// Sensors selects the MEG sensors at each location: "mag+grad",
	// "mag" or "grad". Default: "mag+grad" (3 channels per location).
	Sensors string
	// HelmetRadius is the MEG sensor sphere radius in m. Default: 0.12.
	HelmetRadius float64
	// MagScale converts a volt-equivalent amplitude to tesla for
	// magnetometers. Default: 1e-8 (10 µV ↦ 100 fT).
	MagScale float64
	// GradScale converts a volt-equivalent amplitude to T/m for planar
	// gradiometers. Default: 4e-7 (10 µV ↦ 4 pT/m = 40 fT/cm).
	GradScale float64
}

// Background is the ongoing activity: Sources independent 1/f^β
// processes on a sphere of radius 0.75*HeadRadius (the cortex), mixed into
// the channels with Gaussian distance weights exp(-d²/(2·Spread²)) where d
// is the sensor-source distance. Each channel's weight row is normalised
// so its background RMS equals Amplitude, and the coherence between two
// channels i and j is (wᵢ·wⱼ)²/(|wᵢ|²|wⱼ|²) at every frequency: high for
// neighbours, near zero across the head.
type Background struct {
	// Enabled switches the background on.
	Enabled bool
	// Amplitude is the RMS in V of every channel's background.
	// Default: 15e-6.
	Amplitude float64
	// Exponent is β in the power spectrum P(f) ∝ 1/f^β. Default: 1.5.
	Exponent float64
	// HighPass is the corner in Hz below which the spectrum falls as f²
	// (like a recording high-passed there), keeping the power finite.
	// Default: 0.5.
	HighPass float64
	// Sources is the number of cortical sources. Default: 128.
	Sources int
	// Spread is the Gaussian width in m of a source's field on the
	// sensors; larger means more volume conduction and more coherence.
	// Default: 0.04.
	Spread float64
}

// Alpha is the posterior alpha rhythm: two independent narrow-band
// Gaussian processes (left and right parieto-occipital cortex) whose power
// spectrum is a Gaussian of full width Bandwidth around Frequency. A
// narrow-band process waxes and wanes by itself: its envelope is Rayleigh
// distributed and changes over about 1/Bandwidth seconds.
type Alpha struct {
	// Enabled switches the alpha rhythm on.
	Enabled bool
	// Frequency is the peak frequency in Hz. Default: 10.
	Frequency float64
	// Bandwidth is the full width at half maximum of the spectral peak in
	// Hz. Default: 1.
	Bandwidth float64
	// Amplitude is the alpha RMS in V at the most exposed channel (O1/O2
	// in the 10-20 montage). Default: 10e-6.
	Amplitude float64
	// Spread is the Gaussian width in m of the generators' field.
	// Default: 0.05.
	Spread float64
}

// LineNoise is mains interference: Harmonics sinusoids at multiples of
// Frequency, common in phase on all channels, with a per-channel gain
// drawn uniformly in [0.7, 1.3] (electrode impedance differences).
// Harmonics above the Nyquist frequency are left out.
type LineNoise struct {
	// Enabled switches line noise on.
	Enabled bool
	// Frequency is the mains frequency in Hz, 50 or 60. Default: 50.
	Frequency float64
	// Amplitude is the peak amplitude in V of the fundamental at gain 1.
	// Default: 5e-6.
	Amplitude float64
	// Harmonics is the number of multiples of Frequency included,
	// counting the fundamental. Default: 1.
	Harmonics int
	// HarmonicDecay is the amplitude ratio of each harmonic to the one
	// before. Default: 0.5.
	HarmonicDecay float64
}

// Blinks are eye-blink artefacts: a raised-cosine bump (rise over 40% of
// Duration, fall over 60%) seen through Gaussian distance weights from two
// eye positions in front of and below Fp1/Fp2, normalised so the most
// frontal channel gets the blink's full amplitude. Onsets form a Poisson
// process with dead time: intervals are 2*Duration plus an exponential
// variate, with mean 1/Rate. Each blink is annotated "blink".
type Blinks struct {
	// Enabled switches blinks on.
	Enabled bool
	// Rate is the mean number of blinks per second. Default: 0.25.
	Rate float64
	// MinAmplitude and MaxAmplitude bound the peak amplitude in V at the
	// most frontal channel; each blink draws uniformly between them.
	// Defaults: 100e-6 and 200e-6.
	MinAmplitude, MaxAmplitude float64
	// Duration is the blink length in seconds. Default: 0.3.
	Duration float64
	// Spread is the Gaussian width in m of the eyes' field.
	// Default: 0.05.
	Spread float64
}

// Trial is one stimulation period.
type Trial struct {
	// Onset is in seconds from the first sample.
	Onset float64
	// Duration is in seconds.
	Duration float64
	// Frequency is the stimulus flicker frequency in Hz.
	Frequency float64
}

// SSVEP is the steady-state visually evoked response: during a trial at
// frequency f, a generator under Oz adds Σₕ A·HarmonicDecayʰ⁻¹·sin(2πhf·t)
// for h = 1..Harmonics, t from the trial onset (phase-locked to the
// stimulus), with 0.1 s raised-cosine ramps at both ends. Each trial is
// annotated "ssvep/<f>Hz", f printed in the shortest form ("12Hz",
// "8.57Hz").
type SSVEP struct {
	// Enabled switches SSVEP responses on.
	Enabled bool
	// Trials is an explicit schedule. When empty, trials of
	// TrialDuration are laid out from FirstOnset with Interval rest
	// between them, frequencies taken from Frequencies in a seeded
	// shuffled order (each frequency once per round).
	Trials []Trial
	// Frequencies lists the stimulus frequencies in Hz for the generated
	// schedule. Default: [8 11 13 15].
	Frequencies []float64
	// TrialDuration is the generated trials' length in s. Default: 4.
	TrialDuration float64
	// Interval is the rest between generated trials in s. Default: 2.
	Interval float64
	// FirstOnset is the first generated trial's onset in s. Default: 2.
	FirstOnset float64
	// Amplitude is the peak amplitude in V of the fundamental at the most
	// exposed channel. Default: 5e-6.
	Amplitude float64
	// Harmonics is the number of harmonics counting the fundamental.
	// Default: 2.
	Harmonics int
	// HarmonicDecay is the amplitude ratio of each harmonic to the one
	// before. Default: 0.5.
	HarmonicDecay float64
	// Spread is the Gaussian width in m of the generator's field.
	// Default: 0.05.
	Spread float64
}

// SeizureEvent is one scheduled seizure.
type SeizureEvent struct {
	// Onset is in seconds from the first sample; it is the onset at the
	// focus.
	Onset float64
	// Duration is in seconds, from onset at the focus to the common end.
	Duration float64
}

// Seizures are evolving rhythmic discharges of duration D. By default the
// discharge starts at full size: at global time s after onset the rhythm
// has frequency StartFrequency + (EndFrequency-StartFrequency)·s/D (phase
// is its integral, common to all channels), amplitude growing linearly
// from StartAmplitude to EndAmplitude, and a waveform morphing linearly
// from a sinusoid to a spike-and-wave complex.
//
// With OnsetPhase, each seizure starts instead with an onset phase of T
// seconds (drawn per seizure in [OnsetMinDuration, OnsetMaxDuration], at
// most D/2): a sinusoidal rhythm whose amplitude builds up geometrically
// from a fraction (drawn in [0.1, 0.3]) of StartAmplitude to
// StartAmplitude, the build-up of synchrony over several seconds that
// scalp recordings of focal seizures typically show (Tao et al.,
// Epilepsia 48:2167, 2007). Its frequency at onset f₀ is drawn per seizure
// from the two scalp onset rhythms of temporal lobe seizures: theta/alpha
// in [5, 9] Hz (probability 0.65) or delta in [2, 5] Hz (0.35), the
// proportions of 192 seizures in Clin Neurophysiol 130:1604, 2019 (PMID
// 31319289); the 5-9 Hz rhythm is Ebersole and Pacia's type 1a (Epilepsia
// 37:386, 1996). The frequency then falls linearly over the whole seizure
// to f₀·EndFrequency/StartFrequency. After the onset phase the amplitude
// grows linearly from StartAmplitude to EndAmplitude and the waveform
// morphs linearly from the sinusoid to spike-and-wave over the rest of
// the seizure. The draws use their own random stream (seed and seizure
// index), so the schedule is the same with and without OnsetPhase.
// Low-voltage fast onsets are not modelled: on the scalp they show only
// as an attenuation of the background (Pacia and Ebersole, Epilepsia
// 38:642, 1997).
//
// A seizure starts at the Focus channels and recruits a channel at
// distance d from the nearest focus channel after d/SpreadSpeed seconds
// with gain exp(-d/SpreadDecay); channels not reached one second before
// the end stay uninvolved. All channels end together with a 1 s fade.
// Each seizure is annotated "seizure" with its onset at the focus and its
// full duration, onset phase included.
type Seizures struct {
	// Enabled switches seizures on.
	Enabled bool
	// Events is an explicit schedule (non-overlapping). When empty,
	// onsets form a Poisson process of RatePerHour counted from the end
	// of the previous seizure, durations uniform in [MinDuration,
	// MaxDuration]; a seizure that would run past the end is dropped.
	Events []SeizureEvent
	// RatePerHour is the Poisson rate of generated seizures. Default: 6.
	RatePerHour float64
	// MinDuration and MaxDuration bound generated durations in s.
	// Defaults: 20 and 60.
	MinDuration, MaxDuration float64
	// Focus lists the onset channels by label. Default: the channels at
	// the two sensor positions nearest the left mid-temporal region
	// (T3 and T5 in the 10-20 montage).
	Focus []string
	// StartFrequency and EndFrequency are the discharge frequencies in Hz
	// at onset and at the end. Defaults: 8 and 3.
	StartFrequency, EndFrequency float64
	// StartAmplitude and EndAmplitude are the peak amplitudes in V at the
	// focus at onset and at the end. Defaults: 50e-6 and 250e-6.
	StartAmplitude, EndAmplitude float64
	// OnsetPhase starts every seizure with a low-voltage onset phase
	// building up to StartAmplitude (above). It is off by default so that
	// the shipped example model (`make models`) and the simulated figures
	// of docs/seizure.md stay reproducible: a model trained with it was
	// measured and not adopted (docs/seizure.md, "Seizure onset").
	// Default: false.
	OnsetPhase bool
	// OnsetMinDuration and OnsetMaxDuration bound the onset phase's
	// duration in s (at most half the seizure). Defaults: 10 and 20.
	OnsetMinDuration, OnsetMaxDuration float64
	// SpreadSpeed is the recruitment speed in m/s. Default: 0.02.
	SpreadSpeed float64
	// SpreadDecay is the distance in m over which the amplitude of
	// recruited channels falls by e. Default: 0.15.
	SpreadDecay float64
}

// DefaultConfig returns the defaults: 60 s of 19-channel 10-20 EEG at
// 256 Hz with background, alpha, 50 Hz line noise and blinks on, SSVEP and
// seizures off.
func DefaultConfig() Config {
	c := Config{}
	c.Background.Enabled = true
	c.Alpha.Enabled = true
	c.LineNoise.Enabled = true
	c.Blinks.Enabled = true
	return c.withDefaults()
}

// channels returns the number of EEG channels of a montage without
// Labels: Channels, 19 when 0.
func (m Montage) channels() int { return orI(m.Channels, 19) }

func orF(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

func orI(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// withDefaults returns c with every zero field that has a default filled
// in. Slices are copied so the result shares no memory with c.
func (c Config) withDefaults() Config {
	c.SampleRate = orF(c.SampleRate, 256)
	c.Duration = orF(c.Duration, 60)

	m := &c.Montage
	if m.Kind == "" {
		m.Kind = "eeg"
	}
	// Channels stays 0 (Montage.channels reads it as 19) and the labels
	// are made from it only when the sensors are built, so that setting
	// either Labels or Channels on a DefaultConfig takes effect.
	m.Labels = append([]string(nil), m.Labels...)
	m.HeadRadius = orF(m.HeadRadius, 0.095)
	m.Locations = orI(m.Locations, 102)
	if m.Sensors == "" {
		m.Sensors = "mag+grad"
	}
	m.HelmetRadius = orF(m.HelmetRadius, 0.12)
	m.MagScale = orF(m.MagScale, 1e-8)
	m.GradScale = orF(m.GradScale, 4e-7)

	b := &c.Background
	b.Amplitude = orF(b.Amplitude, 15e-6)
	b.Exponent = orF(b.Exponent, 1.5)
	b.HighPass = orF(b.HighPass, 0.5)
	b.Sources = orI(b.Sources, 128)
	b.Spread = orF(b.Spread, 0.04)

	a := &c.Alpha
	a.Frequency = orF(a.Frequency, 10)
	a.Bandwidth = orF(a.Bandwidth, 1)
	a.Amplitude = orF(a.Amplitude, 10e-6)
	a.Spread = orF(a.Spread, 0.05)

	l := &c.LineNoise
	l.Frequency = orF(l.Frequency, 50)
	l.Amplitude = orF(l.Amplitude, 5e-6)
	l.Harmonics = orI(l.Harmonics, 1)
	l.HarmonicDecay = orF(l.HarmonicDecay, 0.5)

	k := &c.Blinks
	k.Rate = orF(k.Rate, 0.25)
	k.MinAmplitude = orF(k.MinAmplitude, 100e-6)
	k.MaxAmplitude = orF(k.MaxAmplitude, 200e-6)
	k.Duration = orF(k.Duration, 0.3)
	k.Spread = orF(k.Spread, 0.05)

	s := &c.SSVEP
	s.Trials = append([]Trial(nil), s.Trials...)
	if len(s.Frequencies) == 0 {
		s.Frequencies = []float64{8, 11, 13, 15}
	} else {
		s.Frequencies = append([]float64(nil), s.Frequencies...)
	}
	s.TrialDuration = orF(s.TrialDuration, 4)
	s.Interval = orF(s.Interval, 2)
	s.FirstOnset = orF(s.FirstOnset, 2)
	s.Amplitude = orF(s.Amplitude, 5e-6)
	s.Harmonics = orI(s.Harmonics, 2)
	s.HarmonicDecay = orF(s.HarmonicDecay, 0.5)
	s.Spread = orF(s.Spread, 0.05)

	z := &c.Seizures
	z.Events = append([]SeizureEvent(nil), z.Events...)
	z.Focus = append([]string(nil), z.Focus...)
	z.RatePerHour = orF(z.RatePerHour, 6)
	z.MinDuration = orF(z.MinDuration, 20)
	z.MaxDuration = orF(z.MaxDuration, 60)
	z.StartFrequency = orF(z.StartFrequency, 8)
	z.EndFrequency = orF(z.EndFrequency, 3)
	z.StartAmplitude = orF(z.StartAmplitude, 50e-6)
	z.EndAmplitude = orF(z.EndAmplitude, 250e-6)
	z.OnsetMinDuration = orF(z.OnsetMinDuration, 10)
	z.OnsetMaxDuration = orF(z.OnsetMaxDuration, 20)
	z.SpreadSpeed = orF(z.SpreadSpeed, 0.02)
	z.SpreadDecay = orF(z.SpreadDecay, 0.15)
	return c
}

// ConfigError is a Config field with an invalid value.
type ConfigError struct {
	// Field is the Go path of the field, e.g. "Alpha.Frequency".
	Field string
	// Msg says what is wrong and what is expected.
	Msg string
}

func (e *ConfigError) Error() string { return "simulate: config " + e.Field + ": " + e.Msg }

func bad(field, format string, args ...any) error {
	return &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// finite reports whether every v is a finite number.
func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// positive checks that v is finite and > 0.
func positive(field string, v float64) error {
	if !finite(v) || v <= 0 {
		return bad(field, "%v, want a finite value > 0", v)
	}
	return nil
}

// Validate reports the first invalid field (after defaults are applied)
// as a *ConfigError naming it.
func (c Config) Validate() error {
	d := c.withDefaults()
	return d.validate()
}

func (c *Config) validate() error {
	if err := positive("SampleRate", c.SampleRate); err != nil {
		return err
	}
	if err := positive("Duration", c.Duration); err != nil {
		return err
	}
	if n := c.Duration * c.SampleRate; n < 1 || n > 1<<53 {
		return bad("Duration", "%v s at %v Hz is %v samples, want 1 to 2^53", c.Duration, c.SampleRate, n)
	}
	nyq := c.SampleRate / 2
	if err := c.validateMontage(); err != nil {
		return err
	}

	if err := c.validateBackground(nyq); err != nil {
		return err
	}
	if err := c.validateAlpha(nyq); err != nil {
		return err
	}
	if err := c.validateLineNoise(nyq); err != nil {
		return err
	}
	if err := c.validateBlinks(); err != nil {
		return err
	}
	if s := c.SSVEP; s.Enabled {
		if err := c.validateSSVEP(nyq); err != nil {
			return err
		}
	}
	if z := c.Seizures; z.Enabled {
		if err := c.validateSeizures(nyq); err != nil {
			return err
		}
	}
	return nil
}

// allPositive checks that each value is finite and > 0, naming the
// first that is not as prefix + its name.
func allPositive(prefix string, fields ...namedValue) error {
	for _, f := range fields {
		if err := positive(prefix+f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

type namedValue struct {
	name string
	v    float64
}

func (c *Config) validateBackground(nyq float64) error {
	b := c.Background
	if !b.Enabled {
		return nil
	}
	if err := allPositive("Background.", namedValue{"Amplitude", b.Amplitude}, namedValue{"Exponent", b.Exponent}, namedValue{"HighPass", b.HighPass}, namedValue{"Spread", b.Spread}); err != nil {
		return err
	}
	if b.Exponent > 4 {
		return bad("Background.Exponent", "%v, want at most 4", b.Exponent)
	}
	if b.HighPass >= nyq {
		return bad("Background.HighPass", "%v Hz, want below the Nyquist frequency %v Hz", b.HighPass, nyq)
	}
	if b.Sources < 1 || b.Sources > 4096 {
		return bad("Background.Sources", "%d, want 1 to 4096", b.Sources)
	}
	return nil
}

func (c *Config) validateAlpha(nyq float64) error {
	a := c.Alpha
	if !a.Enabled {
		return nil
	}
	if err := allPositive("Alpha.", namedValue{"Frequency", a.Frequency}, namedValue{"Bandwidth", a.Bandwidth}, namedValue{"Amplitude", a.Amplitude}, namedValue{"Spread", a.Spread}); err != nil {
		return err
	}
	if a.Frequency+a.Bandwidth >= nyq {
		return bad("Alpha.Frequency", "%v Hz (bandwidth %v Hz), want the band below the Nyquist frequency %v Hz", a.Frequency, a.Bandwidth, nyq)
	}
	return nil
}

func (c *Config) validateLineNoise(nyq float64) error {
	l := c.LineNoise
	if !l.Enabled {
		return nil
	}
	if err := positive("LineNoise.Frequency", l.Frequency); err != nil {
		return err
	}
	if l.Frequency >= nyq {
		return bad("LineNoise.Frequency", "%v Hz, want below the Nyquist frequency %v Hz", l.Frequency, nyq)
	}
	if err := positive("LineNoise.Amplitude", l.Amplitude); err != nil {
		return err
	}
	if l.Harmonics < 1 || l.Harmonics > 100 {
		return bad("LineNoise.Harmonics", "%d, want 1 to 100", l.Harmonics)
	}
	return positive("LineNoise.HarmonicDecay", l.HarmonicDecay)
}

func (c *Config) validateBlinks() error {
	k := c.Blinks
	if !k.Enabled {
		return nil
	}
	if err := allPositive("Blinks.", namedValue{"Rate", k.Rate}, namedValue{"MinAmplitude", k.MinAmplitude}, namedValue{"MaxAmplitude", k.MaxAmplitude}, namedValue{"Duration", k.Duration}, namedValue{"Spread", k.Spread}); err != nil {
		return err
	}
	if k.MaxAmplitude < k.MinAmplitude {
		return bad("Blinks.MaxAmplitude", "%v V, want at least MinAmplitude %v V", k.MaxAmplitude, k.MinAmplitude)
	}
	if k.Rate*2*k.Duration >= 1 {
		return bad("Blinks.Rate", "%v/s with Duration %v s, want Rate < 1/(2*Duration) (blinks do not overlap)", k.Rate, k.Duration)
	}
	return nil
}

func (c *Config) validateMontage() error {
	m := c.Montage
	switch m.Kind {
	case "eeg":
		if err := positive("Montage.HeadRadius", m.HeadRadius); err != nil {
			return err
		}
		if len(m.Labels) == 0 {
			if n := m.channels(); n < 1 || n > 1024 {
				return bad("Montage.Channels", "%d, want 1 to 1024", n)
			}
			return nil
		}
		if m.Channels != 0 && m.Channels != len(m.Labels) {
			return bad("Montage.Channels", "%d, but Montage.Labels names %d channels: give one of them", m.Channels, len(m.Labels))
		}
		seen := map[string]bool{}
		for i, l := range m.Labels {
			if _, ok := angle1010[l]; !ok {
				return bad(fmt.Sprintf("Montage.Labels[%d]", i), "%q is not a 10-20 or 10-10 label (want one of %s)", l, known1010)
			}
			p := canonical1010(l)
			if seen[p] {
				return bad(fmt.Sprintf("Montage.Labels[%d]", i), "%q repeats a position already listed", l)
			}
			seen[p] = true
		}
	case "meg":
		if m.Locations < 1 || m.Locations > 1024 {
			return bad("Montage.Locations", "%d, want 1 to 1024", m.Locations)
		}
		switch m.Sensors {
		case "mag+grad", "mag", "grad":
		default:
			return bad("Montage.Sensors", "%q, want \"mag+grad\", \"mag\" or \"grad\"", m.Sensors)
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"HelmetRadius", m.HelmetRadius}, {"MagScale", m.MagScale}, {"GradScale", m.GradScale}} {
			if err := positive("Montage."+f.name, f.v); err != nil {
				return err
			}
		}
	default:
		return bad("Montage.Kind", "%q, want \"eeg\" or \"meg\"", m.Kind)
	}
	return nil
}

func (c *Config) validateSSVEP(nyq float64) error {
	s := c.SSVEP
	if err := positive("SSVEP.Amplitude", s.Amplitude); err != nil {
		return err
	}
	if s.Harmonics < 1 || s.Harmonics > 20 {
		return bad("SSVEP.Harmonics", "%d, want 1 to 20", s.Harmonics)
	}
	if err := positive("SSVEP.HarmonicDecay", s.HarmonicDecay); err != nil {
		return err
	}
	if err := positive("SSVEP.Spread", s.Spread); err != nil {
		return err
	}
	checkF := func(field string, f float64) error {
		if err := positive(field, f); err != nil {
			return err
		}
		if f >= nyq {
			return bad(field, "%v Hz, want below the Nyquist frequency %v Hz", f, nyq)
		}
		return nil
	}
	if len(s.Trials) > 0 {
		for i, t := range s.Trials {
			f := fmt.Sprintf("SSVEP.Trials[%d]", i)
			if !finite(t.Onset) || t.Onset < 0 {
				return bad(f+".Onset", "%v s, want >= 0", t.Onset)
			}
			if err := positive(f+".Duration", t.Duration); err != nil {
				return err
			}
			if t.Onset+t.Duration > c.Duration {
				return bad(f+".Duration", "trial ends at %v s, after the session end %v s", t.Onset+t.Duration, c.Duration)
			}
			if err := checkF(f+".Frequency", t.Frequency); err != nil {
				return err
			}
		}
		return nil
	}
	for i, f := range s.Frequencies {
		if err := checkF(fmt.Sprintf("SSVEP.Frequencies[%d]", i), f); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"TrialDuration", s.TrialDuration}, {"Interval", s.Interval}, {"FirstOnset", s.FirstOnset}} {
		if err := positive("SSVEP."+f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateSeizures(nyq float64) error {
	z := c.Seizures
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"StartFrequency", z.StartFrequency}, {"EndFrequency", z.EndFrequency},
		{"StartAmplitude", z.StartAmplitude}, {"EndAmplitude", z.EndAmplitude},
		{"SpreadSpeed", z.SpreadSpeed}, {"SpreadDecay", z.SpreadDecay},
		{"OnsetMinDuration", z.OnsetMinDuration}, {"OnsetMaxDuration", z.OnsetMaxDuration},
	} {
		if err := positive("Seizures."+f.name, f.v); err != nil {
			return err
		}
	}
	if z.OnsetMaxDuration < z.OnsetMinDuration {
		return bad("Seizures.OnsetMaxDuration", "%v s, want at least OnsetMinDuration %v s", z.OnsetMaxDuration, z.OnsetMinDuration)
	}
	if z.StartFrequency >= nyq {
		return bad("Seizures.StartFrequency", "%v Hz, want below the Nyquist frequency %v Hz", z.StartFrequency, nyq)
	}
	if z.EndFrequency >= nyq {
		return bad("Seizures.EndFrequency", "%v Hz, want below the Nyquist frequency %v Hz", z.EndFrequency, nyq)
	}
	if len(z.Events) > 0 {
		prevEnd := math.Inf(-1)
		for i, e := range z.Events {
			f := fmt.Sprintf("Seizures.Events[%d]", i)
			if !finite(e.Onset) || e.Onset < 0 {
				return bad(f+".Onset", "%v s, want >= 0", e.Onset)
			}
			if err := positive(f+".Duration", e.Duration); err != nil {
				return err
			}
			if e.Onset+e.Duration > c.Duration {
				return bad(f+".Duration", "seizure ends at %v s, after the session end %v s", e.Onset+e.Duration, c.Duration)
			}
			if e.Onset < prevEnd {
				return bad(f+".Onset", "%v s, want sorted, non-overlapping events (previous ends at %v s)", e.Onset, prevEnd)
			}
			prevEnd = e.Onset + e.Duration
		}
	} else {
		for _, f := range []struct {
			name string
			v    float64
		}{{"RatePerHour", z.RatePerHour}, {"MinDuration", z.MinDuration}, {"MaxDuration", z.MaxDuration}} {
			if err := positive("Seizures."+f.name, f.v); err != nil {
				return err
			}
		}
		if z.MaxDuration < z.MinDuration {
			return bad("Seizures.MaxDuration", "%v s, want at least MinDuration %v s", z.MaxDuration, z.MinDuration)
		}
	}
	if len(z.Focus) > 0 {
		labels := map[string]bool{}
		for _, s := range buildSensors(c.Montage) {
			labels[s.label] = true
		}
		for i, l := range z.Focus {
			if !labels[l] {
				return bad(fmt.Sprintf("Seizures.Focus[%d]", i), "%q is not a channel of the montage", l)
			}
		}
	}
	return nil
}
