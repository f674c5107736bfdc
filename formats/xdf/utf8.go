package xdf

import (
	"unicode/utf8"
)

// decodeUTF8 returns b as a string, each ill-formed sequence replaced by
// U+FFFD the way Python's bytes.decode(errors="replace") does it (one
// replacement per maximal subpart of an ill-formed sequence, as Unicode
// §3.9 recommends), which is what pyxdf returns for string samples and
// stream headers. Go's own conversions replace differently (per byte, or
// whole runs).
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		n := wellFormedPrefix(b[i:])
		if n > 0 {
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		out = utf8.AppendRune(out, utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return string(out)
}

// continuationRange gives, for a lead byte, the allowed range of the
// first continuation byte and the total sequence length (Unicode Table
// 3-7); n == 0 for a byte that cannot start a sequence.
func continuationRange(lead byte) (lo, hi byte, n int) {
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		return 0x80, 0xBF, 2
	case lead == 0xE0:
		return 0xA0, 0xBF, 3
	case lead >= 0xE1 && lead <= 0xEC, lead == 0xEE, lead == 0xEF:
		return 0x80, 0xBF, 3
	case lead == 0xED:
		return 0x80, 0x9F, 3
	case lead == 0xF0:
		return 0x90, 0xBF, 4
	case lead >= 0xF1 && lead <= 0xF3:
		return 0x80, 0xBF, 4
	case lead == 0xF4:
		return 0x80, 0x8F, 4
	}
	return 0, 0, 0
}

// validPrefix returns how many bytes of b, from a lead byte, follow Table
// 3-7, and the length the sequence needs.
func validPrefix(b []byte) (got, need int) {
	lo, hi, n := continuationRange(b[0])
	if n == 0 {
		return 0, 0
	}
	got = 1
	for got < n && got < len(b) {
		c := b[got]
		if got == 1 {
			if c < lo || c > hi {
				break
			}
		} else if c < 0x80 || c > 0xBF {
			break
		}
		got++
	}
	return got, n
}

// wellFormedPrefix returns the length of the complete, well-formed
// multi-byte sequence at the start of b, or 0.
func wellFormedPrefix(b []byte) int {
	got, need := validPrefix(b)
	if need > 0 && got == need {
		return need
	}
	return 0
}

// maximalSubpart returns how many bytes one U+FFFD replaces at the start
// of b, where no well-formed sequence starts: the lead byte and the
// continuation bytes that still fit it, at least 1.
func maximalSubpart(b []byte) int {
	got, _ := validPrefix(b)
	return max(got, 1)
}
