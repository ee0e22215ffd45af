# The two commands of the README. Both install what they need first, so a fresh machine works.
PYTHON ?= python3
PORT ?= 8501

.PHONY: install run test eval bench

install:
	$(PYTHON) -m pip install -q -r requirements.txt

# Build the store from corpus/ (only what changed), bring the search index up to date, start the app.
run: install
	$(PYTHON) -m indexer build
	$(PYTHON) -m indexer index
	$(PYTHON) -m streamlit run app.py --server.address localhost --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

test: install
	$(PYTHON) -m pytest -q

eval: install
	$(PYTHON) -m eval.run

bench: install
	$(PYTHON) -m bench.run
