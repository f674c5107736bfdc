package lslout

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/internal/pyhelper"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/lsl/lsltest"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func uniquePrefix() string {
	return fmt.Sprintf("ns-test-out-%d-%08x", time.Now().UnixNano()%1e6, rand.Uint32())
}

// python runs script with args under the pinned virtualenv with pylsl,
// LSLAPICFG set; it skips without pylsl (fails under CI=true).
func python(t *testing.T, script string, args ...string) *pyhelper.Proc {
	t.Helper()
	return pyhelper.Start(t, pyhelper.Config{
		Script:   script,
		Args:     args,
		Env:      []string{"LSLAPICFG=" + lsltest.ConfigFile},
		Requires: "pylsl",
		Name:     "python",
	})
}

// docScript extracts the python block of docs/bci.md's stimulus loop.
func docScript(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "bci.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "TestDocStimulusLoop")
	if i < 0 {
		t.Fatal("docs/bci.md: the stimulus loop's marker comment is gone")
	}
	doc = doc[i:]
	start := strings.Index(doc, "```python\n")
	end := strings.Index(doc[start+10:], "\n```")
	path := filepath.Join(t.TempDir(), "speller.py")
	if err := os.WriteFile(path, []byte(doc[start+10:start+10+end+1]), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ssvepResult builds one ssvep record of the given windows.
func ssvepResult(session string, rate float64, startNS int64, rows []arrowout.SSVEPRow, windows []int64) arrowout.Result {
	b := arrowout.NewSSVEPRows(nil)
	defer b.Release()
	var key arrowout.WindowKey
	for i, row := range rows {
		w := windows[i]
		key = arrowout.WindowKey{Session: session, Window: w, StartSample: 64 * w, StartTimeNS: startNS + int64(float64(64*w)/rate*1e9)}
		b.Append(key, &row)
	}
	return arrowout.Result{Kind: arrowout.KindSSVEP, Key: key, Record: b.Flush()}
}

// TestDocStimulusLoop runs the PsychoPy-style loop of docs/bci.md (pylsl)
// against a Sink: it resolves the SSVEP stream by name, connects before
// the first decision, and gets every decision with its confidence and
// the LSL time of its window's start.
func TestDocStimulusLoop(t *testing.T) {
	prefix := uniquePrefix()
	s, err := New(Config{LSL: lsltest.Config(t), Kinds: []arrowout.Kind{arrowout.KindSSVEP}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	py := python(t, docScript(t), prefix+"-ssvep", "3")
	if l := py.Line(30 * time.Second); l != "connected" {
		t.Fatalf("first line %q", l)
	}
	ssvep, _ := s.Outlets()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := ssvep.WaitForConsumers(ctx); err != nil {
		t.Fatal(err)
	}
	freqs := []float64{8, 11, 13, 15}
	rows := []arrowout.SSVEPRow{
		{Method: "fbcca", Decision: 2, Frequency: 13, Score: 0.61, Margin: 0.125, Scores: []float64{.2, .3, .61, .4}, Frequencies: freqs},
		{Method: "fbcca", Decision: -1, Frequency: math.NaN(), Score: 0.2, Margin: 0.01, Scores: []float64{.2, .19, .1, .1}, Frequencies: freqs},
		{Method: "fbcca", Decision: 0, Frequency: 8, Score: 0.7, Margin: 0.3, Scores: []float64{.7, .4, .3, .2}, Frequencies: freqs},
	}
	start := time.Now().Add(-3 * time.Second).UnixNano()
	// Two writes: one record of two windows, then one of one.
	if err := s.Write(t.Context(), []arrowout.Result{ssvepResult("sub-01", 256, start, rows[:2], []int64{10, 11})}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(t.Context(), []arrowout.Result{ssvepResult("sub-01", 256, start, rows[2:], []int64{12})}); err != nil {
		t.Fatal(err)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^trial 0: 13 Hz \(window 10, score 0\.610, margin 0\.125\), window began (\d+) ms ago$`),
		regexp.MustCompile(`^trial 1: rest \(score 0\.200\)$`),
		regexp.MustCompile(`^trial 2: 8 Hz \(window 12, score 0\.700, margin 0\.300\), window began (\d+) ms ago$`),
	}
	for i, re := range want {
		l := py.Line(30 * time.Second)
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %d: %q, want %v\n%s", i, l, re, py.Log())
		}
		if len(m) > 1 {
			// Window 10 began 10·64/256 s after start, 3 s ago: 500 ms
			// before now, plus the time the lines took.
			var age float64
			fmt.Sscan(m[1], &age)
			w := 10 + 2*(i/2)
			if exp := 3000 - float64(64*w)/256*1000; age < exp-50 || age > exp+12000 {
				t.Errorf("line %d: window began %v ms ago, want about %v", i, age, exp)
			}
		}
	}
	if n := s.Counts()[arrowout.KindSSVEP]; n != 3 {
		t.Errorf("%d decisions pushed, want 3", n)
	}
}

// pyEvent is a line of lsl/testdata/pylsl_helper.py's inlet mode.
type pyEvent struct {
	Event  string            `json:"event"`
	TS     float64           `json:"ts"`
	Recv   float64           `json:"recv"`
	Values []json.RawMessage `json:"values"`
	Labels []string          `json:"labels"`
	Units  []string          `json:"units"`
	Rate   float64           `json:"rate"`
	N      int               `json:"n"`
}

// pylslInlet runs the lsl package's pylsl helper as an inlet of the
// stream with source_id id, reading n samples; its function returns the
// helper's next event.
func pylslInlet(t *testing.T, id string, n int) func() pyEvent {
	t.Helper()
	script := filepath.Join("..", "..", "lsl", "testdata", "pylsl_helper.py")
	arg, _ := json.Marshal(map[string]any{"source_id": id, "n": n, "timeout": 30})
	p := python(t, script, "inlet", string(arg))
	return func() pyEvent {
		t.Helper()
		var ev pyEvent
		p.Next(30*time.Second, &ev)
		return ev
	}
}

// TestPylslFloatSSVEPAndSeizure: the float SSVEP stream and the seizure
// marker stream, read by liblsl: values, labels and time stamps on the LSL
// clock; seizure alarms only where the state changes.
func TestPylslFloatSSVEPAndSeizure(t *testing.T) {
	prefix := uniquePrefix()
	s, err := New(Config{LSL: lsltest.Config(t), Kinds: []arrowout.Kind{arrowout.KindSSVEP, arrowout.KindSeizure}, Prefix: prefix, SSVEPFormat: FormatFloat})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ssvepIn := pylslInlet(t, prefix+"-ssvep", 2)
	seizIn := pylslInlet(t, prefix+"-seizure", 3)
	ready := ssvepIn()
	if ready.Event != "ready" || strings.Join(ready.Labels, ",") != strings.Join(SSVEPChannels, ",") {
		t.Fatalf("ssvep stream: %+v", ready)
	}
	if ev := seizIn(); ev.Event != "ready" {
		t.Fatalf("seizure stream: %+v", ev)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	sv, sz := s.Outlets()
	if err := sv.WaitForConsumers(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sz.WaitForConsumers(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-10 * time.Second).UnixNano()
	freqs := []float64{8, 11}
	rows := []arrowout.SSVEPRow{
		{Method: "cca", Decision: 1, Frequency: 11, Score: 0.5, Margin: 0.25, Scores: []float64{.25, .5}, Frequencies: freqs},
		{Method: "cca", Decision: -1, Frequency: math.NaN(), Score: 0.1, Margin: 0, Scores: []float64{.1, .1}, Frequencies: freqs},
	}
	clock0 := lsl.LocalClock() - float64(time.Now().UnixNano()-start)/1e9 // the LSL time of start
	if err := s.Write(t.Context(), []arrowout.Result{ssvepResult("s1", 256, start, rows, []int64{4, 5})}); err != nil {
		t.Fatal(err)
	}
	writeSeizureRows(t, s, start)
	checkFloatSSVEP(t, ssvepIn, clock0)
	checkSeizureMarkers(t, seizIn, clock0)
}

// writeSeizureRows writes session s1's seizure rows: background, ictal
// (alarm), ictal, background (alarm_end), one window a second from start,
// then an event row.
func writeSeizureRows(t *testing.T, s *Sink, start int64) {
	t.Helper()
	b := arrowout.NewSeizureRows(nil)
	for w, ictal := range []bool{false, true, true, false} {
		k := arrowout.WindowKey{Session: "s1", Window: int64(w), StartSample: int64(256 * w), StartTimeNS: start + int64(w)*1e9}
		b.AppendWindow(k, 0.2+0.2*float64(w), 0.5, ictal)
	}
	ek := arrowout.WindowKey{Session: "s1", Window: 4, StartSample: 1024, StartTimeNS: start + 4e9}
	b.AppendEvent(ek, arrowout.SeizureEvent{Onset: 1, Offset: 3, OnsetSample: 256, OffsetSample: 768, OnsetTimeNS: start + 1e9, OffsetTimeNS: start + 3e9, Confidence: 0.8}, []string{"T3", "T5"})
	rec := b.Flush()
	b.Release()
	if err := s.Write(t.Context(), []arrowout.Result{{Kind: arrowout.KindSeizure, Key: ek, Record: rec}}); err != nil {
		t.Fatal(err)
	}
	rec.Release()
}

// checkFloatSSVEP reads the two float SSVEP samples of windows 4 and 5
// (256 Hz, hop 64) and checks their values (NaN for rest's frequency)
// and time stamps, the windows' starts on the LSL clock from clock0.
func checkFloatSSVEP(t *testing.T, in func() pyEvent, clock0 float64) {
	t.Helper()
	for i, want := range [][]float64{{1, 11, 0.5, 0.25, 256 * 4 / 4 * 1}, {-1, math.NaN(), 0.1, 0, 320}} {
		want[4] = float64(64 * (4 + i))
		ev := in()
		if ev.Event != "sample" || len(ev.Values) != 5 {
			t.Fatalf("ssvep sample %d: %+v", i, ev)
		}
		for c, raw := range ev.Values {
			var v float64
			if string(raw) == "null" {
				v = math.NaN()
			} else if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			if v != want[c] && !(math.IsNaN(v) && math.IsNaN(want[c])) {
				t.Errorf("ssvep sample %d channel %s: %v, want %v", i, SSVEPChannels[c], v, want[c])
			}
		}
		wantTS := clock0 + float64(64*(4+i))/256
		if math.Abs(ev.TS-wantTS) > 2e-3 {
			t.Errorf("ssvep sample %d: time stamp %.6f, want %.6f (the window start on the LSL clock)", i, ev.TS, wantTS)
		}
	}
}

// checkSeizureMarkers reads writeSeizureRows's markers: the alarm at 1 s,
// its end at 3 s and the event at its onset, 1 s, on the LSL clock from
// clock0.
func checkSeizureMarkers(t *testing.T, in func() pyEvent, clock0 float64) {
	t.Helper()
	for i, want := range []struct {
		typ string
		ts  float64
	}{{"alarm", clock0 + 1}, {"alarm_end", clock0 + 3}, {"event", clock0 + 1}} {
		ev := in()
		var m seizureMarker
		var text string
		if len(ev.Values) != 1 || json.Unmarshal(ev.Values[0], &text) != nil || json.Unmarshal([]byte(text), &m) != nil {
			t.Fatalf("seizure sample %d: %+v", i, ev)
		}
		if m.Type != want.typ || m.Session != "s1" || math.Abs(ev.TS-want.ts) > 2e-3 {
			t.Errorf("seizure sample %d: %s at %.6f, want %s at %.6f", i, text, ev.TS, want.typ, want.ts)
		}
		if m.Type == "event" && (*m.Confidence != 0.8 || strings.Join(m.Channels, ",") != "T3,T5" || *m.OnsetSample != 256) {
			t.Errorf("event %s", text)
		}
	}
}

// TestPylslBandPower: a session's band powers as a regular stream read by
// liblsl, one channel per (channel, band), until the session ends.
func TestPylslBandPower(t *testing.T) {
	prefix := uniquePrefix()
	s, err := New(Config{LSL: lsltest.Config(t), Kinds: []arrowout.Kind{arrowout.KindBandPower}, Prefix: prefix, BandPowerRate: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now().UnixNano()
	write := func(w int64) {
		b := arrowout.NewBandPowerRows(nil)
		defer b.Release()
		k := arrowout.WindowKey{Session: "sub-07", Window: w, StartSample: 64 * w, StartTimeNS: start + w*250e6}
		for c, ch := range []string{"O1", "O2"} {
			for j, band := range []string{"alpha", "beta"} {
				b.Append(k, ch, "V", band, 8, 13, float64(w)+float64(2*c+j)/10, 0.1)
			}
		}
		rec := b.Flush()
		defer rec.Release()
		if err := s.Write(t.Context(), []arrowout.Result{{Kind: arrowout.KindBandPower, Key: k, Record: rec}}); err != nil {
			t.Fatal(err)
		}
	}
	write(0) // opens the session's stream
	in := pylslInlet(t, prefix+"-bandpower/sub-07", 3)
	ready := in()
	if ready.Rate != 4 || strings.Join(ready.Labels, ",") != "O1/alpha,O1/beta,O2/alpha,O2/beta" || ready.Units[0] != "V²" {
		t.Fatalf("band-power stream: %+v", ready)
	}
	s.mu.Lock()
	out := s.bands["sub-07"].out
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := out.WaitForConsumers(ctx); err != nil {
		t.Fatal(err)
	}
	for w := int64(1); w <= 3; w++ {
		write(w)
	}
	for w := 1; w <= 3; w++ {
		ev := in()
		var got []float64
		for _, raw := range ev.Values {
			var v float64
			json.Unmarshal(raw, &v)
			got = append(got, v)
		}
		want := []float64{float64(w), float64(w) + .1, float64(w) + .2, float64(w) + .3}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("window %d: %v, want %v", w, got, want)
		}
	}
	end := arrowout.WindowKey{Session: "sub-07", Window: 4, StartSample: 256}
	rec := arrowout.SessionEndRecord(nil, end, arrowout.SessionEnd{Reason: arrowout.EndFinal, SampleRate: 256})
	defer rec.Release()
	if err := s.Write(t.Context(), []arrowout.Result{{Kind: arrowout.KindSessionEnd, Key: end, Record: rec}}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	n := len(s.bands)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d band-power streams open after the session ended", n)
	}
}
