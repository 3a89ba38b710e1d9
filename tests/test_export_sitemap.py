"""sitemap.xml, robots.txt, the favicon and the 404 page of the html export.

The sitemap is validated with lxml against the sitemaps.org schemas (written out in
tests/data/sitemap/ with the xhtml:link element its language alternates use).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from conftest import BANGKOK, MakeArticle, MakeSite
from lxml import etree

from opdc_cli.content import Site
from opdc_cli.export import sitemap
from opdc_cli.export.site import export_site

SCHEMAS = Path(__file__).parent / "data" / "sitemap"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=BANGKOK)
NS = {"s": sitemap.URLSET_NS, "x": sitemap.XHTML_NS}
BASE = "https://www.example.go.th/"


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(SCHEMAS / name))


def valid(path: Path, name: str) -> etree._Element:
    """The document at `path`, after asserting it is valid against schema `name`."""
    document = etree.parse(path)
    checker = schema(name)
    assert checker.validate(document), (path.name, checker.error_log)
    return document.getroot()


def urls_of(root: etree._Element) -> dict[str, etree._Element]:
    return {str(url.findtext("s:loc", namespaces=NS)): url for url in root.iterfind("s:url", NS)}


@pytest.fixture
def exported(make_site: MakeSite, make_article: MakeArticle, tmp_path: Path) -> Path:
    """A site of a bilingual article, a Thai-only one, a draft and a scheduled one."""
    thai_only = make_article(1004, date=datetime(2019, 1, 2, 8, 0, tzinfo=BANGKOK))
    thai_only = replace(
        thai_only,
        translations={"th": thai_only.translations["th"]},
        photos=tuple(replace(p, captions={"th": p.captions["th"]}) for p in thai_only.photos),
    )
    later = make_article(1005, date=datetime(2030, 1, 1, tzinfo=BANGKOK))
    draft = make_article(1006, status="draft")
    root = make_site([make_article(1001), thai_only, later, draft])
    out = tmp_path / "public"
    export_site(Site.open(root), out, jobs=1, now=NOW)
    return out


def test_the_sitemap_lists_every_published_page_with_its_language_versions(
    exported: Path,
) -> None:
    found = urls_of(valid(exported / "sitemap.xml", "urlset.xsd"))
    pages = {
        path.relative_to(exported).as_posix()
        for path in exported.rglob("*.html")
        if path.name not in ("404.html",) and path.relative_to(exported).as_posix() != "index.html"
    }
    assert set(found) == {BASE + page for page in pages}
    assert not any(str(i) in loc for loc in found for i in (1005, 1006))

    both = found[BASE + "th/news/1001.html"]
    assert both.findtext("s:lastmod", namespaces=NS) == "2018-04-27T16:30:00+07:00"
    links = {link.get("hreflang"): link.get("href") for link in both.iterfind("x:link", NS)}
    assert links == {"th": BASE + "th/news/1001.html", "en": BASE + "en/news/1001.html"}
    # A page in one language only has no alternates to name.
    assert found[BASE + "th/news/1004.html"].find("x:link", NS) is None
    assert BASE + "en/news/1004.html" not in found
    home = found[BASE + "en/index.html"]
    assert home.findtext("s:lastmod", namespaces=NS) == "2018-04-27T16:30:00+07:00"
    assert len(home.findall("x:link", NS)) == 2


def test_robots_txt_names_the_sitemap(exported: Path) -> None:
    text = (exported / "robots.txt").read_text(encoding="utf-8")
    assert text.splitlines()[-1] == f"Sitemap: {BASE}sitemap.xml"
    assert "Disallow: /" not in text


def test_every_page_links_the_favicon_the_export_wrote(exported: Path) -> None:
    icon = exported / "static" / "favicon.svg"
    assert etree.fromstring(icon.read_bytes()).tag == "{http://www.w3.org/2000/svg}svg"
    for page in exported.rglob("*.html"):
        document = lxml.html.parse(str(page)).getroot()
        [href] = document.xpath("//link[@rel='icon']/@href")
        if page.name == "404.html":
            assert href == "/static/favicon.svg"
        else:
            assert (page.parent / href).resolve() == icon.resolve(), page


def test_the_404_page_has_every_languages_menu_at_any_depth(exported: Path) -> None:
    document = lxml.html.parse(str(exported / "404.html")).getroot()
    assert document.xpath("//meta[@name='robots']/@content") == ["noindex"]
    sections = document.xpath("//section[@class='not-found']")
    assert [s.get("lang") for s in sections] == ["th", "en"]
    for section in sections:
        lang = section.get("lang")
        hrefs = section.xpath(".//a/@href")
        assert hrefs[0] == f"/{lang}/index.html"
        assert f"/{lang}/category/activities/index.html" in hrefs
    # Served for a missing address at any depth: no link may be relative.
    for href in document.xpath("//a/@href | //link/@href"):
        assert href.startswith(("/", "http", "mailto:")), href


def test_past_the_limit_the_sitemap_is_an_index_of_parts(
    exported: Path, make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = set(urls_of(valid(exported / "sitemap.xml", "urlset.xsd")))
    monkeypatch.setattr(sitemap, "LIMIT", 4)
    site = Site.open(exported.parent / "site")
    report = export_site(site, exported, jobs=1, now=NOW)
    assert "sitemap.xml" in report.written
    index = valid(exported / "sitemap.xml", "siteindex.xsd")
    assert index.tag == f"{{{sitemap.URLSET_NS}}}sitemapindex"
    parts = [str(loc) for loc in index.xpath("//s:loc/text()", namespaces=NS)]
    assert len(parts) == -(-len(whole) // 4)
    listed: set[str] = set()
    for part in parts:
        root = valid(exported / part.removeprefix(BASE), "urlset.xsd")
        assert len(root) <= 4
        listed |= set(urls_of(root))
    assert listed == whole
    assert index.xpath("//s:sitemap[1]/s:lastmod/text()", namespaces=NS) == [
        "2019-01-02T08:00:00+07:00"
    ]
    # Back under the limit: one sitemap again, and the parts go.
    monkeypatch.setattr(sitemap, "LIMIT", 50_000)
    report = export_site(site, exported, jobs=1, now=NOW)
    assert set(urls_of(valid(exported / "sitemap.xml", "urlset.xsd"))) == whole
    assert not (exported / "sitemaps").exists()


def test_a_sites_own_robots_txt_and_icon_are_published_instead(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site()
    (root / "templates").mkdir()
    (root / "templates" / "robots.txt").write_text("User-agent: *\nDisallow: /th/\n")
    icon = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'
    (root / "templates" / "favicon.svg").write_bytes(icon)
    out = tmp_path / "public"
    export_site(Site.open(root), out, jobs=1, now=NOW)
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /th/\n"
    assert (out / "static" / "favicon.svg").read_bytes() == icon
