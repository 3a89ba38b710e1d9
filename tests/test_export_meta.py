"""What share buttons and search engines read of the exported sample site: the meta
description, OpenGraph and Twitter tags, and NewsArticle JSON-LD."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
from conftest import MakeArticle, MakeSite
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from test_export import build_exported_sample
from typer.testing import CliRunner

from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.export.site import export_site
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
                assert image.format in ("JPEG", "PNG")
                assert image.size == (
                    int(tags["og:image:width"][number]),
                    int(tags["og:image:height"][number]),
                )
            checked += 1
        if "og:image" in tags:
            # Twitter's card and the JSON-LD name the same file.
            assert tags["twitter:image"] == tags["og:image"], page
            assert tags["twitter:card"] == ["summary_large_image"], page
        scripts = lxml.html.fromstring(page.read_bytes()).xpath(
            "//script[@type='application/ld+json']"
        )
        for script in scripts:
            assert json.loads(script.text).get("image", tags.get("og:image")) == tags["og:image"]
    # Every page but the 404 page shares an image: the sample has a default one.
    assert checked == len(list(out.rglob("*.html"))) - 1


def test_an_article_with_photos_shares_its_share_image_one_without_the_default(
    sample: tuple[Path, Path],
) -> None:
    root, out = sample
    config = load_config(root / "site.toml")
    assert config.html.share_image == "media/share.jpg"
    for page in article_pages(out):
        article = int(page.stem)
        tags = head(page)
        address = tags["og:image"][0].removeprefix(config.base_url)
        if any((root / "media" / str(article)).glob("img*_1.jpg")):
            assert address == f"media/{article}/img{article}_1_share.jpg", page
        else:
            assert address == "static/share.jpg", page
            assert tags["og:image:alt"] == [config.site_name(page.parts[-3])]
        assert (tags["og:image:width"], tags["og:image:height"]) == (["1200"], ["630"])
        assert (out / address).stat().st_size < 300_000
    # The default image is published as the site has it (it carries no metadata).
    assert (out / "static" / "share.jpg").read_bytes() == (
        root / "media" / "share.jpg"
    ).read_bytes()
    assert head(out / "th" / "news" / "26463.html")["og:image"] == [
        config.base_url + "static/share.jpg"
    ]


def _with_share_image(root: Path, value: str) -> None:
    path = root / "site.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('share_image = ""', f"share_image = {json.dumps(value)}")
    path.write_text(text, encoding="utf-8")


def test_a_png_default_image_is_published_without_its_metadata(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    root = make_site([make_article(1001, photos=())])
    (root / "brand").mkdir()
    info = PngInfo()
    info.add_text("Author", "someone@example.org")
    Image.new("RGB", (1200, 630), (11, 79, 138)).save(root / "brand" / "card.png", pnginfo=info)
    _with_share_image(root, "brand/card.png")
    out = tmp_path / "public"
    report = export_site(Site.open(root, cache=False), out, jobs=1)
    assert not report.warnings and not report.problems
    tags = head(out / "th" / "news" / "1001.html")
    assert tags["og:image"] == [load_config(root / "site.toml").base_url + "static/share.png"]
    with Image.open(out / "static" / "share.png") as image:
        assert image.size == (1200, 630) and "Author" not in image.info
    assert "static/share.png" in head_paths(out / "index.html")


def head_paths(page: Path) -> str:
    return " ".join(v for values in head(page).values() for v in values)


@pytest.mark.parametrize(
    ("value", "make", "code", "says"),
    [
        ("media/none.jpg", None, "OPDC004", "is not a file in the site folder"),
        ("media/notes.jpg", b"not an image\n", "OPDC004", "not an image opdc accepts"),
        ("media/card.tif", "TIFF", "OPDC004", "a TIFF image; apps showing shared links need"),
        ("../outside.jpg", None, "OPDC002", "must be a path inside the site folder"),
    ],
)
def test_validate_reports_a_default_image_opdc_cannot_publish(
    make_site: MakeSite,
    make_article: MakeArticle,
    runner: CliRunner,
    tmp_path: Path,
    value: str,
    make: bytes | str | None,
    code: str,
    says: str,
) -> None:
    root = make_site([make_article(1001, photos=())])
    target = root / value
    if isinstance(make, bytes):
        target.write_bytes(make)
    elif make is not None:
        Image.new("RGB", (1200, 630)).save(target, make)
    _with_share_image(root, value)
    result = runner.invoke(app, ["--site", str(root), "validate", "--format", "json"])
    assert result.exit_code == 1, result.output
    found = [p for p in json.loads(result.stdout) if p["code"] == code]
    assert len(found) == 1 and says in found[0]["message"], result.stdout
    assert found[0]["path"].endswith("site.toml") and found[0]["line"] is not None
    if code == "OPDC004":
        # The export goes on without it, and says so.
        report = export_site(Site.open(root, cache=False), tmp_path / "public", jobs=1)
        assert any("share_image" in warning for warning in report.warnings)
        assert "og:image" not in head(tmp_path / "public" / "th" / "news" / "1001.html")
