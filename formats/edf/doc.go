// Package edf reads EDF, EDF+ (C and D), BDF and BDF+ recordings record by
// record as formats.Recording, returning what mne.io.read_raw_edf and
// read_raw_bdf (MNE 1.10, default arguments, preload=True) return, in SI
// units; and it writes 16-bit EDF+C files with annotations.
//
// # Values and channels
//
// A digital value d becomes (d*cal + offset) * unit, with cal =
// (physmax-physmin)/(digmax-digmin), offset = physmin - digmin*cal and
// unit 1e-6 for "uV"/"µV", 1e-3 for "mV", 1 otherwise, in that order of
// float64 operations, as MNE computes it. Such channels and "V" ones are
// reported in volts; any other unit (including "nV") is returned unscaled
// under its own name, since MNE does not scale it either. Every channel is
// EEG except the first channel named "status" or "trigger" (any case,
// after duplicate labels are renamed as MNE does): a stim channel with
// unscaled physical values (raw codes in BDF, Unit "") which, at the full
// rate, are truncated to integers and masked to their low 17 bits.
// Annotation signals ("EDF Annotations", "BDF Annotations") are not
// channels. The sample width follows the version field (0xFF: 24-bit,
// "0": 16-bit), else a ".bdf" name; MNE goes by the name alone.
//
// # Annotations
//
// Open reads the annotation signals of every record once (the samples are
// not kept) and parses their TALs as MNE does: its regular expression,
// onsets made relative to the first sample by the first time-keeping TAL,
// several descriptions per TAL, "@@label" channel annotations merged, its
// de-duplication, then sorting by onset and duration and cropping to the
// recording with onsets rounded to microseconds. TAL text that is not
// UTF-8 is decoded as Latin-1 (MNE fails the file). An annotation-only
// file, such as a hypnogram, opens with no channels, no samples and its
// annotations, uncropped, as mne.read_annotations gives them (MNE's raw
// reader refuses it).
//
// # Time
//
// Info.StartTime is the header's start (a four-digit year from the EDF+
// recording field when valid, as MNE does) in UTC, plus the sub-second
// start of the first time-keeping TAL, which MNE leaves out of meas_date.
// EDF+D records are concatenated as MNE does: their time-keeping TALs are
// not used to place samples, so a gap between records is invisible in the
// samples while annotation onsets keep file time.
//
// # Mixed sample rates
//
// The output grid has the most samples per record of any channel;
// Info.SampleRate is the highest non-stim rate. A lower-rate stim channel
// is held (zero-order, MNE's interp1d grid) within each record. A
// lower-rate signal channel is FFT-resampled (mne.filter.resample with
// npad=0) over the whole recording at once, because that is what MNE does
// when it preloads, and only that reproduces its values. The first
// ReadSamples on such a file reads those channels whole once and keeps
// their spectra (8 bytes per input sample); output samples are then
// evaluated from the spectra a block at a time (a chirp-z transform, see
// resample.go), so memory is bounded by the file's size, not by the
// output rate, and a sample reads the same whatever the request spans.
// Files whose data channels share one rate stream in constant memory,
// with no allocation per call.
//
// # Damaged files
//
// The file size, not the header, says how many records there are, as in
// MNE: a file cut short reads its whole records, and a header count of -1
// or one that differs from the file adds a warning to Info.Warnings
// saying what the header claims, what the file holds and what is read
// (MNE warns too). Two corruptions that would misread every sample are
// errors instead, where MNE warns and reads on: a record duration of 0 in
// a file with signals (MNE assumes 1 s, inventing the rate; only an
// annotation-only file may have 0) and a signal with no samples per
// record (MNE reads it as zeros, shifting every later signal and the
// annotations; EDFlib refuses it too).
//
// # Writing
//
// Writer writes EDF+C with 16-bit samples, volts as µV, tesla as fT and
// T/m as fT/cm (8 decimal characters cannot resolve a range of 1e-13 T;
// EDF has no channel type, so MEG is marked by unit and transducer
// field), and an "EDF Annotations" signal holding each record's time-keeping TAL and the
// annotations whose onset falls in that record. The record count is
// either given up front or filled in by Close through an io.WriteSeeker.
package edf
