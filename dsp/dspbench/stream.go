package dspbench

import (
	"fmt"
	"math"

	"github.com/neurostream/neurostream/dsp"
)

// StreamSetting is a sliding-window setting of the per-window rows.
type StreamSetting struct {
	// Name is the setting's name in row names.
	Name string
	// Length and Hop are the window and its hop in seconds.
	Length, Hop float64
}

// StreamSettings are the window settings of the streaming rows: the
// demo's (configs/demo.yaml, 2 s windows every 1 s) and the seizure
// monitor's (configs/seizure-monitor.yaml, 4 s every 1 s).
var StreamSettings = []StreamSetting{
	{Name: "demo", Length: 2, Hop: 1},
	{Name: "seizure", Length: 4, Hop: 1},
}

// streamRows times, window after window of each StreamSetting, the Welch
// PSD of every channel and the all-pairs CSD plus magnitude-squared
// coherence, with the segments reused across windows (dsp.WelchStream,
// dsp.CSDStream: what the psd and coherence stages do) and each window on
// its own (Welch.PSD, CSD.Compute). A repeat starts from an empty ring.
func streamRows(x [][]float64, cfg Config) ([]Row, error) {
	w, err := dsp.NewWelch(dsp.WelchConfig{SampleRate: cfg.Rate, SegmentLen: cfg.SegmentLen})
	if err != nil {
		return nil, err
	}
	c, err := newCoherence(len(x), cfg)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, set := range StreamSettings {
		n, hop := int(math.Round(set.Length*cfg.Rate)), int(math.Round(set.Hop*cfg.Rate))
		starts := windowStarts(len(x[0]), n, hop, cfg.Windows)
		if len(starts) < 2 || n < cfg.SegmentLen {
			continue
		}
		params := map[string]any{"length": n, "hop": hop, "windows": len(starts), "nperseg": cfg.SegmentLen, "noverlap": w.Config().Overlap}
		about := fmt.Sprintf("%g s windows every %g s (%s), nperseg %d, 50 %% overlap", set.Length, set.Hop, set.Name, cfg.SegmentLen)
		// The four runs alternate (bestOfEach), so that reuse and none
		// meet the same load.
		best := bestOfEach(cfg.Repeats,
			psdWindows(w, x, starts, n, true), c.windows(x, starts, n, true),
			psdWindows(w, x, starts, n, false), c.windows(x, starts, n, false))
		for i, reuse := range []bool{true, false} {
			how := "segments reused across windows"
			if !reuse {
				how = "each window on its own"
			}
			rows = append(rows,
				Row{Name: streamRowName("psd", set.Name, reuse), Unit: UnitWindows, Params: params,
					What:  "Welch PSD of every channel per window, " + about + ", " + how,
					Value: float64(len(starts)) / best[2*i].Seconds()},
				Row{Name: streamRowName("coherence", set.Name, reuse), Unit: UnitWindows, Params: params,
					What:  "all-pairs CSD + magnitude-squared coherence per window, " + about + ", " + how,
					Value: float64(len(starts)) / best[2*i+1].Seconds()},
			)
		}
	}
	return rows, nil
}

// streamRowName is "KIND_window/SETTING/reuse" or ".../oneshot".
func streamRowName(kind, setting string, reuse bool) string {
	if reuse {
		return kind + "_window/" + setting + "/reuse"
	}
	return kind + "_window/" + setting + "/oneshot"
}

// psdWindows returns a run over the windows at starts.
func psdWindows(w *dsp.Welch, x [][]float64, starts []int, n int, reuse bool) func() {
	psd := make([]float64, w.Len())
	st := w.NewStream(len(x))
	return func() {
		st.Reset()
		for _, s := range starts {
			for c, row := range x {
				if reuse {
					st.PSD(psd, c, row[s:s+n], int64(s))
				} else {
					w.PSD(psd, row[s:s+n])
				}
			}
		}
	}
}

// windows returns a run over the windows at starts.
func (c *coherence) windows(x [][]float64, starts []int, n int, reuse bool) func() {
	st := c.plan.NewStream()
	xs := make([][]float64, len(x))
	return func() {
		st.Reset()
		for _, s := range starts {
			window(xs, x, s, n)
			if reuse {
				st.Compute(c.m, xs, int64(s))
			} else {
				c.plan.Compute(c.m, xs)
			}
			c.m.Connectivity(c.coh, dsp.MSC, c.pairs)
		}
	}
}
