"""opdc export: the articles as JSON, JSON Lines or CSV, or the static html site."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli import clock
from opdc_cli.cli.common import (
    CategoryOption,
    LangOption,
    LimitOption,
    MissingLangOption,
    OpdcCommand,
    ReverseOption,
    SearchOption,
    SinceOption,
    SiteOption,
    Sort,
    SortOption,
    StatusOption,
    TagOption,
    UntilOption,
    at_least,
    build_query,
    display_path,
    err,
    escape,
    open_site,
    report_publication,
    usage,
    warn,
)

if TYPE_CHECKING:
    from datetime import datetime

    from opdc_cli.content import Site
    from opdc_cli.export.site import ExportReport


class ExportFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"


# Long for its typer options (one annotated parameter each) and the four formats'
# one-line branches; the work is in export.data, export.html and publish.
def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="json, jsonl or csv for scripts; xlsx for spreadsheets; html for the static site.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="json/jsonl/csv/xlsx: a file (default stdout). html: the folder (required).",
        ),
    ] = None,
    category: CategoryOption = None,
    status: StatusOption = None,
    lang: LangOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    search: SearchOption = None,
    missing_lang: MissingLangOption = None,
    tag: TagOption = None,
    sort: SortOption = Sort.date,
    reverse: ReverseOption = False,
    limit: LimitOption = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="csv: start with a byte-order mark for Excel.")
    ] = False,
    clean: Annotated[
        bool,
        typer.Option(
            "--clean",
            help="html: also remove every file an earlier export wrote that this one does "
            "not, and opdc's own leftover temporary files (never a file opdc did not write).",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="html: export into a non-empty folder opdc has no record of, and write over "
            "files there that opdc did not write.",
        ),
    ] = False,
    with_originals: Annotated[
        bool,
        typer.Option(
            "--with-originals",
            help="html: publish the original photos too, as copies with their EXIF, GPS, "
            "XMP, IPTC and comments removed (never the camera files).",
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            callback=at_least(1),
            help="html: worker processes for many pages (default: the cores).",
        ),
    ] = None,
    site_dir: SiteOption = None,
) -> None:
    """Export the articles for scripts (json, jsonl, csv), spreadsheets (xlsx) or as the
    static site (html).

    The data formats take the same filters as opdc list and are deterministic: the
    same content gives the same bytes (xlsx: the same cells). html writes the whole
    site of the published articles into a folder, rewriting only what changed since
    the last export.

    Every format publishes only what is ready: published, its date come, a title
    and a body in the primary language, and no 'opdc validate' error. An English
    version without a body is held back until it has one. Articles that are not
    published are named on stderr and the exit status is 1; the rest is written.

    Examples:

      opdc export --format json | jq '.[0].translations.th.title'

      opdc export --format csv --excel --category headline -o headline.csv

      opdc export --format xlsx -o articles.xlsx

      opdc export --format html -o public

      opdc export --format html -o public --clean
    """
    site = open_site(ctx, site_dir)
    if fmt is ExportFormat.html:
        filters = {
            "--category": category,
            "--status": status,
            "--lang": lang,
            "--since": since,
            "--until": until,
            "--search": search,
            "--missing-lang": missing_lang,
            "--tag": tag,
            "--limit": limit,
            "--excel": excel or None,
            "--reverse": reverse or None,
            "--sort": None if sort is Sort.date else sort,
        }
        given = [name for name, value in filters.items() if value]
        if given:
            usage(
                f"{', '.join(given)}: the html site always holds every published article; "
                "filters are for --format json, jsonl, csv and xlsx"
            )
        if output is None:
            usage("--format html needs -o DIR, the folder to write the site into")
        from opdc_cli.fsutil import is_stream

        if is_stream(output):
            usage(f"-o {output}: is a device or a pipe; --format html writes a folder of files")
        _export_html(site, output, clean, with_originals, jobs, force)
        return
    for name, value in (
        ("--clean", clean),
        ("--force", force),
        ("--with-originals", with_originals),
        ("--jobs", jobs),
    ):
        if value:
            usage(f"{name} is for --format html")
    if excel and fmt is not ExportFormat.csv:
        usage("--excel is for --format csv")
    from opdc_cli.export.data import export_data
    from opdc_cli.fsutil import write_output
    from opdc_cli.publish import Gate

    if output is not None and str(output) != "-":
        clash = site.output_clash(output)
        if clash:
            usage(f"-o {output}: {clash}")
    unready = [s for s in status or () if s != "published"]
    if unready:
        usage(
            f"--status {unready[0]}: an export publishes only what is published; "
            "opdc list --status draft --format json shows the others"
        )
    query = build_query(
        site, category, None, lang, since, until, search, missing_lang, tag, sort, reverse, None
    )
    gate = Gate(site.config, clock.now(site.config.tz), cache=site.cache)
    verdicts = (gate.verdict(article) for article in site.articles(query))
    articles = [v.article for v in verdicts if v.published][:limit]
    if fmt is ExportFormat.xlsx and output is None and sys.stdout.isatty():
        usage("--format xlsx writes a workbook, not text: give -o FILE.xlsx (or pipe it)")
    data = export_data(fmt.value, articles, site.config, gate.now, site.media_dir, excel=excel)
    if output is None or str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        if output.is_dir():
            usage(f"-o {output}: is a folder; --format {fmt.value} writes one file")
        write_output(output, data)
        err().print(f"[green]wrote[/] {len(articles)} article(s) to {display_path(output)}")
    if report_publication(site, gate):
        raise typer.Exit(1)


def _export_html(
    site: Site, output: Path, clean: bool, with_originals: bool, jobs: int | None, force: bool
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from opdc_cli.export.site import export_site

    console = err()
    names = {"articles": "article pages", "indexes": "index pages"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(names.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        now = clock.now(site.config.tz)
        report = export_site(
            site,
            output,
            now=now,
            clean=clean,
            with_originals=with_originals,
            jobs=jobs,
            progress=progress,
            force=force,
        )
    _html_report(site, output, report, with_originals, now)


def _html_report(
    site: Site, output: Path, report: ExportReport, with_originals: bool, now: datetime
) -> None:
    """What an html export did, on stderr; exit 1 when an article or a file was left out."""
    from opdc_cli.publish import held_line

    console = err()
    for message in report.warnings:
        warn(message)
    for problem in report.problems:
        console.print(f"[red]error:[/] {escape(problem.format(Path.cwd()))}")
    for path in report.conflicts:
        console.print(
            f"[red]error:[/] {escape(display_path(output / path))}: not written, a file opdc "
            "did not write (or that was changed since) is there: move it away, or pass --force"
        )
    console.print(
        f"[green]exported[/] {report.articles} article(s) to {escape(display_path(output))}: "
        f"{len(report.written)} file(s) written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed ({report.reread} article(s) read)"
    )
    if with_originals:
        console.print("originals published without their EXIF, GPS, XMP, IPTC or comments")
    line = held_line(report.held)
    if line:
        console.print(escape(line))
    _workflow_report(site, now)
    if report.problems or report.conflicts:
        console.print(
            f"[red]error:[/] {len(report.problems)} article(s) not published, "
            f"{len(report.conflicts)} file(s) not written: the rest of the site is up to date"
        )
        raise typer.Exit(1)


def _workflow_report(site: Site, now: datetime) -> None:
    """After an html export: say what a publishing freeze held back, and note the
    export's time for opdc due --check."""
    from opdc_cli.publish import frozen_line
    from opdc_cli.workflow import frozen_count, record_export

    freeze = site.config.workflow.freeze
    if freeze is not None and freeze.holds(now):
        line = frozen_line(site.config, frozen_count(site, now))
        fallback = f"publishing freeze until {freeze.end.isoformat()}: nothing new goes live"
        err().print(escape(line or fallback))
    record_export(site, now)


def register(app: typer.Typer) -> None:
    app.command(cls=OpdcCommand)(export)
