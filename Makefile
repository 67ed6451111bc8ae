# Two commands for a fresh machine: `make worksheets` and `make test`.
# Both create .venv, install the package with its test tools, and install TeX Live from
# Debian's packages when pdflatex or latexmk is missing; `make test` also installs Debian's
# Chromium and ChromeDriver, which the practice pages' tests drive, and GNU parallel and Slurm's
# client, with which the cluster builds (cluster/) are tested.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# axe-core (npm) checks the practice pages' accessibility in the browser tests
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# texlive-lang-greek, -cyrillic and -other (vntex) with cm-super: a roster's names in the
# Greek and Cyrillic scripts and Vietnamese letters (LGR, T2A, T5 font encodings);
# texlive-lang-french, -german and -spanish: those sheets' babel and hyphenation
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-latex-extra \
	texlive-pictures texlive-fonts-recommended lmodern latexmk poppler-utils \
	texlive-lang-greek texlive-lang-cyrillic texlive-lang-other cm-super \
	texlive-lang-french texlive-lang-german texlive-lang-spanish
WORKSHEETS := $(wildcard worksheets/*.yaml)
OUT := build/worksheets

.PHONY: all setup tex browser cluster test test-slow worksheets catalogs lint bench clean

all: test

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

tex:
	@if ! command -v pdflatex >/dev/null || ! command -v latexmk >/dev/null || \
		! command -v pdftotext >/dev/null || ! kpsewhich t2aenc.def lgrenc.def t5enc.def \
		french.ldf ngerman.ldf spanish.ldf >/dev/null; then \
		echo "TeX Live is missing: installing it with apt-get (a few minutes)..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			$(TEX_PACKAGES) >/dev/null; \
	fi

browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "Chromium is missing: installing it with apt-get (a minute)..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver >/dev/null; \
	fi

# GNU parallel builds a set in parts in the tests; sbatch (Slurm's client) reads the array job
cluster:
	@if ! command -v parallel >/dev/null || ! command -v sbatch >/dev/null; then \
		echo "GNU parallel or Slurm's client is missing: installing them with apt-get..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			parallel slurm-client >/dev/null; \
	fi

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4.14.1

# the suite on every core (pytest-xdist): each test is its own process's, TeX's format cache and
# the browsers are shared safely; the 25 slowest are listed, for the next to make faster; 8 min 25 s on 2 cores for 2,674 tests (fresh clone, stop 36;
# CI 611 s whole at stop 35; 15 min 3 s for 2,417 at stop 34, before the fork server)
test: $(STAMP) tex browser cluster $(AXE)
	$(BIN)/ruff check symbackprop tests benchmarks
	$(BIN)/python -m pytest -n auto --durations=25

# thousands of random networks through the three-way verification (minutes)
test-slow: $(STAMP) tex browser $(AXE)
	$(BIN)/python -m pytest -m slow

worksheets: $(STAMP) tex
	@for f in $(WORKSHEETS); do \
		echo "== $$f"; \
		$(BIN)/symbackprop build $$f --format pdf --format html --out $(OUT) || exit 1; \
	done
	@echo "Worksheets, answer keys, class sets and practice pages are in $(OUT)/"

# after a student-facing string changed: extract the messages, update every language's catalog
# (new messages untranslated, to be filled in: the tests say which), compile them
catalogs: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
		-o locale/symbackprop.pot .
	$(BIN)/pybabel -q update -D symbackprop -i locale/symbackprop.pot -d locale \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -D symbackprop -d locale --statistics

lint: $(STAMP)
	$(BIN)/ruff check symbackprop tests benchmarks

bench: $(STAMP) tex
	$(BIN)/python benchmarks/bench_derive.py
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_mark.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_conv.py

clean:
	rm -rf build $(VENV) *.egg-info
