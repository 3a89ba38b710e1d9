"""What every command shares: the site, the two consoles, errors, date options."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from opdc_cli.content import Site
from opdc_cli.errors import UsageError


@dataclass
class State:
    """The global options, kept on the typer context."""

    site: Path | None = None
    cache: bool = True


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def open_site(ctx: typer.Context) -> Site:
    st = state(ctx)
    return Site.open(st.site, cache=st.cache)


def out() -> Console:
    """Results: standard output. Made per call, so tests that swap sys.stdout see it."""
    return Console(file=sys.stdout, soft_wrap=False, highlight=False)


def err() -> Console:
    """Messages and progress: standard error."""
    return Console(file=sys.stderr, highlight=False)


def warn(message: str) -> None:
    err().print(f"[yellow]warning:[/] {escape(message)}")


def report_problems(site: Site, limit: int = 10) -> None:
    """Files that could not be read: one line each on stderr, then the hint."""
    if not site.problems:
        return
    for problem in site.problems[:limit]:
        warn(problem.format(Path.cwd()) if problem.path else problem.message)
    more = len(site.problems) - limit
    tail = f" ({more} more)" if more > 0 else ""
    err().print(
        f"[yellow]{len(site.problems)} file(s) skipped{tail}: run 'opdc validate' for details[/]"
    )


def fail(message: str, code: int = 1) -> NoReturn:
    err().print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def usage(message: str) -> NoReturn:
    raise UsageError(message)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def parse_when(value: str | None, tz: object, option: str) -> datetime | None:
    """A --date/--since/--until value in any accepted form, or exit 2 saying why."""
    if value is None:
        return None
    from datetime import tzinfo

    from opdc_cli import thai

    assert isinstance(tz, tzinfo)
    try:
        return thai.parse_date(value, tz)
    except thai.DateError as exc:
        raise UsageError(f"{option}: {exc}") from None


def parse_day(value: str | None, tz: object, option: str) -> date | None:
    when = parse_when(value, tz, option)
    return when.date() if when else None


def display_path(path: Path) -> str:
    """`path` relative to the working folder when it is below it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
