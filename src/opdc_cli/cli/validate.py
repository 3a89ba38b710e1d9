"""opdc validate: every check, reported for people, scripts, CI and pre-commit."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli import clock
from opdc_cli.cli.common import (
    OpdcCommand,
    SiteOption,
    at_least,
    err,
    out,
    site_root,
    state,
    stdout_is_terminal,
)

if TYPE_CHECKING:
    from opdc_cli.validate import Problem


class Format(StrEnum):
    text = "text"
    json = "json"
    github = "github"


STYLES = {"error": "red", "warning": "yellow", "info": "cyan"}


# Long for its typer options (one annotated parameter each); the body is ~30 lines.
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Files or folders to check (articles, media/ID/, site.toml); "
            "default: the whole site.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="text: a report grouped by file on a terminal, else one "
            "'path:line:col: CODE message' line per problem; json: a list for scripts; "
            "github: GitHub Actions annotations.",
        ),
    ] = Format.text,
    strict: Annotated[
        bool, typer.Option("--strict", help="Count warnings as errors (exit 1 on any).")
    ] = False,
    deep: Annotated[
        bool,
        typer.Option("--deep", help="Decode every photo fully, not just its header (slower)."),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Also report information, e.g. scheduled articles."),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            callback=at_least(1),
            help="Worker processes for big sites; default: one per CPU.",
        ),
    ] = None,
    site_dir: SiteOption = None,
) -> None:
    """Check the whole site, or the named files, and report every problem found.

    Exit status: 0 when there are no errors (warnings allowed), 1 when there are
    errors (or, with --strict, warnings), 2 for a wrong command line. Every code
    is explained in docs/validate.md.

    An article whose files and media folder have not changed since its last check
    is not checked again: its result is kept in .opdc/checks.sqlite. --deep, and
    opdc --no-cache, check everything again.

    Examples:

      opdc validate

      opdc validate articles/2018/26461.toml media/26461

      opdc validate --strict --format github

      opdc validate --format json | jq '.[] | select(.severity == "error")'
    """
    from opdc_cli.report import github_lines, json_text, summary, text_lines
    from opdc_cli.site import find_site_root
    from opdc_cli.validate import validate_site

    given = paths or []
    start = None
    if given:
        first = given[0].absolute()
        start = first if first.is_dir() else first.parent
    root = find_site_root(site_root(ctx, site_dir), start=start)
    now = clock.now()
    # opdc --no-cache checks every article again, as --deep does.
    cache = state(ctx).cache
    result = validate_site(root, given, deep=deep, jobs=jobs, now=now, cache=cache)
    problems = [p for p in result.problems if verbose or p.severity != "info"]
    if strict:
        problems = [p.as_error() for p in problems]
    base = Path.cwd()
    if fmt is Format.json:
        sys.stdout.write(json_text(problems, base))
    elif fmt is Format.github:
        sys.stdout.write(github_lines(problems, base))
    elif stdout_is_terminal():
        _print_report(problems, base)
    else:
        sys.stdout.write(text_lines(problems, base))
    errors = sum(1 for p in problems if p.severity == "error")
    style = "red" if errors else ("yellow" if problems else "green")
    err().print(f"[{style}]{summary(problems, result.articles, base)}[/]")
    if errors:
        raise typer.Exit(1)


def _print_report(problems: Sequence[Problem], base: Path) -> None:
    """The problems grouped by file, errors red, warnings yellow; long messages wrap
    in their own column."""
    from itertools import groupby

    from rich.table import Table
    from rich.text import Text

    from opdc_cli.report import display_path
    from opdc_cli.textio import visible

    console = out()
    for number, (path, group) in enumerate(groupby(problems, key=lambda p: p.path)):
        if number:
            console.print()
        console.print(Text(visible(display_path(path, base)), style="bold underline"))
        table = Table.grid(padding=(0, 2))
        # Fixed widths, so that every file's rows line up with the others'.
        table.add_column(justify="right", no_wrap=True, min_width=9)
        table.add_column(no_wrap=True, min_width=7)
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for problem in group:
            place = f"{problem.line}:{problem.col}" if problem.line is not None else "-"
            table.add_row(
                Text(place),
                Text(problem.severity, style=STYLES[problem.severity]),
                Text(problem.code, style="dim"),
                Text(visible(problem.message)),
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command(cls=OpdcCommand)(validate)
