# Two commands do all set-up on a fresh machine: `make book` and `make test`.
# Both create the virtual environment in .venv when it is missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# torch 2.13.0 (PyPI's Linux build carries CUDA and also runs on the CPU; a CPU-only build installed into .venv
# beforehand satisfies it). Override with another release, e.g. TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: book test release publish venv colab-env clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -r requirements.txt -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# A second environment with Google Colab's versions of what the course touches (tests/colab/README.md):
# tests install the student edition there and run both notebooks in its IPython 7.34 kernel.
COLAB_VENV := .venv-colab
COLAB_STAMP := $(COLAB_VENV)/.installed

colab-env: $(COLAB_STAMP)

$(COLAB_STAMP): tests/colab/pip-freeze.txt tests/colab/packages.txt
	rm -rf $(COLAB_VENV)
	$(PYTHON) -m venv $(COLAB_VENV)
	# setuptools is left free: the stand-in torch 2.13 needs a newer one than Colab's torch 2.11 does.
	grep -v -e " @ " -e "^#" -e "^setuptools==" tests/colab/pip-freeze.txt > $(COLAB_VENV)/constraints.txt
	$(COLAB_VENV)/bin/pip install --quiet -c $(COLAB_VENV)/constraints.txt pip
	$(COLAB_VENV)/bin/pip install --quiet -c $(COLAB_VENV)/constraints.txt "$(TORCH_SPEC)"
	$(COLAB_VENV)/bin/pip install --quiet -c $(COLAB_VENV)/constraints.txt -r tests/colab/packages.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

release: $(STAMP)
	$(PY) -m autograder release

# The website, in _build/html. Chapters are executed on the CPU (the same outputs on every machine)
# and cached in _build/.jupyter_cache; warnings are errors.
# Sphinx rewrites _build/html/.buildinfo only when its configuration changes, so a build after an edit
# that changes no page (a helper module of abcrnn, say) would leave it older than the sources; the touch
# records that the site was built after them, which is what `autograder publish` checks.
# Sphinx re-reads only a changed page, and jupyter-cache re-runs only changed code: a new result in
# benchmarks/results, which chapters 8-9 read, changes neither, so both caches are dropped when a result is
# newer than the site (every chapter then runs again).
book: $(STAMP) node_modules/.installed release
	if [ -f _build/html/.buildinfo ] && [ -n "$$(find benchmarks/results -newer _build/html/.buildinfo)" ]; \
	  then rm -rf _build/.jupyter_cache _build/.doctrees; fi
	CUDA_VISIBLE_DEVICES= $(VENV)/bin/jupyter-book build . --builder html --warningiserror --keep-going
	touch _build/html/.buildinfo

# The student edition: `make publish DEST=../course-public` (DRY_RUN=1 allows the placeholder address).
# The site is rebuilt from scratch (the chapters' execution cache stays), so no file left from an older
# build reaches students.
publish:
	test -n "$(DEST)" || (echo "Вкажіть теку: make publish DEST=../назва-публічного-репозиторію" >&2; exit 2)
	rm -rf _build/html _build/.doctrees
	$(MAKE) book
	$(PY) -m autograder publish "$(DEST)" $(if $(DRY_RUN),--dry-run,)

test: book colab-env
	$(PY) -m pytest

clean:
	rm -rf _build
