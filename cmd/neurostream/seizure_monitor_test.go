package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// simulateBIDS writes a BIDS-EEG tree of simulated recordings, one per
// seed, subject i+1, each with its SzCORE events file (the reference).
func simulateBIDS(t *testing.T, root string, seeds []uint64, duration float64) {
	t.Helper()
	for i, seed := range seeds {
		sub := fmt.Sprintf("%02d", i+1)
		dir := filepath.Join(root, "sub-"+sub, "ses-01", "eeg")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(dir, "sub-"+sub+"_ses-01_task-szMonitoring_run-00")
		if out, err := runMain(t, "simulate", "--out", base+"_eeg.edf", "--events-tsv", base+"_events.tsv",
			"--duration", fmt.Sprint(duration), "--seizure-rate", "6", "--seed", fmt.Sprint(seed)); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
}

// TestSeizureMonitorFiles runs the seizure-monitor pipeline (the shipped
// model, common average, 4 s windows every 1 s) over a simulated BIDS
// dataset from files, writes the events as SzCORE annotation files
// mirroring the dataset, and scores them with `neurostream score`.
func TestSeizureMonitorFiles(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "bids")
	simulateBIDS(t, ref, []uint64{101, 102, 103}, 1200)
	model, err := filepath.Abs("../../configs/models/seizure-sim.json")
	if err != nil {
		t.Fatal(err)
	}
	hyp := filepath.Join(dir, "hyp")
	cfg := filepath.Join(dir, "monitor.yaml")
	os.WriteFile(cfg, []byte(`
source: {files: {paths: [`+ref+`]}}
window: {length_seconds: 4, hop_seconds: 1}
preprocess: [{type: reference, types: [eeg]}]
stages: [{type: seizure, model: `+model+`}]
output: {dir: `+filepath.Join(dir, "out")+`, szcore: `+hyp+`}
`), 0o644)
	out, err := runMain(t, "run", "--config", cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "wrote 3 SzCORE annotation files") {
		t.Errorf("run output lacks the SzCORE files:\n%s", out)
	}
	for i := range 3 {
		p := filepath.Join(hyp, fmt.Sprintf("sub-%02d/ses-01/eeg/sub-%02d_ses-01_task-szMonitoring_run-00_events.tsv", i+1, i+1))
		if _, err := os.Stat(p); err != nil {
			t.Errorf("hypothesis file: %v", err)
		}
	}
	js, err := runMain(t, "score", "--ref", ref, "--hyp", hyp, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	var rep struct {
		Event struct {
			Sensitivity, Precision, F1, FPRate float64
			TP, FP, RefTrue                    int
		} `json:"event_results"`
		Latency struct {
			Events, Detected int
			Median           float64
		} `json:"alarm_latency"`
	}
	if err := json.Unmarshal([]byte(js[strings.Index(js, "{"):]), &rep); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	t.Logf("3 × 20 min simulated: %+v", rep)
	if rep.Event.RefTrue < 3 || rep.Event.Sensitivity < 0.6 || rep.Event.Precision < 0.6 {
		t.Errorf("event scores %+v: want ≥ 3 seizures, sensitivity and precision ≥ 0.6", rep.Event)
	}
	if rep.Latency.Detected == 0 || rep.Latency.Median > 20 {
		t.Errorf("alarm latency %+v: want detections with a median under 20 s", rep.Latency)
	}
}
