package edf

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/internal/testenv"
)

type talCase struct {
	stream string
	names  []string
	want   []formats.Annotation
}

// talCases were checked against MNE 1.10's _read_annotations_edf (see
// TestTALAgainstMNE).
var talCases = []talCase{
	{"+0\x14\x14\x00+1.5\x152\x14A\x14\x00", nil, []formats.Annotation{a(1.5, 2, "A")}},
	// Sub-second start: onsets are relative to the first record.
	{"+0.25\x14\x14\x00+1\x14A\x14\x00", nil, []formats.Annotation{a(0.75, 0, "A")}},
	{"+0\x14\x14\x00+1\x14A\x14B\x14\x00", nil, []formats.Annotation{a(1, 0, "A"), a(1, 0, "B")}},
	// Repeats within one TAL collapse after the first repeat (MNE's keys).
	{"+0\x14\x14\x00+1\x14A\x14A\x14A\x14\x00", nil, []formats.Annotation{a(1, 0, "A"), a(1, 0, "A")}},
	{"+1\x14A\x14\x00+1\x14A\x14\x00", nil, []formats.Annotation{a(1, 0, "A"), a(1, 0, "A")}},
	{"+1\x14A\x14\x00+1\x150\x14A\x14\x00", nil, []formats.Annotation{a(1, 0, "A"), a(1, 0, "A")}},
	// A later repeat's key can hit an earlier description and replace it.
	{"+0\x14\x14\x00+1\x14A\x14\x00+1\x14A_2\x14A\x14\x00", nil, []formats.Annotation{a(1, 0, "A"), a(1, 0, "A")}},
	// Channel annotations merge and lose their "@@label" suffix.
	{"+0\x14\x14\x00+1\x14A@@Fp1\x14\x00+1\x14A@@Cz\x14\x00+1\x14A@@Oz\x14\x00", []string{"Fp1", "Cz"},
		[]formats.Annotation{a(1, 0, "A"), a(1, 0, "A@@Oz")}},
	// A line break ends nothing: that TAL is skipped.
	{"+0\x14\x14\x00+1\x14line\nbreak\x14\x00+2\x14B\x14\x00", nil, []formats.Annotation{a(2, 0, "B")}},
	// Nihon Kohden: time-keeping TAL without its NUL.
	{"+0.000000\x14\x14+0.000000\x14Segment\x14\x00\x00", nil, []formats.Annotation{a(0, 0, "+0.000000"), a(0, 0, "Segment")}},
	{"-0.5\x14A\x14\x00+3\x14\x14\x00", nil, []formats.Annotation{a(-0.5, 0, "A")}},
	{"+2\x150.5\x14仰卧\x14\x00", nil, []formats.Annotation{a(2, 0.5, "仰卧")}},
	{"+1\x14A\x00\x14\x00", nil, []formats.Annotation{a(1, 0, "A")}},
	{"+1e5\x14X\x14\x00+123456789012345678901234567890\x14Y\x14\x00+1.\x14Z\x14\x00", nil,
		[]formats.Annotation{a(1, 0, "Z"), a(1.2345678901234568e+29, 0, "Y")}},
	{"+0\x14\x14\x00+1\x14A_0\x14\x00+1\x14A\x14\x00+1\x14A\x14\x00", nil, []formats.Annotation{a(1, 0, "A_0"), a(1, 0, "A"), a(1, 0, "A")}},
	{"+0\x14\x14\x00+0.1\x150.2\x14C\x14\x00+0.1\x150.1\x14B\x14\x00+0.1\x150.1\x14A\x14\x00", nil,
		[]formats.Annotation{a(0.1, 0.1, "B"), a(0.1, 0.1, "A"), a(0.1, 0.2, "C")}},
	{"+5\x14\x14\x00", nil, nil},
	{"\x00\x00+0\x14\x14\x00", nil, nil},
}

func a(onset, duration float64, desc string) formats.Annotation {
	return formats.Annotation{Onset: onset, Duration: duration, Description: desc}
}

func names(l []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range l {
		m[s] = true
	}
	return m
}

func TestTAL(t *testing.T) {
	for _, c := range talCases {
		got := parseTAL([]byte(c.stream), names(c.names)).anns
		if !equalAnns(got, c.want) {
			t.Errorf("%q: %v, want %v", c.stream, got, c.want)
		}
	}
	// Not UTF-8: MNE fails the file; we decode the description as Latin-1.
	got := parseTAL([]byte("+1\x14\xe9t\xe9\x14\x00"), nil).anns
	if len(got) != 1 || got[0].Description != "été" {
		t.Errorf("Latin-1 description: %v", got)
	}
	res := parseTAL([]byte("+0.3945312\x14\x14\x00+2.3457031\x14XLSpike\x14\x00"), nil)
	if !res.hasOffset || res.offset != 0.3945312 {
		t.Errorf("offset %v %v, want 0.3945312", res.offset, res.hasOffset)
	}
}

func equalAnns(a, b []formats.Annotation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTALAgainstMNE runs the cases through MNE's own TAL parser.
func TestTALAgainstMNE(t *testing.T) {
	py := testenv.Python(t)
	type req struct {
		Hex     string   `json:"hex"`
		ChNames []string `json:"ch_names"`
	}
	var reqs []req
	for _, c := range talCases {
		reqs = append(reqs, req{hex.EncodeToString([]byte(c.stream)), c.names})
	}
	in, _ := json.Marshal(reqs)
	cmd := exec.Command(py, "-c", talScript)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var res [][][3]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, c := range talCases {
		var mne []formats.Annotation
		for _, a := range res[i] {
			mne = append(mne, formats.Annotation{Onset: a[0].(float64), Duration: a[1].(float64), Description: a[2].(string)})
		}
		if !equalAnns(mne, c.want) {
			t.Errorf("%q: MNE gives %v, table says %v", c.stream, mne, c.want)
		}
	}
}

const talScript = `
import sys, json
import numpy as np
import mne
from mne.io.edf.edf import _read_annotations_edf
mne.set_log_level("ERROR")
out = []
for case in json.load(sys.stdin):
    b = bytes.fromhex(case["hex"])
    if len(b) % 2:
        b += b"\x00"
    arr = np.frombuffer(b, dtype="<i2")
    a = _read_annotations_edf(arr[np.newaxis, :], ch_names=case["ch_names"])
    out.append([[float(x["onset"]), float(x["duration"]), x["description"]] for x in a])
print(json.dumps(out))
`

func TestPyRepr(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {0.1, "0.1"}, {-2.5, "-2.5"},
		{1e16, "1e+16"}, {1234567890123456, "1234567890123456.0"}, {1e-5, "1e-05"}, {0.0001, "0.0001"},
		{1.5e300, "1.5e+300"}, {123.456, "123.456"}, {5e-324, "5e-324"}, {0.30000000000000004, "0.30000000000000004"},
		{math.Inf(1), "inf"}, {1.2345678901234568e+29, "1.2345678901234568e+29"},
	} {
		if got := pyRepr(c.f); got != c.want {
			t.Errorf("pyRepr(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestCrop(t *testing.T) {
	anns := []formats.Annotation{
		a(-2, 1, "before"), a(-1, 3, "straddles start"), a(1.9511719, 0, "rounded"),
		a(9, 5, "straddles end"), a(10, 0, "at end"), a(10.000001, 0, "after"),
	}
	got := cropAnnotations(anns, 10)
	want := []formats.Annotation{a(0, 2, "straddles start"), a(1.951172, 0, "rounded"), a(9, 1, "straddles end"), a(10, 0, "at end")}
	if !equalAnns(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}
