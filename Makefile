# The front door. `make demo` and `make test` set everything up on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench gallery strip-notebooks dot browser clean

# The environment: a virtual environment in the repo with funcnet and its dev extra.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,jax]"
	touch $(STAMP)

# Pictures need no system program: graphviz-pure (a pip dependency) draws PNG and SVG.
# Graphviz's `dot` is used when present and is the only way to PDF: installed with apt-get
# when run as root, otherwise a note (PDF tests then skip).
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Graphviz (the dot program, for PDF) with apt-get..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Note: no Graphviz 'dot'; PNG/SVG use graphviz-pure, PDF needs: apt-get install graphviz"; \
	  fi; }

# The HTML page's test drives the system Chromium (Playwright may not download browsers).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium (for the HTML page's browser test) with apt-get..."; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	      || echo "Note: chromium could not be installed; the HTML page's browser test will skip."; \
	  else \
	    echo "Note: no chromium; the HTML page's browser test will skip."; \
	  fi; }

demo: $(STAMP)
	$(PY) -m funcnet.demo

# Two workers: the notebooks and subprocess tests spend much of their time waiting.
# Two passes, one per Keras backend: TensorFlow, then JAX, which lists what it skips and why
# (tests/conftest.py says how a TensorFlow-only test opts out).
test: $(STAMP) dot browser
	KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3 $(PY) -m pytest -q -n 2
	KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=3 $(PY) -m pytest -q -n 2 -rs

lint: $(STAMP)
	$(VENV)/bin/ruff check funcnet tests benchmarks
	$(VENV)/bin/ruff format --check funcnet tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP) dot
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The architecture pictures the README shows, one per seed case and recipe example.
gallery: $(STAMP)
	$(PY) -m funcnet gallery --out notebooks/gallery

# Notebooks are committed without outputs: this clears what a run in Jupyter left in them.
strip-notebooks: $(STAMP)
	$(PY) -c "import glob, nbformat; \
	nbs = {p: nbformat.read(p, as_version=4) for p in sorted(glob.glob('notebooks/*.ipynb'))}; \
	[c.update(outputs=[], execution_count=None) for nb in nbs.values() for c in nb.cells if c.cell_type == 'code']; \
	[c.metadata.pop('execution', None) for nb in nbs.values() for c in nb.cells]; \
	[nb.metadata.update(language_info={'name': 'python'}) for nb in nbs.values()]; \
	[nbformat.write(nb, p) for p, nb in nbs.items()]"

clean:
	rm -rf $(VENV) funcnet-demo
