package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runScore runs `neurostream score` on a root of its own.
func runScore(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runSub(t, newScoreCmd(), args...)
}

// writeSzcoreTSV writes an SzCORE annotation file with one seizure,
// onset and duration in s, in a recording of recordingDuration s.
func writeSzcoreTSV(t *testing.T, path string, onset, duration, recordingDuration float64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("onset\tduration\teventType\trecordingDuration\n%v\t%v\tsz\t%v\n", onset, duration, recordingDuration)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestScoreCLI: the flags reach metrics.EvaluateDataset (whose tests in
// models/metrics check the scoring): --json prints the JSON, without it
// the tables; --cumulated drops the *_std fields; --duration-tolerance
// pads a hypothesis of the wrong length; notes go to stderr.
func TestScoreCLI(t *testing.T) {
	dir := t.TempDir()
	ref, hyp := filepath.Join(dir, "ref"), filepath.Join(dir, "hyp")
	writeSzcoreTSV(t, filepath.Join(ref, "sub-01", "a.tsv"), 100, 30, 3600)
	writeSzcoreTSV(t, filepath.Join(hyp, "sub-01", "a.tsv"), 110, 10, 3601)
	writeSzcoreTSV(t, filepath.Join(ref, "sub-02", "a.tsv"), 500, 60, 3600)
	for _, c := range []struct {
		args []string
		want []string // in stdout
		not  string
	}{
		{[]string{"--json"}, []string{`"sensitivity_std": 0,`, `"tp": 0,`}, ""},
		{[]string{"--json", "--cumulated"}, []string{`"sensitivity": 0,`}, "_std"},
		{[]string{"--json", "--duration-tolerance", "1"}, []string{`"sensitivity": 0.5,`, `"tp": 1,`}, ""},
		{nil, []string{"2 recordings of 2 subjects, 2.00 h", "mean ± std over subjects", "all events  2       0         2"}, "{"},
		{[]string{"--cumulated"}, []string{"all recordings (cumulated)"}, "±"},
	} {
		stdout, stderr, err := runScore(t, append([]string{"--ref", ref, "--hyp", hyp}, c.args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, stdout)
			}
		}
		if c.not != "" && strings.Contains(stdout, c.not) {
			t.Errorf("%v: output has %q:\n%s", c.args, c.not, stdout)
		}
		wantNote := len(c.args) < 2 || c.args[1] != "--duration-tolerance"
		if got := strings.Contains(stderr, "hypothesis lasts 3601 s, reference 3600 s") && strings.Contains(stderr, "no hypothesis"); got != wantNote {
			t.Errorf("%v: stderr %q", c.args, stderr)
		}
	}
}

// TestScoreDurationMismatchLoud: a hypothesis 1 s longer than its
// reference is scored as no detections (as szcore-evaluation does), and
// score says so in capitals on stderr, in the table and in the JSON, not in
// a note one may miss.
func TestScoreDurationMismatchLoud(t *testing.T) {
	dir := t.TempDir()
	ref, hyp := filepath.Join(dir, "ref.tsv"), filepath.Join(dir, "hyp.tsv")
	writeSzcoreTSV(t, ref, 100, 30, 500)
	writeSzcoreTSV(t, hyp, 100, 30, 499)
	stdout, stderr, err := runScore(t, "--ref", ref, "--hyp", hyp)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{stdout, stderr} {
		if !strings.Contains(out, "WARNING") || !strings.Contains(out, "hypothesis lasts 499 s, reference 500 s") || !strings.Contains(out, "--duration-tolerance") {
			t.Errorf("no warning naming the mismatch and the flag:\n%s", out)
		}
	}
	if !strings.Contains(stdout, "1 of 1 recordings scored as NO DETECTIONS") {
		t.Errorf("table lacks the count:\n%s", stdout)
	}
	js, _, err := runScore(t, "--ref", ref, "--hyp", hyp, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js, `"warnings": [`) {
		t.Errorf("JSON lacks warnings:\n%s", js)
	}
	if js, _, _ = runScore(t, "--ref", ref, "--hyp", hyp, "--json", "--duration-tolerance", "1"); strings.Contains(js, "warnings") {
		t.Errorf("warning despite the tolerance:\n%s", js)
	}
}

func TestScoreErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tsv")
	writeSzcoreTSV(t, good, 1, 2, 60)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no hyp", []string{"--ref", good}, "give both --ref and --hyp"},
		{"missing ref", []string{"--ref", filepath.Join(dir, "nope.tsv"), "--hyp", good}, "reference: stat"},
		{"negative tolerance", []string{"--ref", good, "--hyp", good, "--duration-tolerance", "-1"}, "must be >= 0"},
	} {
		_, _, err := runScore(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
