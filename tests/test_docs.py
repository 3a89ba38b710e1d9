"""The README's and docs' `$ opdc …` examples, run as written on the sample site.

Every indented block with `$ opdc` lines is one test: a fresh copy of the sample site,
the commands run in order through a shell with the installed `opdc`, each one's output
(standard output and error, as a terminal shows them) compared with the lines the
document shows under it. In the expected text a line `…` stands for any number of
lines and a `…` inside a line for any text; timings ("in 0.1 s, 9.8 photos/s") are
the only thing normalised. The clock is fixed with OPDC_NOW (opdc_cli.clock).

An HTML comment on the line before a block speaks to this test:
- `<!-- docs-test: first CMD -->` runs CMD (a shell line) silently before the block;
- `<!-- docs-test: skip REASON -->` leaves the block out; SKIPPED lists those blocks,
  so that a new one cannot be left out unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, write_jpeg

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
NOW = "2026-12-02T10:00:00+07:00"
MARK = re.compile(r"^<!-- docs-test: (first|skip) (.+) -->$")
TIMING = re.compile(r" in \d+(\.\d+)? s(, \d+(\.\d+)? photos/s)?")

# The examples that cannot run here, by document and line of their first command.
SKIPPED = {
    "README.md:129",  # opdc serve runs until Ctrl-C: tests/test_serve.py
    "README.md:162",  # the workflow needs [workflow] settings and a person: tests/test_workflow.py
    "README.md:225",  # asks on a terminal: tests/test_new_article_terminal.py
    "README.md:354",  # shows a site with broken articles
    "README.md:397",  # needs a PDF from elsewhere: tests/test_documents.py
    "docs/errors.md:31",  # shows a broken article
    "docs/errors.md:40",  # a read-only mount, a full disk: tests/test_cli_surface.py
    "docs/errors.md:88",  # Ctrl-C: tests/test_cli_surface.py
    "docs/serve.md:12",  # opdc serve runs until Ctrl-C: tests/test_serve.py
    "docs/workflow.md:54",  # the workflow needs [workflow] settings: tests/test_workflow.py
}


@dataclass
class Example:
    where: str  # "README.md:93", the line of the first command
    first: list[str] = field(default_factory=list)  # set-up commands
    skip: str | None = None
    steps: list[tuple[str, list[str]]] = field(default_factory=list)  # (command, output)


def _examples(path: Path) -> list[Example]:
    lines = path.read_text(encoding="utf-8").split("\n")
    found: list[Example] = []
    marks: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if mark := MARK.match(line):
            marks.append((mark[1], mark[2]))
        elif line.startswith("    $ opdc"):
            name = path.relative_to(REPO).as_posix()
            example = Example(f"{name}:{index + 1}")
            for kind, value in marks:
                if kind == "first":
                    example.first.append(value)
                else:
                    example.skip = value
            index = _read_block(lines, index, example)
            found.append(example)
            marks = []
            continue
        elif line.strip():
            marks = []
        index += 1
    return found


def _read_block(lines: list[str], index: int, example: Example) -> int:
    """Read the commands and outputs of the block starting at `index`; the next index."""
    while index < len(lines) and (lines[index].startswith("    ") or not lines[index].strip()):
        if not lines[index].strip():
            # A blank line ends the block unless indented text follows it.
            if index + 1 >= len(lines) or not lines[index + 1].startswith("    "):
                break
            if example.steps:
                example.steps[-1][1].append("")
            index += 1
            continue
        text = lines[index][4:]
        if text.startswith("$ "):
            command = text[2:]
            while command.endswith("\\"):
                index += 1
                command = command[:-1] + " " + lines[index].strip()
            example.steps.append((command, []))
        else:
            example.steps[-1][1].append(text)
        index += 1
    return index


EXAMPLES = [example for doc in DOCS for example in _examples(doc)]


def _pattern(expected: list[str]) -> re.Pattern[str]:
    parts = []
    for line in expected:
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(re.escape(_normal(line)).replace("…", "[^\n]*?") + "\n")
    return re.compile("".join(parts))


def _normal(text: str) -> str:
    return TIMING.sub(" in T s", text.rstrip())


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the sample site with the files the examples name, and the environment."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy2(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "articles", root / "articles")
    shutil.copytree(REPO / "media", root / "media")
    home = tmp_path / "home"
    for folder in (root, root / "camera", home / "camera"):
        write_jpeg(folder / "IMG_0412.JPG", (800, 600))
        write_jpeg(folder / "IMG_0413.JPG", (600, 800), (40, 90, 160))
    (root / "body.txt").write_text(
        "สำนักงาน ก.พ.ร. จัดสัมมนาเครือข่ายผู้ตรวจราชการ ณ กรุงเทพมหานคร\n\nผู้เข้าร่วมได้แลกเปลี่ยนประสบการณ์\n",
        encoding="utf-8",
    )
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "OPDC_NOW": NOW,
        "PYTHONUNBUFFERED": "1",  # standard output and error in the order written
        "PYTHONHASHSEED": "0",
        "COLUMNS": "120",
        "LANG": "C.UTF-8",
    }
    return root, env


def test_the_skipped_examples_are_the_listed_ones() -> None:
    assert {e.where for e in EXAMPLES if e.skip} == SKIPPED


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.skip], ids=lambda e: e.where)
def test_the_example_runs_as_written(
    example: Example, workspace: tuple[Path, dict[str, str]]
) -> None:
    root, env = workspace
    for command in example.first:
        subprocess.run(["bash", "-c", command], cwd=root, env=env, check=True, capture_output=True)
    for command, expected in example.steps:
        run = subprocess.run(
            ["bash", "-c", command],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        shown = "".join(_normal(line) + "\n" for line in run.stdout.splitlines())
        assert _pattern(expected).fullmatch(shown), f"{example.where}: $ {command}\n{shown}"


def test_the_comparison_fails_on_drift() -> None:
    pattern = _pattern(["made 1 in 0.1 s, 9.8 photos/s", "…", "  <title>…</title>", "end"])
    assert pattern.fullmatch("made 1 in T s\nany\nlines\n  <title>ข่าว</title>\nend\n")
    assert pattern.fullmatch("made 1 in T s\n  <title></title>\nend\n")
    assert not pattern.fullmatch("made 1 in T s\n  <title>x</title>\nend\nmore\n")
    assert not pattern.fullmatch("made 2 in T s\n  <title>x</title>\nend\n")
    assert _normal("made 2, skipped 0, failed 0 in 12.25 s, 0.2 photos/s  ") == (
        "made 2, skipped 0, failed 0 in T s"
    )
