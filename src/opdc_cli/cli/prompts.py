"""Questions on the terminal for `opdc new-article`: asked on stderr, answered on stdin.

Every question that needs an answer asks again until it gets one; Ctrl-C or
Ctrl-D at a question ends the command (exit 130) before anything is written.
Only the body question reads several lines, and there Ctrl-D ends the text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from opdc_cli import clock, thai
from opdc_cli.model import normalize_body
from opdc_cli.site import SiteConfig

T = TypeVar("T")

INTERRUPTED = 130


class Retry(ValueError):
    """An answer that cannot be used: the message says why; `default` is offered next."""

    def __init__(self, message: str, default: str | None = None) -> None:
        super().__init__(message)
        self.default = default


class Asker:
    """Asks on `console` (stderr); reads the answers with input()."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def interrupted(self) -> NoReturn:
        # The cursor is still on the question's line (after "^C", or nothing for
        # Ctrl-D): end that line, so neither the message nor the shell's prompt is glued to it.
        self.console.print()
        self.console.print("[red]interrupted:[/] nothing was written")
        raise typer.Exit(INTERRUPTED)

    def line(self, label: str, default: str | None = None) -> str:
        """One answer, without its surrounding spaces; Enter alone gives `default`."""
        prompt = Text(label, style="bold")
        if default:
            prompt.append(f" [{default}]", style="cyan")
        prompt.append(": ")
        try:
            answer = self.console.input(prompt).strip()
        except (KeyboardInterrupt, EOFError):
            self.interrupted()
        return answer or (default or "")

    def until(self, label: str, read: Callable[[str], T], default: str | None = None) -> T:
        """Ask until `read` accepts the answer (it raises Retry, whose message is shown)."""
        while True:
            answer = self.line(label, default)
            try:
                return read(answer)
            except Retry as retry:
                self.console.print(Text(str(retry), style="red"))
                if retry.default is not None:
                    default = retry.default

    def required(self, label: str, what: str) -> str:
        """A text that may not be empty."""

        def read(answer: str) -> str:
            if not answer:
                raise Retry(f"{what} is needed: type it, or Ctrl-C to stop")
            return answer

        return self.until(label, read)

    def category(self, config: SiteConfig) -> str:
        """A category key, chosen by its number, key or name in any language."""
        keys = list(config.categories)
        langs = config.languages
        for number, key in enumerate(keys, start=1):
            names = " / ".join(
                dict.fromkeys(config.category_name(key, lang) for lang in langs).keys()
            )
            self.console.print(Text(f"  {number}. {key} — {names}"))

        def read(answer: str) -> str:
            if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= len(keys):
                return keys[int(answer) - 1]
            found = config.find_category(answer)
            if found is not None:
                return found
            near = config.nearest_category(answer)
            if near is None:
                raise Retry(
                    f"no category {answer!r}: type a number from 1 to {len(keys)}, "
                    "a key or a name from the list"
                )
            name = config.category_name(near, langs[0])
            raise Retry(
                f"no category {answer!r}: did you mean {near} ({name})? Enter takes it", near
            )

        return self.until("Category", read, default=keys[0])

    def date(self, config: SiteConfig, now: datetime) -> datetime:
        """A date in any form opdc reads; Enter takes `now`, shown as the office reads it."""
        lang = config.primary_language
        shown = thai.format_date(now, lang, time=True)

        def read(answer: str) -> datetime:
            if answer == shown:
                return now
            try:
                when, _ = thai.read_date(answer, config.tz, today=clock.now(config.tz).date())
            except thai.DateError as exc:
                raise Retry(str(exc)) from None
            self.console.print(Text(f"  = {thai.format_date(when, lang, time=True)}", style="dim"))
            return when

        return self.until("Date", read, default=shown)

    def body(self, label: str, empty: str) -> str:
        """Several lines of text, as typed or pasted; ends with Ctrl-D on a line of its
        own, or with two empty lines in a row (a single one separates paragraphs).
        `empty` says what happens when no text is given."""
        self.console.print(
            Text.assemble(
                (label, "bold"),
                ": type or paste the text, one empty line between paragraphs.\n"
                f"  End with Ctrl-D, or Enter on two empty lines. {empty}",
            )
        )
        lines: list[str] = []
        while True:
            try:
                line = self.console.input(Text("> ", style="dim"))
            except EOFError:
                # Ctrl-D: the text is complete; end the line the terminal left open.
                self.console.print()
                break
            except KeyboardInterrupt:
                self.interrupted()
            if not line.strip() and lines and not lines[-1].strip():
                break
            lines.append(line)
        # Trailing spaces are dropped: opdc validate warns about them (OPDC403).
        return normalize_body("\n".join(line.rstrip() for line in lines))
