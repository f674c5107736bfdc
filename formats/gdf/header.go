package gdf

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/mneannot"
	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

// DataType is a GDF channel data type code.
type DataType int32

// The GDF data types MNE reads.
const (
	Int8    DataType = 1
	UInt8   DataType = 2
	Int16   DataType = 3
	UInt16  DataType = 4
	Int32   DataType = 5
	UInt32  DataType = 6
	Int64   DataType = 7
	UInt64  DataType = 8
	Float32 DataType = 16
	Float64 DataType = 17
)

// Size is the number of bytes per sample, 0 for an unsupported type.
func (t DataType) Size() int {
	switch t {
	case Int8, UInt8:
		return 1
	case Int16, UInt16:
		return 2
	case Int32, UInt32, Float32:
		return 4
	case Int64, UInt64, Float64:
		return 8
	}
	return 0
}

func (t DataType) String() string {
	switch t {
	case Int8:
		return "int8"
	case UInt8:
		return "uint8"
	case Int16:
		return "int16"
	case UInt16:
		return "uint16"
	case Int32:
		return "int32"
	case UInt32:
		return "uint32"
	case Int64:
		return "int64"
	case UInt64:
		return "uint64"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("type %d", int32(t))
}

// Header is a GDF file's fixed and variable header.
type Header struct {
	// Version is the 8-byte version field, e.g. "GDF 2.10", and
	// VersionNumber its number. Below 1.9 the file is read as GDF 1.x.
	Version       string
	VersionNumber float64
	// Patient and Recording are the identification fields (latin-1).
	Patient, Recording string
	// StartTime is the recording start in UTC, the zero Time when the
	// file does not give a valid one.
	StartTime time.Time
	// HeaderBytes is the header length, where the data records start.
	HeaderBytes int64
	// NRecords is the number of data records.
	NRecords int64
	// Duration is the record duration in seconds as the fraction
	// Duration[0]/Duration[1]. A zero numerator is read as 1, as MNE does.
	Duration [2]uint32
	// Signals describes the channels in record order.
	Signals []Signal
}

// Signal is one channel's variable-header entry.
type Signal struct {
	Label      string
	Transducer string
	// PhysDim is the physical dimension text (in GDF 2 the obsolete
	// 6-byte field) and PhysDimCode the GDF 2 dimension code (0 in GDF 1),
	// e.g. 4275 for µV.
	PhysDim          string
	PhysDimCode      uint16
	PhysMin, PhysMax float64
	DigMin, DigMax   float64
	// LowPass, HighPass and Notch are the GDF 2 filter settings in Hz.
	LowPass, HighPass, Notch float32
	// SamplesPerRecord is the number of samples in each data record.
	SamplesPerRecord int
	Type             DataType

	digRange float64 // DigMax-DigMin as MNE computes it (int64 in GDF 1)
}

// RecordBytes is the size of one data record.
func (h *Header) RecordBytes() int64 {
	var n int64
	for _, s := range h.Signals {
		n += int64(s.SamplesPerRecord) * int64(s.Type.Size())
		if n > math.MaxInt64/2 {
			return math.MaxInt64 / 2 // no file is that large
		}
	}
	return n
}

// v1 reports whether the file is read as GDF 1.x.
func (h *Header) v1() bool { return h.VersionNumber < 1.9 }

// headerLen returns the header length a file's first 256 bytes announce,
// and the number of signals.
func headerLen(b []byte) (n int64, ns int64) {
	v, _ := pyparse.ParseFloat(string(b[4:8]))
	if v < 1.9 {
		return int64(binary.LittleEndian.Uint64(b[184:])), int64(binary.LittleEndian.Uint32(b[252:]))
	}
	return int64(binary.LittleEndian.Uint16(b[184:])) * 256, int64(binary.LittleEndian.Uint16(b[252:]))
}

// ParseHeader parses a GDF header; b must hold at least the fixed header
// and the variable header (256 bytes per signal after the first 256).
// Errors are *formats.Error naming the field and its byte offset.
func ParseHeader(b []byte) (*Header, error) { return parseHeader("header", b) }

// checkFixed validates the fields of the fixed header (its first 256
// bytes) that decide how much header there is.
func checkFixed(name string, b []byte) error {
	fail := func(off int64, field, format string, args ...any) error {
		return &formats.Error{File: name, Offset: off, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if len(b) < 256 {
		return fail(int64(len(b)), "fixed header", "file has %d bytes, the fixed header needs 256", len(b))
	}
	if string(b[:3]) != "GDF" {
		return fail(0, "version", "%q does not start with GDF", pyparse.Latin1(b[:8]))
	}
	if v, ok := pyparse.ParseFloat(string(b[4:8])); !ok || math.IsNaN(v) {
		return fail(4, "version", "%q is not a version number", pyparse.Latin1(b[4:8]))
	}
	hlen, ns := headerLen(b)
	if ns < 1 {
		return fail(252, "number of signals", "%d, need at least 1", ns)
	}
	// MNE requires the header length to be exactly the variable header's
	// end; GDF 2.2 and later may append a tag-length-value header, which
	// is skipped.
	if need := 256 * (ns + 1); hlen < need {
		return fail(184, "header length", "%d bytes, %d signals need %d", hlen, ns, need)
	}
	return nil
}

func parseHeader(name string, b []byte) (*Header, error) {
	fail := func(off int64, field, format string, args ...any) error {
		return &formats.Error{File: name, Offset: off, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if err := checkFixed(name, b); err != nil {
		return nil, err
	}
	v, _ := pyparse.ParseFloat(string(b[4:8]))
	h := &Header{Version: strings.TrimRight(pyparse.Latin1(b[:8]), "\x00 "), VersionNumber: v}
	hlen, ns := headerLen(b)
	if need := 256 * (ns + 1); int64(len(b)) < need {
		return nil, fail(int64(len(b)), "variable header", "file has %d bytes, %d signals need %d", len(b), ns, need)
	}
	h.HeaderBytes = hlen
	le := binary.LittleEndian
	if h.v1() {
		h.Patient = pyparse.Strip(edfStr(b[8:88]))
		h.Recording = pyparse.Strip(edfStr(b[88:168]))
		h.StartTime = gdf1Date([]rune(pyparse.Strip(edfStr(b[168:184]))))
	} else {
		h.Patient = pyparse.Strip(edfStr(b[8:74]))
		h.Recording = pyparse.Strip(edfStr(b[88:152]))
		h.StartTime = gdf2Date(le.Uint64(b[168:]))
	}
	h.NRecords = int64(le.Uint64(b[236:]))
	if h.NRecords < 0 {
		return nil, fail(236, "number of records", "%d (unknown) is not supported", h.NRecords)
	}
	h.Duration = [2]uint32{le.Uint32(b[244:]), le.Uint32(b[248:])}
	if h.Duration[0] == 0 {
		h.Duration[0] = 1
	}
	if h.Duration[1] == 0 {
		return nil, fail(248, "record duration", "denominator is 0")
	}

	n := int(ns)
	h.Signals = make([]Signal, n)
	// Each variable-header field is an array over the signals; field
	// returns signal i's slot of the field that starts at column col.
	field := func(col, width, i int) (int64, []byte) {
		off := 256 + col*n + width*i
		return int64(off), b[off : off+width]
	}
	str := func(col, width, i int) string {
		_, f := field(col, width, i)
		return pyparse.Strip(edfStr(f))
	}
	for i := range h.Signals {
		s := &h.Signals[i]
		s.Label = str(0, 16, i)
		s.Transducer = str(16, 80, i)
		var col int
		if h.v1() {
			s.PhysDim = str(96, 8, i)
			_, f := field(104, 8, i)
			s.PhysMin = math.Float64frombits(le.Uint64(f))
			_, f = field(112, 8, i)
			s.PhysMax = math.Float64frombits(le.Uint64(f))
			_, f = field(120, 8, i)
			dmin := int64(le.Uint64(f))
			_, f = field(128, 8, i)
			dmax := int64(le.Uint64(f))
			s.DigMin, s.DigMax = float64(dmin), float64(dmax)
			s.digRange = float64(dmax - dmin) // numpy int64 arithmetic wraps
			col = 216                         // after 80 bytes of prefiltering text
		} else {
			s.PhysDim = str(96, 6, i)
			_, f := field(102, 2, i)
			s.PhysDimCode = le.Uint16(f)
			for k, p := range []*float64{&s.PhysMin, &s.PhysMax, &s.DigMin, &s.DigMax} {
				_, f = field(104+8*k, 8, i)
				*p = math.Float64frombits(le.Uint64(f))
			}
			s.digRange = s.DigMax - s.DigMin
			for k, p := range []*float32{&s.LowPass, &s.HighPass, &s.Notch} {
				_, f = field(204+4*k, 4, i)
				*p = math.Float32frombits(le.Uint32(f))
			}
			col = 216
		}
		off, f := field(col, 4, i)
		spr := int32(le.Uint32(f))
		if spr < 0 {
			return nil, fail(off, "samples per record", "signal %d (%s): %d", i+1, s.Label, spr)
		}
		s.SamplesPerRecord = int(spr)
		off, f = field(col+4, 4, i)
		s.Type = DataType(int32(le.Uint32(f)))
		if s.Type.Size() == 0 {
			return nil, fail(off, "data type", "signal %d (%s): code %d is not one of the integer or float types", i+1, s.Label, int32(s.Type))
		}
	}
	return h, nil
}

// gdf1Date reads the GDF 1 "YYYYMMDDhhmmsscc" start as MNE does (int() of
// each slice, centiseconds as microseconds × 10⁴); anything invalid gives
// the zero Time, as MNE then has no date.
func gdf1Date(tm []rune) time.Time {
	sl := func(a, b int) string {
		a, b = min(a, len(tm)), min(b, len(tm))
		return string(tm[a:b])
	}
	if sl(14, 16) == "  " {
		tm = append(append(append([]rune{}, tm[:14]...), '0', '0'), tm[16:]...)
	}
	var v [7]int64
	for k, ab := range [7][2]int{{0, 4}, {4, 6}, {6, 8}, {8, 10}, {10, 12}, {12, 14}, {14, 16}} {
		x, ok := pyparse.ParseInt(sl(ab[0], ab[1]))
		if !ok {
			return time.Time{}
		}
		v[k] = x
	}
	us := v[6] * 10000
	t := time.Date(int(v[0]), time.Month(v[1]), int(v[2]), int(v[3]), int(v[4]), int(v[5]), int(us)*1000, time.UTC)
	if v[0] < 1 || v[0] > 9999 || v[1] < 1 || v[1] > 12 || v[3] < 0 || v[3] > 23 || v[4] < 0 || v[4] > 59 ||
		v[5] < 0 || v[5] > 59 || us < 0 || us > 999999 || t.Day() != int(v[2]) {
		return time.Time{}
	}
	return t
}

// gdf2Date converts the GDF 2 start, days since 0000-01-00 in 32.32 fixed
// point, as MNE does: datetime(1, 1, 1) + timedelta(days=x·2⁻³² - 367).
func gdf2Date(x uint64) time.Time {
	if x == 0 {
		return time.Time{}
	}
	const usPerDay = 86400e6
	us := mneannot.TimedeltaMicros(float64(x)*math.Pow(2, -32)-367, usPerDay)
	days := us / usPerDay
	rem := us % usPerDay
	if rem < 0 {
		days--
		rem += usPerDay
	}
	t := time.Date(1, 1, 1+int(days), 0, 0, 0, 0, time.UTC).Add(time.Duration(rem) * time.Microsecond)
	if days < 0 || t.Year() > 9999 {
		return time.Time{}
	}
	return t
}

// edfStr is MNE's _edf_str, which it reads GDF text fields with too:
// latin-1, cut at the first NUL.
func edfStr(b []byte) string {
	for i, x := range b {
		if x == 0 {
			b = b[:i]
			break
		}
	}
	return pyparse.Latin1(b)
}
