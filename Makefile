# Two commands on a fresh machine:  `make run` (the app on seeds/)  and  `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rag-qa
LLAMA_VERSION := 0.3.36
# Portable x86-64 build: a native build picks up AMX, which crashes on these virtual machines.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: setup models run test index clean-index

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# llama-cpp-python compiles from source (~7 min on 2 cores); the wheel is kept in the user cache.
$(VENV)/.llama: | $(BIN)/python
	mkdir -p $(CACHE)/wheels
	ls $(CACHE)/wheels/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --no-cache-dir --no-deps \
	    llama-cpp-python==$(LLAMA_VERSION) -w $(CACHE)/wheels
	$(BIN)/pip install -q $(CACHE)/wheels/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.llama
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
