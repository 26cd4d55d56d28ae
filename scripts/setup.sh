#!/usr/bin/env bash
# Creates .venv (if missing) and installs busavvik into it; with --test also what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ "${1:-}" = "--test" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
else
  .venv/bin/pip install --quiet --disable-pip-version-check -e .
fi
