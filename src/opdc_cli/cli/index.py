"""opdc index: bring the article index in .opdc/ up to date, rebuild it, or report on it."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli.cli.common import (
    OpdcCommand,
    SiteOption,
    display_path,
    err,
    open_site,
    report_problems,
    usage,
    warn,
)
from opdc_cli.errors import OpdcError

if TYPE_CHECKING:
    from opdc_cli.index import Session, Stats


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _when(value: datetime | None, tz: object) -> str | None:
    from datetime import tzinfo

    assert isinstance(tz, tzinfo)
    return value.astimezone(tz).isoformat(timespec="seconds") if value else None


def _print_stats(stats: Stats, tz: object, as_json: bool) -> None:
    fields: dict[str, object] = {
        "index": display_path(stats.path),
        "articles": stats.articles,
        "problems": stats.problems,
        "size": stats.size,
        "created": _when(stats.created, tz),
        "updated": _when(stats.updated, tz),
        "checked": _when(stats.checked, tz),
        "current": stats.current,
    }
    if as_json:
        import json

        sys.stdout.write(json.dumps(fields, indent=2) + "\n")
        return
    fields["size"] = _megabytes(stats.size)
    fields["current"] = "yes" if stats.current else "no: the next command rebuilds it"
    lines = (
        f"{key + ':':<10} {'never' if value is None else value}\n" for key, value in fields.items()
    )
    sys.stdout.write("".join(lines))


# Long for its typer options (one annotated parameter each); the body is ~40 lines.
def index(
    ctx: typer.Context,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Forget what the index holds and read every file.")
    ] = False,
    stats: Annotated[
        bool,
        typer.Option(
            "--stats",
            help="Print what the index holds: articles, size, last update and check.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --stats: print JSON.")] = False,
    site_dir: SiteOption = None,
) -> None:
    """Bring the article index in .opdc/ up to date with the files, or rebuild it.

    Every command does this by itself first; run it after a large change (a git
    pull, a bulk import) to pay the re-reading once, up front. Deleting .opdc/ is
    always safe: the next command builds the index again.

    Examples:

      opdc index

      opdc index --rebuild

      opdc index --stats
    """
    from opdc_cli.index import CacheUnusable, Index, run

    site = open_site(ctx, site_dir)
    if not site.cache:
        usage("--no-cache: opdc index works on the index; leave --no-cache out")
    if as_json and not stats:
        usage("--json goes with --stats")
    idx = Index(site.config)
    if stats and not rebuild:
        try:
            _print_stats(idx.stats(), site.config.tz, as_json)
        except CacheUnusable as exc:
            raise OpdcError(
                f"{display_path(idx.path)}: {exc}: run 'opdc index --rebuild'"
            ) from None
        return
    start = time.perf_counter()
    if rebuild:
        try:
            idx.rebuild()
        except CacheUnusable as exc:
            raise OpdcError(f"cannot rebuild {display_path(idx.path)}: {exc}") from None

    def summary(session: Session) -> tuple[int, int, int]:
        site.problems = session.problems()
        return session.count(), session.reread, session.plan.files

    found = run(site.config, warn, summary)
    if found is None:
        raise OpdcError(f"{display_path(idx.path)} could not be used (see the warning above)")
    count, reread, files = found
    report_problems(site)
    err().print(
        f"[green]index up to date:[/] {count} article(s) from {files} file(s); "
        f"{reread} re-read in {time.perf_counter() - start:.2f} s"
    )
    if stats:
        _print_stats(idx.stats(), site.config.tz, as_json)


def register(app: typer.Typer) -> None:
    app.command(cls=OpdcCommand)(index)
