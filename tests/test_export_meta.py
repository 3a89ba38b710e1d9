"""What share buttons and search engines read of the exported sample site: the meta
description, OpenGraph and Twitter tags, and NewsArticle JSON-LD."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
from PIL import Image
from test_export import build_exported_sample

from opdc_cli.site import load_config

BASE_REQUIRED = ("headline", "image", "datePublished", "dateModified", "author", "publisher")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_exported_sample(tmp_path_factory.mktemp("meta"))


def article_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.glob("*/news/*.html") if "-" not in p.stem)


def head(page: Path) -> dict[str, list[str]]:
    doc = lxml.html.fromstring(page.read_bytes())
    found: dict[str, list[str]] = {}
    for tag in doc.iterfind(".//head/meta"):
        key = tag.get("property") or tag.get("name")
        if key:
            found.setdefault(key, []).append(tag.get("content", ""))
    return found


def test_every_article_page_carries_share_tags_and_json_ld(sample: tuple[Path, Path]) -> None:
    root, out = sample
    config = load_config(root / "site.toml")
    pages = article_pages(out)
    assert pages
    for page in pages:
        lang = page.parts[-3]
        tags = head(page)
        assert tags["description"][0].strip(), page
        for key in ("og:title", "og:description", "og:url", "og:locale", "article:section"):
            assert tags[key][0].strip(), (page, key)
        assert tags["og:locale"] == [{"th": "th_TH", "en": "en_US"}[lang]]
        assert tags["og:url"][0] == config.base_url + page.relative_to(out).as_posix()
        assert tags["article:published_time"][0] == tags["article:modified_time"][0]
        doc = lxml.html.fromstring(page.read_bytes())
        scripts = doc.xpath("//script[@type='application/ld+json']")
        assert len(scripts) == 1
        data = json.loads(scripts[0].text)
        assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
        if "og:image" in tags:
            assert tags["twitter:card"] == ["summary_large_image"]
            for key in BASE_REQUIRED:
                assert data[key], (page, key)
            assert data["image"] == tags["og:image"]
        assert data["headline"] == tags["og:title"][0]
        assert data["publisher"]["name"] and data["author"]["name"]


def test_every_og_image_is_an_exported_file_of_the_stated_size(
    sample: tuple[Path, Path],
) -> None:
    root, out = sample
    base = load_config(root / "site.toml").base_url
    checked = 0
    for page in sorted(out.rglob("*.html")):
        tags = head(page)
        for number, address in enumerate(tags.get("og:image", [])):
            assert address.startswith(base)
            with Image.open(out / address.removeprefix(base)) as image:
                assert image.size == (
                    int(tags["og:image:width"][number]),
                    int(tags["og:image:height"][number]),
                )
            checked += 1
    assert checked
