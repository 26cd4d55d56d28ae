#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Debian's dovecot-imapd) and runs the whole suite
# on SQLite and PostgreSQL (127.0.0.1:5432, database test), against real IMAP and SMTP servers.
# Where no PostgreSQL answers at 127.0.0.1:5432, a throwaway cluster runs for the run (scripts/test-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/install-test-deps.sh ] || [ -f scripts/install-test-deps.sh ]; then
  bash scripts/install-test-deps.sh
fi
bash scripts/setup.sh --test
# shellcheck source=scripts/test-postgres.sh
source scripts/test-postgres.sh
.venv/bin/ruff check .
.venv/bin/mypy busavvik ingest parsers store notify config web pipeline
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
