#!/usr/bin/env bash
# The second README command: install what the tests need and run every test.
# Under CI=true it first installs PostgreSQL, Redis, nginx and Chromium with apt-get, so that no test is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" = "true" ]; then
  export DEBIAN_FRONTEND=noninteractive
  missing=""
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
  command -v redis-server >/dev/null || missing="$missing redis-server"
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk" || missing="$missing fonts-wqy-microhei"
  if [ -n "$missing" ]; then
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
  fi
fi
bash scripts/setup.sh --dev
eval "$(bash scripts/services.sh start)"
trap 'bash scripts/services.sh stop' EXIT
set +e
# Every core (at most four workers); see tests/conftest.py for how tests are grouped. A worker that crashes ends the
# run (a failure either way): with a replacement worker, xdist's per-file scheduling was once seen waiting forever.
.venv/bin/python -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-auto}" --maxprocesses=4 --dist loadfile \
  --max-worker-restart=0 "$@"
status=$?
set -e
if [ "$status" = 5 ]; then echo "no tests ran" >&2; exit 1; fi
exit "$status"
