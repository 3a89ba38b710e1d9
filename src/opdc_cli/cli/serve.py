"""opdc serve: a live preview of the site, rebuilt and reloaded as files are saved."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli.cli.common import (
    OpdcCommand,
    SiteOption,
    at_least,
    err,
    escape,
    open_site,
    state,
    usage,
    warn,
)

if TYPE_CHECKING:
    from opdc_cli.serve import Rebuild


# Long for its typer options (one annotated parameter each); the body is ~50 lines.
def serve(
    ctx: typer.Context,
    port: Annotated[
        int,
        typer.Option(metavar="N", callback=at_least(1), help="The port to listen on."),
    ] = 8000,
    bind: Annotated[
        str,
        typer.Option(
            metavar="ADDRESS",
            help="The address to listen on; the default lets only this machine in.",
        ),
    ] = "127.0.0.1",
    drafts: Annotated[
        bool,
        typer.Option(
            "--drafts",
            help="Also show drafts and scheduled articles, each page marked with a banner.",
        ),
    ] = False,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the site in the web browser once built.")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(metavar="LANG", help="Start at this language's home page (th, en)."),
    ] = None,
    site_dir: SiteOption = None,
) -> None:
    """Preview the site in the browser while you write: the pages opdc export makes,
    rebuilt and reloaded in open tabs each time a file is saved.

    Watches articles/, media/, site.toml and templates/. A changed photo is resized
    first. A file with an error shows an error page naming its file and line, until
    it is fixed. The pages are built into .opdc/serve/ (never your export folder)
    and the reload script exists only while serving. Ctrl-C stops it.

    Examples:

      opdc serve

      opdc serve --drafts --open

      opdc serve --port 8080 --lang en
    """
    from opdc_cli.serve import Preview, is_exposed

    if port > 65535:
        usage(f"--port {port}: must be at most 65535")
    site = open_site(ctx, site_dir)
    if lang is not None and lang not in site.config.languages:
        usage(f"--lang {lang}: not a language of this site ({', '.join(site.config.languages)})")

    from opdc_cli.content import Site

    def reopen() -> Site:
        return Site.open(site.root, cache=state(ctx).cache, warn=lambda _message: None)

    preview = Preview(reopen, site.root, drafts=drafts)
    server = preview.listen(bind, port)
    console = err()
    if is_exposed(bind):
        warn(
            f"--bind {bind}: other machines on the network can open this preview"
            + (", drafts included" if drafts else "")
            + "; use the default 127.0.0.1 to keep it on this machine"
        )
    stop = threading.Event()
    # A service manager's stop (SIGTERM) ends the preview as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _report(preview.rebuild(set()), first=True)
        host = str(server.server_address[0])
        shown = "localhost" if host == "127.0.0.1" else f"[{host}]" if ":" in str(host) else host
        url = f"http://{shown}:{server.server_address[1]}/"
        if lang is not None:
            url += f"{lang}/"
        preview.start()
        console.print(
            f"serving {escape(url)}" + (" (drafts shown)" if drafts else "") + ", Ctrl-C stops"
        )
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        for changed in preview.changes(stop):
            _report(preview.rebuild(changed))
    except KeyboardInterrupt:
        # The way a preview ends: not an error.
        console.print("stopped; the built pages stay in .opdc/serve/ as a cache")
    finally:
        stop.set()
        preview.stop()


def _report(result: Rebuild, first: bool = False) -> None:
    """One line per rebuild on stderr, then the problems it found."""
    console = err()
    if first:
        what = "built"
    else:
        shown = ", ".join(result.changed[:3])
        more = len(result.changed) - 3
        what = f"{shown}{f' and {more} more' if more > 0 else ''} changed:"
    extra = f", {result.resized} photo(s) resized" if result.resized else ""
    console.print(
        f"{escape(what)} {result.pages} page(s) written, {result.articles} article(s) shown"
        f"{extra}, {result.seconds:.2f} s"
    )
    cwd = Path.cwd()
    for problem in result.errors:
        console.print(f"[red]error:[/] {escape(problem.format(cwd))}")
    if first:
        # Already at fault when the server started: said once, the rest is previewed.
        for problem in result.others:
            console.print(f"[yellow]not shown:[/] {escape(problem.format(cwd))}")
        for message in result.warnings:
            warn(message)


def register(app: typer.Typer) -> None:
    app.command(cls=OpdcCommand)(serve)
