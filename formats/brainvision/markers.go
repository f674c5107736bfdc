package brainvision

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/mneannot"
	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

// Marker is one "Mk<n>=" entry of a marker file's [Marker Infos] section.
type Marker struct {
	// Type and Description with "\1" decoded to ",", e.g. "Stimulus" and
	// "S  1".
	Type, Description string
	// Position is the 1-based sample position as written.
	Position int64
	// Size is the length in samples. As in MNE it is 0 unless the field
	// is a plain unsigned decimal number.
	Size int64
	// Channel is the channel field as written ("0" = all channels), and
	// Date the fifth field of a New Segment marker; MNE uses neither.
	Channel, Date string
	// Offset is the byte offset of the marker's line in the file.
	Offset int64
}

// MarkerFile is a parsed .vmrk marker file.
type MarkerFile struct {
	// Version is the format version on the first line, 0 if unrecognised.
	Version int
	// Markers in file order.
	Markers []Marker
	// MeasDate is the recording start: the date of the first New Segment
	// marker written with one (YYYYMMDDhhmmssuuuuuu, UTC as MNE takes
	// it), or the zero Time.
	MeasDate time.Time
}

var markerVersion = regexp.MustCompile(`Brain ?Vision( Core| V-Amp)? Data( Exchange)? Marker File,? Version ([12])\.0`)

// newSegmentDate is the expression MNE matches against every (stripped)
// line to find the measurement date; \d is any Unicode decimal digit in
// Python.
var newSegmentDate = regexp.MustCompile(`^Mk\p{Nd}+=New Segment,.*,\p{Nd}+,\p{Nd}+,-?\p{Nd}+,(\p{Nd}{20})$`)

// ParseMarkers reads a .vmrk marker file the way MNE's _read_mrk does.
// Errors are *formats.Error naming the marker and its byte offset; when r
// is an *os.File its name appears in them.
func ParseMarkers(r io.Reader) (*MarkerFile, error) {
	name := "markers"
	if n, ok := r.(interface{ Name() string }); ok {
		name = n.Name()
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, &formats.Error{File: name, Offset: -1, Msg: "reading markers", Err: err}
	}
	return parseMarkers(name, b)
}

func parseMarkers(name string, b []byte) (*MarkerFile, error) {
	mf := &MarkerFile{}
	first := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		first = b[:i]
	}
	if m := markerVersion.FindSubmatch(asciiOnly(first)); m != nil {
		mf.Version = int(m[3][0] - '0')
	}
	c := codecUTF8
	if cp, ok := findCodepage(b); ok {
		if c, ok = lookupCodec(cp); !ok {
			return nil, &formats.Error{File: name, Offset: -1, Field: "Codepage", Msg: fmt.Sprintf("unknown encoding %q", cp)}
		}
	}
	c = c.resolve(b)
	var lines []iniLine
	for off := 0; off < len(b); {
		end := bytes.IndexByte(b[off:], '\n')
		next := off + end + 1
		if end < 0 {
			end, next = len(b)-off, len(b)
		}
		lines = append(lines, iniLine{text: c.decode(b[off : off+end]), off: int64(off)})
		off = next
	}
	if c == codecUTF8Sig && len(lines) > 0 {
		lines[0].text = strings.TrimPrefix(lines[0].text, "\ufeff")
	}

	// The measurement date: MNE reads the file in text mode (universal
	// newlines) and takes the first line that matches, valid date or not.
date:
	for _, ln := range lines {
		for _, part := range strings.Split(ln.text, "\r") {
			if m := newSegmentDate.FindStringSubmatch(pyparse.Strip(part)); m != nil {
				mf.MeasDate = parseDate(m[1])
				break date
			}
		}
	}

	// The markers follow the first "[Marker Infos]" (any case), to the
	// end of the file: MNE's attempt to stop at the next section never
	// matches. A marker may even start right after the "]".
	start := -1
	var rest string
	for i, ln := range lines {
		if j := indexFold(ln.text, "[Marker Infos]"); j >= 0 {
			start, rest = i, ln.text[j:]
			break
		}
	}
	if start < 0 {
		return mf, nil
	}
	for i := start; i < len(lines); i++ {
		text, off := lines[i].text, lines[i].off
		if i == start {
			text = rest
		}
		info, ok := markerEntry(text)
		if !ok {
			continue
		}
		fail := func(format string, args ...any) error {
			return &formats.Error{File: name, Offset: off, Field: "[Marker Infos] " + markerKey(text), Msg: fmt.Sprintf(format, args...)}
		}
		f := strings.Split(info, ",")
		if len(f) < 4 {
			return nil, fail("%q is not type,description,position,size[,channel[,date]]", clip(info))
		}
		pos, ok := pyparse.ParseInt(f[2])
		if !ok {
			return nil, fail("position %q is not an integer", f[2])
		}
		m := Marker{
			Type:        strings.ReplaceAll(f[0], `\1`, ","),
			Description: strings.ReplaceAll(f[1], `\1`, ","),
			Position:    pos,
			Size:        digits(f[3]),
			Offset:      off,
		}
		if len(f) > 4 {
			m.Channel = f[4]
		}
		if len(f) > 5 {
			m.Date = f[5]
		}
		mf.Markers = append(mf.Markers, m)
	}
	return mf, nil
}

// markerEntry matches MNE's ^Mk\d+=(.*) at the start of a line and returns
// the part after "=" (a trailing "\r" included, as Python keeps it).
func markerEntry(line string) (string, bool) {
	if !strings.HasPrefix(line, "Mk") {
		return "", false
	}
	i := 2
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		if pyparse.Digit(r) < 0 {
			break
		}
		i += n
	}
	if i == 2 || i >= len(line) || line[i] != '=' {
		return "", false
	}
	return line[i+1:], true
}

func markerKey(line string) string {
	if i := strings.IndexByte(line, '='); i >= 0 {
		return line[:i]
	}
	return line
}

// digits is MNE's `int(s) if s.isdigit() else 0` for the size field; a
// value too large for int64 saturates.
func digits(s string) int64 {
	if s == "" {
		return 0
	}
	var n int64
	for _, r := range s {
		d := pyparse.Digit(r)
		if d < 0 {
			return 0
		}
		if n > (math.MaxInt64-9)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + int64(d)
	}
	return n
}

// indexFold finds pat in s ignoring case as Python's re.IGNORECASE does,
// returning the byte index just past the match, or -1.
func indexFold(s, pat string) int {
	p := []rune(pat)
	for i := range s {
		j, k := i, 0
		for k < len(p) && j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r != p[k] && unicode.ToLower(r) != unicode.ToLower(p[k]) && !strings.EqualFold(string(r), string(p[k])) {
				break
			}
			j += n
			k++
		}
		if k == len(p) {
			return j
		}
	}
	return -1
}

// parseDate reads the 20-digit YYYYMMDDhhmmssuuuuuu New Segment date as UTC.
// An impossible date gives the zero Time (MNE then has no meas_date, or
// raises for a few malformed ones).
func parseDate(s string) time.Time {
	var d []int
	for _, r := range s {
		d = append(d, pyparse.Digit(r))
	}
	if len(d) != 20 {
		return time.Time{}
	}
	num := func(i, n int) int {
		v := 0
		for _, x := range d[i : i+n] {
			v = v*10 + x
		}
		return v
	}
	y, mo, dd, hh, mi, ss, us := num(0, 4), num(4, 2), num(6, 2), num(8, 2), num(10, 2), num(12, 2), num(14, 6)
	t := time.Date(y, time.Month(mo), dd, hh, mi, ss, us*1000, time.UTC)
	if y < 1 || t.Year() != y || int(t.Month()) != mo || t.Day() != dd || t.Hour() != hh || t.Minute() != mi || t.Second() != ss {
		return time.Time{}
	}
	return t
}

// after returns how many of the markers Annotations converts start after
// a recording of nSamples samples ends, which Annotations drops (MNE warns
// "Omitted N annotation(s) that were outside data range"), and the
// position of the last one.
func (m *MarkerFile) after(nSamples int64) (n int, last int64) {
	mk := m.Markers
	if len(mk) > 0 && mk[0].Type == "New Segment" {
		mk = mk[1:]
	}
	for _, x := range mk {
		if x.Position-1 > nSamples {
			n++
			last = max(last, x.Position)
		}
	}
	return n, last
}

// Annotations converts the markers to annotations as MNE does with its
// defaults: the first marker is dropped when it is a New Segment (it only
// carries the date); each becomes "Type/Description" at (Position-1)/sfreq
// seconds lasting Size/sfreq; they are sorted and cropped to a recording
// of nSamples samples as Raw.set_annotations does.
func (m *MarkerFile) Annotations(sfreq float64, nSamples int64) []formats.Annotation {
	mk := m.Markers
	if len(mk) > 0 && mk[0].Type == "New Segment" {
		mk = mk[1:]
	}
	onset := make([]float64, len(mk))
	dur := make([]float64, len(mk))
	desc := make([]string, len(mk))
	for i, x := range mk {
		onset[i] = (float64(x.Position) - 1) / sfreq
		dur[i] = float64(x.Size) / sfreq
		desc[i] = x.Type + "/" + x.Description
	}
	return mneannot.FromEvents(onset, dur, desc, sfreq, nSamples)
}
