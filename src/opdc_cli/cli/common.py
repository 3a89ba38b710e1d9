"""What every command shares: the site, the two consoles, errors, date options."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, get_args

import typer
from typer.core import TyperCommand, TyperGroup

from opdc_cli.errors import UsageError
from opdc_cli.model import STATES

if TYPE_CHECKING:
    from rich.console import Console

    from opdc_cli.content import Query, Site
    from opdc_cli.publish import Gate

# The content modules and rich are imported by the functions that use them, so that
# `opdc --help` loads neither.


@dataclass
class State:
    """The global options, kept on the typer context."""

    site: Path | None = None
    cache: bool = True


# Metavars by the Python type, for options that name none: what a person types, never
# typer's `<str>` or `<list[Path]>`.
_METAVARS = {str: "TEXT", int: "N", Path: "PATH"}


def _tidy(params: list[Any]) -> list[Any]:
    """`params` with metavars that read as the thing: none on flags, choices as a|b."""
    for param in params:
        if param.param_type_name == "argument":
            # An argument's name is already its metavar (ID, FILE); typer would add
            # its Python type (`<int>`) in a column of its own.
            param.display_type_rich = lambda ctx: None
        if getattr(param, "is_flag", False):
            param.metavar = ""
            continue
        if param.metavar is not None:
            continue
        descriptor = param.type_descriptor
        if descriptor.is_choice:
            param.metavar = "|".join(str(getattr(c, "value", c)) for c in descriptor.choices)
        else:
            annotation = descriptor.annotation
            element = get_args(annotation)[0] if descriptor.is_list else annotation
            param.metavar = _METAVARS.get(element, "VALUE")
    return params


class OpdcCommand(TyperCommand):
    """A command whose --help shows DIR, FILE, N, a|b, and nothing on flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))


class TidyGroup(TyperGroup):
    """A group of commands with the same tidy --help as OpdcCommand."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


SiteOption = Annotated[
    Path | None,
    typer.Option(
        "--site",
        metavar="DIR",
        help="The site folder (the one holding site.toml); also before the command.",
        file_okay=False,
        show_default=False,
    ),
]


def site_root(ctx: typer.Context, site: Path | None) -> Path | None:
    """The --site given after the command, else the one before it (or $OPDC_SITE)."""
    return site if site is not None else state(ctx).site


def open_site(ctx: typer.Context, site: Path | None = None) -> Site:
    st = state(ctx)
    from opdc_cli.content import Site

    return Site.open(site_root(ctx, site), cache=st.cache, warn=warn)


def out(width: int | None = None) -> Console:
    """Results: standard output. Made per call, so tests that swap sys.stdout see it.

    `width` (cells) overrides the terminal's, or rich's 80 on a pipe: rich crops
    every line at its console's width, so a wider --width must reach the console.
    """
    from rich.console import Console

    return Console(file=sys.stdout, soft_wrap=False, highlight=False, width=width)


def err() -> Console:
    """Messages and progress: standard error."""
    # soft_wrap: a `path:line:col: message` stays one line in a log or an editor's
    # problem list, instead of being cut at rich's 80 columns when not on a terminal.
    from rich.console import Console

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


def report_publication(site: Site, gate: Gate) -> bool:
    """After a publisher ran: each article the gate stopped (one line each), then how
    many language versions it held back; True when the command must exit 1 (an
    article was stopped or a file could not be read)."""
    from opdc_cli.publish import frozen_line, held_line, not_published

    report_problems(site)
    console = err()
    for article_id in sorted(gate.blocked):
        problem = not_published(gate.blocked[article_id])
        console.print(f"[red]error:[/] {escape(problem.format(Path.cwd()))}")
    for line in (held_line(gate.held), frozen_line(site.config, len(gate.frozen))):
        if line:
            console.print(escape(line))
    return bool(gate.blocked or site.problems)


def fail(message: str, code: int = 1) -> NoReturn:
    err().print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


# What went wrong, in words, and what to do, by errno. Write faults say "cannot write";
# the others cannot tell a read from a write, so they say "cannot use".
_OS_REASONS: dict[int, tuple[str, str]] = {
    errno.EROFS: (
        "cannot write",
        "the file system is read-only; work on a writable copy, or remount it read-write",
    ),
    errno.ENOSPC: (
        "cannot write",
        "no space left on the device; free some space and run the command again",
    ),
    errno.EDQUOT: (
        "cannot write",
        "the disk quota is used up; free some space and run the command again",
    ),
    errno.EFBIG: ("cannot write", "the file is too large for the file system"),
    errno.EACCES: (
        "cannot use",
        "permission denied; check the owner and permissions, or run opdc as the owner",
    ),
    errno.EPERM: (
        "cannot use",
        "operation not permitted; check the owner and permissions, or run opdc as the owner",
    ),
    errno.ENAMETOOLONG: (
        "cannot use",
        "the name is too long; keep each part of the path under 255 bytes",
    ),
    errno.ENOENT: (
        "cannot use",
        "no such file or folder, or the folder it is in cannot hold files; check the path",
    ),
    errno.ENOTDIR: ("cannot use", "a part of the path is a file, not a folder; check the path"),
    errno.EISDIR: ("cannot use", "it is a folder, not a file"),
    errno.EEXIST: ("cannot create", "something is already there"),
    errno.ELOOP: ("cannot use", "too many symbolic links (a link that points at itself?)"),
    errno.EMFILE: ("cannot open", "too many open files; raise the limit with ulimit -n"),
}


def os_error_message(exc: OSError) -> str:
    """One line for a file-system fault: the path, what is wrong, what to do."""
    from opdc_cli.fsutil import target_of

    verb, reason = _OS_REASONS.get(
        exc.errno or 0, ("cannot use", (exc.strerror or str(exc)).lower())
    )
    # A rename names the source first and the target second: the target is the file meant.
    name = exc.filename2 if exc.filename2 is not None else exc.filename
    if name is None:
        return reason
    path = target_of(Path(os.fsdecode(name)))
    return f"{verb} {display_path(path)}: {reason}"


def at_least(lowest: int) -> Callable[[int | None], int | None]:
    """An option callback refusing a number below `lowest`, in plain words.

    Used instead of typer's `min=`, whose help says `[x>=1]` and whose error
    speaks pydantic.
    """

    def check(value: int | None) -> int | None:
        if value is not None and value < lowest:
            raise typer.BadParameter(f"must be at least {lowest}, not {value}")
        return value

    return check


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

    from opdc_cli import clock, thai

    assert isinstance(tz, tzinfo)
    try:
        when, note = thai.read_date(value, tz, today=clock.now(tz).date())
    except thai.DateError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if note:
        # A two-digit year was completed: say how, so a wrong century is seen at once.
        err().print(f"[dim]{option}: {escape(note)}[/]")
    return when


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
CategoryOption = Annotated[
    list[str] | None,
    typer.Option(metavar="KEY", help="Only this category (repeatable)."),
]
StatusOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="STATE",
        help="Only draft, review, approved, scheduled, published or expired (repeatable).",
    ),
]
LangOption = Annotated[
    str | None,
    typer.Option(
        metavar="LANG",
        help="Only articles with a complete version (title and body) in this language.",
    ),
]
SinceOption = Annotated[
    str | None, typer.Option(metavar="DATE", help="From this date on (any date form).")
]
UntilOption = Annotated[str | None, typer.Option(metavar="DATE", help="Up to this date, included.")]
SearchOption = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help="Text in a title, summary or body, any language."),
]
MissingLangOption = Annotated[
    str | None,
    typer.Option(
        metavar="LANG",
        help="Only articles without a complete version (title and body) in this language: "
        "none yet, or a translation in progress.",
    ),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option(metavar="TAG", help="Only articles with this tag, in any case (repeatable)."),
]
SortOption = Annotated[Sort, typer.Option(help="date and id: newest first; title: A to Z.")]
ReverseOption = Annotated[bool, typer.Option(help="Reverse the order.")]
LimitOption = Annotated[
    int | None, typer.Option(metavar="N", callback=at_least(1), help="At most this many.")
]


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
    from opdc_cli.content import Query

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
