// Package formatstest checks a formats.Recording against the MNE-Python
// golden files in formats/testdata/golden (written by make_golden.py there),
// and holds the test helpers the format readers share, so that each
// reader's tests hold only what is particular to its format.
//
// Tolerance: a sample value v read here matches MNE's m when
// |v-m| <= 1e-6 * max(|m|, mean|x| of that channel), i.e. 1e-6 relative,
// with the channel's mean magnitude as the floor for values near zero.
// Sums over whole channels are compared the same way against sumabs.
package formatstest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/internal/testenv"
)

// RelTol is the relative tolerance on sample values.
const RelTol = 1e-6

// Golden is one reference file.
type Golden struct {
	Source    string  `json:"source"`
	Reader    string  `json:"reader"`
	Error     string  `json:"error"`
	SFreq     float64 `json:"sfreq"`
	NTimes    int64   `json:"n_times"`
	FirstSamp int64   `json:"first_samp"`
	MeasDate  *string `json:"meas_date"`
	Channels  []struct {
		Name    string `json:"name"`
		Type    string `json:"type"`
		MNEType string `json:"mne_type"`
		Unit    string `json:"unit"`
	} `json:"channels"`
	Annotations []struct {
		Onset       float64 `json:"onset"`
		Duration    float64 `json:"duration"`
		Description string  `json:"description"`
	} `json:"annotations"`
	Index  []int64     `json:"index"`
	Values [][]float64 `json:"values"`
	Sum    []float64   `json:"sum"`
	SumAbs []float64   `json:"sumabs"`
	SumSq  []float64   `json:"sumsq"`
	// Events holds (sample, previous value, code) rows of a -eve.fif file.
	Events [][3]int64 `json:"events"`
}

// Entry is one row of index.json.
type Entry struct {
	Source string `json:"source"`
	Golden string `json:"golden"`
	Reader string `json:"reader"`
	Error  string `json:"error"`
}

// GoldenDir is the folder holding the golden files.
func GoldenDir() string { return filepath.Join(testenv.RepoRoot(), "formats", "testdata", "golden") }

// DataDir returns the shared recorded-data folder; see testenv.DataDir.
func DataDir(t testing.TB) string {
	t.Helper()
	return testenv.DataDir(t)
}

// Index returns the golden entries whose reader is one of readers (all when
// readers is empty).
func Index(t testing.TB, readers ...string) []Entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(GoldenDir(), "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []Entry
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	if len(readers) == 0 {
		return all
	}
	var out []Entry
	for _, e := range all {
		for _, r := range readers {
			if e.Reader == r {
				out = append(out, e)
			}
		}
	}
	return out
}

// Load reads one golden file by its name in index.json.
func Load(t testing.TB, name string) *Golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(GoldenDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	var g Golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &g
}

// Options relaxes parts of Check for readers whose model differs from MNE's
// on purpose; each use must be explained at the call site.
type Options struct {
	// SkipTypes does not compare channel types.
	SkipTypes bool
	// SkipAnnotations does not compare annotations.
	SkipAnnotations bool
	// Scale multiplies golden values before comparing (text files, whose
	// golden values are the file's numbers and whose reader applies a unit).
	Scale float64
	// ChunkLen is the ReadSamples span used to stream the recording.
	// Default: 1000.
	ChunkLen int64
}

// Check compares rec with g: channel names, types, units (where ours is
// V, T or T/m), rate, length, annotations, the sampled values and the
// per-channel sums. The whole recording is streamed through ReadSamples in
// chunks of opt.ChunkLen samples.
func Check(t *testing.T, rec formats.Recording, g *Golden, opt Options) {
	t.Helper()
	info := rec.Info()
	if len(info.Channels) != len(g.Channels) {
		t.Fatalf("%d channels, MNE has %d", len(info.Channels), len(g.Channels))
	}
	for i, c := range info.Channels {
		gc := g.Channels[i]
		if c.Label != gc.Name {
			t.Errorf("channel %d label %q, MNE %q", i, c.Label, gc.Name)
		}
		if !opt.SkipTypes && gc.Type != "" && string(c.Type) != gc.Type {
			t.Errorf("channel %d (%s) type %q, MNE %q (%s)", i, c.Label, c.Type, gc.Type, gc.MNEType)
		}
		switch c.Unit {
		case "V", "T", "T/m":
			if gc.Unit != "" && c.Unit != gc.Unit {
				t.Errorf("channel %d (%s) unit %q, MNE %q", i, c.Label, c.Unit, gc.Unit)
			}
		}
	}
	if g.SFreq != 0 && math.Abs(info.SampleRate-g.SFreq) > 1e-9*g.SFreq {
		t.Errorf("sample rate %v, MNE %v", info.SampleRate, g.SFreq)
	}
	if info.NSamples != g.NTimes {
		t.Fatalf("%d samples, MNE %d", info.NSamples, g.NTimes)
	}
	if !opt.SkipAnnotations {
		CheckAnnotations(t, info.Annotations, g)
	}
	scale := opt.Scale
	if scale == 0 {
		scale = 1
	}
	chunk := opt.ChunkLen
	if chunk <= 0 {
		chunk = 1000
	}
	nc := len(info.Channels)
	sum := make([]float64, nc)
	sumAbs := make([]float64, nc)
	sumSq := make([]float64, nc)
	buf := make([][]float64, nc)
	k := 0 // next golden index
	for start := int64(0); start < info.NSamples; start += chunk {
		stop := min(start+chunk, info.NSamples)
		for c := range buf {
			buf[c] = make([]float64, stop-start)
		}
		if err := rec.ReadSamples(buf, start, stop); err != nil {
			t.Fatalf("ReadSamples(%d, %d): %v", start, stop, err)
		}
		for c := range buf {
			for _, v := range buf[c] {
				sum[c] += v
				sumAbs[c] += math.Abs(v)
				sumSq[c] += v * v
			}
		}
		for ; k < len(g.Index) && g.Index[k] < stop; k++ {
			i := g.Index[k]
			for c := range buf {
				want := g.Values[c][k] * scale
				floor := math.Abs(g.SumAbs[c]*scale) / float64(g.NTimes)
				if !near(buf[c][i-start], want, floor) {
					t.Errorf("channel %d (%s) sample %d = %.17g, MNE %.17g", c, info.Channels[c].Label, i, buf[c][i-start], want)
				}
			}
		}
	}
	for c := range sum {
		floor := math.Abs(g.SumAbs[c] * scale)
		if !near(sum[c], g.Sum[c]*scale, floor) || !near(sumAbs[c], g.SumAbs[c]*scale, 0) ||
			!near(sumSq[c], g.SumSq[c]*scale*scale, 0) {
			t.Errorf("channel %d (%s) sums (%g, %g, %g), MNE (%g, %g, %g)", c, info.Channels[c].Label,
				sum[c], sumAbs[c], sumSq[c], g.Sum[c]*scale, g.SumAbs[c]*scale, g.SumSq[c]*scale*scale)
		}
	}
}

// CheckAnnotations compares annotations (onset and duration to 1e-6 s).
func CheckAnnotations(t *testing.T, got []formats.Annotation, g *Golden) {
	t.Helper()
	if len(got) != len(g.Annotations) {
		t.Errorf("%d annotations, MNE %d", len(got), len(g.Annotations))
		return
	}
	for i, a := range got {
		w := g.Annotations[i]
		if math.Abs(a.Onset-w.Onset) > 1e-6 || math.Abs(a.Duration-w.Duration) > 1e-6 || a.Description != w.Description {
			t.Errorf("annotation %d = (%v, %v, %q), MNE (%v, %v, %q)", i, a.Onset, a.Duration, a.Description, w.Onset, w.Duration, w.Description)
		}
	}
}

func near(got, want, floor float64) bool {
	return math.Abs(got-want) <= RelTol*math.Max(math.Abs(want), floor)
}
