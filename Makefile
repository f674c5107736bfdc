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
DATA ?= $(abspath ../shared/data)

export NEUROSTREAM_PYTHON := $(PYTHON)

.PHONY: all build demo test test-go race bench bench-compare lint fuzz pyenv golden models eval-seizure clean kafka-up kafka-down kafka-wipe

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

test: pyenv
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# The race detector on the pipeline packages (goroutines, acknowledgements,
# asynchronous writes).
race:
	$(GO) test -count=1 -race ./pipeline/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/neurostream bench dsp

# neurostream against scipy, MNE and numpy on the same data, one core each.
bench-compare: pyenv
	$(GO) build -o $(NEUROSTREAM_CACHE)/neurostream ./cmd/neurostream
	$(PYTHON) tools/bench/dsp_compare.py --neurostream $(NEUROSTREAM_CACHE)/neurostream

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Each fuzz target runs for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

# Rewrite the MNE/scipy golden files (recordings from ../shared/data). Never
# edit them by hand.
golden: pyenv
	$(PYTHON) formats/testdata/golden/make_golden.py $(DATA) formats/testdata/golden
	$(PYTHON) dsp/testdata/make_golden.py dsp/testdata/welch_golden.json
	$(PYTHON) dsp/testdata/make_filter_golden.py dsp/testdata/filter_golden.json
	$(PYTHON) dsp/testdata/make_mt_golden.py dsp/testdata/mt_golden.json
	$(PYTHON) dsp/testdata/make_csd_golden.py dsp/testdata/csd_golden.json

# Rewrite the example model files configs/ load (deterministic). Never edit
# them by hand.
models:
	tools/models/make_seizure_sim_model.sh

# The simulated long-recording seizure evaluation of docs/seizure.md.
eval-seizure:
	tools/eval/seizure_sim.sh $(NEUROSTREAM_CACHE)/eval-seizure

clean:
	rm -rf out
