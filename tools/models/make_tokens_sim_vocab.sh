#!/usr/bin/env bash
# Writes configs/vocab/vocab-sim.arrow, the vocabulary configs/tokens.yaml
# loads: the tokenizer's example vocabulary, 256 tokens trained on 4 minutes of
# the default simulated 10-20 session (seed 3; tokenizer/fixture_test.go), which
# the tokenizer's tests keep as their fixture in tokenizer/testdata. It shows the
# pipeline working; train your own with `neurostream train tokenizer`.
# Deterministic: the same code writes the same file. Run from the repository
# root: `make models`.
set -euo pipefail
go=${GO:-go}
$go test ./tokenizer -run '^TestVocabFixture$' -count=1 -update
mkdir -p configs/vocab
cp tokenizer/testdata/vocab-sim.arrow configs/vocab/vocab-sim.arrow
