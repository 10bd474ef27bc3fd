#!/usr/bin/env bash
# The first README command: set everything up, seed the demo city (once), and serve it at the printed URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SUISHOUPAI_DATA_DIR=${SUISHOUPAI_DATA_DIR:-var}
# The demo city's users share a published password: demo mode only. A real deployment leaves this unset.
export SUISHOUPAI_DEMO_MODE=${SUISHOUPAI_DEMO_MODE:-true}
.venv/bin/suishoupai seed-demo
exec .venv/bin/suishoupai serve "$@"
