"""The service worker's precache list (pwa/precache.js) is the one scripts/build_precache.py makes from the code now."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "build_precache.py"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("build_precache", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _listed() -> list[str]:
    return re.findall(r"^  '(/[^']*)',$", (ROOT / "pwa" / "precache.js").read_text(encoding="utf-8"), re.MULTILINE)


def test_the_generated_list_is_current() -> None:
    build = _script()
    assert (ROOT / "pwa" / "precache.js").read_text(encoding="utf-8") == build.render(build.shell()), (
        "pwa/precache.js is stale: run .venv/bin/python scripts/build_precache.py")
    assert build.main(["--check"]) == 0


def test_the_list_holds_the_shell_and_nothing_loaded_on_demand() -> None:
    listed = _listed()
    assert len(listed) == len(set(listed))
    for path in listed[1:]:
        assert (ROOT / "pwa" / path.lstrip("/")).is_file(), path
    # The entry, the modules every role's first screen needs, the service worker's own import, the map library.
    for must in ("/", "/index.html", "/js/app.js", "/js/router.js", "/js/outbox.js", "/js/unit/actions.js",
                 "/js/centre/queues.js", "/node_modules/leaflet/dist/leaflet.js", "/icons/icon-192.png"):
        assert must in listed, must
    assert not [p for p in listed if p.startswith(("/js/maps/", "/js/console/", "/desk/", "/notify/"))]


def test_a_new_static_import_shows_up_and_a_stale_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = _script()
    pwa = tmp_path / "pwa"
    for part in ("index.html", "manifest.webmanifest"):
        (pwa / part).parent.mkdir(parents=True, exist_ok=True)
        (pwa / part).write_text((ROOT / "pwa" / part).read_text(encoding="utf-8"), encoding="utf-8")
    (pwa / "js" / "unit").mkdir(parents=True)
    (pwa / "js" / "app.js").write_text(
        "import { a } from './unit/a.js';\nimport {\n  b,\n} from './b.js';\nconst lazy = () => import('./maps/c.js');\n",
        encoding="utf-8")
    (pwa / "js" / "unit" / "a.js").write_text("export { x } from '../outbox.js';\nexport const a = 1;\n", encoding="utf-8")
    (pwa / "js" / "b.js").write_text("import 'idb';\nexport const b = 2;\n", encoding="utf-8")
    (pwa / "js" / "outbox.js").write_text("export const x = 3;\n", encoding="utf-8")
    (pwa / "node_modules" / "idb" / "build").mkdir(parents=True)
    (pwa / "node_modules" / "idb" / "build" / "index.js").write_text("export const openDB = 4;\n", encoding="utf-8")
    monkeypatch.setattr(build, "PWA", pwa)
    monkeypatch.setattr(build, "OUT", pwa / "precache.js")
    modules = build.static_modules(build.import_map())
    assert modules == {"/js/app.js", "/js/unit/a.js", "/js/b.js", "/js/outbox.js", "/node_modules/idb/build/index.js"}
    assert build.main(["--check"]) == 1  # missing files (no node_modules, css, icons here) and no list yet
