package pyparse

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// samples are header texts on the edges of Python's rules: whitespace
// beyond ASCII, Unicode digits, PEP 515 underscores, signs, exponents,
// special values and overflow.
var samples = []string{
	" 12 ", "1_000", "1__0", "_1", "1_", "+-1", "-7", "+0", "", "+", "-", " ", "1 2",
	"\u0661\u0662", "\uff11\uff12", "\U0001d7cf", "\u0663_4", "\u00857\u00a0", "\u20007\u3000", "\ufeff7",
	"1.", ".5", ".", "e5", "1e", "1e+", "1e5_0", "1_0.5", "1._5", "1_.5", "-inf", "INFINITY", "nAn",
	"+nan", "in_f", "infinit", "0x10", "1e400", "-1e400", "1e-400", "-0", "1.5e-3", "4.9e-324",
	" -2.5E+2\t", "1,5", "1d5", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"1e999999999", "\t\n\v\f\r3\r\n", "\x1c7\x1f",
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		s     string
		i     int64
		iok   bool
		f     float64
		fok   bool
		strip string
	}{
		{" 12 ", 12, true, 12, true, "12"},
		{"1_000", 1000, true, 1000, true, "1_000"},
		{"1__0", 0, false, 0, false, "1__0"},
		{"\u0661\u0662", 12, true, 12, true, "\u0661\u0662"},
		{"\U0001d7cf", 1, true, 1, true, "\U0001d7cf"},
		{"\u20007\u3000", 7, true, 7, true, "7"},
		{"\ufeff7", 0, false, 0, false, "\ufeff7"},
		{"1.", 0, false, 1, true, "1."},
		{".5", 0, false, 0.5, true, ".5"},
		{"1e5_0", 0, false, 1e50, true, "1e5_0"},
		{"1._5", 0, false, 0, false, "1._5"},
		{"1e400", 0, false, math.Inf(1), true, "1e400"},
		{"1e-400", 0, false, 0, true, "1e-400"},
		{"0x10", 0, false, 0, false, "0x10"},
		{" -2.5E+2\t", 0, false, -250, true, "-2.5E+2"},
		// Python's int() and float() refuse this one; see TestAgainstPython.
		{"\x1c7\x1f", 7, true, 7, true, "7"},
	} {
		if i, ok := ParseInt(c.s); i != c.i || ok != c.iok {
			t.Errorf("ParseInt(%q) = %v, %v; want %v, %v", c.s, i, ok, c.i, c.iok)
		}
		if f, ok := ParseFloat(c.s); f != c.f || ok != c.fok {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", c.s, f, ok, c.f, c.fok)
		}
		if s := Strip(c.s); s != c.strip {
			t.Errorf("Strip(%q) = %q, want %q", c.s, s, c.strip)
		}
	}
	if f, ok := ParseFloat("-nan"); !ok || !math.IsNaN(f) {
		t.Errorf("ParseFloat(-nan) = %v, %v", f, ok)
	}
	if d := Digit('\u096f'); d != 9 { // DEVANAGARI DIGIT NINE
		t.Errorf("Digit(U+096F) = %d, want 9", d)
	}
	if s := Latin1([]byte("a\xb5\xe9\x80")); s != "a\u00b5\u00e9\u0080" {
		t.Errorf("Latin1 = %q", s)
	}
}

// pyScript prints, for each argument, str.strip(), str.rstrip(), int() and
// float() (as float.hex, exact; null where Python refuses the text).
const pyScript = `
import json, sys
def attempt(f):
    try:
        return f()
    except ValueError:
        return None
print(json.dumps([[s.strip(), s.rstrip(), attempt(lambda: str(int(s))), attempt(lambda: float(s).hex())] for s in sys.argv[1:]]))
`

// TestAgainstPython compares with the interpreter the golden files come
// from. Python's int() and float() refuse the ASCII separators
// U+001C..U+001F that str.strip() removes; ParseInt and ParseFloat strip
// them as the readers always have, so for those texts only Strip and
// RStrip are compared.
func TestAgainstPython(t *testing.T) {
	var got [][4]*string
	formatstest.PythonJSON(t, &got, pyScript, samples...)
	if len(got) != len(samples) {
		t.Fatalf("Python answered for %d of %d texts", len(got), len(samples))
	}
	for k, s := range samples {
		w := got[k]
		if Strip(s) != *w[0] || RStrip(s) != *w[1] {
			t.Errorf("Strip, RStrip(%q) = %q, %q; Python %q, %q", s, Strip(s), RStrip(s), *w[0], *w[1])
		}
		if strings.ContainsAny(s, "\x1c\x1d\x1e\x1f") {
			continue
		}
		i, ok := ParseInt(s)
		if w[2] == nil {
			if ok {
				t.Errorf("ParseInt(%q) = %d; Python refuses it", s, i)
			}
		} else if want, err := strconv.ParseInt(*w[2], 10, 64); err == nil && (!ok || i != want) {
			t.Errorf("ParseInt(%q) = %d, %v; Python %s", s, i, ok, *w[2])
		} else if err != nil && ok {
			t.Errorf("ParseInt(%q) = %d; Python %s is beyond int64", s, i, *w[2])
		}
		f, ok := ParseFloat(s)
		if w[3] == nil {
			if ok {
				t.Errorf("ParseFloat(%q) = %v; Python refuses it", s, f)
			}
			continue
		}
		want, err := strconv.ParseFloat(*w[3], 64)
		if err != nil {
			t.Fatalf("Python's %q: %v", *w[3], err)
		}
		if !ok || math.Float64bits(f) != math.Float64bits(want) && !(math.IsNaN(f) && math.IsNaN(want)) {
			t.Errorf("ParseFloat(%q) = %v, %v; Python %v", s, f, ok, want)
		}
	}
}
