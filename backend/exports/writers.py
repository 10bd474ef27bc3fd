"""Row writers: each takes batches of rows and produces bytes, never holding more than one batch.

CSV goes out with a UTF-8 BOM so that Excel shows Chinese; cells that a spreadsheet would run as a formula are
prefixed with an apostrophe (a citizen's text may start with "="). XLSX uses xlsxwriter's constant_memory mode,
which flushes each row to a temporary file as it is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import xlsxwriter

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_chunk(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> bytes:
    out = io.StringIO()
    if header is not None:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


class XlsxSheet:
    """One sheet written row by row in constant memory (rows must come in order)."""

    def __init__(self, book: xlsxwriter.Workbook, title: str, header: Sequence[str]) -> None:
        self.sheet = book.add_worksheet(title[:31])
        self.bold = book.add_format({"bold": True, "bg_color": "#e8eef5"})
        self.row = 0
        self.sheet.write_row(0, 0, list(header), self.bold)
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        for values in rows:
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    self.sheet.write_boolean(self.row, col, value)
                elif isinstance(value, (int, float)):
                    self.sheet.write_number(self.row, col, value)
                else:
                    self.sheet.write_string(self.row, col, str(value))  # never a formula
            self.row += 1


def open_book(path: str) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "tmpdir": None})


def geojson_start() -> bytes:
    return b'{"type":"FeatureCollection","features":['


def geojson_features(rows: Sequence[dict[str, Any]], first: bool) -> bytes:
    parts = []
    for i, row in enumerate(rows):
        props = {k: v for k, v in row.items() if k not in ("lng", "lat")}
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
                   "properties": props}
        parts.append(("" if first and i == 0 else ",") + json.dumps(feature, ensure_ascii=False, default=str))
    return "".join(parts).encode("utf-8")


def geojson_end() -> bytes:
    return b"]}"
