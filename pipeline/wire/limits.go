package wire

import (
	"fmt"
	"math"
)

// Limits bounds what a Decoder accepts, so that one message cannot make a
// consumer allocate or buffer without bound. A message beyond a limit is a
// *DecodeError with Reason ReasonLimit and Limit naming the field.
//
// The defaults fit every recording the project targets with room to spare:
// 306-channel MEG (Elekta/MEGIN) at 5 kHz in chunks of up to 5 s is 306
// channels × 25 000 rows, 31 MB; high-density EEG (256 channels) at 20 kHz
// in 1 s chunks is 20 MB. Zero means the default; docs/wire-format.md,
// "Limits", gives the suggested YAML names.
type Limits struct {
	// MaxMessageBytes bounds the size of one message (the Kafka record
	// value). Decoding allocates at most a small multiple of the message
	// size (TestDecodeAllocBound), so this bounds a decode's memory. 64 MiB
	// holds 5 s of 306 channels at 5 kHz twice over. Kafka brokers take
	// records of about 1 MiB unless message.max.bytes is raised; this
	// limit matters where it is. Default: 64 MiB.
	MaxMessageBytes int
	// MaxChannels bounds the columns of a chunk. 1024 covers whole-head
	// MEG (306) with its reference and auxiliary channels and 256-channel
	// EEG; the pipeline keeps per-channel state (filters, buffers) for
	// each. Default: 1024.
	MaxChannels int
	// MaxRows bounds the rows (samples per channel) of a chunk: 100 000 is
	// 5 s at 20 kHz, 20 s at 5 kHz. Producers send chunks of well under a
	// second for latency. Default: 100000.
	MaxRows int
	// MinSampleRate is the lowest accepted neurostream.sample_rate, in Hz.
	// Window and hop lengths are given in seconds and become rate × seconds
	// samples; a rate far below any physiological recording (0.001 Hz)
	// turns a window of seconds into a fraction of a sample. 0.1 Hz, one
	// sample per 10 s, admits slow trend channels. Default: 0.1.
	MinSampleRate float64
	// MaxSampleRate is the highest accepted neurostream.sample_rate, in
	// Hz. The pipeline buffers rate × window seconds samples per channel
	// before a window completes, so an absurd rate (1e12) means buffering
	// every chunk of the session forever. 100 kHz is above the rates of
	// EEG and MEG systems (a few kHz) and of intracranial spike recording
	// (about 30 kHz). Default: 100000.
	MaxSampleRate float64
}

// Default limits; see the Limits fields.
const (
	DefaultMaxMessageBytes = 64 << 20
	DefaultMaxChannels     = 1024
	DefaultMaxRows         = 100_000
	DefaultMinSampleRate   = 0.1
	DefaultMaxSampleRate   = 100_000
)

// Validate checks the limits; errors name the field. Zero fields are valid
// (they mean the default); the sample-rate range is checked after defaults
// are applied, so MinSampleRate 200000 alone is an error.
func (l Limits) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxMessageBytes", l.MaxMessageBytes}, {"MaxChannels", l.MaxChannels}, {"MaxRows", l.MaxRows}} {
		if f.v < 0 {
			return fmt.Errorf("wire: Limits.%s: must not be negative, got %d", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"MinSampleRate", l.MinSampleRate}, {"MaxSampleRate", l.MaxSampleRate}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("wire: Limits.%s: want a finite rate >= 0 Hz (0 for the default), got %v", f.name, f.v)
		}
	}
	r := l.withDefaults()
	if r.MinSampleRate > r.MaxSampleRate {
		return fmt.Errorf("wire: Limits.MinSampleRate: %v Hz is above MaxSampleRate %v Hz", r.MinSampleRate, r.MaxSampleRate)
	}
	return nil
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	if l.MaxMessageBytes == 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if l.MaxChannels == 0 {
		l.MaxChannels = DefaultMaxChannels
	}
	if l.MaxRows == 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MinSampleRate == 0 {
		l.MinSampleRate = DefaultMinSampleRate
	}
	if l.MaxSampleRate == 0 {
		l.MaxSampleRate = DefaultMaxSampleRate
	}
	return l
}
