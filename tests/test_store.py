"""The two storage forms: round trips, byte-identical rewrites, errors with their place."""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import tomli
import tomli_w
from conftest import BANGKOK, MakeArticle, MakeSite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opdc_cli import store
from opdc_cli.content import Site
from opdc_cli.errors import OpdcError
from opdc_cli.model import (
    Article,
    Attachment,
    Event,
    Photo,
    Translation,
    ends_before,
    normalize_body,
)
from opdc_cli.scaffold import init_site
from opdc_cli.site import SiteConfig, load_config
from opdc_cli.tomlpos import key_positions, locate


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> SiteConfig:
    root = tmp_path_factory.mktemp("config")
    init_site(root)
    return load_config(root / "site.toml")


def read_folder(folder: Path, config: SiteConfig) -> Article:
    """The one article whose files are in `folder`."""
    groups, problems = store.group(store.scan(folder))
    assert not problems
    (files,) = groups.values()
    return store.read_article(files, config)


def write_and_read(article: Article, folder: Path, form: str, config: SiteConfig) -> Article:
    store.write_article(article, folder, form, config.languages)
    return read_folder(folder, config)


# --- strategies -----------------------------------------------------------------------

# Pieces that have broken TOML writers and front-matter splitters before.
AWKWARD = [
    '"',
    "'",
    '"""',
    "'''",
    '""""',
    "\\",
    "\\\\",
    '\\"""',
    "\\n",
    "+++",
    "\n+++\n",
    "\t",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "#",
    "[th]",
    "[[photos]]",
    "\nid = 9\n",
    "\u00a0",
    "\u200b",
    "\u2028",
    "\ufeff",
    "\x00",
    "\x1b[2J",
    "\x7f",
    "\U0001f600",
]
THAI = st.text(st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B), min_size=1, max_size=12)
FRAGMENT = st.one_of(st.sampled_from(AWKWARD), THAI, st.text(max_size=6))
TEXT = st.lists(FRAGMENT, max_size=12).map("".join)
NONEMPTY = st.lists(FRAGMENT, min_size=1, max_size=8).map("".join).filter(bool)
LONG_BODY = st.builds(lambda text, times: (text + "\n\n") * times, NONEMPTY, st.integers(200, 2000))
BODY = st.one_of(st.just(""), TEXT, LONG_BODY).map(normalize_body)
ZONES = st.one_of(
    st.just(BANGKOK),
    st.just(UTC),
    st.integers(-12 * 4, 14 * 4).map(lambda quarter: timezone(timedelta(minutes=15 * quarter))),
)
WHEN = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES)
DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))


@st.composite
def articles(draw: st.DrawFn) -> Article:
    langs = draw(st.sampled_from([("th",), ("en",), ("th", "en")]))

    def texts() -> dict[str, str]:
        # Texts only for languages the article has: a language without a
        # translation has no file in the text form to hold them.
        chosen = draw(st.lists(st.sampled_from(langs), unique=True))
        return {lang: draw(NONEMPTY) for lang in chosen}

    # A name may be listed twice: each copy keeps its own captions.
    files = draw(st.lists(st.one_of(NONEMPTY, st.sampled_from(["a.jpg", "b.pdf"])), max_size=5))
    split = draw(st.integers(0, len(files)))
    event = None
    if draw(st.booleans()):
        start = draw(st.one_of(DAY, WHEN))
        end = draw(st.one_of(st.none(), DAY, WHEN))
        if end is not None and ends_before(start, end, BANGKOK):
            start, end = end, start  # an event ending before it starts is refused
        event = Event(start, end, texts())
    return Article(
        id=draw(st.integers(1, 10**9)),
        category=draw(st.sampled_from(["headline", "activities", "announcements"])),
        date=draw(WHEN),
        status=draw(st.sampled_from(["draft", "published"])),
        tags=tuple(draw(st.lists(TEXT, max_size=4))),
        translations={
            lang: Translation(
                title=draw(TEXT), body=draw(BODY), summary=draw(TEXT), credit=draw(TEXT)
            )
            for lang in langs
        },
        photos=tuple(Photo(name, texts()) for name in files[:split]),
        attachments=tuple(Attachment(name, texts()) for name in files[split:]),
        event=event,
        source=draw(st.one_of(st.just(""), TEXT)),
    )


ROUND_TRIP = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@ROUND_TRIP
@given(article=articles(), form=st.sampled_from(["toml", "txt"]))
def test_every_form_reads_back_what_was_written(
    article: Article, form: str, config: SiteConfig, tmp_path: Path
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        back = write_and_read(article, Path(folder), form, config)
        assert back == article
        assert back.form == form
        # Writing back what was read gives the same bytes.
        for path in back.sources:
            assert store.render(back, form, config.languages)[path.name] == path.read_text(
                encoding="utf-8"
            )


@ROUND_TRIP
@given(article=articles(), first=st.sampled_from(["toml", "txt"]))
def test_converting_to_the_other_form_and_back_loses_nothing(
    article: Article, first: str, config: SiteConfig, tmp_path: Path
) -> None:
    second = "txt" if first == "toml" else "toml"
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        one, two, three = (Path(folder) / name for name in ("one", "two", "three"))
        original = write_and_read(article, one, first, config)
        converted = write_and_read(original, two, second, config)
        again = write_and_read(converted, three, first, config)
        assert converted == original == again
        assert sorted(p.read_bytes() for p in one.iterdir()) == sorted(
            p.read_bytes() for p in three.iterdir()
        )


def without_empty_captions(article: Article) -> Article:
    photos = tuple(
        Photo(p.file, {lang: text for lang, text in p.captions.items() if text})
        for p in article.photos
    )
    return replace(article, photos=photos)


@ROUND_TRIP
@given(article=articles(), form=st.sampled_from(["toml", "txt"]))
def test_the_guided_file_reads_back_as_the_same_article(
    article: Article, form: str, config: SiteConfig, tmp_path: Path
) -> None:
    """new-article --edit's file: its comments and empty places to fill change nothing."""
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        texts = store.guided(article, form, config.languages, ["a note", "on two lines"])
        for name, text in texts.items():
            assert text.count("# ") >= 3
            (Path(folder) / name).write_text(text, encoding="utf-8")
        back = read_folder(Path(folder), config)
        assert without_empty_captions(back) == without_empty_captions(article)
        expected = without_empty_captions(
            write_and_read(article, Path(folder) / "plain", form, config)
        )
        assert without_empty_captions(back) == expected


# --- the sample site ------------------------------------------------------------------


def sample_groups(sample_site: Path) -> tuple[SiteConfig, list[list[store.ArticleFile]]]:
    config = load_config(sample_site / "site.toml")
    groups, problems = store.group(store.scan(sample_site / "articles"))
    assert not problems
    return config, list(groups.values())


def test_the_sample_articles_rewrite_byte_identical(sample_site: Path) -> None:
    config, groups = sample_groups(sample_site)
    assert {f.form for files in groups for f in files} == {"toml", "txt"}
    for files in groups:
        article = store.read_article(files, config)
        rendered = store.render(article, article.form, config.languages)
        assert sorted(rendered) == sorted(f.path.name for f in files)
        for file in files:
            assert rendered[file.path.name].encode("utf-8") == file.path.read_bytes()


def test_the_sample_articles_convert_both_ways_without_loss(
    sample_site: Path, tmp_path: Path
) -> None:
    config, groups = sample_groups(sample_site)
    for files in groups:
        article = store.read_article(files, config)
        other = "txt" if article.form == "toml" else "toml"
        converted = write_and_read(article, tmp_path / f"{article.id}-a", other, config)
        assert converted == article
        back = write_and_read(converted, tmp_path / f"{article.id}-b", article.form, config)
        for file in files:
            assert (tmp_path / f"{article.id}-b" / file.path.name).read_bytes() == (
                file.path.read_bytes()
            )
        assert back == article


def test_the_reference_article_has_the_page_shape(sample_site: Path) -> None:
    config, groups = sample_groups(sample_site)
    by_id = {files[0].id: store.read_article(files, config) for files in groups}
    seed = by_id[26461]
    assert seed.category == "headline"
    assert len(seed.photos) == 8
    assert seed.event is not None and seed.event.end is not None
    assert (seed.event.end - seed.event.start).days >= 2
    thai = seed.translations["th"]
    assert len(thai.paragraphs) >= 3
    assert thai.credit.endswith("/ จัดทำ")
    text_form = [a for a in by_id.values() if a.form == "txt"]
    assert text_form and all(set(a.languages) == {"th", "en"} for a in text_form)


# --- reading errors -------------------------------------------------------------------

GOOD_HEAD = 'category = "headline"\ndate = 2018-04-27T09:30:00+07:00\n'


def read_one(path: Path, config: SiteConfig) -> Article:
    file = store.classify(path)
    assert file is not None
    return store.read_article([file], config)


def error_reading(path: Path, text: str | bytes, config: SiteConfig) -> OpdcError:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    with pytest.raises(OpdcError) as caught:
        read_one(path, config)
    assert caught.value.path == path
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "col", "code", "message"),
    [
        (
            'id = 7\ncategory = "headlines"\ndate = 2018-04-27T09:30:00+07:00\n[th]\ntitle = "x"\n',
            2,
            1,
            "OPDC114",
            "unknown category 'headlines' (not in site.toml): did you mean 'headline'?",
        ),
        (
            'id = 7\ncategory = "sport"\ndate = 2018-04-27T09:30:00+07:00\n[th]\ntitle = "x"\n',
            2,
            1,
            "OPDC114",
            "use one of headline, activities, announcements",
        ),
        (
            'id = 7\ncategory = "headline"\n  date = 2018-04-27T09:30:00\n[th]\ntitle = "x"\n',
            3,
            3,
            "OPDC115",
            "'date' has no time zone: write it as 2018-04-27T09:30:00+07:00",
        ),
        (
            'id = 7\ncategory = "headline"\ndate = 2018-04-27\n[th]\ntitle = "x"\n',
            3,
            1,
            "OPDC115",
            "'date' must be a date and time with its offset",
        ),
        (
            'id = 7\ncategory = "headline"\ndate = 2561-04-27T09:30:00+07:00\n[th]\ntitle = "x"\n',
            3,
            1,
            "OPDC115",
            "year 2561 looks like a Buddhist-era year: write 2018",
        ),
        (
            "id = 7\n" + GOOD_HEAD + '[th]\ntitle = "x"\nbody = """\nline\n"""\ntitel = "y"\n',
            9,
            1,
            "OPDC111",
            "unknown key 'titel'; did you mean 'title'?",
        ),
        (
            "id = 7\n" + GOOD_HEAD + 'titel = "x"\n[th]\ntitle = "x"\n',
            4,
            1,
            "OPDC111",
            "unknown key 'titel'; 'title' belongs in the [th] table",
        ),
        (
            "id = 8\n" + GOOD_HEAD + '[th]\ntitle = "x"\n',
            1,
            1,
            "OPDC113",
            "id 8 does not match the file name (7)",
        ),
        (GOOD_HEAD + '[th]\ntitle = "x"\n', 1, 1, "OPDC110", "missing 'id': add id = 7"),
        ("id = 7\n" + GOOD_HEAD + '[th]\nbody = "x"\n', 4, 1, "OPDC110", "missing 'title'"),
        ("id = 7\n" + GOOD_HEAD, 1, 1, "OPDC110", "no language table: add [th]"),
        (
            "id = 7\n" + GOOD_HEAD + 'status = "live"\n[th]\ntitle = "x"\n',
            4,
            1,
            "OPDC116",
            "status must be one of 'draft', 'review', 'approved', 'published', not 'live'",
        ),
        (
            "id = 7\n" + GOOD_HEAD + 'tags = "GovLab"\n[th]\ntitle = "x"\n',
            4,
            1,
            "OPDC112",
            "tags must be a list of strings",
        ),
        (
            "id = 7\n" + GOOD_HEAD + '[th]\ntitle = "x"\n\n[[photos]]\nfile = "a.jpg"\n\n'
            '[[photos]]\nfile = "b.jpg"\nth = "ภาพ"\ncapton = "y"\n',
            13,
            1,
            "OPDC111",
            "unknown key 'capton'",
        ),
        (
            "id = 7\n" + GOOD_HEAD + '[event]\nend = 2018-04-27\n[th]\ntitle = "x"\n',
            4,
            1,
            "OPDC110",
            "an event needs a start date",
        ),
        (
            "id = 7\n" + GOOD_HEAD + '[event]\nstart = 2018-04-25T09:00:00\n[th]\ntitle = "x"\n',
            5,
            1,
            "OPDC115",
            "'start' has no time zone",
        ),
        (
            "id = 7\n" + GOOD_HEAD + '[th]\ntitle = "x\n',
            5,
            11,
            "OPDC101",
            "TOML syntax error:",
        ),
    ],
)
def test_a_toml_article_error_names_its_line_and_column(
    tmp_path: Path, config: SiteConfig, text: str, line: int, col: int, code: str, message: str
) -> None:
    error = error_reading(tmp_path / "articles" / "7.toml", text, config)
    assert (error.line, error.col, error.code) == (line, col, code)
    assert message in error.message
    assert str(error).startswith(f"{tmp_path / 'articles' / '7.toml'}:{line}:{col}: ")


DATED = 'id = 7\ncategory = "headline"\ndate = '
TITLED = '[th]\ntitle = "x"\n'


@pytest.mark.parametrize(
    ("text", "line", "col", "code", "message"),
    [
        # Nested past what tomli accepts: the place where it gives up, not a traceback.
        (
            "id = 7\n" + GOOD_HEAD + "x = " + "[" * 500 + "]" * 500 + "\n" + TITLED,
            4,
            405,
            "OPDC101",
            "TOML nested too deeply",
        ),
        (
            "id = 7\n" + GOOD_HEAD + "x = " + "{a = " * 450 + "1" + "}" * 450 + "\n" + TITLED,
            4,
            None,
            "OPDC101",
            "TOML nested too deeply",
        ),
        ("id = 7\n" + GOOD_HEAD + TITLED + ".".join("a" * 1100) + " = 1\n", 6, None, "OPDC101", ""),
        # Years Python cannot move to UTC, or that no calendar shown holds.
        (DATED + "0001-01-01T00:00:00+14:00\n" + TITLED, 3, 1, "OPDC115", "1900–2399"),
        (DATED + "9999-12-31T23:59:59-12:00\n" + TITLED, 3, 1, "OPDC115", "1900–2399"),
        (DATED + "1899-12-31T23:00:00-07:00\n" + TITLED, 3, 1, "OPDC115", "1900–2399"),
        (DATED + "1900-01-01T05:00:00+07:00\n" + TITLED, 3, 1, "OPDC115", "(in UTC too)"),
        (DATED + "2400-01-01T00:00:00+07:00\n" + TITLED, 3, 1, "OPDC115", "1900–2399"),
        (
            "id = 7\n"
            + GOOD_HEAD
            + "[event]\nstart = 0001-01-01\nend = 0001-01-01T00:00:00+14:00\n"
            + TITLED,
            5,
            1,
            "OPDC115",
            "event start: the year must lie in 1900–2399",
        ),
        (
            "id = 7\n" + GOOD_HEAD + "[event]\nstart = 2018-04-25\nend = 9999-12-31\n" + TITLED,
            6,
            1,
            "OPDC115",
            "event end: the year",
        ),
        (
            "id = 7\n" + GOOD_HEAD + "[event]\nstart = 2018-04-25\nend = 2018-04-24\n" + TITLED,
            6,
            1,
            "OPDC502",
            "the event ends (2018-04-24) before it starts (2018-04-25): fix start or end",
        ),
        (
            "id = 7\n" + GOOD_HEAD + '[th]\ntitle = "' + "ก" * 2001 + '"\n',
            5,
            1,
            "OPDC405",
            "'title' is 2,001 characters long, more than the 2,000 it may have",
        ),
        (
            "id = 7\n" + GOOD_HEAD + 'tags = ["' + "x" * 3000 + '"]\n' + TITLED,
            4,
            1,
            "OPDC405",
            "'tags' is 3,000 characters long",
        ),
        (
            "id = 7\n" + GOOD_HEAD + TITLED + 'body = "' + "ข" * 200_001 + '"\n',
            6,
            1,
            "OPDC405",
            "'body' is 200,001 characters long, more than the 200,000",
        ),
        (
            "id = 7\n" + GOOD_HEAD + TITLED + 'body = "' + "ข" * 1_500_000 + '"\n',
            1,
            1,
            "OPDC104",
            "larger than the 4 MB an article file may be",
        ),
    ],
)
def test_what_no_article_needs_is_refused_at_its_place(
    tmp_path: Path,
    config: SiteConfig,
    text: str,
    line: int,
    col: int | None,
    code: str,
    message: str,
) -> None:
    error = error_reading(tmp_path / "articles" / "7.toml", text, config)
    assert (error.line, error.code) == (line, code)
    if col is not None:
        assert error.col == col
    assert message in error.message


def test_a_text_form_body_too_long_is_refused_where_it_starts(
    tmp_path: Path, config: SiteConfig
) -> None:
    text = "+++\nid = 7\n" + GOOD_HEAD + 'title = "x"\n+++\n' + "ค" * 200_001 + "\n"
    error = error_reading(tmp_path / "7.th.txt", text, config)
    assert (error.line, error.col, error.code) == (7, 1, "OPDC405")


def test_names_that_look_like_articles_are_told_how_to_be_one() -> None:
    assert store.misnamed("26471.toml") is None
    assert store.misnamed("notes.txt") is None
    assert store.misnamed("26471-draft.toml") is None
    for name, fixed in [
        ("26471 .toml", "26471.toml"),
        ("26471.TOML", "26471.toml"),
        ("๒๖๔๗๑.toml", "26471.toml"),
        ("26471.th.TXT", "26471.th.txt"),
    ]:
        why = store.misnamed(name)
        assert why is not None and why.endswith(f"rename it {fixed}"), name
        assert store.classify(Path(name)) is None
    assert "regular file" in (store.misnamed("26471.toml", regular=False) or "")
    assert "15 digits" in (store.misnamed(f"{10**15}.toml") or "")
    assert store.classify(Path(f"{10**15 - 1}.toml")) is not None


def text_article(front: str, body: str = "เนื้อหา\n") -> str:
    return f"+++\n{front}+++\n\n{body}"


@pytest.mark.parametrize(
    ("text", "line", "col", "code", "message"),
    [
        (
            text_article('id = 7\ncategory = "sport"\ndate = 2018-04-27T09:30:00+07:00\n'),
            3,
            1,
            "OPDC114",
            "unknown category 'sport'",
        ),
        (
            text_article('id = 7\ncategory = "headline"\ndate = 2018-04-27 09:30:00\n'),
            4,
            1,
            "OPDC115",
            "'date' has no time zone",
        ),
        (
            text_article("id = 7\n" + GOOD_HEAD + 'title = "x"\nbody = "no"\n'),
            6,
            1,
            "OPDC111",
            "unknown key 'body'",
        ),
        (
            text_article("id = 7\n" + GOOD_HEAD + 'title = "x\n'),
            5,
            11,
            "OPDC101",
            "TOML syntax error:",
        ),
        ("id = 7\n+++\nbody\n", 1, 1, "OPDC103", "must start with a '+++' line"),
        ("+++\nid = 7\n" + GOOD_HEAD, 5, 1, "OPDC103", "the front matter is not closed"),
    ],
)
def test_a_text_article_error_counts_lines_from_the_top_of_the_file(
    tmp_path: Path, config: SiteConfig, text: str, line: int, col: int, code: str, message: str
) -> None:
    error = error_reading(tmp_path / "7.th.txt", text, config)
    assert (error.line, error.col, error.code) == (line, col, code)
    assert message in error.message


def test_a_text_file_in_a_language_the_site_lacks(tmp_path: Path, config: SiteConfig) -> None:
    error = error_reading(
        tmp_path / "7.fr.txt", text_article("id = 7\n" + GOOD_HEAD + 'title = "x"\n'), config
    )
    assert error.code == "OPDC117"
    assert "language 'fr'" in error.message


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("7.toml", "id = 7\n" + GOOD_HEAD + '[th]\ntitle = "ข่าวประชาสัมพันธ์"\n', 5),
        ("7.th.txt", text_article("id = 7\n" + GOOD_HEAD + 'title = "ข่าวประชาสัมพันธ์"\n'), 5),
    ],
)
def test_a_cp874_file_is_named_as_such(
    tmp_path: Path, config: SiteConfig, name: str, text: str, line: int
) -> None:
    error = error_reading(tmp_path / name, text.encode("cp874"), config)
    assert error.code == "OPDC102"
    assert "TIS-620/cp874" in error.message
    assert "iconv -f cp874 -t utf-8" in error.message
    assert (error.line, error.col) == (line, len('title = "') + 1)


def test_other_bytes_that_are_not_utf8(tmp_path: Path, config: SiteConfig) -> None:
    text = ("id = 7\n" + GOOD_HEAD + '[th]\ntitle = "ไทย').encode() + b'\xff\xfe"\n'
    error = error_reading(tmp_path / "7.toml", text, config)
    assert error.code == "OPDC102"
    assert "TIS-620" not in error.message
    assert "byte 0xff" in error.message
    # The column counts characters: the three Thai letters are one column each.
    assert (error.line, error.col) == (5, len('title = "ไทย') + 1)


def test_a_byte_order_mark_is_read_past(tmp_path: Path, config: SiteConfig) -> None:
    path = tmp_path / "7.th.txt"
    path.write_bytes(
        b"\xef\xbb\xbf" + text_article("id = 7\n" + GOOD_HEAD + 'title = "x"\n').encode()
    )
    assert read_one(path, config).translations["th"].body == "เนื้อหา"


def test_crlf_files_read_like_lf_files(tmp_path: Path, config: SiteConfig) -> None:
    text = text_article("id = 7\n" + GOOD_HEAD + 'title = "x"\n', "ย่อหน้า 1\n\nย่อหน้า 2\n")
    (tmp_path / "lf").mkdir()
    (tmp_path / "crlf").mkdir()
    (tmp_path / "lf" / "7.th.txt").write_text(text, encoding="utf-8")
    (tmp_path / "crlf" / "7.th.txt").write_bytes(text.replace("\n", "\r\n").encode())
    lf = read_one(tmp_path / "lf" / "7.th.txt", config)
    crlf = read_one(tmp_path / "crlf" / "7.th.txt", config)
    assert crlf == lf
    assert crlf.translations["th"].paragraphs == ["ย่อหน้า 1", "ย่อหน้า 2"]


def test_text_parts_merge_captions_and_places_by_language(
    tmp_path: Path, config: SiteConfig
) -> None:
    shared = "id = 7\n" + GOOD_HEAD
    (tmp_path / "7.th.txt").write_text(
        text_article(
            shared + 'title = "ข่าว"\n\n[event]\nstart = 2018-04-25\nplace = "ฮานอย"\n\n'
            '[[photos]]\nfile = "a.jpg"\ncaption = "ภาพ ก"\n\n[[photos]]\nfile = "b.jpg"\n'
        ),
        encoding="utf-8",
    )
    (tmp_path / "7.en.txt").write_text(
        text_article(
            shared + 'title = "News"\n\n[event]\nstart = 2018-04-25\nplace = "Hanoi"\n\n'
            '[[photos]]\nfile = "b.jpg"\ncaption = "Photo B"\n',
            "Body\n",
        ),
        encoding="utf-8",
    )
    article = read_folder(tmp_path, config)
    assert article.languages == ("th", "en")
    assert article.photos == (
        Photo("a.jpg", {"th": "ภาพ ก"}),
        Photo("b.jpg", {"en": "Photo B"}),
    )
    assert article.event == Event(date(2018, 4, 25), None, {"th": "ฮานอย", "en": "Hanoi"})
    assert [p.name for p in article.sources] == ["7.th.txt", "7.en.txt"]


def test_a_photo_listed_twice_keeps_both_captions_in_the_text_form(
    tmp_path: Path, config: SiteConfig, make_article: MakeArticle
) -> None:
    photos = (
        Photo("a.jpg", {"th": "หนึ่ง", "en": "one"}),
        Photo("b.jpg", {"en": "bee"}),
        Photo("a.jpg", {"th": "สอง", "en": "two"}),
    )
    article = make_article(7, photos=photos)
    assert write_and_read(article, tmp_path, "txt", config).photos == photos


# --- finding and grouping files -------------------------------------------------------


def test_scan_finds_articles_in_any_subfolder_and_skips_the_rest(tmp_path: Path) -> None:
    for name in (
        "1.toml",
        "2018/04/2.th.txt",
        "2018/04/2.en.txt",
        "deep/a/b/c/3.toml",
        "notes.txt",
        "4.TOML",
        "5.thai.txt",
        "x5.toml",
        ".6.toml",
        ".hidden/7.toml",
        "2018/.8.toml.abc.tmp",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")
    (tmp_path / "dir.toml").mkdir()
    found = store.scan(tmp_path)
    assert [(f.path.relative_to(tmp_path).as_posix(), f.id, f.lang) for f in found] == [
        ("1.toml", 1, None),
        ("2018/04/2.en.txt", 2, "en"),
        ("2018/04/2.th.txt", 2, "th"),
        ("deep/a/b/c/3.toml", 3, None),
    ]
    assert store.scan(tmp_path / "missing") == []


def test_scan_does_not_follow_a_folder_link_out_of_articles(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "9.toml").write_text("", encoding="utf-8")
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "link").symlink_to(outside, target_is_directory=True)
    assert store.scan(articles) == []


def test_two_files_claiming_one_id_are_a_problem_not_a_merge(tmp_path: Path) -> None:
    files = [
        store.ArticleFile(tmp_path / "a" / "5.toml", 5, None),
        store.ArticleFile(tmp_path / "b" / "5.th.txt", 5, "th"),
        store.ArticleFile(tmp_path / "c" / "6.th.txt", 6, "th"),
        store.ArticleFile(tmp_path / "c" / "6.en.txt", 6, "en"),
        store.ArticleFile(tmp_path / "d" / "6.th.txt", 6, "th"),
    ]
    groups, problems = store.group(files)
    assert [f.path for f in groups[5]] == [tmp_path / "a" / "5.toml"]
    assert {f.lang for f in groups[6]} == {"th", "en"}
    assert [(p.path, p.code) for p in problems] == [
        (tmp_path / "b" / "5.th.txt", "OPDC120"),
        (tmp_path / "d" / "6.th.txt", "OPDC120"),
    ]
    assert "duplicate id 5" in problems[0].message


# --- writing --------------------------------------------------------------------------


def test_an_exclusive_write_never_overwrites(
    tmp_path: Path, config: SiteConfig, make_article: MakeArticle
) -> None:
    store.write_article(make_article(7), tmp_path, "toml", config.languages)
    before = (tmp_path / "7.toml").read_bytes()
    changed = make_article(7, category="activities")
    with pytest.raises(FileExistsError):
        store.write_article(changed, tmp_path, "toml", config.languages, exclusive=True)
    assert (tmp_path / "7.toml").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["7.toml"]


def test_writes_leave_no_temporary_files(
    tmp_path: Path, config: SiteConfig, make_article: MakeArticle
) -> None:
    article = make_article(7)
    store.write_article(article, tmp_path, "txt", config.languages)
    store.write_article(article, tmp_path, "txt", config.languages)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["7.en.txt", "7.th.txt"]
    assert oct((tmp_path / "7.th.txt").stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_toml_form_is_readable_in_a_diff(config: SiteConfig, make_article: MakeArticle) -> None:
    text = store.article_to_toml(make_article(7), config.languages)
    assert (
        text.index("[event]") < text.index("[th]") < text.index("[en]") < text.index("[[photos]]")
    )
    assert 'body = """\nสำนักงาน' in text
    assert "date = 2018-04-27 16:30:00+07:00\n" in text
    assert 'tags = ["GovLab", "Design Thinking"]\n' in text
    assert tomli.loads(text)["th"]["credit"].endswith("/ จัดทำ")


def test_single_line_fields_keep_their_carriage_returns_in_the_toml_form(
    config: SiteConfig, make_article: MakeArticle, tmp_path: Path
) -> None:
    odd = Translation(title="a\r\nb", summary="c\r\nd", credit="e\r\nf", body="g")
    article = make_article(7, translations={"th": odd})
    assert write_and_read(article, tmp_path, "toml", config).translations["th"] == odd


def test_save_converts_forms_and_removes_the_old_file(make_site: MakeSite) -> None:
    root = make_site()
    site = Site.open(root)
    article = site.article(1001)
    written = site.save(article, "txt")
    assert [p.name for p in written] == ["1001.th.txt", "1001.en.txt"]
    assert not (root / "articles" / "2018" / "1001.toml").exists()
    again = site.article(1001)
    assert again == article
    assert again.form == "txt"
    site.save(again, "toml")
    assert sorted(p.name for p in (root / "articles" / "2018").iterdir()) == [
        "1001.toml",
        "1002.toml",
        "1003.toml",
    ]


# --- new ids --------------------------------------------------------------------------


def make_new(site: Site, make_article: MakeArticle) -> Article:
    article, _ = site.create(lambda new_id: make_article(new_id, photos=()))
    return article


def test_a_new_id_is_the_largest_plus_one(make_site: MakeSite, make_article: MakeArticle) -> None:
    site = Site.open(make_site())
    article = make_new(site, make_article)
    assert article.id == 1004
    assert (site.media_dir / "1004").is_dir()
    assert article.sources == (site.articles_dir / "2018" / "1004.toml",)
    assert site.article(1004) == article


def test_a_new_id_is_never_below_the_first_id(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    site = Site.open(make_site(first_id=26461))
    assert make_new(site, make_article).id == 26461
    assert make_new(site, make_article).id == 26462


def test_an_id_whose_media_folder_exists_is_not_reused(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    site = Site.open(make_site())
    (site.media_dir / "1004").mkdir(parents=True)
    (site.media_dir / "1005").mkdir()
    assert make_new(site, make_article).id == 1006


def test_a_failed_write_gives_its_id_back(make_site: MakeSite, make_article: MakeArticle) -> None:
    site = Site.open(make_site())

    def broken(new_id: int) -> Article:
        raise RuntimeError("the article could not be made")

    with pytest.raises(RuntimeError):
        site.create(broken)
    assert not (site.media_dir / "1004").exists()
    assert make_new(site, make_article).id == 1004


def test_a_taken_file_name_moves_on_to_the_next_id(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    root = make_site()
    site = Site.open(root)
    # A file written by hand at the moment of creation, without a media folder.
    seen = []

    def make(new_id: int) -> Article:
        seen.append(new_id)
        if len(seen) == 1:
            (root / "articles" / "2018" / f"{new_id}.toml").write_text("taken", encoding="utf-8")
        return make_article(new_id, photos=())

    article, _ = site.create(make)
    assert seen == [1004, 1005]
    assert article.id == 1005
    assert (root / "articles" / "2018" / "1004.toml").read_text(encoding="utf-8") == "taken"
    assert not (site.media_dir / "1004").exists()


def test_threads_creating_at_once_get_different_ids(
    make_site: MakeSite, make_article: MakeArticle
) -> None:
    root = make_site()
    ids: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def work() -> None:
        try:
            site = Site.open(root)
            start.wait()
            ids.append(make_new(site, make_article).id)
        except BaseException as exc:  # reported below, with the ids
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(ids) == list(range(1004, 1016))
    site = Site.open(root)
    assert sorted(a.id for a in site.articles()) == [1001, 1002, 1003, *range(1004, 1016)]
    assert not site.problems


# --- where keys are written -----------------------------------------------------------

KEY = st.text(st.sampled_from(list("ab-_ .\"'=\\ก")), min_size=1, max_size=6)
VALUE = st.one_of(TEXT, st.integers(), st.lists(TEXT, max_size=2), WHEN)
SECTION = st.dictionaries(KEY, VALUE, min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    top=SECTION,
    tables=st.lists(st.tuples(st.sampled_from(["th", "x.y", "photos"]), SECTION), max_size=4),
    multiline=st.booleans(),
    indent=st.sampled_from(["", "  ", "\t"]),
)
def test_key_positions_finds_every_key_where_it_is_written(
    top: dict[str, object],
    tables: list[tuple[str, dict[str, object]]],
    multiline: bool,
    indent: str,
) -> None:
    lines: list[str] = []
    expected: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def emit(prefix: tuple[str | int, ...], section: dict[str, object]) -> None:
        for key, value in section.items():
            chunk = tomli_w.dumps({key: value}, multiline_strings=multiline)
            expected.setdefault((*prefix, key), (len(lines) + 1, len(indent) + 1))
            first, *rest = chunk.rstrip("\n").split("\n")
            lines.append(indent + first)
            lines.extend(rest)

    emit((), top)
    photos = 0
    seen: set[str] = set()
    for name, section in tables:
        if name == "photos":
            lines.append("[[photos]]")
            emit(("photos", photos), section)
            photos += 1
        elif name not in seen:
            seen.add(name)
            lines.append(f"[{name}]")
            emit(tuple(name.split(".")), section)
    text = "\n".join(lines) + "\n"
    tomli.loads(text)  # the document is valid TOML
    positions = key_positions(text)
    for path, place in expected.items():
        assert positions.get(path) == place, (path, text)


def test_key_positions_on_hand_written_toml() -> None:
    text = (
        "# a comment\n"
        'title = "x"  # trailing\n'
        'body = """\n'
        "id = 99\n"
        "[fake]\n"
        '\\""" still inside\n'
        '"""\n'
        "\n"
        "[ th ]\n"
        '"quoted key" = 1\n'
        '"esc\\u0061ped" = 2\n'
        "a.b = 3\n"
        "\n"
        "[[photos]]\n"
        'file = "1.jpg"\n'
        "[[photos]]  # the second\n"
        "  file = '2.jpg'\n"
        "body2 = '''\n"
        "file = 3\n"
        "'''\n"
        "tags = [\n"
        '  "a", # a comment ]\n'
        "  [1, 2],\n"
        '  """\n'
        "caption = 1\n"
        '[th]""",\n'
        "]\n"
        'quote = """ends with a quote""""\n'
        "caption = 'x'\n"
    )
    assert tomli.loads(text)["photos"][1]["tags"][2] == "caption = 1\n[th]"
    assert tomli.loads(text)["photos"][1]["quote"] == 'ends with a quote"'
    positions = key_positions(text)
    assert positions[("title",)] == (2, 1)
    assert positions[("body",)] == (3, 1)
    assert ("id",) not in positions
    assert ("fake",) not in positions
    assert positions[("th",)] == (9, 1)
    assert positions[("th", "quoted key")] == (10, 1)
    assert positions[("th", "escaped")] == (11, 1)
    assert positions[("th", "a", "b")] == (12, 1)
    assert positions[("photos",)] == (14, 1)
    assert positions[("photos", 0, "file")] == (15, 1)
    assert positions[("photos", 1)] == (16, 1)
    assert positions[("photos", 1, "file")] == (17, 3)
    assert ("photos", 1, "file", 3) not in positions
    assert positions[("photos", 1, "tags")] == (21, 1)
    assert positions[("photos", 1, "quote")] == (28, 1)
    assert positions[("photos", 1, "caption")] == (29, 1)
    assert ("1",) not in positions
    assert ("th", "quote") not in positions
    assert max(positions.values()) == (29, 1)
    assert locate(positions, ("th", "a")) == (9, 1)
    assert locate(positions, ("photos", 1, "alt")) == (16, 1)
    assert locate(positions, ("missing",)) is None


def test_an_exclusive_text_form_write_is_all_or_nothing(
    tmp_path: Path, config: SiteConfig, make_article: MakeArticle
) -> None:
    (tmp_path / "7.en.txt").write_text("someone else's", encoding="utf-8")
    with pytest.raises(FileExistsError):
        store.write_article(make_article(7), tmp_path, "txt", config.languages, exclusive=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["7.en.txt"]
    assert (tmp_path / "7.en.txt").read_text(encoding="utf-8") == "someone else's"


TH_PART = (
    'id = 7\ncategory = "headline"\ndate = 2018-04-27T09:30:00+07:00\ntitle = "ข่าว"\n\n'
    '[event]\nstart = 2018-04-25\nplace = "ฮานอย"\n\n[[photos]]\nfile = "a.jpg"\n'
)
EN_DATE = "date = 2018-04-27T09:30:00+07:00\n"


@pytest.mark.parametrize(
    ("en_front", "line"),
    [
        # +++, id, category, date: the date differs, on line 4.
        ('id = 7\ncategory = "headline"\ndate = 2018-04-28T09:30:00+07:00\ntitle = "News"\n', 4),
        # A photo the Thai file does not have: its [[photos]] header on line 7.
        (
            f'id = 7\ncategory = "headline"\n{EN_DATE}title = "News"\n\n'
            '[[photos]]\nfile = "z.jpg"\n',
            7,
        ),
        # The event on other days: its [event] header on line 7.
        (
            f'id = 7\ncategory = "headline"\n{EN_DATE}title = "News"\n\n'
            "[event]\nstart = 2018-04-26\n",
            7,
        ),
    ],
)
def test_a_language_file_that_disagrees_with_the_primary_one_is_reported(
    tmp_path: Path, config: SiteConfig, en_front: str, line: int
) -> None:
    (tmp_path / "7.th.txt").write_text(text_article(TH_PART), encoding="utf-8")
    en_path = tmp_path / "7.en.txt"
    en_path.write_text(text_article(en_front, "Body\n"), encoding="utf-8")
    article, problems = store.check_article(store.scan(tmp_path), config)
    assert article is not None
    assert [(p.code, p.path, p.line) for p in problems] == [("OPDC122", en_path, line)]


def test_a_language_file_may_caption_only_some_photos(tmp_path: Path, config: SiteConfig) -> None:
    (tmp_path / "7.th.txt").write_text(text_article(TH_PART), encoding="utf-8")
    en = f'id = 7\ncategory = "headline"\n{EN_DATE}title = "News"\n'
    (tmp_path / "7.en.txt").write_text(text_article(en, "Body\n"), encoding="utf-8")
    article, problems = store.check_article(store.scan(tmp_path), config)
    assert problems == []
    assert article is not None and article.photos[0].file == "a.jpg"


def test_an_imported_articles_source_is_kept_in_both_forms(
    tmp_path: Path, config: SiteConfig
) -> None:
    article = Article(
        id=7,
        category="headline",
        date=datetime(2018, 4, 27, 9, 30, tzinfo=BANGKOK),
        translations={"th": Translation("หัวข้อ", "เนื้อหา"), "en": Translation("Title", "Body")},
        source="wordpress:https://example.org/?p=123",
    )
    for form in ("toml", "txt"):
        folder = tmp_path / form
        folder.mkdir()
        paths = store.write_article(article, folder, form, config.languages)
        assert all(
            'source = "wordpress:https://example.org/?p=123"\n' in p.read_text() for p in paths
        )
        assert read_folder(folder, config).source == article.source


def test_a_source_that_is_not_a_string_is_named(tmp_path: Path, config: SiteConfig) -> None:
    path = tmp_path / "8.toml"
    path.write_text(
        'id = 8\ncategory = "headline"\ndate = 2018-04-27T09:30:00+07:00\nsource = 5\n'
        '[th]\ntitle = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(OpdcError, match="'source' must be a string") as caught:
        read_folder(tmp_path, config)
    assert (caught.value.line, caught.value.code) == (4, "OPDC112")
