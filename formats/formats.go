// Package formats is the one model every recorded-data reader returns:
// channels, samples in SI units and annotations, read record by record.
//
// The readers live in sub-packages (edf, brainvision, gdf, fif, text) and
// formats/open picks one by file name and magic bytes. A reader never loads a
// whole recording: ReadSamples decodes only the data records that cover the
// requested range, so a multi-GB file reads in constant memory.
//
// Conventions shared by every reader:
//
//   - Sample values are float64 in SI units: V for EEG/EOG/ECG/EMG, T for
//     magnetometers, T/m for gradiometers. Channels whose unit the file does
//     not name, or names as something that is not a known electrical or
//     magnetic unit, are returned unscaled and their Unit says so.
//   - Channel types, names and the values returned match what MNE-Python's
//     reader for the same format returns with its default arguments, so a
//     result computed here can be compared with one computed in MNE.
//   - Mixed sample rates in one file: Info.SampleRate is the highest rate and
//     ReadSamples returns every channel on that common grid. A channel with a
//     lower native rate keeps it in Channel.SampleRate and is upsampled the
//     way MNE does it (band-limited FFT interpolation over the whole signal
//     for data channels, zero-order hold within each record for stim
//     channels), so no channel is ever silently misaligned. Readers document
//     the cost (EDF keeps such channels' spectra, the size of the samples).
//   - Damaged files are never read silently wrong: a reader either fails
//     with an *Error naming the file, field and expected value, or reads
//     what it can (e.g. the whole records of a truncated EDF, as MNE does)
//     and says so in Info.Warnings.
//   - No allocation is sized by a count a header states: opening and
//     streaming a file allocates at most a small multiple of its size.
package formats

import (
	"fmt"
	"slices"
	"time"
)

// ChannelType is the kind of sensor behind a channel. The values are the
// wire format's `type` field metadata.
type ChannelType string

// Channel types, named as in the wire format. MNE's types map onto them as
// eeg→EEG, mag→MEGMag, grad→MEGGrad, eog, ecg, emg, stim; every other MNE
// type (misc, resp, bio, syst, ref_meg, …) becomes Misc.
const (
	EEG     ChannelType = "eeg"
	MEGMag  ChannelType = "meg_mag"
	MEGGrad ChannelType = "meg_grad"
	EOG     ChannelType = "eog"
	ECG     ChannelType = "ecg"
	EMG     ChannelType = "emg"
	Stim    ChannelType = "stim"
	Misc    ChannelType = "misc"
)

// Valid reports whether t is one of the defined channel types.
func (t ChannelType) Valid() bool {
	switch t {
	case EEG, MEGMag, MEGGrad, EOG, ECG, EMG, Stim, Misc:
		return true
	}
	return false
}

// Channel describes one recorded signal.
type Channel struct {
	// Label is the channel name as stored in the file, with trailing
	// padding removed. Duplicate labels are made unique the way MNE does
	// (see UniqueLabels).
	Label string
	// Type is the sensor kind.
	Type ChannelType
	// Unit is the SI unit of the values ReadSamples returns: "V", "T",
	// "T/m", or the file's own unit string when it is not one of those
	// (the values are then the file's physical values, unscaled).
	Unit string
	// SampleRate is the channel's native rate in Hz. It differs from
	// Info.SampleRate only in mixed-rate files.
	SampleRate float64
	// Pos is the sensor position in metres (x, y, z) as the file stores
	// it (FIF: device frame for MEG sensors, head frame for EEG), or nil
	// when the file stores none.
	Pos *[3]float64
}

// Annotation is a labelled span of the recording.
type Annotation struct {
	// Onset is seconds from the first sample of the recording.
	Onset float64
	// Duration is in seconds; 0 for an instantaneous event.
	Duration float64
	// Description is the annotation text (UTF-8) or the event code as a
	// decimal string for formats that store numeric events.
	Description string
}

// Info is what a reader knows about a recording before reading samples.
type Info struct {
	// Format names the file format and variant, e.g. "EDF+C", "BDF",
	// "BrainVision", "GDF 2.10", "FIF".
	Format string
	// Channels lists the data channels in file order. Annotation-only
	// signals (EDF Annotations, BDF Annotations) are not channels.
	Channels []Channel
	// SampleRate is the rate in Hz of the grid ReadSamples returns.
	SampleRate float64
	// NSamples is the number of samples per channel on that grid.
	NSamples int64
	// StartTime is the wall-clock time of the first sample; the zero Time
	// when the file does not say.
	StartTime time.Time
	// Annotations are the recording's annotations and events, sorted by
	// onset.
	Annotations []Annotation
	// Warnings says what is wrong with a damaged file that could still be
	// read, and how it was read: one sentence each, naming the file and
	// field, in the order found, each once (see Warn). Empty for a sound
	// file. Callers should show them: the samples of a file with warnings
	// are what its header and data allow, not necessarily what was
	// recorded.
	Warnings []string
}

// Warn adds the warning "file: field: msg" (msg formatted as by
// fmt.Sprintf) to in.Warnings unless it is there already.
func (in *Info) Warn(file, field, format string, args ...any) {
	w := file + ": " + field + ": " + fmt.Sprintf(format, args...)
	if !slices.Contains(in.Warnings, w) {
		in.Warnings = append(in.Warnings, w)
	}
}

// Duration returns the recording length in seconds.
func (in *Info) Duration() float64 {
	if in.SampleRate == 0 {
		return 0
	}
	return float64(in.NSamples) / in.SampleRate
}

// Labels returns the channel labels in order.
func (in *Info) Labels() []string {
	l := make([]string, len(in.Channels))
	for i, c := range in.Channels {
		l[i] = c.Label
	}
	return l
}

// Recording is an open recorded-data file.
type Recording interface {
	// Info describes the recording. The returned value must not be
	// modified.
	Info() *Info
	// ReadSamples fills dst[c][i] with channel c's sample start+i in SI
	// units, for 0 <= i < stop-start. len(dst) must equal the number of
	// channels and each dst[c] must have length stop-start; otherwise
	// ReadSamples panics. A range outside [0, NSamples] returns an error.
	// Only the data records covering the range are read.
	ReadSamples(dst [][]float64, start, stop int64) error
	// Close releases the underlying file.
	Close() error
}

// Error is a failure to read a file, naming where it went wrong.
type Error struct {
	// File is the path or name of the file.
	File string
	// Offset is the byte offset of the offending field, or -1.
	Offset int64
	// Field names the header field or structure, e.g. "number of signals".
	Field string
	// Msg says what was found and what was expected.
	Msg string
	// Err is an underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	s := e.File
	if e.Offset >= 0 {
		s += fmt.Sprintf(": byte %d", e.Offset)
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// CheckRange validates a ReadSamples request against a recording's shape
// and returns an error for an out-of-range span. It panics when dst has the
// wrong shape, which is a programming mistake.
func CheckRange(info *Info, dst [][]float64, start, stop int64) error {
	if len(dst) != len(info.Channels) {
		panic(fmt.Sprintf("formats: dst has %d channels, want %d", len(dst), len(info.Channels)))
	}
	n := stop - start
	for c := range dst {
		if int64(len(dst[c])) != n && n >= 0 {
			panic(fmt.Sprintf("formats: dst[%d] has length %d, want %d", c, len(dst[c]), n))
		}
	}
	if start < 0 || stop < start || stop > info.NSamples {
		return fmt.Errorf("formats: sample range [%d, %d) outside [0, %d)", start, stop, info.NSamples)
	}
	return nil
}

// UniqueLabels renames duplicate labels in place the way MNE's
// _unique_channel_names does: the i-th occurrence (from 0) of a duplicated
// name becomes "name-i", or "name-a", "name-b", … when that is taken.
func UniqueLabels(labels []string) {
	// Most files have no duplicates; finding that out by sorting a copy
	// costs far less than the maps below for files with many channels.
	sorted := slices.Clone(labels)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) == len(labels) {
		return
	}
	count := map[string]int{}
	for _, l := range labels {
		count[l]++
	}
	taken := map[string]bool{}
	for _, l := range labels {
		taken[l] = true
	}
	idx := map[string]int{}
	for i, l := range labels {
		if count[l] < 2 {
			continue
		}
		k := idx[l]
		idx[l]++
		name := fmt.Sprintf("%s-%d", l, k)
		for c := 'a'; taken[name] && c <= 'z'; c++ {
			name = fmt.Sprintf("%s-%c", l, c)
		}
		labels[i] = name
		taken[name] = true
	}
}

// MergeAnnotations returns the annotations of a and b in one list sorted by
// onset (stable: at equal onsets a's come first).
func MergeAnnotations(a, b []Annotation) []Annotation {
	out := append(slices.Clone(a), b...)
	slices.SortStableFunc(out, func(x, y Annotation) int {
		switch {
		case x.Onset < y.Onset:
			return -1
		case x.Onset > y.Onset:
			return 1
		}
		return 0
	})
	return out
}

// ReadAll returns every sample of r, channel by channel, in one
// ReadSamples call: for training and evaluation code that needs a whole
// recording in memory (streaming code reads ranges instead).
func ReadAll(r Recording) ([][]float64, error) {
	info := r.Info()
	dst := make([][]float64, len(info.Channels))
	for c := range dst {
		dst[c] = make([]float64, info.NSamples)
	}
	if err := r.ReadSamples(dst, 0, info.NSamples); err != nil {
		return nil, err
	}
	return dst, nil
}
