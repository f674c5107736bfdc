package train_test

import (
	"flag"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
)

// Flags to measure other detectors on the Malow record the same way
// (docs/seizure.md): go test -run TestMalowMonitor ./pipeline/train -args
// -malow-model FILE -malow-window 2,0.5.
var (
	malowModel  = flag.String("malow-model", "", "TestMalowMonitor: this model file instead of the shipped one")
	malowWindow = flag.String("malow-window", "", "TestMalowMonitor: window length,hop in s instead of the shipped config's")
	malowSmooth = flag.Int("malow-smoothing", 0, "TestMalowMonitor: this smoothing (windows) instead of the shipped config's")
)

// malowOnset is the Malow record's seizure onset in s (SOURCES.md §2:
// "after about 350 s"; 350–355 s).
const malowOnset = 350

// malowRun is what the seizure stage said over the Malow record: every
// window's start, end and state, and the events.
type malowRun struct {
	start, end []float64 // s
	prob       []float64
	ictal      []bool
	events     [][2]float64
}

// firstAlarm returns the end of the first window in alarm state at or
// after from s (when a streaming system knows), or -1.
func (r malowRun) firstAlarm(from float64) float64 {
	for i, ictal := range r.ictal {
		if ictal && r.start[i] >= from {
			return r.end[i]
		}
	}
	return -1
}

// falseAlarms returns the ends of the windows in alarm state that end
// before the onset.
func (r malowRun) falseAlarms() []float64 {
	var out []float64
	for i, ictal := range r.ictal {
		if ictal && r.end[i] < malowOnset {
			out = append(out, r.end[i])
		}
	}
	return out
}

// runMalowMonitor runs configs/seizure-monitor.yaml (its window, common
// average and seizure stage with the shipped model and settings) on the
// Malow record from files: the 21 text channels at 100 Hz, named as
// SOURCES.md gives them, resampled to the model's 256 Hz first (the
// config's comment: recordings at another rate need a resample step).
// The flags -malow-model, -malow-window and -malow-smoothing replace the
// model file, the window and the smoothing.
func runMalowMonitor(t *testing.T) malowRun {
	dir := filepath.Join(testenv.DataDir(t), "malow-seizure-eeg")
	c, err := config.Load(nil, "../../configs/seizure-monitor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Source.Kafka, c.Output.Kafka, c.Metrics.Listen = config.KafkaSource{}, config.KafkaOutput{}, ""
	c.Source.Files = config.Files{Paths: []string{dir}, SampleRate: 100, Unit: "uV", ChannelFiles: "ch*.inp",
		ChannelLabels: strings.Split("Fp1,Fp2,F3,F4,C3,C4,P3,P4,O1,O2,SP1,SP2,F7,F8,T3,T4,T5,T6,Fz,Cz,Pz", ",")}
	c.Preprocess = append([]config.Stage{{Type: "resample", Options: map[string]any{"up": 64, "down": 25}}}, c.Preprocess...)
	if len(c.Stages) != 1 || c.Stages[0].Type != "seizure" {
		t.Fatalf("configs/seizure-monitor.yaml: stages %+v, want the seizure stage alone", c.Stages)
	}
	model := "../../" + c.Stages[0].Options["model"].(string)
	if *malowModel != "" {
		model = *malowModel
	}
	c.Stages[0].Options["model"] = model
	if *malowSmooth > 0 {
		c.Stages[0].Options["smoothing"] = *malowSmooth
	}
	if w := *malowWindow; w != "" {
		l, h, _ := strings.Cut(w, ",")
		var err1, err2 error
		c.Window.LengthSeconds, err1 = strconv.ParseFloat(l, 64)
		c.Window.HopSeconds, err2 = strconv.ParseFloat(h, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("-malow-window %q: want length,hop in s", w)
		}
	}
	type row struct {
		p     float64
		ictal bool
	}
	var out malowRun // events filled by the sink (one session, one worker writes)
	sink := &rows{kind: arrowout.KindSeizure, got: map[string]map[int64]any{}, windows: map[string][]int64{},
		keep: func(rec arrow.Record, i int) (any, bool) {
			switch column[*array.String](rec, "row_type").Value(i) {
			case arrowout.SeizureRowWindow:
				return row{column[*array.Float64](rec, "probability").Value(i), column[*array.String](rec, "state").Value(i) == "ictal"}, true
			case "event":
				out.events = append(out.events, [2]float64{column[*array.Float64](rec, "onset_seconds").Value(i), column[*array.Float64](rec, "offset_seconds").Value(i)})
			}
			return nil, false
		}}
	runConfig(t, c, sink)
	const rate = 256
	length := c.Window.LengthSeconds
	starts := slices.Clone(sink.windows["malow-seizure-eeg"])
	slices.Sort(starts)
	for _, s := range slices.Compact(starts) {
		r := sink.got["malow-seizure-eeg"][s].(row)
		out.start = append(out.start, float64(s)/rate)
		out.end = append(out.end, float64(s)/rate+length)
		out.prob, out.ictal = append(out.prob, r.p), append(out.ictal, r.ictal)
	}
	if len(out.start) == 0 {
		t.Fatal("the stage scored no window")
	}
	return out
}

// TestMalowMonitor runs the shipped seizure monitor on the Malow record
// and reports when its alarm goes on: the end of the first window in
// alarm state (the stage's per-window state, the immediate alarm) and
// any such window before the onset, and the events. It asserts what the
// shipped detector does (docs/seizure.md, "Seizure onset"): no alarm
// before 350 s (the model on absolute per-channel features it replaced
// was in alarm state at 83–84 s), the alarm on by 360 s and an event
// from the onset. The goal, an alarm by 358 s, is not reached
// (the figures are logged). Without ../shared/data it skips (fails
// under CI=true).
func TestMalowMonitor(t *testing.T) {
	r := runMalowMonitor(t)
	first, early := r.firstAlarm(malowOnset), r.falseAlarms()
	var top []float64 // the highest probabilities of windows ending before the onset
	for i, p := range r.prob {
		if r.end[i] < malowOnset {
			top = append(top, p)
		}
	}
	slices.Sort(top)
	t.Logf("highest window probabilities before %d s: %.3f", malowOnset, top[max(len(top)-5, 0):])
	t.Logf("%d windows; first alarm at or after %d s: window ending %v s; alarm windows before %d s end at %v; events %v",
		len(r.start), malowOnset, first, malowOnset, early, r.events)
	for i := range r.start {
		if r.start[i] >= 340 && r.start[i] <= 360 {
			t.Logf("window %v–%v s: p %.3f, ictal %v", r.start[i], r.end[i], r.prob[i], r.ictal[i])
		}
	}
	if len(early) > 0 {
		t.Errorf("alarm state before the onset: windows ending at %v s", early)
	}
	if first < 0 || first > 360 {
		t.Errorf("first alarm after the onset at %v s, want by 360 s", first)
	}
	var found bool
	for _, ev := range r.events {
		found = found || ev[0] <= 380 && ev[1] > malowOnset
	}
	if !found {
		t.Errorf("events %v: none starts by 380 s and lasts past the onset", r.events)
	}
}
