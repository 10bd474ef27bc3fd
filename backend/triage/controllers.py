"""Read-only taxonomy endpoints for the apps: the citizen menu and the full 大类/小类 list."""

from __future__ import annotations

from litestar import Controller, get
from msgspec import Struct

from backend.context import Ctx
from backend.triage.taxonomy import Category


class MenuItemOut(Struct):
    id: str
    name: str
    name_en: str
    codes: list[str]


class StandardOut(Struct):
    filing_condition: str
    closing_condition: str
    time_limit: str
    urgent: bool
    filing_condition_en: str = ""  # English wording ("" when the taxonomy has none: show the Chinese)
    closing_condition_en: str = ""
    time_limit_en: str = ""  # "2 emergency hours"


class CategoryOut(Struct):
    code: str
    name: str
    kind: str
    kind_zh: str
    major_code: str
    major_name: str
    synonyms: list[str]
    synonyms_en: list[str]
    department: str
    standards: list[StandardOut]
    enabled: bool = True  # False: switched off by the city (old cases keep it; not offered for new ones)
    name_en: str = ""  # English names ("" when the taxonomy has none: show the Chinese)
    major_name_en: str = ""


class MajorOut(Struct):
    code: str
    name: str
    kind: str
    name_en: str = ""


class CategoriesOut(Struct):
    majors: list[MajorOut]
    categories: list[CategoryOut]


def _category_out(c: Category, disabled: frozenset[str] = frozenset()) -> CategoryOut:
    return CategoryOut(
        code=c.code,
        name=c.name,
        kind=c.kind,
        kind_zh=c.kind_zh,
        major_code=c.major_code,
        major_name=c.major_name,
        synonyms=list(c.synonyms),
        synonyms_en=list(c.synonyms_en),
        department=c.department,
        standards=[
            StandardOut(s.filing_condition, s.closing_condition, s.time_limit.raw, s.urgent, s.filing_condition_en,
                        s.closing_condition_en, s.time_limit.english) for s in c.standards
        ],
        enabled=c.code not in disabled,
        name_en=c.name_en,
        major_name_en=c.major_name_en,
    )


class TaxonomyController(Controller):
    path = "/api/v1/meta"
    tags = ("meta",)

    @get("/menu", operation_id="listMenu", summary="随手拍菜单 The citizen's problem menu")
    async def menu(self, ctx: Ctx) -> list[MenuItemOut]:
        return [MenuItemOut(m.id, m.name, m.name_en, list(m.codes)) for m in ctx.triage.taxonomy.menu]

    @get("/categories", operation_id="listCategories", summary="部件事件分类 Majors (大类) and categories (小类)")
    async def categories(self, ctx: Ctx) -> CategoriesOut:
        tax = ctx.triage.taxonomy
        kinds = {c.major_code: c.kind for c in tax.categories}
        majors_en = tax.majors_en
        return CategoriesOut(
            majors=[MajorOut(code, name, kinds[code], majors_en.get(code, "")) for code, name in tax.majors.items()],
            categories=[_category_out(c, tax.disabled) for c in tax.categories],
        )
