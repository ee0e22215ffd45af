# The two commands of the README. Both install what they need first, so a fresh machine works.
PYTHON ?= python3
PORT ?= 8501

.PHONY: install run test test-quick eval bench

install:
	$(PYTHON) -m pip install -q -r requirements.txt

# Build the store from corpus/ (only what changed), bring the search index up to date, start the app.
run: install
	$(PYTHON) -m indexer build
	$(PYTHON) -m indexer index
	$(PYTHON) -m streamlit run app.py --server.address localhost --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# All tiers: quick (no model), core (the model, loaded once), comparison (against the generic-RAG
# baseline of eval/).
test: install
	$(PYTHON) -m pytest -q tests

# Parsing, store, 文号, responsibility, intent: no model, well under a minute.
test-quick: install
	$(PYTHON) -m pytest -q tests/quick

eval: install
	$(PYTHON) -m eval.run

bench: install
	$(PYTHON) -m bench.run
