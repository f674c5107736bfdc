// Package simulate generates synthetic EEG and MEG sessions with known
// ground truth, so the pipeline, seizure detectors and SSVEP decoders can be
// tested and benchmarked without recorded data. A *Session implements
// formats.Recording: the pipeline replays a simulated session exactly like
// a file, and Truth (or Info().Annotations) says what is in it.
//
// # Model
//
// A channel's value is the sum of the enabled components (see Config):
//
//   - Background: Sources independent 1/f^β Gaussian processes on a
//     cortical sphere (0.75 × head radius), mixed into the channels by a
//     Gaussian function of sensor–source distance with each channel's row
//     normalised to the configured RMS. Neighbouring channels share sources
//     and are coherent; the coherence of channels i and j is
//     (wᵢ·wⱼ)²/(|wᵢ|²|wⱼ|²) at every frequency, with wᵢ the mixing rows
//     (about 0.3-0.5 between 10-20 neighbours, below 0.01 across the head
//     with the defaults).
//   - Alpha: two narrow-band Gaussian processes (Gaussian spectral peak)
//     in left and right parieto-occipital cortex, strongest at O1/O2; the
//     narrow band makes the amplitude wax and wane by itself.
//   - Line noise: mains frequency and optional harmonics, common phase,
//     per-channel gain.
//   - Blinks: frontal raised-cosine bumps, Poisson times with dead time.
//   - SSVEP: stimulus-locked sinusoids at f, 2f, … under Oz during trials.
//   - Seizures: an evolving rhythmic discharge from a focus (frequency
//     gliding e.g. 8 → 3 Hz, amplitude growing, sinusoid morphing into
//     spike-and-wave), optionally after a 10-20 s onset phase (a
//     low-voltage theta/alpha or delta sinusoid building up), that
//     recruits channels at a delay proportional to their distance from
//     the focus, and ends everywhere together.
//
// Sensors are 10-20 EEG electrodes (or a generated cap) on a spherical
// head, or Vectorview-like MEG triplets (one magnetometer, two planar
// gradiometers) on a spherical helmet, positions in metres in MNE's head
// frame. This is a phenomenological model, not a forward model: MEG
// channels reuse the EEG generators with distance weights (gradiometers
// see the spatial derivative along their baseline) and are scaled to
// tesla by Montage.MagScale and Montage.GradScale.
//
// Units are SI: V for EEG, T for magnetometers, T/m for gradiometers;
// times are seconds from the first sample; frequencies Hz; distances m.
//
// # Determinism and streaming
//
// Samples are generated on demand in spans of L samples (L is the power
// of two at or above 4 s, 1024 at 256 Hz). Span k is a pure function of
// the Config (Seed included) and k: the noise processes are overlap-added
// from windowed blocks each drawn from a PCG generator seeded by (Seed,
// source, block index) (see noiseField in noise.go), and the deterministic
// components are evaluated from the absolute sample index. Hence any range
// read in any chunking and in any order returns bit-identical values on a
// given platform, and equal Configs give equal sessions. A Session caches
// one span and the newest noise block, so memory is constant in Duration
// (a few times (channels + sources) × L × 8 B: about 1 MB for 19-channel
// EEG at 256 Hz, 30 MB for 306-channel MEG at 1 kHz); only the event
// schedules, drawn once by New, grow with the number of events. A read of
// consecutive 1 s blocks does not allocate.
//
// A Session is not safe for concurrent use; create one per goroutine.
package simulate
