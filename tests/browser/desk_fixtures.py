"""Helpers for the desk browser tests (unit inbox, command centre, full loop), on top of conftest's live server."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tests.browser.conftest import PASSWORD, SHOTS

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}


def open_as(browser: Any, base: str, username: str | None, viewport: dict[str, int] = DESK,
            geo: tuple[float, float] | None = None, **context: Any) -> Any:
    """A new browser context and page, logged in through the login page (username None: stay on the login page).
    context: more options for the browser context (e.g. service_workers="block" so page.route sees every request)."""
    options: dict[str, Any] = {"viewport": viewport, "locale": "zh-CN", **context}
    if geo:
        options.update(geolocation={"longitude": geo[0], "latitude": geo[1], "accuracy": 8},
                       permissions=["geolocation"])
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(f"{e}\n{e.stack}"))  # the stack says where
    page.goto(f"{base}/#/login")
    if username:
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").first.click()
        # A function, not an expression string: Playwright polls a string with eval, which the PWA's CSP refuses.
        page.wait_for_function("() => !location.hash.startsWith('#/login')")
        # The landing page done loading too: a test that goes elsewhere next must not race its late drawing.
        page.wait_for_load_state("networkidle")
    return page


def desk_shot(page: Any, name: str) -> Path:
    """Save a screenshot named with its width under test-artifacts/screenshots/ (full page on a phone)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    path = SHOTS / f"{name}-{width}.png"
    page.wait_for_timeout(400)  # let maps, fonts and toasts settle
    page.screenshot(path=str(path), full_page=width < 600)
    return path


def plain_jpeg(tmp: Path, name: str = "photo.jpg") -> Path:
    """A small JPEG without EXIF, so a report keeps the browser's position."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), (90, 110, 130))
    ImageDraw.Draw(img).ellipse((220, 140, 420, 340), fill=(30, 30, 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    path = tmp / name
    path.write_bytes(out.getvalue())
    return path
