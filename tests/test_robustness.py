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
from pathlib import Path

import pytest
from conftest import MakeSite, build_article
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
    root = make_site([build_article(1001, event=None, translations=translations)])
    result = invoke(runner, root, "export", "--format", "html", "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    pages = [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".html", ".xml", ".json")]
    assert pages
    page = (tmp_path / "out" / "th" / "news" / "1001.html").read_text(encoding="utf-8")
    assert "ข่าว[2Jด่วน" in page
    for page_path in pages:
        found = RAW_CONTROL.search(page_path.read_text(encoding="utf-8"))
        assert found is None, (page_path, found)
        if page_path.suffix == ".html":  # feeds keep C1, which validate reports (OPDC401)
            assert "\x85" not in page_path.read_text(encoding="utf-8"), page_path


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
