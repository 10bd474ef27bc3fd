"""Prometheus metrics: request counts and latency by route template, the work the app does, and its backlog.

Requests are counted by Litestar's own ``PrometheusMiddleware`` (labels: method, route template such as
``/api/v1/cases/{case_id}``, status). Counters and histograms live in this process; with several worker processes
``suishoupai serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory and every scrape sums all processes'
files. What the database knows (cases by state and light, the job queue) is read at scrape time with one grouped query
each, so any process answers it alike. Only addresses in ``metrics_allow_ips`` may scrape; everyone else gets 404.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig
from piccolo.query.functions.aggregate import Count
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from backend.cases.lifecycle import OPEN_STATES
from backend.cases.tables import Case
from backend.errors import NotFound
from backend.health import job_backlog
from backend.instruments import WEBSOCKETS
from backend.jobs.tables import Job
from backend.loops import Loop
from backend.settings import Settings, SettingsError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # set by `suishoupai serve --workers N` (cli.py)
SAMPLE_SECONDS = 5.0

def request_metrics() -> PrometheusConfig:
    """Litestar's middleware, keyed by route template so ids in paths cannot explode the number of series."""
    return PrometheusConfig(app_name="suishoupai", prefix="http", group_path=True, scopes={ScopeType.HTTP},
                            exclude=[r"^/metrics$"],
                            buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])


def allow_list(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None:
    """The networks in ``metrics_allow_ips``; None for ``*`` (anyone: only where nothing but a private network reaches
    the app)."""
    entries = [part.strip() for part in raw.split(",") if part.strip()]
    if "*" in entries:
        return None
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as exc:
        raise SettingsError(f"SUISHOUPAI_METRICS_ALLOW_IPS must list addresses or CIDRs, got {raw!r}: {exc}") from None


def allowed(host: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None) -> bool:
    if networks is None:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an address (a unix socket, a test client): never on the list
        return False
    return any(address in network for network in networks)


class _Families(Collector):
    """Hands already-collected metric families to a one-scrape registry."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


async def _database_families() -> list[Metric]:
    by_state = GaugeMetricFamily("suishoupai_cases_by_state", "Cases in each state", labels=["state"])
    for row in await Case.select(Case.state, Count(alias="n")).group_by(Case.state):
        by_state.add_metric([row["state"]], row["n"])
    by_light = GaugeMetricFamily("suishoupai_open_cases_by_light", "Open cases by their deadline light",
                                 labels=["light"])
    open_states = [state.value for state in OPEN_STATES]
    rows = await Case.select(Case.light, Count(alias="n")).where(Case.state.is_in(open_states)).group_by(
        Case.light)
    for row in rows:
        by_light.add_metric([row["light"]], row["n"])
    jobs = GaugeMetricFamily("suishoupai_jobs_by_status", "Jobs in each status", labels=["status"])
    for row in await Job.select(Job.status, Count(alias="n")).group_by(Job.status):
        jobs.add_metric([row["status"]], row["n"])
    due, oldest = await job_backlog()
    return [
        by_state, by_light, jobs,
        GaugeMetricFamily("suishoupai_jobs_due", "Jobs due to run now (queue depth)", value=due),
        GaugeMetricFamily("suishoupai_jobs_oldest_due_age_seconds", "How long the oldest due job has waited",
                          value=oldest),
        GaugeMetricFamily("suishoupai_metrics_scraped_at_seconds", "When this scrape was computed (unix time)",
                          value=datetime.now(UTC).timestamp()),
    ]


def sample_websockets(state: State) -> None:
    """Record this process's open websockets (its hub's registry) in the gauge."""
    live = getattr(state, "live", None)
    WEBSOCKETS.set(len(live.hub.connections) if live is not None else 0)


def _forget_dead_processes(directory: Path) -> None:
    """Drop the live gauges of worker processes that died (killed or restarted): their connections are gone."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
        except PermissionError:  # alive, owned by someone else
            pass


def sampler(state: State) -> Loop:
    """Every few seconds: this process's websocket count; with several processes also forget the dead ones'."""

    async def round_() -> bool:
        sample_websockets(state)
        directory = os.environ.get(MULTIPROC_ENV)
        if directory:
            _forget_dead_processes(Path(directory))
        return False

    return Loop("metrics", round_, SAMPLE_SECONDS)


async def exposition(state: State) -> bytes:
    sample_websockets(state)
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Families(REGISTRY.collect()))
    registry.register(_Families(await _database_families()))
    return generate_latest(registry)


def metrics_handler(settings: Settings) -> Any:
    """``GET /metrics`` in the Prometheus text format, for the addresses ``metrics_allow_ips`` lists."""
    networks = allow_list(settings.metrics_allow_ips)

    @get("/metrics", name="metrics", include_in_schema=False)
    async def metrics(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
        if not allowed(request.client.host if request.client else "", networks):
            raise NotFound()  # the same answer as any path that does not exist: do not advertise it
        return Response(await exposition(state), media_type=CONTENT_TYPE_LATEST)

    return metrics

