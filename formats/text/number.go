package text

import (
	"errors"
	"strconv"
)

// parseNumber parses a decimal number: an optional sign, digits with an
// optional point, and an optional exponent. It returns a non-empty reason
// instead of a value when b is not one. NaN, Inf, hexadecimal and
// underscore forms, which strconv accepts, are refused by the character
// check before strconv sees them.
func parseNumber(b []byte) (float64, string) {
	if len(b) == 0 {
		return 0, "is empty; expected a number"
	}
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			if isNaNOrInf(b) {
				return 0, "is NaN or infinite, which this reader rejects"
			}
			return 0, "is not a number"
		}
	}
	// string(b) does not allocate: strconv copies s before an error keeps
	// it, so the conversion stays on the stack for short fields.
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, "is outside the float64 range"
		}
		return 0, "is not a number"
	}
	return v, ""
}

// isNaNOrInf reports whether b spells NaN or infinity the way numpy and
// strconv do (any case, optional sign).
func isNaNOrInf(b []byte) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	var low [8]byte
	if len(b) > len(low) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(b)]) {
	case "nan", "inf", "infinity":
		return true
	}
	return false
}
