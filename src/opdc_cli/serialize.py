"""Articles as plain data for JSON, JSONL and CSV: stable field names, ISO dates."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opdc_cli import documents, urls
from opdc_cli.gallery import gallery, gallery_pages
from opdc_cli.model import Article
from opdc_cli.site import SiteConfig

if TYPE_CHECKING:
    from opdc_cli.content import ArticleSummary


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601; datetimes keep their offset (2018-04-27T16:30:00+07:00)."""
    return value.isoformat() if value is not None else None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def summary_record(
    article: Article | ArticleSummary, config: SiteConfig, now: datetime
) -> dict[str, Any]:
    """What `opdc list` prints per article in its machine formats (the same from either)."""
    return {
        "id": article.id,
        "date": iso(article.date),
        "category": article.category,
        "status": article.status,
        "state": article.state(now),
        "languages": list(article.languages),
        "photo_count": article.photo_count,
        "tags": list(article.tags),
        "titles": dict(article.titles),
        "paths": [_relative(p, config.root) for p in article.sources],
    }


def article_record(
    article: Article, config: SiteConfig, now: datetime, media_dir: Path | None = None
) -> dict[str, Any]:
    """Every field of every language, photos with their web files: for show --json and export."""
    media_dir = media_dir or config.root / "media"
    record = summary_record(article, config, now)
    record["category_name"] = (
        dict(config.categories[article.category].names)
        if (article.category in config.categories)
        else {}
    )
    record["translations"] = {
        lang: {
            "title": t.title,
            "summary": t.summary,
            "credit": t.credit,
            "body": t.body,
            "paragraphs": t.paragraphs,
            "url": urls.url(config, urls.article_path(lang, article.id)),
        }
        for lang, t in article.translations.items()
    }
    record["event"] = (
        {
            "start": iso(article.event.start),
            "end": iso(article.event.end),
            "place": dict(article.event.places),
        }
        if article.event
        else None
    )
    record["photos"] = _photo_records(article, config, media_dir)
    record["attachments"] = [
        {
            "file": a.file,
            "title": dict(a.titles),
            "url": urls.url(config, urls.media_path(article.id, a.file)),
            **documents.record(documents.attached_info(media_dir, article.id, a.file)),
        }
        for a in article.attachments
    ]
    record["source"] = article.source
    return record


def _photo_records(article: Article, config: SiteConfig, media_dir: Path) -> list[dict[str, Any]]:
    """The article's photos with their web files, sizes and gallery pages."""
    items = gallery(media_dir, article)
    # The gallery page each photo is on (1, 2, …; null until it has a web size).
    page_of = {
        id(item): number
        for number, page in enumerate(gallery_pages(items, config.media.gallery_page_size), 1)
        for item in page
    }
    return [
        {
            "file": item.original,
            "caption": dict(item.photo.captions),
            "web": item.web,
            "web_url": urls.url(config, urls.media_path(article.id, item.web)),
            "web_bytes": item.web_bytes,
            "thumb": item.thumb,
            "thumb_url": urls.url(config, urls.media_path(article.id, item.thumb)),
            "thumb_bytes": item.thumb_bytes,
            "thumb_width": item.thumb_width,
            "thumb_height": item.thumb_height,
            "width": item.width,
            "height": item.height,
            "gallery_page": page_of.get(id(item)),
        }
        for item in items
    ]
