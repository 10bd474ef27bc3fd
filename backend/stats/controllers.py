"""HTTP endpoints of the command centre's statistics: overdue board, open-case map points and the heatmap."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import QueryParameter

from backend.accounts.auth import provide_actor
from backend.accounts.guards import centre_only
from backend.context import Ctx
from backend.errors import InvalidInput
from backend.stats import counts as case_counts
from backend.stats import services
from backend.stats.schemas import Counts, Heatmap, MapCases, OverdueBoard

Category = Annotated[str | None, QueryParameter(max_length=8, pattern=r"^[0-9A-Za-z]*$",
                                                description="大类 or 小类 code prefix")]


def _bbox(bbox: str | None) -> services.Box | None:
    if not bbox:
        return None
    try:
        w, s, e, n = (float(x) for x in bbox.split(","))
    except ValueError:
        raise InvalidInput("bbox 格式应为 west,south,east,north", "bbox must be west,south,east,north",
                           code="request.bad_bbox") from None
    return w, s, e, n


MAX_DAYS = {"none": 3660, "day": 366, "week": 3660 // 2, "month": 3660}


def _range(ctx: Ctx, date_from: date | None, date_to: date | None, bucket: str) -> tuple[datetime | None, datetime | None]:
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("结束日期早于开始日期", "The end date is before the start date", code="stats.bad_range")
    today = local_today(ctx.settings.timezone)
    first = date_from or (date_to or today) - timedelta(days=29)
    last = date_to or today
    if (last - first).days + 1 > MAX_DAYS[bucket]:
        raise InvalidInput(f"按{bucket}统计最长 {MAX_DAYS[bucket]} 天", f"At most {MAX_DAYS[bucket]} days by {bucket}",
                           code="stats.range_too_long", details={"max_days": MAX_DAYS[bucket]})
    tz = ctx.settings.timezone
    return _day(first, tz), _day(last, tz, plus_days=1)


def local_today(tz: str, now: datetime | None = None) -> date:
    """The city's date now: between 00:00 and 08:00 in Beijing the server's (UTC) date is still yesterday."""
    from zoneinfo import ZoneInfo

    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()


def _day(value: date | None, tz: str, plus_days: int = 0) -> datetime | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    return datetime.combine(value + timedelta(days=plus_days), time(), ZoneInfo(tz)).astimezone(UTC)


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["stats"]
    dependencies = {"actor": Provide(provide_actor)}
    guards = [centre_only]
    security = [{"bearer": []}]

    @get("/overdue", operation_id="overdueBoard", summary="超时看板 Cases with a unit, by timer light (centre)")
    async def overdue(
        self, ctx: Ctx, unit_id: Annotated[int | None, QueryParameter(ge=1)] = None
    ) -> OverdueBoard:
        return await services.overdue_board(ctx.settings, unit_id)

    @get("/open-cases", operation_id="openCaseMap", summary="在办案件地图 Open cases as map points (centre)")
    async def open_cases(
        self, ctx: Ctx, category: Category = None,
        bbox: Annotated[str | None, QueryParameter(max_length=100, description="west,south,east,north")] = None,
    ) -> MapCases:
        return await services.open_cases(ctx.settings, _bbox(bbox), category)

    @get("/heatmap", operation_id="caseHeatmap",
         summary="热力图 Reported cases binned in the database: ~100 m, or ~16 px at a map zoom (centre)")
    async def heatmap(
        self, ctx: Ctx, category: Category = None,
        date_from: Annotated[date | None, QueryParameter(name="from", description="first day, local")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="last day, local, included")] = None,
        zoom: Annotated[int | None, QueryParameter(ge=3, le=20, description="the map's zoom: cells of ~16 px")] = None,
        bbox: Annotated[str | None, QueryParameter(max_length=100, description="west,south,east,north")] = None,
    ) -> Heatmap:
        if date_from and date_to and date_to < date_from:
            raise InvalidInput("结束日期早于开始日期", "The end date is before the start date", code="stats.bad_range")
        tz = ctx.settings.timezone
        return await services.heatmap(category, _day(date_from, tz), _day(date_to, tz, plus_days=1), zoom, _bbox(bbox))

    @get("/counts", operation_id="caseCounts",
         summary="分类统计与趋势 Cases reported, by category/source/state/light/unit/area, per day/week/month (centre)")
    async def counts(
        self, ctx: Ctx,
        by: Annotated[str, QueryParameter(description="category | source | state | light | unit | district | street | "
                                                      "community | grid")] = "category",
        bucket: Annotated[str, QueryParameter(description="none | day | week | month (local time)")] = "none",
        category: Category = None,
        date_from: Annotated[date | None, QueryParameter(name="from", description="first day, local")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="last day, local, included")] = None,
    ) -> Counts:
        if by not in case_counts.DIMENSIONS or bucket not in case_counts.BUCKETS:
            raise InvalidInput("by 或 bucket 取值无效", "Unknown by or bucket", code="stats.bad_dimension",
                               details={"by": list(case_counts.DIMENSIONS), "bucket": list(case_counts.BUCKETS)})
        start, end = _range(ctx, date_from, date_to, bucket)
        return await case_counts.counts(ctx.settings, ctx.engine, by, bucket, start, end, category)
