// Package configs holds the ready pipeline descriptions shipped with
// neurostream and the example seizure model one of them runs, embedded so
// the binary runs them with no files around it.
package configs

import "embed"

// FS holds every *.yaml in this folder.
//
//go:embed *.yaml
var FS embed.FS

// SeizureSimModel is models/seizure-sim.json, the example seizure
// detector of configs/seizure-monitor.yaml: a logistic regression on the
// 19-channel 10-20 montage (common average, 256 Hz, 4 s windows) trained
// on simulated EEG (tools/models/make_seizure_sim_model.sh). It shows the
// pipeline working; it is not a clinical detector. Embedded for
// `neurostream analyze`, which runs it with no files around the binary.
//
//go:embed models/seizure-sim.json
var SeizureSimModel []byte

// SeizureSimModelName is SeizureSimModel's file name.
const SeizureSimModelName = "seizure-sim.json"
