#!/usr/bin/env bash
# Simulated long-recording evaluation of the streaming seizure detector
# (docs/seizure.md): 12 subjects × 2 h of simulated 10-20 EEG (seeds 1001-1012,
# about 6 seizures per hour, background with alpha, blinks and line noise),
# written as a BIDS-EEG dataset with SzCORE reference annotations; the
# seizure-monitor pipeline (configs/models/seizure-sim.json, trained on
# seeds 1-4 only) runs over it from files and writes SzCORE hypothesis files;
# `neurostream score` compares them as szcore-evaluation 0.0.7 does.
# Usage: tools/eval/seizure_sim.sh WORKDIR   (from the repository root)
set -euo pipefail
work=${1:?usage: $0 WORKDIR}
ns=${NEUROSTREAM:-}
if [ -z "$ns" ]; then
  go build -o "$work/neurostream" ./cmd/neurostream
  ns="$work/neurostream"
fi
rm -rf "$work/bids" "$work/hyp" "$work/out"
for i in $(seq 1 12); do
  sub=$(printf %02d "$i")
  dir="$work/bids/sub-$sub/ses-01/eeg"
  mkdir -p "$dir"
  base="$dir/sub-${sub}_ses-01_task-szMonitoring_run-00"
  "$ns" simulate --out "${base}_eeg.edf" --events-tsv "${base}_events.tsv" \
    --duration 7200 --seizure-rate 6 --seed $((1000 + i)) >/dev/null
done
cat > "$work/monitor.yaml" <<YAML
workers: 2
source: {files: {paths: [$work/bids]}}
window: {length_seconds: 4, hop_seconds: 1}
preprocess: [{type: reference, types: [eeg]}]
stages: [{type: seizure, model: $(pwd)/configs/models/seizure-sim.json}]
output: {dir: $work/out, szcore: $work/hyp}
YAML
"$ns" run --config "$work/monitor.yaml" | tail -4
"$ns" score --ref "$work/bids" --hyp "$work/hyp"
