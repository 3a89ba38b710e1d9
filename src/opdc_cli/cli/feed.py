"""opdc feed: RSS 2.0 or Atom 1.0 of the published articles, one feed or all of them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli import clock
from opdc_cli.cli.common import (
    OpdcCommand,
    SiteOption,
    at_least,
    display_path,
    err,
    escape,
    open_site,
    report_publication,
    usage,
    warn,
)

if TYPE_CHECKING:
    from opdc_cli.content import Site


# Long for its typer options (one annotated parameter each); the body is ~50 lines.
def feed(
    ctx: typer.Context,
    lang: Annotated[
        str | None,
        typer.Option(
            metavar="LANG",
            help="Titles, texts and links in this language; default the primary one.",
        ),
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option(metavar="KEY", help="Only this category (repeatable).")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(metavar="TAG", help="Only articles with this tag, in any case (repeatable)."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            callback=at_least(1),
            help="At most this many items; default from site.toml (20).",
        ),
    ] = None,
    atom: Annotated[bool, typer.Option("--atom", help="Atom 1.0 instead of RSS 2.0.")] = False,
    full_content: Annotated[
        bool,
        typer.Option("--full-content", help="Add each whole body as HTML (content:encoded)."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            metavar="FILE",
            help="Write the feed to this file (atomically; untouched if unchanged). '-': stdout.",
        ),
    ] = None,
    all_dir: Annotated[
        Path | None,
        typer.Option(
            "--all",
            file_okay=False,
            metavar="DIR",
            help=(
                "Write every feed into DIR: per language and per category, RSS and Atom "
                "(feeds/th/rss.xml, feeds/th/headline.atom.xml, …)."
            ),
        ),
    ] = None,
    site_dir: SiteOption = None,
) -> None:
    """Print the feed of the published articles, newest first (RSS 2.0 unless --atom).

    Scheduled articles appear once their date has come; drafts never do. The same
    content gives the same bytes.

    Examples:

      opdc feed > rss.xml

      opdc feed --lang en --category headline --atom -o feeds/en/headline.atom.xml

      opdc feed --all public/
    """
    site = open_site(ctx, site_dir)
    for target, is_folder in ((output, False), (all_dir, True)):
        if target is not None and str(target) != "-":
            clash = site.output_clash(target, folder=is_folder)
            if clash:
                usage(f"{'--all' if is_folder else '-o'} {target}: {clash}")
    if all_dir is not None:
        given = [
            name
            for name, value in (
                ("--lang", lang),
                ("--category", category),
                ("--tag", tag),
                ("--atom", atom),
                ("--output", output),
            )
            if value
        ]
        if given:
            usage(f"--all writes every feed; it cannot be combined with {', '.join(given)}")
        _write_all(site, all_dir, limit, full_content)
        return

    from opdc_cli.feed import build_feed, write_file
    from opdc_cli.publish import Gate

    gate = Gate(site.config, clock.now(site.config.tz), cache=site.cache)
    data, warnings = build_feed(
        site,
        lang=lang or site.config.primary_language,
        categories=category or (),
        tags=tag or (),
        limit=limit,
        atom=atom,
        full_content=full_content,
        now=gate.now,
        gate=gate,
    )
    for message in warnings:
        warn(message)
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        changed = write_file(output, data)
        err().print(f"{'wrote' if changed else 'unchanged'} {escape(display_path(output))}")
    if report_publication(site, gate):
        raise typer.Exit(1)


def _write_all(site: Site, folder: Path, limit: int | None, full_content: bool) -> None:
    from opdc_cli.feed import write_feeds
    from opdc_cli.publish import Gate

    gate = Gate(site.config, clock.now(site.config.tz), cache=site.cache)
    results = write_feeds(
        site, folder, now=gate.now, limit=limit, full_content=full_content, warn=warn, gate=gate
    )
    console = err()
    for result in results:
        action = "[green]   write[/]" if result.changed else "[dim]    same[/]"
        empty = " [yellow](empty)[/]" if result.items == 0 else ""
        console.print(
            f"{action} {escape(display_path(result.path))} ({result.items} item(s)){empty}"
        )
    changed = sum(result.changed for result in results)
    console.print(f"{len(results)} feeds in {escape(display_path(folder))}, {changed} changed")
    if report_publication(site, gate):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("feed", cls=OpdcCommand)(feed)
