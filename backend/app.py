"""The app factory: ``create_app(settings)`` wires routes, errors, OpenAPI, and one lifespan for every resource."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from backend.accounts import throttle
from backend.accounts.auth import provide_ctx, refuse_credentials_in_url
from backend.accounts.controllers import AuthController, UserController
from backend.apidocs import render_plugins
from backend.audit import service as audit
from backend.bench import bench_handlers
from backend.cases.access import topic_rules
from backend.cases.controllers import CaseController, MetaController, PublicController, ReportController
from backend.cases.deadlines import CalendarController, calendar_sync
from backend.cases.views import case_access
from backend.context import AppContext
from backend.db import close_database, open_database
from backend.errors import EXCEPTION_HANDLERS
from backend.evaluation.controllers import EvaluationController, FollowUpController
from backend.exports.controllers import ExportController
from backend.headers import SecurityHeaders, Shell
from backend.health import HANDLERS as HEALTH_HANDLERS
from backend.interop import webhooks
from backend.interop.controllers import ClientAdminController, WebhookAdminController, open311_router
from backend.jobs.controllers import JobAdminController
from backend.jobs.queue import Backlog, Worker
from backend.live.bus import EventBus
from backend.live.endpoint import live_socket
from backend.live.service import LiveService
from backend.logs import configure_logging
from backend.loops import Loop
from backend.metrics import metrics_handler, request_metrics, sampler
from backend.notify import runtime as notify
from backend.notify.controllers import CitizenStatusController, PushController
from backend.org.controllers import OrgAdminController, OrgMapController, OrgTransferController
from backend.photos.controllers import ObjectController, PhotoController, PublicPhotoController
from backend.photos.service import UploadExpiry
from backend.photos.store import open_store
from backend.places.controllers import PlacesController
from backend.places.service import place_names, preload
from backend.privacy.controllers import PRIVACY_HANDLERS
from backend.redaction import service as redaction
from backend.settings import Settings
from backend.stats.controllers import StatsController
from backend.sweeper import Sweeper
from backend.triage import cityconfig
from backend.triage.console import CityConfigController
from backend.triage.controllers import TaxonomyController
from backend.triage.learning import schedule as schedule_retrain
from backend.triage.simulator import RoutingSimulatorController

log = logging.getLogger("suishoupai.app")
PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"


def _channels(settings: Settings) -> tuple[ChannelsPlugin, Callable[[], bool]]:
    """The channels plugin, and whether its channel between processes (Redis) is down right now."""
    redis_down: Callable[[], bool] = lambda: False  # in memory: never down
    if settings.redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        from backend.resilient import ResilientChannels

        backend: Any = ResilientChannels(RedisChannelsPubSubBackend(redis=Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, health_check_interval=10)))
        redis_down = lambda: backend.degraded
    else:
        backend = MemoryChannelsBackend()
    # Each process's live hub is the only subscriber; if it falls this far behind it reads the gap from the log.
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True, create_ws_route_handlers=False,
                          subscriber_max_backlog=10_000, subscriber_backlog_strategy="backoff"), redis_down


def job_handlers(ctx: AppContext) -> dict[str, Any]:
    from backend.photos.service import photo_job
    from backend.triage.jobs import photo_text_case, reroute_case, triage_case
    from backend.triage.learning import retrain_job

    async def triage(payload: dict[str, Any]) -> None:
        await triage_case(ctx, payload)

    async def reroute(payload: dict[str, Any]) -> None:
        await reroute_case(ctx, payload)

    async def photo(payload: dict[str, Any]) -> None:
        await photo_job(ctx, payload)

    async def webhook(payload: dict[str, Any]) -> None:
        await webhooks.deliver(ctx, payload)

    async def retrain(payload: dict[str, Any]) -> None:
        await retrain_job(ctx, payload)

    async def photo_text(payload: dict[str, Any]) -> None:
        await photo_text_case(ctx, payload)

    return {"triage": triage, "reroute": reroute, "photo": photo, "webhook": webhook, "retrain": retrain,
            "push": notify.job(ctx), redaction.TEXT_JOB_KIND: photo_text}


HOUSEKEEPING_SECONDS = 3600.0


def housekeeping(settings: Settings) -> Loop:
    """Hourly: audit entries past their retention removed (expired credentials go with the sweeper's round)."""

    async def round_() -> bool:
        await audit.purge(settings.audit_retention_days)
        return False

    return Loop("housekeeping", round_, HOUSEKEEPING_SECONDS)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings)
    channels, redis_down = _channels(settings)
    shell = Shell.load(settings, PWA_DIR)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from backend.cases.escalation import Escalator
        from backend.triage.service import Triage

        engine = await open_database(settings)
        ctx = AppContext(settings=settings, engine=engine, bus=EventBus(channels), cases=case_access())
        app.state.ctx = ctx
        app.state.live = live = LiveService(channels, settings, redis_down, topic_rules())
        workers: list[Worker] = []
        redactors: list[Worker] = []
        escalator = Escalator(ctx)
        uploads = UploadExpiry(ctx)
        chores = housekeeping(settings)
        retrainer = schedule_retrain(settings)  # None unless SUISHOUPAI_RETRAIN_INTERVAL_HOURS is set
        sampling = sampler(app.state)
        sweeper = Sweeper(ctx)
        webhook_feed = webhooks.feed(ctx)
        notify.prepare(ctx)  # VAPID keys (made once in the data dir) and the channels
        notify_feed = notify.feed(ctx)
        calendar_loop = calendar_sync()
        places_loading: asyncio.Task[None] | None = None
        config_loop = cityconfig.sync_loop(ctx)
        try:
            await calendar_loop.sync()  # the city's holidays before any deadline is computed
            calendar_loop.start()
            ctx.store = open_store(settings, settings.secret_key)
            await ctx.store.ensure_ready()
            await live.start()
            sampling.start()
            ctx.triage = await Triage.load(settings)
            ctx.place_names = place_names(ctx)
            places_loading = preload(ctx)  # the gazetteer, shared by the process: in the background
            await cityconfig.sync(ctx)  # the city's settings and category changes before the first request
            config_loop.start()
            if settings.run_worker:
                ctx.extras["intake"] = Backlog("triage", settings.intake_max_backlog)
                handlers = job_handlers(ctx)
                workers = [Worker(engine, handlers, settings.worker_poll_seconds) for _ in range(settings.job_workers)]

                def wake() -> None:
                    for w in workers:
                        w.wake()

                ctx.extras["wake"] = wake
                for worker in workers:
                    worker.start()
                # Redaction on workers of its own, so a queue of photos never holds up triage (bounded concurrency).
                redactors = [Worker(engine, redaction.handlers(ctx), settings.worker_poll_seconds)
                             for _ in range(settings.redaction_workers)]
                for redactor in redactors:
                    redactor.start()
                escalator.start()
                uploads.start()
                chores.start()
                if retrainer:
                    retrainer.start()
                sweeper.start()
                webhook_feed.start()
                notify_feed.start()
            log.info("suishoupai ready (database=%s)", "sqlite" if settings.is_sqlite else "postgresql")
            yield
        finally:
            if places_loading is not None:
                places_loading.cancel()
                await asyncio.gather(places_loading, return_exceptions=True)
            await calendar_loop.stop()
            await config_loop.stop()
            await sampling.stop()
            await live.stop()
            await chores.stop()
            if retrainer:
                await retrainer.stop()
            await sweeper.stop()
            await webhook_feed.stop()
            await notify_feed.stop()
            await escalator.stop()
            await uploads.stop()
            for worker in workers:
                await worker.stop()
            for redactor in redactors:
                await redactor.stop()
            await close_database(engine)

    return Litestar(
        route_handlers=[
            *HEALTH_HANDLERS,
            metrics_handler(settings),
            AuthController,
            UserController,
            JobAdminController,
            *PRIVACY_HANDLERS,
            ReportController,
            CaseController,
            PublicController,
            MetaController,
            TaxonomyController,
            RoutingSimulatorController,
            CityConfigController,
            OrgAdminController,
            OrgTransferController,
            CalendarController,
            OrgMapController,
            PlacesController,
            StatsController,
            EvaluationController,
            FollowUpController,
            ExportController,
            PhotoController,
            PublicPhotoController,
            ObjectController,
            live_socket,
            open311_router(settings),
            ClientAdminController,
            WebhookAdminController,
            PushController,
            CitizenStatusController,
            *bench_handlers(settings),
            shell.handler(),
            create_static_files_router(path="/", directories=[PWA_DIR], html_mode=False, include_in_schema=False,
                                       name="pwa"),
        ],
        dependencies={"ctx": Provide(provide_ctx, sync_to_thread=False)},
        before_request=refuse_credentials_in_url,
        middleware=[request_metrics().middleware, *throttle.middleware(settings)],
        stores=throttle.stores(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[SecurityHeaders(settings, shell)],
        plugins=[channels],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="suishoupai 随手拍 API",
            version="1.0.0",
            description="智慧城管随手拍：上报、分拣、派遣、处置、核查、结案、评价。Smart city-management reporting API.",
            path="/schema",
            render_plugins=render_plugins(),
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="login token")}
            ),
        ),
        request_max_body_size=settings.max_upload_bytes * settings.max_photos + 1024 * 1024,
        debug=False,
        logging_config=None,  # logging is configured by configure_logging (no per-app queue listener thread)
    )
