# Everything the project needs is installed by `make bootstrap` (the other targets call it):
# a virtualenv with the Python dependencies, and helm 4.3.1 / 3.19.0 when not on PATH.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: bootstrap validate test smoke generate bench mutations package clean

bootstrap: $(VENV)/.bootstrapped

$(VENV)/.bootstrapped: pyproject.toml generator/tools.py .tools/checkov/.installed .tools/ray/.installed
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/llm-serving tools
	touch $@

# checkov needs packaging<24 while pytest needs >=24: it gets a virtualenv of its own.
CHECKOV_VERSION ?= 3.3.30
.tools/checkov/.installed: Makefile
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/python -m pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)' 'packaging<24'
	touch $@

# Ray Serve 2.52, the release the kuberay chart's image runs, for tests/ray_serve_check.py to check
# the rendered serve configs against Ray's own classes (no vLLM: the checks read Ray's classes only;
# Ray Serve LLM's config module imports pyarrow, which ray[serve] does not bring).
RAY_VERSION ?= 2.52.0
PYARROW_VERSION ?= 26.0.1
.tools/ray/.installed: Makefile
	$(PYTHON) -m venv .tools/ray
	.tools/ray/bin/python -m pip install --quiet --disable-pip-version-check 'ray[serve]==$(RAY_VERSION)' 'pyarrow==$(PYARROW_VERSION)'
	touch $@

# Main job: generate, render and validate every profile, print the summary table.
validate: bootstrap
	$(BIN)/llm-serving validate

# The test suite (what CI runs).
test: bootstrap
	LLM_SERVING_RAY_PYTHON=$(CURDIR)/.tools/ray/bin/python $(BIN)/python -m pytest -q

# Smoke checks inside a live release's pods: LLM_SERVING_RELEASE=r1 LLM_SERVING_NAMESPACE=llm make smoke
smoke: bootstrap
	$(BIN)/python -m pytest -q tests/smoke -rs

generate: bootstrap
	$(BIN)/llm-serving generate

# The chart package in $(DIST) (version from generator/__init__.py). Signed, with the provenance file
# $(DIST)/llm-serving-<version>.tgz.prov: make package KEY="<key name>" KEYRING=<secring.gpg> [PASSPHRASE_FILE=<file>]
DIST ?= dist
KEY ?=
KEYRING ?=
PASSPHRASE_FILE ?=
package: bootstrap
	$(BIN)/llm-serving package --destination "$(DIST)" $(if $(KEY),--sign --key "$(KEY)" --keyring "$(KEYRING)") \
		$(if $(PASSPHRASE_FILE),--passphrase-file "$(PASSPHRASE_FILE)")

# Bare `helm template` against the full validation, per profile.
bench: bootstrap
	$(BIN)/python benchmarks/render_vs_validate.py

# Break each behaviour of mutations/mutations.yaml on purpose and check a test fails (a few minutes).
mutations: bootstrap
	$(BIN)/python mutations/check.py

clean:
	rm -rf $(VENV) .tools
