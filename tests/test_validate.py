"""opdc validate: every check, found in one run, at its exact place.

tests/data/validate/site holds one article broken in each known way; the
`broken_site` fixture copies it and makes its photos with Pillow (a good one, a
text file named .jpg, a truncated JPEG, too many pixels, a file over the size
limit, a link out of the folder, unused files).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from conftest import MakeArticle, build_article, write_jpeg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from opdc_cli import store
from opdc_cli.cli import app
from opdc_cli.errors import OpdcError
from opdc_cli.gallery import made_names
from opdc_cli.report import github_lines, json_text, summary, text_lines
from opdc_cli.scaffold import init_site
from opdc_cli.site import check_config
from opdc_cli.textio import visible
from opdc_cli.validate import POOL_THRESHOLD, Problem, Result, check_image, validate_site

DATA = Path(__file__).parent / "data" / "validate" / "site"
REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Bangkok"))
A = "articles/2018"

# Every problem of the broken site: (path, line, col, code, severity). One run must
# find exactly these, whatever else is broken beside them.
EXPECTED = {
    ("site.toml", 6, 1, "OPDC001", "error"),  # colour = "blue"
    ("site.toml", 26, 1, "OPDC002", "error"),  # [feed] limit = "20"
    (f"{A}/1002.toml", 6, 39, "OPDC101", "error"),  # a string left open
    (f"{A}/1003.toml", 6, 10, "OPDC102", "error"),  # TIS-620 bytes, first Thai letter
    (f"{A}/1004.th.txt", 1, 1, "OPDC103", "error"),  # no +++ fence
    (f"{A}/1005.toml", 6, 1, "OPDC110", "error"),  # [th] has no title...
    (f"{A}/1005.toml", 7, 1, "OPDC111", "error"),  # ...because it is spelled titel
    (f"{A}/1006.toml", 1, 1, "OPDC112", "error"),  # id = "1006"
    (f"{A}/1007.toml", 1, 1, "OPDC113", "error"),  # id = 1070
    (f"{A}/1008.toml", 2, 1, "OPDC114", "error"),  # category = "headlines"
    (f"{A}/1009.toml", 3, 1, "OPDC115", "error"),  # a date without its offset
    (f"{A}/1010.toml", 4, 1, "OPDC116", "error"),  # status = "publish"
    (f"{A}/1011.fr.txt", 1, 1, "OPDC117", "error"),  # fr is not a site language
    (f"{A}/1012.toml", 1, 1, "OPDC118", "error"),  # English only
    (f"{A}/1013.toml", 5, 1, "OPDC119", "error"),  # [th] without a body
    (f"{A}/more/1014.toml", 1, 1, "OPDC120", "error"),  # 1014.toml has the id
    (f"{A}/more/1015.th.txt", 1, 1, "OPDC120", "error"),  # 1015.th.txt has id and language
    (f"{A}/1016.toml", 1, 1, "OPDC121", "warning"),  # no English
    (f"{A}/1017.toml", 14, 1, "OPDC301", "error"),  # ../1001/img1001_1.jpg
    (f"{A}/1017.toml", 19, 1, "OPDC301", "error"),  # /etc/passwd
    (f"{A}/1017.toml", 24, 1, "OPDC301", "error"),  # a symbolic link out of media/1017/
    (f"{A}/1018.toml", 14, 1, "OPDC302", "error"),  # a text file named .jpg
    (f"{A}/1019.toml", 14, 1, "OPDC303", "error"),  # 400x300 > media.max_pixels
    (f"{A}/1020.toml", 14, 1, "OPDC304", "error"),  # 1.1 MB > media.max_file_mb
    (f"{A}/1021.toml", 14, 1, "OPDC305", "error"),  # no such file
    (f"{A}/1022.toml", 13, 1, "OPDC306", "error"),  # no Thai caption
    (f"{A}/1022.toml", 17, 1, "OPDC307", "warning"),  # no English caption
    (f"{A}/1023.toml", 14, 1, "OPDC308", "warning"),  # not resized yet
    ("media/1001/extra.jpg", None, None, "OPDC309", "warning"),  # not listed by 1001
    ("media/1024/img1024_1.jpg", None, None, "OPDC309", "warning"),  # no article 1024
    (f"{A}/1025.toml", 6, 33, "OPDC401", "error"),  # \u0007 in the title
    (f"{A}/1025.toml", 7, 42, "OPDC401", "error"),  # a raw U+0093 in the summary
    (f"{A}/1026.th.txt", 10, 22, "OPDC401", "error"),  # a raw U+0001 in the body
    (f"{A}/1027.toml", 10, 1, "OPDC402", "warning"),  # three blank lines
    (f"{A}/1027.toml", 12, 34, "OPDC403", "warning"),  # spaces at the end
    (f"{A}/1027.toml", 14, 17, "OPDC404", "warning"),  # javascript:
    (f"{A}/1027.toml", 14, 42, "OPDC404", "warning"),  # ftp://
    (f"{A}/1028.toml", 3, 1, "OPDC501", "info"),  # published in 2300
    (f"{A}/1029.toml", 7, 1, "OPDC502", "error"),  # ends before it starts
    (f"{A}/1030.toml", 6, 1, "OPDC115", "error"),  # event start 2561
    (f"{A}/1031.en.txt", 11, 1, "OPDC307", "warning"),  # text form, second [[photos]]
}


def _outputs(original: Path) -> None:
    """The web size and thumbnail of `original` (and its share image, if it is its
    article's first photo, img<id>_1), newer than it (as a resize leaves them)."""
    for name in made_names(original.name, first=original.stem.endswith("_1")):
        made = write_jpeg(original.with_name(name))
        stat = original.stat()
        os.utime(made, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**10))


def _noise_jpeg(path: Path) -> bytes:
    rng = random.Random(1)
    pixels = bytes(rng.randrange(256) for _ in range(64 * 48 * 3))
    Image.frombytes("RGB", (64, 48), pixels).save(path, "JPEG", quality=95)
    return path.read_bytes()


@pytest.fixture
def broken_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(DATA, root)
    media = root / "media"
    for name in (
        "1001/img1001_1.jpg",
        "1022/img1022_1.jpg",
        "1022/img1022_2.jpg",
        "1031/img1031_1.jpg",
        "1031/img1031_2.jpg",
    ):
        _outputs(write_jpeg(media / name))
    write_jpeg(media / "1001" / "extra.jpg")
    write_jpeg(media / "1023" / "img1023_1.jpg")
    write_jpeg(media / "1024" / "img1024_1.jpg")
    outside = write_jpeg(tmp_path / "outside.jpg")
    (media / "1017").mkdir()
    (media / "1017" / "link.jpg").symlink_to(outside)
    (media / "1018").mkdir()
    (media / "1018" / "img1018_1.jpg").write_bytes(b"not a photo\n")
    truncated = media / "1018" / "img1018_2.jpg"
    data = _noise_jpeg(truncated)
    truncated.write_bytes(data[: len(data) * 6 // 10])
    _outputs(truncated)
    (media / "1019").mkdir()
    Image.new("RGB", (400, 300)).save(media / "1019" / "img1019_1.png")
    big = write_jpeg(media / "1020" / "img1020_1.jpg")
    with big.open("ab") as handle:
        # JPEG readers ignore what follows the image: only the file size is wrong.
        handle.write(bytes(1100 * 1024))
    _outputs(big)
    return root


def places(result: Result, root: Path) -> set[tuple[str, int | None, int | None, str, str]]:
    return {
        (p.path.relative_to(root).as_posix(), p.line, p.col, p.code, p.severity)
        for p in result.problems
    }


# --- one run finds everything, each at its place --------------------------------------


def test_one_run_reports_every_problem_at_its_place(broken_site: Path) -> None:
    result = validate_site(broken_site, now=NOW)
    assert places(result, broken_site) == EXPECTED
    assert result.articles == 30
    # Sorted by path and place, and the clean article 1001 has only its unused file.
    assert result.problems == sorted(result.problems, key=lambda p: p.sort_key)
    assert [p.code for p in result.problems if p.article == 1001] == ["OPDC309"]


def test_messages_say_what_to_do(broken_site: Path) -> None:
    by_code = {
        (p.path.name, p.code): p.message for p in validate_site(broken_site, now=NOW).problems
    }
    assert "did you mean 'title'?" in by_code[("1005.toml", "OPDC111")]
    assert "TIS-620/cp874" in by_code[("1003.toml", "OPDC102")]
    assert "did you mean 'headline'?" in by_code[("1008.toml", "OPDC114")]
    assert "articles/2018/1014.toml has it already" in by_code[("1014.toml", "OPDC120")]
    assert "in th: articles/2018/1015.th.txt" in by_code[("1015.th.txt", "OPDC120")]
    assert "add [en]" in by_code[("1016.toml", "OPDC121")]
    assert "symbolic link" in by_code[("1017.toml", "OPDC301")]
    assert "120,000 pixels" in by_code[("1019.toml", "OPDC303")]
    assert "run opdc media resize 1023" in by_code[("1023.toml", "OPDC308")]
    assert "U+0093" in by_code[("1025.toml", "OPDC401")]
    assert "write 2018" in by_code[("1030.toml", "OPDC115")]
    assert 'add caption = "…"' in by_code[("1031.en.txt", "OPDC307")]


def test_deep_decodes_every_photo(broken_site: Path) -> None:
    shallow = validate_site(broken_site, [broken_site / "media" / "1018"])
    deep = validate_site(broken_site, [broken_site / "media" / "1018"], deep=True)
    assert [(p.line, p.code) for p in shallow.problems] == [(14, "OPDC302")]
    assert [(p.line, p.code) for p in deep.problems] == [(14, "OPDC302"), (19, "OPDC302")]
    assert "truncated" in deep.problems[1].message


def test_without_now_nothing_is_scheduled(broken_site: Path) -> None:
    codes = {p.code for p in validate_site(broken_site).problems}
    assert "OPDC501" not in codes


def test_a_pool_finds_the_same_as_one_process(tmp_path: Path, make_article: MakeArticle) -> None:
    root = tmp_path / "big"
    init_site(root)
    folder = root / "articles" / "2018"
    count = POOL_THRESHOLD + 20
    for article_id in range(1, count + 1):
        article = make_article(article_id, photos=())
        store.write_article(article, folder, "txt" if article_id % 7 == 0 else "toml", ("th", "en"))
    (folder / "5.toml").write_text('id = 5\ntitle = "broken', encoding="utf-8")
    text = (folder / "14.th.txt").read_text(encoding="utf-8")
    (folder / "14.th.txt").write_text(text.replace('"headline"', '"nope"'), encoding="utf-8")
    one = validate_site(root, jobs=1)
    two = validate_site(root, jobs=2)
    assert one == two
    assert one.articles == count
    assert [(p.path.name, p.code) for p in one.problems] == [
        # The English file still says "headline": the Thai one decides.
        ("14.en.txt", "OPDC122"),
        ("14.th.txt", "OPDC114"),
        ("5.toml", "OPDC101"),
    ]


# --- which files a run covers ----------------------------------------------------------


def test_named_files_get_their_checks_and_the_site_wide_ones(broken_site: Path) -> None:
    art = broken_site / A
    only = validate_site(broken_site, [art / "1002.toml"])
    assert [(p.path.name, p.code) for p in only.problems] == [("1002.toml", "OPDC101")]
    assert only.articles == 1
    # Either file of a duplicate brings the duplicate problem.
    dup = validate_site(broken_site, [art / "1014.toml"])
    assert [(p.path.name, p.code) for p in dup.problems] == [("1014.toml", "OPDC120")]
    # A media file selects its article, whose unused files are site-wide problems.
    media = validate_site(broken_site, [broken_site / "media" / "1001" / "img1001_1.jpg"])
    assert [(p.path.name, p.code) for p in media.problems] == [("extra.jpg", "OPDC309")]
    orphan = validate_site(broken_site, [broken_site / "media" / "1024"])
    assert [(p.path.name, p.code) for p in orphan.problems] == [("img1024_1.jpg", "OPDC309")]
    config = validate_site(broken_site, [broken_site / "site.toml"])
    assert [p.code for p in config.problems] == ["OPDC001", "OPDC002"]
    # A folder: every article below it.
    folder = validate_site(broken_site, [art / "more"])
    assert {p.code for p in folder.problems} == {"OPDC120"}
    # Files of the site that are neither articles nor media are not checked.
    (broken_site / "README.md").write_text("notes\n", encoding="utf-8")
    assert validate_site(broken_site, [broken_site / "README.md"]).problems == []


def test_a_broken_site_toml_is_reported_and_articles_still_checked(broken_site: Path) -> None:
    (broken_site / "site.toml").write_text('languages = ["th", "en"\n', encoding="utf-8")
    result = validate_site(broken_site, [broken_site / A / "1002.toml"])
    assert [(p.path.name, p.line, p.code) for p in result.problems] == [
        ("1002.toml", 6, "OPDC101"),
        ("site.toml", 2, "OPDC101"),
    ]
    # Without site.toml's categories, no article's category is called unknown.
    everything = validate_site(broken_site)
    assert not [p for p in everything.problems if p.code == "OPDC114"]


def test_check_article_gives_every_problem_and_read_article_the_first(tmp_path: Path) -> None:
    config, _ = check_config(DATA / "site.toml")
    assert config is not None
    files = [f for f in store.scan(DATA / "articles") if f.id == 1005]
    article, problems = store.check_article(files, config)
    assert article is not None and article.title("en") == "A key spelled wrong"
    assert [(p.line, p.code) for p in problems] == [(7, "OPDC111"), (6, "OPDC110")]
    with pytest.raises(OpdcError) as raised:
        store.read_article(files, config)
    assert raised.value.code == "OPDC111"
    gone = store.ArticleFile(tmp_path / "9.toml", 9, None)
    article, problems = store.check_article([gone], config)
    assert article is None and [p.code for p in problems] == ["OPDC100"]


def test_check_image_refuses_a_bomb_beyond_pillows_own_limit(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("1", (20000, 12000)).save(path)
    found = check_image(path, 89_478_485)
    assert found is not None and found[0] == "OPDC303"
    assert check_image(path, 300_000_000) is None


def test_the_jpeg_header_check_agrees_with_pillows_open(tmp_path: Path) -> None:
    from opdc_cli.gallery import jpeg_size

    path = write_jpeg(tmp_path / "a.jpg", (640, 480))
    data = path.read_bytes()
    scan = data.index(b"\xff\xda")
    assert jpeg_size(path, until_scan=True) == (640, 480)
    # Cut inside the header (before the image data): Pillow cannot open it either.
    cut = tmp_path / "cut.jpg"
    for end in (2, 20, scan - 5):
        cut.write_bytes(data[:end])
        assert jpeg_size(cut, until_scan=True) is None
        found = check_image(cut, 89_478_485)
        assert found is not None and found[0] == "OPDC302"
    # Cut inside the image data: the header is whole, only a full decode finds out.
    cut.write_bytes(data[: scan + 40])
    assert check_image(cut, 89_478_485) is None
    deep = check_image(cut, 89_478_485, deep=True)
    assert deep is not None and deep[0] == "OPDC302"
    # A frame header claiming more pixels than allowed is a bomb without decoding.
    huge = bytearray(data)
    sof = data.index(b"\xff\xc0")
    huge[sof + 5 : sof + 9] = (40000).to_bytes(2, "big") + (40000).to_bytes(2, "big")
    cut.write_bytes(bytes(huge))
    found = check_image(cut, 89_478_485)
    assert found is not None and found[0] == "OPDC303"


# --- robustness: anything in a file gives problems, never an exception -----------------


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "site"
    init_site(root)
    return root


def _fuzz_run(root: Path) -> None:
    result = validate_site(root, now=NOW)
    assert all(isinstance(p, Problem) and p.code.startswith("OPDC") for p in result.problems)
    assert all(p.line is None or p.line >= 1 for p in result.problems)
    for p in result.problems:
        # Every report format copes with whatever the problems quote.
        assert "\n" not in text_lines([p], root).rstrip("\n")
    json.loads(json_text(result.problems, root))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), name=st.sampled_from(["7.toml", "7.th.txt", "7.en.txt"]))
def test_random_bytes_give_problems_not_exceptions(fuzz_site: Path, data: bytes, name: str) -> None:
    folder = fuzz_site / "articles"
    for old in folder.glob("7.*"):
        old.unlink()
    (folder / name).write_bytes(data)
    _fuzz_run(fuzz_site)


_SCALARS = (
    st.text(max_size=20)
    | st.integers(-5, 3000)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.datetimes()
    | st.datetimes(timezones=st.just(ZoneInfo("Asia/Bangkok")))
)
_KEYS = st.sampled_from(
    [
        "id",
        "category",
        "date",
        "status",
        "tags",
        "th",
        "en",
        "title",
        "body",
        "summary",
        "credit",
        "event",
        "start",
        "end",
        "place",
        "photos",
        "attachments",
        "file",
        "caption",
    ]
) | st.text(min_size=1, max_size=8)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)
_DOCUMENTS = st.dictionaries(_KEYS, _VALUES, max_size=8)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=_DOCUMENTS,
    text_form=st.booleans(),
    photo=st.binary(max_size=200),
    body=st.text(max_size=60),
)
def test_random_toml_gives_problems_not_exceptions(
    fuzz_site: Path, document: dict[str, object], text_form: bool, photo: bytes, body: str
) -> None:
    folder = fuzz_site / "articles"
    for old in folder.glob("7.*"):
        old.unlink()
    # Mostly a plausible article, then whatever hypothesis adds or replaces.
    base: dict[str, object] = {
        "id": 7,
        "category": "news",
        "date": NOW,
        "th": {"title": "ข่าว", "body": body},
        "photos": [{"file": "img7_1.jpg", "th": "ภาพ"}],
    }
    text = tomli_w.dumps({**base, **document})
    if text_form:
        (folder / "7.th.txt").write_text(f"+++\n{text}+++\n\n{body}\n", encoding="utf-8")
    else:
        (folder / "7.toml").write_text(text, encoding="utf-8")
    (fuzz_site / "media" / "7").mkdir(parents=True, exist_ok=True)
    (fuzz_site / "media" / "7" / "img7_1.jpg").write_bytes(photo)
    _fuzz_run(fuzz_site)


# --- the formats -------------------------------------------------------------------------


def test_report_formats(tmp_path: Path) -> None:
    problems = [
        Problem(tmp_path / "a" / "1.toml", 3, 5, "OPDC101", "error", "bad, 50%\nhere", 1),
        Problem(tmp_path / "media" / "x.jpg", None, None, "OPDC309", "warning", "unused", None),
        Problem(Path("/elsewhere/s.toml"), 1, 1, "OPDC501", "info", "scheduled: now", 2),
    ]
    assert text_lines(problems, tmp_path) == (
        "a/1.toml:3:5: OPDC101 bad, 50%\\nhere\n"
        "media/x.jpg: OPDC309 unused\n"
        "/elsewhere/s.toml:1:1: OPDC501 scheduled: now\n"
    )
    assert github_lines(problems, tmp_path) == (
        "::error file=a/1.toml,line=3,col=5,title=OPDC101::bad, 50%25%0Ahere\n"
        "::warning file=media/x.jpg,title=OPDC309::unused\n"
        "::notice file=/elsewhere/s.toml,line=1,col=1,title=OPDC501::scheduled: now\n"
    )
    records = json.loads(json_text(problems, tmp_path))
    assert records[0] == {
        "path": "a/1.toml",
        "line": 3,
        "col": 5,
        "code": "OPDC101",
        "severity": "error",
        "message": "bad, 50%\nhere",
        "article": 1,
    }
    assert records[1]["line"] is None and records[1]["article"] is None
    assert summary(problems, 120, tmp_path) == (
        "1 error, 1 warning, 1 info in 2 of 120 articles and media/x.jpg"
    )
    assert summary([], 1, tmp_path) == "no problems in 1 article"
    assert visible("a\x1b[2Jb\u2028") == "a\\x1b[2Jb\\u2028"


# --- the command ---------------------------------------------------------------------------


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line]


def test_cli_plain_lines_and_exit_status(
    broken_site: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(broken_site)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    lines = _lines(result.stdout)
    # Information only with --verbose.
    assert len(lines) == len(EXPECTED) - 1
    assert "articles/2018/1002.toml:6:39: OPDC101 TOML syntax error" in lines[0]
    assert "media/1024/img1024_1.jpg: OPDC309 no article has id 1024" in result.stdout
    assert "30 errors, 10 warnings in 29 of 30 articles and 2 other files" in result.stderr
    verbose = runner.invoke(app, ["validate", "--verbose"])
    assert "articles/2018/1028.toml:3:1: OPDC501 scheduled" in verbose.stdout
    assert "1 info" in verbose.stderr


def test_cli_exit_status_follows_errors_and_strict(
    broken_site: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(broken_site)
    warning_only = ["articles/2018/1016.toml"]
    loose = runner.invoke(app, ["validate", *warning_only])
    assert loose.exit_code == 0
    assert "0 errors, 1 warning in 1 of 1 article" in loose.stderr
    strict = runner.invoke(app, ["validate", "--strict", "--format", "json", *warning_only])
    assert strict.exit_code == 1
    assert [r["severity"] for r in json.loads(strict.stdout)] == ["error"]
    assert runner.invoke(app, ["validate", "articles/2018/1009.toml"]).exit_code == 1


def test_cli_clean_article_passes_strict(
    broken_site: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (broken_site / "media" / "1001" / "extra.jpg").unlink()
    monkeypatch.chdir(broken_site / "articles")
    result = runner.invoke(app, ["validate", "--strict", "2018/1001.toml"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "no problems in 1 article" in result.stderr


def test_cli_json_and_github(
    broken_site: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(broken_site)
    as_json = runner.invoke(app, ["validate", "-f", "json", "articles/2018/1027.toml"])
    assert as_json.exit_code == 0
    records = json.loads(as_json.stdout)
    assert [(r["line"], r["col"], r["code"]) for r in records] == [
        (10, 1, "OPDC402"),
        (12, 34, "OPDC403"),
        (14, 17, "OPDC404"),
        (14, 42, "OPDC404"),
    ]
    assert set(records[0]) == {"path", "line", "col", "code", "severity", "message", "article"}
    again = runner.invoke(app, ["validate", "-f", "json", "articles/2018/1027.toml"])
    assert again.stdout == as_json.stdout
    github = runner.invoke(app, ["validate", "-f", "github", "articles/2018/1002.toml"])
    assert github.exit_code == 1
    assert github.stdout.startswith(
        "::error file=articles/2018/1002.toml,line=6,col=39,title=OPDC101::TOML syntax error"
    )


def test_cli_wrong_command_lines_exit_2(
    broken_site: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(broken_site)
    missing = runner.invoke(app, ["validate", "articles/nope.toml"])
    assert missing.exit_code == 2
    assert "articles/nope.toml: no such file or folder" in missing.stderr
    outside = runner.invoke(app, ["--site", str(broken_site), "validate", str(tmp_path)])
    assert outside.exit_code == 2
    assert "is not inside the site" in outside.stderr
    assert runner.invoke(app, ["validate", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["validate", "--jobs", "0"]).exit_code == 2


def test_cli_finds_the_site_from_the_named_path(
    broken_site: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", str(broken_site / A / "1009.toml")])
    assert result.exit_code == 1
    assert "site/articles/2018/1009.toml:3:1: OPDC115" in result.stdout


def test_the_installed_command(broken_site: Path, opdc_exe: Path) -> None:
    run = subprocess.run(
        [str(opdc_exe), "validate", "--jobs", "2"],
        cwd=broken_site,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert len(_lines(run.stdout)) == len(EXPECTED) - 1
    assert run.stdout.splitlines()[0].startswith("articles/2018/1002.toml:6:39: OPDC101 ")
    assert "30 errors, 10 warnings" in run.stderr


def test_terminal_report_groups_by_file(
    broken_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from opdc_cli.cli import validate as command

    monkeypatch.chdir(broken_site)
    problems = validate_site(broken_site, [broken_site / A / "1027.toml"]).problems
    command._print_report(problems, broken_site)
    printed = capsys.readouterr().out
    assert printed.count("articles/2018/1027.toml") == 1
    assert "12:34  warning  OPDC403  whitespace at the end of the line" in printed


# --- the sample site and the pre-commit hook --------------------------------------------


def test_the_sample_site_validates_clean_with_strict(
    sample_site: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample_site)
    result = runner.invoke(app, ["validate", "--strict"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""
    assert "no problems in 5 articles" in result.stderr
    # A fresh clone gives files arbitrary times: originals newer than their web sizes
    # are still up to date, since the manifests say what they were made from.
    for original in (sample_site / "media").glob("*/img*_[0-9].jpg"):
        os.utime(original, ns=(0, original.stat().st_mtime_ns + 10**11))
    assert runner.invoke(app, ["validate", "--strict"]).exit_code == 0
    # A changed original is out of date, whatever its time.
    photo = sample_site / "media" / "26465" / "img26465_1.jpg"
    write_jpeg(photo, size=(80, 60))
    changed = runner.invoke(app, ["validate", "--strict", "media/26465"])
    assert changed.exit_code == 1
    assert "OPDC308" in changed.stdout and "opdc media resize 26465" in changed.stdout


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_the_pre_commit_hook_runs_on_staged_files(tmp_path: Path) -> None:
    # The hook repository: what `rev:` would fetch, committed into a temporary clone.
    hook = tmp_path / "hook"
    hook.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, hook / name)
    shutil.copytree(REPO / "src", hook / "src", ignore=shutil.ignore_patterns("__pycache__"))
    _git(hook, "init", "-q")
    _git(hook, "add", "-A")
    _git(hook, "commit", "-q", "-m", "hook")
    site = tmp_path / "news"
    init_site(site)
    store.write_article(
        build_article(2001, photos=()), site / "articles" / "2018", "toml", ["th", "en"]
    )
    _git(site, "init", "-q")
    _git(site, "add", "-A")
    _git(site, "commit", "-q", "-m", "site")
    # pre-commit installs the hook's package into its own environment (without
    # dependencies: they come from this test's environment through PYTHONPATH, so the
    # test needs no network) and runs its `entry` on the matching staged files.
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PIP_NO_DEPS": "1",
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
    }
    pre_commit = Path(sys.executable).parent / "pre-commit"

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(hook), "opdc-validate"],
            cwd=site,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    # Only staged files the hook's pattern matches are passed: here, none.
    (site / "notes.txt").write_text("not checked\n", encoding="utf-8")
    _git(site, "add", "notes.txt")
    skipped = try_repo()
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "(no files to check)Skipped" in skipped.stdout
    article = site / "articles" / "2018" / "2001.toml"
    good = article.read_text(encoding="utf-8")
    article.write_text(good.replace('category = "headline"', 'category = "x"'), encoding="utf-8")
    _git(site, "add", "-A")
    failed = try_repo()
    assert failed.returncode == 1
    assert "Failed" in failed.stdout
    assert "articles/2018/2001.toml:2:1: OPDC114 unknown category 'x'" in failed.stdout
    article.write_text(good.replace("สำนักงาน", "สำนักงาน ก.พ.ร."), encoding="utf-8")
    _git(site, "add", "-A")
    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
