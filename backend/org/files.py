"""Reading and writing organisation data files: CSV (UTF-8), XLSX (first sheet) and GeoJSON, as numbered rows.

Every row keeps the number a person sees in the file — the CSV line, the spreadsheet row, the GeoJSON feature (from 1)
— so that an error report can point at it. Headers are matched without regard to case or surrounding blanks.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 20 * 1024 * 1024  # the demo city's 5,476 unit grids are about 3 MB of GeoJSON
MAX_ROWS = 50_000
XLSX_MAGIC = b"PK\x03\x04"
BOM = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula: written with a leading apostrophe, read back
# without it, so an export imports again unchanged.
_FORMULA_START = ("=", "+", "-", "@")
FORMATS = ("csv", "xlsx", "geojson")


@dataclass(frozen=True)
class Row:
    line: int  # CSV line / spreadsheet row (the header is 1) or GeoJSON feature number (from 1)
    values: dict[str, str]
    geometry: dict[str, Any] | None = None


@dataclass(frozen=True)
class Problem:
    """One reason a file (or one of its rows) is refused; ``line`` 0 is the file as a whole."""

    line: int
    field: str
    zh: str
    en: str
    dataset: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "line": self.line, "field": self.field, "reason_zh": self.zh,
                "reason_en": self.en}


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    format: str = ""


def detect_format(data: bytes, filename: str = "") -> str:
    name = filename.lower()
    for ext, fmt in ((".csv", "csv"), (".xlsx", "xlsx"), (".geojson", "geojson"), (".json", "geojson")):
        if name.endswith(ext):
            return fmt
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    return "geojson" if data.lstrip(BOM.encode()).lstrip()[:1] == b"{" else "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into a spreadsheet comes back as 431302.0
    text = str(value).strip()
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_START else text


def _decode(data: bytes) -> tuple[str, Problem | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", Problem(line, "", "文件不是 UTF-8 编码（请在 Excel 中另存为“CSV UTF-8”）",
                           "The file is not UTF-8 (save it as “CSV UTF-8” in Excel)")


def _header(cells: Sequence[Any]) -> list[str]:
    return [_cell(c).lower() for c in cells]


def _from_csv(data: bytes) -> Table:
    text, problem = _decode(data)
    if problem:
        return Table(problems=[problem], format="csv")
    out = Table(format="csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _header(next(reader, []))
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                out.problems.append(Problem(reader.line_num, "", f"列数多于表头（{len(cells)} > {len(header)}）",
                                            f"More cells than header columns ({len(cells)} > {len(header)})"))
                continue
            out.rows.append(Row(reader.line_num, {h: _cell(c) for h, c in zip(header, cells) if h}))
    except csv.Error as exc:
        out.problems.append(Problem(reader.line_num, "", f"CSV 格式错误：{exc}", f"Malformed CSV: {exc}"))
    return out


def _from_xlsx(data: bytes) -> Table:
    import openpyxl  # only imports that read spreadsheets pay for it

    out = Table(format="xlsx")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)  # read lazily: a broken sheet fails here too
            header = _header(next(rows, ()))
            for n, cells in enumerate(rows, start=2):
                if n > MAX_ROWS + 1:
                    out.problems.append(Problem(n, "", f"超过 {MAX_ROWS} 行", f"More than {MAX_ROWS} rows"))
                    break
                if any(c not in (None, "") for c in cells):
                    out.rows.append(Row(n, {h: _cell(c) for h, c in zip(header, cells) if h}))
        finally:
            book.close()
    # A hostile or broken file can fail anywhere in the zip and XML stack, with its own exception types.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, IndexError, ValueError, TypeError, OSError,
            SyntaxError, AttributeError) as exc:
        return Table(problems=[Problem(0, "", f"无法读取 XLSX 文件：{type(exc).__name__}",
                                       f"Not a readable XLSX file: {type(exc).__name__}")], format="xlsx")
    return out


def _from_geojson(data: bytes) -> Table:
    text, problem = _decode(data)
    if problem:
        return Table(problems=[problem], format="geojson")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return Table(problems=[Problem(0, "", f"不是有效的 JSON：{exc}", f"Not valid JSON: {exc}")], format="geojson")
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return Table(problems=[Problem(0, "", "应为 GeoJSON FeatureCollection", "Expected a GeoJSON FeatureCollection")],
                     format="geojson")
    out = Table(format="geojson")
    for n, feature in enumerate(doc["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            out.problems.append(Problem(n, "properties", "缺少 properties", "The feature has no properties"))
            continue
        values = {str(k).strip().lower(): (" ".join(map(_cell, v)) if isinstance(v, list) else _cell(v))
                  for k, v in props.items()}
        out.rows.append(Row(n, values, geometry if isinstance(geometry, dict) else None))
    return out


def read_table(data: bytes, filename: str = "", fmt: str = "") -> Table:
    """The rows of a file; problems that stop a row (or the file) from being read at all are in ``problems``."""
    if len(data) > MAX_BYTES:
        return Table(problems=[Problem(0, "", f"文件超过 {MAX_BYTES // 1024 // 1024} MB",
                                       f"The file is larger than {MAX_BYTES // 1024 // 1024} MB")])
    fmt = fmt or detect_format(data, filename)
    table = {"csv": _from_csv, "xlsx": _from_xlsx, "geojson": _from_geojson}[fmt](data)
    if len(table.rows) > MAX_ROWS:
        table.problems.append(Problem(0, "", f"超过 {MAX_ROWS} 行", f"More than {MAX_ROWS} rows"))
    return table


# ---------------------------------------------------------------- writing


def _safe(value: Any) -> str:
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, so that Excel shows Chinese."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def write_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    sheet = book.add_worksheet(title[:31])
    sheet.write_row(0, 0, list(header), book.add_format({"bold": True}))
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                sheet.write_string(r, c, _safe(value))  # never a formula
            else:
                sheet.write_number(r, c, value)
    book.close()
    return buffer.getvalue()


def write_geojson(features: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> bytes:
    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in features]}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
