# Two commands on a fresh machine:  `make run` (the app on seeds/)  and  `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rag-qa
LLAMA_VERSION := 0.3.36
# One wheel for any x86-64 machine with AVX2: ggml's CPU backend is built twice as loadable modules and the
# best one for the CPU is picked when llama_cpp is imported (GGML_BACKEND_DL). haswell = AVX2/FMA/F16C/BMI2;
# zen4 = that + AVX-512 F/CD/VL/DQ/BW, VBMI, VNNI, BF16 (Zen 4/5, Sapphire Rapids and later). No AMX variant
# (it crashed on these virtual machines), no llava/mtmd library (unused). See docs/performance.md.
LLAMA_CPU_VARIANTS := haswell;zen4
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON \
  -DGGML_CPU_VARIANTS=$(LLAMA_CPU_VARIANTS) -DGGML_BACKEND_DIR:STRING=llama_cpp/lib -DLLAVA_BUILD=OFF
# Small changes to the sdist: GGML_CPU_VARIANTS to restrict GGML_CPU_ALL_VARIANTS, and llama_cpp loading
# the CPU module from its own lib folder into libllama's own libggml (GGML_CPU_VARIANT=haswell forces one).
LLAMA_PATCH := packaging/llama-cpp-python-$(LLAMA_VERSION)-cpu-dispatch.patch
# The cached wheel's folder is named for its flags and patch: a wheel built otherwise is never reused.
LLAMA_BUILD_ID := $(shell { echo '$(LLAMA_CMAKE_ARGS)'; cat $(LLAMA_PATCH); } | sha256sum | cut -c1-10)
LLAMA_WHEELS := $(CACHE)/wheels/llama-cpp-python-$(LLAMA_VERSION)-dispatch-$(LLAMA_BUILD_ID)

.PHONY: setup models run test index clean-index

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# llama-cpp-python compiles from the patched sdist (~7 min on 2 cores); the wheel is kept in the user cache.
# The patch is order-only: its content is in LLAMA_BUILD_ID already, and a fresh clone's newer file time must
# not rebuild a cached wheel.
$(LLAMA_WHEELS)/.done: | $(LLAMA_PATCH) $(BIN)/python
	rm -rf build/llama-src && mkdir -p build/llama-src $(LLAMA_WHEELS)
	$(BIN)/pip download -q --no-deps --no-binary :all: llama-cpp-python==$(LLAMA_VERSION) -d build/llama-src
	tar xzf build/llama-src/llama_cpp_python-$(LLAMA_VERSION).tar.gz -C build/llama-src
	patch -d build/llama-src/llama_cpp_python-$(LLAMA_VERSION) -p1 < $(LLAMA_PATCH)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --no-cache-dir --no-deps \
	  build/llama-src/llama_cpp_python-$(LLAMA_VERSION) -w $(LLAMA_WHEELS)
	rm -rf build/llama-src
	touch $@

# Named for the build, so `make setup` replaces a wheel of the same version built with other flags.
$(VENV)/.llama-$(LLAMA_BUILD_ID): $(LLAMA_WHEELS)/.done | $(BIN)/python
	$(BIN)/pip uninstall -q -y llama-cpp-python 2>/dev/null || true
	$(BIN)/pip install -q $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	rm -f $(VENV)/.llama $(VENV)/.llama-*
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.llama-$(LLAMA_BUILD_ID)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

models: setup
	$(BIN)/rag models

run: models
	$(BIN)/python app.py

index: models
	$(BIN)/rag index

# The browser test drives Debian's Chromium (Playwright's own browser download is not used); CJK fonts for the screenshot.
$(VENV)/.browser: | $(BIN)/python
	command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y chromium fonts-noto-cjk; }
	touch $@

test: models $(VENV)/.browser
	$(BIN)/python -m pytest -q

clean-index:
	rm -rf index/v-* index/CURRENT
