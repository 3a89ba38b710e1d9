"""Each rule has one home, and every command follows it.

The Buddhist-era threshold, the characters XML forbids, the problem codes: each test here
shows two users of one rule agreeing, where copies once disagreed.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import BANGKOK, MakeArticle, MakeJpeg, MakeSite, write_jpeg
from typer.testing import CliRunner

from opdc_cli import clock, fsutil, store
from opdc_cli.cli import app
from opdc_cli.codes import CODES
from opdc_cli.content import Site
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.feed import build_feed
from opdc_cli.gallery import (
    MediaFolder,
    check_media_name,
    made_names,
    media_path,
)
from opdc_cli.media import leftovers, plan_resize, stale_outputs
from opdc_cli.model import LAST_YEAR, year_problem
from opdc_cli.scaffold import init_site
from opdc_cli.site import (
    DEFAULT_LANGUAGES,
    FeedSettings,
    Footer,
    HtmlSettings,
    MediaSettings,
    SiteConfig,
    is_http_url,
    load_config,
)
from opdc_cli.textio import CONTENT_FORBIDDEN, LINE_BREAKING, TERMINAL_CONTROL, XML_FORBIDDEN
from opdc_cli.thai import DateError, is_buddhist_era, parse_date, to_common_era
from opdc_cli.validate import validate_site


@pytest.mark.parametrize("year", [2399, 2400, 2401, 2561])
def test_one_buddhist_era_threshold_for_typed_and_stored_dates(
    year: int, make_site: MakeSite, make_article: MakeArticle
) -> None:
    # Typed: a four-digit year in a Thai-style date is BE exactly when the rule says so.
    typed = parse_date(f"27/04/{year}", BANGKOK)
    assert typed.year == (year - 543 if is_buddhist_era(year) else year)
    # Typed in ISO form: a BE year is refused.
    if is_buddhist_era(year):
        with pytest.raises(DateError, match="Buddhist era"):
            parse_date(f"{year}-04-27", BANGKOK)
    # Stored: validate refuses the same years, and only those.
    article = make_article(1001, date=datetime(year, 4, 27, 9, 30, tzinfo=BANGKOK))
    root = make_site([article], photos=True)
    codes = {p.code for p in validate_site(root).problems if p.severity == "error"}
    assert ("OPDC115" in codes) == is_buddhist_era(year)


def test_the_threshold_is_2400() -> None:
    assert not is_buddhist_era(2399)
    assert is_buddhist_era(2400)


@pytest.mark.parametrize(
    ("year", "common"),
    [
        (2399, None),
        (2400, None),
        (2442, None),
        (2443, 1900),
        (2561, 2018),
        (2942, 2399),
        (2943, None),
    ],
)
def test_a_stored_buddhist_era_year_is_named_with_the_thai_rule(
    year: int, common: int | None
) -> None:
    # The stored dates' check (model.year_problem) suggests the Common-Era year only for a
    # Buddhist-era year by the thai rule whose CE year a reader accepts.
    problem = year_problem(date(year, 4, 27))
    assert (problem is None) == (year <= LAST_YEAR)
    if common is None:
        assert problem is None or "Buddhist-era" not in problem
    else:
        assert is_buddhist_era(year) and to_common_era(year) == common
        assert problem == f"year {year} looks like a Buddhist-era year: write {common}"


REPO = Path(__file__).resolve().parent.parent
SEVERITY_LETTERS = {"E": "error", "W": "warning", "I": "info"}


def _documented_codes() -> dict[str, str]:
    """docs/validate.md's code tables: code -> severity."""
    found: dict[str, str] = {}
    text = (REPO / "docs" / "validate.md").read_text(encoding="utf-8")
    for row in re.finditer(r"^\| (OPDC\d{3}(?:, OPDC\d{3})*) \| ([EWI]) \|", text, re.M):
        for code in row[1].split(", "):
            found[code] = SEVERITY_LETTERS[row[2]]
    return found


def test_every_code_is_documented_with_its_severity() -> None:
    assert _documented_codes() == {code: entry.severity for code, entry in CODES.items()}


def test_the_source_writes_only_codes_from_the_table() -> None:
    written = {
        code
        for path in (REPO / "src" / "opdc_cli").rglob("*.py")
        for code in re.findall(r"OPDC\d{3}", path.read_text(encoding="utf-8"))
    }
    assert written <= set(CODES)
    # And the table holds no code the program never writes.
    assert set(CODES) <= written


def test_the_character_sets_nest() -> None:
    every = "".join(chr(c) for c in range(0x3000)) + "\ufffe\uffff\ud800"
    xml = set(XML_FORBIDDEN.findall(every))
    content = set(CONTENT_FORBIDDEN.findall(every))
    terminal = set(TERMINAL_CONTROL.findall(every))
    line = set(LINE_BREAKING.findall(every))
    assert "\t" not in xml | content | terminal and "\n" not in xml | content | terminal
    assert "\r" not in xml and "\r" in terminal and "\r" in line
    assert xml < content  # validate refuses all a feed drops, and C1
    assert content - xml == {chr(c) for c in range(0x7F, 0xA0)}
    assert {"\u2028", "\u2029", "\n", "\t"} <= line


# --- edges no other test pinned ------------------------------------------------------------


def test_the_first_body_line_right_after_the_fence_is_kept(tmp_path: Path) -> None:
    front, body = store.split_front_matter(
        tmp_path / "1.th.txt", "+++\nid = 1\n+++\nFirst\n\nSecond"
    )
    assert front == "id = 1\n"
    assert body.startswith("First")


@pytest.mark.parametrize("name", ["๒๖๔๖๑.th.txt", "๒๖๔๖๑.toml", "26461.th.txt"])
def test_only_ascii_digits_make_an_id(name: str, tmp_path: Path) -> None:
    found = store.classify(tmp_path / name)
    if name.isascii():
        assert found is not None and found.id == 26461
    else:
        assert found is None


def test_an_unknown_status_reads_as_a_draft_never_published(
    tmp_path: Path, make_article: MakeArticle
) -> None:
    init_site(tmp_path / "site")
    config = load_config(tmp_path / "site" / "site.toml")
    path = store.write_article(
        make_article(1001), tmp_path / "site" / "articles", "toml", ("th", "en")
    )[0]
    path.write_text(path.read_text(encoding="utf-8").replace('"published"', '"live"'), "utf-8")
    file = store.classify(path)
    assert file is not None
    article, problems = store.check_article([file], config)
    assert article is not None and article.status == "draft"
    assert [p.code for p in problems] == ["OPDC116"]


@pytest.mark.parametrize("text", ["2018-04-27T09:30:60+07:00", "27/04/2561 09:30:60"])
def test_a_sixtieth_second_is_a_date_error_not_a_traceback(text: str) -> None:
    with pytest.raises(DateError, match="seconds 00-59"):
        parse_date(text, BANGKOK)


def test_a_category_and_tag_feed_is_not_titled_as_the_category_feed(make_site: MakeSite) -> None:
    site = Site.open(make_site())
    name = site.config.site_name("th")
    plain, _ = build_feed(site, lang="th", categories=["headline"])
    tagged, _ = build_feed(site, lang="th", categories=["headline"], tags=["GovLab"])
    assert _channel_title(plain) == f"{site.config.category_name('headline', 'th')} – {name}"
    # A filtered feed names its own selection, never the plain category feed's title.
    assert (
        _channel_title(tagged) == f"{site.config.category_name('headline', 'th')}, #GovLab – {name}"
    )
    assert _channel_title(tagged) != _channel_title(plain)


def _channel_title(feed: bytes) -> str:
    from xml.etree import ElementTree

    title = ElementTree.fromstring(feed).findtext("channel/title")
    assert title is not None
    return title


# --- the safety paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("a\x00.jpg", "NUL"),
        ("/etc/passwd", "absolute path"),
        ("C:photo.jpg", "absolute path"),
        ("sub\\photo.jpg", "backslashes"),
        ("../1002/photo.jpg", "'..'"),
        ("CON.jpg", "Windows-reserved"),
        ("sub/aux", "Windows-reserved"),
        ("sub//photo.jpg", "empty or '.'"),
        ("./photo.jpg", "empty or '.'"),
    ],
)
def test_every_media_name_refusal(name: str, why: str, tmp_path: Path) -> None:
    problem = check_media_name(name)
    assert problem is not None and why in problem
    with pytest.raises(OpdcError, match="OPDC301|" + re.escape(why)) as caught:
        media_path(tmp_path / "media", 1001, name)
    assert caught.value.code == "OPDC301"


def test_a_plain_name_and_a_sub_folder_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "media" / "1001").mkdir(parents=True)
    assert check_media_name("sub/img1001_1.jpg") is None
    assert media_path(tmp_path / "media", 1001, "img1001_1.jpg") == (
        tmp_path / "media" / "1001" / "img1001_1.jpg"
    )


# --- one listing of media/<id>/ for validate and media -------------------------------------


def _outputs(root: Path, article_id: int, name: str, *, newer: bool, first: bool) -> None:
    """What is made of the photo (web size, thumbnail, the first photo's share image), a
    second newer (or older) than the original, with no manifest saying how."""
    folder = root / "media" / str(article_id)
    stamp = (folder / name).stat().st_mtime_ns + (10**9 if newer else -(10**9))
    for output in made_names(name, first=first):
        write_jpeg(folder / output)
        os.utime(folder / output, ns=(stamp, stamp))


@pytest.mark.parametrize("newer", [True, False])
def test_validate_s_shortcut_and_stale_outputs_agree(
    newer: bool, make_site: MakeSite, make_article: MakeArticle
) -> None:
    root = make_site([make_article(1001)])
    site = Site.open(root)
    article = site.article(1001)
    for number, photo in enumerate(article.photos):
        _outputs(root, 1001, photo.file, newer=newer, first=number == 0)
    listing = MediaFolder(site.media_dir, 1001)
    stale = {found.photo.file for found in stale_outputs(site.config, article)}
    for number, photo in enumerate(article.photos):
        assert listing.fresh(photo.file, made_names(photo.file, first=number == 0)) == newer
        assert (photo.file in stale) == (not newer)
    codes = [p.code for p in validate_site(root).problems]
    assert codes.count("OPDC308") == (0 if newer else len(article.photos))


def test_a_photo_linked_out_of_its_folder_is_refused_by_validate_resize_and_clean(
    tmp_path: Path, make_site: MakeSite, make_article: MakeArticle
) -> None:
    root = make_site([make_article(1001)])
    photo = root / "media" / "1001" / "img1001_1.jpg"
    photo.unlink()
    photo.symlink_to(write_jpeg(tmp_path / "outside.jpg"))
    (root / "media" / "1001" / "img1001_7.jpg").symlink_to(tmp_path / "outside.jpg")
    site = Site.open(root)
    listing = MediaFolder(site.media_dir, 1001)
    assert not listing.plain("img1001_1.jpg")
    with pytest.raises(OpdcError) as caught:
        listing.stat("img1001_1.jpg")
    assert caught.value.code == "OPDC301"
    assert [p.path.name for p in validate_site(root).problems if p.code == "OPDC301"] == [
        "1001.toml"
    ]
    plan = plan_resize(site, [site.article(1001)])
    assert [(f.name, f.error.code) for f in plan.failures] == [("img1001_1.jpg", "OPDC301")]
    # An unused original's name, but a link: clean removes only regular files.
    assert leftovers(site, 1001) == []


def test_the_listing_answers_for_hidden_names_and_sub_folders(make_site: MakeSite) -> None:
    root = make_site()
    folder = root / "media" / "1001"
    write_jpeg(folder / ".hidden.jpg")
    write_jpeg(folder / "sub" / "inner.jpg")
    write_jpeg(folder / "sub" / ".inner.jpg")
    (folder / "broken.jpg").symlink_to(folder / "gone.jpg")
    (folder / ".resize.json").write_text("{}", encoding="utf-8")
    listing = MediaFolder(root / "media", 1001)
    # validate's view: hidden names are not the article's files; sub-folders' are.
    assert ".hidden.jpg" not in listing.files and ".resize.json" not in listing.files
    assert "sub/inner.jpg" in listing.files and listing.manifest
    assert "sub/.inner.jpg" not in listing.files
    # A link that leads nowhere is listed, as no regular file.
    assert "broken.jpg" in listing.links and listing.files["broken.jpg"] is None
    # media's view: a photo given a hidden name is still found, and a sub-folder's file
    # is looked up through the containment check.
    assert listing.stat(".hidden.jpg") is not None
    assert listing.stat("sub/inner.jpg") == (folder / "sub" / "inner.jpg").stat()
    assert listing.stat("sub/missing.jpg") is None
    assert listing.path_of("sub/inner.jpg") == folder / "sub" / "inner.jpg"
    assert not listing.fresh("img1001_1.jpg")  # a manifest: only stale_outputs can tell


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_failed_replace_leaves_no_temp_file(tmp_path: Path) -> None:
    # os.replace cannot put a file over a folder that holds something.
    (tmp_path / "target" / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        fsutil.atomic_write(tmp_path / "target", b"new")
    assert _leftovers(tmp_path) == []
    assert (tmp_path / "target" / "inside").is_dir()


def test_a_taken_name_keeps_its_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "1001.toml").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        fsutil.create_exclusive(tmp_path / "1001.toml", b"new")
    assert (tmp_path / "1001.toml").read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_write_that_fails_midway_removes_its_temp_file(tmp_path: Path) -> None:
    # A str where bytes belong fails inside the write, after the temp file exists.
    with pytest.raises(TypeError):
        fsutil.write_temp(tmp_path / "x.json", "text")  # type: ignore[arg-type]
    assert _leftovers(tmp_path) == []
    assert not (tmp_path / "x.json").exists()


# --- settings and languages ----------------------------------------------------------------


def test_init_writes_the_defaults_site_toml_falls_back_to(tmp_path: Path) -> None:
    import tomli

    init_site(tmp_path / "site")
    written = tomli.loads((tmp_path / "site" / "site.toml").read_text(encoding="utf-8"))
    for section, defaults in (
        ("media", MediaSettings()),
        ("feed", FeedSettings()),
        ("html", HtmlSettings()),
    ):
        # TOML arrays read as lists where the settings hold tuples.
        as_written = {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in dataclasses.asdict(defaults).items()
        }
        assert written[section] == as_written, section
    top = {f.name: f.default for f in dataclasses.fields(SiteConfig)}
    for key in ("timezone", "first_id", "article_format"):
        assert written[key] == top[key], key
    assert tuple(written["languages"]) == DEFAULT_LANGUAGES
    footer = Footer()
    assert (written["footer"]["phone"], written["footer"]["email"]) == (footer.phone, footer.email)
    # And what init writes reads back as those same settings.
    config = load_config(tmp_path / "site" / "site.toml")
    assert (config.media, config.feed, config.html) == (
        MediaSettings(),
        FeedSettings(),
        HtmlSettings(),
    )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.example.go.th/", True),
        ("http://localhost", True),
        ("ftp://example.org/", False),
        ("https:///path", False),
        ("www.example.go.th", False),
    ],
)
def test_one_url_rule_for_site_toml_and_init(url: str, ok: bool, tmp_path: Path) -> None:
    assert is_http_url(url) == ok
    if ok:
        init_site(tmp_path / "site", base_url=url)
        assert load_config(tmp_path / "site" / "site.toml").base_url.startswith(url.rstrip("/"))
    else:
        with pytest.raises(UsageError, match="http"):
            init_site(tmp_path / "site", base_url=url)


@pytest.mark.parametrize(
    ("languages", "second"),
    [(("th", "en"), True), (("th",), False), (("en", "th"), False), (("th", "lo", "en"), True)],
)
def test_english_is_written_only_as_a_second_language(
    languages: tuple[str, ...], second: bool
) -> None:
    assert SiteConfig(Path("site.toml"), languages, {}, {}).english_second == second


def test_caption_en_in_an_english_first_site_is_a_usage_error(
    tmp_path: Path, runner: CliRunner, make_jpeg: MakeJpeg
) -> None:
    init_site(tmp_path / "site")
    site_file = tmp_path / "site" / "site.toml"
    text = site_file.read_text(encoding="utf-8")
    site_file.write_text(text.replace('["th", "en"]', '["en", "th"]'), encoding="utf-8")
    photo = make_jpeg(tmp_path / "photo.jpg")
    result = runner.invoke(
        app, ["media", "add", "1", str(photo), "--caption-en", "x", "--site", str(site_file.parent)]
    )
    assert result.exit_code == 2
    assert "primary language" in result.stderr


def test_opdc_now_fixes_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPDC_NOW", "2026-12-02T10:00:00+07:00")
    assert clock.now(BANGKOK) == datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK)
    assert clock.now().utcoffset() is not None
    for wrong in ("yesterday", "2026-12-02T10:00:00"):  # unreadable, or without offset
        monkeypatch.setenv("OPDC_NOW", wrong)
        with pytest.raises(OpdcError, match="OPDC_NOW"):
            clock.now(BANGKOK)


# --- functions stay short ------------------------------------------------------------------

LONGEST = 60


def _long_functions(text: str) -> list[tuple[int, str, int, str]]:
    """Each function of `text` longer than LONGEST lines: its line, name, length, and
    the comment block right above it (or above its decorators)."""
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > LONGEST:
                top = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
                above: list[str] = []
                while top > 0 and lines[top - 1].lstrip().startswith("#"):
                    top -= 1
                    above.insert(0, lines[top].strip())
                found.append((node.lineno, node.name, length, " ".join(above)))
    return found


def _unexplained(text: str) -> list[str]:
    reason = re.compile(r"^# long\b\W*\w+(\W+\w+){3}", re.IGNORECASE)
    return [
        f"{name} (line {line}, {length} lines)"
        for line, name, length, above in _long_functions(text)
        if not reason.match(above)
    ]


def test_no_function_is_long_without_a_reason_beside_it() -> None:
    unexplained = [
        f"{path.relative_to(REPO)}: {found}"
        for path in sorted((REPO / "src" / "opdc_cli").rglob("*.py"))
        for found in _unexplained(path.read_text(encoding="utf-8"))
    ]
    assert unexplained == [], "split these, or say why above the def in a '# Long …' comment"


def test_the_length_guard_sees_a_long_function_and_its_reason() -> None:
    body = "".join(f"    x{n} = {n}\n" for n in range(LONGEST))
    bare = f"def f() -> None:\n{body}"
    assert _unexplained(bare) == [f"f (line 1, {LONGEST + 1} lines)"]
    assert _unexplained(f"# Long for its typer options (one each).\n@app.command()\n{bare}") == []
    assert _unexplained(f"# long\n{bare}") != []  # a reason, not just the word
    short = "".join(body.splitlines(keepends=True)[1:])
    assert _unexplained(f"def g() -> None:\n{short}") == []  # LONGEST lines: fine
