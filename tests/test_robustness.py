"""One bad file, name or output never stops a command: each is reported for itself.

Damaged or hostile content (nesting, huge texts, impossible dates, control
characters, misnamed files) beside a good article, driven through every command;
output written to devices; and a fuzz run over mutated article files.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MakeSite, build_article
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from opdc_cli.cli import app
from opdc_cli.model import Translation

ESC_FOLDER = "x\x1b]0;title\x07"
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def invoke(runner: CliRunner, root: Path, *args: str) -> Result:
    """`opdc --site root ARGS`; any exception but a clean exit is a bug."""
    result = runner.invoke(app, ["--site", str(root), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_control_characters_in_what_messages_quote_are_shown_as_escapes(
    make_site: MakeSite, runner: CliRunner
) -> None:
    root = make_site([build_article(1001, event=None)])
    folder = root / "articles" / ESC_FOLDER
    folder.mkdir()
    good = (root / "articles" / "2018" / "1001.toml").read_text(encoding="utf-8")
    # An unknown category and an unknown key, both holding ESC sequences.
    (folder / "1002.toml").write_text(
        good.replace("id = 1001", "id = 1002")
        .replace('category = "headline"', 'category = "head\\u001b[2Jline"')
        .replace("[th]", '"k\\u001b[31m" = 1\n\n[th]', 1),
        encoding="utf-8",
    )
    for args in (
        ["list"],
        ["show", "1001"],
        ["show", "1002"],
        ["feed"],
        ["export", "--format", "json"],
        ["media", "resize"],
        ["validate"],
    ):
        result = invoke(runner, root, *args)
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr, args
        assert "\x1b" not in result.stdout, args
        if args != ["show", "1001"]:
            assert "\\x1b" in result.stderr + result.stdout, args


def test_the_html_pages_carry_no_raw_control_character(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    translations = {
        "th": Translation(
            title="ข่าว\x1b[2J\x07ด่วน", body="ย่อหน้า\x07หนึ่ง\n\nสอง\x1b[31m", credit="a\x85b\x01"
        ),
        "en": Translation(title="News\x1b]0;x\x07", summary="s\x9b1m"),
    }
    root = make_site([build_article(1001), build_article(1002, translations=translations)])
    # What validate does not check: the site's own names in site.toml.
    site_file = root / "site.toml"
    text = site_file.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^th = "(ข่าวเด่น)"$', r'th = "\1\\u001b[2J\\u0007"', text, count=1)
    site_file.write_text(text, encoding="utf-8")
    result = invoke(runner, root, "export", "--format", "html", "-o", str(tmp_path / "out"))
    # The article whose text holds control characters is stopped by the publication gate.
    assert result.exit_code == 1 and "1002.toml" in result.stderr and "OPDC401" in result.stderr
    assert "\x1b" not in result.stderr
    pages = [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".html", ".xml", ".json")]
    assert pages
    assert not (tmp_path / "out" / "th" / "news" / "1002.html").exists()
    page = (tmp_path / "out" / "th" / "news" / "1001.html").read_text(encoding="utf-8")
    assert "ข่าวเด่น[2J" in page
    for page_path in pages:
        found = RAW_CONTROL.search(page_path.read_text(encoding="utf-8"))
        assert found is None, (page_path, found)


def _device(path: Path, major: int, minor: int) -> Path:
    """A character device node like /dev/null (1, 3) or /dev/urandom (1, 9) at `path`."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("making device nodes needs root (CAP_MKNOD)")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["feed"],
        ["feed", "--atom"],
        ["export", "--format", "json"],
        ["export", "--format", "jsonl"],
        ["export", "--format", "csv"],
    ],
)
@pytest.mark.parametrize(("name", "major", "minor"), [("null", 1, 3), ("urandom", 1, 9)])
def test_output_to_a_device_is_written_as_a_stream(
    make_site: MakeSite,
    runner: CliRunner,
    tmp_path: Path,
    args: list[str],
    name: str,
    major: int,
    minor: int,
) -> None:
    # Nodes of our own, not the machine's /dev/null: a failure must not replace that.
    device = _device(tmp_path / name, major, minor)
    root = make_site()
    result = invoke(runner, root, *args, "-o", str(device))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode), "the device node was replaced by a file"
    assert os.stat(device).st_rdev == os.makedev(major, minor)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("args", [["feed"], ["export", "--format", "json"]])
def test_output_through_a_link_to_a_pipe_reaches_its_reader(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    # As -o /dev/stdout: a link (to /proc/self/fd/1) leading to a pipe.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "stdout"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    root = make_site()
    result = invoke(runner, root, *args, "-o", str(link))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)
    expected = invoke(runner, root, *args).stdout_bytes
    assert received == [expected]


def test_the_html_export_refuses_a_device(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = invoke(runner, make_site(), "export", "--format", "html", "-o", str(fifo))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "is a device or a pipe; --format html writes a folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# --- one bad article file beside a good one, through every command --------------------

GOOD_ID = 1001
BAD_ID = 1002
GOOD_HEAD = 'id = 1002\ncategory = "headline"\ndate = 2018-04-27T09:30:00+07:00\n'
TITLE = '[th]\ntitle = "ข่าว"\nbody = "เนื้อหา"\n'
# (file name, content) of the bad file: each a case found by an adversarial run.
BAD_FILES: list[tuple[str, str | bytes]] = [
    ("1002.toml", GOOD_HEAD + "x = " + "[" * 500 + "]" * 500 + "\n" + TITLE),
    ("1002.toml", GOOD_HEAD + "x = " + "{a = " * 450 + "1" + "}" * 450 + "\n" + TITLE),
    ("1002.toml", GOOD_HEAD + TITLE + ".".join("k" * 1100) + " = 1\n"),
    ("1002.th.txt", "+++\n" + GOOD_HEAD + ".".join("k" * 1100) + ' = 1\ntitle = "x"\n+++\nb\n'),
    (
        "1002.toml",
        GOOD_HEAD.replace("2018-04-27T09:30:00+07:00", "0001-01-01T00:00:00+14:00") + TITLE,
    ),
    (
        "1002.toml",
        GOOD_HEAD.replace("2018-04-27T09:30:00+07:00", "9999-12-31T23:59:59-12:00") + TITLE,
    ),
    ("1002.toml", GOOD_HEAD + "[event]\nstart = 2018-04-25\nend = 2018-04-20\n" + TITLE),
    (
        "1002.toml",
        GOOD_HEAD + "[event]\nstart = 0001-01-01\nend = 0001-01-01T00:00:00+14:00\n" + TITLE,
    ),
    (
        "1002.toml",
        GOOD_HEAD + "[event]\nstart = 9999-12-31\nend = 9999-12-31T23:00:00-12:00\n" + TITLE,
    ),
    ("1002.toml", GOOD_HEAD + "[event]\nstart = 0001-01-01T00:00:00+14:00\n" + TITLE),
    ("1002.toml", GOOD_HEAD + TITLE + '[[attachments]]\nfile = "' + "a" * 5000 + '.pdf"\n'),
    ("1002.toml", GOOD_HEAD + TITLE + '[[attachments]]\nfile = "' + "a" * 250 + '.pdf"\n'),
    ("1002.toml", GOOD_HEAD + TITLE + '[[photos]]\nfile = "' + "ก" * 90 + '.jpg"\nth = "x"\n'),
    (
        "9223372036854775808.toml",
        GOOD_HEAD.replace("1002", "9223372036854775808") + TITLE,
    ),
    ("1002.toml", GOOD_HEAD + '[th]\ntitle = "' + "ก" * 1_500_000 + '"\n'),
    ("1002.toml", GOOD_HEAD + '[th]\ntitle = "' + "ก" * 3000 + '"\n'),
    ("1002.toml", GOOD_HEAD + '[th]\ntitle = "x"\nbody = "' + "ข" * 300_000 + '"\n'),
    ("1002.th.txt", "+++\n" + GOOD_HEAD + 'title = "x"\n+++\n' + "ข" * 300_000 + "\n"),
    (
        "1002.toml",
        GOOD_HEAD.replace('"headline"', '"h\\u001b]52;c;SGk=\\u0007"')
        + '"\\u001b[2J" = 1\n'
        + TITLE.replace("ข่าว", "ข่าว\\u001b[2J\\u0007"),
    ),
    ("1002 .toml", GOOD_HEAD + TITLE),
    ("1002.TOML", GOOD_HEAD + TITLE),
    ("๑๐๐๒.toml", GOOD_HEAD + TITLE),
    ("1002.th.TXT", "+++\n" + GOOD_HEAD + 'title = "x"\n+++\nb\n'),
    ("1002.toml", b"\xff\xfe" + GOOD_HEAD.encode() + b"\x00\x81"),
    ("1002.toml", ""),
]

# Every command, each with what shows that the good article was still processed:
# a text in its standard output, or a file the export writes.
COMMANDS: list[tuple[list[str], str | None]] = [
    (["list"], str(GOOD_ID)),
    (["list", "--format", "json"], f'"id": {GOOD_ID}'),
    (["list", "--format", "jsonl"], f'"id": {GOOD_ID}'),
    (["list", "--format", "csv"], str(GOOD_ID)),
    (["list", "--format", "ids"], str(GOOD_ID)),
    (["--no-cache", "list", "--format", "ids"], str(GOOD_ID)),
    (["show", str(GOOD_ID)], "#1001"),
    (["show", "--json", str(GOOD_ID)], f'"id": {GOOD_ID}'),
    (["show", str(BAD_ID)], None),
    (["validate"], None),
    (["feed"], f"/news/{GOOD_ID}.html"),
    (["feed", "--atom"], f"/news/{GOOD_ID}.html"),
    (["export", "--format", "json"], f'"id": {GOOD_ID}'),
    (["export", "--format", "csv"], str(GOOD_ID)),
    (["export", "--format", "html", "-o", "{out}"], None),
    (["media", "resize"], None),
    (["index", "--stats"], None),
]


@pytest.fixture(scope="module")
def template_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site holding one good article with a real photo: copied for each case."""
    from conftest import write_jpeg

    from opdc_cli import store
    from opdc_cli.scaffold import init_site
    from opdc_cli.site import load_config

    root = tmp_path_factory.mktemp("template") / "site"
    init_site(root)
    article = build_article(GOOD_ID, event=None)
    languages = load_config(root / "site.toml").languages
    store.write_article(article, root / "articles" / "2018", "toml", languages)
    for photo in article.photos:
        write_jpeg(root / "media" / str(GOOD_ID) / photo.file, (40, 30))
    return root


def drive_every_command(template: Path, name: str, content: str | bytes) -> None:
    """Every command on a copy of `template` with the bad file `name` beside the good
    article: no traceback, a documented exit status, nothing on stdout on failure,
    and the good article still there."""
    import shutil
    import tempfile

    runner = CliRunner()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "site"
        shutil.copytree(template, root, symlinks=True)
        bad = root / "articles" / name
        if isinstance(content, bytes):
            bad.write_bytes(content)
        else:
            bad.write_text(content, encoding="utf-8", errors="surrogatepass")
        out = Path(scratch) / "out"
        for args, sign in COMMANDS:
            argv = [a.replace("{out}", str(out)) for a in args]
            result = runner.invoke(app, ["--site", str(root), *argv], catch_exceptions=True)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise AssertionError(f"opdc {' '.join(args)} raised") from result.exception
            assert "Traceback" not in result.stdout + result.stderr, args
            assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
            assert "\x1b" not in result.stderr, args
            # validate reports on stdout; the feed and the data exports publish what is
            # ready and exit 1 for what they held back (the publication gate).
            if result.exit_code != 0 and args[0] not in ("validate", "feed", "export"):
                assert result.stdout == "", (args, result.stdout[:200])
            if sign is not None:
                assert result.exit_code in (0, 1), (args, result.stderr)
                assert sign in result.stdout, (args, result.stderr)
        assert (out / "th" / "news" / f"{GOOD_ID}.html").is_file()


def _good_texts() -> list[str]:
    """The bad file's starting points: a full article (event, photos, attachments, tags)
    in both forms, so that mutations reach every part of the reader."""
    from opdc_cli import store
    from opdc_cli.model import Attachment

    article = build_article(BAD_ID, attachments=(Attachment("a.pdf", {"th": "เอกสาร"}),))
    return [
        store.article_to_toml(article, ("th", "en")),
        store.article_to_text(article, "th"),
    ]


GOOD_TEXTS = _good_texts()
# What edits insert: TOML's punctuation, dates at the ends of the calendar, control
# characters, Thai, deep nesting and long runs.
SNIPPETS = st.one_of(
    st.sampled_from(
        [
            "[",
            "]",
            "{",
            "}",
            "=",
            '"',
            "'",
            '"""',
            ",",
            ".",
            "\n",
            "#",
            "+++",
            "\\",
            "[[photos]]\n",
            "[event]\n",
            "[th]\n",
            "x = ",
            "= 1\n",
            "\\u001b",
            "\\u0007",
            "0001-01-01",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00+14:00",
            "2561-04-27",
            "1899-12-31T23:00:00-07:00",
            "99999999999999999999",
            "-1",
            "\x1b[2J",
            "\x07",
            "\x00",
            "\x85",
            "\u2028",
            "\ufeff",
            "ก",
            "๒",
            "\r\n",
            "[" * 450,
            "{a=" * 450,
            ".k" * 1100,
            "ข" * 2500,
        ]
    ),
    st.text(max_size=8),
)


@st.composite
def bad_files(draw: st.DrawFn) -> tuple[str, str | bytes]:
    name = draw(st.sampled_from(["1002.toml", "1002.th.txt", "1002.en.txt"]))
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "text", "bytes"]))
    if kind == "bytes":
        return name, draw(st.binary(max_size=300))
    if kind == "text":
        return name, draw(st.text(st.sampled_from(list('[]{}=".#\n ath1-:+T')), max_size=300))
    text = draw(st.sampled_from(GOOD_TEXTS))
    if name.endswith(".txt") != text.startswith("+++"):
        name = "1002.th.txt" if text.startswith("+++") else "1002.toml"
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        text = text[:start] + draw(SNIPPETS) + text[end:]
    return name, text


def with_bad_file_examples(test: Callable[..., None]) -> Callable[..., None]:
    """`test` with every known bad file as a fixed @example, always run first."""
    for name, content in reversed(BAD_FILES):
        test = example(bad=(name, content))(test)
    return test


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@with_bad_file_examples
@given(bad=bad_files())
def test_no_bad_file_stops_a_command_or_hides_the_good_article(
    template_site: Path, bad: tuple[str, str | bytes]
) -> None:
    drive_every_command(template_site, *bad)


@pytest.mark.parametrize(
    "extra", ["x = " + "[" * 500 + "]" * 500 + "\n", ".".join("k" * 1100) + " = 1\n"]
)
@pytest.mark.parametrize("args", [["list"], ["show", "1001"], ["validate"], ["feed"]])
def test_a_site_toml_nested_too_deeply_is_one_line(
    make_site: MakeSite, runner: CliRunner, extra: str, args: list[str]
) -> None:
    root = make_site()
    site_file = root / "site.toml"
    site_file.write_text(extra + site_file.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke(runner, root, *args)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "site.toml:1:" in result.stdout + result.stderr
    assert "TOML nested too deeply" in result.stdout + result.stderr


def test_validate_names_files_that_look_like_articles_but_are_not_read(
    make_site: MakeSite, runner: CliRunner
) -> None:
    root = make_site([build_article(1001, event=None, photos=())])
    articles = root / "articles"
    good = (articles / "2018" / "1001.toml").read_text(encoding="utf-8")
    for name in ("1002 .toml", "1003.TOML", "๑๐๐๔.toml", "1005.th.TXT", f"{10**15}.toml"):
        (articles / name).write_text(good, encoding="utf-8")
    os.mkfifo(articles / "1006.toml")
    (articles / "1007.toml").symlink_to(articles / "2018" / "1001.toml")
    (articles / "notes.txt").write_text("not an article\n", encoding="utf-8")
    result = invoke(runner, root, "validate", "--format", "json")
    import json

    found = {
        Path(p["path"]).name: p
        for p in json.loads(result.stdout)
        if p["code"] == "OPDC124" and p["severity"] == "warning"
    }
    assert sorted(found) == sorted(
        [
            "1002 .toml",
            "1003.TOML",
            "๑๐๐๔.toml",
            "1005.th.TXT",
            f"{10**15}.toml",
            "1006.toml",
            "1007.toml",
        ]
    )
    assert found["๑๐๐๔.toml"]["message"].endswith("rename it 1004.toml")
    assert found["1005.th.TXT"]["message"].endswith("rename it 1005.th.txt")
    assert "regular file" in found["1006.toml"]["message"]
    assert result.exit_code == 0  # warnings only
    strict = invoke(runner, root, "validate", "--strict", str(articles / "1003.TOML"))
    assert strict.exit_code == 1
    assert "1003.TOML: OPDC124" in strict.stdout
    listed = invoke(runner, root, "list", "--format", "ids")
    assert listed.stdout.split() == ["1001"]
