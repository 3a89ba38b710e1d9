"""export --format xlsx: the CSV's columns and rows as a workbook with real dates and
numbers, read back with openpyxl."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from conftest import BANGKOK, MakeArticle, MakeSite
from typer.testing import CliRunner

from opdc_cli.cli import app
from opdc_cli.export.data import CSV_COLUMNS, XLSX_CELL_LIMIT
from opdc_cli.model import Event


def export(runner: CliRunner, root: Path, *args: str) -> Any:
    return runner.invoke(app, ["--site", str(root), "export", *args])


def as_csv_text(column: str, value: object) -> str:
    """What the CSV holds for a cell the workbook holds as `value`."""
    if value is None:
        return ""
    if column == "date":
        assert isinstance(value, datetime)
        return value.replace(tzinfo=BANGKOK).isoformat()
    if column in ("event_start", "event_end"):
        assert isinstance(value, datetime)  # openpyxl reads a date cell as a datetime
        return value.date().isoformat()
    return str(value)


def test_the_workbook_holds_the_csv_rows_with_real_dates_and_numbers(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    mixed = make_article(
        1004,
        tags=("AT&T", "ธรรมาภิบาล"),
        event=Event(date(2026, 5, 1), None, {"th": "ห้องประชุม ๑", "en": "Room 1"}),
    )
    th = replace(mixed.translations["th"], title="ผู้ใหญ่ลี้ ตีกลอง ประชุม ๑๒ น้ำ ญี่ปุ่น")
    en = replace(mixed.translations["en"], title='=HYPERLINK("http://evil.example","x")')
    mixed = replace(mixed, translations={"th": th, "en": en})
    root = make_site([make_article(1001), make_article(1002, status="draft"), mixed])
    book_path = tmp_path / "articles.xlsx"
    result = export(runner, root, "--format", "xlsx", "-o", str(book_path))
    assert result.exit_code == 0, result.output
    csv_result = export(runner, root, "--format", "csv")
    expected = list(csv.reader(io.StringIO(csv_result.stdout)))

    book = openpyxl.load_workbook(book_path)
    sheet = book.active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(CSV_COLUMNS) == expected[0]
    assert len(rows) == len(expected) == 5  # two articles in two languages; no draft
    for row, csv_row in zip(rows[1:], expected[1:], strict=True):
        cells = dict(zip(CSV_COLUMNS, row, strict=True))
        assert isinstance(cells["id"], int) and isinstance(cells["photo_count"], int)
        assert isinstance(cells["date"], datetime)
        assert [as_csv_text(c, v) for c, v in cells.items()] == csv_row
    thai = next(r for r in rows[1:] if r[0] == 1004 and r[1] == "th")
    assert thai[CSV_COLUMNS.index("title")] == th.title
    assert thai[CSV_COLUMNS.index("event_start")] == datetime(2026, 5, 1)
    assert thai[CSV_COLUMNS.index("tags")] == "AT&T; ธรรมาภิบาล"
    assert sheet.cell(2, CSV_COLUMNS.index("date") + 1).number_format == "yyyy-mm-dd hh:mm"
    # A text that looks like a formula stays text.
    english = next(n for n, r in enumerate(rows, 1) if r[0] == 1004 and r[1] == "en")
    formula = sheet.cell(english, CSV_COLUMNS.index("title") + 1)
    assert formula.value == en.title and formula.data_type == "s"


def test_the_workbook_passes_the_same_gate_as_the_csv(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    later = make_article(1005, date=datetime(2030, 1, 1, tzinfo=BANGKOK))
    root = make_site([make_article(1001), later, make_article(1006, status="draft")])
    out = tmp_path / "a.xlsx"
    assert export(runner, root, "--format", "xlsx", "-o", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {1001}


def test_a_text_longer_than_a_cell_is_refused_not_cut(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    long = make_article(1001)
    body = "ข่าว " * (XLSX_CELL_LIMIT // 5 + 10)
    long = replace(
        long, translations={**long.translations, "th": replace(long.translations["th"], body=body)}
    )
    root = make_site([long])
    out = tmp_path / "a.xlsx"
    result = export(runner, root, "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 1
    assert "article 1001 (th): its body has" in result.stderr
    assert "export it as csv or json" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
