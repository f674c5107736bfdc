package edf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/neurostream/neurostream/formats"
)

// WriterHeader describes an EDF+C file to write.
type WriterHeader struct {
	// Patient is the EDF+ patient name subfield and Recording the
	// equipment subfield of the recording identification; spaces become
	// underscores (EDF+ separates subfields with spaces) and an empty
	// value is written as "X". Printable ASCII only.
	Patient, Recording string
	// Start is the time of the first sample. It is written in UTC (EDF
	// has no time zone); a sub-second part goes into the first
	// time-keeping TAL, as EDF+ specifies.
	Start time.Time
	// RecordDuration is the duration of one data record in seconds; it
	// must print in 8 characters and give each channel a whole number of
	// samples per record.
	RecordDuration float64
	// NRecords is the number of records that will be written. When 0,
	// the writer must be an io.WriteSeeker: the header says -1 until
	// Close seeks back and writes the count. When set, Close fails if a
	// different number of records was written.
	NRecords int64
	// Channels are the signals, in order. Label (at most 16 characters),
	// Type, Unit and SampleRate are used. SI units are stored in the
	// units their signals are read in, so that their range prints in
	// EDF's 8 characters: "V" as µV ("uV"), "T" as fT and "T/m" as fT/cm;
	// any other unit is stored as is and read back unscaled.
	//
	// EDF has no channel type: readers (MNE's read_raw_edf, this
	// package's) read every signal as EEG, stim only by its label
	// ("Status", "Trigger"). MNE's infer_types reads a "EOG Fp1"-style
	// label prefix, but has none for MEG. So the writer keeps labels as
	// they are and marks MEG signals by their unit (fT, fT/cm) and their
	// transducer field ("MEG magnetometer", "MEG planar gradiometer").
	Channels []formats.Channel
	// PhysMin and PhysMax give each channel's range in its own unit (V for
	// "V" channels). The 16-bit digital range spans it; values outside
	// are clipped. Both are written with at most 8 characters, rounded
	// outwards, and the written values define the quantization; a range
	// that 8 characters would widen more than twofold (a unit too large
	// for the values, say) is an error rather than a coarser quantization.
	PhysMin, PhysMax []float64
	// Annotations are written as TALs of an "EDF Annotations" signal, each
	// in the record its onset falls in (onsets before 0 in the first,
	// after the last record in the last when NRecords is set).
	// Descriptions are non-empty UTF-8 without NUL, line feed, 0x14 or
	// 0x15, which would break the TAL syntax.
	Annotations []formats.Annotation
}

// Writer writes an EDF+C file with 16-bit samples, one data record per
// WriteRecord call.
type Writer struct {
	w        io.Writer
	h        WriterHeader
	n        []int // samples per record per channel
	scale    []float64
	pmin     []float64
	cal      []float64
	talBytes int
	frac     float64 // sub-second start in seconds
	byRecord map[int64][]int
	written  int64
	rec      []byte
	closed   bool
	err      error
}

const (
	digMin = -32768
	digMax = 32767
	// tkReserve bounds the time-keeping TAL ("+onset\x14\x14\x00") of any
	// record, whose onset text grows with the record index.
	tkReserve = 32
)

// NewWriter writes the header of an EDF+C file described by h to w and
// returns a Writer for its data records.
func NewWriter(w io.Writer, h WriterHeader) (*Writer, error) {
	durText, err := checkWriterHeader(w, h)
	if err != nil {
		return nil, err
	}
	nc := len(h.Channels)
	wr := &Writer{w: w, h: h, byRecord: map[int64][]int{}}
	wr.n = make([]int, nc)
	wr.scale = make([]float64, nc)
	wr.pmin = make([]float64, nc)
	wr.cal = make([]float64, nc)
	sigs := make([]signalText, nc)
	for c := range h.Channels {
		if sigs[c], err = wr.setChannel(c); err != nil {
			return nil, err
		}
	}
	start := h.Start.UTC()
	wr.frac = float64(start.Nanosecond()) / 1e9
	start = start.Truncate(time.Second)
	if err := wr.placeAnnotations(); err != nil {
		return nil, err
	}
	hdr, err := wr.header(start, durText, sigs)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, hdr); err != nil {
		return nil, fmt.Errorf("edf: writing header: %w", err)
	}
	total := wr.talBytes
	for _, n := range wr.n {
		total += 2 * n
	}
	wr.rec = make([]byte, total)
	return wr, nil
}

// writerError is an error in a WriterHeader.
func writerError(format string, args ...any) error {
	return fmt.Errorf("edf: writer header: "+format, args...)
}

// checkWriterHeader checks what h says of the whole file and returns the
// record duration's header text.
func checkWriterHeader(w io.Writer, h WriterHeader) (string, error) {
	nc := len(h.Channels)
	if len(h.PhysMin) != nc || len(h.PhysMax) != nc {
		return "", writerError("%d channels but %d PhysMin and %d PhysMax", nc, len(h.PhysMin), len(h.PhysMax))
	}
	if !(h.RecordDuration > 0) || math.IsInf(h.RecordDuration, 0) {
		return "", writerError("record duration %v s is not positive", h.RecordDuration)
	}
	durText := strconv.FormatFloat(h.RecordDuration, 'f', -1, 64)
	if len(durText) > 8 {
		return "", writerError("record duration %v s does not fit in 8 characters", h.RecordDuration)
	}
	if h.NRecords < 0 {
		return "", writerError("NRecords %d is negative", h.NRecords)
	}
	if _, ok := w.(io.WriteSeeker); h.NRecords == 0 && !ok {
		return "", writerError("NRecords is 0 and the writer cannot seek back to fill it in")
	}
	if nc+1 > 9999 {
		return "", writerError("%d channels do not fit the 4-character signal count", nc)
	}
	return durText, nil
}

// signalText is what the header says of one channel.
type signalText struct {
	label, transducer, unit, pmin, pmax string
}

// setChannel checks channel c of the header, sets its samples per record
// and quantization, and returns its header fields.
func (wr *Writer) setChannel(c int) (signalText, error) {
	h, ch := &wr.h, wr.h.Channels[c]
	var st signalText
	if err := checkASCII(ch.Label, 16); err != nil {
		return st, writerError("channel %d label: %v", c, err)
	}
	if l := strings.TrimSpace(ch.Label); l == "EDF Annotations" || l == "BDF Annotations" {
		return st, writerError("channel %d label %q is reserved for annotations", c, ch.Label)
	}
	st.label = ch.Label
	ns := ch.SampleRate * h.RecordDuration
	if !(ns >= 0.5) || math.Abs(ns-math.Round(ns)) > 1e-6*math.Max(1, ns) || ns > 99999999 {
		return st, writerError("channel %d (%s): %v Hz × %v s is not a whole number of samples per record", c, ch.Label, ch.SampleRate, h.RecordDuration)
	}
	wr.n[c] = int(math.Round(ns))
	st.unit, wr.scale[c] = storedUnit(ch.Unit)
	switch ch.Type {
	case formats.MEGMag:
		st.transducer = "MEG magnetometer"
	case formats.MEGGrad:
		st.transducer = "MEG planar gradiometer"
	}
	if err := checkASCII(st.unit, 8); err != nil {
		return st, writerError("channel %d (%s) unit: %v", c, ch.Label, err)
	}
	lo, hi := h.PhysMin[c]*wr.scale[c], h.PhysMax[c]*wr.scale[c]
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return st, writerError("channel %d (%s): physical range [%v, %v] is empty or not finite", c, ch.Label, h.PhysMin[c], h.PhysMax[c])
	}
	var err error
	if st.pmin, lo, err = physText(lo, false); err != nil {
		return st, writerError("channel %d (%s) physical minimum: %v", c, ch.Label, err)
	}
	if st.pmax, hi, err = physText(hi, true); err != nil {
		return st, writerError("channel %d (%s) physical maximum: %v", c, ch.Label, err)
	}
	if want := (h.PhysMax[c] - h.PhysMin[c]) * wr.scale[c]; hi-lo > 2*want {
		return st, writerError("channel %d (%s): physical range [%v, %v] %s widens to [%s, %s] in 8 characters, too coarse for its samples: use a smaller unit",
			c, ch.Label, h.PhysMin[c]*wr.scale[c], h.PhysMax[c]*wr.scale[c], st.unit, st.pmin, st.pmax)
	}
	wr.pmin[c] = lo
	wr.cal[c] = (hi - lo) / (digMax - digMin)
	return st, nil
}

// placeAnnotations puts each annotation in the record its onset falls in
// and sizes the annotation signal for the fullest record.
func (wr *Writer) placeAnnotations() error {
	h := &wr.h
	need := map[int64]int{}
	maxTAL := 0
	for i, a := range h.Annotations {
		if err := checkDescription(a.Description); err != nil {
			return writerError("annotation %d: %v", i, err)
		}
		if math.IsNaN(a.Onset) || math.IsInf(a.Onset, 0) || math.Abs(a.Onset) > 1e9 || !(a.Duration >= 0) || a.Duration > 1e9 {
			return writerError("annotation %d (%q): onset %v s, duration %v s out of range", i, a.Description, a.Onset, a.Duration)
		}
		rec := int64(math.Floor(a.Onset / h.RecordDuration))
		rec = max(rec, 0)
		if h.NRecords > 0 {
			rec = min(rec, h.NRecords-1)
		}
		wr.byRecord[rec] = append(wr.byRecord[rec], i)
		need[rec] += len(wr.tal(nil, a))
		maxTAL = max(maxTAL, need[rec])
	}
	wr.talBytes = tkReserve + maxTAL
	wr.talBytes += wr.talBytes % 2
	if wr.talBytes/2 > 99999999 {
		return writerError("annotations need %d bytes in one record, more than a signal can hold", wr.talBytes)
	}
	return nil
}

// header returns the file header: the fixed fields, then each signal
// field for every channel and the annotation signal.
func (wr *Writer) header(start time.Time, durText string, sigs []signalText) (string, error) {
	h := &wr.h
	nc := len(sigs)
	ns := nc + 1
	var b strings.Builder
	pad := func(s string, n int) {
		b.WriteString(s)
		b.WriteString(strings.Repeat(" ", n-len(s)))
	}
	month := strings.ToUpper(start.Format("Jan"))
	patient := "X X X " + subfield(h.Patient)
	recording := fmt.Sprintf("Startdate %02d-%s-%04d X X %s", start.Day(), month, start.Year(), subfield(h.Recording))
	if err := checkASCII(patient, 80); err != nil {
		return "", writerError("patient: %v", err)
	}
	if err := checkASCII(recording, 80); err != nil {
		return "", writerError("recording: %v", err)
	}
	nrec := "-1"
	if h.NRecords > 0 {
		nrec = strconv.FormatInt(h.NRecords, 10)
		if len(nrec) > 8 {
			return "", writerError("NRecords %d does not fit in 8 characters", h.NRecords)
		}
	}
	pad("0", 8)
	pad(patient, 80)
	pad(recording, 80)
	pad(fmt.Sprintf("%02d.%02d.%02d", start.Day(), int(start.Month()), start.Year()%100), 8)
	pad(fmt.Sprintf("%02d.%02d.%02d", start.Hour(), start.Minute(), start.Second()), 8)
	pad(strconv.Itoa(256*(ns+1)), 8)
	pad("EDF+C", 44)
	pad(nrec, 8)
	pad(durText, 8)
	pad(strconv.Itoa(ns), 4)
	each := func(w int, f func(c int) string, tal string) {
		for c := 0; c < nc; c++ {
			pad(f(c), w)
		}
		pad(tal, w)
	}
	each(16, func(c int) string { return sigs[c].label }, "EDF Annotations")
	each(80, func(c int) string { return sigs[c].transducer }, "")
	each(8, func(c int) string { return sigs[c].unit }, "")
	each(8, func(c int) string { return sigs[c].pmin }, "-1")
	each(8, func(c int) string { return sigs[c].pmax }, "1")
	each(8, func(int) string { return strconv.Itoa(digMin) }, strconv.Itoa(digMin))
	each(8, func(int) string { return strconv.Itoa(digMax) }, strconv.Itoa(digMax))
	each(80, func(int) string { return "" }, "")
	each(8, func(c int) string { return strconv.Itoa(wr.n[c]) }, strconv.Itoa(wr.talBytes/2))
	each(32, func(int) string { return "" }, "")
	if b.Len() != 256*(ns+1) {
		panic("edf: header length mismatch") // a bug in the layout above
	}
	return b.String(), nil
}

// WriteRecord quantizes and writes the next data record: data[c] holds
// channel c's SampleRate*RecordDuration samples in its unit. NaN or
// infinite samples are an error; finite ones outside the physical range
// are clipped.
func (w *Writer) WriteRecord(data [][]float64) error {
	if w.closed {
		return errors.New("edf: WriteRecord after Close")
	}
	if w.err != nil {
		return w.err
	}
	if len(data) != len(w.n) {
		return fmt.Errorf("edf: record %d has %d channels, want %d", w.written, len(data), len(w.n))
	}
	if w.h.NRecords > 0 && w.written >= w.h.NRecords {
		return fmt.Errorf("edf: record %d is beyond the %d records the header announced", w.written, w.h.NRecords)
	}
	b := w.rec
	p := 0
	for c, x := range data {
		if len(x) != w.n[c] {
			return fmt.Errorf("edf: record %d channel %d has %d samples, want %d", w.written, c, len(x), w.n[c])
		}
		scale, pmin, cal := w.scale[c], w.pmin[c], w.cal[c]
		for i, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("edf: record %d channel %d sample %d is %v", w.written, c, i, v)
			}
			d := math.Round((v*scale-pmin)/cal) + digMin
			d = max(min(d, digMax), digMin)
			u := uint16(int16(d))
			b[p], b[p+1] = byte(u), byte(u>>8)
			p += 2
		}
	}
	// Annotation signal: the time-keeping TAL, then this record's
	// annotations, NUL-padded.
	t := b[p:p]
	t = append(t, '+')
	t = append(t, secText(w.frac+float64(w.written)*w.h.RecordDuration)...)
	t = append(t, 0x14, 0x14, 0)
	if len(t) > tkReserve {
		w.err = fmt.Errorf("edf: record %d: time-keeping TAL too long", w.written)
		return w.err
	}
	for _, i := range w.byRecord[w.written] {
		t = w.tal(t, w.h.Annotations[i])
	}
	clear(b[p+len(t):])
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("edf: writing record %d: %w", w.written, err)
		return w.err
	}
	w.written++
	return nil
}

// Close finishes the file: it writes the record count into the header
// when NRecords was 0, and checks that every record and annotation was
// written. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.h.NRecords > 0 {
		if w.written != w.h.NRecords {
			return fmt.Errorf("edf: wrote %d records, header announced %d", w.written, w.h.NRecords)
		}
		return nil
	}
	ws := w.w.(io.WriteSeeker)
	count := strconv.FormatInt(w.written, 10)
	if len(count) > 8 {
		return fmt.Errorf("edf: %d records do not fit the 8-character header field", w.written)
	}
	if _, err := ws.Seek(offNRecords, io.SeekStart); err != nil {
		return fmt.Errorf("edf: seeking to the record count: %w", err)
	}
	if _, err := io.WriteString(ws, count+strings.Repeat(" ", 8-len(count))); err != nil {
		return fmt.Errorf("edf: writing the record count: %w", err)
	}
	if _, err := ws.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("edf: seeking to the end: %w", err)
	}
	lost := 0
	for rec, idx := range w.byRecord {
		if rec >= w.written {
			lost += len(idx)
		}
	}
	if lost > 0 {
		return fmt.Errorf("edf: %d annotations fall after the last of %d records and were not written", lost, w.written)
	}
	return nil
}

// tal appends annotation a as a TAL: "±onset[\x15duration]\x14text\x14\x00",
// with the onset in file time (after the header's whole second).
func (w *Writer) tal(dst []byte, a formats.Annotation) []byte {
	on := w.frac + a.Onset
	if on >= 0 {
		dst = append(dst, '+')
	}
	dst = append(dst, secText(on)...)
	if a.Duration > 0 {
		dst = append(dst, 0x15)
		dst = append(dst, secText(a.Duration)...)
	}
	dst = append(dst, 0x14)
	dst = append(dst, a.Description...)
	return append(dst, 0x14, 0)
}

// storedUnit returns the unit a channel in unit u is written in and the
// factor from u to it: the SI units of EEG and MEG as the units their
// signals are read in (µV, fT, fT/cm), so that a range of typical
// amplitudes prints in 8 characters with 16-bit precision to spare (100 fT
// is 1e-13 T, which 8 decimal characters cannot resolve).
func storedUnit(u string) (string, float64) {
	switch u {
	case "V":
		return "uV", 1e6
	case "T":
		return "fT", 1e15
	case "T/m":
		return "fT/cm", 1e13
	}
	return u, 1
}

// secText formats seconds as plain decimal text (no exponent), exactly
// when x already has few digits and to the nanosecond otherwise.
func secText(x float64) string {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if len(s) > 20 {
		s = strconv.FormatFloat(math.Round(x*1e9)/1e9, 'f', -1, 64)
	}
	return s
}

// physText formats a physical extreme in at most 8 characters, rounding
// outwards (up when up is set) if it must lose digits, and returns the
// text and the value it stands for.
func physText(v float64, up bool) (string, float64, error) {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if len(s) > 8 {
		s = ""
		for dec := 7; dec >= 0; dec-- {
			p := math.Pow(10, float64(dec))
			r := v * p
			if up {
				r = math.Ceil(r)
			} else {
				r = math.Floor(r)
			}
			t := strconv.FormatFloat(r/p, 'f', dec, 64)
			if len(t) <= 8 {
				s = t
				break
			}
		}
		if s == "" {
			return "", 0, fmt.Errorf("%v does not fit in 8 characters", v)
		}
	}
	if s == "-0" {
		s = "0"
	}
	f, err := strconv.ParseFloat(s, 64)
	return s, f, err
}

func checkASCII(s string, n int) error {
	if len(s) > n {
		return fmt.Errorf("%q is longer than %d characters", s, n)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] > 126 {
			return fmt.Errorf("%q has a character outside printable ASCII", s)
		}
	}
	return nil
}

func checkDescription(s string) error {
	if s == "" {
		return errors.New("empty description (readers take it for a time-keeping TAL)")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("description %q is not UTF-8", s)
	}
	if strings.ContainsAny(s, "\x00\n\x14\x15") {
		return fmt.Errorf("description %q contains NUL, line feed, 0x14 or 0x15", s)
	}
	return nil
}

// subfield makes s one EDF+ subfield: no spaces, "X" when empty.
func subfield(s string) string {
	if s == "" {
		return "X"
	}
	return strings.ReplaceAll(s, " ", "_")
}
