#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite, on 127.0.0.1 under build/, never the system one.
#   scripts/pg-cluster.sh start   -> installs PostgreSQL from Debian if missing, starts, prints the URL
#   scripts/pg-cluster.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD/build/pg
DATA=$ROOT/data
PORT=${PG_TEST_PORT:-54329}
URL="postgresql+psycopg://convoca@127.0.0.1:$PORT/convoca_test"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

as_owner() {
  # initdb and postgres refuse to run as root: use the postgres account when we are root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -z "$(pg_bin)" ]; then
      echo "Installing PostgreSQL from Debian's packages…" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
    fi
    BIN=$(pg_bin)
    mkdir -p "$ROOT"
    [ "$(id -u)" = 0 ] && chown postgres: "$ROOT"
    if [ ! -f "$DATA/PG_VERSION" ]; then
      as_owner "$BIN/initdb" -D "$DATA" -U convoca --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -w \
        -o "-h 127.0.0.1 -p $PORT -k $ROOT -F -c max_connections=300" start >/dev/null
    fi
    as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U convoca -d postgres -qtAc \
      "SELECT 1 FROM pg_database WHERE datname = 'convoca_test'" | grep -q 1 \
      || as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U convoca convoca_test
    echo "$URL"
    ;;
  stop)
    BIN=$(pg_bin)
    [ -n "$BIN" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
