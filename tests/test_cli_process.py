"""The installed `opdc` script as a real process: help, list, concurrent ids, a tty.

new-article's questions on a terminal are in test_new_article_terminal.py.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from conftest import MakeSite

from opdc_cli import store
from opdc_cli.content import Site
from opdc_cli.thai import cell_width, words

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPDC_SITE", "VISUAL", "EDITOR")}
    env.update(extra)
    return env


def test_help_lists_the_commands(opdc_exe: Path) -> None:
    result = subprocess.run(
        [opdc_exe, "--help"], capture_output=True, text=True, env=environment(), check=False
    )
    assert result.returncode == 0
    for command in ("init", "new-article", "list", "show"):
        assert command in result.stdout
    assert result.stderr == ""


def test_the_module_runs_like_the_script(sample_site: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "opdc_cli", "list", "--format", "ids"],
        cwd=sample_site / "articles",
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["26465", "26464", "26463", "26462", "26461"]


def test_list_of_the_sample_site_through_a_pipe(opdc_exe: Path, sample_site: Path) -> None:
    result = subprocess.run(
        [opdc_exe, "list"],
        cwd=sample_site,
        capture_output=True,
        env=environment(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    text = result.stdout.decode("utf-8")
    header, *rows = text.splitlines()
    assert header.split() == ["ID", "Date", "Category", "Status", "Lang", "Photos", "Title"]
    assert [row.split()[0] for row in rows] == ["26465", "26464", "26463", "26462", "26461"]
    seed = rows[-1]
    assert "27 เม.ย. 2561" in seed
    assert "ข่าวเด่น" in seed
    assert seed.split("  ")[-1].startswith("สำนักงาน ก.พ.ร. ร่วมกับ")
    assert "\x1b" not in text


def test_an_unknown_id_exits_1_with_one_line(opdc_exe: Path, sample_site: Path) -> None:
    result = subprocess.run(
        [opdc_exe, "--site", sample_site, "show", "123"],
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "error: no article 123 in articles/\n"


def test_twenty_concurrent_new_articles_get_twenty_ids(opdc_exe: Path, make_site: MakeSite) -> None:
    site = make_site()
    command = [
        str(opdc_exe),
        "new-article",
        "--no-input",
        "--category",
        "activities",
        "--date",
        "27/04/2561",
    ]
    processes = [
        subprocess.Popen(
            [*command, "--title", f"ข่าวที่ {n}", *(["--format", "txt"] if n % 2 else [])],
            cwd=site,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(),
        )
        for n in range(20)
    ]
    outputs = [process.communicate() for process in processes]
    assert [process.returncode for process in processes] == [0] * 20, outputs
    printed = [line for out, _ in outputs for line in out.decode().splitlines()]
    assert len(printed) == len(set(printed)) == 20
    assert sum(path.endswith(".th.txt") for path in printed) == 10
    opened = Site.open(site)
    articles = opened.articles()
    assert not opened.problems
    new = {a.id: a for a in articles if a.id > 1003}
    assert sorted(new) == list(range(1004, 1024))
    assert sorted(a.title("th") for a in new.values()) == sorted(f"ข่าวที่ {n}" for n in range(20))
    assert store.group(store.scan(site / "articles"))[1] == []
    assert all((site / "media" / str(article_id)).is_dir() for article_id in new)


# --- a terminal ------------------------------------------------------------------------


def spawn_on_terminal(
    args: list[str], cwd: Path, columns: int = 100
) -> tuple[subprocess.Popen[bytes], int]:
    """`args` with stdin, stdout and stderr on a new pseudo-terminal of `columns` columns."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen(
        args,
        cwd=cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment(TERM="xterm-256color", COLUMNS=str(columns), LINES="40"),
        close_fds=True,
    )
    os.close(slave)
    return process, master


def read_until(master: int, needle: str, times: int, seen: bytearray) -> None:
    """Read the terminal into `seen` until `needle` has appeared `times` times."""
    while text_of(seen).count(needle) < times:
        ready, _, _ = select.select([master], [], [], 120)
        assert ready, f"no more output; so far: {text_of(seen)!r}"
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the other side closed: the process has ended
            chunk = b""
        assert chunk, f"the terminal closed; so far: {text_of(seen)!r}"
        seen.extend(chunk)


def text_of(data: bytearray) -> str:
    return ANSI.sub("", bytes(data).decode("utf-8", "replace")).replace("\r\n", "\n")


def read_to_end(master: int, seen: bytearray) -> str:
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        assert ready, f"no more output; so far: {text_of(seen)!r}"
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen.extend(chunk)
    return text_of(seen)


def test_list_on_a_terminal_fits_its_width_and_cuts_titles_between_words(
    opdc_exe: Path, sample_site: Path
) -> None:
    process, master = spawn_on_terminal([str(opdc_exe), "list"], sample_site, columns=90)
    seen = bytearray()
    try:
        output = read_to_end(master, seen)
    finally:
        os.close(master)
        process.wait(timeout=60)
    assert process.returncode == 0, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[0].split()[:2] == ["ID", "Date"]
    assert lines[-1] == "5 article(s)"
    rows = lines[1:-1]
    assert len(rows) == 5
    assert all(cell_width(line) <= 90 for line in lines)
    titles = {a.id: a.title("th") for a in Site.open(sample_site).articles()}
    for row in rows:
        title = titles[int(row.split()[0])]
        shown = row[row.index(title[:8]) :].rstrip()
        assert shown.endswith("…")
        kept = shown[:-1]
        assert title.startswith(kept)
        ends = {sum(len(w) for w in words(title)[:n]) for n in range(len(words(title)) + 1)}
        assert len(kept) in ends
