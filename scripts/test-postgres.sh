# Sourced by scripts/test.sh: makes sure a PostgreSQL answers for the tests and exports BUSAVVIK_TEST_PG.
#
# - BUSAVVIK_TEST_PG already set: used as it is.
# - a PostgreSQL answers at 127.0.0.1:5432: the tests use it (database test, user postgres, trust).
# - otherwise (a bare Debian machine): Debian's `postgresql` package is installed when missing (as root), and a
#   throwaway cluster runs for this run only: a temporary directory, a free loopback port, trust authentication,
#   database `test`; it is stopped and removed when the script exits (trap on EXIT).
# BUSAVVIK_TEST_PG_THROWAWAY=1 forces the throwaway cluster (to test this script where a server already runs).

_pg_answers() {   # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -t 3
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

_pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

_pg_throwaway_stop() {
  if [ -n "${_PG_DIR:-}" ] && [ -d "$_PG_DIR" ]; then
    $_PG_AS "$_PG_BIN/pg_ctl" -D "$_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$_PG_DIR"
  fi
}

_pg_throwaway_start() {
  _PG_BIN=$(_pg_bindir)
  if [ -z "$_PG_BIN" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "test.sh: no PostgreSQL answers at 127.0.0.1:5432 and Debian's postgresql is not installed; as root run:" >&2
      echo "  apt-get update && apt-get install -y --no-install-recommends postgresql" >&2
      return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
    _PG_BIN=$(_pg_bindir)
    [ -n "$_PG_BIN" ] || { echo "test.sh: postgresql installed but no /usr/lib/postgresql/*/bin" >&2; return 1; }
  fi
  _PG_DIR=$(mktemp -d /tmp/busavvik-pg.XXXXXX)
  _PG_AS=""
  if [ "$(id -u)" -eq 0 ]; then           # initdb and postgres refuse to run as root
    chown postgres: "$_PG_DIR"
    _PG_AS="runuser -u postgres --"
  fi
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  trap _pg_throwaway_stop EXIT
  $_PG_AS "$_PG_BIN/initdb" -D "$_PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$_PG_DIR/initdb.log" 2>&1 \
    || { cat "$_PG_DIR/initdb.log" >&2; return 1; }
  $_PG_AS "$_PG_BIN/pg_ctl" -D "$_PG_DIR/data" -l "$_PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $_PG_DIR -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$_PG_DIR/server.log" >&2; return 1; }
  $_PG_AS "$_PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres test
  export BUSAVVIK_TEST_PG="postgresql+psycopg://postgres@127.0.0.1:$port/test"
  echo "test.sh: no PostgreSQL at 127.0.0.1:5432; a throwaway cluster runs at 127.0.0.1:$port for this run"
}

if [ -z "${BUSAVVIK_TEST_PG:-}" ]; then
  if [ "${BUSAVVIK_TEST_PG_THROWAWAY:-}" != "1" ] && _pg_answers 127.0.0.1 5432; then
    :   # the normal case: tests/conftest.py's default URL
  else
    _pg_throwaway_start
  fi
fi
