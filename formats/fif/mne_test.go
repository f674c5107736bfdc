package fif

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
	"github.com/neurostream/neurostream/internal/testenv"
)

// synthFiles are the test writer's recordings that TestMNE has MNE read.
func synthFiles() map[string]synth {
	chs := eegChannels(2)
	chs[1].rng, chs[1].cal = 2, 0.5e-6
	chs = append(chs,
		synthCh{name: "STI 014", kind: chStim, unit: unitV, rng: 1, cal: 1},
		synthCh{name: "MEG 0113", kind: chMEG, coil: 3012, unit: unitTm, rng: 1, cal: 1e-13, loc: [12]float32{0.1, -0.02, 0.05}},
		synthCh{name: "MEG 0111", kind: chMEG, coil: 3024, unit: unitT, rng: 1, cal: 1e-15},
		synthCh{name: "EOG 061", kind: chEOG, unit: unitV, rng: 1, cal: 1e-6},
		synthCh{name: "ECG 063", kind: chECG, unit: unitV, rng: 1, cal: 1e-6},
		synthCh{name: "EMG 001", kind: chEMG, unit: unitV, rng: 1, cal: 1e-6},
		synthCh{name: "MISC 001", kind: 502, unit: unitV, rng: 1, cal: 1},
		synthCh{name: "RESP", kind: 602, unit: -1, rng: 1, cal: 1},
	)
	nc := len(chs)
	date := []int32{1500000000, 250000}
	none := []int32{0, math.MaxInt32}
	dup := eegChannels(3)
	dup[2].name = dup[0].name
	return map[string]synth{
		"go_mixed_raw.fif": {sfreq: 250, chs: chs, firstSample: 37, measDate: date, dir: true, parts: []synthBuf{
			{typ: typeShort, data: ramp(7, nc, -300)},
			{typ: typeInt, data: ramp(13, nc, 70000)},
			{typ: typeDouble, data: ramp(1, nc, 0.25)},
			{typ: typeDAUPack16, data: ramp(5, nc, 5)},
			{typ: typeFloat, data: ramp(20, nc, -2)}}},
		"go_skips_raw.fif": {sfreq: 100, chs: chs, firstSample: 100, initialSkip: 2, measDate: date, parts: []synthBuf{
			{typ: typeFloat, data: ramp(10, nc, 0)},
			{skip: 3},
			{typ: typeFloat, data: ramp(10, nc, 500)},
			{skip: 1},
			{typ: typeShort, data: ramp(4, nc, 900)}}},
		"go_maxshield_raw.fif": {sfreq: 1000, chs: chs, block: blockIASRawData, measDate: none, parts: []synthBuf{
			{typ: typeFloat, data: ramp(40, nc, 1)}}},
		"go_annot_nodate_raw.fif": {sfreq: 100, chs: eegChannels(1), firstSample: 250, measDate: none,
			parts: []synthBuf{{typ: typeFloat, data: ramp(1000, 1, 0)}},
			annot: &synthAnnot{onset: []float32{3.5, 5, 12, 1}, end: []float32{4, 5, 14, 1.5}, desc: "x:y{COLON}z:w:early"}},
		"go_annot_orig_raw.fif": {sfreq: 100, chs: eegChannels(1), firstSample: 250, measDate: []int32{1600000000, 250000},
			parts: []synthBuf{{typ: typeFloat, data: ramp(1000, 1, 0)}},
			annot: &synthAnnot{onset: []float32{4.5, 2, 30, 0.1}, end: []float32{5, 5, 31, 0.1}, desc: "a:b:gone:c",
				orig: []float64{1599999999, 250000}}},
		"go_annot_float_orig_raw.fif": {sfreq: 100, chs: eegChannels(1), measDate: []int32{1600000000, 0},
			parts: []synthBuf{{typ: typeFloat, data: ramp(1000, 1, 0)}},
			annot: &synthAnnot{onset: []float32{0.125, 9.99}, end: []float32{0.25, 11}, desc: "p:q", orig: []float64{1600000000.5}}},
		"go_dup_names_raw.fif": {sfreq: 10, chs: dup, parts: []synthBuf{{typ: typeFloat, data: ramp(3, 3, 0)}}},
		"go_long_names_raw.fif": {sfreq: 10, chs: eegChannels(2), extended: []string{"a rather long channel name", "EEG 2"},
			parts: []synthBuf{{typ: typeFloat, data: ramp(3, 2, 0)}}},
	}
}

// TestMNE has MNE-Python read the test writer's recordings and write its
// own (a split recording, skips, short/int/double buffers, annotations;
// see testdata/mne_check.py), then checks this reader against what MNE
// returns for each. It needs the pinned Python virtualenv.
func TestMNE(t *testing.T) {
	if testing.Short() {
		t.Skip("runs MNE-Python")
	}
	py := testenv.Python(t)
	dir := t.TempDir()
	for name, s := range synthFiles() {
		formatstest.WriteFile(t, dir, name, s.bytes())
	}
	cmd := exec.Command(py, filepath.Join("testdata", "mne_check.py"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mne_check.py: %v\n%s", err, out)
	}
	goldens, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(goldens) < len(synthFiles())+4 {
		t.Fatalf("MNE wrote %d reference files", len(goldens))
	}
	for _, gp := range goldens {
		name := strings.TrimSuffix(filepath.Base(gp), ".json") + ".fif"
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(gp)
			if err != nil {
				t.Fatal(err)
			}
			var g formatstest.Golden
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			if g.Error != "" {
				t.Fatalf("MNE cannot read %s: %s", name, g.Error)
			}
			r, err := Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			checkMeta(t, r, &g)
			if want := strings.Contains(name, "maxshield"); r.MaxShield() != want {
				t.Errorf("MaxShield %v, want %v", r.MaxShield(), want)
			}
			formatstest.Check(t, r, &g, formatstest.Options{ChunkLen: 333})
		})
	}
}
