# Frontline: `make demo` runs the demo on http://127.0.0.1:$(PORT); `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= $(or $(FRONTLINE_PORT),5000)
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check -c requirements/constraints.txt


.PHONY: demo serve test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements/constraints.txt
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	# Only the CDNOW data file inside it is used (tests/models); its old dependencies are not.
	$(BIN)/pip install --quiet --no-deps lifetimes==0.11.3
	touch $@

demo: $(VENV)/.installed
	mkdir -p instance
	$(BIN)/frontline db upgrade
	$(BIN)/frontline push keys --write --if-missing
	$(BIN)/frontline demo load --if-missing
	$(BIN)/frontline models train --if-missing
	$(BIN)/frontline models score
	$(BIN)/frontline demo history --if-missing
	$(BIN)/frontline scoreboard fill --if-missing
	$(BIN)/frontline guidance refresh
	@echo "Live arrivals for the host's phone: .venv/bin/frontline demo arrivals --rate 0.5 (in another terminal)"
	$(MAKE) --no-print-directory serve

serve: $(VENV)/.installed
	@echo "Frontline on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	$(BIN)/gunicorn --config python:frontline.gunicorn_conf --bind 127.0.0.1:$(PORT) 'frontline:create_app()'

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache
