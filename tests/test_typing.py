"""`mypy --strict` on backend/ ([tool.mypy] in pyproject.toml) finds nothing (no list of known errors); the
`# type: ignore` comments left in backend/ each name their error code (`warn_unused_ignores`, on under --strict, flags
any that is no longer needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_passes(tmp_path_factory):
    # A cache under the session's temporary folder: the run is incremental within a session, and never stale across.
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
