"""What a share button, a chat app and a search engine read of a page: the meta
description, OpenGraph and Twitter card tags, and schema.org NewsArticle JSON-LD.

Plain data for the templates (base.html prints `page.meta` and `page.json_ld`); the
html export adds it to each page's head data.

The image a shared link shows: the article's share image (`opdc media resize` makes
it from the first photo, gallery.SHARE_SIZE), else its first photo's web size, else
the site's default image (site.toml's [html] share_image, which index pages show
too), else none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from opdc_cli import thai, urls
from opdc_cli.errors import OpdcError
from opdc_cli.gallery import GalleryItem
from opdc_cli.model import Article
from opdc_cli.site import SiteConfig

# Where the export writes the default image (its extension is its format's).
DEFAULT_IMAGE = "static/share"
# What every app showing a shared link reads.
DEFAULT_IMAGE_FORMATS = ("JPEG", "PNG")
DEFAULT_IMAGE_CODE = "OPDC004"


@dataclass(frozen=True)
class ShareImage:
    """The site's default image as the export publishes it: where, and its pixels."""

    path: str  # below the site's top
    width: int
    height: int


def default_image(config: SiteConfig) -> tuple[ShareImage, bytes] | None:
    """site.toml's [html] share_image, checked, and its bytes as published (without
    its metadata, as media.private_copy leaves a photo); None when it is not set.

    OpdcError (OPDC004) when the file is missing, leaves the site folder, or is not
    a JPEG or PNG opdc can read."""
    from opdc_cli.media import inspect_image, private_copy

    name = config.html.share_image
    if not name:
        return None
    path = config.root / name
    where = f"[html] share_image {name!r}"
    try:
        inside = path.resolve().is_relative_to(config.root.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside or not path.is_file():
        what = "leaves the site folder" if path.is_file() else "is not a file in the site folder"
        raise OpdcError(
            f"{where} {what}: put a JPEG or PNG there, or fix the path",
            config.path,
            code=DEFAULT_IMAGE_CODE,
        )
    try:
        info = inspect_image(path, config.media)
        if info.format not in DEFAULT_IMAGE_FORMATS:
            raise OpdcError(f"a {info.format} image; apps showing shared links need a JPEG or PNG")
        data = private_copy(path.read_bytes(), config.media.max_pixels)
    except (OpdcError, OSError) as exc:
        reason = exc.message if isinstance(exc, OpdcError) else exc.strerror
        raise OpdcError(
            f"{where}: {reason}: save it as a JPEG or PNG",
            config.path,
            code=DEFAULT_IMAGE_CODE,
        ) from None
    return ShareImage(f"{DEFAULT_IMAGE}.{info.ext}", info.width, info.height), data


# OpenGraph's locales are language_TERRITORY.
LOCALES = {"th": "th_TH", "en": "en_US"}


def locale(lang: str) -> str:
    return LOCALES.get(lang, lang)


def description(summary: str, body: str, config: SiteConfig) -> str:
    """The page's description: the summary, else the body cut at a Thai word boundary."""
    return summary.strip() or thai.excerpt(body, config.feed.excerpt_length)


def logo_url(config: SiteConfig) -> str | None:
    """site.toml's [feed] logo as an address: an http(s) URL as is, else under media/."""
    logo = config.feed.logo
    if not logo:
        return None
    if re.match(r"^https?://", logo):
        return logo
    return urls.url(config, "media/" + logo.lstrip("/").removeprefix("media/"))


def share_file(items: list[GalleryItem]) -> GalleryItem | None:
    """The photo whose share image a shared link shows: the first, when it is made
    (and the photo shown, with its web size)."""
    first = items[0] if items else None
    return first if first is not None and first.ready and first.share else None


def _image(
    config: SiteConfig,
    article: Article,
    lang: str,
    items: list[GalleryItem],
    default: ShareImage | None,
) -> dict[str, Any] | None:
    """What a shared link shows, with its pixels: the share image, else the first
    photo's web size, else the site's default image."""
    title = article.translations[lang].title
    shared = share_file(items)
    if shared is not None and shared.share is not None:
        return {
            "url": urls.url(config, urls.media_path(article.id, shared.share_file)),
            "width": shared.share[0],
            "height": shared.share[1],
            "alt": shared.photo.caption(lang) or title,
        }
    first = next((item for item in items if item.ready and item.width), None)
    if first is not None:
        return {
            "url": urls.url(config, urls.media_path(article.id, first.web)),
            "width": first.width,
            "height": first.height,
            "alt": first.photo.caption(lang) or title,
        }
    return _default(config, lang, default)


def _default(config: SiteConfig, lang: str, default: ShareImage | None) -> dict[str, Any] | None:
    if default is None:
        return None
    return {
        "url": urls.url(config, default.path),
        "width": default.width,
        "height": default.height,
        "alt": config.site_name(lang),
    }


def _image_tags(image: dict[str, Any] | None) -> list[tuple[str, str, Any]]:
    if image is None:
        return []
    return [
        ("property", "og:image", image["url"]),
        ("property", "og:image:width", image["width"]),
        ("property", "og:image:height", image["height"]),
        ("property", "og:image:alt", image["alt"]),
    ]


def index_meta(
    config: SiteConfig, lang: str, title: str, canonical: str, default: ShareImage | None = None
) -> dict[str, Any]:
    """An index page's share tags: the site's name, description and default image,
    no article data."""
    text = config.description.get(lang, "")
    image = _default(config, lang, default)
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", config.site_name(lang)),
        ("property", "og:title", title),
        ("property", "og:description", text),
        ("property", "og:url", canonical),
        ("property", "og:locale", locale(lang)),
        *(
            ("property", "og:locale:alternate", locale(other))
            for other in config.languages
            if other != lang
        ),
        *_image_tags(image),
        ("name", "twitter:card", "summary_large_image" if image else "summary"),
    ]
    if image:
        tags.append(("name", "twitter:image", image["url"]))
    return {"meta": _tags(tags), "json_ld": ""}


def article_meta(
    config: SiteConfig,
    article: Article,
    lang: str,
    items: list[GalleryItem],
    canonical: str,
    default: ShareImage | None = None,
) -> dict[str, Any]:
    """An article page's description, share tags and NewsArticle JSON-LD."""
    translation = article.translations[lang]
    text = description(translation.summary, translation.body, config)
    image = _image(config, article, lang, items, default)
    date = article.date.isoformat()
    section = config.category_name(article.category, lang)
    tags: list[tuple[str, str, Any]] = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", config.site_name(lang)),
        ("property", "og:title", translation.title),
        ("property", "og:description", text),
        ("property", "og:url", canonical),
        ("property", "og:locale", locale(lang)),
        *(
            ("property", "og:locale:alternate", locale(other))
            for other in config.languages
            if other != lang and other in article.translations
        ),
    ]
    tags += _image_tags(image)
    tags += [
        ("property", "article:published_time", date),
        ("property", "article:modified_time", date),
        ("property", "article:section", section),
        *(("property", "article:tag", tag) for tag in article.tags),
        ("name", "twitter:card", "summary_large_image" if image else "summary"),
        ("name", "twitter:title", translation.title),
        ("name", "twitter:description", text),
    ]
    if image:
        tags.append(("name", "twitter:image", image["url"]))
    data = _news_article(config, article, lang, text, canonical, image)
    return {"description": text, "meta": _tags(tags), "json_ld": json_ld(data)}


def _news_article(
    config: SiteConfig,
    article: Article,
    lang: str,
    text: str,
    canonical: str,
    image: dict[str, Any] | None,
) -> dict[str, Any]:
    """The page's schema.org NewsArticle, with the description and image of its tags."""
    translation = article.translations[lang]
    date = article.date.isoformat()
    publisher: dict[str, Any] = {"@type": "Organization", "name": config.site_name(lang)}
    logo = logo_url(config)
    if logo:
        publisher["logo"] = {"@type": "ImageObject", "url": logo}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": translation.title,
        "description": text,
        "inLanguage": lang,
        "mainEntityOfPage": canonical,
        "datePublished": date,
        "dateModified": date,
        "articleSection": config.category_name(article.category, lang),
        "author": {
            "@type": "Organization",
            "name": translation.credit.strip() or config.site_name(lang),
            "url": config.base_url,
        },
        "publisher": publisher,
    }
    if image:
        data["image"] = [image["url"]]
    if article.tags:
        data["keywords"] = list(article.tags)
    return data


def json_ld(data: dict[str, Any]) -> str:
    """`data` as JSON safe inside <script>: "<" written as \\u003c so no text closes it."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")


def _tags(tags: list[tuple[str, str, Any]]) -> list[dict[str, str]]:
    return [
        {"attr": attr, "key": key, "content": str(value)}
        for attr, key, value in tags
        if value != ""
    ]
