"""A report with several photos is all or nothing: a failure at any photo, or at the commit, leaves no row and no
object behind (local store; the store-full case on a real tmpfs)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from litestar.testing import TestClient

from backend.app import create_app
from backend.settings import Settings
from tests.helpers import login, point_in
from tests.test_faults import DEMO, disk  # noqa: F401 - the tmpfs fixture

GOOD = ["loudi_garbage_pile.jpg", "loudi_manhole_cover.jpg", "loudi_street_light.jpg", "loudi_vendor_stall.jpg"]


def _photo_rows(client: TestClient) -> int:
    """Counted on the app's own loop and engine (the app runs on the test client's thread)."""
    from backend.photos.tables import Photo

    async def count() -> int:
        return int(await Photo.count())

    return int(client.blocking_portal.call(count))


def _objects(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".meta" not in p.parts
                  and p.name != "ballast")


def _post(client: TestClient, headers: dict[str, str], photos: list[tuple[str, bytes]]) -> object:
    lng, lat = point_in("ZR06")
    return client.post("/api/v1/reports", headers=headers,
                       files=[("photos", (name, data, "image/jpeg")) for name, data in photos],
                       data={"lng": str(lng), "lat": str(lat), "description": "井盖破了，路过的人很危险"})


def test_a_broken_fourth_photo_leaves_nothing_of_the_first_three(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        citizen = login(client, "citizen01")
        before_rows, before_objects = _photo_rows(client), _objects(settings.resolved_store_path)
        truncated = (DEMO / GOOD[3]).read_bytes()[:20_000]  # a valid header, then the data stops
        photos = [(name, (DEMO / name).read_bytes()) for name in GOOD[:3]] + [("cut.jpg", truncated)]
        r = _post(client, citizen, photos)
        assert r.status_code == 422 and r.json()["error"]["code"] == "photo.corrupt", r.text
        assert _photo_rows(client) == before_rows
        assert _objects(settings.resolved_store_path) == before_objects
        # The same report without the broken photo goes through whole.
        r = _post(client, citizen, photos[:3])
        assert r.status_code == 201 and len(r.json()["photos"]) == 3


def test_a_store_that_fills_up_at_the_third_photo_leaves_nothing(settings: Settings, disk: Path) -> None:  # noqa: F811
    with TestClient(create_app(settings.with_(store_path=str(disk)))) as client:
        citizen = login(client, "citizen02")
        before_rows = _photo_rows(client)
        # Room for about two photos with their derivatives, not four.
        (disk / "ballast").write_bytes(b"\0" * (512 * 1024 - 300 * 1024))
        r = _post(client, citizen, [(name, (DEMO / name).read_bytes()) for name in GOOD])
        assert r.status_code == 503 and r.json()["error"]["code"] == "store.unavailable", r.text
        assert _photo_rows(client) == before_rows
        assert _objects(disk) == []


def test_a_database_error_at_the_commit_leaves_no_photo(sqlite_template: Path, tmp_path: Path) -> None:
    import shutil

    from tests.conftest import base_settings

    settings = base_settings(tmp_path)
    shutil.copyfile(sqlite_template, settings.sqlite_path)
    with TestClient(create_app(settings)) as client:
        citizen = login(client, "citizen03")
        with sqlite3.connect(settings.sqlite_path) as db:  # the case row is written, then its timeline entry fails
            db.execute("CREATE TRIGGER fail_timeline BEFORE INSERT ON timeline_entry "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        r = _post(client, citizen, [(name, (DEMO / name).read_bytes()) for name in GOOD[:2]])
        assert r.status_code >= 500
        assert _photo_rows(client) == 0
        assert _objects(settings.resolved_store_path) == []
        with sqlite3.connect(settings.sqlite_path) as db:
            assert db.execute('SELECT count(*) FROM "case"').fetchone()[0] == 0
