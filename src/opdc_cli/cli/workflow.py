"""opdc submit, approve, reject, publish, unpublish, history, due, translated: the
editorial workflow (opdc_cli.workflow) from the command line."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli import clock
from opdc_cli.cli.common import (
    OpdcCommand,
    SiteOption,
    err,
    escape,
    open_site,
    out,
    parse_when,
    usage,
)

if TYPE_CHECKING:
    from opdc_cli.content import Site
    from opdc_cli.model import Article

IdArgument = Annotated[int, typer.Argument(metavar="ID", help="The article's id.")]
ByOption = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="NAME",
        help="Who takes this step; default $OPDC_USER, else git's user.name.",
    ),
]
NoteOption = Annotated[
    str | None, typer.Option("--note", metavar="TEXT", help="Why, for the history.")
]
DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*\Z", re.ASCII)
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Format(StrEnum):
    table = "table"
    json = "json"


def _step(
    ctx: typer.Context,
    article_id: int,
    action: str,
    by: str | None,
    note: str | None,
    site_dir: object,
    at: str | None = None,
) -> None:
    from opdc_cli.workflow import transition, who

    site = open_site(ctx, site_dir)  # type: ignore[arg-type]
    config = site.config
    when = parse_when(at, config.tz, "--at")
    now = clock.now(config.tz)
    before, after = transition(site, article_id, action, who(by), now, note or "", when)
    state = after.state(now)
    line = f"article {article_id}: {before.status} → {after.status}"
    if state != after.status:
        line += f" ({state} {_moment(site, after, state)})"
    err().print(escape(line))


def _moment(site: Site, article: Article, state: str) -> str:
    from opdc_cli.publish import goes_live_at

    tz = site.config.tz
    if state == "scheduled":
        return "for " + goes_live_at(site.config, article).astimezone(tz).isoformat()
    if state == "expired" and article.expires is not None:
        return "since " + article.expires.astimezone(tz).isoformat()
    return ""


def submit(
    ctx: typer.Context,
    article_id: IdArgument,
    by: ByOption = None,
    note: NoteOption = None,
    site_dir: SiteOption = None,
) -> None:
    """Send a draft for review.  Example:  opdc submit 26461"""
    _step(ctx, article_id, "submit", by, note, site_dir)


def approve(
    ctx: typer.Context,
    article_id: IdArgument,
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who approves.")],
    note: NoteOption = None,
    site_dir: SiteOption = None,
) -> None:
    """Approve an article in review.  Example:  opdc approve 26461 --by "Somchai" """
    _step(ctx, article_id, "approve", by, note, site_dir)


def reject(
    ctx: typer.Context,
    article_id: IdArgument,
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who sends it back.")],
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="What to change.")],
    site_dir: SiteOption = None,
) -> None:
    """Send an article in review (or approved) back to its author as a draft."""
    _step(ctx, article_id, "reject", by, note, site_dir)


def publish(
    ctx: typer.Context,
    article_id: IdArgument,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="DATE",
            help="Its publication date (any date form); a future one schedules it.",
        ),
    ] = None,
    by: ByOption = None,
    note: NoteOption = None,
    site_dir: SiteOption = None,
) -> None:
    """Publish an article, now or at --at (an embargo).

    Example:  opdc publish 26461 --at "2026-03-01 09:00"
    """
    _step(ctx, article_id, "publish", by, note, site_dir, at)


def unpublish(
    ctx: typer.Context,
    article_id: IdArgument,
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="Why it is withdrawn.")],
    by: ByOption = None,
    site_dir: SiteOption = None,
) -> None:
    """Withdraw a published article (back to draft).

    Example:  opdc unpublish 26461 --note "wrong figures"
    """
    _step(ctx, article_id, "unpublish", by, note, site_dir)


def history(
    ctx: typer.Context,
    article_id: IdArgument,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    site_dir: SiteOption = None,
) -> None:
    """The article's editorial history, newest first."""
    from opdc_cli.workflow import history_records

    site = open_site(ctx, site_dir)
    records = history_records(site.article(article_id))
    if fmt is Format.json:
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return
    if not records:
        err().print(f"article {article_id} has no history yet")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table("At", "Action", "By", "Note")
    for record in records:
        table.add_row(*(Text(record[key]) for key in ("at", "action", "by", "note")))
    out().print(table)


def _duration(value: str) -> timedelta:
    match = DURATION.match(value)
    if match is None:
        usage(f"--within: {value!r} is not a duration such as 30m, 24h, 2d or 1w")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def due(
    ctx: typer.Context,
    within: Annotated[
        str, typer.Option(metavar="DURATION", help="How far ahead to look: 30m, 24h, 2d, 1w.")
    ] = "24h",
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Exit 1 when the exported site is out of date (something went live, expired "
            "or was withdrawn since the last opdc export --format html), else 0.",
        ),
    ] = False,
    site_dir: SiteOption = None,
) -> None:
    """What goes live, expires or was withdrawn: for cron.

    Example:  opdc due --check || opdc export --format html -o public
    """
    from opdc_cli.workflow import due as find_due

    span = _duration(within)
    site = open_site(ctx, site_dir)
    report = find_due(site, clock.now(site.config.tz), span)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.record(), ensure_ascii=False, indent=2) + "\n")
    else:
        _due_table(report.record())
    if check and report.out_of_date:
        raise typer.Exit(1)


def _due_table(record: dict[str, object]) -> None:
    from rich.table import Table
    from rich.text import Text

    console = err()
    last = record["last_export"] or "never"
    console.print(escape(f"now {record['now']}; last html export {last}"))
    freeze = record["freeze"]
    if isinstance(freeze, dict):
        why = f" ({freeze['reason']})" if freeze["reason"] else ""
        holds = "holds now" if freeze["holds"] else "ahead"
        console.print(
            escape(f"publishing freeze{why} {freeze['from']} – {freeze['until']}: {holds}")
        )
    table = Table("", "ID")
    table.add_column("When", no_wrap=True, min_width=25)
    table.add_column("Event", no_wrap=True)
    table.add_column("Title", no_wrap=True, overflow="ellipsis", max_width=40)
    for part, label in (("done", "done"), ("coming", "coming"), ("blocked", "blocked")):
        found = record[part]
        assert isinstance(found, list)
        for event in found:
            what = event["event"] + (f": {event['note']}" if event["note"] else "")
            table.add_row(
                label, str(event["id"]), Text(event["at"]), Text(what), Text(event["title"])
            )
    if table.row_count:
        out().print(table)
    state = "out of date: run opdc export --format html" if record["out_of_date"] else "up to date"
    console.print(f"exported site {state}")


def translated(
    ctx: typer.Context,
    article_id: IdArgument,
    lang: Annotated[str, typer.Option("--lang", metavar="LANG", help="The translated version.")],
    site_dir: SiteOption = None,
) -> None:
    """Record that LANG's version now matches the primary text (it is up to date)."""
    from opdc_cli.workflow import mark_translated

    site = open_site(ctx, site_dir)
    if lang not in site.config.languages:
        usage(f"--lang: {lang!r} is not a site language ({', '.join(site.config.languages)})")
    mark_translated(site, article_id, lang)
    err().print(
        f"article {article_id}: the {lang} version is recorded as translated from the current text"
    )


def print_translation_diff(article: Article, lang: str) -> None:
    """`opdc show ID --translation-diff`: what changed in the primary text since
    `lang`'s version was made."""
    from rich.text import Text

    from opdc_cli.workflow import translation_diff

    diff = translation_diff(article, lang)
    console = out()
    if not diff.recorded:
        console.print(
            Text(
                f"article {article.id}: no translation recorded for {lang}: "
                f"opdc translated {article.id} --lang {lang} records one"
            )
        )
        return
    if not diff.changed:
        console.print(Text(f"article {article.id}: the {lang} version is up to date"))
        return
    for part, changed in (("title", diff.title), ("summary", diff.summary)):
        if changed:
            console.print(Text(f"changed: {part}"))
    for number, text in diff.paragraphs:
        console.print(Text(f"changed: paragraph {number}: {text}"))
    if diff.removed:
        console.print(Text(f"removed: {diff.removed} paragraph(s) of the text it was made from"))


def register(app: typer.Typer) -> None:
    for command in (submit, approve, reject, publish, unpublish, history, due, translated):
        app.command(cls=OpdcCommand)(command)
