"""opdc's own export (`opdc export --format json` or `jsonl`) as import items.

Each record keeps its id, its form (from `paths`), its file names and its source,
so that exporting a site and importing the export into an empty one with the same
site.toml gives the same files, byte for byte. Photos and attachments are read
from `--media-dir` (the exported site's media/ folder), as media/<id>/<file>.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from opdc_cli.errors import OpdcError
from opdc_cli.importers.plan import BadItem, Item, Skipped, attachment_file, photo_file
from opdc_cli.importers.wordpress import Reading
from opdc_cli.model import STATUSES, Event, Translation
from opdc_cli.site import SiteConfig


def _records(text: str, name: Path, lines: bool) -> list[tuple[int, Any]]:
    """The records with their line numbers; OpdcError with line and column if not JSON."""
    chunks = (
        [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
        if lines
        else [(1, text)]
    )
    records: list[tuple[int, Any]] = []
    for number, chunk in chunks:
        try:
            records.append((number, json.loads(chunk)))
        except json.JSONDecodeError as exc:
            line = number + exc.lineno - 1
            raise OpdcError(
                f"not valid JSON: {exc.msg}; nothing was imported", name, line, exc.colno, "OPDC141"
            ) from None
    if lines:
        return records
    data = records[0][1]
    if not isinstance(data, list):
        raise OpdcError("a json import needs an array of articles", name, 1, 1, "OPDC141")
    return [(1, record) for record in data]


def _when(value: Any, what: str) -> date | datetime:
    if not isinstance(value, str):
        raise BadItem(f"'{what}' is missing")
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        raise BadItem(f"'{what}' {value!r} is not an ISO date") from None


def _texts(value: Any) -> dict[str, str]:
    return {k: v for k, v in value.items() if isinstance(v, str)} if isinstance(value, dict) else {}


def _item(record: Any, config: SiteConfig, media_dir: Path | None) -> Item:
    if not isinstance(record, dict) or not isinstance(record.get("id"), int):
        raise BadItem("a record needs a numeric 'id'")
    article_id = record["id"]
    when = _when(record.get("date"), "date")
    if not isinstance(when, datetime) or when.tzinfo is None:
        raise BadItem("'date' needs a time and its offset")
    status = record.get("status")
    if status not in STATUSES:
        raise BadItem(f"status {status!r} is not draft or published")
    translations = {}
    for lang, text in (record.get("translations") or {}).items():
        if not isinstance(text, dict) or not text.get("title"):
            raise BadItem(f"the {lang} version has no title")
        translations[lang] = Translation(
            text["title"], text.get("body", ""), text.get("summary", ""), text.get("credit", "")
        )
    raw_event = record.get("event")
    event = None
    if isinstance(raw_event, dict):
        end = raw_event.get("end")
        event = Event(
            _when(raw_event.get("start"), "event start"),
            _when(end, "event end") if end else None,
            _texts(raw_event.get("place")),
        )
    paths = record.get("paths") or []
    item = Item(
        label=f"article {article_id}",
        source=record.get("source") or "",
        date=when,
        status=status,
        categories=(str(record.get("category", "")),),
        translations=translations,
        tags=tuple(str(t) for t in record.get("tags") or ()),
        event=event,
        id=article_id,
        keep_id=True,
        form="txt" if any(str(p).endswith(".txt") for p in paths) else "toml",
    )
    if media_dir is not None:
        folder = media_dir / str(article_id)
        item.photos = [
            photo_file(folder / p["file"], config, _texts(p.get("caption")), p["file"])
            for p in record.get("photos") or ()
        ]
        item.attachments = [
            attachment_file(folder / a["file"], _texts(a.get("title")), a["file"])
            for a in record.get("attachments") or ()
        ]
    return item


def read_export(
    text: str, name: Path, config: SiteConfig, media_dir: Path | None, *, lines: bool
) -> Reading:
    """The records of a json (`lines=False`) or jsonl export as items."""
    entries: list[Item | Skipped] = []
    wanted_media = 0
    for number, record in _records(text, name, lines):
        try:
            entries.append(_item(record, config, media_dir))
        except (BadItem, KeyError, TypeError) as exc:
            label = f"{name}:{number}" + (
                f" (article {record.get('id')})" if isinstance(record, dict) else ""
            )
            entries.append(Skipped(label, str(exc) or "a malformed record"))
        if media_dir is None and isinstance(record, dict):
            wanted_media += bool(record.get("photos") or record.get("attachments"))
    notes = []
    if wanted_media:
        notes.append(
            f"{wanted_media} article(s) have photos or attachments that were not copied: "
            "give --media-dir with the exported site's media/ folder"
        )
    return Reading(entries, notes)
