"""The layering contracts in pyproject.toml ([tool.importlinter]) hold: domains depend one way, no cycles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_module_does_work_at_import_time() -> None:
    """Importing the settings-reading Piccolo configuration creates nothing on disk and reads no environment file."""
    code = ("import os, backend.piccolo_conf, backend.app, backend.cli; "
            "print(sorted(p for p in os.listdir('.') if p == 'var'))")
    done = subprocess.run([sys.executable, "-c", code], cwd="/tmp", capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_building_the_app_uses_nothing_deprecated(tmp_path: Path) -> None:
    """Every handler declares its parameters, bodies and dependencies explicitly (what Litestar 3 will require)."""
    import warnings

    from backend.app import create_app
    from tests.conftest import base_settings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app(base_settings(tmp_path))
    deprecated = sorted({str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)})
    assert deprecated == [], "\n".join(deprecated[:20])
