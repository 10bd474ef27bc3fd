"""`mypy --strict` on backend/ ([tool.mypy] in pyproject.toml) finds nothing beyond the known errors in
tests/mypy_baseline.txt, and that list only shrinks: a fixed error must leave it too."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = Path(__file__).with_name("mypy_baseline.txt")


def _errors(output: str) -> list[str]:
    # Line numbers move with every edit: an error is known by its file, code and message.
    found = (re.match(r"^(\S+?):\d+: error: (.*)$", line) for line in output.splitlines())
    return sorted(f"{m[1]}: {m[2]}" for m in found if m)


def test_mypy_strict_finds_no_new_errors(tmp_path_factory):
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode in (0, 1), run.stderr  # 2 is a crash or a bad configuration
    errors = _errors(run.stdout)
    known = [line for line in BASELINE.read_text().splitlines() if line and not line.startswith("#")]
    new = sorted((Counter(errors) - Counter(known)).elements())
    fixed = sorted((Counter(known) - Counter(errors)).elements())
    assert not new, "new mypy errors:\n" + "\n".join(new)
    assert not fixed, "fixed, so remove from tests/mypy_baseline.txt:\n" + "\n".join(fixed)
