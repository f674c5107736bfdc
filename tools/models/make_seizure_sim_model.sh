#!/usr/bin/env bash
# Writes configs/models/seizure-sim.json, the detector configs/seizure-monitor.yaml
# loads: a models/seizure logistic regression on the SzCORE montage (19 channels
# of the 10-20 system, common average, 256 Hz, 4 s windows every 1 s, the
# monitor's) trained on four simulated 30-minute sessions (seeds 1-4, about 6
# seizures per hour; `neurostream simulate`). Its inputs are each feature's mean,
# smallest and largest value over the channels (--pool-channels), z-scored
# against the recording's own running baseline with a 120 s time constant
# (--baseline 120; docs/seizure.md, "Seizure onset"). It is a working example for the pipeline, not a clinical detector:
# train on your own recordings with `neurostream train seizure` for real use.
# Deterministic: the same binary writes the same file. Run from the repository
# root: `make models`.
set -euo pipefail
ns=${NEUROSTREAM:-go run ./cmd/neurostream}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for seed in 1 2 3 4; do
  $ns simulate --out "$tmp/train-$seed.edf" --duration 1800 --seizure-rate 6 --seed "$seed" >/dev/null
done
$ns train seizure --data "$tmp" --window 4 --hop 1 --reference average \
  --pool-channels --baseline 120 --out configs/models/seizure-sim.json
