"""The content index: what the article files say, kept in SQLite beside the site.

`<site>/.opdc/index.sqlite3` holds one row per article (the files of one id): the
columns queries filter and sort on (category, status, date, local day), a small
summary for `opdc list` (titles, languages, tags, photo count, paths) and the
parsed Article itself, pickled and compressed. A read problem is stored in place
of the article, so a broken file is not re-parsed on every command either.

Nothing in it is trusted beyond what the file system says: every session starts
by scanning articles/ (names and `stat` only, no file is opened) and re-reads the
articles whose files are new, changed (size, mtime in ns, inode or ctime differ)
or gone. A file modified within RACY_NS of being read is read again next time,
because a second write in the same clock tick would leave its stat unchanged.
The schema version, opdc's and Python's versions, the code that reads articles
and the site settings key the database: any change rebuilds it. A damaged
database is deleted and rebuilt; a locked or unwritable one is bypassed; either
way the caller is warned and gets the same answer as from the files. Deleting
`.opdc/` is always safe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import marshal
import os
import pickle
import re
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, TypeVar

from opdc_cli import __version__, store
from opdc_cli.errors import OpdcError
from opdc_cli.model import Article
from opdc_cli.site import SiteConfig
from opdc_cli.workers import process_pool, worker_count

SCHEMA_VERSION = 6
CACHE_DIR = ".opdc"
DB_NAME = "index.sqlite3"
STAMP = "checked"  # touched each time the index is found up to date
# Below this many articles to re-read, starting worker processes costs more than
# it saves (bench/bench_list.py --threshold: even at 50, 17% faster at 100 on 2 cores).
POOL_THRESHOLD = 100
# A file modified this recently may be modified again within the same mtime tick.
RACY_NS = 2_000_000_000
# How long to wait for another opdc writing the index before reading files directly.
BUSY_TIMEOUT = 10.0
# SQLite keeps integers in 64 bits: an id, or a limit, beyond that cannot be stored.
MAX_INT = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Error codes (the low byte of sqlite_errorcode) that mean "cannot use it now",
# as opposed to "its content is damaged".
_UNUSABLE = {
    3,  # SQLITE_PERM
    5,  # SQLITE_BUSY
    6,  # SQLITE_LOCKED
    7,  # SQLITE_NOMEM
    8,  # SQLITE_READONLY
    10,  # SQLITE_IOERR
    13,  # SQLITE_FULL
    14,  # SQLITE_CANTOPEN
    15,  # SQLITE_PROTOCOL
    23,  # SQLITE_AUTH
}
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # ok = 1: the other columns are set and `parsed` holds the Article; ok = 0:
    # `parsed` holds the OpdcError that reading the files raised. The parsed
    # articles live in a table of their own, so that scanning the small rows (every
    # command does) never pages through the large ones.
    # tags, titles and summary are marshalled tuples, each read only by the
    # queries that need it: tags and titles to filter and sort on, the summary
    # (the same again with the date in its own offset, the photo count, the form
    # and the paths) for what `opdc list` shows.
    "CREATE TABLE articles ("
    " id INTEGER PRIMARY KEY, sig TEXT NOT NULL, racy INTEGER NOT NULL, ok INTEGER NOT NULL,"
    " category TEXT, status TEXT, date_us INTEGER, expires_us INTEGER, day INTEGER, langs TEXT,"
    " tags BLOB, titles BLOB, summary BLOB)",
    "CREATE INDEX articles_by_date ON articles (date_us, id)",
    "CREATE TABLE parsed (id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    # What `--search` looks in: each readable article's titles, bodies and summaries,
    # casefolded, joined by SEPARATOR; filled on the first search (meta 'search'),
    # kept up to date from then on. Trigrams need no Thai word segmentation, and
    # GLOB on them is exact (detail=none: positions are not needed for GLOB, which
    # checks the text itself; half the size of detail=full).
    "CREATE VIRTUAL TABLE texts USING fts5(text, tokenize='trigram case_sensitive 1', detail=none)",
)
_INSERT = f"INSERT OR REPLACE INTO articles VALUES ({', '.join('?' * 13)})"
# Between the fields of the search text: a noncharacter, which a needle holding it
# never uses the index for, so no match can span two fields.
SEPARATOR = "\uffff"
# Trigram indexes answer needles of at least this many characters.
SEARCH_MIN = 3

T = TypeVar("T")


class CacheUnusable(Exception):
    """The index cannot be used now (locked, read-only, unopenable): read the files."""


class CacheCorrupt(CacheUnusable):
    """The index's content is damaged: delete it and build it again."""


# --- the articles folder, as the file system says it is now -------------------------


class _File(NamedTuple):
    path: str  # below articles/, "/"-separated
    id: int
    lang: str | None
    sig: str  # the path, size, mtime, inode and ctime: any change means "read it again"


def _parts(path: str) -> list[str]:
    # Paths sort by their components, as store.group sorts ArticleFiles.
    return path.split("/")


def _scan(articles_dir: Path, cutoff_ns: int, plan: Layout) -> None:
    groups, sigs = plan.groups, plan.sigs
    for path, entry, article_id, lang in store.walk(articles_dir):
        st = entry.stat(follow_symlinks=False)
        sig = f"{path}\0{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"
        file = _File(path, article_id, lang, sig)
        members = groups.get(article_id)
        if members is None:
            groups[article_id] = [file]
            sigs[article_id] = sig
        else:
            members.append(file)
        if st.st_mtime_ns > cutoff_ns:
            plan.racy.add(article_id)
        plan.files += 1


@dataclass
class Layout:
    """The article files grouped into articles, as store.group groups them."""

    groups: dict[int, list[_File]] = field(default_factory=dict)
    # What each article's files looked like: compared with what the index recorded.
    sigs: dict[int, str] = field(default_factory=dict)
    racy: set[int] = field(default_factory=set)  # changed so recently it may change unseen
    duplicates: list[tuple[str, OpdcError]] = field(default_factory=list)  # a taken id
    files: int = 0

    def first(self, article_id: int) -> list[str]:
        """The sort key of the group's first file: problems come in this order."""
        return _parts(self.groups[article_id][0].path)


def layout(articles_dir: Path, now_ns: int | None = None) -> Layout:
    """Scan `articles_dir` and group its files by id, without opening any of them."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    plan = Layout()
    _scan(articles_dir, now_ns - RACY_NS, plan)
    for article_id, members in plan.groups.items():
        if len(members) > 1:
            members.sort(key=lambda m: _parts(m.path))
            langs = [m.lang for m in members]
            if None in langs or len(set(langs)) < len(langs):
                members[:] = _claims(articles_dir, members, plan.duplicates)
            plan.sigs[article_id] = "\0".join(m.sig for m in members)
    return plan


def _claims(
    articles_dir: Path, members: list[_File], duplicates: list[tuple[str, OpdcError]]
) -> list[_File]:
    """The files store.group keeps for one contested id; its problems go to `duplicates`."""
    by_path = {articles_dir / m.path: m for m in members}
    files = [store.ArticleFile(path, m.id, m.lang) for path, m in by_path.items()]
    groups, problems = store.group(files)
    for problem in problems:
        assert problem.path is not None
        duplicates.append((by_path[problem.path].path, problem))
    return [by_path[f.path] for f in next(iter(groups.values()))]


# --- reading articles into rows ------------------------------------------------------


# The columns of `articles`, the search text (None unless the index searches) and
# the pickled article or error.
Row = tuple[int, str, int, int, Any, Any, Any, Any, Any, Any, Any, Any, Any, str | None, bytes]


def _pack(value: object) -> bytes:
    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def search_text(article: Article) -> str:
    """What `--search` looks in, casefolded as Query's substring test folds it."""
    return SEPARATOR.join(
        field.casefold()
        for t in article.translations.values()
        for field in (t.title, t.body, t.summary)
    )


def searchable(needle: str) -> bool:
    """Whether the search index answers `needle` exactly (else: scan the articles)."""
    folded = needle.casefold()
    return len(_literal(folded)) >= SEARCH_MIN and SEPARATOR not in folded


_GLOB_SPECIAL = re.compile(r"[*?\[]+")


def _literal(folded: str) -> str:
    """The longest run of `folded` without GLOB's own characters.

    SQLite 3.40's trigram index answers `*text*` right, but not `?` after a
    multi-byte character, and a bracket expression crashes it: a needle holding
    those is looked up by its longest plain run, and each hit checked in full.
    """
    return max(_GLOB_SPECIAL.split(folded), key=len)


def _row(
    config: SiteConfig,
    articles_dir: Path,
    article_id: int,
    members: list[tuple[str, str | None]],
    sig: str,
    racy: bool,
    texts: bool = False,
) -> Row:
    files = [store.ArticleFile(articles_dir / path, article_id, lang) for path, lang in members]
    try:
        article = store.read_article(files, config)
    except OpdcError as exc:
        return (article_id, sig, racy, 0, *(None,) * 9, None, _pack(exc))
    titles = tuple(t.title for t in article.translations.values())
    summary = (
        article.tags,
        titles,
        article.date.isoformat(),
        article.photo_count,
        article.form,
        tuple(p.relative_to(config.root).as_posix() for p in article.sources),
    )
    return (
        article_id,
        sig,
        racy,
        1,
        article.category,
        article.status,
        (article.date - _EPOCH) // _MICROSECOND,
        None if article.expires is None else epoch_us(article.expires),
        article.date.astimezone(config.tz).date().toordinal(),
        # " th en ": a language code is a word between spaces, found by instr(); a
        # version without a title or body is written "~en", so that instr(" en ")
        # finds only complete ones (what --lang and --missing-lang ask about).
        f" {' '.join(language_tokens(article))} ",
        marshal.dumps(article.tags),
        marshal.dumps(titles),
        marshal.dumps(summary),
        search_text(article) if texts else None,
        _pack(article),
    )


def language_tokens(article: Article) -> list[str]:
    """The article's languages as the index's langs column holds them: "~" marks a
    version that is not complete (model.Translation.is_complete)."""
    complete = article.complete_languages
    return [lang if lang in complete else f"~{lang}" for lang in article.languages]


_Work = tuple[int, list[tuple[str, str | None]], str, bool, bool]
_worker: tuple[SiteConfig, Path] | None = None


def _start_worker(config: SiteConfig, articles_dir: Path) -> None:
    global _worker
    _worker = (config, articles_dir)


def _work_in_worker(work: _Work) -> Row:
    assert _worker is not None
    config, articles_dir = _worker
    return _row(config, articles_dir, *work)


def read_rows(
    config: SiteConfig, plan: Layout, ids: Iterable[int], *, texts: bool = False
) -> Iterator[Row]:
    """Read the articles `ids` from their files: rows for the index, as they come.

    Many articles are read by one process per core; a few are read here, since
    starting the workers costs more than it saves below POOL_THRESHOLD. Rows are
    yielded in order while the others are still being read, so that they are
    written meanwhile and never all held at once.
    """
    articles_dir = config.root / "articles"
    work: list[_Work] = [
        (i, [(m.path, m.lang) for m in plan.groups[i]], plan.sigs[i], i in plan.racy, texts)
        for i in sorted(ids)
    ]
    workers = worker_count(len(work), None, POOL_THRESHOLD)
    if workers <= 1:
        for item in work:
            yield _row(config, articles_dir, *item)
        return
    pool = process_pool(workers, _start_worker, (config, articles_dir))
    try:
        yield from pool.map(_work_in_worker, work, chunksize=max(1, len(work) // (workers * 8)))
    finally:
        # When the writing stops early, the reading left over is not waited for.
        pool.shutdown(cancel_futures=True)


# --- reading the index back ----------------------------------------------------------


class _Unpickler(pickle.Unpickler):
    """Only what an article or a read error is made of: a cache file is data, never code."""

    STANDARD = frozenset(
        {
            ("pathlib", "PosixPath"),
            ("pathlib", "WindowsPath"),
            ("datetime", "datetime"),
            ("datetime", "date"),
            ("datetime", "timezone"),
            ("datetime", "timedelta"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.STANDARD:
            return super().find_class(module, name)
        # The model's classes, and the error types the readers raise; a module is
        # imported only if it is one of opdc's own, and nothing else is called.
        if module.startswith("opdc_cli.") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and (
                (module == "opdc_cli.model" and dataclasses.is_dataclass(found))
                or issubclass(found, OpdcError)
            ):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} has no place in the index")


def _unpack(data: bytes, kind: type[T]) -> T:
    try:
        value = _Unpickler(io.BytesIO(zlib.decompress(data))).load()
    except Exception as exc:  # any damage to a blob shows up as some exception here
        raise CacheCorrupt(f"an entry cannot be read back ({type(exc).__name__})") from None
    if not isinstance(value, kind):
        raise CacheCorrupt(f"an entry holds a {type(value).__name__}, not a {kind.__name__}")
    return value


class Summary(NamedTuple):
    """What `opdc list` shows besides the columns (stored as a plain tuple, in this order)."""

    tags: tuple[str, ...]
    titles: tuple[str, ...]  # in the order of languages
    date: str  # with its own offset (ISO 8601)
    photo_count: int
    form: str
    paths: tuple[str, ...]  # the article's files, relative to the site


class LightRow(NamedTuple):
    """An article as the index's columns give it; tags, titles and the summary are
    empty (None) unless asked for."""

    id: int
    category: str
    status: str
    date_us: int  # UTC microseconds since 1970
    expires_us: int | None  # the expiry (workflow), None when there is none
    langs: tuple[str, ...]  # language tokens: "~en" for an incomplete version
    tags: tuple[str, ...]
    titles: tuple[str, ...]
    summary: Summary | None


def _unmarshal(data: bytes) -> Any:
    try:
        return marshal.loads(data)
    except Exception as exc:  # damage shows up as any of several exceptions
        raise CacheCorrupt(f"an entry cannot be read back ({type(exc).__name__})") from None


def _summary(data: bytes) -> Summary:
    value = _unmarshal(data)
    if not isinstance(value, tuple) or len(value) != 6:
        raise CacheCorrupt("an entry's summary is damaged")
    return Summary(*value)


def _strings(data: bytes) -> tuple[str, ...]:
    value = _unmarshal(data)
    if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
        raise CacheCorrupt("an entry holds something else than texts")
    return value


@dataclass(frozen=True)
class Pushdown:
    """The part of a query SQL can answer exactly; the caller filters the rest."""

    ids: tuple[int, ...] | None = None
    categories: tuple[str, ...] | None = None
    since_day: int | None = None  # date.toordinal() of the site's local day
    until_day: int | None = None
    lang: str | None = None  # has this language (a code without spaces)
    missing_lang: str | None = None  # has not this language
    states: tuple[str, ...] | None = None
    now_us: int = 0  # microseconds since 1970 UTC: published is date <= now
    order: str | None = None  # "date" or "id": newest first unless ascending
    ascending: bool = False
    limit: int | None = None


def epoch_us(when: datetime) -> int:
    """An aware datetime as whole microseconds since 1970-01-01 UTC (exact)."""
    return (when - _EPOCH) // _MICROSECOND


def _conditions(push: Pushdown) -> tuple[list[str], list[object]]:
    """The SQL after `WHERE ok = 1` that answers `push` (filters, order, limit), and its
    parameters."""
    sql: list[str] = []
    params: list[object] = []
    for column, values in (("id", push.ids), ("category", push.categories)):
        if values is not None:
            sql.append(f"AND {column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if push.lang is not None:
        sql.append("AND instr(langs, ?) > 0")
        params.append(f" {push.lang} ")
    if push.missing_lang is not None:
        sql.append("AND instr(langs, ?) = 0")
        params.append(f" {push.missing_lang} ")
    if push.since_day is not None:
        sql.append("AND day >= ?")
        params.append(push.since_day)
    if push.until_day is not None:
        sql.append("AND day <= ?")
        params.append(push.until_day)
    if push.states is not None:
        # model.publication_state, in SQL.
        either = []
        for written in ("draft", "review", "approved"):
            if written in push.states:
                either.append(f"status = '{written}'")
        if "published" in push.states:
            either.append(
                "(status = 'published' AND date_us <= ? AND (expires_us IS NULL OR expires_us > ?))"
            )
            params.extend([push.now_us, push.now_us])
        if "scheduled" in push.states:
            either.append("(status = 'published' AND date_us > ?)")
            params.append(push.now_us)
        if "expired" in push.states:
            either.append("(status = 'published' AND date_us <= ? AND expires_us <= ?)")
            params.extend([push.now_us, push.now_us])
        sql.append(f"AND ({' OR '.join(either) or '0'})")
    direction = "ASC" if push.ascending else "DESC"
    if push.order == "date":
        sql.append(f"ORDER BY date_us {direction}, id {direction}")
    elif push.order == "id":
        sql.append(f"ORDER BY id {direction}")
    if push.limit is not None:
        sql.append("LIMIT ?")
        params.append(push.limit)
    return sql, params


class Session:
    """A consistent view of an up-to-date index: one SQLite read transaction."""

    def __init__(self, conn: sqlite3.Connection, plan: Layout, reread: int) -> None:
        self._conn = conn
        self.plan = plan
        self.reread = reread

    def rows(
        self, push: Pushdown, *, tags: bool = False, titles: bool = False, summary: bool = False
    ) -> list[LightRow]:
        """The readable articles that `push` lets through; tags, titles and the
        summary (else empty) if asked for."""
        wanted = [name for name, asked in (("tags", tags), ("titles", titles)) if asked]
        columns = ["id", "category", "status", "date_us", "expires_us", "langs", *wanted]
        columns += ["summary"] if summary else []
        where, params = _conditions(push)
        sql = [f"SELECT {', '.join(columns)} FROM articles WHERE ok = 1", *where]
        with _sqlite_errors():
            found = self._conn.execute(" ".join(sql), params).fetchall()
        if not wanted and not summary:
            return [
                LightRow(i, c, s, d, e, tuple(langs.split()), (), (), None)
                for i, c, s, d, e, langs in found
            ]
        if not wanted:
            return [
                LightRow(i, c, s, d, e, tuple(langs.split()), (), (), _summary(data))
                for i, c, s, d, e, langs, data in found
            ]
        rows: list[LightRow] = []
        for i, c, s, d, e, langs, *blobs in found:
            row_summary = _summary(blobs.pop()) if summary else None
            texts = [_strings(blob) for blob in blobs]
            row_tags = texts.pop(0) if tags else ()
            row_titles = texts.pop() if titles else ()
            languages = tuple(langs.split())
            if titles and len(row_titles) != len(languages):
                raise CacheCorrupt("an entry's titles do not match its languages")
            rows.append(LightRow(i, c, s, d, e, languages, row_tags, row_titles, row_summary))
        return rows

    def articles(self, ids: Sequence[int]) -> list[Article]:
        """The parsed articles `ids`, in that order."""
        wanted = set(ids)
        with _sqlite_errors():
            if len(wanted) <= 500:
                marks = ", ".join("?" * len(wanted))
                found = self._conn.execute(
                    f"SELECT id, data FROM parsed WHERE id IN ({marks})", list(wanted)
                ).fetchall()
            else:
                cursor = self._conn.execute("SELECT id, data FROM parsed")
                found = [(i, data) for i, data in cursor if i in wanted]
        by_id = {i: data for i, data in found}
        if len(by_id) != len(wanted):
            raise CacheCorrupt("an article the index listed is missing from it")
        return [_unpack(by_id[i], Article) for i in ids]

    def problems(self) -> list[OpdcError]:
        """Every file that could not be read, in the order reading them directly gives."""
        with _sqlite_errors():
            found = self._conn.execute(
                "SELECT id, data FROM parsed WHERE id IN (SELECT id FROM articles WHERE ok = 0)"
            ).fetchall()
        failed = [(self.plan.first(i), _unpack(data, OpdcError)) for i, data in found]
        duplicates = [(_parts(path), problem) for path, problem in self.plan.duplicates]
        return [
            problem
            for _, problem in sorted(duplicates, key=lambda d: d[0])
            + sorted(failed, key=lambda d: d[0])
        ]

    def search(self, needle: str) -> set[int]:
        """The ids of the articles whose text holds `needle` (searchable(needle)),
        whatever its case, as Query's substring test finds them."""
        folded = needle.casefold()
        literal = _literal(folded)
        with _sqlite_errors():
            if literal == folded:
                found = self._conn.execute(
                    "SELECT rowid FROM texts WHERE text GLOB ?", (f"*{literal}*",)
                ).fetchall()
                return {i for (i,) in found}
            cursor = self._conn.execute(
                "SELECT rowid, text FROM texts WHERE text GLOB ?", (f"*{literal}*",)
            )
            return {i for i, text in cursor if folded in text}

    def count(self) -> int:
        with _sqlite_errors():
            row = self._conn.execute("SELECT count(*) FROM articles WHERE ok = 1").fetchone()
        return int(row[0])


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _UNUSABLE:
            raise CacheUnusable(str(exc)) from None
        raise CacheCorrupt(str(exc)) from None


def make_folder(folder: Path) -> None:
    """Make opdc's cache folder `<site>/.opdc/` (OSError when it cannot)."""
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        # Ignored even where the site's own .gitignore does not say so.
        ignore.write_text("# opdc's cache: safe to delete\n*\n", encoding="utf-8")


class Index:
    """The index of one site's articles, in `<site>/.opdc/`."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.folder = config.root / CACHE_DIR
        self.path = self.folder / DB_NAME

    @property
    def key(self) -> str:
        """What the stored rows depend on besides the files: a change rebuilds the index."""
        return (
            f"schema {SCHEMA_VERSION}; opdc {__version__}; python {sys.version}; "
            f"code {_code_stamp()}; settings {self.config!r}"
        )

    def _connect(self, *, create: bool = True) -> sqlite3.Connection:
        if create:
            try:
                make_folder(self.folder)
            except OSError as exc:
                raise CacheUnusable(f"cannot create {self.folder}: {exc.strerror}") from None
        elif not self.path.exists():
            raise CacheUnusable(f"{self.path} does not exist yet")
        with _sqlite_errors():
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    # Readers never wait for a writer, and a crash mid-write loses
                    # only that write.
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                if create:
                    self._ensure_schema(conn)
            except BaseException:
                conn.close()
                raise
        return conn

    def _stored_key(self, conn: sqlite3.Connection) -> str | None:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'key'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return None if row is None else str(row[0])

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        key = self.key
        if self._stored_key(conn) == key:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another opdc may have built it while this one waited for the lock.
            if self._stored_key(conn) != key:
                for table in ("articles", "parsed", "meta", "texts"):
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("key", key), ("created", _now_text())],
                )
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def session(self, *, search: bool = False) -> _Opened:
        """Bring the index up to date with the files and open a consistent view of it;
        with `search`, one whose search texts are filled (Session.search)."""
        return _Opened(self, search)

    def _enable_search(self, conn: sqlite3.Connection) -> None:
        """Fill the search texts from now on: every article is read again, with its text."""
        with _sqlite_errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not _searching(conn):
                    conn.execute("DELETE FROM articles")
                    conn.execute("DELETE FROM texts")
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('search', '1')")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    def refresh(self, conn: sqlite3.Connection, *, search: bool = False) -> Session:
        """Re-read what changed; leaves `conn` in a read transaction that sees it all."""
        with _sqlite_errors():
            texts = _searching(conn)
        if search and not texts:
            self._enable_search(conn)
            texts = True
        plan = layout(self.config.root / "articles")
        too_big = [i for i in plan.groups if i > MAX_INT]
        if too_big:
            raise CacheUnusable(f"article id {too_big[0]} is too large for the index")
        done: set[int] = set()
        # Another opdc may write between this one's check and its write; the check
        # after writing catches it, and a few rounds settle any realistic race.
        for _ in range(4):
            with _sqlite_errors():
                conn.execute("BEGIN")
                stored = conn.execute("SELECT id, sig, racy FROM articles").fetchall()
            stale = set(plan.sigs)
            gone = []
            for article_id, sig, racy in stored:
                if plan.sigs.get(article_id) is None:
                    gone.append(article_id)
                elif sig == plan.sigs[article_id] and (not racy or article_id in done):
                    stale.discard(article_id)
            if not stale and not gone:
                self._stamp()
                return Session(conn, plan, len(done))
            with _sqlite_errors():
                conn.execute("COMMIT")
            self._write(conn, read_rows(self.config, plan, stale, texts=texts), gone, texts)
            done |= stale
        raise CacheUnusable("the article files kept changing while the index was updated")

    def _stamp(self) -> None:
        # The time of the last check, for --stats: a touch costs less than a write
        # transaction, which would make every command wait for the others.
        stamp = self.folder / STAMP
        try:
            os.utime(stamp)
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                stamp.touch()
        except OSError:
            pass

    def _write(
        self, conn: sqlite3.Connection, rows: Iterator[Row], gone: list[int], texts: bool
    ) -> None:
        # The write lock is held while the files are read: another opdc writing
        # waits (BUSY_TIMEOUT), one reading goes on with what was there before.
        with _sqlite_errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                if texts and not _searching(conn):
                    raise CacheUnusable("the search index was dropped meanwhile")
                for table in ("articles", "parsed"):
                    conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in gone])
                conn.executemany("DELETE FROM texts WHERE rowid = ?", [(i,) for i in gone])
                while batch := list(itertools.islice(rows, 256)):
                    conn.executemany(_INSERT, [row[:-2] for row in batch])
                    conn.executemany("DELETE FROM texts WHERE rowid = ?", [(r[0],) for r in batch])
                    conn.executemany(
                        "INSERT INTO texts (rowid, text) VALUES (?, ?)",
                        [(row[0], row[-2]) for row in batch if row[-2] is not None],
                    )
                    conn.executemany(
                        "INSERT OR REPLACE INTO parsed VALUES (?, ?)",
                        [(row[0], row[-1]) for row in batch],
                    )
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('updated', ?)", (_now_text(),))
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    def discard(self) -> None:
        """Delete the database (and its WAL files); the next session builds it anew."""
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except IsADirectoryError:
                raise CacheUnusable(f"{self.path}{suffix} is a folder") from None
            except OSError as exc:
                raise CacheUnusable(f"cannot delete {self.path}{suffix}: {exc.strerror}") from None

    def rebuild(self) -> None:
        """Empty the index (delete it if damaged): the next session re-reads every file."""
        try:
            conn = self._connect()
            try:
                with _sqlite_errors():
                    conn.execute("BEGIN IMMEDIATE")
                    for table in ("articles", "parsed", "texts"):
                        conn.execute(f"DELETE FROM {table}")
                    conn.execute("DELETE FROM meta WHERE key = 'search'")
                    conn.execute("COMMIT")
            finally:
                conn.close()
        except CacheCorrupt:
            self.discard()

    def stats(self) -> Stats:
        """What the index holds, without bringing it up to date first."""
        conn = self._connect(create=False)
        try:
            with _sqlite_errors():
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                counts = dict(
                    conn.execute("SELECT ok, count(*) FROM articles GROUP BY ok").fetchall()
                )
        finally:
            conn.close()
        size = 0
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                size += Path(f"{self.path}{suffix}").stat().st_size
        try:
            checked = datetime.fromtimestamp((self.folder / STAMP).stat().st_mtime, UTC)
        except FileNotFoundError:
            checked = None
        return Stats(
            path=self.path,
            articles=counts.get(1, 0),
            problems=counts.get(0, 0),
            size=size,
            created=_time(meta.get("created")),
            updated=_time(meta.get("updated")),
            checked=checked,
            current=meta.get("key") == self.key,
        )


@dataclass(frozen=True)
class Stats:
    """What `opdc index --stats` reports."""

    path: Path
    articles: int  # readable articles
    problems: int  # articles whose files could not be read
    size: int  # bytes on disk, WAL files included
    created: datetime | None
    updated: datetime | None  # the last time changed files were read into it
    checked: datetime | None  # the last time a command compared it with the files
    current: bool  # built by this opdc, Python and site.toml


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class _Opened:
    """`with index.session() as session:` the connection lives as long as the block."""

    def __init__(self, index: Index, search: bool) -> None:
        self._index = index
        self._search = search
        self._conn: sqlite3.Connection | None = None

    def __enter__(self) -> Session:
        self._conn = self._index._connect()
        try:
            return self._index.refresh(self._conn, search=self._search)
        except BaseException:
            self._conn.close()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        # Only reads happened in this transaction: closing ends it either way.
        self._conn.close()


def _code_stamp() -> str:
    """Size and mtime of the modules that turn files into Articles.

    A released opdc changes its version when they change; a working copy being
    edited does not, and its index must not keep articles read by older code.
    """
    from opdc_cli import errors, model, site, textio, tomlpos

    stamps = []
    for module in (store, model, textio, tomlpos, site, errors, sys.modules[__name__]):
        if module.__file__:
            with contextlib.suppress(OSError):
                st = os.stat(module.__file__)
                stamps.append(f"{st.st_size}:{st.st_mtime_ns}")
    return " ".join(stamps)


def _searching(conn: sqlite3.Connection) -> bool:
    """Whether the index keeps the search texts (since its first search)."""
    return conn.execute("SELECT 1 FROM meta WHERE key = 'search'").fetchone() is not None


def _rollback(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_DIRECT = "reading the article files directly"


def run(
    config: SiteConfig,
    warn: Callable[[str], None],
    work: Callable[[Session], T],
    *,
    search: bool = False,
) -> T | None:
    """`work` done on the up-to-date index; None when the index cannot be used.

    A damaged index is deleted and built again (with a warning); one that cannot
    be used now (locked, unwritable) is bypassed with a warning: the caller then
    reads the files directly, so the answer is the same either way.
    """
    index = Index(config)
    for attempt in range(2):
        try:
            with index.session(search=search) as session:
                return work(session)
        except CacheCorrupt as exc:
            if attempt:
                warn(f"{index.path}: still unusable after a rebuild ({exc}); {_DIRECT}")
                return None
            warn(f"{index.path}: the index is damaged ({exc}); rebuilding it from the files")
            try:
                index.discard()
            except CacheUnusable as gone:
                warn(f"{index.path}: cannot rebuild the index ({gone}); {_DIRECT}")
                return None
        except CacheUnusable as exc:
            warn(f"{index.path}: index not used ({exc}); {_DIRECT}")
            return None
    return None
