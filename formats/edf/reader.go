package edf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

// maxSpan bounds the bytes one ReadAt fetches, so a request for a very
// long range streams through a bounded buffer. A single record larger
// than this is still read whole.
const maxSpan = 4 << 20

// Reader reads an EDF, EDF+, BDF or BDF+ file. It implements
// formats.Recording. A Reader is not safe for concurrent use.
type Reader struct {
	name   string
	ra     io.ReaderAt
	closer io.Closer
	header *Header
	info   formats.Info

	bps       int   // bytes per sample: 2 (EDF) or 3 (BDF)
	recBytes  int64 // bytes per data record
	nRecords  int64
	dataStart int64
	spr       int64 // samples per record on the output grid (MNE's max_samp)
	chans     []channel
	buf       []byte

	// Lower-rate signal channels, FFT-resampled over the whole recording
	// (see resample.go): their coefficients are computed on first use.
	lows     []lowChan
	lowErr   error
	lowReady bool
	plans    map[int]*zoomPlan         // by samples per record
	ffts     map[int]*fourier.CmplxFFT // by length
	work     []complex128
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
	kind     int
	zoh      []int32 // zero-order hold: output sample → input sample
	low      int     // index into Reader.lows for kindResampled
}

const (
	kindSame      = iota // one sample per output sample
	kindStimMask         // same rate stim: truncate and keep 17 bits
	kindZOH              // lower-rate stim: zero-order hold per record
	kindResampled        // lower-rate signal: whole-recording FFT resampling
)

// Open opens the EDF or BDF file at path and parses its header and
// annotations; samples are read by ReadSamples.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &formats.Error{File: path, Offset: -1, Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &formats.Error{File: path, Offset: -1, Msg: "stat", Err: err}
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads an EDF or BDF file of size bytes from ra. name is used
// in errors and, when the version field does not say, its extension
// (".bdf") selects 24-bit samples. Close does not close ra.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	r := &Reader{name: name, ra: ra}
	fail := func(off int64, field, format string, args ...any) error {
		return &formats.Error{File: name, Offset: off, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if size < fixedLen {
		return nil, fail(0, "header", "file has %d bytes, an EDF header needs at least %d", size, fixedLen)
	}
	fixed := make([]byte, fixedLen)
	if err := r.readAt(fixed, 0, "header"); err != nil {
		return nil, err
	}
	ns, ok := pyparse.ParseInt(edfStr(fixed[offNSignals:]))
	if !ok || ns < 0 || ns > 1<<20 {
		return nil, fail(offNSignals, "number of signals", "want a non-negative integer, found %q", fixed[offNSignals:])
	}
	hlen := int64(fixedLen) * (ns + 1)
	if hlen > size {
		return nil, fail(size, "signal headers", "%d signals need a %d-byte header, file has %d bytes", ns, hlen, size)
	}
	hb := make([]byte, hlen)
	copy(hb, fixed)
	if err := r.readAt(hb[fixedLen:], fixedLen, "signal headers"); err != nil {
		return nil, err
	}
	h, err := parseHeader(hb, name)
	if err != nil {
		return nil, err
	}
	r.header = h
	r.dataStart = int64(h.HeaderBytes)

	bdf := h.IsBDF() || (!strings.HasPrefix(h.Version, "0") && strings.EqualFold(filepath.Ext(name), ".bdf"))
	r.bps = 2
	base := "EDF"
	if bdf {
		r.bps = 3
		base = "BDF"
	}
	format := base
	if res := h.Reserved; len(res) >= 5 && (strings.HasPrefix(res, "EDF+") || strings.HasPrefix(res, "BDF+")) {
		format = base + "+" + res[4:5]
	}

	// Record layout over all signals, annotations included. A signal
	// with no samples in a record is refused (as EDFlib does; MNE reads
	// it as zeros): it usually means a corrupted count, and the layout
	// would then misplace every later signal and the annotations.
	var perRec int64
	offs := make([]int64, len(h.Signals))
	for i, s := range h.Signals {
		if s.NSamples == 0 {
			return nil, fail(int64(fixedLen+216*len(h.Signals)+8*i), fmt.Sprintf("signal %d number of samples", i),
				"0 for %q; every signal needs at least 1 sample per data record", s.Label)
		}
		offs[i] = perRec * int64(r.bps)
		perRec += int64(s.NSamples)
	}
	r.recBytes = perRec * int64(r.bps)
	if perRec > 0 {
		// As MNE: the file size, not the header, says how many records
		// there are (a recording not closed properly leaves -1 or a
		// stale count in the header), with a warning when they differ.
		r.nRecords = (size - r.dataStart) / r.recBytes
		r.checkRecordCount(size - r.dataStart)
	}

	// Data channels: every signal except annotation signals.
	var labels []string
	var sigs []int
	var tal []int
	for i := range h.Signals {
		if h.Signals[i].IsAnnotation() {
			tal = append(tal, i)
			continue
		}
		sigs = append(sigs, i)
		labels = append(labels, h.Signals[i].Label)
	}
	formats.UniqueLabels(labels)

	dur := h.RecordDuration
	if dur == 0 {
		// An annotation-only file may have 0 s records (the EDF+
		// specification allows it); with signals, the rate would be
		// invented. MNE warns and assumes 1 s.
		if len(sigs) > 0 {
			return nil, fail(offDuration, "duration of a data record", "0 s with %d signals; only an annotation-only file may have 0, a recording needs the duration to have a sample rate", len(sigs))
		}
		dur = 1
	}
	r.chans = make([]channel, len(sigs))
	r.info.Channels = make([]formats.Channel, len(sigs))
	stimSeen := map[string]bool{}
	maxAll, maxSignal := 0, -1
	for c, si := range sigs {
		s := &h.Signals[si]
		ch := &r.chans[c]
		ch.off, ch.n = offs[si], s.NSamples
		// MNE's default stim_channel="auto": the first channel named
		// "status" or "trigger" in any case (after de-duplication).
		low := strings.ToLower(labels[c])
		if (low == "status" || low == "trigger") && !stimSeen[low] {
			stimSeen[low] = true
			ch.stim = true
		}
		phys := s.PhysMax - s.PhysMin
		if phys == 0 {
			phys = 1
		}
		dig := s.DigMax - s.DigMin
		if dig == 0 || math.IsNaN(dig) || math.IsInf(dig, 0) {
			dig = 1
		}
		ch.cal = phys / dig
		ch.ofs = s.PhysMin - float64(s.DigMin*ch.cal)
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
		typ := formats.EEG
		if ch.stim {
			typ = formats.Stim
			ch.gain = 1
			unit = s.PhysDim
			if bdf {
				// MNE reads BDF trigger channels as raw codes.
				ch.cal, ch.ofs, unit = 1, 0, ""
			}
		}
		r.info.Channels[c] = formats.Channel{
			Label:      labels[c],
			Type:       typ,
			Unit:       unit,
			SampleRate: float64(s.NSamples) / dur,
		}
		maxAll = max(maxAll, s.NSamples)
		if !ch.stim {
			maxSignal = max(maxSignal, s.NSamples)
		}
	}
	if maxSignal < 0 {
		maxSignal = maxAll // only stim channels
	}
	r.spr = int64(maxAll)
	if len(sigs) > 0 && r.spr > 0 {
		r.info.SampleRate = float64(maxSignal) * 1 / dur
		r.info.NSamples = r.nRecords * r.spr
	}
	zoh := map[int][]int32{}
	nres := 0
	for c := range r.chans {
		ch := &r.chans[c]
		switch {
		case int64(ch.n) == r.spr && ch.stim:
			ch.kind = kindStimMask
		case int64(ch.n) == r.spr:
			ch.kind = kindSame
		case ch.stim:
			ch.kind = kindZOH
			if r.info.NSamples == 0 {
				break // no samples to hold; spr may be a header's whim
			}
			if zoh[ch.n] == nil {
				zoh[ch.n] = zohIndex(ch.n, int(r.spr))
			}
			ch.zoh = zoh[ch.n]
		default:
			ch.kind = kindResampled
			ch.low = nres
			nres++
		}
	}
	r.lows = make([]lowChan, nres)

	r.info.Format = format
	start, ok, err := h.measDate()
	if err != nil {
		return nil, fail(offStartTime, "start time", "%v", err)
	}

	// Annotations: MNE reads every annotation signal at open.
	if len(tal) > 0 && r.nRecords > 0 {
		stream, err := r.talStream(tal)
		if err != nil {
			return nil, err
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
		if r.info.NSamples > 0 {
			times := float64(r.info.NSamples-1)/r.info.SampleRate + 1.0/r.info.SampleRate
			anns = cropAnnotations(anns, times)
		}
		r.info.Annotations = anns
		if ok && res.hasOffset && math.Abs(res.offset) < 1e9 {
			// EDF+: the first record starts res.offset s after the
			// header's whole second. MNE leaves this out of meas_date.
			start = start.Add(time.Duration(math.Round(res.offset * 1e9)))
		}
	}
	if ok {
		r.info.StartTime = start
	}
	if r.info.Annotations == nil {
		r.info.Annotations = []formats.Annotation{}
	}
	return r, nil
}

// checkRecordCount compares the header's record count with the data
// records the file holds (data bytes after the header) and warns when
// they differ: the file then holds r.nRecords whole records, and those are
// what the reader reads.
func (r *Reader) checkRecordCount(data int64) {
	h := r.header
	partial := data % r.recBytes
	secs := func(n int64) string { return fmt.Sprintf("%g s", float64(n)*h.RecordDuration) }
	const field = "number of data records"
	switch {
	case h.NRecords == -1:
		r.info.Warn(r.name, field, "-1 (the recorder did not close the file); reading the %d whole records it holds (%s)", r.nRecords, secs(r.nRecords))
	case r.nRecords < h.NRecords:
		next := ""
		if partial > 0 {
			next = fmt.Sprintf(" and %d of the next record's %d bytes", partial, r.recBytes)
		}
		r.info.Warn(r.name, field, "the header says %d (%s), the file holds %d whole records%s: it is truncated; reading the %d whole records (%s)",
			h.NRecords, secs(h.NRecords), r.nRecords, next, r.nRecords, secs(r.nRecords))
		return
	case r.nRecords > h.NRecords:
		r.info.Warn(r.name, field, "the header says %d (%s), the file holds %d (%s); reading all %d, as MNE does",
			h.NRecords, secs(h.NRecords), r.nRecords, secs(r.nRecords), r.nRecords)
	}
	if partial != 0 && h.NRecords != r.nRecords {
		r.info.Warn(r.name, "data records", "%d bytes after the last whole record of %d bytes are ignored", partial, r.recBytes)
	}
}

// readAt fills b from offset off, naming field in the error.
func (r *Reader) readAt(b []byte, off int64, field string) error {
	n, err := r.ra.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &formats.Error{File: r.name, Offset: off + int64(n), Field: field, Msg: fmt.Sprintf("reading %d bytes", len(b)), Err: err}
}

// readRecords fills b with whole records from record rec on; an error
// names the record holding the first missing byte.
func (r *Reader) readRecords(b []byte, rec int64) error {
	n, err := r.ra.ReadAt(b, r.dataStart+rec*r.recBytes)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	bad := rec + int64(n)/r.recBytes
	return &formats.Error{File: r.name, Offset: r.dataStart + rec*r.recBytes + int64(n), Field: fmt.Sprintf("data record %d", bad),
		Msg: fmt.Sprintf("want %d bytes per record", r.recBytes), Err: err}
}

// talStream returns the bytes of the annotation signals concatenated in
// MNE's order: MNE reads about 10 MiB of records at a time and, per such
// chunk, appends each annotation signal's bytes record after record.
// With one annotation signal that is simply record order.
func (r *Reader) talStream(tal []int) ([]byte, error) {
	h := r.header
	perSig := make([][]byte, len(tal))
	sz := make([]int64, len(tal))
	for t, si := range tal {
		sz[t] = int64(h.Signals[si].NSamples * r.bps)
		perSig[t] = make([]byte, 0, sz[t]*r.nRecords)
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
	lo, hi := r.recBytes, int64(0)
	for t, si := range tal {
		lo, hi = min(lo, offs[si]), max(hi, offs[si]+sz[t])
	}
	if span := hi - lo; span*8 < r.recBytes && r.recBytes >= 64<<10 {
		buf := make([]byte, span)
		for rec := int64(0); rec < r.nRecords; rec++ {
			if err := r.readAt(buf, r.dataStart+rec*r.recBytes+lo, fmt.Sprintf("data record %d annotations", rec)); err != nil {
				return nil, err
			}
			for t, si := range tal {
				perSig[t] = append(perSig[t], buf[offs[si]-lo:offs[si]-lo+sz[t]]...)
			}
		}
	} else {
		per := max(int64(maxSpan)/r.recBytes, 1)
		buf := make([]byte, min(per, r.nRecords)*r.recBytes)
		for rec := int64(0); rec < r.nRecords; rec += per {
			n := min(per, r.nRecords-rec)
			b := buf[:n*r.recBytes]
			if err := r.readRecords(b, rec); err != nil {
				return nil, err
			}
			for k := int64(0); k < n; k++ {
				recb := b[k*r.recBytes:]
				for t, si := range tal {
					perSig[t] = append(perSig[t], recb[offs[si]:offs[si]+sz[t]]...)
				}
			}
		}
	}
	mnePer := max(10*1024*1024/r.recBytes, 1)
	var total int64
	for t := range tal {
		total += int64(len(perSig[t]))
	}
	stream := make([]byte, 0, total)
	for rec := int64(0); rec < r.nRecords; rec += mnePer {
		n := min(mnePer, r.nRecords-rec)
		for t := range tal {
			stream = append(stream, perSig[t][rec*sz[t]:(rec+n)*sz[t]]...)
		}
	}
	return stream, nil
}

// zohIndex returns, for each of m output samples of a record, the input
// sample (of n) that MNE's zero-order hold picks: scipy's interp1d
// (kind="zero") from np.linspace(0, 1, n+1) to np.linspace(0, 1, m,
// endpoint=False), with the same floating-point grid.
func zohIndex(n, m int) []int32 {
	idx := make([]int32, m)
	so := 1 / float64(n)
	sn := 1 / float64(m)
	i := 0
	for j := range idx {
		x := float64(j) * sn
		for i+1 < n && float64(i+1)*so <= x {
			i++
		}
		idx[j] = int32(i)
	}
	return idx
}

// Header returns the parsed file header. It must not be modified.
func (r *Reader) Header() *Header { return r.header }

// Info describes the recording. It must not be modified.
func (r *Reader) Info() *formats.Info { return &r.info }

// Close closes the file opened by Open; for NewReader it does nothing.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// ReadSamples fills dst[c][i] with channel c's sample start+i in SI
// units (see formats.Recording). Only the records covering the range
// are read, except that the first call on a file with lower-rate
// signal channels reads those channels whole once to take their spectra
// (see the package comment).
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&r.info, dst, start, stop); err != nil {
		return &formats.Error{File: r.name, Offset: -1, Field: "sample range", Err: err}
	}
	if start == stop {
		return nil
	}
	if len(r.lows) > 0 && !r.lowReady {
		r.lowReady = true
		r.lowErr = r.readLowRate()
	}
	if r.lowErr != nil {
		return r.lowErr
	}
	r0 := start / r.spr
	r1 := (stop-1)/r.spr + 1
	per := max(int64(maxSpan)/r.recBytes, 1)
	for rec := r0; rec < r1; rec += per {
		n := min(per, r1-rec)
		need := int(n * r.recBytes)
		if cap(r.buf) < need {
			r.buf = make([]byte, need)
		}
		b := r.buf[:need]
		if err := r.readRecords(b, rec); err != nil {
			return err
		}
		for k := int64(0); k < n; k++ {
			r.decodeRecord(dst, b[k*r.recBytes:(k+1)*r.recBytes], rec+k, start, stop)
		}
	}
	for c := range r.chans {
		if ch := &r.chans[c]; ch.kind == kindResampled {
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

// decodeRecord writes the part of record rec that falls in [start, stop).
func (r *Reader) decodeRecord(dst [][]float64, rb []byte, rec, start, stop int64) {
	first := rec * r.spr
	lo := max(start-first, 0)
	hi := min(stop-first, r.spr)
	at := first + lo - start // index in dst
	for c := range r.chans {
		ch := &r.chans[c]
		out := dst[c][at : at+hi-lo]
		switch ch.kind {
		case kindSame, kindStimMask:
			s := rb[ch.off+lo*int64(r.bps):]
			if r.bps == 2 {
				decode16(out, s, ch.cal, ch.ofs, ch.gain)
			} else {
				decode24(out, s, ch.cal, ch.ofs, ch.gain)
			}
			if ch.kind == kindStimMask {
				for i, v := range out {
					out[i] = float64(int64(v) & (1<<17 - 1))
				}
			}
		case kindZOH:
			s := rb[ch.off:]
			for i := range out {
				j := int(ch.zoh[lo+int64(i)])
				var d int32
				if r.bps == 2 {
					d = int32(int16(uint16(s[2*j]) | uint16(s[2*j+1])<<8))
				} else {
					d = int24(s[3*j:])
				}
				out[i] = (float64(float64(d)*ch.cal) + ch.ofs) * ch.gain
			}
		}
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
	var idx []int
	for c := range r.chans {
		if r.chans[c].kind == kindResampled {
			idx = append(idx, c)
		}
	}
	raw := make([][]float64, len(idx))
	for k, c := range idx {
		raw[k] = make([]float64, r.nRecords*int64(r.chans[c].n))
	}
	per := max(int64(maxSpan)/r.recBytes, 1)
	buf := make([]byte, min(per, r.nRecords)*r.recBytes)
	for rec := int64(0); rec < r.nRecords; rec += per {
		n := min(per, r.nRecords-rec)
		b := buf[:n*r.recBytes]
		if err := r.readRecords(b, rec); err != nil {
			return err
		}
		for k, c := range idx {
			ch := &r.chans[c]
			for j := int64(0); j < n; j++ {
				out := raw[k][(rec+j)*int64(ch.n) : (rec+j+1)*int64(ch.n)]
				s := b[j*r.recBytes+ch.off:]
				if r.bps == 2 {
					decode16(out, s, ch.cal, ch.ofs, ch.gain)
				} else {
					decode24(out, s, ch.cal, ch.ofs, ch.gain)
				}
			}
		}
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
			p = newZoomPlan(int64(len(raw[k])), r.info.NSamples, fft)
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
