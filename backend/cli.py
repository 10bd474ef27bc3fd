"""The command line: serve, migrate, seed-demo, create-user, sweep, calendar-load, classify, places-backfill."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from backend.errors import AppError
from backend.exports.cli import add_parser as add_export_parser
from backend.org_cli import add_parsers as add_org_parsers
from backend.settings import Settings, SettingsError


async def _with_db(settings: Settings, work: Any) -> Any:
    from backend.db import close_database, open_database

    engine = await open_database(settings)
    try:
        return await work(engine)
    finally:
        await close_database(engine)


def migrate(settings: Settings) -> None:
    """Run every pending Piccolo migration, on SQLite or PostgreSQL alike."""
    os.environ["PICCOLO_CONF"] = "backend.piccolo_conf"
    if settings.is_sqlite:
        from backend.db import prepare_sqlite

        prepare_sqlite(settings.sqlite_path)
    from piccolo.apps.migrations.commands.forwards import run_forwards

    async def run() -> None:
        from piccolo.apps.migrations.tables import Migration

        import backend.piccolo_conf as conf
        from backend.db import build_engine

        # The migration runner asks piccolo_conf for its engine, and its own table caches the first one it saw:
        # point both at these settings (tests migrate several databases in one process).
        conf.DB = build_engine(settings)
        Migration._meta.db = conf.DB
        try:
            result = await run_forwards(app_name="all", migration_id="all", fake=False)
        finally:
            from backend.db import close_database

            await close_database(conf.DB)  # SQLite: the last connection closed folds the WAL into the file
        if not result.success:
            raise SystemExit(f"migration failed: {result.message}")

    asyncio.run(run())


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable


def prepare_multiprocess_metrics(directory: Path) -> None:
    """Point every worker process at ``directory`` for its metric files, emptied first: counters restart with the
    server, and files left by an earlier run would be summed in forever. Runs before anything imports
    prometheus-client, which opens its files at import time."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[METRICS_DIR_ENV] = str(directory)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    if workers > 1 and not settings.redis_url:
        raise SettingsError("several workers need SUISHOUPAI_REDIS_URL so that live events reach every process")
    if workers > 1 and settings.is_sqlite:
        raise SettingsError("several workers need PostgreSQL (SUISHOUPAI_DATABASE_URL): SQLite has one writer")
    if not args.no_migrate:
        migrate(settings)
    if workers > 1:
        # Each worker writes its metrics to files here and a scrape of any one of them sums them all.
        prepare_multiprocess_metrics(Path(os.environ.get(METRICS_DIR_ENV) or settings.data_dir / "metrics"))
    url = settings.public_url or f"http://{host}:{port}/"
    sys.stderr.write(f"\n  随手拍 suishoupai is starting: open {url}\n  API docs: {url.rstrip('/')}/schema\n\n")
    # Per-message deflate keeps a zlib context per websocket (up to ~300 KB each): off, for many idle phones.
    uvicorn.run("backend.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info",
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips or None,
                ws_per_message_deflate=False)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    sys.stdout.write("migrations applied\n")
    return 0


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from backend.demo.seed import seed_demo

    if not settings.demo_mode:
        raise SettingsError("seed-demo creates users with the well-known demo password: it needs "
                            "SUISHOUPAI_DEMO_MODE=true (never on a deployment that faces the public)")
    migrate(settings)
    return int(asyncio.run(_with_db(settings, lambda engine: seed_demo(settings, engine, cases=not args.no_cases))))


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from backend.accounts.passwords import check_policy
    from backend.accounts.roles import Role
    from backend.accounts.services import create_user

    password = args.password or getpass.getpass("password: ")
    check_policy(password, args.username, args.display_name or "")
    migrate(settings)

    async def work(engine: Any) -> None:
        user = await create_user(args.username, password, Role(args.role), args.display_name or "", args.unit)
        sys.stdout.write(f"created user {user.username} ({user.role}) id={user.id}\n")

    asyncio.run(_with_db(settings, work))
    return 0


def cmd_redact(settings: Settings, args: argparse.Namespace) -> int:
    """Queue redaction for ready photos that have none yet (made before it existed), failed, or found no models."""
    from backend.photos.tables import Photo
    from backend.redaction.service import requeue

    migrate(settings)

    async def work(engine: Any) -> int:
        rows = await Photo.select(Photo.id, Photo.display_key).where(
            (Photo.status == "ready") & (Photo.display_key != ""))
        return await requeue(engine, [(r["id"], r["display_key"]) for r in rows])

    queued = asyncio.run(_with_db(settings, work))
    sys.stdout.write(f"queued {queued} photo(s) for redaction; the app's redaction workers run them\n")
    return 0


SWEEP_LABELS = {
    "orphan_objects": "orphan objects (no photo row)",
    "unattached_photos": "unattached photos",
    "unattached_objects": "  their objects",
    "unconfirmed_uploads": "unconfirmed uploads",
    "expired_tokens": "expired tokens",
}


async def sweep_report(settings: Settings, dry_run: bool) -> tuple[int, str]:
    """Run one sweep (or a dry run) against these settings' database and store: (exit code, text to print)."""
    from backend.context import AppContext
    from backend.db import close_database, open_database
    from backend.live.bus import EventBus
    from backend.photos.store import open_store
    from backend.sweeper import sweep

    engine = await open_database(settings)
    try:
        ctx = AppContext(settings=settings, engine=engine, bus=EventBus())
        ctx.store = open_store(settings, settings.secret_key)
        await ctx.store.ensure_ready()
        result = await sweep(ctx, dry_run=dry_run)
    finally:
        await close_database(engine)
    if result.skipped:
        return 1, "another process is sweeping right now; nothing done\n"
    head = "dry run: would remove" if dry_run else "removed"
    lines = [f"{head}:"] + [f"  {SWEEP_LABELS[k]:<32} {v}" for k, v in result.counts().items()]
    return 0, "\n".join(lines) + "\n"


def cmd_sweep(settings: Settings, args: argparse.Namespace) -> int:
    code, text = asyncio.run(sweep_report(settings, args.dry_run))
    (sys.stdout if code == 0 else sys.stderr).write(text)
    return code


async def calendar_load(settings: Settings, year: int, text: str) -> dict[str, Any]:
    """Replace ``year``'s calendar entries from a schedule file and move the running deadlines it changes."""
    from backend.audit.service import record
    from backend.cases.deadlines import apply_calendar
    from backend.context import AppContext
    from backend.db import close_database, open_database
    from backend.live.bus import EventBus
    from backend.org import calendar

    entries = calendar.parse_csv(year, text)  # refused before touching the database
    engine = await open_database(settings)
    try:
        ctx = AppContext(settings=settings, engine=engine, bus=EventBus())
        summary = await apply_calendar(ctx, year, entries, None)
        await record("calendar.changed", actor_id=None, actor_name="cli", target=f"calendar:{year}",
                     details={"before": summary["before"], "deadlines_moved": summary["deadlines_moved"],
                              "after": {"holidays": summary["holidays"], "workdays": summary["workdays"]}})
        return summary
    finally:
        await close_database(engine)


def cmd_calendar(settings: Settings, args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        sys.stderr.write(f"cannot read {args.file}: {exc}\n")
        return 1
    try:
        summary = asyncio.run(calendar_load(settings, args.year, text))
    except AppError as exc:
        sys.stderr.write(f"error: {exc.message_zh} / {exc.message_en}\n")
        for row in exc.details.get("errors", []):
            sys.stderr.write(f"  line {row['line']} ({row['field']}): {row['reason_zh']} / {row['reason_en']}\n")
        return 1
    sys.stdout.write(f"{summary['year']}: {summary['holidays']} holidays, {summary['workdays']} swapped working days "
                     f"loaded; {summary['deadlines_moved']} running deadlines moved\n")
    return 0


def cmd_classify(settings: Settings, args: argparse.Namespace) -> int:
    from backend.triage.classify_cli import run
    from backend.triage.learning import corrections, model_path, promotion_path, retrain_and_promote

    async def promote() -> str:  # --promote: the operators' corrections from the database, a candidate, the verdict
        labels = await _with_db(settings, lambda _engine: corrections())
        return retrain_and_promote(labels, current=model_path(settings), target=promotion_path(settings)).text()

    return run(args.rest, settings=settings, promote=lambda: asyncio.run(promote()))


async def places_backfill(settings: Settings) -> int:
    """Name the place of every case stored without one (cases made before place names were stored)."""
    from backend.context import AppContext
    from backend.live.bus import EventBus
    from backend.places.backfill import backfill_places
    from backend.places.service import place_names

    async def work(engine: Any) -> int:
        ctx = AppContext(settings=settings, engine=engine, bus=EventBus(None))
        ctx.place_names = place_names(ctx)
        return await backfill_places(ctx)

    return int(await _with_db(settings, work))


def cmd_places_backfill(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    sys.stdout.write(f"{asyncio.run(places_backfill(settings))} cases named\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suishoupai", description="随手拍 smart city-management reporting")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app (migrates first)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--no-migrate", action="store_true", help="skip migrations (another process ran them)")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed-demo", help="load the demo city (idempotent)")
    seed.add_argument("--no-cases", action="store_true", help="organisation and users only")
    seed.set_defaults(func=cmd_seed_demo)
    user = sub.add_parser("create-user", help="create a user")
    user.add_argument("username")
    user.add_argument("--role", required=True,
                      choices=["citizen", "supervisor", "operator", "shift_lead", "dispatcher", "unit_staff", "admin"])
    user.add_argument("--password")
    user.add_argument("--display-name")
    user.add_argument("--unit", help="unit code (unit_staff)")
    user.set_defaults(func=cmd_create_user)
    sweep = sub.add_parser("sweep", help="remove orphan objects, unattached photos, unconfirmed uploads, expired tokens")
    sweep.add_argument("--dry-run", action="store_true", help="only print what would be removed")
    sweep.set_defaults(func=cmd_sweep)
    sub.add_parser("redact-requeue", help="queue face and plate redaction for photos without it (after an upgrade, or "
                   "once the models are installed)").set_defaults(func=cmd_redact)
    cal = sub.add_parser("calendar-load", help="load a year's holidays and 调休 working days from a CSV file")
    cal.add_argument("year", type=int)
    cal.add_argument("file", help="CSV: date,type,name with type holiday (休) or workday (班)")
    cal.set_defaults(func=cmd_calendar)
    classify = sub.add_parser("classify", help="classify a description", add_help=False)
    classify.add_argument("rest", nargs=argparse.REMAINDER)
    classify.set_defaults(func=cmd_classify)
    sub.add_parser("places-backfill", help="store the place's name on cases made before names were stored"
                   ).set_defaults(func=cmd_places_backfill)
    add_export_parser(sub)
    add_org_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["classify"]:  # argparse's REMAINDER cannot start with an option: `classify --retrain`
        args = argparse.Namespace(func=cmd_classify, rest=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return int(args.func(settings, args))
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    except AppError as exc:
        sys.stderr.write(f"error: {exc.message_zh} / {exc.message_en}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
