"""The `opdc` command line: a thin typer layer over the opdc_cli library.

Each command parses its options, calls the library and prints; results go to
stdout, messages to stderr. An OpdcError becomes one red line and exit 1 (2 for
a usage error); a traceback means a bug.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from opdc_cli import __version__
from opdc_cli.cli import articles, export, feed, index, media, validate
from opdc_cli.cli.common import err, escape, state
from opdc_cli.errors import OpdcError


class OpdcGroup(TyperGroup):
    """Turns a user's mistake into one line on stderr and the documented exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OpdcError as exc:
            err().print(f"[red]error:[/] {escape(exc.format(Path.cwd()))}")
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            # `opdc list | head`: the reader left; that is not an error.
            sys.stderr.close()
            raise typer.Exit(0) from None


app = typer.Typer(
    cls=OpdcGroup,
    name="opdc",
    help=(
        "Bilingual (Thai/English) news articles kept as files: create, list, show, "
        "validate, resize photos, feeds and a static site.\n\n"
        "The site is found from --site, else $OPDC_SITE, else the nearest site.toml "
        "at or above the working folder."
    ),
    epilog=(
        "Examples:  opdc new-article  ·  opdc list --category headline  ·  "
        "opdc show 26461 --lang en"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opdc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    site: Annotated[
        Path | None,
        typer.Option(
            "--site",
            envvar="OPDC_SITE",
            help="The site folder (the one holding site.toml).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Read every article file directly, ignoring the index."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    st = state(ctx)
    st.site = site
    st.cache = not no_cache


articles.register(app)
index.register(app)
media.register(app)
feed.register(app)
validate.register(app)
export.register(app)


def main() -> None:
    """The `opdc` console script."""
    app()
