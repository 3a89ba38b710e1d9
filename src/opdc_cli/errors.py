"""The one error type for what a user can fix, carrying where the problem is."""

from __future__ import annotations

import contextlib
from pathlib import Path


class OpdcError(Exception):
    """A problem in the user's content or command, with its place and what to do.

    `str()` gives the one-line form `path:line:col: message`, the form editors and
    CI jump to. The CLI prints it on stderr and exits with `exit_code`.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        line: int | None = None,
        col: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.col = col
        self.code = code

    def where(self, relative_to: Path | None = None) -> str:
        """`path:line:col` (as much of it as is known), or an empty string."""
        if self.path is None:
            return ""
        path = self.path
        if relative_to is not None:
            with contextlib.suppress(ValueError):
                path = path.relative_to(relative_to)
        parts = [str(path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def format(self, relative_to: Path | None = None) -> str:
        where = self.where(relative_to)
        return f"{where}: {self.message}" if where else self.message

    def __str__(self) -> str:
        return self.format()


class UsageError(OpdcError):
    """A wrong command line: exit code 2, as for any other usage error."""

    exit_code = 2


class ArticleNotFound(OpdcError):
    """No article has the asked-for id."""
