"""A spreadsheet of articles with the columns of `opdc export --format csv` as items.

One row per article and language, as the export writes them: the rows of one id
are the languages of one article. Columns the export derives (state, url,
category_name, photo_count, photo_urls, attachment_urls, paths) are not read:
photos are added afterwards with `opdc media add`. A row without an id is an
article of its own, found again by its file and title.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from opdc_cli.errors import OpdcError
from opdc_cli.export.data import CSV_COLUMNS, LIST_SEPARATOR
from opdc_cli.importers.plan import BadItem, Item, Skipped
from opdc_cli.importers.wordpress import Reading
from opdc_cli.model import STATUSES, Event, Translation
from opdc_cli.site import SiteConfig

REQUIRED = ("lang", "date", "category", "title")


def _when(value: str, what: str, config: SiteConfig) -> date | datetime:
    try:
        when = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        raise BadItem(
            f"{what} {value!r} is not an ISO date such as 2018-04-27T09:30:00+07:00"
        ) from None
    if isinstance(when, datetime) and when.tzinfo is None:
        when = when.replace(tzinfo=config.tz)
    return when


def _row_item(row: dict[str, str], config: SiteConfig, label: str, source: str) -> Item:
    lang = row["lang"].strip()
    if lang not in config.languages:
        raise BadItem(f"language {lang!r} is not in site.toml's ({', '.join(config.languages)})")
    title = row["title"].strip()
    if not title:
        raise BadItem("it has no title")
    when = _when(row["date"].strip(), "date", config)
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=config.tz)
    status = (row.get("status") or "published").strip()
    if status not in STATUSES:
        raise BadItem(f"status {status!r} is not draft or published")
    event = None
    if (row.get("event_start") or "").strip():
        end = (row.get("event_end") or "").strip()
        place = (row.get("event_place") or "").strip()
        event = Event(
            _when(row["event_start"].strip(), "event_start", config),
            _when(end, "event_end", config) if end else None,
            {lang: place} if place else {},
        )
    raw_id = (row.get("id") or "").strip()
    tags = [t.strip() for t in (row.get("tags") or "").split(LIST_SEPARATOR.strip())]
    return Item(
        label=label,
        source=source,
        date=when,
        status="draft" if status == "draft" else "published",
        categories=(row["category"].strip(),),
        translations={
            lang: Translation(
                title,
                (row.get("body") or "").strip("\n"),
                row.get("summary") or "",
                row.get("credit") or "",
            )
        },
        tags=tuple(t for t in tags if t),
        event=event,
        id=int(raw_id) if raw_id.isdigit() else None,
        keep_id=True,
    )


def _join(first: Item, other: Item) -> None:
    first.translations.update(other.translations)
    if first.event is not None and other.event is not None:
        first.event = Event(
            first.event.start, first.event.end, {**first.event.places, **other.event.places}
        )


def read_csv(data: bytes, name: Path, config: SiteConfig) -> Reading:
    """The rows of a CSV file as items, the rows of one id merged."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise OpdcError(
            "not UTF-8: save the spreadsheet as 'CSV UTF-8'", name, line, code="OPDC141"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise OpdcError(
            f"missing column(s) {', '.join(missing)}; the columns are those of "
            f"opdc export --format csv: {', '.join(CSV_COLUMNS)}",
            name,
            1,
            1,
            "OPDC141",
        )
    entries: list[Item | Skipped] = []
    by_id: dict[int, Item] = {}
    for row in reader:
        label = f"{name.name}:{reader.line_num}"
        try:
            item = _row_item(row, config, label, "")
        except BadItem as exc:
            entries.append(Skipped(label, str(exc)))
            continue
        if item.id is None:
            item.source = f"csv:{name.name}:{next(iter(item.translations.values())).title}"
            entries.append(item)
        elif item.id in by_id:
            _join(by_id[item.id], item)
        else:
            by_id[item.id] = item
            entries.append(item)
    return Reading(entries, [])
