# neurostream — build, demo, tests, benchmarks.
#
# Python used by tests (MNE, scipy, pyarrow …) is pinned in
# tools/python/requirements.txt and installed into a virtualenv under
# $(NEUROSTREAM_CACHE), outside the repo, so a repeated run is fast.

NEUROSTREAM_CACHE ?= $(HOME)/.cache/neurostream
VENV := $(NEUROSTREAM_CACHE)/venv
PYTHON := $(VENV)/bin/python
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME ?= 10s
FUZZMINIMIZE ?= 100x
DATA ?= $(abspath ../shared/data)

export NEUROSTREAM_PYTHON := $(PYTHON)

.PHONY: all build demo test test-go test-purego generate race bench bench-compare lint fuzz pyenv golden models eval-seizure clean kafka-up kafka-down kafka-wipe uplot

all: build

build:
	$(GO) build ./...

# Built first, then run, so that the minute the first build takes is not a
# silent one.
demo:
	@echo "make demo: compiling ./cmd/neurostream into $(NEUROSTREAM_CACHE)/neurostream (the first build downloads modules and takes a minute or two) ..."
	@mkdir -p $(NEUROSTREAM_CACHE)
	$(GO) build -o $(NEUROSTREAM_CACHE)/neurostream ./cmd/neurostream
	@echo "make demo: running neurostream demo --out ./out (simulated sessions and an EDF+ recording through an in-process Kafka broker) ..."
	$(NEUROSTREAM_CACHE)/neurostream demo --out ./out
	@echo "make demo: drawing the results (neurostream report --in ./out --out ./out/report) ..."
	$(NEUROSTREAM_CACHE)/neurostream report --in ./out --out ./out/report
	@echo "make demo: the report is $(CURDIR)/out/report/index.html; for a live view, run: neurostream run --config builtin:demo.yaml --view 127.0.0.1:8080"

pyenv: $(VENV)/.stamp

$(VENV)/.stamp: tools/python/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r tools/python/requirements.txt
	touch $@

# A real single-node Kafka broker (KRaft, from Maven Central jars) on
# NEUROSTREAM_KAFKA (default 127.0.0.1:9092), for the Kafka tests and
# development. `make test` does not start it: without one, the Kafka
# package's tests run against an in-process kfake broker and the tests of
# the CLI's processes skip (under CI=true, where .ci/run starts a real
# broker, its absence fails them).
# See docs/operations.md.
kafka-up:
	NEUROSTREAM_CACHE=$(NEUROSTREAM_CACHE) deploy/kafka/up.sh

# kafka-down stops the broker and keeps its data; kafka-wipe also deletes
# the data (every topic, record and committed offset).
kafka-down:
	NEUROSTREAM_CACHE=$(NEUROSTREAM_CACHE) deploy/kafka/down.sh

kafka-wipe:
	NEUROSTREAM_CACHE=$(NEUROSTREAM_CACHE) deploy/kafka/down.sh --wipe

# -timeout 20m: pipeline/train's nested SSVEP evaluation on the shared
# recordings takes about 6 min on 2 cores with nothing else running, more
# beside the other packages' tests; beside a benchmark it ran past go
# test's default of 10 min (2026-12-08).
test: pyenv
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) test-purego

# The packages whose results go through dsp's FFT, built with -tags purego:
# the pure-Go fallback of the AVX2 kernels (dsp/vec_amd64.s) against the
# same golden files, as on a CPU without AVX2 or another architecture.
test-purego:
	$(GO) vet -tags purego ./dsp/...
	$(GO) test -count=1 -tags purego ./dsp/... ./pipeline/stages/...

# Regenerates dsp/vec_amd64.s from its avo generator (dsp/internal/asm, a
# module of its own).
generate:
	$(GO) generate ./dsp

# The race detector on the pipeline packages (goroutines, acknowledgements,
# asynchronous writes).
# -short leaves out the accuracy evaluations on shared recordings (minutes
# of numeric work, no concurrency of their own; `make test` runs them).
race:
	$(GO) test -count=1 -race -short ./pipeline/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/neurostream bench dsp

# neurostream against scipy, MNE and numpy on the same data, one core each:
# every row of docs/benchmarks.md's DSP table, kept in docs/bench/dsp-compare.json
# (`tools/bench/dsp_compare.py --markdown docs/bench/dsp-compare.json
# --update-doc docs/benchmarks.md` rewrites the table from it).
bench-compare: pyenv
	$(GO) build -o $(NEUROSTREAM_CACHE)/neurostream ./cmd/neurostream
	@mkdir -p docs/bench
	$(PYTHON) tools/bench/dsp_compare.py --neurostream $(NEUROSTREAM_CACHE)/neurostream --go $(GO) --out docs/bench/dsp-compare.json

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Each fuzz target runs for FUZZTIME, minimising a new input for at most
# FUZZMINIMIZE executions. With Go's default (up to 60 s per input) a
# short run spent its time minimising the first new input it found: in
# 5 s, FuzzRunner ran 308 inputs and FuzzDecode 141 with the default,
# 25,583 and 56,716 with 100x (warm fuzz cache, 2 cores, 2026-12-07).
# Go's fuzzer can end a timed run with "context deadline exceeded" when
# the time runs out while it is still minimising, with no failing input
# found; only that is forgiven: any run that wrote a failing input fails.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    if ! $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg > $(NEUROSTREAM_CACHE)/fuzz.log 2>&1; then \
	      cat $(NEUROSTREAM_CACHE)/fuzz.log; \
	      if grep -q 'context deadline exceeded' $(NEUROSTREAM_CACHE)/fuzz.log && ! grep -q 'Failing input written' $(NEUROSTREAM_CACHE)/fuzz.log; then \
	        echo "fuzz $$pkg $$f: the time ran out while minimising; no failing input"; \
	      else exit 1; fi; \
	    else tail -n 2 $(NEUROSTREAM_CACHE)/fuzz.log; fi; \
	  done; done

# Rewrite the MNE/scipy golden files (recordings from ../shared/data). Never
# edit them by hand.
golden: pyenv
	$(PYTHON) formats/testdata/golden/make_golden.py $(DATA) formats/testdata/golden
	$(PYTHON) dsp/testdata/make_golden.py dsp/testdata/welch_golden.json
	$(PYTHON) dsp/testdata/make_filter_golden.py dsp/testdata/filter_golden.json
	$(PYTHON) dsp/testdata/make_mt_golden.py dsp/testdata/mt_golden.json
	$(PYTHON) dsp/testdata/make_csd_golden.py dsp/testdata/csd_golden.json
	$(PYTHON) models/riemann/testdata/make_golden.py models/riemann/testdata/golden.json

# Rewrite the example model and vocabulary files configs/ load, under
# configs/models and configs/vocab (deterministic). Never edit them by hand.
models:
	tools/models/make_seizure_sim_model.sh
	GO=$(GO) tools/models/make_tokens_sim_vocab.sh

# The simulated long-recording seizure evaluation of docs/seizure.md.
eval-seizure:
	tools/eval/seizure_sim.sh $(NEUROSTREAM_CACHE)/eval-seizure

# The live view's chart library (view/web/vendor/uplot): uPlot's minified
# build and licence from the npm registry, committed so that the binary
# embeds them and nothing is fetched at run time. `make uplot` fetches
# UPLOT_VERSION again and checks every file against SHA256SUMS there
# (a refresh must give the same bytes); to move to another version,
# `make uplot UPLOT_VERSION=x.y.z UPLOT_UPDATE=1` rewrites VERSION and
# SHA256SUMS, to be reviewed and committed with the files.
UPLOT_DIR := view/web/vendor/uplot
UPLOT_VERSION ?= $(shell cat $(UPLOT_DIR)/VERSION)
uplot:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	(cd $$tmp && npm pack --silent uplot@$(UPLOT_VERSION) >/dev/null && tar xzf uplot-$(UPLOT_VERSION).tgz); \
	cp $$tmp/package/dist/uPlot.iife.min.js $$tmp/package/dist/uPlot.min.css $$tmp/package/LICENSE $$tmp/; \
	if [ -n "$(UPLOT_UPDATE)" ]; then \
	  (cd $$tmp && sha256sum uPlot.iife.min.js uPlot.min.css LICENSE) > $(UPLOT_DIR)/SHA256SUMS; \
	  echo $(UPLOT_VERSION) > $(UPLOT_DIR)/VERSION; \
	fi; \
	(cd $$tmp && sha256sum --quiet -c $(CURDIR)/$(UPLOT_DIR)/SHA256SUMS); \
	cp $$tmp/uPlot.iife.min.js $$tmp/uPlot.min.css $$tmp/LICENSE $(UPLOT_DIR)/; \
	echo "uplot $(UPLOT_VERSION): $(UPLOT_DIR) matches SHA256SUMS"

clean:
	rm -rf out
