"""The Thai word boundaries opdc has found before, kept in the site's `.opdc/words.sqlite`.

Segmenting Thai (pythainlp's newmm) is the slowest thing an html export does: it
costs as much again as rendering every page. The text of a site changes little from
one export to the next, so each whitespace-free Thai chunk's boundaries are kept by a
hash of its text, and the next export, `show` or `list` only segments what is new.

A cache, never a source: it is keyed by what decides the answer (pythainlp's version,
its word list's hash and thai.py's own rules, in `stamp`); a file made under another
stamp, or damaged, is started again; when it cannot be opened or written the words
are segmented as if it were not there. Entries not used for `KEEP_DAYS` days go.

This module imports only the standard library, like thai.py, which uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

FILE_NAME = "words.sqlite"
KEEP_DAYS = 90
# New entries are written in one transaction at a time: at most this many wait.
BATCH = 2000

# New entries (key: boundaries) and the keys whose day moves on: what one process
# found and another writes.
Found = tuple[dict[bytes, bytes], list[bytes]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS words (
    key BLOB PRIMARY KEY,
    cuts BLOB NOT NULL,
    used INTEGER NOT NULL
) WITHOUT ROWID;
"""


def _today() -> int:
    return int(time.time() // 86400)


def key_of(chunk: str) -> bytes:
    return hashlib.blake2b(chunk.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def encode(tokens: tuple[str, ...]) -> bytes:
    """The tokens' lengths, each as one code point (UTF-8: one byte below 128)."""
    return "".join(chr(len(token)) for token in tokens).encode("utf-8", "surrogatepass")


def decode(chunk: str, cuts: bytes) -> tuple[str, ...] | None:
    """The tokens of `chunk` that `cuts` describes; None when they do not add up to it."""
    try:
        lengths = [ord(ch) for ch in cuts.decode("utf-8", "surrogatepass")]
    except UnicodeDecodeError:
        return None
    if sum(lengths) != len(chunk) or 0 in lengths:
        return None
    tokens = []
    start = 0
    for length in lengths:
        tokens.append(chunk[start : start + length])
        start += length
    return tuple(tokens)


class WordStore:
    """One site's kept word boundaries. Opened on first use in each process (a
    forked worker opens its own connection); `flush` writes what was found since."""

    def __init__(self, path: Path, stamp: Callable[[], str]) -> None:
        self.path = path
        self.stamp = stamp  # asked when the file is opened: a warm run need not load pythainlp
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._broken = False
        self._new: dict[bytes, bytes] = {}
        self._seen: list[bytes] = []  # used again today: their day is moved on at flush
        self._today = _today()

    def get(self, chunk: str) -> tuple[str, ...] | None:
        db = self._connect()
        if db is None:
            return None
        key = key_of(chunk)
        try:
            row = db.execute("SELECT cuts, used FROM words WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            self._give_up()
            return None
        if row is None:
            return None
        if row[1] < self._today:
            self._seen.append(key)
        return decode(chunk, row[0])

    def put(self, chunk: str, tokens: tuple[str, ...]) -> None:
        if self._connect() is None:
            return
        self._new[key_of(chunk)] = encode(tokens)
        if len(self._new) + len(self._seen) >= BATCH:
            self.flush()

    def take(self) -> Found:
        """What was found since the last flush, given up by this process (a worker
        hands it to the process that writes: one writer, no waiting on a lock)."""
        found = (self._new, self._seen)
        self._new, self._seen = {}, []
        return found

    def give(self, found: Found) -> None:
        """Keep what another process found (take), written at the next flush."""
        if self._connect() is None:
            return
        self._new.update(found[0])
        self._seen.extend(found[1])
        if len(self._new) + len(self._seen) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the entries found and the days of those used since the last flush."""
        if not (self._new or self._seen) or self._pid != os.getpid() or self._db is None:
            return
        new, seen = self._new, self._seen
        self._new, self._seen = {}, []
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO words VALUES (?, ?, ?)",
                    [(key, cuts, self._today) for key, cuts in new.items()],
                )
                self._db.executemany(
                    "UPDATE words SET used = ? WHERE key = ?", [(self._today, k) for k in seen]
                )
        except sqlite3.Error:
            self._give_up()

    def close(self) -> None:
        self.flush()
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._db is not None and self._pid == os.getpid():
            return self._db
        # A forked process never uses its parent's connection, nor writes its entries.
        self._db, self._pid, self._new, self._seen = None, os.getpid(), {}, []
        try:
            self._db = self._open()
        except (OSError, sqlite3.Error):
            # Damaged: started again once; unusable (read-only, full disk): not used.
            with contextlib.suppress(OSError):
                self.path.unlink()
            try:
                self._db = self._open()
            except (OSError, sqlite3.Error):
                self._give_up()
        return self._db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a cache: a crash costs only time
            db.executescript(_SCHEMA)
            self._check_stamp(db)
        except BaseException:
            db.close()
            raise
        return db

    def _check_stamp(self, db: sqlite3.Connection) -> None:
        """Start again under another stamp; drop entries unused for KEEP_DAYS (daily)."""
        rows = dict(db.execute("SELECT name, value FROM meta").fetchall())
        with db:
            stamp = self.stamp()
            if rows.get("stamp") != stamp:
                db.execute("DELETE FROM words")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('stamp', ?)", (stamp,))
            if rows.get("pruned") != str(self._today):
                db.execute("DELETE FROM words WHERE used < ?", (self._today - KEEP_DAYS,))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned', ?)", (str(self._today),))

    def _give_up(self) -> None:
        self._broken = True
        self._new, self._seen = {}, []
        if self._db is not None and self._pid == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
