// Package xdf reads XDF 1.0 files, the multi-stream recordings that Lab
// Streaming Layer's LabRecorder writes: each stream (an EEG amplifier, a
// stimulus program's markers, an accelerometer …) with its own header,
// samples and clock.
//
// Load (or Read) returns every stream whole — header, values in their
// own type, time stamps — as pyxdf's load_xdf does. Open (or NewReader)
// returns a formats.Recording of one stream, the session, with the marker
// streams as annotations, and reads the session's values on demand.
//
// # Chunks
//
// The file is "XDF:" and a sequence of chunks, each a variable-length
// size (a width byte of 1, 4 or 8, then the little-endian value), a tag
// and its content: FileHeader (1, XML), StreamHeader (2, stream id and
// XML: name, type, channel_count, nominal_srate, channel_format,
// desc/channels/channel label, unit and type), Samples (3, stream id, a
// variable-length count, then per sample a time stamp flag (0: absent,
// else 8 bytes of double) and the values: int8/16/32/64, float32, double64
// little-endian, or strings each with a variable-length byte count),
// ClockOffset (4, stream id, collection time and offset as doubles),
// Boundary (5, a fixed 16-byte signature) and StreamFooter (6, stream id,
// XML with sample_count). Later tags are skipped. String values and
// stream headers that are not UTF-8 are decoded as Python's
// decode(errors="replace") does, one U+FFFD per maximal ill-formed
// subsequence, as pyxdf does. Gzipped files (.xdfz) are not read.
//
// # Time stamps
//
// A sample without a time stamp gets the previous one (of its stream,
// across chunks; 0 before the first) plus 1/nominal_srate. Then, as
// load_xdf(synchronize_clocks=True, dejitter_timestamps=True) does by
// default, with the same thresholds (see Sync):
//
//   - Streams with more samples than their footer's sample_count and an
//     outlying last clock offset lose both (pylsl#67).
//   - Clock synchronisation: the ClockOffset measurements of each stream
//     are split at clock resets (a collection time going back, or an
//     interval and an offset change that are both outliers), a line
//     offset = a + b·t is fitted to each stretch robustly (Huber loss,
//     1000 ADMM iterations), and each time stamp t becomes t + a + b·t,
//     the stretch of a sample being the one whose offsets it is closest
//     to. Time stamps are then on the recording computer's clock.
//   - Dejittering: a regular stream is split at gaps longer than 1 s and
//     500 samples, and each segment's time stamps are replaced by their
//     least-squares line against the sample index. Irregular streams and
//     streams whose header sets desc/synchronization/can_drop_samples
//     keep theirs.
//
// The synchronised time stamps equal pyxdf 1.17.5's to 1e-12 s on the
// test files (formats/xdf/testdata/write_xdf.py and LabRecorder's
// example files): the clock fit follows numpy's arithmetic operation by
// operation (see robustFit for why: the fit is ill-conditioned enough
// that pyxdf's own result moves by 1.7e-8 s between two BLAS kernels).
//
// # Recordings
//
// Open picks the session stream (Options.Stream; by default the first
// regularly sampled numeric stream of type EEG with samples). Its
// channels are desc/channels/channel in order (a label missing there is
// the channel's index, "0", "1", …; duplicates are made unique as MNE
// does); units µV/uV/microvolts, mV,
// V, nV and T, fT, pT, T/m, fT/cm … are converted to V, T or T/m; any
// other unit is returned unscaled under its own name, and a channel
// without one (LSL has no default unit) unscaled as "NA", MNE's name for
// none. Types follow the channel's <type> or, when it has
// none, the stream's: EEG, EOG, ECG (EKG), EMG; MEG by unit (T:
// magnetometer, T/m: gradiometer); STIM, TRIGGER, MARKER(S) stim
// (unscaled, under the unit given or "NA"); anything else misc.
//
// Info.SampleRate is the nominal rate and sample i of ReadSamples is the
// session's i-th sample, at Stream().Timestamps[i] on the recording
// computer's clock. Stream().EffectiveRate is what those time stamps show
// (pyxdf's effective_srate: samples over duration, summed over the
// dejittered segments); amplifiers run a little off their nominal rate,
// and gaps in the stream are not samples, so time from the first sample
// is not i/SampleRate. Info.Warnings says when the two rates differ by
// over 10% (pyxdf warns there too). Info.StartTime is zero: an LSL time
// stamp is seconds since the sending computer booted, and the file
// header's <datetime> is when the file was created.
//
// Marker streams (Options.Markers; by default every string stream and
// every irregular numeric stream with one channel) become annotations of
// duration 0, described by the value (channels joined by "/"; integers,
// and doubles with an integer value, in decimal without a fraction). A
// marker's onset is where its synchronised time falls among the
// session's time stamps, as a fractional sample index over the nominal
// rate, so onset·SampleRate rounds to the sample recorded when the marker
// was sent, whatever the rate difference and across gaps. Markers that do
// not round to a sample of the session (sent before it started or after
// it ended) are left out; File() has them all.
//
// Open reads the file once: headers, clock offsets, every stream's time
// stamps (8 bytes per sample) and the values of string and irregular
// streams are kept, and for regular streams where each block of 256
// samples lies in the file. ReadSamples reads and decodes only the blocks
// that cover the range, with no allocation per call. Nothing is sized by
// a count the file states without checking it against the bytes that
// back it: opening and streaming any file allocates a small multiple of
// its size.
//
// # Damaged files
//
// A file cut short (the recorder crashed) reads its whole chunks, with a
// warning; a Samples chunk that does not parse is dropped with a warning
// (as pyxdf drops it); a chunk size that is not a valid variable-length
// integer makes the reader skip to the next Boundary chunk, as pyxdf
// does, with a warning; chunks of streams without a header, short clock
// offsets and footers that are not XML are skipped with a warning. A
// stream header that is not XML or lacks channel_count, nominal_srate or
// channel_format, or has a negative or unbacked channel count, a rate
// that is not a finite number ≥ 0 or an unknown format, is an error
// naming the stream and field.
package xdf
