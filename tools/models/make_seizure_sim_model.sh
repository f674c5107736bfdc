#!/usr/bin/env bash
# Writes configs/models/seizure-sim.json, the detector configs/seizure-monitor.yaml
# loads: a models/seizure logistic regression on the SzCORE montage (19 channels
# of the 10-20 system, common average, 256 Hz, 4 s windows) trained on four
# simulated 30-minute sessions (seeds 1-4, about 6 seizures per hour; `neurostream
# simulate`). It is a working example for the pipeline, not a clinical detector:
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
$ns train seizure --data "$tmp" --window 4 --hop 2 --reference average \
  --out configs/models/seizure-sim.json
