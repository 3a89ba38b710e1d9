"""sitemap.xml and robots.txt: what a search engine is told of the published pages.

The sitemaps.org protocol: one `<urlset>` of at most 50,000 URLs, each page with its
`lastmod` and, as Google reads them, an `xhtml:link rel="alternate" hreflang` for
every language version of it (itself included); past the limit, `sitemap.xml` is a
`<sitemapindex>` naming numbered files under sitemaps/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from opdc_cli import urls
from opdc_cli.site import SiteConfig

SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
# URLs per sitemap file, as the protocol allows at most.
LIMIT = 50_000
URLSET_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class SitemapPage:
    """One published page: its path, when it last changed (W3C datetime, or ""), and
    (language, path) of each published language version of it."""

    path: str
    lastmod: str
    alternates: tuple[tuple[str, str], ...]


def _loc(config: SiteConfig, path: str) -> str:
    return escape(urls.url(config, path))


def urlset(config: SiteConfig, pages: list[SitemapPage]) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{URLSET_NS}" xmlns:xhtml="{XHTML_NS}">',
    ]
    for page in pages:
        lines.append(f"<url><loc>{_loc(config, page.path)}</loc>")
        if page.lastmod:
            lines.append(f"<lastmod>{page.lastmod}</lastmod>")
        if len(page.alternates) > 1:
            lines.extend(
                f'<xhtml:link rel="alternate" hreflang="{escape(lang)}" '
                f'href="{_loc(config, path)}"/>'
                for lang, path in page.alternates
            )
        lines.append("</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def sitemap_index(config: SiteConfig, parts: list[tuple[str, str]]) -> bytes:
    """A sitemap index naming (path, lastmod) of each part."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<sitemapindex xmlns="{URLSET_NS}">',
    ]
    for path, lastmod in parts:
        stamp = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"<sitemap><loc>{_loc(config, path)}</loc>{stamp}</sitemap>")
    lines.append("</sitemapindex>")
    return ("\n".join(lines) + "\n").encode()


def sitemap_files(
    config: SiteConfig, pages: list[SitemapPage], limit: int | None = None
) -> dict[str, bytes]:
    """sitemap.xml, and past `limit` (LIMIT) pages the parts it names: path -> bytes."""
    limit = limit or LIMIT
    if len(pages) <= limit:
        return {SITEMAP: urlset(config, pages)}
    files: dict[str, bytes] = {}
    parts = []
    for number, start in enumerate(range(0, len(pages), limit), start=1):
        chunk = pages[start : start + limit]
        path = f"sitemaps/sitemap-{number}.xml"
        files[path] = urlset(config, chunk)
        stamps = [page.lastmod for page in chunk if page.lastmod]
        parts.append((path, max(stamps, key=datetime.fromisoformat, default="")))
    files[SITEMAP] = sitemap_index(config, parts)
    return files


def robots(config: SiteConfig) -> bytes:
    """Everything may be crawled; where the sitemap is."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {urls.url(config, SITEMAP)}\n".encode()
