package stages

import (
	"fmt"
	"testing"

	"github.com/neurostream/neurostream/dsp/dspbench"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/internal/cpuclock"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// StreamSettings are the window settings the stage benchmarks run at, at
// 256 Hz: the demo's (configs/demo.yaml: 2 s windows every 1 s), the
// seizure monitor's (configs/seizure-monitor.yaml: 4 s every 1 s), and the
// SSVEP speller's and the Kafka latency benchmark's (2 s every 0.25 s),
// where the hop is half a segment step and nothing can be reused.
var streamSettings = []struct {
	name        string
	length, hop int
}{
	{"demo_2s_hop1s", 512, 256},
	{"seizure_4s_hop1s", 1024, 256},
	{"speller_2s_hop0.25s", 512, 64},
}

// streamStageOptions are the stages' options in the benchmarks: the demo's
// psd stage (nperseg 256, noverlap 128, fmax 100, five bands) and the
// coherence stage's defaults (nperseg 256, noverlap 128, coh over every
// pair, five bands).
func streamStageOptions(typ string, reuse bool) map[string]any {
	if typ == "coherence" {
		return map[string]any{"reuse_segments": reuse}
	}
	return map[string]any{
		"nperseg": 256, "noverlap": 128, "fmax": 100, "reuse_segments": reuse,
		"bands": []any{
			map[string]any{"name": "delta", "low": 1, "high": 4},
			map[string]any{"name": "theta", "low": 4, "high": 8},
			map[string]any{"name": "alpha", "low": 8, "high": 12},
			map[string]any{"name": "beta", "low": 12, "high": 30},
			map[string]any{"name": "gamma", "low": 30, "high": 45},
		},
	}
}

// BenchmarkStageWindows measures the psd and coherence stages on the
// sliding windows of one session of EEG-like data (dspbench.Synthetic),
// window after window as the runtime hands them over, with the Welch
// segments reused across windows (reuse=on, the default) and without
// (reuse=off, every window on its own as before), and reports windows/s
// of wall-clock time and of the process's CPU time. Run the pair in one
// command, e.g.
//
//	go test ./pipeline/stages -run '^$' -bench StageWindows -cpu 1 -count 3
func BenchmarkStageWindows(b *testing.B) {
	for _, typ := range []string{"psd", "coherence"} {
		for _, channels := range []int{19, 64} {
			for _, set := range streamSettings {
				for _, reuse := range []bool{true, false} {
					name := fmt.Sprintf("%s/ch=%d/%s/reuse=%s", typ, channels, set.name, map[bool]string{true: "on", false: "off"}[reuse])
					b.Run(name, func(b *testing.B) {
						benchStage(b, typ, streamStageOptions(typ, reuse), channels, set.length, set.hop)
					})
				}
			}
		}
	}
}

// benchStage runs a stage of type typ over 120 consecutive sliding windows
// of length samples every hop, again and again.
func benchStage(b *testing.B, typ string, opts map[string]any, channels, length, hop int) {
	const nwin, rate = 120, 256
	x := dspbench.Synthetic(channels, (nwin-1)*hop+length)
	chans := make([]formats.Channel, channels)
	for c := range chans {
		chans[c] = formats.Channel{Label: fmt.Sprintf("EEG%02d", c), Type: formats.EEG, Unit: "V"}
	}
	st := buildSession(b, typ, opts, pipeline.SessionInfo{Session: "s", SampleRate: rate, Channels: chans, WindowLength: int64(length)})
	wins := make([]pipeline.Window, nwin)
	for k := range wins {
		w := &wins[k]
		start := k * hop
		w.WindowKey = arrowout.WindowKey{Session: "s", Window: int64(k), StartSample: int64(start)}
		w.SampleRate, w.Channels = rate, chans
		for _, ch := range x {
			w.Data = append(w.Data, ch[start:start+length:start+length])
		}
	}
	// One pass over the windows first, untimed: a session's first
	// windows size the segment rings and fill the record builders'
	// pools, and a session runs for hours. Without it the first
	// benchmark of a process (psd/ch=19/demo/reuse=on in `make
	// bench-compare`'s sweeps) also paid the process's warm-up.
	for k := range wins {
		res, err := st.Process(&wins[k])
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			r.Record.Release()
		}
	}
	b.ReportAllocs()
	k := 0
	t0 := cpuclock.Now()
	for b.Loop() {
		res, err := st.Process(&wins[k%nwin])
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			r.Record.Release()
		}
		k++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "windows/s")
	// Per second of CPU time: on a shared machine the wall clock also
	// counts the time spent waiting for a core.
	b.ReportMetric(float64(b.N)/cpuclock.Since(t0).Seconds(), "cpu-windows/s")
}
