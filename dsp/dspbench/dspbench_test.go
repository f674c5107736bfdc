package dspbench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestData: a raw file reads back channel-major; a size that is not a
// whole number of samples per channel, and no channels, are refused;
// synthetic data is seeded.
func TestData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.f64")
	var b []byte
	for c := range 3 {
		for i := range 5 {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(10*c+i)))
		}
	}
	os.WriteFile(path, b, 0o644)
	x, err := Data(Config{RawFile: path, Channels: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 3 || len(x[2]) != 5 || x[0][0] != 0 || x[1][4] != 14 || x[2][3] != 23 {
		t.Errorf("read %v", x)
	}
	if _, err := Data(Config{RawFile: path, Channels: 4}); err == nil || !strings.Contains(err.Error(), "not a whole number of float64 samples for 4 channels") {
		t.Errorf("4 channels of 15 samples: %v", err)
	}
	if _, err := Data(Config{Channels: 0}); err == nil {
		t.Error("0 channels accepted")
	}
	a, err := Data(Config{Channels: 2, Rate: 100, Seconds: 3})
	if err != nil || len(a) != 2 || len(a[1]) != 300 {
		t.Fatalf("synthetic: %d channels, %v", len(a), err)
	}
	if s := Synthetic(2, 300); s[1][299] != a[1][299] || s[0][0] == s[1][0] {
		t.Error("synthetic data is not seeded, or channels are equal")
	}
}

// TestRun: every estimator reports a positive throughput, printed as
// `bench dsp` prints it; JSON keys are those tools/bench/dsp_compare.py
// reads.
func TestRun(t *testing.T) {
	cfg := Config{Channels: 3, Rate: 256, Seconds: 4, SegmentLen: 256, Repeats: 1}
	x, err := Data(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(x, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !(res.PSD > 0 && res.PSDGoDSP > 0 && res.CSDCoherence > 0) {
		t.Errorf("result %+v", res)
	}
	b, _ := json.Marshal(res)
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil || len(keys) != 4 || keys["psd"] != res.PSD || keys["psd_go_dsp"] != res.PSDGoDSP || keys["csd_coherence"] != res.CSDCoherence {
		t.Errorf("JSON %s", b)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	lines := strings.Split(out.String(), "\n")
	if len(lines) != 5+len(res.Rows) || lines[0] != "3 ch × 256 Hz × 4 s, n_per_seg 256, 50% overlap, Hann, one core" ||
		!strings.HasPrefix(lines[1], "  psd (dsp.Welch) ") || !strings.HasSuffix(lines[3], " channel-samples/s") ||
		!strings.HasPrefix(lines[4], "  sosfilt ") {
		t.Errorf("text:\n%s", out.String())
	}
	if _, err := Run(nil, cfg); err == nil {
		t.Error("no data accepted")
	}
}

// TestRows: with enough data every row is measured, positive, with the
// parameters dsp_compare.py reads; with too little the rows that need
// more are left out rather than failing.
func TestRows(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tokenizer vocabulary")
	}
	cfg := Config{Channels: 8, Rate: 256, Seconds: 260, SegmentLen: 256, Repeats: 1, Windows: 12}
	x, err := Data(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rows(x, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sosfilt", "sosfiltfilt", "resample", "stft", "rfft", "multitaper", "multitaper_adaptive", "csd_window",
		"psd_window/demo/reuse", "coherence_window/demo/reuse", "psd_window/demo/oneshot", "coherence_window/demo/oneshot",
		"psd_window/seizure/reuse", "coherence_window/seizure/reuse", "psd_window/seizure/oneshot", "coherence_window/seizure/oneshot",
		"tokenize", "tokenize_exhaustive", "tokenize_resample", "ssvep_cca", "ssvep_fbcca", "ssvep_trca", "ssvep_etrca",
		"psd_nperseg", "csd_coherence_nperseg"}
	var got []string
	for _, r := range rs {
		got = append(got, r.Name)
		if !(r.Value > 0) || r.Unit == "" || r.What == "" {
			t.Errorf("row %+v", r)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want %v", got, want)
	}
	for _, r := range rs {
		if r.Name == "psd_window/seizure/reuse" && (r.Params["length"] != 1024 || r.Params["hop"] != 256 || r.Params["windows"] != 12) {
			t.Errorf("%s params %v", r.Name, r.Params)
		}
		if r.Name == "ssvep_fbcca" && len(r.Params["sub_band_sos"].([]any)) != 5 {
			t.Errorf("%s params %v", r.Name, r.Params)
		}
	}
	short := Config{Channels: 2, Rate: 256, Seconds: 3, SegmentLen: 256, Repeats: 1}
	x, _ = Data(short)
	rs, err = rows(x, short)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if strings.HasPrefix(r.Name, "tokenize") || strings.HasPrefix(r.Name, "ssvep") || strings.Contains(r.Name, "seizure") {
			t.Errorf("row %s measured on 3 s of data", r.Name)
		}
	}
}
