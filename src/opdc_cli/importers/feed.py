"""An RSS 2.0 or Atom feed (parsed with feedparser) as import items.

Each entry becomes an article in the feed's language, found again by its guid
(`source = "feed:<guid>"`). Its categories are tried, in order, as the article's
category; image enclosures become photos when they are local files (a path or a
file: URL, beside the feed or in --media-dir by URL path).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from opdc_cli.errors import OpdcError
from opdc_cli.importers.htmltext import html_to_text, plain
from opdc_cli.importers.plan import BadItem, Item, MediaFile, Skipped, media_path, photo_file
from opdc_cli.importers.wordpress import Reading
from opdc_cli.model import Translation
from opdc_cli.site import SiteConfig


def _parse(source: str) -> Any:
    import feedparser

    parsed = feedparser.parse(source)
    problem = parsed.get("bozo_exception")
    if problem is not None and hasattr(problem, "getLineNumber"):
        raise OpdcError(
            f"not well-formed XML: {problem.getMessage()}; nothing was imported",
            source,
            problem.getLineNumber(),
            problem.getColumnNumber() + 1,
            "OPDC141",
        )
    if problem is not None and not parsed.entries:
        raise OpdcError(f"not a feed: {problem}", source, code="OPDC141")
    return parsed


def _language(parsed: Any, config: SiteConfig) -> str:
    code = str(parsed.feed.get("language", "")).lower().replace("_", "-").split("-")[0]
    if not code:
        return config.primary_language
    if code not in config.languages:
        raise OpdcError(
            f"the feed's language {code!r} is not in site.toml's ({', '.join(config.languages)})",
            code="OPDC141",
        )
    return code


def _date(entry: Any, config: SiteConfig) -> datetime:
    # dict.get: feedparser's own get() maps a missing date onto the other, with a warning.
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if parsed is None:
        raw = entry.get("published") or entry.get("updated")
        raise BadItem(f"the date {raw!r} is not a date" if raw else "it has no date")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).astimezone(config.tz)


def _local_file(href: str, base: Path | None, media_dir: Path | None) -> Path | None:
    parts = urlsplit(href)
    if parts.scheme in ("", "file"):
        path = Path(unquote(parts.path))
        return path if path.is_absolute() or base is None else base / path
    if media_dir is not None:
        return media_path(media_dir, unquote(parts.path))
    return None


def _photos(
    entry: Any, lang: str, config: SiteConfig, base: Path | None, media_dir: Path | None
) -> list[MediaFile]:
    photos = []
    for enclosure in entry.get("enclosures", []):
        if not str(enclosure.get("type", "")).startswith("image/"):
            continue
        href = str(enclosure.get("href", ""))
        path = _local_file(href, base, media_dir)
        if path is None:
            raise BadItem(f"enclosure {href}: give --media-dir with a copy of the files")
        caption = plain(str(enclosure.get("title", "")))
        photos.append(photo_file(path, config, {lang: caption} if caption else {}))
    return photos


def _item(
    entry: Any, lang: str, config: SiteConfig, base: Path | None, media_dir: Path | None
) -> Item:
    title = plain(entry.get("title", ""))
    if not title:
        raise BadItem("it has no title")
    contents = entry.get("content") or []
    summary = plain(entry.get("summary", "")) if contents else ""
    html = contents[0].get("value", "") if contents else entry.get("summary", "")
    guid = entry.get("id") or entry.get("link")
    if not guid:
        raise BadItem("it has neither a guid nor a link to be found again by")
    terms = [str(t.get("term", "")).strip() for t in entry.get("tags", [])]
    terms = [t for t in terms if t]
    return Item(
        label=f"entry {guid}",
        source=f"feed:{guid}",
        date=_date(entry, config),
        status="published",
        categories=tuple(terms),
        translations={
            lang: Translation(title, html_to_text(html).body, summary, entry.get("author", ""))
        },
        tags=tuple(t for t in terms if config.find_category(t) is None),
        photos=_photos(entry, lang, config, base, media_dir),
    )


def read_feed(source: str, config: SiteConfig, media_dir: Path | None) -> Reading:
    """The entries of a feed (a file or a URL) as items, and skipped lines."""
    parsed = _parse(source)
    lang = _language(parsed, config)
    base = None if "://" in source else Path(source).parent
    entries: list[Item | Skipped] = []
    for number, entry in enumerate(parsed.entries, 1):
        try:
            entries.append(_item(entry, lang, config, base, media_dir))
        except BadItem as exc:
            label = f"entry {number}" + (f": {plain(entry.get('title', ''))[:50]}")
            entries.append(Skipped(label, str(exc)))
    return Reading(entries, [])
