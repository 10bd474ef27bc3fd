"""Fact rows written with the driver's executemany are stored exactly as Piccolo's own insert stores them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend.db import close_database, insert_many, open_database, write_transaction
from backend.evaluation.tables import EvalRating
from backend.settings import Settings

AT = datetime(2026, 6, 1, 8, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))  # not UTC: both must convert it
ROW: dict[str, Any] = {"case_id": 7, "tracking_no": "F26060100007", "at": AT, "satisfied": True, "unit_id": None,
                       "district": "431302", "street": "431302001", "community": "", "unit_grid": "网格-1"}
STORED = "SELECT entry, tracking_no, CAST(at AS TEXT) AS at, satisfied, unit_id, district, street, community, unit_grid " \
         "FROM eval_rating ORDER BY entry"


def test_insert_many_stores_what_piccolo_stores(settings: Settings) -> None:
    async def run() -> tuple[list[dict[str, Any]], list[Any]]:
        engine = await open_database(settings)
        try:
            await EvalRating.insert(EvalRating(**ROW, entry=1))
            columns = [c._meta.db_column_name for c in EvalRating._meta.columns if not c._meta.primary_key]
            values = {**ROW}
            for entry in (2, 3):
                values["entry"] = entry
                row = tuple(values[c] for c in columns)
                if entry == 2:
                    await insert_many(engine, "eval_rating", columns, [row])  # a write transaction of its own
                else:
                    async with write_transaction(engine):  # the fact builder's way: inside its transaction
                        await insert_many(engine, "eval_rating", columns, [row])
            read = await EvalRating.select(EvalRating.at).order_by(EvalRating.entry)
            return list(await EvalRating.raw(STORED)), [r["at"] for r in read]
        finally:
            await close_database(engine)

    (piccolo, own, inside), times = asyncio.run(run())
    assert [piccolo.pop("entry"), own.pop("entry"), inside.pop("entry")] == [1, 2, 3]
    assert own == piccolo and inside == piccolo
    assert times == [AT, AT, AT]  # the same instant, to the microsecond
