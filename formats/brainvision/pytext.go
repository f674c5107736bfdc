package brainvision

// MNE reads BrainVision headers with Python's configparser, str.strip, int
// and float. The helpers here reproduce the parts of those semantics that
// decide whether a header parses and what it means, so that a header MNE
// accepts is accepted here with the same values.

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyIsSpace reports whether Python's str.isspace (and the re module's \s)
// treats r as whitespace: Unicode White_Space plus the ASCII separators
// U+001C..U+001F, which Go's unicode.IsSpace leaves out.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyStrip is Python's str.strip().
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// pyRstrip is Python's str.rstrip().
func pyRstrip(s string) string { return strings.TrimRightFunc(s, pyIsSpace) }

// pyDigit returns the value of a Unicode decimal digit (category Nd, what
// Python's \d, int() and float() accept), or -1. Nd digits come in runs of
// ten starting at zero, so the value is the distance from the run's start.
func pyDigit(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r < 0x80 || !unicode.IsDigit(r) {
		return -1
	}
	s := r
	for unicode.IsDigit(s - 1) {
		s--
	}
	return int(r-s) % 10
}

// asciiNumber rewrites s for strconv: Python whitespace stripped, Unicode
// digits replaced by ASCII ones, and PEP 515 underscores (only between two
// digits) removed. ok is false when an underscore is misplaced.
func asciiNumber(s string) (string, bool) {
	s = pyStrip(s)
	var b strings.Builder
	prevDigit := false
	for i, r := range s {
		if d := pyDigit(r); d >= 0 {
			b.WriteByte(byte('0' + d))
			prevDigit = true
			continue
		}
		if r == '_' {
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if !prevDigit || pyDigit(next) < 0 {
				return "", false
			}
			prevDigit = false
			continue
		}
		if r >= utf8.RuneSelf {
			return "", false
		}
		b.WriteRune(r)
		prevDigit = false
	}
	return b.String(), true
}

// pyInt is Python's int(s) for base 10, limited to int64.
func pyInt(s string) (int64, bool) {
	a, ok := asciiNumber(s)
	if !ok || a == "" {
		return 0, false
	}
	body := a
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "" {
		return 0, false
	}
	for i := 0; i < len(body); i++ {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(a, 10, 64)
	return v, err == nil
}

// pyFloat is Python's float(s): decimal notation with optional exponent,
// "inf", "infinity" and "nan" in any case, no hexadecimal.
func pyFloat(s string) (float64, bool) {
	a, ok := asciiNumber(s)
	if !ok || a == "" {
		return 0, false
	}
	body := a
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	// sign handled; now digits [. digits] [e [sign] digits], with at
	// least one mantissa digit.
	i, n := 0, len(body)
	digits := func() int {
		j := i
		for i < n && body[i] >= '0' && body[i] <= '9' {
			i++
		}
		return i - j
	}
	m := digits()
	if i < n && body[i] == '.' {
		i++
		m += digits()
	}
	if m == 0 {
		return 0, false
	}
	if i < n && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < n && (body[i] == '+' || body[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if i != n {
		return 0, false
	}
	v, err := strconv.ParseFloat(a, 64)
	if err != nil {
		// Python overflows to inf too, and underflows to 0; strconv
		// reports ErrRange with those same values.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// codec decodes a header's bytes the way Python does for the codecs
// BrainVision files declare.
type codec int

const (
	codecUTF8 codec = iota
	codecUTF8Sig
	codecLatin1
	codecCP1252
)

// lookupCodec maps a Codepage value to a codec the way Python's
// codecs.lookup normalises names. MNE maps the exact string "ANSI" to
// cp1252; other spellings of ANSI are accepted here too.
func lookupCodec(name string) (codec, bool) {
	if name == "ANSI" {
		return codecCP1252, true
	}
	var b strings.Builder
	punct := false
	for _, r := range strings.ToLower(name) {
		if r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			if punct && b.Len() > 0 {
				b.WriteByte('_')
			}
			punct = false
			b.WriteRune(r)
			continue
		}
		punct = true
	}
	switch b.String() {
	case "utf_8", "utf8", "u8", "utf", "utf8_ucs2", "utf8_ucs4", "cp65001":
		return codecUTF8, true
	case "utf_8_sig":
		return codecUTF8Sig, true
	case "latin_1", "latin1", "latin", "l1", "iso_8859_1", "iso8859_1", "8859",
		"cp819", "iso_ir_100", "csisolatin1", "ibm819", "iso_8859_1_1987",
		// ASCII decoding fails on any byte >= 0x80 and MNE then falls
		// back to latin-1, so ASCII behaves exactly like latin-1.
		"ascii", "us_ascii", "646", "cp367", "csascii", "ibm367", "iso646_us", "us":
		return codecLatin1, true
	case "cp1252", "windows_1252", "1252", "ansi":
		return codecCP1252, true
	}
	return 0, false
}

// cp1252High maps bytes 0x80..0x9F; 0 marks the five bytes Python's cp1252
// codec refuses to decode.
var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// resolve returns the codec that actually decodes b: Python's decode of a
// UTF-8 or cp1252 text that fails falls back to latin-1 (MNE catches the
// UnicodeDecodeError), which never fails.
func (c codec) resolve(b []byte) codec {
	switch c {
	case codecUTF8, codecUTF8Sig:
		if utf8.Valid(b) {
			return c
		}
	case codecCP1252:
		for _, x := range b {
			if x >= 0x80 && x < 0xa0 && cp1252High[x-0x80] == 0 {
				return codecLatin1
			}
		}
		return c
	}
	return codecLatin1
}

// decode converts b to UTF-8; c must come from resolve.
func (c codec) decode(b []byte) string {
	switch c {
	case codecUTF8, codecUTF8Sig:
		return string(b)
	}
	ascii := true
	for _, x := range b {
		if x >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	var s strings.Builder
	s.Grow(len(b) + len(b)/2)
	for _, x := range b {
		switch {
		case x < 0x80:
			s.WriteByte(x)
		case c == codecCP1252 && x < 0xa0:
			s.WriteRune(cp1252High[x-0x80])
		default:
			s.WriteRune(rune(x))
		}
	}
	return s.String()
}

// asciiOnly drops every byte >= 0x80, as bytes.decode("ascii", "ignore")
// does before MNE searches for the Codepage line.
func asciiOnly(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for _, x := range b {
		if x < 0x80 {
			out = append(out, x)
		}
	}
	return out
}

// findCodepage returns the value of the first "Codepage=" line in b the
// way MNE's re.search("Codepage=(.+)") finds it (case-sensitive, anywhere,
// after dropping non-ASCII bytes), and whether there was one.
func findCodepage(b []byte) (string, bool) {
	a := asciiOnly(b)
	const key = "Codepage="
	for i := 0; ; {
		j := strings.Index(string(a[i:]), key)
		if j < 0 {
			return "", false
		}
		v := a[i+j+len(key):]
		if k := strings.IndexByte(string(v), '\n'); k >= 0 {
			v = v[:k]
		}
		if len(v) > 0 {
			return pyStrip(string(v)), true
		}
		i += j + len(key)
	}
}
