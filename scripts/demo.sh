#!/usr/bin/env bash
# Demo: install busavvik, run one poll cycle of the worker over the bundled sample Maildirs into a fresh
# SQLite database, and print the cases, their links and what is overdue.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
work=$(mktemp -d -t busavvik-demo.XXXXXX)
sample="$PWD/busavvik/sample"
cat > "$work/busavvik.toml" <<TOML
[database]
url = "sqlite:///$work/busavvik.db"

[[mailboxes]]
name = "storsthlm"
type = "maildir"
path = "$sample/storsthlm"

[[mailboxes]]
name = "hsf"
type = "maildir"
path = "$sample/hsf"
TOML
export BUSAVVIK_CONFIG="$work/busavvik.toml"
echo "== one poll cycle of the worker (config $BUSAVVIK_CONFIG)"
.venv/bin/busavvik poll --once
echo "== cases"
.venv/bin/busavvik cases
echo "== overdue on $(date +%F)"
.venv/bin/busavvik overdue --as-of "$(date +%F)"
echo "== needs review"
.venv/bin/busavvik problems
echo "demo-losen-2026" | .venv/bin/busavvik user add demo --role secretariat --password-stdin
echo "== web pages: BUSAVVIK_CONFIG=$BUSAVVIK_CONFIG .venv/bin/busavvik web --port 8080"
echo "   then open http://127.0.0.1:8080/ and log in as demo / demo-losen-2026"
echo "(database: $work/busavvik.db — try: BUSAVVIK_CONFIG=$BUSAVVIK_CONFIG .venv/bin/busavvik show BUS-2026-0001)"
