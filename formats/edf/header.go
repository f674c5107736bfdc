package edf

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

// Header is an EDF/BDF header as stored in the file: the fixed 256-byte
// part followed by one entry per signal. Text fields are decoded as
// Latin-1 (as MNE does) with trailing spaces removed; numeric fields are
// parsed the way Python's int() and float() parse them in MNE's reader.
type Header struct {
	// Version is the raw 8-byte version field: "0" for EDF,
	// "\xffBIOSEMI" for BDF.
	Version string
	// Patient and Recording are the local patient and recording
	// identification fields (EDF+: structured subfields).
	Patient   string
	Recording string
	// StartDate ("dd.mm.yy") and StartTime ("hh.mm.ss") are the raw
	// start-of-recording fields.
	StartDate string
	StartTime string
	// HeaderBytes is the header size in bytes, 256*(len(Signals)+1).
	HeaderBytes int
	// Reserved is the 44-byte reserved field: "EDF+C", "EDF+D",
	// "BDF+C", "24BIT", or vendor text.
	Reserved string
	// NRecords is the number of data records the header claims (-1 while
	// recording). Readers trust the file size instead, as MNE does.
	NRecords int64
	// RecordDuration is the duration of one data record in seconds.
	RecordDuration float64
	// Signals describes every signal, including annotation signals.
	Signals []Signal
}

// Signal is one signal's header entry.
type Signal struct {
	// Label is the signal label with surrounding ASCII spaces removed.
	Label      string
	Transducer string
	// PhysDim is the physical dimension (unit), e.g. "uV".
	PhysDim string
	// PhysMin, PhysMax, DigMin and DigMax map digital values linearly
	// onto physical ones.
	PhysMin, PhysMax float64
	DigMin, DigMax   float64
	Prefilter        string
	// NSamples is the number of samples of this signal in each record.
	NSamples int
	Reserved string
}

// IsBDF reports whether the version field marks a 24-bit BioSemi file.
func (h *Header) IsBDF() bool { return len(h.Version) > 0 && h.Version[0] == 0xff }

// IsAnnotation reports whether the signal is an EDF+/BDF+ annotation
// signal. Like MNE, both labels are accepted in either format.
func (s *Signal) IsAnnotation() bool {
	return s.Label == "EDF Annotations" || s.Label == "BDF Annotations"
}

// Field offsets of the fixed header.
const (
	offVersion     = 0
	offPatient     = 8
	offRecording   = 88
	offStartDate   = 168
	offStartTime   = 176
	offHeaderBytes = 184
	offReserved    = 192
	offNRecords    = 236
	offDuration    = 244
	offNSignals    = 252
	fixedLen       = 256
	signalLen      = 256
)

// ParseHeader parses an EDF or BDF header from b, which must hold at
// least the whole header (256*(ns+1) bytes; extra bytes are ignored).
// A malformed header returns a *formats.Error naming the byte offset and
// the field.
func ParseHeader(b []byte) (*Header, error) { return parseHeader(b, "") }

func parseHeader(b []byte, name string) (*Header, error) {
	fail := func(off int, field, format string, args ...any) error {
		return &formats.Error{File: name, Offset: int64(off), Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if len(b) < fixedLen {
		return nil, fail(0, "header", "have %d bytes, need at least %d", len(b), fixedLen)
	}
	ns, ok := pyparse.ParseInt(edfStr(b[offNSignals:fixedLen]))
	if !ok || ns < 0 || ns > 1<<20 {
		return nil, fail(offNSignals, "number of signals", "want a non-negative integer, found %q", b[offNSignals:fixedLen])
	}
	n := int(ns)
	need := fixedLen + n*signalLen
	if len(b) < need {
		return nil, fail(len(b), "signal headers", "header of %d signals needs %d bytes, have %d", n, need, len(b))
	}
	h := &Header{
		Version:   string(b[offVersion:offPatient]),
		Patient:   trimRightSpace(pyparse.Latin1(b[offPatient:offRecording])),
		Recording: trimRightSpace(pyparse.Latin1(b[offRecording:offStartDate])),
		StartDate: pyparse.Latin1(b[offStartDate:offStartTime]),
		StartTime: pyparse.Latin1(b[offStartTime:offHeaderBytes]),
		Reserved:  trimRightSpace(pyparse.Latin1(b[offReserved:offNRecords])),
	}
	hb, ok := pyparse.ParseInt(edfStr(b[offHeaderBytes:offReserved]))
	if !ok {
		return nil, fail(offHeaderBytes, "number of header bytes", "want an integer, found %q", b[offHeaderBytes:offReserved])
	}
	if hb != int64(need) {
		// MNE asserts the same: the signal headers must end where the
		// data starts.
		return nil, fail(offHeaderBytes, "number of header bytes", "%d, but %d signals need %d", hb, n, need)
	}
	h.HeaderBytes = need
	nr, ok := pyparse.ParseInt(edfStr(b[offNRecords:offDuration]))
	if !ok {
		return nil, fail(offNRecords, "number of data records", "want an integer, found %q", b[offNRecords:offDuration])
	}
	h.NRecords = nr
	dur, ok := pyparse.ParseFloat(edfStr(b[offDuration:offNSignals]))
	if !ok || math.IsNaN(dur) || math.IsInf(dur, 0) || dur < 0 {
		return nil, fail(offDuration, "duration of a data record", "want a non-negative number of seconds, found %q", b[offDuration:offNSignals])
	}
	h.RecordDuration = dur

	h.Signals = make([]Signal, n)
	off := fixedLen
	// field returns signal i's slice of a per-signal field of width w.
	field := func(i, w int) []byte { return b[off+i*w : off+(i+1)*w] }
	for i := range h.Signals {
		h.Signals[i].Label = pyparse.Latin1(asciiTrim(field(i, 16)))
	}
	off += 16 * n
	for i := range h.Signals {
		h.Signals[i].Transducer = trimRightSpace(pyparse.Latin1(field(i, 80)))
	}
	off += 80 * n
	for i := range h.Signals {
		h.Signals[i].PhysDim = pyparse.Latin1(asciiTrim(field(i, 8)))
	}
	off += 8 * n
	nums := []struct {
		name string
		dst  func(*Signal) *float64
	}{
		{"physical minimum", func(s *Signal) *float64 { return &s.PhysMin }},
		{"physical maximum", func(s *Signal) *float64 { return &s.PhysMax }},
		{"digital minimum", func(s *Signal) *float64 { return &s.DigMin }},
		{"digital maximum", func(s *Signal) *float64 { return &s.DigMax }},
	}
	for _, f := range nums {
		for i := range h.Signals {
			raw := field(i, 8)
			// MNE accepts a decimal comma here.
			v, ok := pyparse.ParseFloat(strings.ReplaceAll(edfStr(raw), ",", "."))
			if !ok {
				return nil, fail(off+i*8, fmt.Sprintf("signal %d %s", i, f.name), "want a number, found %q", raw)
			}
			*f.dst(&h.Signals[i]) = v
		}
		off += 8 * n
	}
	for i := range h.Signals {
		h.Signals[i].Prefilter = trimRightSpace(pyparse.Latin1(field(i, 80)))
	}
	off += 80 * n
	for i := range h.Signals {
		raw := field(i, 8)
		v, ok := pyparse.ParseInt(edfStr(raw))
		if !ok || v < 0 {
			return nil, fail(off+i*8, fmt.Sprintf("signal %d number of samples", i), "want a non-negative integer, found %q", raw)
		}
		h.Signals[i].NSamples = int(v)
	}
	off += 8 * n
	for i := range h.Signals {
		h.Signals[i].Reserved = trimRightSpace(pyparse.Latin1(field(i, 32)))
	}
	return h, nil
}

// isASCIISpace is bytes.strip()'s whitespace.
func isASCIISpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// asciiTrim is Python's bytes.strip(), used by MNE for labels and units.
func asciiTrim(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isASCIISpace(b[i]) {
		i++
	}
	for j > i && isASCIISpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

func trimRightSpace(s string) string { return strings.TrimRight(s, " ") }

// edfStr is MNE's _edf_str: the field up to its first NUL byte.
func edfStr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return pyparse.Latin1(b[:i])
		}
	}
	return pyparse.Latin1(b)
}

// strptimeDate is Python's strptime pattern for "%d-%b-%Y" in the C
// locale (month names in any case, day with or without a leading zero).
var strptimeDate = regexp.MustCompile(`^(3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])-((?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))-(\d\d\d\d)$`)

var monthAbbr = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

func validDate(y, m, d int64) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= int64(time.Date(int(y), time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day())
}

// measDate returns the recording start the way MNE's _read_edf_header
// computes meas_date: the date from the EDF+ recording field when it has
// exactly five space-separated subfields and a valid dd-MMM-yyyy date,
// else from the dd.mm.yy field (years 85-99 are 1985-1999, 00-84 are
// 2000-2084); the time from hh.mm.ss, or midnight when that does not
// parse. ok is false when no valid date is found (MNE then has no
// meas_date). An out-of-range time with a valid date is an error, as
// MNE refuses such files.
func (h *Header) measDate() (t time.Time, ok bool, err error) {
	var y, mo, d int64
	found := false
	rec := strings.Split(pyparse.RStrip(h.Recording), " ")
	if len(rec) == 5 {
		if m := strptimeDate.FindStringSubmatch(rec[1]); m != nil {
			day, _ := strconv.Atoi(strings.TrimSpace(m[1]))
			yr, _ := strconv.Atoi(m[3])
			y, mo, d = int64(yr), int64(monthAbbr[strings.ToLower(m[2])]), int64(day)
			found = validDate(y, mo, d)
		}
	}
	if !found {
		p := strings.Split(h.StartDate, ".")
		if len(p) == 3 {
			dd, ok1 := pyparse.ParseInt(p[0])
			mm, ok2 := pyparse.ParseInt(p[1])
			yy, ok3 := pyparse.ParseInt(p[2])
			if ok1 && ok2 && ok3 {
				if yy < 85 {
					yy += 2000
				} else {
					yy += 1900
				}
				y, mo, d = yy, mm, dd
				found = validDate(y, mo, d)
			}
		}
	}
	if !found {
		return time.Time{}, false, nil
	}
	var hh, mi, ss int64
	if p := strings.Split(h.StartTime, "."); len(p) == 3 {
		a, ok1 := pyparse.ParseInt(p[0])
		b, ok2 := pyparse.ParseInt(p[1])
		c, ok3 := pyparse.ParseInt(p[2])
		if ok1 && ok2 && ok3 {
			hh, mi, ss = a, b, c
		}
	}
	if hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59 {
		return time.Time{}, false, fmt.Errorf("%q is not a valid time of day", h.StartTime)
	}
	return time.Date(int(y), time.Month(mo), int(d), int(hh), int(mi), int(ss), 0, time.UTC), true, nil
}

// validUTF8OrLatin1 returns b as a string: UTF-8 when it is valid UTF-8,
// else decoded as Latin-1.
func validUTF8OrLatin1(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return pyparse.Latin1(b)
}
