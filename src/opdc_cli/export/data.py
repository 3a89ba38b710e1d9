"""Articles as data for scripts and spreadsheets: JSON, JSON Lines, CSV and xlsx.

JSON and JSONL carry `serialize.article_record` (every field of every language,
described by `schema/article.schema.json`); CSV and xlsx have one row per article
and language with the columns of `CSV_COLUMNS`. The same articles give the same
bytes (xlsx: the same cells; the zip inside records when it was written).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from opdc_cli.model import Article
from opdc_cli.serialize import article_record
from opdc_cli.site import SiteConfig

FORMATS = ("json", "jsonl", "csv", "xlsx")

CSV_COLUMNS = (
    "id",
    "lang",
    "date",
    "category",
    "category_name",
    "status",
    "state",
    "tags",
    "title",
    "summary",
    "credit",
    "body",
    "url",
    "photo_count",
    "photo_urls",
    "event_start",
    "event_end",
    "event_place",
    "attachment_urls",
    "attachment_types",
    "attachment_bytes",
    "attachment_pages",
    "paths",
)

# What Excel needs to read the file as UTF-8 rather than the ANSI code page (cp874 in Thailand).
BOM = "\ufeff"
# Tags and file lists in one CSV cell: a tag may contain spaces ("Design Thinking").
LIST_SEPARATOR = "; "


def records(
    articles: Iterable[Article], config: SiteConfig, now: datetime, media_dir: Path
) -> list[dict[str, Any]]:
    """One `article_record` per article, in the given order."""
    return [article_record(article, config, now, media_dir) for article in articles]


def to_json(items: list[dict[str, Any]]) -> bytes:
    """A JSON array of the records, keys sorted, UTF-8 (Thai as is), ending in a newline."""
    return (json.dumps(items, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def to_jsonl(items: list[dict[str, Any]]) -> bytes:
    """One record per line (JSON Lines), keys sorted, UTF-8."""
    return "".join(
        json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items
    ).encode()


def csv_rows(record: dict[str, Any], languages: Iterable[str]) -> list[list[str]]:
    """The CSV rows of one record: one per language it has, in the site's language order."""
    return [
        [str(values[column]) for column in CSV_COLUMNS] for values in row_values(record, languages)
    ]


def row_values(record: dict[str, Any], languages: Iterable[str]) -> list[dict[str, Any]]:
    """The cells of one record's rows by column (numbers as numbers), one row per
    language it has, in the site's language order."""
    rows = []
    event = record["event"] or {}
    for lang in languages:
        text = record["translations"].get(lang)
        if text is None:
            continue
        values: dict[str, Any] = {
            "id": record["id"],
            "lang": lang,
            "date": record["date"],
            "category": record["category"],
            "category_name": record["category_name"].get(lang, ""),
            "status": record["status"],
            "state": record["state"],
            "tags": LIST_SEPARATOR.join(record["tags"]),
            "title": text["title"],
            "summary": text["summary"],
            "credit": text["credit"],
            "body": text["body"],
            "url": text["url"],
            "photo_count": record["photo_count"],
            "photo_urls": LIST_SEPARATOR.join(p["web_url"] for p in record["photos"]),
            "event_start": event.get("start") or "",
            "event_end": event.get("end") or "",
            "event_place": (event.get("place") or {}).get(lang, ""),
            "attachment_urls": LIST_SEPARATOR.join(a["url"] for a in record["attachments"]),
            "attachment_types": _joined(a["type"] for a in record["attachments"]),
            "attachment_bytes": _joined(a["bytes"] for a in record["attachments"]),
            "attachment_pages": _joined(a["pages"] for a in record["attachments"]),
            "paths": LIST_SEPARATOR.join(record["paths"]),
        }
        rows.append(values)
    return rows


def _joined(values: Iterable[object]) -> str:
    """One cell of a list, one value per attachment in order (empty where unknown)."""
    return LIST_SEPARATOR.join("" if v is None else str(v) for v in values)


def to_csv(items: list[dict[str, Any]], languages: Iterable[str], *, excel: bool = False) -> bytes:
    """CSV (RFC 4180: CRLF line ends, quoted where needed) with a header row of CSV_COLUMNS.

    `excel` starts the file with a byte-order mark so that Excel reads the Thai as UTF-8.
    """
    languages = tuple(languages)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerows(csv_rows(item, languages))
    return ((BOM if excel else "") + buffer.getvalue()).encode()


# Excel's limit for the text of one cell.
XLSX_CELL_LIMIT = 32_767
# Columns holding dates and times (ISO 8601 in the records) and whole numbers.
XLSX_DATETIMES = ("date",)
XLSX_DATES = ("event_start", "event_end")
XLSX_NUMBERS = ("id", "photo_count")


def _xlsx_cell(column: str, value: Any, tz: Any) -> Any:
    """A cell's value as a spreadsheet keeps it: dates and numbers as such, text as is.

    Spreadsheets have no time zones: a date is written in the site's time zone."""
    if value in ("", None):
        return None
    if column in XLSX_DATETIMES:
        return datetime.fromisoformat(value).astimezone(tz).replace(tzinfo=None)
    if column in XLSX_DATES:
        return date.fromisoformat(value)
    if column in XLSX_NUMBERS:
        return int(value)
    return str(value)


def to_xlsx(items: list[dict[str, Any]], config: SiteConfig) -> bytes:
    """An Excel workbook of one sheet: the header row of CSV_COLUMNS (frozen, so it stays
    in view), then the CSV's rows with real dates and numbers; every text is text, never
    a formula.

    OpdcError when a text is longer than a cell can hold (Excel would cut it)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from opdc_cli.errors import OpdcError

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "articles"
    sheet.append(list(CSV_COLUMNS))
    for item in items:
        for values in row_values(item, config.languages):
            row = [_xlsx_cell(column, values[column], config.tz) for column in CSV_COLUMNS]
            for column, cell in zip(CSV_COLUMNS, row, strict=True):
                if isinstance(cell, str) and len(cell) > XLSX_CELL_LIMIT:
                    raise OpdcError(
                        f"article {values['id']} ({values['lang']}): its {column} has "
                        f"{len(cell)} characters, more than a spreadsheet cell holds "
                        f"({XLSX_CELL_LIMIT}); export it as csv or json instead"
                    )
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                # openpyxl takes a text starting with "=" for a formula: it is text.
                if cell.data_type == "f":
                    cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for number, column in enumerate(CSV_COLUMNS, start=1):
        letter = get_column_letter(number)
        if column in XLSX_DATETIMES:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
                cell.number_format = "yyyy-mm-dd hh:mm"
        elif column in XLSX_DATES:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
                cell.number_format = "yyyy-mm-dd"
        sheet.column_dimensions[letter].width = 40 if column in ("title", "body") else 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_data(
    fmt: str,
    articles: Iterable[Article],
    config: SiteConfig,
    now: datetime,
    media_dir: Path,
    *,
    excel: bool = False,
) -> bytes:
    """The articles in `fmt` (json, jsonl, csv or xlsx) as bytes, ready for a file or
    stdout."""
    items = records(articles, config, now, media_dir)
    if fmt == "json":
        return to_json(items)
    if fmt == "jsonl":
        return to_jsonl(items)
    if fmt == "csv":
        return to_csv(items, config.languages, excel=excel)
    if fmt == "xlsx":
        return to_xlsx(items, config)
    raise ValueError(f"unknown data format {fmt!r}: use one of {', '.join(FORMATS)}")
