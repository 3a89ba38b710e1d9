"""The `opdc` command line: a thin typer layer over the opdc_cli library.

Each command parses its options, calls the library and prints; results go to
stdout, messages to stderr. Every failure ends here, in OpdcGroup, as one line on
stderr and the documented exit status: 1 for the content or the file system, 2
for the command line, 130 for an interrupt. A traceback means a bug.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

# typer 0.29 carries its own copy of Click; its exceptions are only importable here.
from typer._click.exceptions import (
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
)

from opdc_cli import __version__
from opdc_cli.cli import articles, export, feed, import_, index, media, serve, validate, workflow
from opdc_cli.cli.common import (
    TidyGroup,
    err,
    escape,
    os_error_message,
    state,
)
from opdc_cli.errors import OpdcError

EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class OpdcGroup(TidyGroup):
    """Turns every failure into one line on stderr and the documented exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()
            code = EXIT_USAGE
        except ClickException as exc:
            _error(usage_message(exc))
            code = exc.exit_code
        except typer.Abort:
            # A prompt's end of input (Ctrl-D): stop as for Ctrl-C.
            code = _interrupted()
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OpdcError as exc:
            _error(exc.format(Path.cwd()))
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            # `opdc list | head`: the reader left; that is not an error.
            sys.stderr.close()
            raise typer.Exit(0) from None
        except OSError as exc:
            _error(os_error_message(exc))
            raise typer.Exit(EXIT_CONTENT) from None
        except KeyboardInterrupt:
            raise typer.Exit(_interrupted()) from None


def _error(message: str) -> None:
    err().print(f"[red]error:[/] {escape(message)}")


def _interrupted() -> int:
    # The terminal echoed ^C without a newline: end that line first.
    lead = "\n" if sys.stderr.isatty() else ""
    err().print(f"{lead}[yellow]interrupted[/]")
    return EXIT_INTERRUPTED


def _param_name(exc: BadParameter) -> str:
    param = exc.param
    if param is None:
        return ""
    if param.param_type_name == "argument":
        return param.metavar or param.name or ""
    longs = [o for o in param.opts if o.startswith("--")]
    return (longs or param.opts)[0]


def _choices(descriptor: Any) -> str:
    return ", ".join(str(getattr(c, "value", c)) for c in descriptor.choices)


def _sentence(text: str) -> str:
    """typer's "Missing option '--x'." as opdc writes it: lower case, no full stop."""
    text = text.strip().rstrip(".")
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]
    return text


def _bad_value(exc: BadParameter) -> str:
    """What is wrong with the value, in words, whatever typer's (pydantic's) said."""
    cause = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if not errors:
        return _sentence(exc.message)
    first = errors[0]
    kind, given = first.get("type", ""), first.get("input")
    limits = first.get("ctx") or {}
    descriptor = getattr(exc.param, "type_descriptor", None)
    if descriptor is not None and descriptor.is_choice:
        return f"{given!r} is not one of {_choices(descriptor)}"
    if kind.startswith("int_"):
        return f"{given!r} is not a whole number"
    if kind == "greater_than_equal":
        return f"must be at least {limits['ge']}, not {given}"
    if kind == "less_than_equal":
        return f"must be at most {limits['le']}, not {given}"
    return _sentence(str(limits.get("error") or first.get("msg", exc.message)))


def usage_message(exc: ClickException) -> str:
    """One line for a wrong command line, keeping typer's did-you-mean suggestions."""
    if isinstance(exc, MissingParameter):
        message = f"missing {_param_name(exc)}"
        descriptor = getattr(exc.param, "type_descriptor", None)
        if descriptor is not None and descriptor.is_choice:
            message += f": one of {_choices(descriptor)}"
        return message
    if isinstance(exc, BadParameter):
        name = _param_name(exc)
        value = _bad_value(exc)
        return f"{name}: {value}" if name else value
    if isinstance(exc, NoSuchOption):
        message = f"no such option {exc.option_name}"
        if exc.possibilities:
            message += f"; did you mean {' or '.join(sorted(exc.possibilities))}?"
        return message
    message = _sentence(exc.format_message())
    return message.replace(". Did you mean", "; did you mean")


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
            metavar="DIR",
            help="The site folder (the one holding site.toml).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read every article file directly, ignoring the index, and check every "
            "article again (validate, and the publication gate of export and feed).",
        ),
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
serve.register(app)
import_.register(app)
workflow.register(app)


def main() -> None:
    """The `opdc` console script."""
    app()
