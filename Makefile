# newsbot — the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench format clean catalogs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/newsbot demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check bot adapters storage tests benchmarks
	$(BIN)/ruff format --check bot adapters storage tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

format: $(STAMP)
	$(BIN)/ruff format bot adapters storage tests benchmarks
	$(BIN)/ruff check --fix bot adapters storage tests benchmarks

# The bot's words: extract the messages the code marks, merge them into each catalog.
# Catalogs are read as .po at start (adapters/catalogs.py): no compile step is needed.
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k 'n_:1,2' -k N_ --no-location --sort-output \
		--project newsbot --copyright-holder "newsbot contributors" -w 100 \
		-o adapters/locales/newsbot.pot .
	$(BIN)/pybabel update -i adapters/locales/newsbot.pot -d adapters/locales -D newsbot \
		-w 100 --ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(VENV) build *.egg-info
