"""Coordinates: GCJ-02 conversion, distances, and the browser-versus-EXIF location rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.geo import haversine_m, wgs84_to_gcj02
from backend.photos.geo import location_decision

UPLOAD = datetime(2025, 5, 12, 2, 0, tzinfo=UTC)  # 10:00 in Loudi


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
        ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
        ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ],
)
def test_wgs84_to_gcj02_matches_published_vectors(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lng, lat = wgs84_to_gcj02(*wgs)
    assert lng == pytest.approx(gcj[0], abs=1e-8) and lat == pytest.approx(gcj[1], abs=1e-8)


def test_gcj02_shift_in_loudi_is_a_few_hundred_metres_and_none_abroad() -> None:
    lng, lat = wgs84_to_gcj02(112.0013, 27.7321)
    assert 100 < haversine_m(112.0013, 27.7321, lng, lat) < 800
    assert wgs84_to_gcj02(11.8851, 43.4674) == (11.8851, 43.4674)
    assert wgs84_to_gcj02(-94.2888, 39.0513) == (-94.2888, 39.0513)


def test_haversine() -> None:
    assert haversine_m(112.0, 27.0, 112.0, 28.0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(112.0013, 27.7321, 112.0013, 27.7321) == 0.0


def test_browser_position_wins_and_keeps_its_accuracy() -> None:
    d = location_decision((27.7321, 112.0013, 12.0), (27.7322, 112.0014), None, UPLOAD)
    assert (d.lat, d.lng, d.source, d.accuracy_m) == (27.7321, 112.0013, "browser", 12.0)
    assert d.flags == () and d.distance_m is not None and d.distance_m < 20


def test_exif_position_is_the_fallback() -> None:
    d = location_decision(None, (27.7286, 111.9952), datetime(2025, 5, 12, 9, 30), UPLOAD)
    assert (d.lat, d.lng, d.source, d.accuracy_m) == (27.7286, 111.9952, "exif", None)
    assert d.flags == () and d.photo_age_hours == pytest.approx(0.5)  # naive EXIF time read as Beijing time


def test_far_apart_positions_are_flagged() -> None:
    near = location_decision((27.7321, 112.0013, 10.0), (27.7321 + 0.004, 112.0013), None, UPLOAD)  # ~445 m
    far = location_decision((27.7321, 112.0013, 10.0), (27.7321 + 0.005, 112.0013), None, UPLOAD)  # ~556 m
    assert near.flags == () and far.flags == ("location_mismatch",) and far.source == "browser"


def test_old_photos_are_flagged() -> None:
    fresh = location_decision(None, (27.73, 112.0), datetime(2025, 5, 11, 10, 30), UPLOAD)
    old = location_decision(None, (27.73, 112.0), datetime(2025, 5, 11, 9, 30), UPLOAD)
    aware_old = location_decision(None, None, UPLOAD - timedelta(hours=25), UPLOAD)
    assert fresh.flags == () and old.flags == ("old_photo",) and aware_old.flags == ("old_photo",)


def test_both_flags_together() -> None:
    d = location_decision((27.73, 112.0, 5.0), (43.4674, 11.8851), datetime(2008, 10, 22, 16, 28), UPLOAD)
    assert d.flags == ("location_mismatch", "old_photo")


@pytest.mark.parametrize("bad", [(91.0, 112.0), (27.0, 181.0), (0.0, 0.0), (float("nan"), 112.0)])
def test_unusable_positions_are_ignored(bad: tuple[float, float]) -> None:
    assert location_decision((*bad, 5.0), None, None, UPLOAD).source is None
    d = location_decision((27.73, 112.0, 5.0), bad, None, UPLOAD)
    assert d.source == "browser" and d.flags == () and d.distance_m is None


def test_no_position_at_all() -> None:
    d = location_decision(None, None, None, UPLOAD)
    assert (d.lat, d.lng, d.source, d.flags) == (None, None, None, ())
