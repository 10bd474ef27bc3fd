"""The installed wheel is the product: it must carry every data file the code opens and classify without the repo.

The Dockerfile runs ``pip install .``; a data file missing from package-data only shows there, as a classifier that
quietly falls back. So this builds the wheel from a copy of the sources, installs it into a fresh venv outside the repo
and runs the ``suishoupai`` entry point from there, with the working directory outside the repo too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from backend.triage.textmodel import PACKAGED_MODEL, Model

ROOT = Path(__file__).resolve().parents[1]
# Every non-Python file under backend/ that git tracks is opened at run time (model, taxonomy, dictionary, corpus,
# demo city); the wheel must carry each one of them.
DATA_SUFFIXES = {".npz", ".json", ".jsonl", ".geojson", ".txt", ".csv", ".md"}


def _setuptools_new_enough() -> bool:
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    return int(setuptools.__version__.split(".")[0]) >= 69


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy: an in-tree build writes build/ and *.egg-info into the checkout others are working in.
    src = tmp_path_factory.mktemp("src")
    shutil.copy2(ROOT / "pyproject.toml", src)
    shutil.copy2(ROOT / "README.md", src)
    shutil.copytree(ROOT / "backend", src / "backend", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), "."]
    # Offline when the running environment can build (setuptools >= 69, as pyproject requires); otherwise pip's
    # isolated build fetches setuptools from the configured index, exactly as scripts/setup.sh's install does.
    if _setuptools_new_enough():
        cmd.insert(5, "--no-build-isolation")
    _run(cmd, cwd=src)
    (found,) = dist.glob("suishoupai-*.whl")
    return found


def test_wheel_carries_every_runtime_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "backend/triage/data/textmodel.npz" in names
    assert "backend/triage/data/classification/reports.jsonl" in names
    tracked = subprocess.run(["git", "ls-files", "backend"], cwd=ROOT, capture_output=True, text=True, check=True)
    data = {n for n in tracked.stdout.split() if Path(n).suffix in DATA_SUFFIXES and (ROOT / n).exists()}
    assert data, "git ls-files found no data files under backend/"
    assert data - names == set()
    assert not [n for n in names if n.startswith("tests/")]


def test_installed_wheel_classifies_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # --without-pip: the running pip installs into it with --python, which keeps venv creation fast and offline.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
          str(wheel)], cwd=tmp_path)
    # The dependencies (not the project) come from the test environment: a plain path line in a .pth file puts its
    # site-packages after the venv's own, and leaves its .pth files (the repo's editable install) unprocessed.
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    probe = "import backend, backend.triage.textmodel as t; print(backend.__file__, t.PACKAGED_MODEL, t.CORPUS_DIR)"
    where = _run([str(python), "-c", probe], cwd=tmp_path, env=env).stdout.split()
    assert all(Path(p).resolve().is_relative_to(venv.resolve()) for p in where), where
    assert not any(Path(p).resolve().is_relative_to(ROOT) for p in where), where
    assert Path(where[1]).is_file()
    assert list(Path(where[2]).glob("*.jsonl"))

    out = _run([str(venv / "bin" / "suishoupai"), "classify", "井盖没了，晚上很危险", "--json"], cwd=tmp_path, env=env)
    result = json.loads(out.stdout)
    top = result["suggestions"][0]
    assert top["code"] == "C0123"  # 不明井盖: a missing manhole cover
    assert top["confidence"] >= 0.5
    assert result["urgent"] is True
    # The packaged text model answered, not a fallback without it.
    assert result["model_version"] == Model.load(PACKAGED_MODEL).version
