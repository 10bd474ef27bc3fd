#!/usr/bin/env bash
# Start throwaway PostgreSQL and Redis servers on loopback for the test suite and print the variables that point at
# them. Usage: eval "$(scripts/services.sh start)"; scripts/services.sh stop
set -euo pipefail
ROOT=${SUISHOUPAI_SERVICES_DIR:-/tmp/suishoupai-services}
PG_PORT=${PG_PORT:-54329}
REDIS_PORT=${REDIS_PORT:-63799}

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && { echo "$dir"; return; }; done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

start() {
  mkdir -p "$ROOT"
  local bin; bin=$(pg_bin || true)
  if [ -n "$bin" ]; then
    local data="$ROOT/pg"
    local as=""
    # PostgreSQL refuses to run as root: run it as the postgres user when we are root.
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$ROOT" 2>/dev/null || true; as="runuser -u postgres --"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      $as "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 >/dev/null
    fi
    if ! $as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      $as "$bin/pg_ctl" -D "$data" -l "$ROOT/pg.log" -w \
        -o "-p $PG_PORT -k $ROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    fi
    echo "export SUISHOUPAI_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  else
    echo "# PostgreSQL not found: its tests will be skipped (CI installs it)" >&2
  fi
  if command -v redis-server >/dev/null; then
    if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --logfile "$ROOT/redis.log" >/dev/null
      for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    fi
    echo "export SUISHOUPAI_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  else
    echo "# redis-server not found: its tests will be skipped (CI installs it)" >&2
  fi
}

stop() {
  local bin; bin=$(pg_bin || true)
  if [ -n "$bin" ] && [ -f "$ROOT/pg/PG_VERSION" ]; then
    local as=""; [ "$(id -u)" = 0 ] && as="runuser -u postgres --"
    $as "$bin/pg_ctl" -D "$ROOT/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  command -v redis-cli >/dev/null && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

"${1:-start}"
