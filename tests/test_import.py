"""opdc import: WordPress (Polylang pairs), feeds, opdc's own export and CSV, each into
a fresh site that then passes `opdc validate`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import BANGKOK
from typer.testing import CliRunner
from wxr import SITE, pair, write_uploads, write_wxr

from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.importers.htmltext import html_to_text
from opdc_cli.scaffold import init_site

MAP = ["--category-map", "news=headline", "--category-map", "events=activities"]
BAD_ITEMS = f"""<item><title>Bad date</title><guid>{SITE}/?p=5</guid>
<wp:post_id>5</wp:post_id><wp:post_date>2018-02-31 10:00:00</wp:post_date>
<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="category" nicename="news"><![CDATA[ข่าว]]></category></item>
<item><title></title><guid>{SITE}/?p=6</guid><wp:post_id>6</wp:post_id>
<wp:post_date>2018-02-01 10:00:00</wp:post_date><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>
<item><title>About us</title><guid>{SITE}/?page_id=7</guid><wp:post_id>7</wp:post_id>
<wp:post_date>2018-02-01 10:00:00</wp:post_date><wp:status>publish</wp:status>
<wp:post_type>page</wp:post_type></item>
<item><title>ข่าวภาษาไทยอย่างเดียว</title><guid>{SITE}/?p=8</guid><wp:post_id>8</wp:post_id>
<dc:creator>editor</dc:creator>
<content:encoded><![CDATA[<div>ข้อความ<br />บรรทัดต่อ</div>]]></content:encoded>
<wp:post_date>2018-03-01 08:00:00</wp:post_date>
<wp:post_date_gmt>2018-03-01 01:00:00</wp:post_date_gmt><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
<category domain="category" nicename="news"><![CDATA[ข่าว]]></category>
<category domain="language" nicename="th"><![CDATA[th]]></category></item>
"""


def run(site: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--site", str(site), *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".opdc" not in p.parts and not p.name.startswith(".")
    }


@pytest.fixture
def wordpress(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A fresh site, a 32-pair export (64 posts, plus bad and odd items) and its uploads."""
    site = tmp_path / "site"
    init_site(site)
    export = tmp_path / "export.xml"
    pairs = write_wxr(export, 32, extra=BAD_ITEMS)
    write_uploads(tmp_path / "uploads", pairs)
    return site, export, tmp_path / "uploads"


def test_a_wordpress_export_becomes_paired_articles_that_validate(
    wordpress: tuple[Path, Path, Path],
) -> None:
    site, export, uploads = wordpress
    code, _, err = run(site, "import", "wordpress", str(export), "--media-dir", str(uploads), *MAP)
    assert code == 1, err
    skipped = [line for line in err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 2
    assert "post 5 " in skipped[0] and "'2018-02-31 10:00:00' is not a date" in skipped[0]
    assert "post 6 " in skipped[1] and "no title" in skipped[1]
    assert "imported 33, updated 0, unchanged 0, skipped 2; 32 photo(s) and 7 attachment(s)" in err

    assert run(site, "media", "resize")[0] == 0
    code, out, _ = run(site, "validate")
    assert code == 0, out
    # Only what the source lacked may warn: the Thai-only post has no English version,
    # and a document attached to the Thai post has no English title.
    warnings = [line for line in out.splitlines() if "OPDC" in line]
    assert {w.split()[1] for w in warnings} <= {"OPDC121", "OPDC311"}
    [thai_only] = [w for w in warnings if "OPDC121" in w]
    assert "/33.toml" in thai_only

    articles = {a.source: a for a in Site.open(site, cache=False).read_all()}
    assert len(articles) == 33
    for p in (pair(n) for n in range(32)):
        article = articles[f"wordpress:{SITE}/?p={p.th_id}"]
        assert article.id == p.n + 1
        assert article.category == ("activities" if p.category == "events" else "headline")
        assert article.status == ("published" if p.status in ("publish", "future") else "draft")
        assert article.date == p.local.replace(tzinfo=BANGKOK)
        assert article.state(datetime(2030, 1, 1, tzinfo=BANGKOK)) == (
            "scheduled" if p.status == "future" else article.status
        )
        assert article.tags == ("ธรรมาภิบาล", "Good Governance")
        th, en = article.translations["th"], article.translations["en"]
        assert th.title == f"ประชุมครั้งที่ {p.n} & สัมมนา"
        assert en.title == f"Meeting {p.n} & workshop"
        assert th.summary == f"สรุป {p.n}" and en.summary == ""
        assert th.credit == en.credit == "กลุ่มประชาสัมพันธ์"
        assert th.paragraphs[:4] == [
            f"สำนักงาน ก.พ.ร. จัดประชุมครั้งที่ {p.n} & สัมมนา เชิงปฏิบัติการ",
            "• หัวข้อแรก",
            "• หัวข้อที่สอง",
            "อ่านเพิ่มเติมที่ เว็บไซต์ (https://www.opdc.go.th/content/abc)",
        ]
        assert th.paragraphs[-2:] == ["ย่อหน้าท้าย…", "บรรทัดสุดท้าย <จบ>"]
        assert "alert" not in th.body and "ความเห็น" not in th.body
        assert en.paragraphs == [
            f"The OPDC held meeting {p.n} & a workshop.",
            "1. First point",
            "2. Second point (https://example.org/)",
        ]
        [photo] = article.photos
        assert photo.file == f"img{article.id}_1.jpg"
        assert dict(photo.captions) == {
            "th": f"บรรยากาศการประชุม {p.n}",
            "en": f"Meeting number {p.n}",
        }
        media = site / "media" / str(article.id)
        assert (media / photo.file).read_bytes() == (uploads / p.photo).read_bytes()
        if p.has_pdf:
            [attachment] = article.attachments
            assert attachment.file == f"att{article.id}_1.pdf"
            assert dict(attachment.titles) == {"th": "เอกสารประกอบ"}
            assert (media / attachment.file).read_bytes() == (uploads / p.pdf).read_bytes()
        else:
            assert article.attachments == ()
    single = articles[f"wordpress:{SITE}/?p=8"]
    assert single.languages == ("th",)
    assert single.translations["th"].body == "ข้อความ บรรทัดต่อ"
    assert single.date == datetime(2018, 3, 1, 8, 0, tzinfo=BANGKOK)

    before = files_of(site)
    code, _, err = run(site, "import", "wordpress", str(export), "--media-dir", str(uploads), *MAP)
    assert "imported 0, updated 0, unchanged 33, skipped 2" in err
    assert files_of(site) == before


def test_update_rewrites_what_changed_at_the_source(wordpress: tuple[Path, Path, Path]) -> None:
    site, export, _ = wordpress
    run(site, "import", "wordpress", str(export), *MAP)
    export.write_text(
        export.read_text(encoding="utf-8").replace("Meeting 3 &amp;", "Meeting three &amp;"),
        encoding="utf-8",
    )
    code, _, err = run(site, "import", "wordpress", str(export), *MAP, "--update")
    assert code == 1 and "imported 0, updated 1, unchanged 32, skipped 2" in err
    assert (
        Site.open(site, cache=False).article(4).translations["en"].title.startswith("Meeting three")
    )


def test_a_dry_run_prints_the_plan_and_writes_nothing(wordpress: tuple[Path, Path, Path]) -> None:
    site, export, uploads = wordpress
    before = files_of(site)
    code, out, err = run(
        site, "import", "wordpress", str(export), "--media-dir", str(uploads), *MAP, "--dry-run"
    )
    assert code == 1  # the two bad items
    lines = out.splitlines()
    assert len(lines) == 33
    assert lines[0].split()[:3] == ["create", "1", "articles/2018/1.toml"]
    assert "would import 33" in err and "32 photo(s) and 7 attachment(s) to copy" in err
    assert files_of(site) == before


def test_keep_ids_keeps_the_sources_free_ids(wordpress: tuple[Path, Path, Path]) -> None:
    site, export, _ = wordpress
    run(site, "import", "wordpress", str(export), *MAP, "--keep-ids", "--limit", "3")
    assert sorted(a.id for a in Site.open(site, cache=False).read_all()) == [1000, 1002, 1004]


def test_unmapped_categories_are_listed_and_nothing_is_written(
    wordpress: tuple[Path, Path, Path],
) -> None:
    site, export, _ = wordpress
    before = files_of(site)
    code, _, err = run(site, "import", "wordpress", str(export), "--category-map", "news=headline")
    assert code == 1
    assert err.startswith("error: categories site.toml does not have: events (11)")
    assert "--category-map" in err and "nothing was written" in err
    assert files_of(site) == before


def test_malformed_xml_names_line_and_column_and_writes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    init_site(site)
    export = tmp_path / "export.xml"
    write_wxr(export, 3)
    text = export.read_text(encoding="utf-8").replace("</item>", "</itm>", 2)
    export.write_text(text, encoding="utf-8")
    before = files_of(site)
    code, _, err = run(site, "import", "wordpress", str(export), *MAP)
    assert code == 1
    [line] = err.splitlines()
    path, lineno, col, message = line.removeprefix("error: ").split(":", 3)
    assert (path, int(lineno) > 10, int(col) > 1) == (str(export), True, True)
    assert "not well-formed XML" in message and "nothing was imported" in message
    assert files_of(site) == before


def test_a_killed_import_leaves_whole_articles_and_the_rerun_completes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    init_site(site)
    export = tmp_path / "export.xml"
    write_uploads(tmp_path / "uploads", write_wxr(export, 40))
    command = [
        sys.executable, "-m", "opdc_cli", "--site", str(site), "import", "wordpress",
        str(export), "--media-dir", str(tmp_path / "uploads"), *MAP,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list((site / "articles").rglob("*.toml"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = Site.open(site, cache=False).read_all()
    assert 5 <= len(done) < 40
    # Every article file there reads whole, with all its photos.
    for article in done:
        assert set(article.translations) == {"th", "en"}
        assert all((site / "media" / str(article.id) / p.file).is_file() for p in article.photos)
    subprocess.run(command, check=True, capture_output=True)
    final = Site.open(site, cache=False).read_all()
    assert len(final) == 40 and len({a.source for a in final}) == 40
    run(site, "media", "clean")
    assert run(site, "media", "resize")[0] == 0
    code, out, _ = run(site, "validate")
    assert code == 0, out


def test_html_becomes_paragraphs() -> None:
    converted = html_to_text(
        "<h2>Head</h2>text &amp; more<br>same paragraph<br/><br/>next"
        '<p>see <a href="mailto:a@b.org">a@b.org</a> and <a href="javascript:x()">this</a></p>'
        "<table><tr><td>cell</td></tr></table><noscript>no</noscript>"
    )
    assert converted.paragraphs == [
        "Head",
        "text & more same paragraph",
        "next",
        "see a@b.org and this",
        "cell",
    ]


# --- feeds -------------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>ข่าว</title><link>https://old.example.go.th/</link><language>th</language>
<item><title>ข่าวแรก &amp; ข่าวสอง</title><link>https://old.example.go.th/n/1</link>
<guid>https://old.example.go.th/n/1</guid><pubDate>Fri, 27 Apr 2018 02:30:00 GMT</pubDate>
<author>pr@example.go.th (กลุ่มประชาสัมพันธ์)</author><category>ข่าวเด่น</category>
<category>ธรรมาภิบาล</category><description>สรุปข่าว</description>
<content:encoded><![CDATA[<p>ย่อหน้า 1</p><p>ย่อหน้า <a href="https://x.org/">ลิงก์</a></p>]]></content:encoded>
<enclosure url="photo.jpg" type="image/jpeg" length="100"/></item>
<item><title>ข่าวที่สอง</title><guid>https://old.example.go.th/n/2</guid>
<pubDate>Sat, 28 Apr 2018 03:00:00 +0700</pubDate><category>ข่าวเด่น</category>
<description><![CDATA[<p>เนื้อหาสั้น</p>]]></description></item>
<item><title>ไม่มีวันที่</title><guid>https://old.example.go.th/n/3</guid>
<pubDate>someday</pubDate><category>ข่าวเด่น</category><description>x</description></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<title>News</title><id>urn:uuid:feed</id><updated>2018-04-28T00:00:00Z</updated>
<entry><title type="html">First &amp;amp; best</title><id>urn:uuid:entry-1</id>
<updated>2018-04-27T09:30:00+07:00</updated><published>2018-04-27T09:30:00+07:00</published>
<author><name>PR Group</name></author><category term="Activities"/>
<summary>Short</summary>
<content type="html">&lt;p&gt;Para one&lt;/p&gt;
&lt;ul&gt;&lt;li&gt;item&lt;/li&gt;&lt;/ul&gt;</content></entry>
</feed>
"""


def test_an_rss_feed_imports_with_its_photos(tmp_path: Path) -> None:
    from conftest import write_jpeg

    site = tmp_path / "site"
    init_site(site)
    (tmp_path / "rss.xml").write_text(RSS, encoding="utf-8")
    write_jpeg(tmp_path / "photo.jpg")
    code, _, err = run(site, "import", "feed", str(tmp_path / "rss.xml"))
    assert code == 1 and "skipped: entry 3: ไม่มีวันที่: the date 'someday' is not a date" in err
    assert "imported 2, updated 0, unchanged 0, skipped 1; 1 photo(s)" in err
    first, second = sorted(Site.open(site, cache=False).read_all(), key=lambda a: a.id)
    assert first.source == "feed:https://old.example.go.th/n/1"
    assert (first.category, first.status, first.tags) == ("headline", "published", ("ธรรมาภิบาล",))
    assert first.date == datetime(2018, 4, 27, 9, 30, tzinfo=BANGKOK)
    th = first.translations["th"]
    assert (th.title, th.summary) == ("ข่าวแรก & ข่าวสอง", "สรุปข่าว")
    assert th.credit == "pr@example.go.th (กลุ่มประชาสัมพันธ์)"
    assert th.paragraphs == ["ย่อหน้า 1", "ย่อหน้า ลิงก์ (https://x.org/)"]
    assert [p.file for p in first.photos] == [f"img{first.id}_1.jpg"]
    assert second.translations["th"].body == "เนื้อหาสั้น"
    assert second.date == datetime(2018, 4, 28, 3, 0, tzinfo=BANGKOK)
    assert run(site, "media", "resize")[0] == 0
    code, out, _ = run(site, "validate")
    # The feed gives the photo no alt text and no English versions: only that is reported.
    assert {line.split()[1] for line in out.splitlines() if "OPDC" in line} <= {
        "OPDC306", "OPDC121",
    }  # fmt: skip
    assert run(site, "import", "feed", str(tmp_path / "rss.xml"))[2].count("unchanged 2") == 1


def test_an_atom_feed_imports_in_its_language(tmp_path: Path) -> None:
    site = tmp_path / "site"
    init_site(site)
    (tmp_path / "atom.xml").write_text(ATOM, encoding="utf-8")
    code, _, err = run(site, "import", "feed", str(tmp_path / "atom.xml"))
    assert code == 0, err
    [article] = Site.open(site, cache=False).read_all()
    assert article.source == "feed:urn:uuid:entry-1" and article.category == "activities"
    en = article.translations["en"]
    assert (en.title, en.summary, en.credit) == ("First & best", "Short", "PR Group")
    assert en.paragraphs == ["Para one", "• item"]
    assert article.date == datetime(2018, 4, 27, 9, 30, tzinfo=BANGKOK)


def test_a_malformed_feed_names_line_and_column(tmp_path: Path) -> None:
    site = tmp_path / "site"
    init_site(site)
    (tmp_path / "rss.xml").write_text(RSS.replace("</item>", "</itm>", 1), encoding="utf-8")
    code, _, err = run(site, "import", "feed", str(tmp_path / "rss.xml"))
    assert code == 1 and f"{tmp_path / 'rss.xml'}:9:" in err and "nothing was imported" in err
    assert list((site / "articles").iterdir()) == []


# --- opdc's own export and CSV --------------------------------------------------------------


def test_the_jsonl_round_trip_is_byte_identical_on_the_sample_site(
    sample_site: Path, tmp_path: Path
) -> None:
    code, exported, _ = run(sample_site, "export", "--format", "jsonl")
    assert code == 0
    fresh = tmp_path / "fresh"
    (fresh / "articles").mkdir(parents=True)
    (fresh / "site.toml").write_bytes((sample_site / "site.toml").read_bytes())
    # site.toml's [html] share_image belongs to the site, not to an article.
    (fresh / "media").mkdir()
    (fresh / "media" / "share.jpg").write_bytes((sample_site / "media" / "share.jpg").read_bytes())
    media = str(sample_site / "media")
    code, _, err = run(fresh, "import", "jsonl", "-", "--media-dir", media, input=exported)
    assert code == 0, err
    assert run(fresh, "media", "resize")[0] == 0
    assert run(fresh, "export", "--format", "jsonl")[1] == exported
    # An export publishes only what is published: the sample's draft 26465 stays behind.
    published = ["list", "--format", "json", "--status", "published"]
    assert run(fresh, *published)[1] == run(sample_site, *published)[1]
    theirs = files_of(sample_site)
    assert files_of(fresh) == {name: data for name, data in theirs.items() if "26465" not in name}
    code, _, err = run(fresh, "import", "jsonl", "-", "--media-dir", media, input=exported)
    assert "imported 0, updated 0, unchanged 4" in err


def test_json_export_imports_too(sample_site: Path, tmp_path: Path) -> None:
    exported = run(sample_site, "export", "--format", "json")[1]
    fresh = tmp_path / "fresh"
    (fresh / "articles").mkdir(parents=True)
    (fresh / "site.toml").write_bytes((sample_site / "site.toml").read_bytes())
    (tmp_path / "all.json").write_text(exported, encoding="utf-8")
    code, _, err = run(fresh, "import", "json", str(tmp_path / "all.json"))
    assert code == 0 and "imported 4" in err and "not copied" in err
    everything = Site.open(sample_site, cache=False).read_all()
    theirs = {a.id: a.translations for a in everything if a.status == "published"}
    assert {a.id: a.translations for a in Site.open(fresh, cache=False).read_all()} == theirs


def test_a_csv_export_imports_its_languages_together(sample_site: Path, tmp_path: Path) -> None:
    (tmp_path / "all.csv").write_bytes(
        CliRunner()
        .invoke(app, ["--site", str(sample_site), "export", "--format", "csv", "--excel"])
        .stdout_bytes
    )
    site = tmp_path / "site"
    init_site(site)
    code, _, err = run(site, "import", "csv", str(tmp_path / "all.csv"))
    assert code == 0, err
    theirs = {a.id: a for a in Site.open(sample_site, cache=False).read_all()}
    mine = Site.open(site, cache=False).read_all()
    assert len(mine) == 4  # the published ones: what an export holds
    for article in mine:
        original = theirs[article.id]
        assert article.translations == original.translations
        assert (article.date, article.category, article.status, article.tags, article.event) == (
            original.date, original.category, original.status, original.tags, original.event,
        )  # fmt: skip
    code, out, _ = run(site, "validate")
    assert code == 0, out


def test_a_csv_row_without_a_title_is_skipped(tmp_path: Path) -> None:
    site = tmp_path / "site"
    init_site(site)
    (tmp_path / "a.csv").write_text(
        "lang,date,category,title,body\n"
        "th,2018-04-27T09:30:00+07:00,headline,หัวข้อ,เนื้อหา\n"
        "th,2018-04-27,headline,,เนื้อหา\n",
        encoding="utf-8",
    )
    code, _, err = run(site, "import", "csv", str(tmp_path / "a.csv"))
    assert code == 1 and "skipped: a.csv:3: it has no title" in err and "imported 1" in err
    assert json.loads(run(site, "list", "--format", "json")[1])[0]["titles"] == {"th": "หัวข้อ"}
