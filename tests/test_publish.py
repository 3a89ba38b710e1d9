"""The publication gate: nothing unready leaves the site, through any publisher.

Every publisher (the html export, json/jsonl/csv, every feed) runs on one site
holding a draft, a scheduled article, an article that fails validation and an
English translation in progress, each carrying unique marker strings in every
text field; no marker may appear in any byte of the output.
"""

from __future__ import annotations

import http.client
import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import feedparser
import lxml.html
import pytest
from conftest import BANGKOK, MakeArticle, MakeSite, write_jpeg
from typer.testing import CliRunner, Result

from opdc_cli import store
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.export.site import export_site, state_folder
from opdc_cli.media import private_copy
from opdc_cli.model import Article, Event, Photo, Translation
from opdc_cli.publish import Gate, published_view
from opdc_cli.validate import validate_site

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=BANGKOK)
LATER = datetime(2031, 1, 1, 9, 0, tzinfo=BANGKOK)


def marked(make_article: MakeArticle, article_id: int, tag: str, **changes: object) -> Article:
    """An article with the marker `tag` in every text field, in both languages."""

    def m(field: str) -> str:
        return f"ZQ{tag}{field}QZ"

    return make_article(
        article_id,
        tags=(m("tag"),),
        translations={
            lang: Translation(
                title=f"ข่าว {m(lang + 'title')}",
                body=f"ย่อหน้า {m(lang + 'body')}\n\nอีกย่อหน้า {m(lang + 'para')}",
                summary=m(lang + "summary"),
                credit=m(lang + "credit"),
            )
            for lang in ("th", "en")
        },
        photos=(Photo(f"img{article_id}_1.jpg", {"th": m("thcap"), "en": m("encap")}),),
        event=Event(datetime(2026, 5, 1).date(), None, {"th": m("thplace"), "en": m("enplace")}),
        **changes,
    )


def unready_site(make_site: MakeSite, make_article: MakeArticle) -> Path:
    """A published article (1001) beside four that must not be published in full."""
    draft = marked(make_article, 1101, "DRAFT", status="draft")
    scheduled = marked(make_article, 1102, "SCHEDULED", date=datetime(2030, 1, 1, tzinfo=BANGKOK))
    broken = marked(make_article, 1103, "BROKEN")
    broken = replace(broken, photos=(Photo("img1103_1.jpg", {"en": "no Thai alt text"}),))
    progress = marked(make_article, 1104, "PROGRESS")
    english = replace(progress.translations["en"], body="")
    progress = replace(progress, translations={**progress.translations, "en": english})
    root = make_site([make_article(1001), draft, scheduled, broken, progress])
    for article_id in (1001, 1101, 1102, 1103, 1104):
        folder = root / "media" / str(article_id)
        for name in [p.name for p in folder.iterdir()]:
            stem = name.removesuffix(".jpg")
            write_jpeg(folder / f"{stem}_resize.jpg", (200, 150))
            write_jpeg(folder / f"{stem}_thumb.jpg", (80, 60))
    return root


def every_byte(out: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(out.rglob("*")):
        if path.is_file():
            yield path.relative_to(out).as_posix(), path.read_bytes()


def run(runner: CliRunner, root: Path, *args: str) -> Result:
    return runner.invoke(app, ["--site", str(root), *args])


def test_no_byte_of_an_unready_article_leaves_the_site(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = unready_site(make_site, make_article)
    out = tmp_path / "public"
    site = Site.open(root)
    report = export_site(site, out, jobs=1, now=NOW)
    assert [p.code for p in report.problems] == ["OPDC306"]
    assert report.held == {1104: ("en",)}
    for fmt in ("json", "jsonl", "csv"):
        result = run(runner, root, "export", "--format", fmt, "-o", str(out / f"data.{fmt}"))
        assert result.exit_code == 1  # 1103 was stopped
    assert run(runner, root, "feed", "--all", str(out)).exit_code == 1

    names = [name for name, _ in every_byte(out)]
    assert "th/news/1001.html" in names and "th/news/1104.html" in names
    assert "feeds/en/rss.xml" in names and "data.csv" in names
    assert "sitemap.xml" in names and "robots.txt" in names and "404.html" in names
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "/news/1001.html" in sitemap and "/th/news/1104.html" in sitemap
    for article_id in (1101, 1102, 1103):
        assert f"/news/{article_id}" not in sitemap
    assert "/en/news/1104.html" not in sitemap
    for name, data in every_byte(out):
        for tag in ("DRAFT", "SCHEDULED", "BROKEN", "PROGRESSen"):
            assert f"ZQ{tag}".encode() not in data, (name, tag)
        assert not any(f"{i}" in name for i in (1101, 1102, 1103)), name
    # What is ready of 1104 is published: its Thai version, not its English one.
    thai = (out / "th" / "news" / "1104.html").read_text(encoding="utf-8")
    assert "ZQPROGRESSthtitleQZ" in thai
    assert not (out / "en" / "news" / "1104.html").exists()


def test_the_export_state_is_never_in_the_output_and_a_server_has_nothing_to_give(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    root = unready_site(make_site, make_article)
    out = tmp_path / "public"
    export_site(Site.open(root), out, jobs=1, now=NOW)
    state = state_folder(Site.open(root), out.resolve())
    assert {p.name for p in state.iterdir()} >= {"manifest.json", "cards.sqlite", "lock"}
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        names = [
            ".opdc-export.json",
            ".opdc-export-cards.sqlite",
            ".opdc-export.lock",
            "manifest.json",
            "cards.sqlite",
            "lock",
            "running",
        ]
        for name in names:
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
            conn.request("GET", "/" + name)
            assert conn.getresponse().status == 404, name
            conn.close()
    finally:
        server.shutdown()
        server.server_close()


def test_an_article_switched_back_to_draft_leaves_the_output(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    root = unready_site(make_site, make_article)
    out = tmp_path / "public"
    # Its time comes: the scheduled article is published, photos and feed entry too.
    export_site(Site.open(root), out, jobs=1, now=LATER)
    assert (out / "th" / "news" / "1102.html").is_file()
    assert (out / "media" / "1102" / "img1102_1_resize.jpg").is_file()
    assert b"ZQSCHEDULED" in (out / "feeds" / "th" / "rss.xml").read_bytes()
    article = Site.open(root).article(1102)
    store.write_article(
        replace(article, status="draft"), article.sources[0].parent, "toml", ("th", "en")
    )
    report = export_site(Site.open(root), out, jobs=1, now=LATER)
    assert "th/news/1102.html" in report.removed
    assert not (out / "media" / "1102").exists()
    for name, data in every_byte(out):
        assert b"ZQSCHEDULED" not in data, name


def test_an_empty_published_article_is_named_and_the_rest_is_published(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    empty = make_article(1201, translations={"th": Translation("ข่าวที่ยังไม่มีเนื้อหา")}, photos=())
    root = make_site([make_article(1001), empty])
    out = tmp_path / "public"
    for args in (["export", "--format", "html", "-o", str(out)], ["feed"], ["feed", "--atom"]):
        result = run(runner, root, *args)
        assert result.exit_code == 1, args
        stderr = result.stderr
        assert "articles/2018/1201.toml:" in stderr and "OPDC119 not published" in stderr
        assert "Traceback" not in stderr
    assert (out / "th" / "news" / "1001.html").is_file()
    assert not (out / "th" / "news" / "1201.html").exists()
    feed = feedparser.parse(run(runner, root, "feed").stdout_bytes)
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["1001.html"]


def test_an_english_title_without_a_body_is_a_translation_in_progress(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    article = make_article(1301, photos=())
    english = Translation("Only a title so far")
    root = make_site([replace(article, translations={**article.translations, "en": english})])
    problems = validate_site(root).problems
    assert [(p.code, p.severity) for p in problems] == [("OPDC123", "warning")]
    assert "not published until it has one" in problems[0].message
    assert run(runner, root, "validate", "--strict").exit_code == 1

    listed = run(runner, root, "list", "--missing-lang", "en", "--format", "ids")
    assert listed.stdout == "1301\n"
    assert run(runner, root, "list", "--lang", "en", "--format", "ids").stdout == ""

    out = tmp_path / "public"
    result = run(runner, root, "export", "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "1 language version(s) held back" in result.stderr
    assert not (out / "en" / "news" / "1301.html").exists()
    thai = lxml.html.fromstring((out / "th" / "news" / "1301.html").read_bytes())
    switch = thai.cssselect("nav.languages, .languages")
    assert switch and "Only a title" not in (out / "th" / "news" / "1301.html").read_text()
    assert not any(a.get("hreflang") == "en" for a in thai.cssselect("link[rel=alternate]"))
    english_feed = feedparser.parse((out / "feeds" / "en" / "rss.xml").read_bytes())
    assert english_feed.entries == []
    feed = run(runner, root, "feed", "--lang", "en")
    assert feed.exit_code == 0 and "held back" in feed.stderr


def test_the_gate_view_keeps_nothing_of_a_held_version(make_article: MakeArticle) -> None:
    article = make_article(1401)
    view = published_view(article, ("th",))
    assert list(view.translations) == ["th"]
    assert all(set(p.captions) <= {"th"} for p in view.photos)
    assert view.event is not None and set(view.event.places) == {"th"}
    assert published_view(article, ("th", "en")) is article


def test_the_gate_decides_once_per_article(make_site: MakeSite, make_article: MakeArticle) -> None:
    root = unready_site(make_site, make_article)
    site = Site.open(root)
    gate = Gate(site.config, NOW)
    verdicts = {a.id: gate.verdict(a) for a in site.articles()}
    assert {i for i, v in verdicts.items() if v.published} == {1001, 1104}
    assert verdicts[1104].languages == ("th",) and verdicts[1104].held == ("en",)
    assert verdicts[1101].problem is None and not verdicts[1101].published  # a draft
    assert verdicts[1103].problem is not None and verdicts[1103].problem.code == "OPDC306"
    assert gate.verdict(site.article(1103)) is verdicts[1103]
    later = Gate(site.config, LATER)
    assert later.verdict(site.article(1102)).published


# --- originals, the summary line, init ------------------------------------------------


def camera_jpeg(path: Path) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS and orientation 6, XMP, a comment."""
    from PIL import Image

    image = Image.new("RGB", (120, 80), (180, 40, 40))
    for x in range(60):
        image.putpixel((x, 10), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (13.0, 45.0, 0.0), 3: "E", 4: (100.0, 30.0, 0.0)})
    buffer = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">GPSLatitude 13.75</x:xmpmeta>'
    image.save(buffer, "JPEG", exif=exif, comment=b"shot at home", xmp=xmp, quality=90)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_a_private_copy_has_no_metadata_and_the_same_picture(tmp_path: Path) -> None:
    from PIL import Image

    data = camera_jpeg(tmp_path / "camera.jpg")
    copy = private_copy(data, 10_000_000)
    assert b"PhoneMaker" not in copy and b"shot at home" not in copy
    assert b"xmpmeta" not in copy and b"GPS" not in copy
    with Image.open(io.BytesIO(copy)) as clean, Image.open(io.BytesIO(data)) as original:
        exif = clean.getexif()
        assert dict(exif) == {0x0112: 6}  # the orientation alone: shown upright
        assert not exif.get_ifd(0x8825)
        assert "comment" not in clean.info
        assert clean.tobytes() == original.tobytes()  # not re-encoded


@pytest.mark.parametrize("kind", ["PNG", "WEBP", "TIFF"])
def test_private_copies_of_other_formats_drop_metadata(kind: str) -> None:
    from PIL import Image

    image = Image.new("RGB", (40, 30), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, kind, exif=exif)
    assert b"PhoneMaker" in buffer.getvalue()
    copy = private_copy(buffer.getvalue(), 10_000_000)
    assert b"PhoneMaker" not in copy
    with Image.open(io.BytesIO(copy)) as clean:
        assert clean.format == kind and clean.size == (40, 30)


def test_export_with_originals_publishes_clean_copies_and_says_so(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site([make_article(1001, photos=(Photo("img1001_1.jpg", {"th": "ภาพ"}),))])
    camera = camera_jpeg(root / "media" / "1001" / "img1001_1.jpg")
    write_jpeg(root / "media" / "1001" / "img1001_1_resize.jpg", (200, 150))
    out = tmp_path / "public"
    result = run(runner, root, "export", "--format", "html", "-o", str(out), "--with-originals")
    assert result.exit_code == 0, result.stderr
    assert "without their EXIF, GPS" in result.stderr
    published = (out / "media" / "1001" / "img1001_1.jpg").read_bytes()
    assert published != camera and b"GPS" not in published and b"PhoneMaker" not in published
    assert (root / "media" / "1001" / "img1001_1.jpg").read_bytes() == camera


def test_the_summary_line_counts_what_the_folder_holds(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    out = tmp_path / "public"
    first = run(runner, root, "export", "--format", "html", "-o", str(out))
    total = sum(1 for p in out.rglob("*") if p.is_file())
    assert f"{total} file(s) written, 0 unchanged" in first.stderr
    again = run(runner, root, "export", "--format", "html", "-o", str(out))
    assert f"0 file(s) written, {total} unchanged, 0 removed" in again.stderr


def test_init_ignores_the_export_folder_and_the_cache(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path / "news")]).exit_code == 0
    lines = (tmp_path / "news" / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".opdc/" in lines and "/public/" in lines


def test_an_export_asked_for_drafts_is_refused(make_site: MakeSite, runner: CliRunner) -> None:
    root = make_site()
    result = run(runner, root, "export", "--format", "json", "--status", "draft")
    assert result.exit_code == 2
    assert "opdc list --status draft" in result.stderr
    assert result.stdout == ""


def test_scheduled_articles_pass_the_gate_when_their_time_comes(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    soon = make_article(1501, date=NOW + timedelta(hours=1))
    site = Site.open(make_site([soon]))
    assert not Gate(site.config, NOW).verdict(site.article(1501)).published
    assert Gate(site.config, NOW + timedelta(hours=2)).verdict(site.article(1501)).published
