package edf

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/pyparse"
	"github.com/neurostream/neurostream/formats/internal/records"
)

// maxSpan bounds the bytes one ReadAt fetches, so a request for a very
// long range streams through a bounded buffer. A single record larger
// than this is still read whole.
const maxSpan = 4 << 20

// Reader reads an EDF, EDF+, BDF or BDF+ file. It implements
// formats.Recording. A Reader is not safe for concurrent use.
type Reader struct {
	file   records.File // Info, the records and the read buffer
	header *Header

	bps   int // bytes per sample: 2 (EDF) or 3 (BDF)
	chans []channel

	// Lower-rate signal channels, FFT-resampled over the whole recording
	// (see resample.go): their coefficients are computed on first use.
	lows  []lowChan
	plans map[int]*zoomPlan         // by samples per record
	ffts  map[int]*fourier.CmplxFFT // by length
	work  []complex128
}

// lowChan is a lower-rate signal channel's upsampling state.
type lowChan struct {
	plan  *zoomPlan
	coef  []complex128 // see coefficients
	block int64        // the block y holds, -1 for none
	y     []float64
}

// channel is how one data channel is decoded.
type channel struct {
	off      int64 // byte offset of its samples in a record
	n        int   // samples per record
	cal, ofs float64
	gain     float64
	stim     bool
	kind     records.Kind
	zoh      []int32 // zero-order hold: output sample → input sample
	low      int     // index into Reader.lows for records.Resampled
}

// Open opens the EDF or BDF file at path and parses its header and
// annotations; samples are read by ReadSamples.
func Open(path string) (*Reader, error) {
	return records.Open(path, "", "stat",
		func(ra io.ReaderAt, size int64) (*Reader, error) { return NewReader(ra, size, path) },
		func(r *Reader) *records.File { return &r.file })
}

// NewReader reads an EDF or BDF file of size bytes from ra. name is used
// in errors and, when the version field does not say, its extension
// (".bdf") selects 24-bit samples. Close does not close ra.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	h, err := readHeader(ra, size, name)
	if err != nil {
		return nil, err
	}
	r := &Reader{header: h, file: records.File{Name: name, Data: ra, MaxBuffer: maxSpan, RangeField: "sample range"}}
	r.file.ShortRead = r.shortRead
	offs, err := r.layout(size)
	if err != nil {
		return nil, err
	}
	labels, sigs, tal := dataSignals(h)
	if err := r.channels(labels, sigs, offs); err != nil {
		return nil, err
	}
	r.planKinds()
	if err := r.annotate(labels, tal); err != nil {
		return nil, err
	}
	if r.file.Info.Annotations == nil {
		r.file.Info.Annotations = []formats.Annotation{}
	}
	if len(r.lows) > 0 {
		r.file.Prepare = r.readLowRate
	}
	return r, nil
}

// headerError is a *formats.Error for a header field.
func headerError(name string, off int64, field, format string, args ...any) error {
	return &formats.Error{File: name, Offset: off, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// readHeader reads and parses the fixed header and the signal headers.
func readHeader(ra io.ReaderAt, size int64, name string) (*Header, error) {
	if size < fixedLen {
		return nil, headerError(name, 0, "header", "file has %d bytes, an EDF header needs at least %d", size, fixedLen)
	}
	fixed := make([]byte, fixedLen)
	if err := records.ReadFull(ra, name, fixed, 0, "header"); err != nil {
		return nil, err
	}
	ns, ok := pyparse.ParseInt(edfStr(fixed[offNSignals:]))
	if !ok || ns < 0 || ns > 1<<20 {
		return nil, headerError(name, offNSignals, "number of signals", "want a non-negative integer, found %q", fixed[offNSignals:])
	}
	hlen := int64(fixedLen) * (ns + 1)
	if hlen > size {
		return nil, headerError(name, size, "signal headers", "%d signals need a %d-byte header, file has %d bytes", ns, hlen, size)
	}
	hb := make([]byte, hlen)
	copy(hb, fixed)
	if err := records.ReadFull(ra, name, hb[fixedLen:], fixedLen, "signal headers"); err != nil {
		return nil, err
	}
	return parseHeader(hb, name)
}

// layout works out the sample width, the format name and the record
// layout over all signals, annotations included, and returns each
// signal's byte offset in a record. A signal with no samples in a record
// is refused (as EDFlib does; MNE reads it as zeros): it usually means a
// corrupted count, and the layout would then misplace every later signal
// and the annotations.
func (r *Reader) layout(size int64) ([]int64, error) {
	h, name := r.header, r.file.Name
	bdf := h.IsBDF() || (!strings.HasPrefix(h.Version, "0") && strings.EqualFold(filepath.Ext(name), ".bdf"))
	r.bps = 2
	base := "EDF"
	if bdf {
		r.bps = 3
		base = "BDF"
	}
	r.file.Info.Format = base
	if res := h.Reserved; len(res) >= 5 && (strings.HasPrefix(res, "EDF+") || strings.HasPrefix(res, "BDF+")) {
		r.file.Info.Format = base + "+" + res[4:5]
	}
	var perRec int64
	offs := make([]int64, len(h.Signals))
	for i, s := range h.Signals {
		if s.NSamples == 0 {
			return nil, headerError(name, int64(fixedLen+216*len(h.Signals)+8*i), fmt.Sprintf("signal %d number of samples", i),
				"0 for %q; every signal needs at least 1 sample per data record", s.Label)
		}
		offs[i] = perRec * int64(r.bps)
		perRec += int64(s.NSamples)
	}
	l := &r.file.Layout
	l.Offset = int64(h.HeaderBytes)
	l.Bytes = perRec * int64(r.bps)
	if perRec > 0 {
		// As MNE: the file size, not the header, says how many records
		// there are (a recording not closed properly leaves -1 or a
		// stale count in the header), with a warning when they differ.
		l.Records = (size - l.Offset) / l.Bytes
		r.checkRecordCount(size - l.Offset)
	}
	return offs, nil
}

// dataSignals splits the signals into data channels, with their labels
// made unique, and annotation signals.
func dataSignals(h *Header) (labels []string, sigs, tal []int) {
	for i := range h.Signals {
		if h.Signals[i].IsAnnotation() {
			tal = append(tal, i)
			continue
		}
		sigs = append(sigs, i)
		labels = append(labels, h.Signals[i].Label)
	}
	formats.UniqueLabels(labels)
	return labels, sigs, tal
}

// channels sets up the data channels: their decoding, Info.Channels and
// the output grid.
func (r *Reader) channels(labels []string, sigs []int, offs []int64) error {
	h := r.header
	dur := h.RecordDuration
	if dur == 0 {
		// An annotation-only file may have 0 s records (the EDF+
		// specification allows it); with signals, the rate would be
		// invented. MNE warns and assumes 1 s.
		if len(sigs) > 0 {
			return headerError(r.file.Name, offDuration, "duration of a data record", "0 s with %d signals; only an annotation-only file may have 0, a recording needs the duration to have a sample rate", len(sigs))
		}
		dur = 1
	}
	info := &r.file.Info
	r.chans = make([]channel, len(sigs))
	info.Channels = make([]formats.Channel, len(sigs))
	// MNE's default stim_channel="auto": the first channel named
	// "status" or "trigger" in any case (after de-duplication).
	stim := records.StimChannels(labels)
	maxAll, maxSignal := 0, -1
	for c, si := range sigs {
		s := &h.Signals[si]
		ch := &r.chans[c]
		ch.off, ch.n, ch.stim = offs[si], s.NSamples, stim[c]
		info.Channels[c] = r.calibrate(ch, s)
		info.Channels[c].Label = labels[c]
		info.Channels[c].SampleRate = float64(s.NSamples) / dur
		maxAll = max(maxAll, s.NSamples)
		if !ch.stim {
			maxSignal = max(maxSignal, s.NSamples)
		}
	}
	if maxSignal < 0 {
		maxSignal = maxAll // only stim channels
	}
	l := &r.file.Layout
	l.Samples = int64(maxAll)
	if len(sigs) > 0 && l.Samples > 0 {
		info.SampleRate = float64(maxSignal) * 1 / dur
		info.NSamples = l.Records * l.Samples
	}
	return nil
}

// calibrate sets ch's scaling from its signal header, as MNE does, and
// returns the channel's type and unit.
func (r *Reader) calibrate(ch *channel, s *Signal) formats.Channel {
	ch.cal, ch.ofs = records.Calibration(s.PhysMin, s.PhysMax, s.DigMin, s.DigMax-s.DigMin)
	ch.gain = 1
	unit := s.PhysDim
	switch s.PhysDim {
	case "uV", "\u00b5V", "\u0083\u00caV": // µ as Latin-1 or as Shift-JIS bytes
		ch.gain, unit = 1e-6, "V"
	case "mV":
		ch.gain, unit = 1e-3, "V"
	case "V":
		unit = "V"
	}
	if !ch.stim {
		return formats.Channel{Type: formats.EEG, Unit: unit}
	}
	ch.gain = 1
	unit = s.PhysDim
	if r.bps == 3 {
		// MNE reads BDF trigger channels as raw codes.
		ch.cal, ch.ofs, unit = 1, 0, ""
	}
	return formats.Channel{Type: formats.Stim, Unit: unit}
}

// planKinds decides how each channel reaches the output grid.
func (r *Reader) planKinds() {
	spr := r.file.Layout.Samples
	zoh := map[int][]int32{}
	nres := 0
	for c := range r.chans {
		ch := &r.chans[c]
		ch.kind = records.KindOf(int64(ch.n), spr, ch.stim)
		switch ch.kind {
		case records.Held:
			if r.file.Info.NSamples == 0 {
				break // no samples to hold; spr may be a header's whim
			}
			if zoh[ch.n] == nil {
				zoh[ch.n] = records.ZeroHold(ch.n, int(spr))
			}
			ch.zoh = zoh[ch.n]
		case records.Resampled:
			ch.low = nres
			nres++
		}
	}
	r.lows = make([]lowChan, nres)
}

// annotate sets the start time and reads the annotations: MNE reads
// every annotation signal at open.
func (r *Reader) annotate(labels []string, tal []int) error {
	info := &r.file.Info
	start, ok, err := r.header.measDate()
	if err != nil {
		return headerError(r.file.Name, offStartTime, "start time", "%v", err)
	}
	if len(tal) > 0 && r.file.Layout.Records > 0 {
		stream, err := r.talStream(tal)
		if err != nil {
			return err
		}
		names := make(map[string]bool, len(labels))
		for _, l := range labels {
			names[l] = true
		}
		if len(labels) == 0 {
			names = nil // mne.read_annotations: no channel names
		}
		res := parseTAL(stream, names)
		anns := res.anns
		if info.NSamples > 0 {
			times := float64(info.NSamples-1)/info.SampleRate + 1.0/info.SampleRate
			anns = cropAnnotations(anns, times)
		}
		info.Annotations = anns
		if ok && res.hasOffset && math.Abs(res.offset) < 1e9 {
			// EDF+: the first record starts res.offset s after the
			// header's whole second. MNE leaves this out of meas_date.
			start = start.Add(time.Duration(math.Round(res.offset * 1e9)))
		}
	}
	if ok {
		info.StartTime = start
	}
	return nil
}

// checkRecordCount compares the header's record count with the data
// records the file holds (data bytes after the header) and warns when
// they differ: the file then holds Layout.Records whole records, and
// those are what the reader reads.
func (r *Reader) checkRecordCount(data int64) {
	h, info, name := r.header, &r.file.Info, r.file.Name
	n, recBytes := r.file.Layout.Records, r.file.Layout.Bytes
	partial := data % recBytes
	secs := func(n int64) string { return fmt.Sprintf("%g s", float64(n)*h.RecordDuration) }
	const field = "number of data records"
	switch {
	case h.NRecords == -1:
		info.Warn(name, field, "-1 (the recorder did not close the file); reading the %d whole records it holds (%s)", n, secs(n))
	case n < h.NRecords:
		next := ""
		if partial > 0 {
			next = fmt.Sprintf(" and %d of the next record's %d bytes", partial, recBytes)
		}
		info.Warn(name, field, "the header says %d (%s), the file holds %d whole records%s: it is truncated; reading the %d whole records (%s)",
			h.NRecords, secs(h.NRecords), n, next, n, secs(n))
		return
	case n > h.NRecords:
		info.Warn(name, field, "the header says %d (%s), the file holds %d (%s); reading all %d, as MNE does",
			h.NRecords, secs(h.NRecords), n, secs(n), n)
	}
	if partial != 0 && h.NRecords != n {
		info.Warn(name, "data records", "%d bytes after the last whole record of %d bytes are ignored", partial, recBytes)
	}
}

// shortRead names the record holding the first missing byte.
func (r *Reader) shortRead(s records.ShortRead) error {
	bad := s.First + s.Got/s.Layout.Bytes
	return &formats.Error{File: r.file.Name, Offset: s.Offset(), Field: fmt.Sprintf("data record %d", bad),
		Msg: fmt.Sprintf("want %d bytes per record", s.Layout.Bytes), Err: s.Err}
}

// talStream returns the bytes of the annotation signals concatenated in
// MNE's order: MNE reads about 10 MiB of records at a time and, per such
// chunk, appends each annotation signal's bytes record after record.
// With one annotation signal that is simply record order.
func (r *Reader) talStream(tal []int) ([]byte, error) {
	h, l := r.header, r.file.Layout
	perSig := make([][]byte, len(tal))
	sz := make([]int64, len(tal))
	for t, si := range tal {
		sz[t] = int64(h.Signals[si].NSamples * r.bps)
		perSig[t] = make([]byte, 0, sz[t]*l.Records)
	}
	offs := make([]int64, len(h.Signals))
	var o int64
	for i, s := range h.Signals {
		offs[i] = o
		o += int64(s.NSamples * r.bps)
	}
	// The annotation signals' span within a record. When it is a small
	// part of a large record, read just that span of each record;
	// otherwise read whole records in bounded chunks (the pages are
	// fetched anyway).
	lo, hi := l.Bytes, int64(0)
	for t, si := range tal {
		lo, hi = min(lo, offs[si]), max(hi, offs[si]+sz[t])
	}
	if span := hi - lo; span*8 < l.Bytes && l.Bytes >= 64<<10 {
		buf := make([]byte, span)
		for rec := int64(0); rec < l.Records; rec++ {
			if err := records.ReadFull(r.file.Data, r.file.Name, buf, l.Offset+rec*l.Bytes+lo, fmt.Sprintf("data record %d annotations", rec)); err != nil {
				return nil, err
			}
			for t, si := range tal {
				perSig[t] = append(perSig[t], buf[offs[si]-lo:offs[si]-lo+sz[t]]...)
			}
		}
	} else {
		err := r.file.ReadRecords(l, 0, l.Records, func(b []byte, _, n int64) {
			for k := range n {
				recb := b[k*l.Bytes:]
				for t, si := range tal {
					perSig[t] = append(perSig[t], recb[offs[si]:offs[si]+sz[t]]...)
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	mnePer := max(10*1024*1024/l.Bytes, 1)
	var total int64
	for t := range tal {
		total += int64(len(perSig[t]))
	}
	stream := make([]byte, 0, total)
	for rec := int64(0); rec < l.Records; rec += mnePer {
		n := min(mnePer, l.Records-rec)
		for t := range tal {
			stream = append(stream, perSig[t][rec*sz[t]:(rec+n)*sz[t]]...)
		}
	}
	return stream, nil
}

// Header returns the parsed file header. It must not be modified.
func (r *Reader) Header() *Header { return r.header }

// Info describes the recording. It must not be modified.
func (r *Reader) Info() *formats.Info { return &r.file.Info }

// Close closes the file opened by Open; for NewReader it does nothing.
func (r *Reader) Close() error { return r.file.Close() }

// ReadSamples fills dst[c][i] with channel c's sample start+i in SI
// units (see formats.Recording). Only the records covering the range
// are read, except that the first call on a file with lower-rate
// signal channels reads those channels whole once to take their spectra
// (see the package comment).
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := r.file.ReadSamples(dst, start, stop, r.decodeRecord); err != nil {
		return err
	}
	for c := range r.chans {
		if ch := &r.chans[c]; ch.kind == records.Resampled {
			r.upsample(dst[c], &r.lows[ch.low], start, stop)
		}
	}
	return nil
}

// upsample writes samples [start, stop) of a lower-rate channel, block by
// block.
func (r *Reader) upsample(dst []float64, lc *lowChan, start, stop int64) {
	p := lc.plan
	for j := start; j < stop; {
		b := j / p.block
		a := b * p.block
		n := min(p.block, p.m-a)
		if lc.block != b {
			if lc.y == nil {
				lc.y = make([]float64, p.block)
			}
			lc.block = b
			p.eval(lc.y[:n], lc.coef, a, r.work)
		}
		j += int64(copy(dst[j-start:], lc.y[j-a:n]))
	}
}

// decodeRecord writes the samples of record rb that s asks for.
func (r *Reader) decodeRecord(dst [][]float64, rb []byte, s records.Span) {
	for c := range r.chans {
		ch := &r.chans[c]
		out := dst[c][s.At : s.At+s.Hi-s.Lo]
		switch ch.kind {
		case records.Same, records.Masked:
			r.decode(out, rb[ch.off+s.Lo*int64(r.bps):], ch)
			if ch.kind == records.Masked {
				for i, v := range out {
					out[i] = records.StimMask(v)
				}
			}
		case records.Held:
			src := rb[ch.off:]
			for i := range out {
				j := int(ch.zoh[s.Lo+int64(i)])
				var d int32
				if r.bps == 2 {
					d = int32(int16(uint16(src[2*j]) | uint16(src[2*j+1])<<8))
				} else {
					d = int24(src[3*j:])
				}
				out[i] = (float64(float64(d)*ch.cal) + ch.ofs) * ch.gain
			}
		}
	}
}

// decode converts len(out) samples of ch from s.
func (r *Reader) decode(out []float64, s []byte, ch *channel) {
	if r.bps == 2 {
		decode16(out, s, ch.cal, ch.ofs, ch.gain)
	} else {
		decode24(out, s, ch.cal, ch.ofs, ch.gain)
	}
}

// decode16 converts little-endian int16 samples as MNE does:
// (d*cal + offset) * gain, rounding after each operation (the conversions
// keep the compiler from fusing a multiply-add).
func decode16(out []float64, s []byte, cal, ofs, gain float64) {
	s = s[:2*len(out)]
	for i := range out {
		d := int16(uint16(s[2*i]) | uint16(s[2*i+1])<<8)
		out[i] = (float64(float64(d)*cal) + ofs) * gain
	}
}

// decode24 is decode16 for BDF's little-endian 24-bit samples.
func decode24(out []float64, s []byte, cal, ofs, gain float64) {
	s = s[:3*len(out)]
	for i := range out {
		out[i] = (float64(float64(int24(s[3*i:]))*cal) + ofs) * gain
	}
}

func int24(b []byte) int32 {
	return int32(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16) << 8 >> 8
}

// readLowRate reads every lower-rate signal channel whole, in one pass
// over the records, and keeps its coefficients for upsampling: 8 bytes
// per input sample, whatever the output rate.
func (r *Reader) readLowRate() error {
	l := r.file.Layout
	var idx []int
	for c := range r.chans {
		if r.chans[c].kind == records.Resampled {
			idx = append(idx, c)
		}
	}
	raw := make([][]float64, len(idx))
	for k, c := range idx {
		raw[k] = make([]float64, l.Records*int64(r.chans[c].n))
	}
	err := r.file.ReadRecords(l, 0, l.Records, func(b []byte, rec, n int64) {
		for k, c := range idx {
			ch := &r.chans[c]
			for j := range n {
				out := raw[k][(rec+j)*int64(ch.n) : (rec+j+1)*int64(ch.n)]
				r.decode(out, b[j*l.Bytes+ch.off:], ch)
			}
		}
	})
	if err != nil {
		return err
	}
	r.plans = map[int]*zoomPlan{}
	r.ffts = map[int]*fourier.CmplxFFT{}
	fft := func(l int) *fourier.CmplxFFT {
		if r.ffts[l] == nil {
			r.ffts[l] = fourier.NewCmplxFFT(l)
		}
		return r.ffts[l]
	}
	for k, c := range idx {
		ch := &r.chans[c]
		p := r.plans[ch.n]
		if p == nil {
			p = newZoomPlan(int64(len(raw[k])), r.file.Info.NSamples, fft)
			r.plans[ch.n] = p
			if p.Len() > len(r.work) {
				r.work = make([]complex128, p.Len())
			}
		}
		r.lows[ch.low] = lowChan{plan: p, coef: p.coefficients(raw[k], r.work), block: -1}
		raw[k] = nil
	}
	for _, p := range r.plans {
		p.release()
	}
	return nil
}
