"""/metrics: Prometheus text an operator can scrape, readable only from the addresses a setting allows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from backend.app import create_app
from backend.metrics import allow_list, allowed
from backend.settings import Settings, SettingsError
from tests.helpers import login, report, wait_for


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include ``labels`` (0 when there are none)."""
    return sum(v for (n, ls), v in scrape.items() if n == name and set(labels.items()) <= set(ls))


@pytest.fixture
def open_client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings.with_(metrics_allow_ips="*"))) as client:
        yield client


def test_metrics_are_hidden_from_addresses_not_on_the_list(client):
    # The default list is loopback only; the test client's peer is not an address at all.
    r = client.get("/metrics")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_allow_list_matches_addresses_and_networks():
    networks = allow_list("127.0.0.1, 10.0.0.0/8,::1")
    assert allowed("10.20.30.40", networks) and allowed("127.0.0.1", networks) and allowed("::1", networks)
    assert not allowed("192.168.1.9", networks)
    assert not allowed("testclient", networks)
    assert allowed("203.0.113.9", allow_list("*"))
    with pytest.raises(SettingsError):
        allow_list("10.0.0.0/8,intranet")


def test_scrape_counts_requests_by_route_template_and_reads_the_database(open_client):
    client = open_client
    before = samples(client.get("/metrics").text)
    headers = login(client, "citizen01")
    case = report(client, headers)  # the helper also polls GET /api/v1/cases/{id} until triage is on the timeline
    for _ in range(3):
        assert client.get(f"/api/v1/cases/{case['id']}", headers=headers).status_code == 200
    assert client.get("/api/v1/cases/999999", headers=headers).status_code in (403, 404)

    # The triage event the helper waited for is published before the worker marks its job done (a step of its own).
    wait_for(lambda: value(samples(client.get("/metrics").text), "suishoupai_jobs_by_status", status="done") >= 1)
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    after = samples(r.text)
    template = "/api/v1/cases/{case_id}"

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Paths are grouped by their template, so ids never become series of their own.
    assert delta("http_requests_total", path=template, status_code="200", method="GET") >= 4
    paths = {dict(ls).get("path", "") for (_, ls) in after}
    assert not any(p.endswith(("/999999", f"/{case['id']}")) for p in paths), paths
    assert delta("http_requests_total", path="/api/v1/reports", method="POST", status_code="201") == 1
    assert delta("http_request_duration_seconds_count", path="/api/v1/reports", method="POST") == 1
    assert value(after, "http_requests_total", path="/metrics") == 0  # no scrape counts itself
    # Work the app did for that report: one classification (photos: none were sent).
    assert delta("suishoupai_classification_seconds_count") >= 1
    # What the database knows, read at scrape time.
    assert value(after, "suishoupai_cases_by_state") >= 1
    assert value(after, "suishoupai_jobs_due") == 0
    assert value(after, "suishoupai_jobs_by_status", status="done") >= 1
    assert ("suishoupai_websocket_connections", ()) in after
    if client.app.state.ctx.settings.is_sqlite:  # SQLite's one writer: the report's transaction, the triage job's
        assert delta("suishoupai_db_write_hold_seconds_count", queue="rest") >= 1
        assert delta("suishoupai_db_write_hold_seconds_count", queue="first") >= 2  # its claim, the triage, its finish
        assert delta("suishoupai_db_write_wait_seconds_count") >= 3


def test_scrape_counts_open_websockets(open_client):
    client = open_client
    headers = login(client, "operator01")
    scrape = samples(client.get("/metrics").text)
    assert value(scrape, "suishoupai_websocket_connections") == 0
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": headers["Authorization"].split()[1]})
        assert ws.receive_json(timeout=5)["type"] == "welcome"  # authenticated and registered with the hub
        scrape = samples(client.get("/metrics").text)
        assert value(scrape, "suishoupai_websocket_connections") == 1
