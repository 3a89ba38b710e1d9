"""The CSV and xlsx exports as LibreOffice reads them: converted headless with
`soffice --convert-to`, the Thai text, the dates and the numbers come through whole.

LibreOffice is installed by .ci/run (the Debian package libreoffice-calc-nogui);
without it these tests fail saying so, they are never skipped. Each conversion runs
with its own profile folder (-env:UserInstallation), so that parallel tests do not
share, and lock, one.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import BANGKOK, MakeArticle, MakeSite
from typer.testing import CliRunner

from opdc_cli.cli import app
from opdc_cli.export.data import CSV_COLUMNS
from opdc_cli.model import Event

# What LibreOffice's CSV filter is told: comma, `"`, UTF-8 (76), from line 1.
CSV_UTF8 = "44,34,76,1"
THAI_TITLE = "ผู้ใหญ่ลี้ ตีกลอง ประชุม ๑๒ น้ำ ญี่ปุ่น"
THAI_BODY = 'ย่อหน้าแรก มี "คำพูด" และ, จุลภาค\n\nย่อหน้าที่สอง ๒๕๖๑'


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail(
            "LibreOffice (soffice) is not installed: run 'bash .ci/run', which installs "
            "the Debian package libreoffice-calc-nogui, or apt-get install it"
        )
    return found


def convert(source: Path, to: str, tmp_path: Path, infilter: str | None = None) -> Path:
    """`source` converted by LibreOffice to `to` ("xlsx", or "csv:<filter>:<options>")
    in tmp_path/converted, with a profile of its own: the new file."""
    out = tmp_path / "converted"
    profile = tmp_path / "libreoffice-profile"
    command = [
        soffice(),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        *([f"--infilter={infilter}"] if infilter else []),
        "--convert-to",
        to,
        "--outdir",
        str(out),
        str(source),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    made = out / f"{source.stem}.{to.split(':')[0]}"
    assert run.returncode == 0 and made.is_file(), f"{command}\n{run.stdout}\n{run.stderr}"
    return made


@pytest.fixture
def site(make_site: MakeSite, make_article: MakeArticle) -> Path:
    """Two published articles, one with Thai text, quotes, commas, paragraphs and an event."""
    mixed = make_article(
        1004,
        tags=("AT&T", "ธรรมาภิบาล"),
        event=Event(date(2026, 5, 1), None, {"th": "ห้องประชุม ๑", "en": "Room 1"}),
    )
    th = replace(mixed.translations["th"], title=THAI_TITLE, body=THAI_BODY)
    return make_site(
        [make_article(1001), replace(mixed, translations={**mixed.translations, "th": th})]
    )


def export(runner: CliRunner, root: Path, *args: str) -> str:
    result = runner.invoke(app, ["--site", str(root), "export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_libreoffice_reads_the_csv_as_utf8_with_every_cell_whole(
    site: Path, runner: CliRunner, tmp_path: Path
) -> None:
    text = export(runner, site, "--format", "csv")
    expected = list(csv.reader(io.StringIO(text)))
    source = tmp_path / "articles.csv"
    source.write_bytes(text.encode())

    book = openpyxl.load_workbook(convert(source, "xlsx", tmp_path, f"CSV:{CSV_UTF8}"))
    sheet = book.active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(CSV_COLUMNS) == expected[0]
    assert len(rows) == len(expected) == 5
    for row, csv_row in zip(rows[1:], expected[1:], strict=True):
        cells = dict(zip(CSV_COLUMNS, row, strict=True))
        # Numbers read as numbers, the same ones.
        assert isinstance(cells["id"], int) and str(cells["id"]) == csv_row[0]
        assert isinstance(cells["photo_count"], int)
        for column, value in cells.items():
            wanted = csv_row[CSV_COLUMNS.index(column)]
            if isinstance(value, datetime):  # a date-only cell (the event) became a date
                assert value.date().isoformat() == wanted, column
            else:
                assert ("" if value is None else str(value)) == wanted, column
    thai = next(r for r in rows[1:] if r[0] == 1004 and r[1] == "th")
    assert thai[CSV_COLUMNS.index("title")] == THAI_TITLE
    assert thai[CSV_COLUMNS.index("body")] == THAI_BODY
    assert thai[CSV_COLUMNS.index("event_start")] == datetime(2026, 5, 1)
    # A date-time with its offset stays the text it was (no spreadsheet keeps offsets).
    moment = thai[CSV_COLUMNS.index("date")]
    assert isinstance(moment, str) and datetime.fromisoformat(moment).utcoffset()


def test_libreoffice_converts_the_workbook_without_loss(
    site: Path, runner: CliRunner, tmp_path: Path
) -> None:
    book_path = tmp_path / "articles.xlsx"
    export(runner, site, "--format", "xlsx", "-o", str(book_path))
    expected = list(csv.reader(io.StringIO(export(runner, site, "--format", "csv"))))

    # To CSV, written as UTF-8: what the spreadsheet shows, cell by cell.
    made = convert(book_path, f"csv:Text - txt - csv (StarCalc):{CSV_UTF8}", tmp_path)
    rows = list(csv.reader(io.StringIO(made.read_text(encoding="utf-8"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == len(expected) == 5
    for row, csv_row in zip(rows[1:], expected[1:], strict=True):
        for column, value, wanted in zip(CSV_COLUMNS, row, csv_row, strict=True):
            if column == "date":
                # The workbook's date and time in the site's time zone, as formatted.
                moment = datetime.fromisoformat(wanted).astimezone(BANGKOK)
                assert value == moment.strftime("%Y-%m-%d %H:%M"), value
            else:
                assert value == wanted, (column, value, wanted)
    thai = next(r for r in rows[1:] if r[:2] == ["1004", "th"])
    assert thai[CSV_COLUMNS.index("title")] == THAI_TITLE
    assert thai[CSV_COLUMNS.index("body")] == THAI_BODY
    assert thai[CSV_COLUMNS.index("event_start")] == "2026-05-01"

    # And back to xlsx through LibreOffice: real dates and numbers still.
    again = openpyxl.load_workbook(convert(book_path, "xlsx", tmp_path / "again"))
    sheet = again.active
    assert sheet is not None
    cells = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    first = dict(zip(CSV_COLUMNS, cells[0], strict=True))
    assert isinstance(first["id"], int) and isinstance(first["date"], datetime)
    assert [c[CSV_COLUMNS.index("title")] for c in cells if c[1] == "th" and c[0] == 1004] == [
        THAI_TITLE
    ]
