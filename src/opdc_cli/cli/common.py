"""What every command shares: the site, the two consoles, errors, date options."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from opdc_cli.content import STATES, Query, Site
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
    return Site.open(st.site, cache=st.cache, warn=warn)


def out() -> Console:
    """Results: standard output. Made per call, so tests that swap sys.stdout see it."""
    return Console(file=sys.stdout, soft_wrap=False, highlight=False)


def err() -> Console:
    """Messages and progress: standard error."""
    # soft_wrap: a `path:line:col: message` stays one line in a log or an editor's
    # problem list, instead of being cut at rich's 80 columns when not on a terminal.
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


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
    """`text` safe to print through rich: markup escaped, control characters shown
    as escapes (\\x1b), so a category, key or folder name quoted in a message
    cannot drive the terminal."""
    from rich.markup import escape as rich_escape

    from opdc_cli.textio import visible

    return rich_escape(visible(text))


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


class Sort(StrEnum):
    date = "date"
    id = "id"
    title = "title"  # type: ignore[assignment]  # str.title is shadowed on purpose


# The article filters `opdc list` and `opdc export` share: one definition of each option.
CategoryOption = Annotated[list[str] | None, typer.Option(help="Only this category (repeatable).")]
StatusOption = Annotated[
    list[str] | None, typer.Option(help="Only draft, scheduled or published (repeatable).")
]
LangOption = Annotated[
    str | None, typer.Option(help="Only articles in this language, shown in it.")
]
SinceOption = Annotated[str | None, typer.Option(help="From this date on (any date form).")]
UntilOption = Annotated[str | None, typer.Option(help="Up to this date, included.")]
SearchOption = Annotated[
    str | None, typer.Option(help="Text in a title, summary or body, any language.")
]
MissingLangOption = Annotated[
    str | None, typer.Option(help="Only articles with no translation in this language.")
]
TagOption = Annotated[
    list[str] | None, typer.Option(help="Only articles with this tag (repeatable).")
]
SortOption = Annotated[Sort, typer.Option(help="date and id: newest first; title: A to Z.")]
ReverseOption = Annotated[bool, typer.Option(help="Reverse the order.")]
LimitOption = Annotated[int | None, typer.Option(min=1, help="At most this many.")]


def build_query(
    site: Site,
    category: list[str] | None,
    status: list[str] | None,
    lang: str | None,
    since: str | None,
    until: str | None,
    search: str | None,
    missing_lang: str | None,
    tag: list[str] | None,
    sort: Sort,
    reverse: bool,
    limit: int | None,
) -> Query:
    """The Query the filter options describe; exit 2 naming the option that is wrong."""
    config = site.config
    for key in category or ():
        if key not in config.categories:
            usage(
                f"--category: unknown category {key!r}; use one of {', '.join(config.categories)}"
            )
    for state in status or ():
        if state not in STATES:
            usage(f"--status: {state!r} is not one of {', '.join(STATES)}")
    for option, code in (("--lang", lang), ("--missing-lang", missing_lang)):
        if code is not None and code not in config.languages:
            usage(f"{option}: {code!r} is not a site language ({', '.join(config.languages)})")
    return Query(
        categories=tuple(category or ()),
        states=tuple(status or ()),
        tags=tuple(tag or ()),
        lang=lang,
        missing_lang=missing_lang,
        since=parse_day(since, config.tz, "--since"),
        until=parse_day(until, config.tz, "--until"),
        search=search or "",
        sort=sort.value,
        reverse=reverse,
        limit=limit,
        title_lang=lang,
    )
