#!/usr/bin/env bash
# The whole suite, on SQLite and on a throwaway PostgreSQL, within the time of one pass:
#   1. the browser tests (Playwright, Lighthouse), alone, so that nothing else competes with the
#      page timings they measure;
#   2. every other test on SQLite and on PostgreSQL at the same time, one pass per CPU core,
#      each with its own coverage file and log (printed when the pass ends);
#   3. one coverage report over all of it (fails under 85%).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
LOGS=build/test-logs
mkdir -p "$LOGS"
rm -f .coverage .coverage.*

url=$(scripts/pg-cluster.sh start) || exit 1
trap 'scripts/pg-cluster.sh stop' EXIT
echo "PostgreSQL: $url"

echo "== Browser tests (SQLite)"
COVERAGE_FILE=.coverage.browser $BIN/pytest --cov --cov-report= tests/browser "$@" || exit 1

echo "== SQLite and PostgreSQL passes, side by side (logs in $LOGS/)"
COVERAGE_FILE=.coverage.sqlite $BIN/pytest --cov --cov-report= --durations=15 --ignore=tests/browser "$@" \
  >"$LOGS/sqlite.log" 2>&1 &
sqlite_pid=$!
COVERAGE_FILE=.coverage.postgres TEST_DATABASE_URL=$url \
  $BIN/pytest --cov --cov-report= --durations=15 --ignore=tests/browser "$@" >"$LOGS/postgres.log" 2>&1 &
postgres_pid=$!

status=0
wait $sqlite_pid || status=1
echo "== SQLite pass"; cat "$LOGS/sqlite.log"
wait $postgres_pid || status=1
echo "== PostgreSQL pass"; cat "$LOGS/postgres.log"
[ $status = 0 ] || exit $status

$BIN/coverage combine -q .coverage.browser .coverage.sqlite .coverage.postgres
$BIN/coverage report --fail-under=85
