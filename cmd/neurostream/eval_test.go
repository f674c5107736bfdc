package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/simulate"
	"github.com/neurostream/neurostream/simulate/simwrite"
)

// relabeled is a recording with other annotations.
type relabeled struct {
	formats.Recording
	info formats.Info
}

func (r *relabeled) Info() *formats.Info { return &r.info }

// writeSSVEPFolder writes a dataset folder of simulated SSVEP sessions:
// subjects × sessions EDF files subjectN/sessionM.edf, 100 s each (16
// trials of 4 s at 8, 11, 13, 15 Hz, 2 s apart; a clear SSVEP, 15 µV, no
// blinks), with a
// "rest" annotation 0.5 s after every trial's end (in the 2 s gap) when
// rest is set. shuffle permutes the trials' descriptions among them (the
// stimulus no longer matches its label).
func writeSSVEPFolder(t *testing.T, subjects, sessions int, rest, shuffle bool) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	for s := range subjects {
		for k := range sessions {
			cfg := simulate.DefaultConfig()
			cfg.Seed, cfg.Duration = uint64(100*s+k+1), 100
			cfg.SSVEP.Enabled, cfg.SSVEP.Amplitude, cfg.Blinks.Enabled = true, 15e-6, false
			sim, err := simulate.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			info := *sim.Info()
			var anns, trials []formats.Annotation
			for _, a := range info.Annotations {
				if strings.HasPrefix(a.Description, "ssvep/") {
					trials = append(trials, a)
				} else {
					anns = append(anns, a)
				}
			}
			if shuffle {
				rng.Shuffle(len(trials), func(i, j int) {
					trials[i].Description, trials[j].Description = trials[j].Description, trials[i].Description
				})
			}
			anns = append(anns, trials...)
			if rest {
				for _, a := range trials {
					anns = append(anns, formats.Annotation{Onset: a.Onset + a.Duration + 0.5, Description: "rest"})
				}
			}
			slices.SortStableFunc(anns, func(a, b formats.Annotation) int { return cmpFloat(a.Onset, b.Onset) })
			info.Annotations = anns
			path := filepath.Join(dir, "subject"+string(rune('A'+s)), "session"+string(rune('1'+k))+".edf")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := writeEDF(path, &relabeled{sim, info}, "X", "eval"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type ssvepEvalJSON struct {
	Results []struct {
		Subject          string   `json:"subject"`
		Session          string   `json:"session"`
		Method           string   `json:"method"`
		WindowSeconds    float64  `json:"window_seconds"`
		Classes          int      `json:"classes"`
		N                int      `json:"n"`
		Accuracy         *float64 `json:"accuracy"`
		BalancedAccuracy *float64 `json:"balanced_accuracy"`
		ITR              *float64 `json:"itr_bits_per_min"`
		CalibratedOn     []string `json:"calibrated_on"`
	} `json:"results"`
	Summary []struct {
		Method        string   `json:"method"`
		WindowSeconds float64  `json:"window_seconds"`
		Classes       int      `json:"classes"`
		Subjects      int      `json:"subjects"`
		MeanAccuracy  *float64 `json:"mean_accuracy"`
		MeanBalanced  *float64 `json:"mean_balanced_accuracy"`
		MeanITR       *float64 `json:"mean_itr_bits_per_min"`
	} `json:"summary"`
	Subjects []struct {
		Subject          string   `json:"subject"`
		Method           string   `json:"method"`
		WindowSeconds    float64  `json:"window_seconds"`
		Classes          int      `json:"classes"`
		N                int      `json:"n"`
		Accuracy         *float64 `json:"accuracy"`
		BalancedAccuracy *float64 `json:"balanced_accuracy"`
		ITR              *float64 `json:"itr_bits_per_min"`
	} `json:"subjects"`
}

// evalSSVEP runs `eval ssvep --json` on dir and decodes its output, which
// must be one JSON object with no unknown fields.
func evalSSVEP(t *testing.T, dir string, args ...string) ssvepEvalJSON {
	t.Helper()
	args = append([]string{"ssvep", "--data", dir, "--events", simEvents, "--offset", "0.1", "--notch", "50",
		"--channels", "O1,O2,P3,Pz,P4,T5,T6", "--json"}, args...)
	stdout, stderr, err := runSub(t, newEvalCmd(), args...)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr)
	}
	var ev ssvepEvalJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value on stdout:\n%s", stdout)
	}
	return ev
}

// summary returns the mean accuracy of method, window and classes.
func (ev ssvepEvalJSON) summary(t *testing.T, method string, window float64, classes int) float64 {
	t.Helper()
	for _, s := range ev.Summary {
		if s.Method == method && s.WindowSeconds == window && s.Classes == classes {
			return *s.MeanAccuracy
		}
	}
	t.Fatalf("no summary of %s, %g s, %d classes in %+v", method, window, classes, ev.Summary)
	return 0
}

// TestEvalSSVEPSimulated: on clean simulated sessions (2 subjects × 2
// sessions, 4 targets) every method decides near perfectly at 2 s, and
// the JSON has a row per subject, session, method and window; with the
// trials' labels shuffled the same decoders fall to chance (0.25); without
// rest trials there are no 4-class rows, with them there are.
func TestEvalSSVEPSimulated(t *testing.T) {
	methods := []string{"cca", "fbcca", "trca", "ts-lr"}
	clean := evalSSVEP(t, writeSSVEPFolder(t, 2, 2, false, false), "--window", "1,2", "--method", strings.Join(methods, ","))
	if got, want := len(clean.Results), 2*2*len(methods)*2; got != want {
		t.Fatalf("%d rows, want %d (2 subjects × 2 sessions × %d methods × 2 windows, 3 classes only)", got, want, len(methods))
	}
	for _, r := range clean.Results {
		if r.Classes != 4 || r.N < 10 || r.Accuracy == nil || r.BalancedAccuracy == nil || r.ITR == nil {
			t.Errorf("row %+v: want 4 targets (classes 4, no rest), n ≥ 10, every figure", r)
		}
		trained := r.Method != "cca" && r.Method != "fbcca"
		if len(r.CalibratedOn) != map[bool]int{true: 1, false: 0}[trained] || (trained && r.CalibratedOn[0] == r.Session) {
			t.Errorf("row %s %s %s: calibrated on %v, want the other session for trained methods, none for training-free ones", r.Subject, r.Session, r.Method, r.CalibratedOn)
		}
	}
	if len(clean.Summary) != len(methods)*2 || len(clean.Subjects) != 2*len(methods)*2 {
		t.Errorf("%d summary and %d subject rows, want %d and %d", len(clean.Summary), len(clean.Subjects), len(methods)*2, 2*len(methods)*2)
	}
	for _, s := range clean.Subjects {
		if s.N != 2*clean.Results[0].N || s.Accuracy == nil || s.ITR == nil {
			t.Errorf("subject row %+v: want both sessions' trials pooled", s)
		}
	}
	shuffled := evalSSVEP(t, writeSSVEPFolder(t, 2, 2, false, true), "--window", "2", "--method", strings.Join(methods, ","))
	for _, m := range methods {
		c, s := clean.summary(t, m, 2, 4), shuffled.summary(t, m, 2, 4)
		t.Logf("%s 2 s: clean %.3f, shuffled labels %.3f", m, c, s)
		if c < 0.9 {
			t.Errorf("%s on clean simulated trials: mean accuracy %.3f, want ≥ 0.9", m, c)
		}
		if s > 0.5 {
			t.Errorf("%s on shuffled labels: mean accuracy %.3f, want chance (0.25; ≤ 0.5)", m, s)
		}
	}
	rest := evalSSVEP(t, writeSSVEPFolder(t, 1, 2, true, false), "--window", "1", "--method", "fbcca,ts-lr", "--rest", "rest")
	for _, m := range []string{"fbcca", "ts-lr"} {
		acc := rest.summary(t, m, 1, 5) // 4 targets and rest
		t.Logf("%s 1 s with rest: %.3f", m, acc)
		if acc < 0.6 {
			t.Errorf("%s with rest: mean accuracy %.3f, want ≥ 0.6 (chance 0.2)", m, acc)
		}
	}
}

// TestEvalSSVEPCalibrateOn: --calibrate-on 1 calibrates on each subject's
// first session and tests on the second only.
func TestEvalSSVEPCalibrateOn(t *testing.T) {
	dir := writeSSVEPFolder(t, 1, 2, false, false)
	ev := evalSSVEP(t, dir, "--window", "2", "--method", "trca", "--calibrate-on", "1")
	if len(ev.Results) != 1 {
		t.Fatalf("%d rows, want 1: %+v", len(ev.Results), ev.Results)
	}
	if r := ev.Results[0]; r.Session != "session2" || !slices.Equal(r.CalibratedOn, []string{"session1"}) || r.Subject != "subjectA" {
		t.Errorf("row %+v: want subjectA's session2 calibrated on session1", r)
	}
	// The text run says on stderr which test session it decided (the JSON
	// run above keeps stderr for notes).
	_, stderr, err := runSub(t, newEvalCmd(), "ssvep", "--data", dir, "--events", simEvents, "--offset", "0.1", "--notch", "50",
		"--channels", "O1,O2,P3,Pz,P4,T5,T6", "--window", "2", "--method", "trca", "--calibrate-on", "1")
	if err != nil || !regexp.MustCompile(`(?m)^eval: subject subjectA, session session2, trca, 2 s, 4 classes: accuracy [01]\.\d{3} of \d+ trials \(.+s\)$`).MatchString(stderr) {
		t.Errorf("progress on stderr: %v\n%s", err, stderr)
	}
}

func TestEvalErrors(t *testing.T) {
	dir, text := t.TempDir(), bonnText(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ssvep", "--data", text, "--events", simEvents, "--window", "1"}, "--rate: required for the plain-text recording"},
		{[]string{"seizure", "--data", text}, "--rate: required for the plain-text recording"},
		{[]string{"seizure"}, "give --data"},
		{[]string{"seizure", "--data", text, "--rate", "100", "--config", "builtin:ssvep-trials.yaml"}, "has no seizure stage"},
		{[]string{"ssvep", "--data", dir, "--events", simEvents}, "--window"},
		{[]string{"ssvep", "--data", dir, "--events", "1=8", "--window", "1"}, "two target"},
		{[]string{"ssvep", "--data", dir, "--events", simEvents, "--window", "1", "--method", "svm"}, `method "svm"`},
		{[]string{"ssvep", "--data", dir, "--events", simEvents, "--window", "-1"}, "window -1"},
	} {
		_, _, err := runSub(t, newEvalCmd(), c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

type seizureScoresJSON struct {
	Event        map[string]*float64 `json:"event"`
	Sample       map[string]*float64 `json:"sample"`
	AlarmLatency []*float64          `json:"alarm_latency_seconds"`
}

type seizureEvalJSON struct {
	Records []struct {
		Subject string `json:"subject"`
		Session string `json:"session"`
		Path    string `json:"path"`
		seizureScoresJSON
		Alarms []map[string]any `json:"alarms"`
		Note   string           `json:"note"`
	} `json:"records"`
	Total seizureScoresJSON `json:"total"`
}

func evalSeizure(t *testing.T, args ...string) seizureEvalJSON {
	t.Helper()
	stdout, stderr, err := runSub(t, newEvalCmd(), append([]string{"seizure", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr)
	}
	var ev seizureEvalJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || dec.More() {
		t.Fatalf("not one JSON object (%v):\n%s", err, stdout)
	}
	return ev
}

// TestEvalSeizureSimulated: the shipped monitor on a simulated recording
// with a seizure at 300–360 s and one without: per record and in total,
// the seizure is detected within seconds of its onset with no false alarm;
// with the reference taken from a label no annotation has, the same
// detection is a false alarm and nothing is detected. The scores equal
// `score`'s on the detection files the run wrote and the simulated
// reference files.
func TestEvalSeizureSimulated(t *testing.T) {
	dir := t.TempDir()
	data, ref, keep := filepath.Join(dir, "data"), filepath.Join(dir, "ref"), filepath.Join(dir, "work")
	for _, r := range []struct {
		name     string
		seed     uint64
		duration float64
		seizures []simulate.SeizureEvent
	}{
		{"sub-01_task-x_eeg", 3, 600, []simulate.SeizureEvent{{Onset: 300, Duration: 60}}},
		{"sub-02_task-x_eeg", 4, 400, nil},
	} {
		cfg := simulate.DefaultConfig()
		cfg.Seed, cfg.Duration = r.seed, r.duration
		cfg.Seizures.Enabled, cfg.Seizures.Events = len(r.seizures) > 0, r.seizures
		sub := strings.SplitN(r.name, "_", 2)[0]
		out := simwrite.Output{EDF: filepath.Join(data, sub, "eeg", r.name+".edf"),
			SeizureTSV: filepath.Join(ref, sub, "eeg", strings.TrimSuffix(r.name, "_eeg")+"_events.tsv")}
		for _, p := range []string{out.EDF, out.SeizureTSV} {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := simwrite.Write(cfg, out); err != nil {
			t.Fatal(err)
		}
	}
	ev := evalSeizure(t, "--data", data, "--keep", keep)
	if len(ev.Records) != 2 || ev.Records[0].Subject != "sub-01" || ev.Records[1].Session != "task-x" {
		t.Fatalf("records %+v: want sub-01 and sub-02, session task-x", ev.Records)
	}
	r := ev.Records[0]
	if *r.Event["tp"] != 1 || *r.Event["fp"] != 0 || *r.Event["sensitivity"] != 1 || len(r.AlarmLatency) != 1 || r.AlarmLatency[0] == nil || *r.AlarmLatency[0] > 10 {
		t.Errorf("record with the seizure: event %v, latencies %v: want it detected within 10 s, no false alarm", r.Event, r.AlarmLatency)
	}
	if len(ev.Records[1].AlarmLatency) != 0 || *ev.Records[1].Event["fp"] != 0 {
		t.Errorf("record without a seizure: %+v", ev.Records[1])
	}
	if *ev.Total.Event["duration"] != 1000 || *ev.Total.Event["tp"] != 1 || len(ev.Total.AlarmLatency) != 1 {
		t.Errorf("total %+v", ev.Total)
	}
	checkEvalEqualsScore(t, ev, ref, filepath.Join(keep, "szcore"))
	// No reference seizure: the detection is a false alarm.
	none := evalSeizure(t, "--data", data, "--labels", "no-such-label")
	if e := none.Total.Event; *e["refTrue"] != 0 || *e["tp"] != 0 || *e["fp"] != 1 || *e["fpRate"] <= 0 || len(none.Total.AlarmLatency) != 0 {
		t.Errorf("without reference seizures: event %v, latencies %v: want one false alarm", e, none.Total.AlarmLatency)
	}
}

// checkEvalEqualsScore checks that the totals of ev equal `score
// --cumulated` on the reference files in ref and the detections in hyp.
func checkEvalEqualsScore(t *testing.T, ev seizureEvalJSON, ref, hyp string) {
	t.Helper()
	// The same scores as `score --cumulated` on the files.
	stdout, stderr, err := runSub(t, newScoreCmd(), "--ref", ref, "--hyp", hyp, "--json", "--cumulated")
	if err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	var sc struct {
		Sample, Event map[string]*float64
	}
	if err := json.Unmarshal([]byte(strings.NewReplacer("sample_results", "Sample", "event_results", "Event").Replace(stdout)), &sc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tp", "fp", "refTrue", "sensitivity", "precision", "f1", "fpRate"} {
		for _, p := range []struct {
			name      string
			got, want *float64
		}{{"event", ev.Total.Event[k], sc.Event[k]}, {"sample", ev.Total.Sample[k], sc.Sample[k]}} {
			if (p.got == nil) != (p.want == nil) || (p.got != nil && math.Abs(*p.got-*p.want) > 1e-12) {
				t.Errorf("total %s %s: eval %v, score %v", p.name, k, deref(p.got), deref(p.want))
			}
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
