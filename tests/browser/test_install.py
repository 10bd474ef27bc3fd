"""Installability in a real Chromium: a valid manifest with icons, a controlling service worker, an offline shell."""

from __future__ import annotations

import gzip
import io
import re
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, shot, wait_controlled

pytestmark = pytest.mark.browser


def test_manifest_is_valid(live_server: str) -> None:
    html = httpx.get(f"{live_server}/").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    m = httpx.get(f"{live_server}/manifest.webmanifest").json()
    assert m["name"].startswith("随手拍") and m["short_name"] == "随手拍" and m["lang"] == "zh-CN"
    assert m["display"] == "standalone" and m["start_url"].startswith("/") and m["theme_color"].startswith("#")
    seen = set()
    for icon in m["icons"]:
        r = httpx.get(f"{live_server}{icon['src']}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        size = Image.open(io.BytesIO(r.content)).size
        assert f"{size[0]}x{size[1]}" == icon["sizes"]
        seen.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= seen


def test_service_worker_controls_and_shell_loads_offline(phone: Any, live_server: str) -> None:
    page = phone.new_page()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("button", name="不登录，直接随手拍")).to_be_visible()
    wait_controlled(page)
    page.reload()
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
    caches = page.evaluate("() => caches.keys()")
    assert any(c.startswith("ssp-shell-") for c in caches)
    cached = page.evaluate("async () => (await (await caches.open((await caches.keys()).find(k => k.startsWith('ssp-shell-')))).keys()).map(r => new URL(r.url).pathname)")
    assert not [p for p in cached if p.startswith(("/api", "/ws"))]
    assert "/node_modules/leaflet/dist/leaflet.js" in cached

    phone.set_offline(True)
    page.reload()
    expect(page.get_by_role("button", name="不登录，直接随手拍")).to_be_visible()
    expect(page.locator("#offline")).to_be_visible()
    shot(page, "install-01-offline-shell")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Report without an account")).to_be_visible()
    shot(page, "install-02-offline-shell-english")


def _precached() -> list[str]:
    generated = (ROOT / "pwa" / "precache.js").read_text(encoding="utf-8")  # scripts/build_precache.py
    return re.findall(r"'(/[^']*)'", generated[generated.index("export const SHELL = ["):])


def test_precache_holds_every_module_and_the_shell_stays_light() -> None:
    shell = _precached()
    pwa = ROOT / "pwa"
    modules = {f"/{p.relative_to(pwa).as_posix()}" for p in (pwa / "js").rglob("*.js")}
    # js/maps/ (base map, place search, navigation) loads on demand through import(): cached at run time when first
    # used, never precached, and never imported statically by a shell module (that would pull it into the shell).
    # js/console/ (the admin console's online-only screens: users, units, routing rules) likewise.
    lazy = {m for m in modules if m.startswith(("/js/maps/", "/js/console/"))}
    assert lazy and not lazy & set(shell)
    static = re.compile(r"^\s*import\b[^('\"]*['\"]([^'\"]+)['\"]", re.MULTILINE)
    for path in shell:
        if path.startswith("/js/"):
            imported = static.findall((pwa / path.lstrip("/")).read_text(encoding="utf-8"))
            assert not [i for i in imported if "maps/" in i or "console/" in i], f"{path} imports a lazy module statically"
    assert modules - lazy - set(shell) == set(), "modules app.js reaches but the service worker does not precache"
    files = [pwa / p.lstrip("/") for p in shell if p.endswith((".js", ".css"))] + [pwa / "sw.js", pwa / "precache.js"]
    compressed = sum(len(gzip.compress(f.read_bytes(), compresslevel=9)) for f in files)
    # 160 KiB: the citizen's case page in citizen words, the case finder hook and place lines joined the shell (Dec 2026).
    assert compressed < 160 * 1024, f"shell JS+CSS is {compressed} bytes gzipped"


def test_every_lifecycle_action_has_both_labels(phone: Any, live_server: str) -> None:
    from backend.cases.lifecycle import TRANSITIONS

    # Timeline entries the system writes besides the lifecycle actions (report, triage jobs, escalation).
    actions = [t.action for t in TRANSITIONS] + ["report", "triage", "reroute", "escalate"]
    page = phone.new_page()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("button", name="不登录，直接随手拍")).to_be_visible()
    label = "async (a) => { const { actionName } = await import('/js/format.js'); return a.map(actionName); }"
    zh = dict(zip(actions, page.evaluate(label, actions), strict=True))
    assert [a for a, s in zh.items() if s == a or not re.search(r"[\u4e00-\u9fff]", s)] == []
    assert (zh["triage"], zh["dismiss_duplicate"], zh["escalate"]) == ("自动分拣", "不是重复", "超时预警")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Report without an account")).to_be_visible()
    en = dict(zip(actions, page.evaluate(label, actions), strict=True))
    assert [a for a, s in en.items() if s == a or not s.isascii()] == []
    assert (en["triage"], en["dismiss_duplicate"], en["escalate"]) == ("Auto-triage", "Not a duplicate",
                                                                      "Deadline warning")
