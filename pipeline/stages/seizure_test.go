package stages

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/simulate"
)

// seizureWindow is channels EEG channels (E0, E1, …) of n samples at fs Hz
// of 20 µV white noise, plus a 150 µV 5 Hz rhythm when ictal, and one EOG
// channel of noise.
func seizureWindow(n, channels int, fs float64, ictal bool, seed uint64) *pipeline.Window {
	r := rand.New(rand.NewPCG(seed, 17))
	w := &pipeline.Window{WindowKey: arrowout.WindowKey{Session: "s"}, SampleRate: fs}
	for c := range channels + 1 {
		ch := formats.Channel{Label: "E" + strconv.Itoa(c), Type: formats.EEG, Unit: "V"}
		if c == channels {
			ch = formats.Channel{Label: "EOG", Type: formats.EOG, Unit: "V"}
		}
		w.Channels = append(w.Channels, ch)
		x := make([]float64, n)
		for i := range x {
			x[i] = 20e-6 * r.NormFloat64()
			if ictal && c < channels {
				x[i] += 150e-6 * math.Sin(2*math.Pi*5*float64(i)/fs+float64(c))
			}
		}
		w.Data = append(w.Data, x)
	}
	return w
}

// saveSeizureModel saves m to a temporary file and returns its path.
func saveSeizureModel(t *testing.T, m *seizure.Model) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seizure.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// syntheticSeizureModel trains a model on seizureWindow windows and saves
// it; it returns the file.
func syntheticSeizureModel(t *testing.T, n, channels int, fs float64) string {
	t.Helper()
	spec := seizure.FeatureConfig{SampleRate: fs, WindowLen: n, Channels: channels}
	ex, err := seizure.NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	var X [][]float64
	var y []bool
	for i := range 40 {
		w := seizureWindow(n, channels, fs, i%2 == 0, uint64(i))
		X = append(X, ex.Features(nil, w.Data[:channels]))
		y = append(y, i%2 == 0)
	}
	m, err := seizure.Train(spec, X, y, seizure.TrainConfig{Lambda: 1})
	if err != nil {
		t.Fatal(err)
	}
	return saveSeizureModel(t, m)
}

func TestSeizureConfigErrors(t *testing.T) {
	model := syntheticSeizureModel(t, 256, 2, 128)
	for want, opts := range map[string]map[string]any{
		"model: required": {},
		"model: open":     {"model": filepath.Join(t.TempDir(), "none.json")},
		"channels[1]: \"E0\" repeats channels[0]":         {"model": model, "channels": []any{"E0", "E0"}},
		"channels: 3 labels, but model":                   {"model": model, "channels": []any{"E0", "E1", "E2"}},
		"smoothing: want ≥ 1":                             {"model": model, "smoothing": -1},
		"on_threshold: want a probability in [0, 1]":      {"model": model, "on_threshold": 1.5},
		"off_threshold: want a probability in [0, 1]":     {"model": model, "off_threshold": -0.1},
		"off_threshold: 0.8 is above on_threshold 0.7":    {"model": model, "off_threshold": 0.8},
		"min_duration_seconds: want a finite duration":    {"model": model, "min_duration_seconds": -1},
		"merge_gap_seconds: want a finite duration ≥ 0 s": {"model": model, "merge_gap_seconds": -5},
		"invalid keys: threshold":                         {"model": model, "threshold": 0.5},
	} {
		wantBuildError(t, "seizure", opts, want)
	}
}

// TestSeizureSessionErrors: problems only a session reveals.
func TestSeizureSessionErrors(t *testing.T) {
	model := syntheticSeizureModel(t, 256, 2, 128)
	w := seizureWindow(256, 4, 128, false, 1)
	si := session(w)
	for want, c := range map[string]struct {
		opts map[string]any
		si   pipeline.SessionInfo
	}{
		"seizure: channels: channel \"Oz\" is not in this session":                                          {map[string]any{"model": model, "channels": []any{"E1", "Oz"}}, si},
		"seizure: picks: 4 channels of the session picked, model":                                           {map[string]any{"model": model}, si},
		"is for 128 Hz, the session is at 256 Hz: add the preprocess step {type: resample, up: 1, down: 2}": {map[string]any{"model": model, "channels": []any{"E0", "E1"}}, pipeline.SessionInfo{Session: "s", SampleRate: 256, Channels: w.Channels, WindowLength: 256}},
		"is for windows of 256 samples, the session's are 512":                                              {map[string]any{"model": model, "channels": []any{"E0", "E1"}}, pipeline.SessionInfo{Session: "s", SampleRate: 128, Channels: w.Channels, WindowLength: 512}},
	} {
		b, errs := Build("seizure", "", c.opts)
		if errs != nil {
			t.Fatal(c.opts, errs)
		}
		_, err := b.NewSession(c.si)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want %q", c.opts, err, want)
		}
	}
}

// TestSeizureStageRows: window rows carry the probability, its moving
// average and the state; an ictal stretch becomes one event row with the
// window that finalises it, giving the event's onset and offset in
// seconds, samples and wall-clock time; the end row gives the session's.
func TestSeizureStageRows(t *testing.T) {
	const n, fs = 256, 128.0
	const t0 = int64(1_700_000_000_000_000_000) // the session's sample 0, unix ns
	model := syntheticSeizureModel(t, n, 2, fs)
	bg, sz := seizureWindow(n, 2, fs, false, 100), seizureWindow(n, 2, fs, true, 101)
	b, errs := Build("seizure", "", map[string]any{"model": model, "smoothing": 2, "min_duration_seconds": 3, "merge_gap_seconds": 4})
	if errs != nil {
		t.Fatal(errs)
	}
	si := session(bg)
	si.StartTimeNS = t0
	st, err := b.NewSession(si)
	if err != nil {
		t.Fatal(err)
	}
	// Windows of 2 s every 1 s: 5 background, 6 ictal, 10 background.
	var rows seizureRows
	for k := range 21 {
		w := bg
		if k >= 5 && k < 11 {
			w = sz
		}
		w.WindowKey = arrowout.WindowKey{Session: "s", Window: int64(k), StartSample: int64(k) * 128, StartTimeNS: t0 + int64(k)*1e9}
		res, err := st.Process(w)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Kind != arrowout.KindSeizure || !res[0].Record.Schema().Equal(arrowout.SeizureSchema) {
			t.Fatalf("window %d: results %v", k, res)
		}
		rows.add(t, k, res[0].Record)
		res[0].Record.Release()
	}
	probs, smoothed, states := rows.probs, rows.smoothed, rows.states
	for k := range probs {
		want := probs[k]
		if k > 0 {
			want = (probs[k-1] + probs[k]) / 2
		}
		if math.Abs(smoothed[k]-want) > 1e-12 {
			t.Errorf("window %d: smoothed %v, want %v", k, smoothed[k], want)
		}
	}
	t.Logf("probabilities %.2f\nstates %v", probs, states)
	// Smoothing over 2: window 5 averages one background and one ictal
	// probability (below 0.7), so the state is ictal from window 6 to
	// window 11 (the same average holds it above 0.3) and background
	// from window 12: the event is [6, 13) s, final at the first window
	// starting 4 s after 13 s, window 17.
	conf := 0.0
	for _, v := range smoothed[6:12] {
		conf += v / 6
	}
	events, eventAt := rows.events, rows.eventAt
	if len(events) != 1 || events[0].onset != 6 || events[0].offset != 13 || math.Abs(events[0].conf-conf) > 1e-12 || eventAt[0] != 17 {
		t.Fatalf("events %+v at windows %v, want [6, 13) s, confidence %v, at window 17", events, eventAt, conf)
	}
	for k, s := range states {
		if want := k >= 6 && k <= 11; (s == "ictal") != want {
			t.Errorf("window %d: state %s", k, s)
		}
	}
	// [6, 13) s at 128 Hz; the row's start_time is window 17's.
	if want := (seizureSpan{6 * 128, 13 * 128, t0 + 6e9, t0 + 13e9, t0 + 17e9}); rows.spans[0] != want {
		t.Errorf("event span %+v, want %+v", rows.spans[0], want)
	}

	checkSeizureEnd(t, st, t0)
}

// checkSeizureEnd finishes TestSeizureStageRows's session after window 20
// (a 22 s session at 128 Hz from t0) and checks its end row.
func checkSeizureEnd(t *testing.T, st pipeline.Stage, t0 int64) {
	t.Helper()
	end := arrowout.WindowKey{Session: "s", Window: 21, StartSample: 22 * 128, StartTimeNS: t0 + 22e9}
	res, err := st.(pipeline.Finisher).Finish(end)
	if err != nil {
		t.Fatal(err)
	}
	rec := res[0].Record
	defer rec.Release()
	last := int(rec.NumRows()) - 1
	if rt := column[*array.String](t, rec, "row_type").Value(last); rt != "end" ||
		column[*array.Float64](t, rec, "offset_seconds").Value(last) != 22 || column[*array.Int64](t, rec, "offset_sample").Value(last) != 22*128 ||
		int64(column[*array.Timestamp](t, rec, "offset_time").Value(last)) != t0+22e9 || !column[*array.Int64](t, rec, "onset_sample").IsNull(last) {
		t.Errorf("end row wrong: %v", rec)
	}
}

// seizureRows gathers a seizure stage's rows: per window row its
// probability, smoothed probability and state; per event row its onset,
// offset and confidence, the window that emitted it and its span.
type seizureRows struct {
	probs, smoothed []float64
	states          []string
	events          []seizureEvent
	eventAt         []int64
	spans           []seizureSpan
}

type seizureEvent struct{ onset, offset, conf float64 }

type seizureSpan struct{ onSample, offSample, onTime, offTime, rowTime int64 }

// add gathers the rows of rec, window k's result, checking that window
// rows have null event columns and event rows a null smoothed column and
// the channels E0, E1.
func (r *seizureRows) add(t *testing.T, k int, rec arrow.Record) {
	t.Helper()
	rt := column[*array.String](t, rec, "row_type")
	for i := range int(rec.NumRows()) {
		switch rt.Value(i) {
		case "window":
			r.probs = append(r.probs, column[*array.Float64](t, rec, "probability").Value(i))
			r.smoothed = append(r.smoothed, column[*array.Float64](t, rec, "smoothed").Value(i))
			r.states = append(r.states, column[*array.String](t, rec, "state").Value(i))
			if !column[*array.Float64](t, rec, "onset_seconds").IsNull(i) || !column[*array.List](t, rec, "channels").IsNull(i) ||
				!column[*array.Int64](t, rec, "onset_sample").IsNull(i) || !column[*array.Timestamp](t, rec, "offset_time").IsNull(i) {
				t.Errorf("window %d: event columns not null", k)
			}
		case "event":
			r.events = append(r.events, seizureEvent{column[*array.Float64](t, rec, "onset_seconds").Value(i),
				column[*array.Float64](t, rec, "offset_seconds").Value(i), column[*array.Float64](t, rec, "confidence").Value(i)})
			r.eventAt = append(r.eventAt, column[*array.Int64](t, rec, "window").Value(i))
			r.spans = append(r.spans, seizureSpan{column[*array.Int64](t, rec, "onset_sample").Value(i), column[*array.Int64](t, rec, "offset_sample").Value(i),
				int64(column[*array.Timestamp](t, rec, "onset_time").Value(i)), int64(column[*array.Timestamp](t, rec, "offset_time").Value(i)),
				int64(column[*array.Timestamp](t, rec, "start_time").Value(i))})
			ch := column[*array.List](t, rec, "channels")
			lo, hi := ch.ValueOffsets(i)
			if hi-lo != 2 || ch.ListValues().(*array.String).Value(int(lo)) != "E0" || !column[*array.Float64](t, rec, "smoothed").IsNull(i) {
				t.Errorf("event row %d: channels or nulls wrong", i)
			}
		}
	}
}

// TestSeizureAllocs: the detector allocates nothing per window; what
// remains is Arrow's record assembly, which depends on neither the window
// length nor the number of channels.
func TestSeizureAllocs(t *testing.T) {
	allocs := func(n, channels int) float64 {
		w := seizureWindow(n, channels, 128, false, 1)
		process := processFunc(t, newStage(t, "seizure", map[string]any{"model": syntheticSeizureModel(t, n, channels, 128)}, w), w)
		process()
		return testing.AllocsPerRun(20, process)
	}
	short, long, many := allocs(256, 2), allocs(1024, 2), allocs(256, 8)
	t.Logf("%v allocations per window", short)
	if short != long || short != many {
		t.Errorf("allocations %v (256 samples, 2 channels), %v (1024 samples), %v (8 channels)", short, long, many)
	}
}

// seizureSink keeps the seizure rows of a pipeline run.
type seizureSink struct {
	mu      sync.Mutex
	windows map[int64]string // window → state, of session sim-0
	events  [][2]float64     // onset, offset in s, of session sim-0
	ends    []float64        // end rows: session duration in s, of sim-0
	others  []string         // other sessions' rows: "type onset offset"
}

func (s *seizureSink) Write(_ context.Context, rs []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if r.Kind != arrowout.KindSeizure {
			continue
		}
		rec := r.Record
		win := rec.Column(1).(*array.Int64)
		rt := rec.Column(4).(*array.String)
		state := rec.Column(7).(*array.String)
		on, off := rec.Column(8).(*array.Float64), rec.Column(9).(*array.Float64)
		for i := range int(rec.NumRows()) {
			if r.Key.Session != "sim-0" {
				s.others = append(s.others, fmt.Sprintf("%s %g %g", rt.Value(i), on.Value(i), off.Value(i)))
				continue
			}
			switch rt.Value(i) {
			case "window":
				s.windows[win.Value(i)] = state.Value(i)
			case "event":
				s.events = append(s.events, [2]float64{on.Value(i), off.Value(i)})
			case "end":
				s.ends = append(s.ends, off.Value(i))
			}
		}
	}
	return nil
}

func (s *seizureSink) Close() error { return nil }

// seizureSim is a simulated 19-channel 10-20 session at 256 Hz with the
// given seizures.
func seizureSim(seed uint64, duration float64, events []simulate.SeizureEvent) simulate.Config {
	cfg := simulate.DefaultConfig()
	cfg.Seed = seed
	cfg.Duration = duration
	cfg.Seizures.Enabled = true
	cfg.Seizures.Events = events
	return cfg
}

// TestSeizurePipeline trains a detector on one simulated session (four
// seizures, 4 s windows labelled by the simulation's truth), then runs
// another simulated session with one seizure at 120–160 s through the
// runtime with the stage's defaults (4 s windows every 1 s): it emits
// exactly one event, overlapping the seizure, and no other. Measured:
// ictal windows 122…159 (starts in s), event [122, 163) s.
func TestSeizurePipeline(t *testing.T) {
	defer goleak.VerifyNone(t)
	const winSec, hopSec = 4.0, 1.0
	model := trainSimSeizureModel(t, winSec)
	b, errs := Build("seizure", "", map[string]any{"model": model})
	if errs != nil {
		t.Fatal(errs)
	}
	test := seizureSim(7, 300, []simulate.SeizureEvent{{Onset: 120, Duration: 40}})
	// A seizure still going on when the recording ends.
	atEnd := seizureSim(8, 300, []simulate.SeizureEvent{{Onset: 262, Duration: 38}})
	sink := &seizureSink{windows: map[int64]string{}}
	src := pipeline.NewRecordingSource([]pipeline.RecordingSpec{{
		Session: "sim-0", Name: "simulation",
		Open: func() (formats.Recording, error) { return simulate.New(test) },
	}, {
		Session: "sim-1", Name: "simulation ending in a seizure",
		Open: func() (formats.Recording, error) { return simulate.New(atEnd) },
	}}, pipeline.RecordingSourceConfig{ChunkSeconds: 0.25})
	r, err := pipeline.New(pipeline.Options{
		Source: src,
		Stages: []pipeline.StageBuilder{b},
		Sinks:  []pipeline.Sink{sink},
		Window: pipeline.WindowSpec{LengthSeconds: winSec, HopSeconds: hopSec},
		Logger: quietLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 300 s, 4 s windows every 1 s: windows 0…296.
	if len(sink.windows) != 297 {
		t.Fatalf("%d windows, want 297", len(sink.windows))
	}
	first, last := -1, -1
	for k := range int64(297) {
		if sink.windows[k] == "ictal" {
			if first < 0 {
				first = int(k)
			}
			last = int(k)
		}
	}
	t.Logf("ictal windows %d…%d; events %v (true seizure [120, 160) s)", first, last, sink.events)
	checkSimSeizureEvents(t, sink)
}

// trainSimSeizureModel trains a detector on a simulated 600 s session at
// 256 Hz with four seizures, on windows of winSec every 2 s labelled by
// the simulation's truth (those partly ictal left out), and saves it; it
// returns the file.
func trainSimSeizureModel(t *testing.T, winSec float64) string {
	t.Helper()
	const fs = 256.0
	n := int(winSec * fs)
	train := seizureSim(3, 600, []simulate.SeizureEvent{{Onset: 60, Duration: 40}, {Onset: 200, Duration: 30}, {Onset: 350, Duration: 50}, {Onset: 480, Duration: 45}})
	rec, err := simulate.New(train)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	truth := rec.Truth()
	channels := len(rec.Info().Channels)
	spec := seizure.FeatureConfig{SampleRate: fs, WindowLen: n, Channels: channels}
	ex, err := seizure.NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([][]float64, channels)
	for c := range buf {
		buf[c] = make([]float64, n)
	}
	var X [][]float64
	var y []bool
	for start := 0.0; start+winSec <= train.Duration; start += 2 {
		inside, overlap := seizureLabel(truth, start, winSec)
		if overlap {
			continue // partly ictal: ambiguous, left out
		}
		s := int64(start * fs)
		if err := rec.ReadSamples(buf, s, s+int64(n)); err != nil {
			t.Fatal(err)
		}
		X = append(X, ex.Features(nil, buf))
		y = append(y, inside)
	}
	m, err := seizure.Train(spec, X, y, seizure.TrainConfig{Lambda: 0.1, Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	return saveSeizureModel(t, m)
}

// seizureLabel says whether the window [start, start+length) s lies inside
// a seizure of truth, or overlaps one only partly.
func seizureLabel(truth []simulate.Event, start, length float64) (inside, overlap bool) {
	for _, e := range truth {
		if e.Kind != simulate.KindSeizure {
			continue
		}
		if start >= e.Onset && start+length <= e.Onset+e.Duration {
			inside = true
		} else if start < e.Onset+e.Duration && start+length > e.Onset {
			overlap = true
		}
	}
	return inside, overlap
}

// checkSimSeizureEvents checks TestSeizurePipeline's events: one in sim-0,
// overlapping its seizure at 120–160 s, and its end row at 300 s; in
// sim-1, the seizure open at the end as an event ending at 300 s, then
// the end row.
func checkSimSeizureEvents(t *testing.T, sink *seizureSink) {
	t.Helper()
	if len(sink.events) != 1 {
		t.Fatalf("events %v, want exactly one", sink.events)
	}
	if len(sink.ends) != 1 || sink.ends[0] != 300 {
		t.Errorf("end rows %v, want one at 300 s", sink.ends)
	}
	on, off := sink.events[0][0], sink.events[0][1]
	if off <= 120 || on >= 160 {
		t.Errorf("event [%g, %g) s does not overlap the seizure [120, 160) s", on, off)
	}
	if on < 110 || on > 130 || off < 150 || off > 175 {
		t.Errorf("event [%g, %g) s: want onset within 110–130 s and offset within 150–175 s", on, off)
	}
	// The open event is written when the input ends, closing at the last
	// window's end (296 + 4 s), then the end row.
	var events []string
	for _, r := range sink.others {
		if !strings.HasPrefix(r, "window ") {
			events = append(events, r)
		}
	}
	if len(events) != 2 || !strings.HasPrefix(events[0], "event ") || !strings.HasSuffix(events[0], " 300") || events[1] != "end 0 300" {
		t.Errorf("session ending in a seizure: %q, want an event ending at 300 s, then the end row", events)
	}
}
