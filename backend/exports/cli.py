"""`suishoupai export cases|evaluation …`: the same exports as the API, to a file, with a progress bar.

The file appears only when complete: rows go to ``<out>.part``, renamed at the end and removed if anything (an error,
Ctrl-C) stops the export half-way.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from backend.audit.service import record
from backend.context import AppContext
from backend.db import close_database, open_database
from backend.evaluation import services as evaluation
from backend.exports import service
from backend.settings import Settings


def add_parser(sub: Any) -> None:
    export = sub.add_parser("export", help="export cases (csv, xlsx, geojson) or evaluation tables (xlsx) to a file")
    what = export.add_subparsers(dest="what", required=True)
    cases = what.add_parser("cases", help="cases with the case list's filters")
    cases.add_argument("--format", choices=list(service.FORMATS), default="csv")
    cases.add_argument("--out", required=True, help="the file to write")
    cases.add_argument("--state", default="", help="comma-separated states")
    cases.add_argument("--category")
    cases.add_argument("--unit-id", type=int)
    cases.add_argument("--area")
    cases.add_argument("--light", choices=list(service.LIGHTS))
    cases.add_argument("--from", dest="date_from", type=date.fromisoformat)
    cases.add_argument("--to", dest="date_to", type=date.fromisoformat)
    cases.add_argument("--max-rows", type=int, help="default: SUISHOUPAI_EXPORT_MAX_ROWS")
    cases.set_defaults(func=cmd_export)
    ev = what.add_parser("evaluation", help="evaluation tables, a sheet per subject")
    ev.add_argument("--out", required=True)
    ev.add_argument("--subjects", default="unit,area,supervisor,dispatcher")
    ev.add_argument("--level", default="street", choices=["grid", "community", "street", "district"])
    ev.add_argument("--from", dest="date_from", type=date.fromisoformat)
    ev.add_argument("--to", dest="date_to", type=date.fromisoformat)
    ev.set_defaults(func=cmd_export)


class Progress:
    """A one-line progress bar on stderr (only when it is a terminal, or when asked)."""

    def __init__(self, total: int, stream: Any = sys.stderr) -> None:
        self.total, self.stream, self.shown = max(total, 1), stream, -1

    def __call__(self, done: int) -> None:
        percent = min(100, done * 100 // self.total)
        if percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            self.stream.write(f"\r[{bar:<25}] {percent:3d}%  {done:,}/{self.total:,} rows")
            self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_export(settings, args))


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    out = Path(args.out)
    part = out.with_name(out.name + ".part")
    engine = await open_database(settings)
    try:
        if args.what == "cases":
            tz = settings.timezone
            f = service.CaseFilter(states=tuple(s for s in args.state.split(",") if s), category=args.category,
                                   unit_id=args.unit_id, area=args.area, light=args.light,
                                   start=service.day_start(args.date_from, tz),
                                   end=service.day_start(args.date_to, tz, plus_days=1))
            rows = await service.check_size(f, args.max_rows or settings.export_max_rows)
            progress = Progress(rows)
            chunks = service.case_chunks(settings, f, args.format, progress)
            details: dict[str, Any] = {"rows": rows, "format": args.format, **f.describe()}
            target = f"cases.{args.format}"
        else:
            ctx = AppContext(settings=settings, engine=engine, bus=None)  # type: ignore[arg-type]  # no events here
            p = evaluation.period(ctx, args.date_from, args.date_to, None)
            subjects = [s for s in args.subjects.split(",") if s]
            tables = [await evaluation.table(ctx, s, p, level=args.level if s == "area" else None, compare=True)
                      for s in subjects]
            progress = None
            chunks = service.evaluation_chunks(settings, tables)
            details = {"subjects": subjects, "from": p.first.isoformat(), "to": p.last.isoformat()}
            target = "evaluation.xlsx"
        try:
            with part.open("wb") as fh:
                async for chunk in chunks:
                    fh.write(chunk)
            part.replace(out)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        finally:
            if progress is not None:
                progress.end()
        await record("data.exported", actor_id=None, actor_name="cli", target=target, details=details)
    finally:
        await close_database(engine)
    sys.stdout.write(f"{out}\n")
    return 0
