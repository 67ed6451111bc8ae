# Two commands for a fresh machine: `make worksheets` and `make test`.
# Both create .venv, install the package with its test tools, and install TeX Live from
# Debian's packages when pdflatex or latexmk is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-latex-extra \
	texlive-pictures texlive-fonts-recommended lmodern latexmk poppler-utils
WORKSHEETS := $(wildcard worksheets/*.yaml)
OUT := build/worksheets

.PHONY: all setup tex test worksheets lint bench clean

all: test

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

tex:
	@if ! command -v pdflatex >/dev/null || ! command -v latexmk >/dev/null; then \
		echo "TeX Live is missing: installing it with apt-get (a few minutes)..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			$(TEX_PACKAGES) >/dev/null; \
	fi

test: $(STAMP) tex
	$(BIN)/ruff check symbackprop tests benchmarks
	$(BIN)/python -m pytest

worksheets: $(STAMP) tex
	@mkdir -p $(OUT)
	@for f in $(WORKSHEETS); do \
		name=$$(basename $$f .yaml); \
		echo "derive $$f -> $(OUT)/$$name.txt, $(OUT)/$$name.json"; \
		$(BIN)/symbackprop derive $$f > $(OUT)/$$name.txt.tmp && \
		$(BIN)/symbackprop derive $$f --json > $(OUT)/$$name.json.tmp && \
		mv $(OUT)/$$name.txt.tmp $(OUT)/$$name.txt && \
		mv $(OUT)/$$name.json.tmp $(OUT)/$$name.json || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check symbackprop tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_derive.py

clean:
	rm -rf build $(VENV) *.egg-info
