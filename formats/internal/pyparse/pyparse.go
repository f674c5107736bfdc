// Package pyparse reads header text with the Python semantics MNE relies on (str.strip, int,
// float, latin-1), so that a field MNE accepts is accepted here with the same value.
package pyparse

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsSpace reports whether Python's str.isspace (and the re module's \s)
// treats r as whitespace: Unicode White_Space plus the ASCII separators
// U+001C..U+001F, which Go's unicode.IsSpace leaves out.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip is Python's str.strip().
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// RStrip is Python's str.rstrip().
func RStrip(s string) string { return strings.TrimRightFunc(s, IsSpace) }

// Digit returns the value of a Unicode decimal digit (category Nd, what
// Python's \d, int() and float() accept), or -1. Nd digits come in runs of
// ten starting at zero, so the value is the distance from the run's start.
func Digit(r rune) int {
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
	s = Strip(s)
	var b strings.Builder
	prevDigit := false
	for i, r := range s {
		if d := Digit(r); d >= 0 {
			b.WriteByte(byte('0' + d))
			prevDigit = true
			continue
		}
		if r == '_' {
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if !prevDigit || Digit(next) < 0 {
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

// ParseInt is Python's int(s) for base 10, limited to int64.
func ParseInt(s string) (int64, bool) {
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

// ParseFloat is Python's float(s): decimal notation with optional exponent,
// "inf", "infinity" and "nan" in any case, no hexadecimal.
func ParseFloat(s string) (float64, bool) {
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

// Latin1 is Python's bytes.decode("latin-1"), which MNE applies to EDF and
// GDF header fields and FIF strings: every byte is the code point of the
// same value, so it never fails.
func Latin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
