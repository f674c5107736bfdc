// Package eval runs the evaluations of `neurostream eval`: an SSVEP
// decoder's accuracy, balanced accuracy and ITR per subject, session,
// method and window length (SSVEP), and a seizure detector's SzCORE
// scores and alarm latencies per recording (Seizure), on any dataset
// folder in the layout of the shared recordings.
//
// Both read recordings as training and `run` do: SSVEP trials come from
// pipeline/train's one path (train.SSVEPCalibration: run's source
// options, preprocessing and event windows), and seizure detections from
// a run of the seizure pipeline (configs/seizure-monitor.yaml by default)
// whose SzCORE output is scored, so the figures are those of the stream.
//
// Subjects and sessions come from the folder layout (Recordings): a BIDS
// file's sub- and ses- entities, otherwise the recording's folder is its
// subject and the recording one of its sessions.
package eval
