package brainvision

// MNE decodes BrainVision headers and markers with the codec their
// Codepage line names, through Python's codecs, falling back to latin-1
// where decoding fails. The helpers here reproduce that, so that the text
// parsed here is the text MNE parses.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

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
			return pyparse.Strip(string(v)), true
		}
		i += j + len(key)
	}
}
