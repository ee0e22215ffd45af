# The two commands of the README. Both install what they need first, so a fresh machine works.
PYTHON ?= python3
PORT ?= 8501

.PHONY: install install-ray run test test-quick eval bench

install:
	$(PYTHON) -m pip install -q -r requirements.txt

# Ray (~250 MB) only for `python -m indexer build --ray` and its test: not in the default install.
install-ray: install
	$(PYTHON) -m pip install -q -r requirements-ray.txt

# Build the store from corpus/ (only what changed), bring the search index up to date, start the app.
run: install
	$(PYTHON) -m indexer build
	$(PYTHON) -m indexer index
	$(PYTHON) -m streamlit run app.py --server.address localhost --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# All tiers: quick (no model), core (the model, loaded once), comparison (against the generic-RAG
# baseline of eval/), ray (the build on a 2-worker local Ray cluster).
test: install-ray
	$(PYTHON) -m pytest -q tests

# Parsing, store, 文号, responsibility, intent: no model, well under a minute.
test-quick: install
	$(PYTHON) -m pytest -q tests/quick

eval: install
	$(PYTHON) -m eval.run

bench: install
	$(PYTHON) -m bench.run
