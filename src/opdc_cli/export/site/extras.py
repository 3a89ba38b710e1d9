"""The site's files around the pages: sitemap.xml (and its parts), robots.txt, the
favicon and the 404 page, each from what this export published."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from opdc_cli import urls
from opdc_cli.export.site.plan import Entry, Live, index_pages
from opdc_cli.export.sitemap import SitemapPage
from opdc_cli.site import SiteConfig

PACKAGE_FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"
FAVICON_PATH = "static/favicon.svg"
NOT_FOUND_PATH = "404.html"


def own_or(templates: Path, name: str, default: bytes) -> bytes:
    """The site's templates/<name> when it has one (its own favicon, its own
    robots.txt), else `default`."""
    override = templates / name
    return override.read_bytes() if override.is_file() else default


def favicon(templates: Path) -> bytes:
    return own_or(templates, "favicon.svg", PACKAGE_FAVICON.read_bytes())


def _stamp(config: SiteConfig, ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, config.tz).isoformat(timespec="seconds")


def sitemap_pages(
    config: SiteConfig, live: list[Live], entries: dict[str, Entry]
) -> list[SitemapPage]:
    """Every page this export wrote of the published articles (each gallery page
    too), then every index page, with its language versions."""
    pages: list[SitemapPage] = []
    for item in live:
        written = set(entries[str(item.id)]["files"])
        pattern = re.compile(rf"^([^/]+)/news/{item.id}(?:-(\d+))?\.html$")
        numbers = sorted(
            {int(m[2] or 1) for m in map(pattern.match, written) if m},
        )
        for number in numbers:
            versions = tuple(
                (lang, urls.article_path(lang, item.id, number))
                for lang in config.languages
                if urls.article_path(lang, item.id, number) in written
            )
            for _, path in versions:
                pages.append(SitemapPage(path, _stamp(config, item.ts), versions))
    listed = [page for page in index_pages(config, live) if page.path != "index.html"]
    paths = {page.path for page in listed}
    for page in listed:
        versions = tuple(
            (lang, path)
            for lang in config.languages
            if (path := urls.index_path(lang, page.number, page.category)) in paths
        )
        newest = page.members[0].ts if page.members else None
        pages.append(SitemapPage(page.path, _stamp(config, newest), versions))
    return pages
