"""opdc export: the articles as JSON, JSON Lines or CSV, or the static html site."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from opdc_cli.cli.common import (
    CategoryOption,
    LangOption,
    LimitOption,
    MissingLangOption,
    ReverseOption,
    SearchOption,
    SinceOption,
    Sort,
    SortOption,
    StatusOption,
    TagOption,
    UntilOption,
    build_query,
    display_path,
    err,
    open_site,
    report_problems,
    usage,
    warn,
)
from opdc_cli.content import Site
from opdc_cli.fsutil import is_stream


class ExportFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    html = "html"


def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format", "-f", help="json, jsonl or csv for scripts; html for the static site."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="json/jsonl/csv: a file (default stdout). html: the folder (required).",
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
        typer.Option("--clean", help="html: also delete files in the folder opdc did not write."),
    ] = False,
    with_originals: Annotated[
        bool,
        typer.Option(
            "--with-originals", help="html: publish the original photos too (never by default)."
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, help="html: worker processes for many pages (default: the cores)."),
    ] = None,
) -> None:
    """Export the articles for scripts (json, jsonl, csv) or as the static site (html).

    The data formats take the same filters as opdc list and are deterministic: the
    same content gives the same bytes. html writes the whole site of the published
    articles into a folder, rewriting only what changed since the last export.

    Examples:

      opdc export --format json | jq '.[0].translations.th.title'

      opdc export --format csv --excel --category headline -o headline.csv

      opdc export --format html -o public

      opdc export --format html -o public --clean
    """
    site = open_site(ctx)
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
                "filters are for --format json, jsonl and csv"
            )
        if output is None:
            usage("--format html needs -o DIR, the folder to write the site into")
        if is_stream(output):
            usage(f"-o {output}: is a device or a pipe; --format html writes a folder of files")
        _export_html(site, output, clean, with_originals, jobs)
        return
    for name, value in (
        ("--clean", clean),
        ("--with-originals", with_originals),
        ("--jobs", jobs),
    ):
        if value:
            usage(f"{name} is for --format html")
    if excel and fmt is not ExportFormat.csv:
        usage("--excel is for --format csv")
    from opdc_cli.export.data import export_data
    from opdc_cli.fsutil import write_output

    query = build_query(
        site, category, status, lang, since, until, search, missing_lang, tag, sort, reverse, limit
    )
    now = datetime.now(site.config.tz)
    articles = site.articles(query)
    report_problems(site)
    data = export_data(fmt.value, articles, site.config, now, site.media_dir, excel=excel)
    if output is None or str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if output.is_dir():
        usage(f"-o {output}: is a folder; --format {fmt.value} writes one file")
    write_output(output, data)
    err().print(f"[green]wrote[/] {len(articles)} article(s) to {display_path(output)}")


def _export_html(
    site: Site, output: Path, clean: bool, with_originals: bool, jobs: int | None
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from opdc_cli.export.html import export_site

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

        report = export_site(
            site, output, clean=clean, with_originals=with_originals, jobs=jobs, progress=progress
        )
    for message in report.warnings:
        warn(message)
    for problem in report.problems:
        warn(problem.format(Path.cwd()))
    console.print(
        f"[green]exported[/] {report.articles} article(s) to {display_path(output)}: "
        f"{len(report.written)} file(s) written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed ({report.reread} article(s) read)"
    )
    if report.problems:
        console.print(
            f"[red]error:[/] {len(report.problems)} article file(s) could not be read and "
            "were left as last exported: run 'opdc validate' for details"
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(export)
