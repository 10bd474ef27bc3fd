"""Name the place of cases made before places were stored with the case (``suishoupai places-backfill``)."""

from __future__ import annotations

from backend.cases.change import case_change, name_place
from backend.cases.tables import Case
from backend.context import AppContext

BATCH = 200


async def backfill_places(ctx: AppContext) -> int:
    """Store ``place_text`` and ``place`` on every case that has none, each through the case recorder (a stored field,
    no timeline step). Returns how many were named; a point the gazetteer cannot name stays as it is."""
    named, last = 0, 0
    while True:
        ids = [r["id"] for r in await Case.select(Case.id).where((Case.place_text == "") & (Case.id > last))
               .order_by(Case.id).limit(BATCH)]
        if not ids:
            return named
        for case_id in ids:
            async with case_change(ctx, case_id, missing_ok=True) as change:
                case = change.case
                if case is None or case.place_text:
                    continue
                await name_place(ctx, case)
                if case.place_text:
                    change.store_only()
                    named += 1
        last = ids[-1]
