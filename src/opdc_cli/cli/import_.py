"""opdc import: bring an existing archive in (WordPress, a feed, opdc's own export, CSV)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli.cli.common import (
    OpdcCommand,
    SiteOption,
    at_least,
    display_path,
    err,
    escape,
    open_site,
    out,
    parse_when,
    usage,
    warn,
)
from opdc_cli.model import STATUSES, Status

if TYPE_CHECKING:
    from opdc_cli.content import Site
    from opdc_cli.importers.plan import Options, Plan, Report, Step
    from opdc_cli.importers.wordpress import Reading


class Kind(StrEnum):
    wordpress = "wordpress"
    feed = "feed"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"


def _read(
    kind: Kind, source: str, site: Site, media_dir: Path | None, statuses: dict[str, Status]
) -> Reading:
    config = site.config
    if kind is Kind.feed:
        from opdc_cli.importers.feed import read_feed

        return read_feed(source, config, media_dir)
    if source == "-" and kind is Kind.wordpress:
        usage("SOURCE: a WordPress export is read from a file, not standard input")
    data = sys.stdin.buffer.read() if source == "-" else _bytes(Path(source))
    name = Path("<stdin>" if source == "-" else source)
    if kind is Kind.wordpress:
        from opdc_cli.importers.wordpress import read_wordpress

        return read_wordpress(name, config, media_dir, statuses)
    if kind is Kind.csv:
        from opdc_cli.importers.csvfile import read_csv

        return read_csv(data, name, config)
    from opdc_cli.importers.jsonl import read_export
    from opdc_cli.textio import decode_text

    text = decode_text(name, data)
    return read_export(text, name, config, media_dir, lines=kind is Kind.jsonl)


def _bytes(path: Path) -> bytes:
    if not path.is_file():
        usage(f"SOURCE: {path}: no such file")
    return path.read_bytes()


def _statuses(values: list[str]) -> dict[str, Status]:
    from opdc_cli.importers.plan import parse_pairs

    pairs = parse_pairs(values, "--status-map")
    for old, new in pairs.items():
        if new not in STATUSES:
            usage(f"--status-map {old}={new}: the opdc status is draft or published")
    return {old: "draft" if new == "draft" else "published" for old, new in pairs.items()}


def _print_plan(site: Site, plan: Plan) -> None:
    from rich.text import Text

    console = out()
    for step in plan.steps:
        where = ", ".join(display_path(p.relative_to(site.root)) for p in step.paths)
        line = Text(f"{step.action:6} {step.id:>6}  {where}  ")
        line.append(step.item.label, style="dim")
        console.print(line)


def _report(report: Report, notes: list[str], dry_run: bool) -> None:
    console = err()
    for skipped in report.skipped:
        console.print(f"[yellow]skipped:[/] {escape(skipped.label)}: {escape(skipped.reason)}")
    for note in notes:
        warn(note)
    console.print(escape(report.summary(dry_run)))


# Long for its typer options (one annotated parameter each); the body is ~20 lines.
def import_(
    ctx: typer.Context,
    kind: Annotated[
        Kind,
        typer.Argument(
            metavar="KIND", help="wordpress, feed, jsonl, json or csv.", show_default=False
        ),
    ],
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="The file to read ('-': standard input, for jsonl, json, csv); or a feed's URL.",
            show_default=False,
        ),
    ],
    media_dir: Annotated[
        Path | None,
        typer.Option(
            "--media-dir",
            metavar="DIR",
            file_okay=False,
            exists=True,
            help=(
                "Where the photos and documents are: a copy of wp-content/uploads, or the "
                "exported site's media/ for jsonl and json."
            ),
        ),
    ] = None,
    category_map: Annotated[
        list[str] | None,
        typer.Option(
            "--category-map",
            metavar="OLD=NEW",
            help="The source's category (slug or name) as a site.toml key; '*=KEY' for the rest.",
        ),
    ] = None,
    status_map: Annotated[
        list[str] | None,
        typer.Option(
            "--status-map",
            metavar="OLD=NEW",
            help="A WordPress status as draft or published (e.g. private=published).",
        ),
    ] = None,
    keep_ids: Annotated[
        bool, typer.Option("--keep-ids", help="Keep the source's numeric ids where they are free.")
    ] = False,
    update: Annotated[
        bool,
        typer.Option("--update", help="Rewrite articles imported before with the source's text."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan (ids and files); write nothing.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(metavar="N", callback=at_least(1), help="Import at most N articles."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Only articles dated on or after DATE."),
    ] = None,
    site_dir: SiteOption = None,
) -> None:
    """Import articles from another system, pairing Thai and English versions.

    A second import of the same source creates nothing (each article records its
    source); --update rewrites what changed. Prints a summary; exit 1 if any item
    was skipped.

    Examples:

      opdc import wordpress export.xml --media-dir uploads/ --category-map news=headline

      opdc import feed https://example.go.th/feed/ --dry-run

      opdc export --format jsonl | opdc --site ../new import jsonl -
    """
    from opdc_cli.importers.plan import make_plan, parse_pairs, plan_report

    site = open_site(ctx, site_dir)
    from opdc_cli.importers.plan import Options

    options = Options(
        category_map=parse_pairs(category_map or [], "--category-map"),
        keep_ids=keep_ids,
        update=update,
        limit=limit,
        since=parse_when(since, site.config.tz, "--since"),
    )
    reading = _read(kind, source, site, media_dir, _statuses(status_map or []))
    plan = make_plan(site, reading.entries, options)
    if dry_run:
        _print_plan(site, plan)
        report = plan_report(plan)
    else:
        report = _apply(site, plan, options)
    _report(report, reading.notes, dry_run)
    if report.skipped:
        raise typer.Exit(1)


def _apply(site: Site, plan: Plan, options: Options) -> Report:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from opdc_cli.importers.plan import apply_plan

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err(),
        transient=True,
        disable=len(plan.steps) < 2,
    ) as progress:
        task = progress.add_task("importing", total=len(plan.steps))

        def advance(step: Step) -> None:
            progress.advance(task)

        return apply_plan(site, plan, options, advance)


def register(app: typer.Typer) -> None:
    app.command("import", cls=OpdcCommand)(import_)
