# Trellis — every target installs what it needs: uv (with pip) and the locked environment.
SHELL := /bin/bash
PYTHON ?= python3
# uv on PATH if there is one, else the one pip installs (`python -m uv` works for it).
UV ?= $(or $(shell command -v uv 2>/dev/null),$(PYTHON) -m uv)

.PHONY: install dev test lint fmt typecheck unit integration e2e bench clean tfcheck

.make/uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@mkdir -p .make && touch $@

.make/synced: .make/uv pyproject.toml uv.lock backend/api/pyproject.toml backend/worker/pyproject.toml
	$(UV) sync --locked --all-packages
	@mkdir -p .make && touch $@

install: .make/synced ## install uv (if missing) and the locked environment

dev: install ## run the example stack on the embedded AWS emulator (gateway on :8000)
	$(UV) run trellis dev

lint: install ## ruff lint + format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

fmt: install ## format and fix what ruff can
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

typecheck: install ## mypy, strict on src/
	$(UV) run mypy

unit: install
	$(UV) run pytest -m "not integration and not e2e" -q

integration: install
	$(UV) run pytest -m integration -q

e2e: install
	$(UV) run pytest -m e2e -q

# checkov runs in its own tool environment: it replaces python-hcl2's `hcl2` package with its fork.
CHECKOV_VERSION ?= 3.3.30
tfcheck: install ## checkov on terraform/ and bootstrap/ (skips and their reasons: .checkov.yaml)
	@# One run per directory: checkov keys results by relative path, and both have a main.tf.
	@for dir in terraform bootstrap; do \
		echo "checkov $$dir/"; \
		CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(UV) tool run --from checkov==$(CHECKOV_VERSION) \
			checkov --config-file .checkov.yaml -d $$dir --skip-download || exit 1; \
	done

test: lint typecheck tfcheck ## lint, type-check and the whole test suite (unit, integration, end-to-end)
	$(UV) run pytest -q

bench: install ## run every benchmark (several minutes) and write bench/RESULTS.md
	$(UV) run python bench/run.py

clean:
	rm -rf .make .venv .mypy_cache .pytest_cache .ruff_cache
