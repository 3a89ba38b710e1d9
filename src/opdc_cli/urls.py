"""One URL scheme for the html export, the feeds and the data exports.

Paths are relative to the site's base URL; `url()` makes them absolute.
"""

from __future__ import annotations

from opdc_cli.site import SiteConfig


def article_path(lang: str, article_id: int, gallery_page: int = 1) -> str:
    """The article's page; a long gallery's further pages beside it (26461-2.html)."""
    if gallery_page == 1:
        return f"{lang}/news/{article_id}.html"
    return f"{lang}/news/{article_id}-{gallery_page}.html"


def index_path(lang: str, page: int = 1, category: str | None = None) -> str:
    base = f"{lang}/category/{category}/" if category else f"{lang}/"
    return base + ("index.html" if page == 1 else f"page/{page}.html")


def media_path(article_id: int, name: str) -> str:
    return f"media/{article_id}/{name}"


def feed_path(lang: str, category: str | None = None, atom: bool = False) -> str:
    ext = "atom.xml" if atom else "rss.xml"
    return f"feeds/{lang}/{category}.{ext}" if category else f"feeds/{lang}/{ext}"


def selection_feed_path(
    lang: str, categories: tuple[str, ...], tags: tuple[str, ...], atom: bool = False
) -> str:
    """Where a feed of `categories` and `tags` lives: feed_path for the whole language or
    one category, else a name of its own under feeds/<lang>/select/ (tags in lower case,
    as they match in any case), so that every selection has its own address and id."""
    if not tags and len(categories) <= 1:
        return feed_path(lang, categories[0] if categories else None, atom)
    from urllib.parse import quote

    parts = [f"category-{key}" for key in sorted(set(categories))]
    lowered = sorted({tag.casefold() for tag in tags})
    parts += [f"tag-{quote(tag, safe='')}" for tag in lowered]
    ext = "atom.xml" if atom else "rss.xml"
    return f"feeds/{lang}/select/{'+'.join(parts)}.{ext}"


def url(config: SiteConfig, path: str) -> str:
    """`path` under the site's base URL (which always ends with '/')."""
    return config.base_url + path
