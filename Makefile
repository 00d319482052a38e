# Quick start: `make run` (set up + analyse the bundled samples), `make test` (set up + lint + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Debian packages: a CJK font and Pango for PDFs, poppler (PDF → PNG in tests), Chromium for the web UI
# tests, a Java runtime for the Spark extra. Installed only when missing (needs root or sudo).
SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup sysdeps run test lint bench clean

sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get install -y --no-install-recommends $$missing >/dev/null || \
		{ $(SUDO) apt-get update >/dev/null && $(SUDO) apt-get install -y --no-install-recommends $$missing >/dev/null; }; \
	fi

$(STAMP): pyproject.toml
	$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	@mkdir -p out
	$(BIN)/anning check "【分期金融】刘某某，还贷呗欠款网贷由于多次与您协商无果，清收人员将于今日12点拟定债务委托书，授权专员到预留证件地上访，还款终止拒收请回复R。" --sender 10690000123 --at 2026-11-20T23:15
	$(BIN)/anning batch src/anning/samples/messages.jsonl out/verdicts.jsonl
	$(BIN)/anning eval src/anning/samples/messages.jsonl
	rm -rf out/evidence.db* out/evidence-package
	$(BIN)/anning evidence import src/anning/samples/sms-backup.xml --db out/evidence.db --no-progress
	$(BIN)/anning evidence case new "分期金融 催收" --platform 分期金融 --db out/evidence.db
	$(BIN)/anning evidence verify --db out/evidence.db
	$(BIN)/anning evidence report 1 --out out/evidence-package --db out/evidence.db

lint: setup
	$(BIN)/ruff check src tests benchmarks tools

test: lint
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info
	find src -name "*.so" -delete
