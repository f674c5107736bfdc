package report

import (
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/neurostream/neurostream/models/ssvep"
)

func TestClassOf(t *testing.T) {
	targets := []float64{8, 12.5, 15}
	for desc, want := range map[string]int{
		"ssvep/8Hz": 0, "12.5 Hz": 1, "target 15hz": 2, "SSVEP 15 HZ": 2,
		"rest": truthRest, "Rest": truthRest, "no-control": truthRest, "idle/eyes open": truthRest,
		"ssvep/9Hz": truthUnknown, "2": truthUnknown, "": truthUnknown, "interesting": truthUnknown, "arrest": truthUnknown,
	} {
		if got := classOf(desc, targets); got != want {
			t.Errorf("classOf(%q) = %d, want %d", desc, got, want)
		}
	}
}

// trials returns one trial row per (code, decision) pair, at onsets 0,
// 1000, 2000, … with meta.
func trials(meta *fileMeta, targets []float64, codeDecision ...[2]int64) []ssvepPoint {
	var out []ssvepPoint
	for i, cd := range codeDecision {
		out = append(out, ssvepPoint{window: int64(i) * 1000, eventCode: cd[0], decision: cd[1], hasCode: true,
			method: "fbcca", frequencies: targets, meta: meta})
	}
	return out
}

func TestSSVEPTruth(t *testing.T) {
	targets := []float64{13, 21, 17}
	// The exoskeleton recordings: codes 2, 3, 4 described "2", "3", "4".
	plain := &fileMeta{events: map[int64]string{2: "2", 3: "3", 4: "4"}}
	g := &ssvepGroup{targets: targets, trials: trials(plain, targets, [2]int64{4, 2}, [2]int64{2, 0}, [2]int64{3, 1}, [2]int64{2, 0})}
	truth, how := ssvepTruth(g)
	if want := map[int64]int{2: 0, 3: 1, 4: 2}; !mapsEqual(truth, want) || how != "true target: codes in ascending order as the targets" {
		t.Errorf("codes without descriptions: %v (%s), want %v in ascending order", truth, how, want)
	}
	// A session without code 3's trials: the run's codes still say
	// that code 4 is the third target.
	g.trials = trials(plain, targets, [2]int64{4, 2}, [2]int64{2, 0})
	if truth, _ := ssvepTruth(g); !mapsEqual(truth, map[int64]int{2: 0, 3: 1, 4: 2}) {
		t.Errorf("codes 2 and 4 of configured 2, 3, 4: %v", truth)
	}
	g.trials = trials(plain, targets, [2]int64{4, 2}, [2]int64{2, 0}, [2]int64{3, 1}, [2]int64{2, 0})
	// A fourth code (the exoskeleton's resting trials, code 1): no
	// order can be trusted.
	g.trials = append(g.trials, trials(plain, targets, [2]int64{1, 0})...)
	truth, how = ssvepTruth(g)
	for c, v := range truth {
		if v != truthUnknown {
			t.Errorf("4 codes for 3 targets: code %d taken as class %d (%s)", c, v, how)
		}
	}
	// Descriptions naming the frequency win over the order, and name rest.
	named := &fileMeta{events: map[int64]string{1: "rest", 2: "ssvep/21Hz", 3: "ssvep/13Hz", 4: "ssvep/17Hz"}}
	g.trials = trials(named, targets, [2]int64{1, -1}, [2]int64{2, 1}, [2]int64{3, 0}, [2]int64{4, 2})
	truth, how = ssvepTruth(g)
	if want := map[int64]int{1: truthRest, 2: 1, 3: 0, 4: 2}; !mapsEqual(truth, want) || how != "true target from the event descriptions" {
		t.Errorf("described codes: %v (%s), want %v", truth, how, want)
	}
}

func mapsEqual(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestConfusion counts a matrix with a rest class in the labels and the
// decisions and a code that names no target.
func TestConfusion(t *testing.T) {
	targets := []float64{8, 11}
	meta := &fileMeta{lengthSeconds: 2, events: map[int64]string{1: "ssvep/8Hz", 2: "ssvep/11Hz", 5: "rest", 9: "ssvep/30Hz"}}
	g := &ssvepGroup{method: "fbcca", length: 2, targets: targets, trials: trials(meta, targets,
		[2]int64{1, 0}, [2]int64{1, 0}, [2]int64{1, 1}, // 8 Hz: 2 of 3
		[2]int64{2, 1}, [2]int64{2, -1}, // 11 Hz: 1 of 2
		[2]int64{5, -1}, [2]int64{5, 0}, // rest: 1 of 2
		[2]int64{9, 1}, // not scored
	)}
	c := newConfusion(g)
	if !slices.Equal(c.rows, []string{"8 Hz", "11 Hz", "rest", "code 9"}) || !slices.Equal(c.cols, []string{"8 Hz", "11 Hz", "rest"}) {
		t.Fatalf("rows %q, columns %q", c.rows, c.cols)
	}
	want := [][]int{{2, 1, 0}, {0, 1, 1}, {1, 0, 1}, {0, 1, 0}}
	for r := range want {
		if !slices.Equal(c.counts[r], want[r]) {
			t.Errorf("row %s: %v, want %v", c.rows[r], c.counts[r], want[r])
		}
	}
	sc := c.score("s", g)
	if sc.Trials != 8 || sc.Scored != 7 || sc.Correct != 4 || sc.Classes != 3 {
		t.Errorf("score %+v: want 8 trials, 7 scored, 4 correct, 3 classes", sc)
	}
	if itr := ssvep.ITR(3, 4.0/7, 2.5); math.Abs(sc.ITR-itr) > 1e-12 || math.Abs(sc.Accuracy-4.0/7) > 1e-12 {
		t.Errorf("accuracy %v, ITR %v; want 4/7, %v", sc.Accuracy, sc.ITR, itr)
	}
	for r, want := range []string{"8 Hz · 67 % (2/3)", "11 Hz · 50 % (1/2)", "rest · 50 % (1/2)", "code 9 (not scored)"} {
		if got := c.rowLabel(r); got != want {
			t.Errorf("row label %q, want %q", got, want)
		}
	}
	// Without rest anywhere there is no rest row or column.
	g.trials = trials(meta, targets, [2]int64{1, 0}, [2]int64{2, 0})
	if c := newConfusion(g); len(c.cols) != 2 || len(c.rows) != 2 || c.classes != 2 {
		t.Errorf("no rest: rows %q, columns %q, %d classes", c.rows, c.cols, c.classes)
	}
}

// TestSSVEPGroups groups trial rows by method and window length (from
// the files' provenance, in seconds or in samples at the session's rate),
// counts a repeated onset once and leaves asynchronous rows out.
func TestSSVEPGroups(t *testing.T) {
	targets := []float64{8, 11}
	s := &session{id: "s", sampleRate: 256}
	two, inSamples, unknown := &fileMeta{lengthSeconds: 2}, &fileMeta{lengthSamples: 256}, &fileMeta{}
	s.ssvep = append(s.ssvep, trials(two, targets, [2]int64{1, 0}, [2]int64{2, 1})...)
	s.ssvep = append(s.ssvep, trials(two, targets, [2]int64{1, 0})...) // onset 0 again
	s.ssvep = append(s.ssvep, trials(inSamples, targets, [2]int64{1, 1}, [2]int64{2, 1}, [2]int64{1, 0})...)
	s.ssvep = append(s.ssvep, trials(unknown, targets, [2]int64{1, 0})...)
	s.ssvep = append(s.ssvep, ssvepPoint{window: 5000, method: "fbcca", frequencies: targets, meta: two}) // asynchronous
	cca := trials(two, targets, [2]int64{2, 1})
	cca[0].method = "cca"
	s.ssvep = append(s.ssvep, cca...)
	var got []string
	for _, g := range ssvepGroups(s) {
		got = append(got, g.label()+" "+string(rune('0'+len(g.trials))))
	}
	want := []string{"cca, 2 s 1", "fbcca, window length unknown 1", "fbcca, 1 s 3", "fbcca, 2 s 2"}
	if !slices.Equal(got, want) {
		t.Errorf("groups %q, want %q", got, want)
	}
}

// TestReadMeta reads the window length and the stim events from the
// provenance keys as config.Provenance writes them (docs/schemas.md).
func TestReadMeta(t *testing.T) {
	md := arrow.NewMetadata([]string{"neurostream.stages", "neurostream.config"}, []string{
		`{"preprocess":[],"stages":[],"window":{"events":{"codes":[1,2],"offset_seconds":0,"stim_channel":"STI"},"hop":0,"hop_seconds":0,"length":0,"length_seconds":2,"warmup_seconds":0}}`,
		`{"source":{"stim":{"channel":"STI","events":[{"code":1,"description":"ssvep/8Hz"},{"code":2,"description":"ssvep/11Hz"}]}}}`,
	})
	m := readMeta(md)
	if m.lengthSeconds != 2 || m.events[1] != "ssvep/8Hz" || m.events[2] != "ssvep/11Hz" {
		t.Errorf("readMeta: %+v", m)
	}
	m = readMeta(arrow.NewMetadata([]string{"neurostream.stages"}, []string{`{"window":{"length":512}}`}))
	if got := m.windowSeconds(&session{sampleRate: 256}); got != 2 {
		t.Errorf("512 samples at 256 Hz: %v s", got)
	}
	if got := m.windowSeconds(&session{}); !math.IsNaN(got) {
		t.Errorf("samples at an unknown rate: %v s, want NaN", got)
	}
	if m := readMeta(arrow.NewMetadata([]string{"neurostream.stages"}, []string{"{not json"})); !math.IsNaN(m.windowSeconds(&session{})) {
		t.Errorf("malformed provenance gave a length")
	}
}
