#!/usr/bin/env bash
# Why CONN_MAX_AGE is not 0: the same one-INSERT view served by gunicorn (4 sync workers) on
# PostgreSQL, once opening a fresh database connection per request (CONN_MAX_AGE=0) and once
# keeping each worker's connection open (CONN_MAX_AGE=600, the portal's default), each driven
# by the same bounded wrk load. Prints requests/s and latency for both. docs/decisions.md
# records the figures.
#
#   bash bench/conn_reuse/run.sh
#
# Needs: .venv (make test sets it up), PostgreSQL on 127.0.0.1:5432 (user postgres, trust
# authentication), wrk (Debian: apt-get install -y wrk). Everything stays on 127.0.0.1.
# Knobs (environment): BENCH_DURATION (10s), BENCH_CONNECTIONS (16), BENCH_THREADS (2),
# BENCH_WORKERS (4), BENCH_PORT (8765), PGPORT (5432), PGUSER (postgres).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

HOST=127.0.0.1
PORT="${BENCH_PORT:-8765}"
WORKERS="${BENCH_WORKERS:-4}"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
THREADS="${BENCH_THREADS:-2}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
DB=logistics_bench
URL="http://$HOST:$PORT/insert"
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"

die() { echo "run.sh: $*" >&2; exit 1; }

[ -x "$PY" ] && [ -x "$GUNICORN" ] || die "no .venv with gunicorn here; run 'make test' once first"
command -v wrk >/dev/null || die "wrk is missing; on Debian: apt-get install -y wrk"
command -v psql >/dev/null || die "psql is missing; on Debian: apt-get install -y postgresql-client"
command -v curl >/dev/null || die "curl is missing; on Debian: apt-get install -y curl"

psql_() { psql -h "$HOST" -p "$PGPORT" -U "$PGUSER" -v ON_ERROR_STOP=1 -qtA "$@"; }

# The environment every Django process of the bench runs with: production-like (DEBUG off,
# the portal's middleware and connection health checks), PostgreSQL on loopback.
export DJANGO_SETTINGS_MODULE=bench.conn_reuse.settings
export DATABASE_URL="postgres://$PGUSER@$HOST:$PGPORT/$DB"
export DEBUG=false
export ALLOWED_HOSTS="$HOST"
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
unset REDIS_URL  # the view touches no cache or task queue
export LOG_LEVEL=WARNING

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1)," \
  "$(psql_ -d postgres -c 'SHOW server_version')" \
  "(max_connections $(psql_ -d postgres -c 'SHOW max_connections'))"
echo "== load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION $URL; gunicorn $WORKERS sync workers"
echo "   (wrk, gunicorn and PostgreSQL share this machine's CPUs: anything else running skews"
echo "   the figures; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"

if [ -z "$(psql_ -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
  psql_ -d postgres -c "CREATE DATABASE $DB"
fi
"$PY" manage.py migrate --no-input -v 0

if curl -s -o /dev/null "http://$HOST:$PORT/"; then
  die "something already listens on $HOST:$PORT; set BENCH_PORT"
fi

GUNICORN_PID=""
stop_gunicorn() {
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID"
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  GUNICORN_PID=""
}
trap stop_gunicorn EXIT

declare -A SUMMARY

bench_one() {
  local age="$1" out
  CONN_MAX_AGE="$age" "$GUNICORN" logistics.wsgi:application \
    --chdir "$ROOT" --bind "$HOST:$PORT" --workers "$WORKERS" --worker-class sync \
    --log-level warning &
  GUNICORN_PID=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$URL" && break
    kill -0 "$GUNICORN_PID" 2>/dev/null || die "gunicorn exited during start-up"
    sleep 0.1
  done
  curl -fs -o /dev/null "$URL" || die "$URL does not answer 200"

  # Warm-up (not measured): every worker loads the URLconf and, with CONN_MAX_AGE>0, opens
  # its connection, so the measured run sees the steady state.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$URL" >/dev/null
  psql_ -d "$DB" -c "TRUNCATE logistics_auditevent"

  echo
  echo "== CONN_MAX_AGE=$age"
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$URL")"
  echo "$out"
  local rows conns
  rows="$(psql_ -d "$DB" -c "SELECT count(*) FROM logistics_auditevent WHERE action = 'bench.insert'")"
  conns="$(psql_ -d "$DB" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB' AND pid <> pg_backend_pid()")"
  echo "rows inserted: $rows; connections the workers hold open after the run: $conns;" \
    "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  if grep -q "Non-2xx" <<<"$out"; then
    die "some responses were not 200 (see above)"
  fi
  stop_gunicorn

  local rps avg p50 p99
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  avg="$(awk '/^ +Latency / {print $2; exit}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  SUMMARY[$age]="$(printf '%-14s %12s %10s %10s %10s' "$age" "$rps" "$avg" "$p50" "$p99")"
}

bench_one 0
bench_one 600

echo
echo "== summary (one INSERT per request, $WORKERS gunicorn workers, $CONNECTIONS connections, $DURATION)"
printf '%-14s %12s %10s %10s %10s\n' CONN_MAX_AGE requests/s avg p50 p99
echo "${SUMMARY[0]}"
echo "${SUMMARY[600]}"
