"""`opdc new-article`'s questions, answered through a real pseudo-terminal (pexpect).

Each test runs the installed `opdc` in a site made by `opdc init`, as a person
at a terminal would: the questions, the answers asked again, the body typed in,
and Ctrl-C / Ctrl-D leaving nothing behind. The non-interactive paths are in
test_cli_articles.py (CliRunner).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from datetime import datetime
from pathlib import Path

import pexpect
import pytest
from conftest import BANGKOK, MakeJpeg

from opdc_cli.content import Site

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The date question's default, as the office reads a date: "27 เมษายน 2561 09:30 น."
THAI_DEFAULT = re.compile(r"Date \[\d{1,2} [\u0e01-\u0e4e]+ 25\d\d \d\d:\d\d น\.\]: 27")


@pytest.fixture
def site(opdc_exe: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    subprocess.run([str(opdc_exe), "init", str(folder)], check=True, capture_output=True)
    return folder


def start(opdc_exe: Path, site: Path, *args: str) -> tuple[pexpect.spawn, io.StringIO]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPDC_SITE", "VISUAL", "EDITOR")}
    env.update(TERM="xterm-256color", COLUMNS="100", LINES="40")
    child = pexpect.spawn(
        str(opdc_exe),
        ["new-article", *args],
        cwd=str(site),
        env=env,
        encoding="utf-8",
        dimensions=(40, 100),
        timeout=30,
    )
    transcript = io.StringIO()
    child.logfile_read = transcript
    return child, transcript


def finish(child: pexpect.spawn, transcript: io.StringIO) -> str:
    """Wait for the end; the transcript without colours, with plain line ends."""
    child.expect(pexpect.EOF)
    child.close()
    return ANSI.sub("", transcript.getvalue()).replace("\r\n", "\n")


def shown(text: str) -> str:
    """A pattern for `text` as the terminal shows it: colour codes may come between
    any two characters."""
    return "".join(re.escape(ch) + r"(?:\x1b\[[0-9;]*m)*" for ch in text)


def answer(child: pexpect.spawn, question: str, text: str) -> None:
    child.expect(shown(question))
    child.sendline(text)


def test_a_whole_article_answered_in_thai(opdc_exe: Path, site: Path) -> None:
    child, transcript = start(opdc_exe, site)
    answer(child, "Title (th)", "")  # empty: asked again
    answer(child, "a title is needed", "สำนักงาน ก.พ.ร. จัดสัมมนาเครือข่าย")
    answer(child, "Title (en", "")
    answer(child, "Category", "ข่าวกิจกรรม")  # the Thai name
    answer(child, "Date [", "27 เมษายน 2561 09:30")
    answer(child, "Credit (th)", "กลุ่มงานประชาสัมพันธ์ / จัดทำ")
    child.expect(shown("End with Ctrl-D, or Enter on two empty lines"))
    for line in ("ย่อหน้าแรกของข่าว", "", "ย่อหน้าที่สอง", "", ""):
        answer(child, "> ", line)
    output = finish(child, transcript)
    assert child.exitstatus == 0, output
    assert output.count("Title (th):") == 2
    assert THAI_DEFAULT.search(output)
    assert "3. announcements — ประกาศ / Announcements" in output
    assert "  = 27 เมษายน 2561 09:30 น." in output
    assert "created article 1 (1 file(s)), published" in output
    assert "articles/2018/1.toml" in output
    article = Site.open(site).article(1)
    assert article.status == "published"
    assert article.category == "activities"
    assert article.date == datetime(2018, 4, 27, 9, 30, tzinfo=BANGKOK)
    assert article.languages == ("th",)
    th = article.translations["th"]
    assert th.title == "สำนักงาน ก.พ.ร. จัดสัมมนาเครือข่าย"
    assert th.credit == "กลุ่มงานประชาสัมพันธ์ / จัดทำ"
    assert th.paragraphs == ["ย่อหน้าแรกของข่าว", "ย่อหน้าที่สอง"]


def test_a_typo_s_suggestion_both_bodies_and_a_caption(
    opdc_exe: Path, site: Path, make_jpeg: MakeJpeg, tmp_path: Path
) -> None:
    photo = make_jpeg(tmp_path / "DSC_0141.JPG")
    child, transcript = start(opdc_exe, site, "--image", str(photo))
    answer(child, "Title (th)", "สัมมนา")
    answer(child, "Title (en", "Seminar")
    answer(child, "Category", "headlin")
    answer(child, "did you mean headline (ข่าวเด่น)? Enter takes it", "")
    answer(child, "Date", "")  # now
    answer(child, "Credit (th)", "")  # site.toml's
    # Ctrl-D ends each body; the English question still reads the terminal after it.
    answer(child, "Body (th)", "ย่อหน้าเดียว")
    child.sendeof()
    answer(child, "Body (en)", "One paragraph.")
    child.sendeof()
    answer(child, "Caption of DSC_0141.JPG (th", "ผู้เข้าร่วมการสัมมนา")
    answer(child, "Caption of DSC_0141.JPG (en", "")
    output = finish(child, transcript)
    assert child.exitstatus == 0, output
    assert "created article 1 (1 file(s)), published" in output
    article = Site.open(site).article(1)
    assert article.category == "headline"
    assert article.translations["th"].body == "ย่อหน้าเดียว"
    assert article.translations["en"].body == "One paragraph."
    assert article.translations["th"].credit == "กลุ่มประชาสัมพันธ์ / จัดทำ"
    assert [(p.file, p.captions) for p in article.photos] == [
        ("img1_1.jpg", {"th": "ผู้เข้าร่วมการสัมมนา"})
    ]


@pytest.mark.parametrize("key", ["c", "d"])
def test_ctrl_c_or_ctrl_d_at_a_question_stops_with_nothing_written(
    opdc_exe: Path, site: Path, key: str
) -> None:
    child, transcript = start(opdc_exe, site)
    answer(child, "Title (th)", "ข่าว")
    answer(child, "Title (en", "")
    answer(child, "Category", "2")  # by its number
    child.expect(shown("Date ["))
    child.sendcontrol(key)
    output = finish(child, transcript)
    assert child.exitstatus == 130, output
    # The message has a line of its own, and so will the shell's prompt after it.
    assert re.search(r"Date \[[^\n]*\]: (\^C)?\ninterrupted: nothing was written\n\Z", output)
    assert list((site / "articles").iterdir()) == []
    assert list((site / "media").iterdir()) == []
