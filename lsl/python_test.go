package lsl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/neurostream/neurostream/internal/pyhelper"
)

// These tests put real liblsl, through pylsl in the pinned virtualenv, on
// the other end of the Go inlets and outlets. liblsl reads
// testdata/lsl_api.cfg (LSLAPICFG): no IPv6, queries only to 127.0.0.1.

var allFormats = []ChannelFormat{FormatFloat32, FormatDouble64, FormatInt8, FormatInt16, FormatInt32, FormatInt64, FormatString}

// testValue mirrors value() in testdata/pylsl_helper.py.
func testValue(f ChannelFormat, nch, i, ch int) any {
	k := int64(i*nch + ch)
	switch f {
	case FormatFloat32, FormatDouble64:
		return float64(k) + 0.5
	case FormatInt8:
		return k%256 - 128
	case FormatInt16:
		return k%65536 - 32768
	case FormatInt32:
		return k - 1<<30
	case FormatInt64:
		return k - 1<<62
	}
	if i%7 == 3 {
		return fmt.Sprintf("µV→é %d.%d ", i, ch) + string(bytes.Repeat([]byte("x"), 300))
	}
	return fmt.Sprintf("s%d.%d", i, ch)
}

// chunkValue returns sample i, channel ch of c in testValue's terms.
func chunkValue(c *Chunk, i, ch int) any {
	k := i*c.Channels + ch
	switch c.Format {
	case FormatFloat32:
		return float64(c.Float32[k])
	case FormatDouble64:
		return c.Float64[k]
	case FormatInt8:
		return int64(c.Int8[k])
	case FormatInt16:
		return int64(c.Int16[k])
	case FormatInt32:
		return int64(c.Int32[k])
	case FormatInt64:
		return c.Int64[k]
	}
	return c.Strings[k]
}

// jsonValue decodes a value printed by the helper in testValue's terms.
func jsonValue(t testing.TB, f ChannelFormat, raw json.RawMessage) any {
	t.Helper()
	switch f {
	case FormatString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		return s
	case FormatFloat32, FormatDouble64:
		v, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// pyEvent is one line the helper prints.
type pyEvent struct {
	Event          string            `json:"event"`
	UID            string            `json:"uid"`
	Clock          float64           `json:"clock"`
	T0             float64           `json:"t0"`
	N              int               `json:"n"`
	TS             float64           `json:"ts"`
	Recv           float64           `json:"recv"`
	Values         []json.RawMessage `json:"values"`
	TimeCorrection float64           `json:"time_correction"`
	Labels         []string          `json:"labels"`
	Units          []string          `json:"units"`
	Types          []string          `json:"types"`
	Manufacturer   string            `json:"manufacturer"`
	Rate           float64           `json:"rate"`
	Channels       int               `json:"channels"`
}

// pyProc is testdata/pylsl_helper.py running.
type pyProc struct {
	*pyhelper.Proc
	t testing.TB
}

// startPy runs testdata/pylsl_helper.py in mode with params.
func startPy(t testing.TB, mode string, params map[string]any) pyProc {
	t.Helper()
	cfg, _ := filepath.Abs(filepath.Join("testdata", "lsl_api.cfg"))
	return pyProc{pyhelper.Start(t, pyhelper.Config{
		Script:   filepath.Join("testdata", "pylsl_helper.py"),
		Args:     []string{mode},
		Params:   params,
		Env:      []string{"LSLAPICFG=" + cfg},
		Requires: "pylsl",
		Name:     "pylsl helper",
	}), t}
}

// expect returns the helper's next event, failing the test unless it is
// the one named.
func (p pyProc) expect(event string, timeout time.Duration) pyEvent {
	p.t.Helper()
	var ev pyEvent
	p.Expect(event, timeout, &ev)
	return ev
}

func pullN(t testing.TB, in *Inlet, n int, timeout time.Duration, each func(c *Chunk)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var c Chunk
	for got := 0; got < n; got += c.Len() {
		if err := in.Pull(ctx, &c, 0); err != nil {
			t.Fatalf("pull after %d of %d samples: %v", got, n, err)
		}
		each(&c)
	}
}

func openInlet(t testing.TB, sourceID string, mod func(*InletConfig)) *Inlet {
	t.Helper()
	q, err := Prop("source_id", sourceID)
	if err != nil {
		t.Fatal(err)
	}
	info := resolveOne(t, testConfig(t), q)
	cfg := InletConfig{Config: testConfig(t)}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	in, err := NewInlet(ctx, info, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// TestPylslOutletToGoInlet: every channel format, pushed by liblsl with
// explicit timestamps (and once with deduced ones), arrives exactly, with
// the channel descriptions.
func TestPylslOutletToGoInlet(t *testing.T) {
	type tc struct {
		format ChannelFormat
		rate   float64
		stamps string
	}
	var cases []tc
	for _, f := range allFormats {
		rate := 100.0
		if f == FormatString {
			rate = IrregularRate // a marker stream
		}
		cases = append(cases, tc{f, rate, "explicit"})
	}
	cases = append(cases, tc{FormatFloat32, 250, "deduced"}, tc{FormatInt16, 500, "deduced"})
	for _, c := range cases {
		t.Run(c.format.String()+"-"+c.stamps, func(t *testing.T) {
			const nch, n = 3, 60
			id := uniqueName(t, "py-out")
			py := startPy(t, "outlet", map[string]any{
				"name": id, "source_id": id, "format": c.format.String(), "channels": nch, "rate": c.rate,
				"n": n, "chunk": 7, "stamps": c.stamps, "linger": 0.3,
				"labels": []string{"Fz", "Cz", "STI 014"}, "units": []string{"microvolts", "µV", ""}, "types": []string{"EEG", "EEG", "Trigger"},
			})
			py.expect("ready", 20*time.Second)
			in := openInlet(t, id, nil)
			info := in.Info()
			wantCh := []ChannelInfo{{"Fz", "microvolts", "EEG"}, {"Cz", "µV", "EEG"}, {"STI 014", "", "Trigger"}}
			if got := info.Channels(); fmt.Sprint(got) != fmt.Sprint(wantCh) {
				t.Errorf("channels %v, want %v", got, wantCh)
			}
			if got := info.Acquisition().Manufacturer; got != "pylsl-helper" {
				t.Errorf("acquisition/manufacturer %q", got)
			}
			if info.Format != c.format || info.ChannelCount != nch || info.NominalRate != c.rate {
				t.Errorf("info %v × %d at %v Hz", info.Format, info.ChannelCount, info.NominalRate)
			}
			pushed := py.expect("pushed", 20*time.Second)
			i := 0
			pullN(t, in, n, 10*time.Second, func(ch *Chunk) {
				for s := range ch.Len() {
					want := pushed.T0 + float64(i)*0.01 // as the helper computes them
					if c.rate != IrregularRate {
						want = pushed.T0 + float64(i)/c.rate
					}
					if c.stamps == "explicit" && ch.Timestamps[s] != want ||
						math.Abs(ch.Timestamps[s]-want) > 1e-9 {
						t.Fatalf("sample %d: timestamp %.9f, want %.9f", i, ch.Timestamps[s], want)
					}
					for k := range nch {
						if got, want := chunkValue(ch, s, k), testValue(c.format, nch, i, k); got != want {
							t.Fatalf("sample %d channel %d: %v, want %v", i, k, got, want)
						}
					}
					i++
				}
			})
			if i != n {
				t.Fatalf("%d samples, want %d", i, n)
			}
			py.expect("closed", 10*time.Second)
			py.Wait(10 * time.Second)
		})
	}
}

// TestGoOutletToPylslInlet: liblsl resolves the Go outlet, reads its full
// info and checks its test patterns; every value arrives exactly.
func TestGoOutletToPylslInlet(t *testing.T) {
	for _, f := range allFormats {
		t.Run(f.String(), func(t *testing.T) {
			const nch, n = 3, 60
			rate := 100.0
			if f == FormatString {
				rate = IrregularRate
			}
			id := uniqueName(t, "go-out")
			info := StreamInfo{Name: id, Type: "EEG", ChannelCount: nch, NominalRate: rate, Format: f, SourceID: id}
			info.SetChannels([]ChannelInfo{{"Fp1", "microvolts", "EEG"}, {"Fp2", "µV", "EEG"}, {"Marker", "", "Trigger"}})
			info.SetAcquisition(Acquisition{Manufacturer: "neurostream", Model: "go"})
			o := newTestOutlet(t, info, nil)
			py := startPy(t, "inlet", map[string]any{"source_id": id, "n": n, "timeout": 20})
			ready := py.expect("ready", 20*time.Second)
			if ready.UID != o.Info().UID || fmt.Sprint(ready.Labels) != "[Fp1 Fp2 Marker]" ||
				fmt.Sprint(ready.Units) != "[microvolts µV ]" || ready.Manufacturer != "neurostream" || ready.Channels != nch {
				t.Errorf("pylsl saw %+v", ready)
			}
			t0 := 5000.0
			for i := range n {
				ts := t0 + float64(i)*0.01
				var err error
				switch f {
				case FormatString:
					x := make([]string, nch)
					for k := range x {
						x[k] = testValue(f, nch, i, k).(string)
					}
					err = o.PushString(x, ts)
				case FormatFloat32, FormatDouble64:
					x := make([]float64, nch)
					for k := range x {
						x[k] = testValue(f, nch, i, k).(float64)
					}
					err = o.PushFloat64(x, ts)
				default:
					x := make([]int64, nch)
					for k := range x {
						x[k] = testValue(f, nch, i, k).(int64)
					}
					err = o.PushInt64(x, ts)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for i := range n {
				ev := py.expect("sample", 20*time.Second)
				if want := t0 + float64(i)*0.01; ev.TS != want {
					t.Fatalf("sample %d: timestamp %v, want %v", i, ev.TS, want)
				}
				for k := range nch {
					if got, want := jsonValue(t, f, ev.Values[k]), testValue(f, nch, i, k); got != want {
						t.Fatalf("sample %d channel %d: %v, want %v", i, k, got, want)
					}
				}
			}
			done := py.expect("done", 20*time.Second)
			if done.N != n {
				t.Errorf("pylsl counted %d samples", done.N)
			}
			py.Wait(10 * time.Second)
		})
	}
}

// TestPylslOutletRestart: a liblsl outlet stops and another with the same
// source_id starts; the Go inlet reconnects and gets every sample of both
// exactly once, flagged Recovered at the switch.
func TestPylslOutletRestart(t *testing.T) {
	const nch, n = 4, 200
	id := uniqueName(t, "restart")
	params := map[string]any{"name": id, "source_id": id, "format": "float32", "channels": nch, "rate": 200.0,
		"n": n, "chunk": 10, "linger": 0.5}
	first := startPy(t, "outlet", params)
	r1 := first.expect("ready", 20*time.Second)
	in := openInlet(t, id, func(c *InletConfig) { c.RecoverTimeout = 30 * time.Second })
	first.expect("pushed", 20*time.Second)

	params["start"] = n
	var second pyProc
	i, recovered := 0, 0
	var uids []string
	pullN(t, in, 2*n, 40*time.Second, func(c *Chunk) {
		if c.Recovered {
			recovered++
		}
		if len(uids) == 0 || uids[len(uids)-1] != c.UID {
			uids = append(uids, c.UID)
		}
		for s := range c.Len() {
			for k := range nch {
				if got, want := chunkValue(c, s, k), testValue(FormatFloat32, nch, i, k); got != want {
					t.Fatalf("sample %d channel %d: %v, want %v (duplicate or loss)", i, k, got, want)
				}
			}
			i++
		}
		if i == n && second.Proc == nil {
			first.expect("closed", 10*time.Second)
			first.Wait(10 * time.Second)
			second = startPy(t, "outlet", params)
		}
	})
	if second.Proc == nil {
		t.Fatal("no second outlet")
	}
	second.expect("ready", time.Second)
	second.expect("pushed", 10*time.Second)
	if recovered != 1 || len(uids) != 2 || uids[0] != r1.UID || in.Reconnects() != 1 {
		t.Errorf("recovered flags %d, uids %v (first %s), reconnects %d", recovered, uids, r1.UID, in.Reconnects())
	}
}

// TestGoOutletRestartPylslInlet: a liblsl inlet recovers onto a restarted
// Go outlet (liblsl's resolver finds it by name, type, source_id, channel
// count and format) and receives every sample once.
func TestGoOutletRestartPylslInlet(t *testing.T) {
	const nch, n = 2, 50
	id := uniqueName(t, "go-restart")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: nch, NominalRate: 100, Format: FormatDouble64, SourceID: id}
	cfg := OutletConfig{Config: testConfig(t)}
	o, err := NewOutlet(info, cfg)
	if err != nil {
		t.Fatal(err)
	}
	py := startPy(t, "inlet", map[string]any{"source_id": id, "n": 2 * n, "timeout": 30})
	py.expect("ready", 20*time.Second)
	push := func(o *Outlet, from int) {
		for i := from; i < from+n; i++ {
			x := []float64{testValue(FormatDouble64, nch, i, 0).(float64), testValue(FormatDouble64, nch, i, 1).(float64)}
			if err := o.PushFloat64(x, 100+float64(i)/100); err != nil {
				t.Fatal(err)
			}
		}
	}
	push(o, 0)
	for i := range n {
		ev := py.expect("sample", 10*time.Second)
		if got := jsonValue(t, FormatDouble64, ev.Values[0]); got != testValue(FormatDouble64, nch, i, 0) {
			t.Fatalf("sample %d: %v", i, got)
		}
	}
	o.Close()
	o2 := newTestOutlet(t, info, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := o2.WaitForConsumers(ctx); err != nil {
		t.Fatalf("liblsl inlet did not reconnect: %v\n%s", err, py.Log())
	}
	push(o2, n)
	for i := n; i < 2*n; i++ {
		ev := py.expect("sample", 10*time.Second)
		if got := jsonValue(t, FormatDouble64, ev.Values[0]); got != testValue(FormatDouble64, nch, i, 0) {
			t.Fatalf("sample %d: %v (duplicate or loss)", i, got)
		}
	}
	if done := py.expect("done", 10*time.Second); done.N != 2*n {
		t.Errorf("pylsl counted %d samples", done.N)
	}
}

// TestClockOffsetPylslInlet: a Go outlet whose clock runs 1234.5 s ahead
// of this machine's; liblsl's time_correction() against it, added to the
// timestamps, lands within 1 ms of the true push times.
func TestClockOffsetPylslInlet(t *testing.T) {
	const shift = 1234.5
	id := uniqueName(t, "offset")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: 1, NominalRate: IrregularRate, Format: FormatDouble64, SourceID: id}
	o := newTestOutlet(t, info, func(c *OutletConfig) { c.Clock = func() float64 { return LocalClock() + shift } })
	const n = 20
	py := startPy(t, "inlet", map[string]any{"source_id": id, "n": n, "timeout": 20})
	py.expect("ready", 20*time.Second)
	truth := make([]float64, n)
	for i := range n {
		truth[i] = LocalClock()
		if err := o.PushFloat64([]float64{float64(i)}, 0); err != nil { // 0: stamped by the outlet's clock
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var stamps []float64
	for range n {
		stamps = append(stamps, py.expect("sample", 10*time.Second).TS)
	}
	tc := py.expect("done", 20*time.Second).TimeCorrection
	if math.Abs(tc+shift) > 1e-3 {
		t.Errorf("liblsl time_correction %.6f, want %.6f ± 1 ms", tc, -shift)
	}
	worst := 0.0
	for i, ts := range stamps {
		worst = max(worst, math.Abs(ts+tc-truth[i]))
	}
	if worst > 1e-3 {
		t.Errorf("timestamp + time_correction off the push time by %.6f s", worst)
	}
	t.Logf("liblsl time_correction %.6f s (shift %.1f s): worst sample error %.1f µs", tc, shift, worst*1e6)
}

// TestClockPylslOutlet: the Go inlet's time correction against liblsl on
// the same machine is zero within 1 ms (both read CLOCK_MONOTONIC), and
// liblsl's timestamps plus it precede the Go receive time closely.
func TestClockPylslOutlet(t *testing.T) {
	id := uniqueName(t, "clock")
	py := startPy(t, "outlet", map[string]any{"name": id, "source_id": id, "format": "float32", "channels": 1,
		"rate": 0.0, "n": 5, "pace": 0.05, "stamps": "now", "linger": 2.0})
	ready := py.expect("ready", 20*time.Second)
	if d := math.Abs(ready.Clock - LocalClock()); d > 5 {
		t.Errorf("liblsl local_clock %.3f and LocalClock %.3f differ by %.3f s", ready.Clock, LocalClock(), d)
	}
	in := openInlet(t, id, nil)
	pushed := 0
	worst := 0.0
	pullN(t, in, 5, 10*time.Second, func(c *Chunk) {
		now := LocalClock()
		for s := range c.Len() {
			lag := now - c.Timestamps[s]
			if lag < 0 || lag > 0.05 {
				t.Errorf("sample %d received %.6f s after its liblsl timestamp", pushed, lag)
			}
			worst = max(worst, lag)
			pushed++
		}
	})
	var rtts []float64
	for range 3 {
		off, err := in.TimeCorrection(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(off.Offset) > 1e-3 {
			t.Errorf("time correction against liblsl on this machine: %.6f s", off.Offset)
		}
		rtts = append(rtts, off.RTT)
		in.toffAt = time.Time{} // measure again
	}
	t.Logf("Go inlet time correction vs liblsl: RTT %.1f/%.1f/%.1f µs; liblsl timestamp to Go receipt ≤ %.2f ms",
		rtts[0]*1e6, rtts[1]*1e6, rtts[2]*1e6, worst*1e3)
}

// TestPylsl60s: 8 channels × 250 Hz × 60 s from a liblsl outlet, pushed
// 20 times faster than real time in 0.1-s chunks, reach the Go inlet
// exactly once, in order, with their timestamps.
func TestPylsl60s(t *testing.T) {
	const nch, rate, n = 8, 250.0, 250 * 60
	pace := 0.005 // 25 samples (0.1 s) every 5 ms: 20× real time
	if testing.Short() {
		pace = 0
	}
	id := uniqueName(t, "60s")
	py := startPy(t, "outlet", map[string]any{"name": id, "source_id": id, "format": "float32", "channels": nch,
		"rate": rate, "n": n, "chunk": 25, "pace": pace, "linger": 0.5})
	py.expect("ready", 20*time.Second)
	in := openInlet(t, id, nil)
	start := time.Now()
	i := 0
	var t0 float64
	pullN(t, in, n, 60*time.Second, func(c *Chunk) {
		if i == 0 {
			t0 = c.Timestamps[0]
		}
		for s := range c.Len() {
			if want := t0 + float64(i)/rate; c.Timestamps[s] != want {
				t.Fatalf("sample %d: timestamp %.9f, want %.9f", i, c.Timestamps[s], want)
			}
			for k := range nch {
				if got := float64(c.Float32[s*nch+k]); got != float64(i*nch+k)+0.5 {
					t.Fatalf("sample %d channel %d: %v (loss or duplicate)", i, k, got)
				}
			}
			i++
		}
	})
	elapsed := time.Since(start)
	pushed := py.expect("pushed", 10*time.Second)
	if pushed.T0 != t0 {
		t.Errorf("first timestamp %.9f, liblsl pushed %.9f", t0, pushed.T0)
	}
	if i != n {
		t.Fatalf("%d samples, want %d", i, n)
	}
	t.Logf("%d samples × %d ch in %v: %.0f samples/s through the Go inlet (liblsl pushing at %.0f×)",
		n, nch, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), (float64(n)/rate)/elapsed.Seconds())
}
