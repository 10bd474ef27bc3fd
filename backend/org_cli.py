"""The command line for organisation data files: ``org-import``, ``org-export`` and ``users-import`` (docs/org-data.md).

It sits at the top with cli.py: it reads the city's taxonomy (triage) for the organisation import (org), which the org
domain itself may not import.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from backend.org import files, transfer
from backend.settings import Settings


def _files(paths: list[str]) -> list[tuple[str, bytes, str]]:
    """Each path a data file named after its dataset, or a folder holding such files (others in it are ignored)."""
    uploads: list[tuple[str, bytes, str]] = []
    for raw in paths:
        path = Path(raw)
        candidates = sorted(p for p in path.iterdir() if transfer.dataset_of(p.name)) if path.is_dir() else [path]
        for file in candidates:
            dataset = transfer.dataset_of(file.name)
            if not dataset:
                raise SystemExit(f"{file}: the file name must start with a dataset name ({', '.join(transfer.DATASETS)})")
            uploads.append((dataset, file.read_bytes(), file.name))
    return uploads


async def org_import(settings: Settings, paths: list[str], dry_run: bool = False) -> transfer.Report:
    from backend.audit.service import record
    from backend.db import close_database, open_database
    from backend.triage.taxonomy import load_taxonomy

    uploads = _files(paths)
    engine = await open_database(settings)
    try:
        async def audit(report: transfer.Report) -> None:
            await record("org.imported", actor_id=None, actor_name="cli", target="org:" + ",".join(
                o.dataset for o in report.outcomes), details=transfer.audit_details(report))

        return await transfer.import_files(engine, load_taxonomy(settings.taxonomy_path or None), uploads,
                                           dry_run=dry_run, by_name="cli", audit=audit)
    finally:
        await close_database(engine)


def print_report(report: transfer.Report, out: Any = sys.stdout) -> None:
    for o in report.outcomes:
        removed = f", {o.removed} replaced" if o.removed else ""
        out.write(f"  {o.dataset:<22} {o.rows:>6} rows: {o.added} added, {o.updated} updated{removed}\n")
    for p in sorted(report.problems, key=lambda p: (p.dataset, p.line)):
        out.write(f"  {p.dataset} line {p.line} {p.field or '-'}: {p.zh} / {p.en}\n")


def cmd_org_import(settings: Settings, args: argparse.Namespace) -> int:
    report = asyncio.run(org_import(settings, args.paths, args.dry_run))
    if report.problems:
        sys.stderr.write(f"refused: {len(report.problems)} problems, nothing imported\n")
        print_report(report, sys.stderr)
        return 1
    sys.stdout.write("checked (dry run), nothing changed:\n" if args.dry_run else
                      f"imported (revision {report.revision}):\n")
    print_report(report)
    return 0


async def org_export(settings: Settings, folder: Path, fmt: str) -> list[Path]:
    from backend.db import close_database, open_database

    engine = await open_database(settings)
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for dataset in transfer.DATASETS:
            formats = transfer.export_formats(dataset)
            chosen = fmt if fmt in formats else formats[0]
            target = folder / f"{dataset}.{chosen}"
            target.write_bytes(await transfer.export(dataset, chosen))
            written.append(target)
    finally:
        await close_database(engine)
    return written


def cmd_org_export(settings: Settings, args: argparse.Namespace) -> int:
    for path in asyncio.run(org_export(settings, Path(args.folder), args.format)):
        sys.stdout.write(f"  {path}\n")
    return 0


async def users_import(settings: Settings, data: bytes, filename: str, dry_run: bool) -> Any:
    from backend.accounts.bulk import import_users
    from backend.accounts.roles import Role
    from backend.accounts.services import Actor
    from backend.accounts.users import Caller
    from backend.context import AppContext
    from backend.db import close_database, open_database
    from backend.live.bus import EventBus

    engine = await open_database(settings)
    try:
        ctx = AppContext(settings=settings, engine=engine, bus=EventBus())
        caller = Caller(Actor(id=None, username="cli", display_name="cli", role=Role.ADMIN))  # type: ignore[arg-type]
        return await import_users(ctx, caller, data, filename, dry_run=dry_run)
    finally:
        await close_database(engine)


def cmd_users_import(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    result = asyncio.run(users_import(settings, path.read_bytes(), path.name, args.dry_run))
    if result.problems:
        sys.stderr.write(f"refused: {len(result.problems)} problems, no user created\n")
        for p in result.problems:
            sys.stderr.write(f"  line {p.line} {p.field or '-'}: {p.zh} / {p.en}\n")
        return 1
    if args.dry_run:
        sys.stdout.write(f"checked (dry run): {result.rows} users would be created\n")
        return 0
    # The initial passwords go to a file only its owner can read, never to the terminal or a log.
    target = Path(args.passwords_out)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(files.write_csv(("username", "role", "initial_password"),
                                [(c["username"], c["role"], c["initial_password"]) for c in result.created]))
    sys.stdout.write(f"{len(result.created)} users created; initial passwords in {target} (mode 600), "
                     "to be changed at the first login\n")
    return 0


def add_parsers(sub: Any) -> None:
    imp = sub.add_parser("org-import", help="import organisation data files (all or nothing; see docs/org-data.md)")
    imp.add_argument("paths", nargs="+", help="data files named after their dataset (units.csv …) or folders of them")
    imp.add_argument("--dry-run", action="store_true", help="check every row, change nothing")
    imp.set_defaults(func=cmd_org_import)
    exp = sub.add_parser("org-export", help="export every organisation dataset into a folder")
    exp.add_argument("folder")
    exp.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="for tabular datasets (default csv)")
    exp.set_defaults(func=cmd_org_export)
    users = sub.add_parser("users-import", help="create staff accounts from a CSV or XLSX file (all or nothing)")
    users.add_argument("file")
    users.add_argument("--passwords-out", default="initial-passwords.csv",
                       help="where to write the initial passwords (created with mode 600)")
    users.add_argument("--dry-run", action="store_true")
    users.set_defaults(func=cmd_users_import)
