"""Problems as text for people and machines: plain lines, JSON, GitHub annotations.

Plain text is one problem per line, `path:line:col: CODE message`, the form
editors and CI jump to. JSON is a list of objects with fixed keys (documented in
docs/validate.md). Paths are relative to `base` (the working folder) when below
it, written with forward slashes, so the same content gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from opdc_cli.textio import LINE_BREAKING
from opdc_cli.validate import SEVERITIES, Problem

# A message may quote what the user wrote (a key, a link): never let it break a line
# or send terminal escapes (textio.LINE_BREAKING).


def clean(text: str) -> str:
    """`text` with control characters and line breaks written as escapes such as \\x1b."""
    return LINE_BREAKING.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def display_path(path: Path, base: Path) -> str:
    """`path` relative to `base` when below it, else as given; forward slashes."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def where(problem: Problem, base: Path) -> str:
    """`path:line:col`, or just `path` for files without lines (photos)."""
    parts = [display_path(problem.path, base)]
    if problem.line is not None:
        parts.append(str(problem.line))
        if problem.col is not None:
            parts.append(str(problem.col))
    return ":".join(parts)


def text_lines(problems: Iterable[Problem], base: Path) -> str:
    """One line per problem: `path:line:col: CODE message`."""
    return "".join(f"{where(p, base)}: {p.code} {clean(p.message)}\n" for p in problems)


def record(problem: Problem, base: Path) -> dict[str, object]:
    """The JSON object of one problem (keys documented in docs/validate.md)."""
    return {
        "path": display_path(problem.path, base),
        "line": problem.line,
        "col": problem.col,
        "code": problem.code,
        "severity": problem.severity,
        "message": problem.message,
        "article": problem.article,
    }


def json_text(problems: Iterable[Problem], base: Path) -> str:
    """A JSON array of problem objects, in the order given, with sorted keys."""
    records = [record(p, base) for p in problems]
    return json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_lines(problems: Iterable[Problem], base: Path) -> str:
    """GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=CODE::message`."""
    lines = []
    for p in problems:
        props = [f"file={_github_property(display_path(p.path, base))}"]
        if p.line is not None:
            props.append(f"line={p.line}")
            if p.col is not None:
                props.append(f"col={p.col}")
        props.append(f"title={_github_property(p.code)}")
        lines.append(
            f"::{_GITHUB_LEVEL[p.severity]} {','.join(props)}::{_github_data(p.message)}\n"
        )
    return "".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary(problems: Sequence[Problem], articles: int, base: Path) -> str:
    """ "3 errors, 5 warnings in 2 of 120 articles" (and the other files concerned)."""
    counts = {s: sum(1 for p in problems if p.severity == s) for s in SEVERITIES}
    if not problems:
        return f"no problems in {_plural(articles, 'article')}"
    parts = [_plural(counts["error"], "error"), _plural(counts["warning"], "warning")]
    if counts["info"]:
        parts.append(f"{counts['info']} info")
    concerned = len({p.article for p in problems if p.article is not None})
    text = f"{', '.join(parts)} in {concerned} of {_plural(articles, 'article')}"
    others = sorted({display_path(p.path, base) for p in problems if p.article is None})
    if len(others) == 1:
        text += f" and {others[0]}"
    elif others:
        text += f" and {len(others)} other files"
    return text
