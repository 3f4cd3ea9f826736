# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test typecheck lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/rolldeck $(ARGS)

test: $(STAMP_TEST) typecheck
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# mypy cannot follow the editable install's package-dir mapping, so it reads a link tree that
# spells the installed names: .venv/typecheck/rolldeck/<folder> -> ./<folder>.
TYPECHECK := $(VENV)/typecheck
typecheck: $(STAMP_TEST)
	@mkdir -p $(TYPECHECK)/rolldeck
	@for d in console engine simulator scenarios; do ln -sfn ../../../$$d $(TYPECHECK)/rolldeck/$$d; done
	cd $(TYPECHECK) && MYPYPATH=. ../bin/mypy --config-file ../../pyproject.toml -p rolldeck

bench: $(STAMP_TEST)
	$(BIN)/python bench/sim_throughput.py
	$(BIN)/python bench/sim_throughput.py --all-features
	$(BIN)/python bench/sim_accuracy.py

# README screenshots: needs Debian's librsvg2-bin (rsvg-convert) and, for exact glyphs, fonts-firacode.
screenshots: $(STAMP_RUN)
	$(BIN)/python docs/screenshots/render.py

clean:
	rm -rf $(VENV) build dist *.egg-info
