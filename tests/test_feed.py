"""opdc feed: RSS 2.0 and Atom 1.0 parsed back with feedparser and checked against the rules.

Every feed is built from a real site on disk; RSS is checked against the RSS 2.0
rules a feed validator applies (rss2_problems below), Atom against the RFC 4287
RELAX NG schema (tests/data/atom.rng) plus its two Schematron rules.
"""

from __future__ import annotations

import email.utils
import html
import os
import re
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import BANGKOK, MakeArticle, MakeJpeg, MakeSite
from lxml import etree
from typer.testing import CliRunner

from opdc_cli import thai
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.errors import UsageError
from opdc_cli.feed import EMPTY_FEED_UPDATED, build_feed, write_all_feeds, write_feeds, xml_clean
from opdc_cli.model import Article, Translation
from opdc_cli.publish import Gate

DATA = Path(__file__).parent / "data"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://www.example.go.th/"
NOW = datetime(2030, 1, 1, tzinfo=BANGKOK)

# --- the checks a feed validator applies ---------------------------------------------------

RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)
CHANNEL_ELEMENTS = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "textInput", "skipHours", "skipDays", "item",
}  # fmt: skip
ITEM_ELEMENTS = {
    "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
    "pubDate", "source",
}  # fmt: skip


def rss2_problems(data: bytes) -> list[str]:
    """What the RSS 2.0 specification (rssboard.org) says is wrong with this feed."""
    problems: list[str] = []
    root = etree.fromstring(data)
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["the root is not <rss version='2.0'>"]
    channels = root.findall("channel")
    if len(channels) != 1:
        return [f"{len(channels)} channels, not 1"]
    channel = channels[0]

    def dates(parent: etree._Element, tag: str) -> None:
        for element in parent.findall(tag):
            value = element.text or ""
            if not RFC822.match(value):
                problems.append(f"{tag} {value!r} is not an RFC 822 date")
            else:
                email.utils.parsedate_to_datetime(value)

    for required in ("title", "link", "description"):
        if len(channel.findall(required)) != 1 or not (channel.findtext(required) or "").strip():
            problems.append(f"channel needs exactly one non-empty <{required}>")
    for child in channel:
        tag = child.tag
        if isinstance(tag, str) and not tag.startswith("{") and tag not in CHANNEL_ELEMENTS:
            problems.append(f"unknown channel element <{tag}>")
    dates(channel, "pubDate")
    dates(channel, "lastBuildDate")
    selfs = [
        link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"
    ]  # the feed validator recommends it
    if len(selfs) != 1 or selfs[0].get("type") != "application/rss+xml":
        problems.append("channel needs one atom:link rel='self' type='application/rss+xml'")
    image = channel.find("image")
    if image is not None:
        for required in ("url", "title", "link"):
            if not image.findtext(required):
                problems.append(f"<image> needs <{required}>")
    for number, item in enumerate(channel.findall("item"), start=1):
        where = f"item {number}"
        for child in item:
            tag = child.tag
            if isinstance(tag, str) and not tag.startswith("{") and tag not in ITEM_ELEMENTS:
                problems.append(f"{where}: unknown element <{tag}>")
        if not (item.findtext("title") or item.findtext("description")):
            problems.append(f"{where}: needs a title or a description")
        guids = item.findall("guid")
        if len(guids) != 1:
            problems.append(f"{where}: {len(guids)} guids, not 1")
        for guid in guids:
            permalink = guid.get("isPermaLink", "true")
            if permalink not in ("true", "false"):
                problems.append(f"{where}: isPermaLink must be true or false")
            if permalink == "true" and not re.match(r"^https?://", guid.text or ""):
                problems.append(f"{where}: a permalink guid must be a URL")
        for enclosure in item.findall("enclosure"):
            if not (enclosure.get("url") and enclosure.get("type")):
                problems.append(f"{where}: an enclosure needs url and type")
            if not (enclosure.get("length") or "").isdigit():
                problems.append(f"{where}: enclosure length must be a number of bytes")
        dates(item, "pubDate")
    return problems


def atom_problems(data: bytes) -> list[str]:
    """The Atom 1.0 RELAX NG schema's errors, plus its two Schematron rules."""
    schema = etree.RelaxNG(etree.parse(str(DATA / "atom.rng")))
    root = etree.fromstring(data)
    problems = [str(error) for error in schema.error_log] if not schema.validate(root) else []
    feed_author = root.find(f"{ATOM}author") is not None
    for entry in root.findall(f"{ATOM}entry"):
        links = entry.findall(f"{ATOM}link")
        if not any(link.get("rel", "alternate") == "alternate" for link in links):
            problems.append("an entry has no alternate link")
        if not feed_author and entry.find(f"{ATOM}author") is None:
            problems.append("an entry has no author and neither has the feed")
    return problems


def parsed(data: bytes) -> Any:
    result = feedparser.parse(data)
    assert result.bozo == 0, result.get("bozo_exception")
    return result


def url(lang: str, article_id: int) -> str:
    return f"{BASE}{lang}/news/{article_id}.html"


# --- the site the tests read ----------------------------------------------------------------


def feed_articles(make_article: MakeArticle) -> list[Article]:
    """Published articles on three dates, a draft, a future one and a Thai-only one."""
    return [
        make_article(2001, date=datetime(2018, 4, 27, 16, 30, tzinfo=BANGKOK)),
        make_article(
            2002,
            category="activities",
            date=datetime(2018, 5, 10, 9, 0, tzinfo=BANGKOK),
            tags=("PMQA",),
        ),
        make_article(
            2003,
            category="announcements",
            date=datetime(2018, 6, 1, 9, 0, tzinfo=BANGKOK),
            photos=(),
        ),
        make_article(2004, status="draft", date=datetime(2018, 7, 1, 9, 0, tzinfo=BANGKOK)),
        make_article(2005, date=datetime(2099, 1, 1, 9, 0, tzinfo=BANGKOK)),
        make_article(
            2006,
            date=datetime(2018, 3, 1, 9, 0, tzinfo=BANGKOK),
            translations={"th": Translation(title="ข่าวภาษาไทยเท่านั้น", body="เนื้อหา")},
        ),
    ]


@pytest.fixture
def site_dir(make_site: MakeSite, make_article: MakeArticle) -> Path:
    return make_site(feed_articles(make_article))


def set_feed_setting(root: Path, key: str, value: str) -> None:
    site_file = root / "site.toml"
    text = site_file.read_text(encoding="utf-8")
    text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
    assert count == 1
    site_file.write_text(text, encoding="utf-8")


def feed(root: Path, **options: Any) -> tuple[bytes, list[str]]:
    options.setdefault("lang", "th")
    options.setdefault("now", NOW)
    return build_feed(Site.open(root), **options)


# --- RSS ------------------------------------------------------------------------------------


def test_rss_items_are_the_published_articles_newest_first(site_dir: Path) -> None:
    data, warnings = feed(site_dir)
    assert warnings == []
    assert rss2_problems(data) == []
    result = parsed(data)
    # 2004 is a draft, 2005 is in the future: neither appears.
    assert [e.link for e in result.entries] == [url("th", i) for i in (2003, 2002, 2001, 2006)]
    assert result.feed.language == "th"


def test_english_feed_leaves_out_articles_without_english(site_dir: Path) -> None:
    result = parsed(feed(site_dir, lang="en")[0])
    assert [e.link for e in result.entries] == [url("en", i) for i in (2003, 2002, 2001)]
    assert result.feed.language == "en"
    assert result.feed.title == "News site"
    assert result.feed.subtitle == "News and activities of the News site"
    assert result.entries[0].title == "OPDC co-hosts the 6th international symposium"


def test_scheduled_article_appears_once_its_time_has_come(site_dir: Path) -> None:
    before = parsed(feed(site_dir, now=datetime(2098, 12, 31, tzinfo=BANGKOK))[0])
    after = parsed(feed(site_dir, now=datetime(2099, 1, 2, tzinfo=BANGKOK))[0])
    assert url("th", 2005) not in [e.link for e in before.entries]
    assert after.entries[0].link == url("th", 2005)


def test_rss_channel_fields(site_dir: Path) -> None:
    data = feed(site_dir)[0]
    result = parsed(data)
    channel = etree.fromstring(data).find("channel")
    assert channel is not None
    assert result.feed.title == "เว็บไซต์ข่าว"
    assert result.feed.subtitle == "ข่าวและกิจกรรมของเว็บไซต์ข่าว"
    assert channel.findtext("link") == f"{BASE}th/index.html"
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("href") == f"{BASE}feeds/th/rss.xml"
    # lastBuildDate is the newest item's date, not the clock.
    assert channel.findtext("lastBuildDate") == "Fri, 01 Jun 2018 09:00:00 +0700"
    assert channel.find("image") is None


def test_rss_item_fields(site_dir: Path, make_jpeg: MakeJpeg) -> None:
    web = make_jpeg(site_dir / "media" / "2001" / "img2001_1_resize.jpg", size=(320, 240))
    data = feed(site_dir)[0]
    assert rss2_problems(data) == []
    entry = next(e for e in parsed(data).entries if e.link == url("th", 2001))
    item = etree.fromstring(data).findall("channel/item")[2]
    assert entry.title == "สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6"
    assert entry.summary == "การประชุมนานาชาติ ณ กรุงฮานอย"
    assert entry.id == url("th", 2001)
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "true"
    assert entry.author == "กลุ่มวิเทศสัมพันธ์และการประชาสัมพันธ์ / จัดทำ"
    assert [t.term for t in entry.tags] == ["ข่าวเด่น"]
    pub_date = item.findtext("pubDate") or ""
    assert pub_date == "Fri, 27 Apr 2018 16:30:00 +0700"
    when = email.utils.parsedate_to_datetime(pub_date)
    assert when == datetime(2018, 4, 27, 16, 30, tzinfo=BANGKOK)
    assert when.utcoffset() == timedelta(hours=7)
    [enclosure] = entry.enclosures
    assert enclosure.href == f"{BASE}media/2001/img2001_1_resize.jpg"
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == web.stat().st_size


def test_missing_web_size_means_no_enclosure_and_no_error(site_dir: Path) -> None:
    # The originals exist but `opdc media resize` has not made the web sizes yet.
    data, warnings = feed(site_dir)
    assert warnings == []
    assert all(not e.enclosures for e in parsed(data).entries)
    assert b"<enclosure" not in data


def test_excerpt_of_the_body_ends_on_a_thai_word_boundary(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    sentence = "สำนักงานคณะกรรมการพัฒนาระบบราชการร่วมกับหน่วยงานนานาชาติจัดการประชุมวิชาการ "
    body = (sentence * 12).strip() + "\n\n" + sentence * 4
    article = make_article(
        2101, translations={"th": Translation(title="ข่าวยาว", body=body, summary="")}
    )
    root = make_site([article])
    set_feed_setting(root, "excerpt_length", "100")
    description = parsed(feed(root)[0]).entries[0].summary
    assert description.endswith("…")
    assert len(description) <= 100
    flat = re.sub(r"\s+", " ", body).strip()
    kept = description[:-1]
    assert flat.startswith(kept)
    # The cut falls between two of thai.words' tokens: never inside a word or a cluster.
    boundaries = set()
    prefix = ""
    for token in thai.words(flat):
        prefix += token
        boundaries.add(prefix.rstrip())
    assert kept in boundaries
    assert len(kept) > 50


def test_full_content_puts_escaped_paragraphs_in_content_encoded(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    body = "ย่อหน้าแรก <script>alert(1)</script>\n\nย่อหน้าที่สอง & สาม"
    root = make_site([make_article(2201, translations={"th": Translation("ข่าว", body=body)})])
    data = feed(root, full_content=True)[0]
    assert rss2_problems(data) == []
    encoded = etree.fromstring(data).findtext(
        "channel/item/{http://purl.org/rss/1.0/modules/content/}encoded"
    )
    assert encoded == (
        "<p>ย่อหน้าแรก &lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>ย่อหน้าที่สอง &amp; สาม</p>"
    )
    assert b"content:encoded" not in feed(root)[0]


def test_html_in_titles_is_plain_text_encoded_once(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    title = 'ประกาศ <b>ด่วน</b> & "ข่าว" <script>x</script>'
    root = make_site([make_article(2301, translations={"th": Translation(title, "ข่าว")})])
    data = feed(root)[0]
    # The Best Practices Profile's hexadecimal references, once: readers show the text.
    assert b"&#x3C;b&#x3E;" in data and b"&amp;" not in data and b"&lt;" not in data
    rss_entry = parsed(data).entries[0]
    assert rss_entry.title_detail.type == "text/plain"
    assert rss_entry.title == title
    atom_entry = parsed(feed(root, atom=True)[0]).entries[0]
    assert atom_entry.title_detail.type == "text/plain"
    assert atom_entry.title == title


def test_an_article_with_control_characters_is_kept_out_by_the_gate(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    article = make_article(
        2401,
        translations={
            "th": Translation(title="ข่าว\x07ด่วน", body="ย่อหน้า\x0bแรก", summary="", credit="กลุ่ม")
        },
    )
    root = make_site([article, make_article(2402)])
    site = Site.open(root)
    for atom in (False, True):
        gate = Gate(site.config, NOW)
        data, _ = build_feed(site, lang="th", now=NOW, atom=atom, gate=gate)
        assert [e.link for e in parsed(data).entries] == [url("th", 2402)]
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", data)
        assert gate.blocked[2401].code == "OPDC401"


def test_control_characters_in_site_toml_are_removed_with_one_warning(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site()
    site_file = root / "site.toml"
    text = site_file.read_text(encoding="utf-8")
    site_file.write_text(re.sub(r'(?m)^th = "(.*)"$', r'th = "\1\\u0007"', text, count=1))
    for atom in (False, True):
        data, warnings = feed(root, atom=atom)
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", data)
        [warning] = warnings
        assert warning.startswith("site.toml: ") and "U+0007 in name.th" in warning
    seen: list[str] = []
    write_all_feeds(Site.open(root), tmp_path / "out", now=NOW, warn=seen.append)
    assert len(seen) == 1 and "U+0007" in seen[0]


def test_xml_clean_drops_what_xml_forbids_and_keeps_the_rest() -> None:
    text = "ก\x00ข\tค\nง\rจ\ufffeฉ\uffff\ud800ช\x85"
    assert xml_clean(text) == ("กข\tค\nง\rจฉช\x85", ["U+0000", "U+FFFE", "U+FFFF", "U+D800"])
    assert xml_clean("ข่าวเด่น") == ("ข่าวเด่น", [])


def test_guids_are_stable_across_runs_and_edits(
    site_dir: Path, make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    first = [e.id for e in parsed(feed(site_dir)[0]).entries]
    edited = [
        replace(a, date=a.date + timedelta(hours=1), translations={"th": Translation("ใหม่", "ข่าว")})
        for a in feed_articles(make_article)
    ]
    other = make_site(edited, folder=tmp_path / "edited")
    again = [e.id for e in parsed(feed(other)[0]).entries]
    assert first == again == [url("th", i) for i in (2003, 2002, 2001, 2006)]


def test_same_content_gives_the_same_bytes(site_dir: Path, make_jpeg: MakeJpeg) -> None:
    make_jpeg(site_dir / "media" / "2001" / "img2001_1_resize.jpg")
    for atom in (False, True):
        one = feed(site_dir, atom=atom, full_content=True)[0]
        two = feed(site_dir, atom=atom, full_content=True, now=NOW + timedelta(days=365))[0]
        assert one == two


def test_limit_from_site_toml_and_from_the_caller(site_dir: Path) -> None:
    assert len(parsed(feed(site_dir, limit=2)[0]).entries) == 2
    set_feed_setting(site_dir, "limit", "3")
    assert len(parsed(feed(site_dir)[0]).entries) == 3


def test_category_and_tag_selection(site_dir: Path) -> None:
    data = feed(site_dir, categories=["activities", "announcements"])[0]
    assert [e.link for e in parsed(data).entries] == [url("th", 2003), url("th", 2002)]
    single = feed(site_dir, categories=["activities"])[0]
    channel = etree.fromstring(single).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "ข่าวกิจกรรม – เว็บไซต์ข่าว"
    assert channel.findtext("link") == f"{BASE}th/category/activities/index.html"
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None
    assert self_link.get("href") == f"{BASE}feeds/th/activities.rss.xml"
    tagged = feed(site_dir, tags=["PMQA"])[0]
    assert [e.link for e in parsed(tagged).entries] == [url("th", 2002)]


def test_logo_becomes_the_channel_image(site_dir: Path) -> None:
    set_feed_setting(site_dir, "logo", '"logo.png"')
    data = feed(site_dir)[0]
    assert rss2_problems(data) == []
    assert parsed(data).feed.image.href == f"{BASE}media/logo.png"
    set_feed_setting(site_dir, "logo", '"https://cdn.example.org/logo.png"')
    atom = feed(site_dir, atom=True)[0]
    assert atom_problems(atom) == []
    assert etree.fromstring(atom).findtext(f"{ATOM}logo") == "https://cdn.example.org/logo.png"


def test_empty_selection_gives_a_valid_empty_feed(site_dir: Path) -> None:
    data, warnings = feed(site_dir, tags=["no-such-tag"])
    assert warnings == ["no published article matches: the feed is empty"]
    assert rss2_problems(data) == []
    assert parsed(data).entries == []
    # No item to date it, and the clock must not: no lastBuildDate at all.
    assert b"lastBuildDate" not in data
    atom, _ = feed(site_dir, tags=["no-such-tag"], atom=True)
    assert atom_problems(atom) == []
    assert etree.fromstring(atom).findtext(f"{ATOM}updated") == EMPTY_FEED_UPDATED.isoformat()


def test_wrong_language_category_or_limit_is_a_usage_error(site_dir: Path) -> None:
    with pytest.raises(UsageError, match="unknown language 'fr'"):
        feed(site_dir, lang="fr")
    with pytest.raises(UsageError, match="unknown category 'sport'"):
        feed(site_dir, categories=["sport"])
    with pytest.raises(UsageError, match="at least 1"):
        feed(site_dir, limit=0)


# --- the checks themselves can fail -----------------------------------------------------------


def test_rss_rules_reject_broken_feeds(site_dir: Path) -> None:
    good = feed(site_dir)[0]
    assert rss2_problems(good) == []
    no_guid = re.sub(rb"<guid[^>]*>[^<]*</guid>", b"", good, count=1)
    assert "item 1: 0 guids, not 1" in rss2_problems(no_guid)
    bad_date = good.replace(b"Fri, 01 Jun 2018 09:00:00 +0700", b"2018-06-01T09:00:00+07:00")
    assert any("not an RFC 822 date" in p for p in rss2_problems(bad_date))
    no_title = re.sub(rb"<title>[^<]*</title>", b"", good, count=1)
    assert "channel needs exactly one non-empty <title>" in rss2_problems(no_title)


def test_atom_schema_rejects_broken_feeds(site_dir: Path) -> None:
    good = feed(site_dir, atom=True)[0]
    assert atom_problems(good) == []
    bad_date = re.sub(rb"<updated>[^<]*</updated>", b"<updated>yesterday</updated>", good, count=1)
    assert atom_problems(bad_date) != []
    no_id = re.sub(rb"<id>[^<]*</id>", b"", good, count=1)
    assert atom_problems(no_id) != []
    no_link = re.sub(rb'<link href="[^"]*/news/[^"]*"[^>]*/>', b"", good)
    assert "an entry has no alternate link" in atom_problems(no_link)


# --- Atom -------------------------------------------------------------------------------------


def test_atom_validates_and_keeps_links_and_enclosures(site_dir: Path, make_jpeg: MakeJpeg) -> None:
    web = make_jpeg(site_dir / "media" / "2001" / "img2001_1_resize.jpg", size=(400, 300))
    data, warnings = feed(site_dir, atom=True, full_content=True)
    assert warnings == []
    assert atom_problems(data) == []
    result = parsed(data)
    assert result.version == "atom10"
    assert result.feed.language == "th"
    # Each entry's link is the article page, not the photo (feedgen issue #135).
    assert [e.link for e in result.entries] == [url("th", i) for i in (2003, 2002, 2001, 2006)]
    entry = result.entries[2]
    assert entry.id == url("th", 2001)
    [enclosure] = entry.enclosures
    assert enclosure.href == f"{BASE}media/2001/img2001_1_resize.jpg"
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == web.stat().st_size
    assert entry.published == "2018-04-27T16:30:00+07:00"
    assert entry.updated == "2018-04-27T16:30:00+07:00"
    assert entry.author == "กลุ่มวิเทศสัมพันธ์และการประชาสัมพันธ์ / จัดทำ"
    assert [(t.term, t.label) for t in entry.tags] == [("headline", "ข่าวเด่น")]
    assert entry.content[0].type == "text/html"
    assert entry.content[0].value.startswith("<p>สำนักงานคณะกรรมการพัฒนาระบบราชการ")
    assert result.feed.updated == "2018-06-01T09:00:00+07:00"
    links = {link.rel: link.href for link in result.feed.links}
    assert links == {"self": f"{BASE}feeds/th/atom.xml", "alternate": f"{BASE}th/index.html"}


# --- every feed at once ---------------------------------------------------------------------


def test_write_all_feeds_writes_every_feed_and_only_what_changed(
    site_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "public"
    site = Site.open(site_dir)
    paths = write_all_feeds(site, out, now=NOW)
    names = [p.relative_to(out).as_posix() for p in paths]
    assert names[:4] == [
        "feeds/th/rss.xml",
        "feeds/th/atom.xml",
        "feeds/th/headline.rss.xml",
        "feeds/th/headline.atom.xml",
    ]
    assert len(names) == 2 * 4 * 2
    for path in paths:
        data = path.read_bytes()
        assert parsed(data) is not None
        assert (atom_problems if path.name.endswith("atom.xml") else rss2_problems)(data) == []
    assert [e.link for e in parsed((out / "feeds/en/headline.rss.xml").read_bytes()).entries] == [
        url("en", 2001)
    ]
    before = {p: p.stat().st_mtime_ns for p in paths}
    assert not any(r.changed for r in write_feeds(Site.open(site_dir), out, now=NOW))
    assert {p: p.stat().st_mtime_ns for p in paths} == before

    # A new English announcement changes the English feeds it is in, and no other.
    article_file = site_dir / "articles" / "2018" / "2003.toml"
    text = article_file.read_text(encoding="utf-8")
    article_file.write_text(
        text.replace("An international symposium in Hanoi", "A changed summary"), encoding="utf-8"
    )
    changed = {
        r.path.relative_to(out).as_posix()
        for r in write_feeds(Site.open(site_dir), out, now=NOW)
        if r.changed
    }
    assert changed == {
        "feeds/en/rss.xml",
        "feeds/en/atom.xml",
        "feeds/en/announcements.rss.xml",
        "feeds/en/announcements.atom.xml",
    }


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("limit", [None, 1])
def test_every_feed_of_write_all_feeds_is_what_build_feed_gives(
    site_dir: Path, tmp_path: Path, cache: bool, limit: int | None
) -> None:
    site = Site.open(site_dir, cache=cache)
    out = tmp_path / "public"
    results = write_feeds(site, out, now=NOW, limit=limit, full_content=True)
    config = site.config
    expected = [
        (lang, category, atom)
        for lang in config.languages
        for category in (None, *config.categories)
        for atom in (False, True)
    ]
    assert len(results) == len(expected)
    for result, (lang, category, atom) in zip(results, expected, strict=True):
        data, _ = build_feed(
            Site.open(site_dir, cache=cache),
            lang=lang,
            categories=[category] if category else [],
            limit=limit,
            atom=atom,
            full_content=True,
            now=NOW,
        )
        assert result.path.read_bytes() == data, result.path
        assert result.items == len(parsed(data).entries)


# --- the command line -----------------------------------------------------------------------


def run(runner: CliRunner, root: Path, *args: str) -> Any:
    return runner.invoke(app, ["--site", str(root), "feed", *args])


def test_cli_prints_the_feed_on_stdout(runner: CliRunner, site_dir: Path) -> None:
    result = run(runner, site_dir)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    entries = parsed(result.stdout_bytes).entries
    assert [e.link for e in entries] == [url("th", i) for i in (2003, 2002, 2001, 2006)]


def test_cli_options(runner: CliRunner, site_dir: Path) -> None:
    result = run(
        runner,
        site_dir,
        "--lang",
        "en",
        "--category",
        "headline",
        "--category",
        "activities",
        "--limit",
        "1",
        "--atom",
        "--full-content",
    )
    assert result.exit_code == 0, result.stderr
    assert atom_problems(result.stdout_bytes) == []
    [entry] = parsed(result.stdout_bytes).entries
    assert entry.link == url("en", 2002)
    assert entry.content[0].value.startswith("<p>The OPDC held")
    tagged = run(runner, site_dir, "--tag", "PMQA")
    assert [e.link for e in parsed(tagged.stdout_bytes).entries] == [url("th", 2002)]


def test_cli_output_file_is_written_atomically_and_kept_when_unchanged(
    runner: CliRunner, site_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "rss.xml"
    first = run(runner, site_dir, "-o", str(target))
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    assert "wrote" in first.stderr
    assert target.read_bytes() == run(runner, site_dir).stdout_bytes
    assert [p.name for p in target.parent.iterdir()] == ["rss.xml"]  # no temporary left over
    mtime = target.stat().st_mtime_ns
    second = run(runner, site_dir, "-o", str(target))
    assert "unchanged" in second.stderr
    assert target.stat().st_mtime_ns == mtime


def test_cli_unwritable_output_is_one_line_not_a_traceback(
    runner: CliRunner, site_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    for args in (["-o", str(blocker / "rss.xml")], ["--all", str(blocker / "public")]):
        result = run(runner, site_dir, *args)
        assert result.exit_code == 1
        assert "cannot write the feed" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""


def test_text_form_articles_give_the_same_feed(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    articles = feed_articles(make_article)
    as_toml = make_site(articles, folder=tmp_path / "toml")
    as_text = make_site(articles, form="txt", folder=tmp_path / "txt")
    for atom in (False, True):
        assert feed(as_toml, atom=atom, full_content=True) == feed(
            as_text, atom=atom, full_content=True
        )


def test_cli_empty_selection_says_so_and_succeeds(runner: CliRunner, site_dir: Path) -> None:
    result = run(runner, site_dir, "--tag", "nothing")
    assert result.exit_code == 0
    assert "the feed is empty" in result.stderr
    assert parsed(result.stdout_bytes).entries == []


def test_cli_names_what_the_gate_stopped_and_exits_1(
    runner: CliRunner, make_site: MakeSite, make_article: MakeArticle
) -> None:
    stopped = make_article(2601, translations={"th": Translation("ข่าว\x0c", "ข่าว")})
    root = make_site([stopped, make_article(2602)])
    result = run(runner, root)
    assert result.exit_code == 1
    assert "articles/2018/2601.toml:" in result.stderr
    assert "OPDC401 not published" in result.stderr
    assert [e.link for e in parsed(result.stdout_bytes).entries] == [url("th", 2602)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "fr"], "unknown language 'fr'"),
        (["--category", "sport"], "unknown category 'sport'"),
        (["--limit", "0"], "--limit"),
        (["--all", "x", "--atom"], "cannot be combined with --atom"),
        (["--all", "x", "--lang", "en", "-o", "f.xml"], "--lang, --output"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(
    runner: CliRunner, site_dir: Path, args: list[str], message: str
) -> None:
    result = run(runner, site_dir, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_all_writes_every_feed(runner: CliRunner, site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site-out"
    result = run(runner, site_dir, "--all", str(out), "--limit", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "16 feeds" in result.stderr and "16 changed" in result.stderr
    assert len(parsed((out / "feeds/th/rss.xml").read_bytes()).entries) == 2
    again = run(runner, site_dir, "--all", str(out), "--limit", "2")
    assert "0 changed" in again.stderr


def test_installed_command_gives_identical_bytes(
    opdc_exe: Path, site_dir: Path, make_jpeg: MakeJpeg, tmp_path: Path
) -> None:
    make_jpeg(site_dir / "media" / "2001" / "img2001_1_resize.jpg")
    env = {**os.environ, "OPDC_SITE": str(site_dir)}
    runs = [
        subprocess.run(
            [str(opdc_exe), "feed", "--atom"],
            capture_output=True,
            env=env,
            cwd=tmp_path,
            check=True,
        )
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stderr == b""
    assert atom_problems(runs[0].stdout) == []
    assert runs[0].stdout == build_feed(Site.open(site_dir), lang="th", atom=True)[0]
    broken = subprocess.run(
        [str(opdc_exe), "feed", "--lang", "xx"], capture_output=True, env=env, cwd=tmp_path
    )
    assert broken.returncode == 2
    assert broken.stderr.decode().count("\n") == 1


def test_sample_site_feeds_are_valid(sample_site: Path) -> None:
    site = Site.open(sample_site)
    for lang in ("th", "en"):
        rss, warnings = build_feed(site, lang=lang, full_content=True)
        assert warnings == []
        assert rss2_problems(rss) == []
        atom = build_feed(site, lang=lang, atom=True, full_content=True)[0]
        assert atom_problems(atom) == []
        titles = [e.title for e in parsed(atom).entries]
        assert titles == [html.unescape(e.title) for e in parsed(rss).entries]
        assert all(titles)


def test_web_size_linked_from_outside_media_gets_no_enclosure(
    site_dir: Path, make_jpeg: MakeJpeg, tmp_path: Path
) -> None:
    outside = make_jpeg(tmp_path / "elsewhere" / "secret.jpg")
    (site_dir / "media" / "2001").mkdir(parents=True, exist_ok=True)
    (site_dir / "media" / "2001" / "img2001_1_resize.jpg").symlink_to(outside)
    data, warnings = feed(site_dir)
    assert warnings == []
    assert all(not e.enclosures for e in parsed(data).entries)
