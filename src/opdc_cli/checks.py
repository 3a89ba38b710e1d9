"""Validate's results for each article, kept while the article has not changed.

Checking an article reads its files, opens its photos and documents: on a big site
that is most of `opdc validate`, and most of an export, whose publication gate asks
validate about every article it publishes. What the check finds depends only on:

- the article's files (their path, size, mtime, inode and ctime, as the index
  compares them),
- its media folder (every entry's name, kind, size, mtime and inode, the resize
  record `.resize.json` included; not the ctime, which the html export's hard
  links to the photos change),
- site.toml's settings and opdc's code (a change to either starts afresh),
- and, for a published article dated in the future, the time (OPDC501, "scheduled").

So each article's problems are kept in `.opdc/checks.sqlite` under a signature of
the first two, and reused while they match. A file changed within `index.RACY_NS`
of being checked may change again unseen within one mtime tick: its result is not
kept. A problem found at a time before a published article's date (OPDC501) is not
kept either; a result kept without it is reused only once that date has come, or
where the time does not count (the publication gate).

The cache only ever saves work: when it cannot be opened or written, everything is
checked as if it were empty. `opdc validate --no-cache` and `--deep` check
everything again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import stat
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from opdc_cli import __version__
from opdc_cli.index import BUSY_TIMEOUT, CACHE_DIR, RACY_NS, epoch_us, make_folder

if TYPE_CHECKING:
    from opdc_cli.site import SiteConfig
    from opdc_cli.validate import Problem

DB_NAME = "checks.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS checks ("
    " id INTEGER PRIMARY KEY, sig BLOB NOT NULL, scheduled INTEGER, problems TEXT NOT NULL)",
)


@dataclass(frozen=True)
class Checked:
    """One article's check: its problems, and for a published article its date in
    microseconds since the epoch (before that time, validate also reports OPDC501)."""

    problems: list[Problem]
    scheduled: int | None = None

    def timed(self) -> bool:
        """Whether the result holds a problem that only the time of the check raised."""
        return any(p.code == "OPDC501" for p in self.problems)


def package_stamp() -> str:
    """Size and mtime (ns) of every module of opdc: what its checks and pages were made
    by. A released opdc changes its version when they change; a working copy being
    edited does not, and nothing it keeps may outlive the code that made it."""
    package = Path(__file__).parent
    stamps = []
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            st = path.stat()
            stamps.append(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}")
    return " ".join(stamps)


def code_stamp() -> str:
    """What the checks' code is: opdc's modules and the libraries that judge photos and
    documents."""
    stamps = [f"schema {SCHEMA_VERSION}", f"opdc {__version__}", f"python {sys.version}"]
    stamps.append(package_stamp())
    for name in ("PIL", "pypdf"):
        # find_spec of a top-level name finds the package without importing it.
        spec = find_spec(name)
        if spec is not None and spec.origin:
            with contextlib.suppress(OSError):
                stamps.append(f"{name}:{os.stat(spec.origin).st_mtime_ns}")
    return "\n".join(stamps)


class Signer:
    """The signature of an article's files and media folder; None for one that
    changed too recently to be trusted (or could not be read).

    Strings, not Paths, and one system call per file: on a big site, signing is
    most of what a second `opdc validate` does."""

    def __init__(self, root: Path, now_ns: int | None = None) -> None:
        self.media_dir = str(root / "media")
        self.cutoff = (time.time_ns() if now_ns is None else now_ns) - RACY_NS

    def sign(self, article_id: int, paths: Sequence[Path]) -> bytes | None:
        parts: list[str] = []
        try:
            for path in paths:
                if not self._add(parts, str(path), os.lstat(path)):
                    return None
            try:
                # A media/ that is a link is refused: nothing behind it is read.
                parts.append("media-link" if os.path.islink(self.media_dir) else "media")
                folder = f"{self.media_dir}/{article_id}"
                top = os.lstat(folder)
            except FileNotFoundError:
                return _digest(parts)
            if not self._add(parts, "", top, media=True):
                return None
            if stat.S_ISDIR(top.st_mode) and not self._folder(parts, folder, ""):
                return None
        except OSError:
            return None
        return _digest(parts)

    def _folder(self, parts: list[str], folder: str, prefix: str) -> bool:
        """Every entry of `folder` (hidden ones included, links not followed), in the
        order the system lists them: a new order only costs a check."""
        with os.scandir(folder) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                name = prefix + entry.name
                if not self._add(parts, name, st, media=True):
                    return False
                if stat.S_ISDIR(st.st_mode) and not self._folder(parts, entry.path, name + "/"):
                    return False
        return True

    def _add(self, parts: list[str], name: str, st: os.stat_result, media: bool = False) -> bool:
        # A media file's change time is left out: every html export hard-links the
        # photos into its folder, and a new link changes the file's ctime.
        changed = st.st_mtime_ns if media else max(st.st_mtime_ns, st.st_ctime_ns)
        parts.append(f"{name}\0{st.st_mode}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{changed}")
        return changed <= self.cutoff


def _digest(parts: list[str]) -> bytes:
    data = "\n".join(parts).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(data, digest_size=20).digest()


class CheckCache:
    """The kept results of one site, for one set of settings and one code."""

    def __init__(self, config: SiteConfig) -> None:
        self.root = config.root
        self.path = config.root / CACHE_DIR / DB_NAME
        self.key = f"{code_stamp()}\nsettings {config!r}"
        self.signer = Signer(config.root)
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._broken = False

    def _connection(self) -> sqlite3.Connection | None:
        # A connection is never used across fork: export workers open their own.
        if self._broken:
            return None
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self._conn = self._open()
        except (sqlite3.Error, OSError):
            with contextlib.suppress(OSError):
                # A damaged file is started again, once.
                self.path.unlink()
            try:
                self._conn = self._open()
            except (sqlite3.Error, OSError):
                self._broken = True
                return None
        self._pid = os.getpid()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        make_folder(self.path.parent)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            for statement in _SCHEMA:
                conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key = 'key'").fetchone()
            if row is None or row[0] != self.key:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM checks")
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (self.key,))
                conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def get(self, article_id: int, sig: bytes | None, now: datetime | None) -> list[Problem] | None:
        """The kept problems of the article, when its signature still matches and the
        time `now` (None: the time does not count) cannot add OPDC501; else None."""
        return self.get_many([(article_id, sig)], now).get(article_id)

    def get_many(
        self, wanted: Sequence[tuple[int, bytes | None]], now: datetime | None
    ) -> dict[int, list[Problem]]:
        """get() for many articles, by id, in one query: those it has an answer for."""
        sigs = {article_id: sig for article_id, sig in wanted if sig is not None}
        conn = self._connection() if sigs else None
        if conn is None:
            return {}
        limit = None if now is None else epoch_us(now)
        found = {}
        try:
            # One query per few hundred ids: SQLite allows as many parameters.
            ids = list(sigs)
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                marks = ",".join("?" * len(batch))
                query = f"SELECT id, sig, scheduled, problems FROM checks WHERE id IN ({marks})"
                for article_id, sig, scheduled, text in conn.execute(query, batch):
                    if sig != sigs[article_id]:
                        continue
                    if scheduled is not None and limit is not None and limit < scheduled:
                        continue
                    problems = self._load(text)
                    if problems is not None:
                        found[article_id] = problems
        except sqlite3.Error:
            return {}
        return found

    def put(self, found: Iterable[tuple[int, bytes | None, Checked]]) -> None:
        """Keep these results (those with a signature and no OPDC501), in one write."""
        rows = [
            (article_id, sig, checked.scheduled, self._dump(checked.problems))
            for article_id, sig, checked in found
            if sig is not None and not checked.timed()
        ]
        if rows:
            self._write("INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?)", rows)

    def forget_others(self, ids: Iterable[int]) -> None:
        """Drop the results of articles other than `ids` (the site's articles now)."""
        conn = self._connection()
        if conn is None:
            return
        keep = set(ids)
        try:
            stored = [row[0] for row in conn.execute("SELECT id FROM checks")]
        except sqlite3.Error:
            return
        gone = [(i,) for i in stored if i not in keep]
        if gone:
            self._write("DELETE FROM checks WHERE id = ?", gone)

    def _write(self, statement: str, rows: Sequence[tuple[object, ...]]) -> None:
        """One write transaction; busy or read-only, nothing is kept (the results are
        worked out again next time)."""
        conn = self._connection()
        if conn is None:
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(statement, rows)
            conn.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __getstate__(self) -> dict[str, object]:
        # For worker processes that are not forked: they open their own connection.
        return {**self.__dict__, "_conn": None}

    def _dump(self, problems: Sequence[Problem]) -> str:
        return json.dumps(
            [
                [
                    _relative(p.path, self.root),
                    *(p.line, p.col, p.code, p.severity, p.message, p.article),
                ]
                for p in problems
            ],
            ensure_ascii=False,
        )

    def _load(self, text: str) -> list[Problem] | None:
        from opdc_cli.validate import Problem

        try:
            return [
                Problem(self.root / path, line, col, code, severity, message, article)
                for path, line, col, code, severity, message, article in json.loads(text)
            ]
        except (ValueError, TypeError):
            return None


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
