"""What a share button, a chat app and a search engine read of a page: the meta
description, OpenGraph and Twitter card tags, and schema.org NewsArticle JSON-LD.

Plain data for the templates (base.html prints `page.meta` and `page.json_ld`); the
html export adds it to each page's head data.
"""

from __future__ import annotations

import json
import re
from typing import Any

from opdc_cli import thai, urls
from opdc_cli.gallery import GalleryItem
from opdc_cli.model import Article
from opdc_cli.site import SiteConfig

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


def _image(
    config: SiteConfig, article: Article, lang: str, items: list[GalleryItem]
) -> dict[str, Any] | None:
    """The first photo's web size with its pixels: what a shared link shows."""
    first = next((item for item in items if item.ready and item.width), None)
    if first is None:
        return None
    return {
        "url": urls.url(config, urls.media_path(article.id, first.web)),
        "width": first.width,
        "height": first.height,
        "alt": first.photo.caption(lang) or article.translations[lang].title,
    }


def index_meta(config: SiteConfig, lang: str, title: str, canonical: str) -> dict[str, Any]:
    """An index page's share tags: the site's name and description, no article data."""
    text = config.description.get(lang, "")
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
        ("name", "twitter:card", "summary"),
    ]
    return {"meta": _tags(tags), "json_ld": ""}


def article_meta(
    config: SiteConfig,
    article: Article,
    lang: str,
    items: list[GalleryItem],
    canonical: str,
) -> dict[str, Any]:
    """An article page's description, share tags and NewsArticle JSON-LD."""
    translation = article.translations[lang]
    text = description(translation.summary, translation.body, config)
    image = _image(config, article, lang, items)
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
    if image:
        tags += [
            ("property", "og:image", image["url"]),
            ("property", "og:image:width", image["width"]),
            ("property", "og:image:height", image["height"]),
            ("property", "og:image:alt", image["alt"]),
        ]
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
