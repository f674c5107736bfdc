package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// evaluate runs EvaluateDataset and returns its JSON and text forms and
// its notes.
func evaluate(t *testing.T, ref, hyp string, cfg EvaluateConfig) (jsonOut, text, notes string, err error) {
	t.Helper()
	var n strings.Builder
	cfg.Notes = &n
	ev, err := EvaluateDataset(ref, hyp, cfg)
	if err != nil {
		return "", "", n.String(), err
	}
	var j, x strings.Builder
	if err := ev.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	if err := ev.WriteText(&x); err != nil {
		t.Fatal(err)
	}
	return j.String(), x.String(), n.String(), nil
}

// writeSzcoreTSV writes an annotation file the way szcore-evaluation's tests do
// (make_tsv): one sz row per (onset, duration), or one bckg row spanning
// the recording.
func writeSzcoreTSV(t *testing.T, path string, events [][2]float64, recordingDuration float64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration\n")
	for _, e := range events {
		fmt.Fprintf(&b, "%v\t%v\tsz\t1.0\tn/a\t2000-01-01 00:00:00\t%v\n", e[0], e[1], recordingDuration)
	}
	if len(events) == 0 {
		fmt.Fprintf(&b, "0\t%v\tbckg\tn/a\tn/a\t2000-01-01 00:00:00\t%v\n", recordingDuration, recordingDuration)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scoreJSON is the part of the JSON output the tests read; pointers so that
// null (NaN) and absent keys can be told apart from 0.
type scoreJSON struct {
	Sample     map[string]*float64 `json:"sample_results"`
	Event      map[string]*float64 `json:"event_results"`
	Recordings int                 `json:"recordings"`
	Subjects   []struct {
		Subject    string              `json:"subject"`
		Recordings int                 `json:"recordings"`
		Sample     map[string]*float64 `json:"sample_results"`
		Event      map[string]*float64 `json:"event_results"`
	} `json:"subjects"`
}

func scoreJSONOf(t *testing.T, ref, hyp string, cfg EvaluateConfig) scoreJSON {
	t.Helper()
	out, _, notes, err := evaluate(t, ref, hyp, cfg)
	if err != nil {
		t.Fatalf("%s, %s, %+v: %v\n%s", ref, hyp, cfg, err, notes)
	}
	var r scoreJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return r
}

func wantScoreValue(t *testing.T, what string, got *float64, w float64) {
	t.Helper()
	const tol = 1e-12
	switch {
	case math.IsNaN(w):
		if got != nil {
			t.Errorf("%s = %v, want null (NaN)", what, *got)
		}
	case got == nil:
		t.Errorf("%s = null, want %v", what, w)
	case math.Abs(*got-w) > tol*math.Max(1, math.Abs(w)):
		t.Errorf("%s = %v, want %v", what, *got, w)
	}
}

var szcoreMetricKeys = []string{"sensitivity", "precision", "f1", "fpRate"}

// The cases of szcore-evaluation 0.0.7's tests/test_evaluate_dataset.py,
// through files, with the same layout (sub-001/rec.tsv, 60 s recordings).

func TestEvaluateOutputKeys(t *testing.T) { // test_evaluate_dataset_output_keys
	dir := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(dir, "ref", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	writeSzcoreTSV(t, filepath.Join(dir, "hyp", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	out, _, _, err := evaluate(t, filepath.Join(dir, "ref"), filepath.Join(dir, "hyp"), EvaluateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, section := range []string{"sample_results", "event_results"} {
		for _, k := range szcoreMetricKeys {
			for _, key := range []string{k, k + "_std"} {
				if _, ok := raw[section][key]; !ok {
					t.Errorf("missing %s in %s", key, section)
				}
			}
		}
		for _, k := range []string{"tp", "fp", "refTrue", "duration"} {
			if _, ok := raw[section][k]; !ok {
				t.Errorf("missing count %s in %s", k, section)
			}
		}
	}
	// szcore-evaluation's key order, so the files diff cleanly.
	order := []string{`"sensitivity"`, `"sensitivity_std"`, `"precision"`, `"precision_std"`, `"f1"`, `"f1_std"`, `"fpRate"`, `"fpRate_std"`}
	last := -1
	for _, k := range order {
		i := strings.Index(out, k)
		if i < last {
			t.Errorf("key %s out of szcore-evaluation's order", k)
		}
		last = i
	}
}

func TestEvaluatePerfectDetection(t *testing.T) { // test_evaluate_dataset_perfect_detection
	dir := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(dir, "ref", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	writeSzcoreTSV(t, filepath.Join(dir, "hyp", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	r := scoreJSONOf(t, filepath.Join(dir, "ref"), filepath.Join(dir, "hyp"), EvaluateConfig{})
	wantScoreValue(t, "sample sensitivity", r.Sample["sensitivity"], 1)
	wantScoreValue(t, "sample precision", r.Sample["precision"], 1)
	wantScoreValue(t, "event f1", r.Event["f1"], 1)
	wantScoreValue(t, "event fpRate", r.Event["fpRate"], 0)
}

func TestEvaluateMissingHypothesis(t *testing.T) { // test_evaluate_dataset_missing_hyp
	dir := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(dir, "ref", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	os.MkdirAll(filepath.Join(dir, "hyp"), 0o755)
	out, _, errOut, err := evaluate(t, filepath.Join(dir, "ref"), filepath.Join(dir, "hyp"), EvaluateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var r scoreJSON
	json.Unmarshal([]byte(out), &r)
	wantScoreValue(t, "sample sensitivity", r.Sample["sensitivity"], 0)
	wantScoreValue(t, "sample precision", r.Sample["precision"], math.NaN())
	wantScoreValue(t, "event f1", r.Event["f1"], 0)
	if !strings.Contains(errOut, "no hypothesis") {
		t.Errorf("no note about the missing hypothesis on stderr: %q", errOut)
	}
}

func TestEvaluateEmptyReference(t *testing.T) { // test_evaluate_dataset_empty_reference
	dir := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(dir, "ref", "sub-001", "rec.tsv"), nil, 60)
	writeSzcoreTSV(t, filepath.Join(dir, "hyp", "sub-001", "rec.tsv"), nil, 60)
	r := scoreJSONOf(t, filepath.Join(dir, "ref"), filepath.Join(dir, "hyp"), EvaluateConfig{})
	wantScoreValue(t, "event sensitivity", r.Event["sensitivity"], math.NaN())
	wantScoreValue(t, "event f1", r.Event["f1"], math.NaN())
	wantScoreValue(t, "event fpRate", r.Event["fpRate"], 0)
}

func TestEvaluateSensitivityStd(t *testing.T) { // test_evaluate_dataset_sensitivity_std
	dir := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(dir, "ref", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	writeSzcoreTSV(t, filepath.Join(dir, "ref", "sub-002", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	writeSzcoreTSV(t, filepath.Join(dir, "hyp", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	writeSzcoreTSV(t, filepath.Join(dir, "hyp", "sub-002", "rec.tsv"), nil, 60)
	r := scoreJSONOf(t, filepath.Join(dir, "ref"), filepath.Join(dir, "hyp"), EvaluateConfig{})
	// Subjects' sample sensitivities are 1 and 0.
	wantScoreValue(t, "sample sensitivity", r.Sample["sensitivity"], 0.5)
	wantScoreValue(t, "sample sensitivity_std", r.Sample["sensitivity_std"], 0.5)
	// Precision is 1 and NaN: nanmean 1, nanstd 0.
	wantScoreValue(t, "sample precision", r.Sample["precision"], 1)
	wantScoreValue(t, "sample precision_std", r.Sample["precision_std"], 0)
}

func TestEvaluateCumulated(t *testing.T) { // test_evaluate_dataset_cumulated
	dir := t.TempDir()
	writeSzcoreTSV(t, filepath.Join(dir, "ref", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	writeSzcoreTSV(t, filepath.Join(dir, "hyp", "sub-001", "rec.tsv"), [][2]float64{{10, 5}}, 60)
	out, _, _, err := evaluate(t, filepath.Join(dir, "ref"), filepath.Join(dir, "hyp"), EvaluateConfig{Cumulated: true})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range szcoreMetricKeys {
		if _, ok := raw["sample_results"][k]; !ok {
			t.Errorf("missing %s", k)
		}
		if _, ok := raw["sample_results"][k+"_std"]; ok {
			t.Errorf("cumulated results have %s_std; szcore-evaluation writes none", k)
		}
	}
}

// TestEvaluateBIDS scores a BIDS-layout dataset whose values are worked out by
// hand, with two subjects, a second session, sidecar TSVs to skip, a
// hypothesis of the wrong length and one without a reference.
func TestEvaluateBIDS(t *testing.T) {
	dir := t.TempDir()
	ref, hyp := filepath.Join(dir, "ref"), filepath.Join(dir, "hyp")
	rec := func(root, sub, ses string) string {
		return filepath.Join(root, sub, ses, "eeg", sub+"_"+ses+"_task-szMonitoring_run-00_events.tsv")
	}
	// sub-01 ses-01: 1 h, seizure [100, 130). Hypothesis [90, 120) detects it
	// and [2000, 2010) is a false alarm.
	writeSzcoreTSV(t, rec(ref, "sub-01", "ses-01"), [][2]float64{{100, 30}}, 3600)
	writeSzcoreTSV(t, rec(hyp, "sub-01", "ses-01"), [][2]float64{{90, 30}, {2000, 10}}, 3600)
	// sub-01 ses-02: 1 h, seizure [500, 560), hypothesis lasts 3601 s:
	// scored as no detections.
	writeSzcoreTSV(t, rec(ref, "sub-01", "ses-02"), [][2]float64{{500, 60}}, 3600)
	writeSzcoreTSV(t, rec(hyp, "sub-01", "ses-02"), [][2]float64{{500, 60}}, 3601)
	// sub-02: 2 h seizure-free; hypothesis with one false alarm of 5 s.
	writeSzcoreTSV(t, rec(ref, "sub-02", "ses-01"), nil, 7200)
	writeSzcoreTSV(t, rec(hyp, "sub-02", "ses-01"), [][2]float64{{4000, 5}}, 7200)
	os.WriteFile(filepath.Join(ref, "sub-02", "ses-01", "eeg", "sub-02_ses-01_channels.tsv"), []byte("name\ttype\nCz\tEEG\n"), 0o644)
	os.WriteFile(filepath.Join(ref, "participants.tsv"), []byte("participant_id\nsub-01\n"), 0o644)
	writeSzcoreTSV(t, rec(hyp, "sub-03", "ses-01"), nil, 60)

	out, table, errOut, err := evaluate(t, ref, hyp, EvaluateConfig{})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, note := range []string{"hypothesis lasts 3601 s, reference 3600 s", "sub-03", "no reference at that path"} {
		if !strings.Contains(errOut, note) {
			t.Errorf("stderr lacks %q:\n%s", note, errOut)
		}
	}
	var r scoreJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Recordings != 3 || len(r.Subjects) != 2 {
		t.Fatalf("%d recordings of %d subjects, want 3 of 2", r.Recordings, len(r.Subjects))
	}
	s1, s2 := r.Subjects[0], r.Subjects[1]
	// Event scoring, sub-01: 2 reference events, 1 detected, 1 false alarm
	// in 2 h = 7200 s → 72000 samples at 10 Hz.
	wantScoreValue(t, "sub-01 event refTrue", s1.Event["refTrue"], 2)
	wantScoreValue(t, "sub-01 event tp", s1.Event["tp"], 1)
	wantScoreValue(t, "sub-01 event fp", s1.Event["fp"], 1)
	wantScoreValue(t, "sub-01 event sensitivity", s1.Event["sensitivity"], 0.5)
	wantScoreValue(t, "sub-01 event precision", s1.Event["precision"], 0.5)
	wantScoreValue(t, "sub-01 event f1", s1.Event["f1"], 2.0/(2+1+1))
	wantScoreValue(t, "sub-01 event fpRate", s1.Event["fpRate"], 1/(72000.0/10/3600/24))
	// Sample scoring, sub-01: reference 30 + 60 s; tp 20 s ([100, 120));
	// fp 10 + 10 s.
	wantScoreValue(t, "sub-01 sample refTrue", s1.Sample["refTrue"], 90)
	wantScoreValue(t, "sub-01 sample tp", s1.Sample["tp"], 20)
	wantScoreValue(t, "sub-01 sample fp", s1.Sample["fp"], 20)
	wantScoreValue(t, "sub-01 sample sensitivity", s1.Sample["sensitivity"], 20.0/90)
	wantScoreValue(t, "sub-01 sample f1", s1.Sample["f1"], 40.0/(40+20+70))
	wantScoreValue(t, "sub-01 duration", s1.Sample["duration"], 7200)
	// sub-02: no reference events, one false alarm in 2 h.
	wantScoreValue(t, "sub-02 event sensitivity", s2.Event["sensitivity"], math.NaN())
	wantScoreValue(t, "sub-02 event precision", s2.Event["precision"], 0)
	wantScoreValue(t, "sub-02 event f1", s2.Event["f1"], 0)
	wantScoreValue(t, "sub-02 event fpRate", s2.Event["fpRate"], 12)
	// Over subjects: precision 0.5 and 0, fpRate 12 and 12.
	wantScoreValue(t, "event precision", r.Event["precision"], 0.25)
	wantScoreValue(t, "event precision_std", r.Event["precision_std"], 0.25)
	wantScoreValue(t, "event sensitivity", r.Event["sensitivity"], 0.5)
	wantScoreValue(t, "event sensitivity_std", r.Event["sensitivity_std"], 0)
	wantScoreValue(t, "event fpRate", r.Event["fpRate"], 12)
	wantScoreValue(t, "event tp", r.Event["tp"], 1)
	wantScoreValue(t, "event fp", r.Event["fp"], 2)

	// The table shows the same numbers.
	for _, w := range []string{"3 recordings of 2 subjects, 4.00 h", "sub-01", "0.500 ± 0.000", "0.250 ± 0.250", "12.000 ± 0.000", "n/a"} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %q:\n%s", w, table)
		}
	}

	// --duration-tolerance 1 truncates the 3601 s hypothesis instead, so
	// sub-01 ses-02's seizure is found.
	r = scoreJSONOf(t, ref, hyp, EvaluateConfig{DurationTolerance: 1})
	wantScoreValue(t, "sub-01 event tp with tolerance", r.Subjects[0].Event["tp"], 2)
}

func TestEvaluateSingleFiles(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "sub-07_ses-01_task-szMonitoring_run-00_events.tsv")
	hyp := filepath.Join(dir, "pred.tsv")
	// Reference events 40 s apart are merged into one (< 90 s); the
	// hypothesis covers neither but ends 20 s before the first: within the
	// 30 s tolerance before onset, so it is a detection.
	writeSzcoreTSV(t, ref, [][2]float64{{1000, 20}, {1060, 20}}, 3600)
	writeSzcoreTSV(t, hyp, [][2]float64{{970, 10}}, 3600)
	r := scoreJSONOf(t, ref, hyp, EvaluateConfig{})
	if len(r.Subjects) != 1 || r.Subjects[0].Subject != "sub-07" {
		t.Fatalf("subjects %+v", r.Subjects)
	}
	wantScoreValue(t, "event refTrue", r.Event["refTrue"], 1)
	wantScoreValue(t, "event tp", r.Event["tp"], 1)
	wantScoreValue(t, "event fp", r.Event["fp"], 0)
	wantScoreValue(t, "sample tp", r.Sample["tp"], 0)
	wantScoreValue(t, "sample fp", r.Sample["fp"], 10)
}

func TestEvaluateErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tsv")
	writeSzcoreTSV(t, good, [][2]float64{{1, 2}}, 60)
	bad := filepath.Join(dir, "bad.tsv")
	os.WriteFile(bad, []byte("onset\tduration\teventType\trecordingDuration\n1\t2\tsz\t60\n3\t4\tspike\t60\n"), 0o644)
	noDur := filepath.Join(dir, "nodur.tsv")
	os.WriteFile(noDur, []byte("onset\tduration\teventType\n1\t2\tsz\n"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(filepath.Join(empty, "sub-01"), 0o755)
	for _, c := range []struct {
		name     string
		ref, hyp string
		cfg      EvaluateConfig
		want     string
	}{
		{"dir and file", dir, good, EvaluateConfig{}, "must both be folders or both be TSV files"},
		{"missing ref", filepath.Join(dir, "nope.tsv"), good, EvaluateConfig{}, "reference: stat " + filepath.Join(dir, "nope.tsv")},
		{"missing hyp", good, filepath.Join(dir, "nope.tsv"), EvaluateConfig{}, "hypothesis: stat " + filepath.Join(dir, "nope.tsv")},
		{"bad hypothesis", good, bad, EvaluateConfig{}, "bad.tsv: byte"},
		{"bad hypothesis line and column", good, bad, EvaluateConfig{}, `line 3, column 3 (eventType): "spike"`},
		{"no recording duration", noDur, good, EvaluateConfig{}, "nodur.tsv: szcore: the first row's recordingDuration is n/a"},
		{"no annotation files", empty, empty, EvaluateConfig{}, "no annotation TSV files"},
		{"negative tolerance", good, good, EvaluateConfig{DurationTolerance: -1}, "must be >= 0"},
	} {
		_, _, _, err := evaluate(t, c.ref, c.hyp, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestEvaluateAlarmLatency checks the latencies added to the report, worked
// out by hand: early (on at the onset: 0), late, an earlier false alarm
// that event scoring merges with the detection, missed (no alarm, and an
// alarm only after the seizure ended) across two subjects.
func TestEvaluateAlarmLatency(t *testing.T) {
	dir := t.TempDir()
	ref, hyp := filepath.Join(dir, "ref"), filepath.Join(dir, "hyp")
	// sub-01 rec a: seizures [100, 130) and [1000, 1060); alarms at 90
	// (10 s early: on at the onset, latency 0) and at 1012 (12 s late),
	// after a false alarm at [930, 940) that event scoring merges into
	// [930, 1017), which spans the onset.
	writeSzcoreTSV(t, filepath.Join(ref, "sub-01", "a.tsv"), [][2]float64{{100, 30}, {1000, 60}}, 3600)
	writeSzcoreTSV(t, filepath.Join(hyp, "sub-01", "a.tsv"), [][2]float64{{90, 30}, {930, 10}, {1012, 5}}, 3600)
	// sub-01 rec b: seizure [500, 520), alarm only at [540, 550): a true
	// positive for event scoring (60 s tolerance after) but no alarm
	// during the seizure, so missed for latency.
	writeSzcoreTSV(t, filepath.Join(ref, "sub-01", "b.tsv"), [][2]float64{{500, 20}}, 3600)
	writeSzcoreTSV(t, filepath.Join(hyp, "sub-01", "b.tsv"), [][2]float64{{540, 10}}, 3600)
	// sub-02: seizure [200, 260), alarm at 230 (30 s late); seizure
	// [2000, 2030) with no alarm.
	writeSzcoreTSV(t, filepath.Join(ref, "sub-02", "a.tsv"), [][2]float64{{200, 60}, {2000, 30}}, 3600)
	writeSzcoreTSV(t, filepath.Join(hyp, "sub-02", "a.tsv"), [][2]float64{{230, 10}}, 3600)

	out, table, errOut, err := evaluate(t, ref, hyp, EvaluateConfig{})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var r struct {
		Event   map[string]*float64 `json:"event_results"`
		Latency map[string]*float64 `json:"alarm_latency"`
		Subj    []struct {
			Latency map[string]*float64 `json:"alarm_latency"`
			Events  []struct {
				Reference string   `json:"reference"`
				Onset     float64  `json:"onset"`
				Offset    float64  `json:"offset"`
				Alarm     *float64 `json:"alarm"`
				Latency   *float64 `json:"latency"`
			} `json:"event_latencies"`
		} `json:"subjects"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	wantScoreValue(t, "event tp", r.Event["tp"], 4)
	for _, c := range []struct {
		key  string
		want float64
	}{{"events", 5}, {"detected", 3}, {"missed", 2}, {"median", 12}, {"mean", (0 + 12 + 30) / 3.0}, {"min", 0}, {"max", 30}} {
		wantScoreValue(t, "alarm_latency."+c.key, r.Latency[c.key], c.want)
	}
	if len(r.Subj) != 2 {
		t.Fatalf("%d subjects", len(r.Subj))
	}
	wantScoreValue(t, "sub-01 median", r.Subj[0].Latency["median"], 6)
	wantScoreValue(t, "sub-01 missed", r.Subj[0].Latency["missed"], 1)
	ev := r.Subj[0].Events
	if len(ev) != 3 || ev[0].Onset != 100 || ev[0].Offset != 130 || !strings.HasSuffix(ev[2].Reference, "b.tsv") || ev[2].Latency != nil {
		t.Fatalf("sub-01 event latencies %+v", ev)
	}
	wantScoreValue(t, "sub-01 first latency", ev[0].Latency, 0)
	wantScoreValue(t, "sub-01 first alarm", ev[0].Alarm, 90)
	wantScoreValue(t, "sub-01 second latency", ev[1].Latency, 12)

	if !strings.Contains(table, "alarm latency") || !regexpMatch(`all events\s+5\s+3\s+2\s+12\.0\s+14\.0\s+0\.0\s+30\.0`, table) {
		t.Errorf("table lacks the latency summary:\n%s", table)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
