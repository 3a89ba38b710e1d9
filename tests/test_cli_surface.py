"""The command line around the content: errors as one line with the documented exit
status, --help that reads as the thing, --site anywhere, the table at any width.

File-system faults are made for real: a read-only bind mount (EROFS), a small tmpfs
(ENOSPC), an unprivileged user (EACCES); interrupts through a real pseudo-terminal.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import BANGKOK, MakeJpeg, MakeSite, build_article, default_articles
from rich.console import Console
from test_cli_process import ANSI, environment, read_to_end, read_until, spawn_on_terminal
from typer.testing import CliRunner

from opdc_cli import store
from opdc_cli.cli import app
from opdc_cli.cli.common import os_error_message
from opdc_cli.content import Site
from opdc_cli.fsutil import target_of
from opdc_cli.preview import (
    GIVE_WAY,
    LIST_COLUMNS,
    TITLE_MIN,
    list_columns,
    list_rows,
    list_table,
)
from opdc_cli.thai import cell_width

TRACEBACK = "Traceback (most recent call last)"


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    """1001 (published, GovLab), 1002 (draft), 1003 (PMQA), 1004 (scheduled, GovLab)."""
    future = build_article(
        1004, date=datetime(2099, 1, 1, 9, 0, tzinfo=BANGKOK), photos=(), event=None
    )
    return make_site([*default_articles(), future])


def run(runner: CliRunner, *args: object, **kwargs: Any) -> Any:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kwargs)
    assert TRACEBACK not in result.stderr
    return result


def one_error_line(result: Any, code: int) -> str:
    """The single `error: …` line a failed command printed; nothing on stdout."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines: list[str] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


# --- command-line errors: one line, exit 2 -------------------------------------------


def test_a_bad_choice_names_the_option_and_the_choices(runner: CliRunner, site: Path) -> None:
    result = run(runner, "--site", site, "list", "--format", "xml")
    line = one_error_line(result, 2)
    assert line == "error: --format: 'xml' is not one of table, json, jsonl, csv, ids"
    assert result.stderr == line + "\n"


def test_a_bad_id_says_it_is_not_a_whole_number(runner: CliRunner, site: Path) -> None:
    line = one_error_line(run(runner, "--site", site, "show", "abc"), 2)
    assert line == "error: ID: 'abc' is not a whole number"


def test_a_limit_below_one_says_the_least(runner: CliRunner, site: Path) -> None:
    line = one_error_line(run(runner, "--site", site, "list", "--limit", "0"), 2)
    assert line == "error: --limit: must be at least 1, not 0"


def test_did_you_mean_is_kept(runner: CliRunner, site: Path) -> None:
    line = one_error_line(run(runner, "--site", site, "lst"), 2)
    assert line == "error: no such command 'lst'; did you mean 'list'?"
    line = one_error_line(run(runner, "--site", site, "list", "--frmat", "x"), 2)
    assert line == "error: no such option --frmat; did you mean --format or --sort?"


def test_a_missing_required_option_lists_the_choices(runner: CliRunner, site: Path) -> None:
    line = one_error_line(run(runner, "--site", site, "export"), 2)
    assert line == "error: missing --format: one of json, jsonl, csv, xlsx, html"


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(_commands(typer.main.get_command(app)))
# What a command needs besides the value under test, to reach that value's check.
REQUIRED = {
    ("show",): ["1001"],
    ("media", "add"): ["1001", "photo.jpg"],
    ("export",): ["--format", "json"],
}


def _bad_values() -> Iterator[tuple[tuple[str, ...], str, str, str]]:
    """(command, option or argument, bad value, expected message) for every typed value."""
    for path, command in COMMANDS:
        for param in command.params:
            descriptor = param.type_descriptor
            if getattr(param, "is_flag", False):
                continue
            annotation = descriptor.annotation
            element = annotation.__args__[0] if descriptor.is_list else annotation
            name = param.opts[0] if param.param_type_name == "option" else param.metavar
            if descriptor.is_choice:
                yield path, name, "nonsense", "'nonsense' is not one of "
            elif element is int:
                yield path, name, "abc", "'abc' is not a whole number"
                if param.callback is not None:
                    yield path, name, "0", "must be at least"


BAD_VALUES = list(_bad_values())


@pytest.mark.parametrize(
    ("path", "name", "value", "expected"),
    BAD_VALUES,
    ids=[f"{' '.join(p)} {n}={v}" for p, n, v, _ in BAD_VALUES],
)
def test_every_bad_value_is_one_line_and_exit_2(
    runner: CliRunner,
    site: Path,
    path: tuple[str, ...],
    name: str,
    value: str,
    expected: str,
) -> None:
    if name.startswith("-"):
        args = [*REQUIRED.get(path, []), name, value]
    else:
        args = [value, "photo.jpg"] if path == ("media", "add") else [value]
    result = run(runner, "--site", site, *path, *args)
    line = one_error_line(result, 2)
    assert line.startswith(f"error: {name}: {expected}")
    for pydantic in ("Input should", "Value error", "valid integer", "╭", "│"):
        assert pydantic not in result.stderr


def test_the_bad_values_cover_every_command_that_takes_one() -> None:
    covered = {path for path, *_ in BAD_VALUES}
    assert {("list",), ("show",), ("export",), ("feed",), ("validate",)} <= covered
    assert {("media", "add"), ("media", "resize")} <= covered


# --- --help ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [(), ("media",), *(p for p, _ in COMMANDS)], ids=str)
def test_help_shows_metavars_people_read(runner: CliRunner, path: tuple[str, ...]) -> None:
    result = run(runner, *path, "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = result.stdout
    assert "<" not in text, text
    assert "[x>=" not in text
    assert "site.toml ." not in text
    for option in ("--help", "-h"):
        row = next(line for line in text.splitlines() if f" {option} " in line)
        assert "bool" not in row


def test_help_names_the_things() -> None:
    runner = CliRunner()
    columns = {"COLUMNS": "200"}
    new = run(runner, "new-article", "--help", env=columns).stdout
    assert re.search(r"--date\s+DATE", new)
    assert re.search(r"--body-file\s+FILE", new)
    assert re.search(r"--category\s+KEY", new)
    assert re.search(r"--site\s+DIR", new)
    assert "default: the credit table of site.toml." in new
    listing = run(runner, "list", "--help", env=columns).stdout
    assert re.search(r"--limit\s+N ", listing)
    assert re.search(r"--format\s+-f\s+table\|json\|jsonl\|csv\|ids", listing)
    assert re.search(r"--since\s+DATE", listing)
    assert re.search(r"\s+DIR\s+Where to create", run(runner, "init", "--help", env=columns).stdout)


# --- --site after the command --------------------------------------------------------

AFTER = [
    ["list", "--format", "ids"],
    ["show", "1001", "--json"],
    ["new-article", "--no-input", "--title", "ทดสอบ", "--category", "headline"],
    ["feed"],
    ["validate"],
    ["export", "--format", "json"],
    ["index"],
    ["media", "resize", "--dry-run"],
]


@pytest.mark.parametrize("args", AFTER, ids=lambda a: " ".join(a[:2]))
def test_site_works_after_the_command(
    runner: CliRunner, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run(runner, *args, "--site", site)
    # validate and resize may find the test articles' photos missing (exit 1): the
    # point is that the site was found, and the command line accepted.
    assert result.exit_code in (0, 1), result.stderr
    assert "no site.toml" not in result.stderr
    assert "error: no such option" not in result.stderr


def test_site_after_the_command_wins_over_the_one_before(
    runner: CliRunner, site: Path, make_site: MakeSite, tmp_path: Path
) -> None:
    other = make_site([build_article(4242)], folder=tmp_path / "other")
    result = run(runner, "--site", site, "list", "--format", "ids", "--site", other)
    assert result.stdout == "4242\n"


def test_media_add_takes_site_after_the_command(
    runner: CliRunner, site: Path, make_jpeg: MakeJpeg, tmp_path: Path
) -> None:
    photo = make_jpeg(tmp_path / "in" / "stage.jpg")
    result = run(runner, "media", "add", "1002", photo, "--site", site)
    assert result.exit_code == 0, result.stderr
    assert (site / "media" / "1002" / "img1002_1.jpg").is_file()


# --- show --width -------------------------------------------------------------------


def test_show_width_wider_than_the_pipe_keeps_every_word(opdc_exe: Path, sample_site: Path) -> None:
    result = subprocess.run(
        [opdc_exe, "show", "26461", "--lang", "en", "--width", "90"],
        cwd=sample_site,
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(cell_width(line) for line in lines) > 80
    assert all(cell_width(line) <= 90 for line in lines)
    shown = " ".join(" ".join(lines).split())
    body = Site.open(sample_site).article(26461).translations["en"].body
    for paragraph in body.split("\n\n"):
        assert " ".join(paragraph.split()) in shown


def test_show_width_through_the_runner(runner: CliRunner, sample_site: Path) -> None:
    result = run(runner, "--site", sample_site, "show", "26461", "--width", "120")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert 80 < max(cell_width(line) for line in lines) <= 120
    title = Site.open(sample_site).article(26461).title("th")
    assert title.replace(" ", "") in "".join(result.stdout.split())


# --- the list table at 60, 80, 100 columns --------------------------------------------


def _table_lines(rows: list[tuple[str, ...]], width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(list_table(rows, width))
    return [line.rstrip() for line in console.export_text().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("width", "gone"),
    [
        (100, ()),
        (80, ("Photos",)),
        (60, ("Photos", "Lang", "Status")),
        (40, GIVE_WAY),
    ],
)
def test_the_table_gives_way_column_by_column(
    sample_site: Path, width: int, gone: tuple[str, ...]
) -> None:
    site = Site.open(sample_site)
    rows = list_rows(site.summaries(), site.config, "th", datetime.now(BANGKOK))
    lines = _table_lines(rows, width)
    header = lines[0].split()
    assert header == [c for c in LIST_COLUMNS if c not in gone]
    assert all(cell_width(line) <= width for line in lines)
    ids = [line.split()[0] for line in lines[1:]]
    assert ids == ["26465", "26464", "26463", "26462", "26461"]
    if width >= 60:
        assert list_columns(rows, width)[1] >= TITLE_MIN


def test_the_table_on_a_60_column_terminal_keeps_whole_ids(
    opdc_exe: Path, sample_site: Path
) -> None:
    process, master = spawn_on_terminal([str(opdc_exe), "list"], sample_site, columns=60)
    seen = bytearray()
    try:
        output = read_to_end(master, seen)
    finally:
        os.close(master)
        process.wait(timeout=60)
    assert process.returncode == 0, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[0].split() == ["ID", "Date", "Category", "Title"]
    assert [line.split()[0] for line in lines[1:-1]] == [
        "26465",
        "26464",
        "26463",
        "26462",
        "26461",
    ]
    assert all(cell_width(line) <= 60 for line in lines)


# --- tags in any case -------------------------------------------------------------------


def test_tags_match_in_any_case(runner: CliRunner, site: Path) -> None:
    # build_article's tags are "GovLab" and "Design Thinking"; 1003 has "PMQA".
    for tag in ("govlab", "GOVLAB", "GovLab"):
        ids = run(runner, "--site", site, "list", "--tag", tag, "--format", "ids").stdout
        assert ids.split() == ["1004", "1001"]
    ids = run(runner, "--site", site, "--no-cache", "list", "--tag", "pmqa", "--format", "ids")
    assert ids.stdout.split() == ["1003"]
    exported = run(
        runner, "--site", site, "export", "--format", "jsonl", "--tag", "design thinking"
    )
    assert len(exported.stdout.splitlines()) == 1  # 1001: 1004 is scheduled, not published
    feed = run(runner, "--site", site, "feed", "--tag", "govlab").stdout
    assert feed.count("<item>") == 1  # 1001: 1004 is scheduled


# --- dates with two-digit years --------------------------------------------------------


def test_a_two_digit_year_is_read_and_said(runner: CliRunner, site: Path) -> None:
    result = run(
        runner,
        "--site",
        site,
        "new-article",
        "--no-input",
        "--title",
        "ทดสอบ",
        "--category",
        "headline",
        "--date",
        "27 เม.ย. 61",
    )
    assert result.exit_code == 0, result.stderr
    assert "--date: read 27 เม.ย. 61 as 27 เมษายน 2561" in result.stderr
    created = Site.open(site).article(1005)
    assert created.date.date().isoformat() == "2018-04-27"
    listed = run(runner, "--site", site, "list", "--since", "27/4/61", "--format", "ids")
    assert "--since: read 27/4/61 as 27 เมษายน 2561" in listed.stderr
    assert listed.stdout.split() == ["1004", "1003", "1002", "1001", "1005"]


# --- init -------------------------------------------------------------------------------


def test_init_without_a_folder_and_no_terminal_refuses(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_error_line(run(runner, "init"), 2)
    assert "give the folder for the new site" in line
    assert "opdc init ." in line
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_a_folder_with_files_unless_forced(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (folder / name).write_text("keep me\n")
    line = one_error_line(run(runner, "init", folder), 1)
    assert "is not empty (a.txt, b.txt, c.txt and 1 more)" in line
    assert "--force" in line
    assert not (folder / "site.toml").exists()
    result = run(runner, "init", folder, "--force")
    assert result.exit_code == 0, result.stderr
    assert (folder / "site.toml").is_file()
    assert (folder / "a.txt").read_text() == "keep me\n"


def test_init_asks_for_the_folder_on_a_terminal(opdc_exe: Path, tmp_path: Path) -> None:
    process, master = spawn_on_terminal([str(opdc_exe), "init"], tmp_path)
    seen = bytearray()
    try:
        read_until(master, "Folder for the new site", 1, seen)
        assert str(tmp_path) in bytes(seen).decode("utf-8", "replace")  # the default shown
        os.write(master, b"news\r")
        output = read_to_end(master, seen)
    finally:
        os.close(master)
        process.wait(timeout=60)
    assert process.returncode == 0, output
    assert (tmp_path / "news" / "site.toml").is_file()


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("/proc/opdc-test-site", "no such file or folder"),
        ("{file}/sub", "a part of the path is a file, not a folder"),
        ("{tmp}/" + "ก" * 100, "the name is too long"),
    ],
)
def test_init_where_no_folder_can_be(
    runner: CliRunner, tmp_path: Path, where: str, reason: str
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    target = where.format(file=a_file, tmp=tmp_path)
    line = one_error_line(run(runner, "init", target), 1)
    assert line.startswith("error: cannot ")
    assert reason in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


# --- OSError messages -----------------------------------------------------------------


def test_an_error_on_a_temporary_file_names_the_file_meant(tmp_path: Path) -> None:
    assert target_of(tmp_path / ".26461.toml.opdc-12.k2j_9xq1.tmp") == tmp_path / "26461.toml"
    assert target_of(tmp_path / "26461.toml") == tmp_path / "26461.toml"
    exc = OSError(
        errno.EROFS, "Read-only file system", str(tmp_path / ".x.json.opdc-12.abcd1234.tmp")
    )
    assert os_error_message(exc) == (
        f"cannot write {tmp_path / 'x.json'}: the file system is read-only; "
        "work on a writable copy, or remount it read-write"
    )
    rename = OSError(errno.EACCES, "Permission denied", "/a/.b.opdc-12.abcd1234.tmp", "/a/b")
    assert os_error_message(rename).startswith("cannot use /a/b: permission denied")
    assert os_error_message(OSError(errno.ENOSPC, "No space left on device")).startswith(
        "no space left on the device"
    )


# --- a read-only file system (EROFS) -------------------------------------------------


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


def _unmount(folder: Path) -> None:
    # A test's chdir into the mount is undone only after this (monkeypatch is set up
    # first, by conftest's autouse fixture): step out, or the mount is busy.
    if Path.cwd().is_relative_to(folder):
        os.chdir(folder.parent)
    done = subprocess.run(["umount", str(folder)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def readonly_site(sample_site: Path, tmp_path: Path) -> Iterator[Path]:
    """The sample site seen through a read-only bind mount."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a read-only bind mount needs root and mount(8)")
    mount = tmp_path / "readonly"
    mount.mkdir()
    done = _mount("--bind", str(sample_site), str(mount))
    if done.returncode:
        pytest.skip(f"mounting is not permitted here: {done.stderr.strip()}")
    try:
        done = _mount("-o", "remount,ro,bind", str(mount))
        if done.returncode:
            pytest.skip(f"remounting read-only is not permitted here: {done.stderr.strip()}")
        yield mount
    finally:
        _unmount(mount)


def _listing(root: Path) -> list[str]:
    """Every path under `root` but the index cache (.opdc/, sqlite's own files)."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if ".opdc" not in p.relative_to(root).parts
    )


READ_ONLY = [
    (["new-article", "--no-input", "--title", "ทดสอบ", "--category", "headline"], "media/26466"),
    # The article's lock in .opdc/locks/ is taken before anything else is written.
    (["media", "add", "26461", "{photo}"], ".opdc"),
    (["media", "resize", "--force", "26461"], ".opdc"),
    # The export's record and lock live in .opdc/exports/, made first.
    (["export", "--format", "html", "-o", "public"], ".opdc"),
    (["export", "--format", "json", "-o", "all.json"], "all.json"),
    (["init", "newsite"], "newsite"),
]


@pytest.mark.parametrize(("args", "named"), READ_ONLY, ids=lambda a: " ".join(a[:2]))
def test_a_read_only_site_is_one_line_and_exit_1(
    runner: CliRunner,
    readonly_site: Path,
    make_jpeg: MakeJpeg,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    named: str,
) -> None:
    photo = make_jpeg(tmp_path / "in" / "photo.jpg")
    before = _listing(readonly_site)
    monkeypatch.chdir(readonly_site)
    result = run(runner, *(a.format(photo=photo) for a in args))
    line = one_error_line(result, 1)
    assert line == (
        f"error: cannot write {named}: the file system is read-only; "
        "work on a writable copy, or remount it read-write"
    )
    assert _listing(readonly_site) == before


def test_list_on_a_read_only_site_warns_once(
    runner: CliRunner, readonly_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(readonly_site)
    for fmt in ("table", "ids", "json"):
        result = run(runner, "list", "--format", fmt)
        assert result.exit_code == 0
        assert result.stderr.count("index not used") == 1, result.stderr
        assert "Read-only file system" in result.stderr


def test_a_read_only_site_through_the_installed_script(opdc_exe: Path, readonly_site: Path) -> None:
    result = subprocess.run(
        [opdc_exe, "new-article", "--no-input", "--title", "x", "--category", "headline"],
        cwd=readonly_site,
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: cannot write media/26466: the file system is read-only")
    assert len(result.stderr.splitlines()) == 1


# --- a full disk (ENOSPC) ----------------------------------------------------------------


@pytest.fixture
def full_site(make_site: MakeSite, tmp_path: Path) -> Iterator[Path]:
    """A site on a 4 MB tmpfs, filled up to the last byte after its index was built."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    if done.returncode:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        site = make_site(folder=disk / "site")
        Site.open(site).articles()  # the index, built while there is room
        filler = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            for size in (65536, 4096, 1):
                with contextlib.suppress(OSError):
                    while True:
                        os.write(filler, b"\0" * size)
        finally:
            os.close(filler)
        yield site
    finally:
        _unmount(disk)


FULL = [
    [
        "new-article",
        "--no-input",
        "--title",
        "ทดสอบ",
        "--category",
        "headline",
        "--body-file",
        "{body}",
    ],
    ["media", "add", "1001", "{photo}"],
    ["export", "--format", "json", "-o", "all.json"],
    ["export", "--format", "html", "-o", "public"],
]


@pytest.mark.parametrize("args", FULL, ids=lambda a: " ".join(a[:2]))
def test_a_full_disk_is_one_line_and_leaves_nothing_behind(
    runner: CliRunner,
    full_site: Path,
    make_jpeg: MakeJpeg,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    photo = make_jpeg(tmp_path / "in" / "photo.jpg", size=(400, 300))
    body = tmp_path / "in" / "body.txt"
    body.write_text("ย่อหน้า " * 2000, encoding="utf-8")
    before = _listing(full_site)
    monkeypatch.chdir(full_site)
    result = run(runner, *(a.format(photo=photo, body=body) for a in args))
    line = one_error_line(result, 1)
    assert "no space left on the device; free some space and run the command again" in line
    assert line.startswith("error: cannot write ")
    after = _listing(full_site)
    assert [name for name in after if name.endswith(".tmp")] == []
    new = {name for name in set(after) - set(before) if (full_site / name).is_file()}
    # The html export keeps its lock and record in .opdc/: no file of it is left in the
    # site, and no page is half-written.
    assert new == set()
    if args[-1] != "public":
        assert after == before


# --- permission denied (EACCES) as an unprivileged user ------------------------------------


# Refused by the permissions as a normal user is: root without the capabilities that
# let it ignore them. (Running as the user nobody would need a Python that nobody may
# run, which a virtual environment under /root is not.)
AS_OTHERS = {
    "root-without-override": [
        "setpriv",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
        "--",
    ],
}

DENIED = [
    ["new-article", "--no-input", "--title", "x", "--category", "headline"],
    ["media", "add", "1003", "{photo}"],
    ["export", "--format", "html", "-o", "public"],
    ["init", "newsite"],
]


@pytest.mark.parametrize("who", sorted(AS_OTHERS))
@pytest.mark.parametrize("args", DENIED, ids=lambda a: " ".join(a[:2]))
def test_permission_denied_on_a_site_owned_by_someone_else(
    opdc_exe: Path, make_site: MakeSite, make_jpeg: MakeJpeg, who: str, args: list[str]
) -> None:
    prefix = AS_OTHERS[who]
    if os.geteuid() != 0 or not shutil.which(prefix[0]):
        pytest.skip(f"running as another user needs root and {prefix[0]}")
    # Not under pytest's tmp_path: its folders are closed to other users.
    shared = Path(tempfile.mkdtemp(prefix="opdc-eacces-"))
    try:
        shared.chmod(0o755)
        site = make_site(folder=shared / "site")
        photo = make_jpeg(shared / "photo.jpg")
        for path in [site, *site.rglob("*")]:
            os.chown(path, 65534, 65534)  # someone else's: the user nobody's

        def opdc(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*prefix, sys.executable, str(opdc_exe), *argv],
                cwd=site,
                capture_output=True,
                text=True,
                env={**environment(), "HOME": str(shared), "PYTHONDONTWRITEBYTECODE": "1"},
                check=False,
            )

        probe = opdc("--version")
        if probe.returncode:
            pytest.skip(f"{who} cannot run this Python here: {probe.stderr.strip()[-200:]}")
        before = _listing(site)
        result = opdc(*(a.format(photo=photo) for a in args))
        assert result.returncode == 1, result.stderr
        assert TRACEBACK not in result.stderr
        assert result.stdout == ""
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
        assert errors[0].startswith("error: cannot use ")
        assert errors[0].endswith(
            ": permission denied; check the owner and permissions, or run opdc as the owner"
        )
        assert _listing(site) == before
    finally:
        shutil.rmtree(shared, ignore_errors=True)


# --- interrupts -----------------------------------------------------------------------


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_export_exits_130_with_a_message(
    opdc_exe: Path, make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site([])
    folder = site / "articles" / "2018"
    # Enough pages that the export is still running when Ctrl-C comes, on a fast
    # machine too (2,000 were done in about a second).
    store.write_article(build_article(3000, photos=()), folder, "toml", ["th", "en"])
    first = (folder / "3000.toml").read_text(encoding="utf-8")
    for number in range(1, 8000):
        (folder / f"{3000 + number}.toml").write_text(
            first.replace("id = 3000", f"id = {3000 + number}", 1), encoding="utf-8"
        )
    import pexpect

    # pexpect makes the terminal the process's controlling one, so that Ctrl-C on it
    # interrupts the whole foreground group (the export's workers too), as in a shell.
    child = pexpect.spawn(
        str(opdc_exe),
        ["export", "--format", "html", "-o", str(tmp_path / "public")],
        cwd=str(site),
        env=environment(TERM="xterm-256color"),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
        # As a shell starts it: Ctrl-C not ignored, whatever the test process inherited.
        preexec_fn=_default_sigint,
    )
    child.expect("article pages")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    output = ANSI.sub("", child.before or "")
    assert child.exitstatus == 130, output
    assert TRACEBACK not in output
    assert "KeyboardInterrupt" not in output
    assert output.rstrip().endswith("interrupted")


def test_sigint_to_a_command_reading_a_pipe_exits_130(opdc_exe: Path, make_site: MakeSite) -> None:
    site = make_site()
    process = subprocess.Popen(
        [opdc_exe, "new-article", "--body-file", "-", "--title", "x", "--category", "headline"],
        cwd=site,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
        preexec_fn=_default_sigint,
    )
    # It waits on the body from stdin, where Python's SIGINT handler is in place: wait
    # until it is blocked in read(0, …) (/proc/PID/syscall), however busy the machine.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{process.pid}/syscall").read_text().startswith("0 0x0 "):
                break
        time.sleep(0.05)
    assert process.returncode is None
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.decode() == "interrupted\n"
    assert out == b""
    assert sorted(p.name for p in (site / "articles" / "2018").iterdir()) == [
        "1001.toml",
        "1002.toml",
        "1003.toml",
    ]
