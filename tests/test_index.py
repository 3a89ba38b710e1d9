"""The content index in .opdc/: the same answers as reading every file, kept fresh by
stat, recovered when damaged, bypassed when locked, safe with two commands at once."""

from __future__ import annotations

import json
import marshal
import os
import pickle
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import BANGKOK, MakeSite, build_article
from typer.testing import CliRunner

from opdc_cli import index, store
from opdc_cli.cli import app
from opdc_cli.content import ArticleSummary, CacheWarning, Query, Site
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.model import Article, Photo, Translation
from opdc_cli.serialize import summary_record

NOW = datetime(2019, 1, 1, 12, 0, tzinfo=BANGKOK)
CATEGORIES = ("headline", "activities", "announcements")
TAGS = ("GovLab", "PMQA", "Design Thinking", "ASEAN")


# --- a varied site ---------------------------------------------------------------------


def varied_articles(count: int) -> list[Article]:
    """Articles that differ in every field a query looks at, in a fixed pattern."""
    articles = []
    for n in range(count):
        when = datetime(2017, 1, 3, 9, 0, tzinfo=BANGKOK) + timedelta(days=13 * n, hours=n % 24)
        if n % 11 == 3:
            when = NOW + timedelta(days=n)  # published but scheduled
        th = Translation(
            title=f"ข่าวที่ {n} การประชุม{'นวัตกรรม' if n % 3 else 'ภาครัฐ'}",
            body=f"ย่อหน้าแรกของข่าว {n}\n\nย่อหน้าที่สอง {'GovLab' if n % 5 == 0 else ''}",
            summary=f"สรุป {n}",
        )
        en = Translation(title=f"News {n:03d} {'zeta' if n % 2 else 'alpha'}", body=f"Body {n}.")
        translations = {"th": th} if n % 7 == 2 else {"th": th, "en": en}
        if n % 13 == 5:
            translations = {"en": en}
        articles.append(
            build_article(
                2000 + n,
                category=CATEGORIES[n % 3],
                date=when,
                status="draft" if n % 9 == 4 else "published",
                tags=tuple(TAGS[i] for i in range(len(TAGS)) if (n >> i) & 1),
                translations=translations,
                photos=tuple(Photo(f"img{2000 + n}_{k}.jpg", {"th": "ภาพ"}) for k in range(n % 4)),
                event=None,
            )
        )
    # Two articles at the same instant written with different offsets: ties go by id.
    same = datetime(2018, 3, 3, 10, 0, tzinfo=BANGKOK)
    articles[1] = replace(articles[1], date=same)
    articles[2] = replace(articles[2], date=same.astimezone(datetime.now().astimezone().tzinfo))
    return articles


def write_varied_site(make_site: MakeSite, count: int = 36) -> Path:
    """A site of `count` articles in both forms and nested folders, with broken files,
    duplicates and names the store ignores; every file dated an hour ago."""
    root = make_site([])
    site = Site.open(root, cache=False)
    for n, article in enumerate(varied_articles(count)):
        folder = root / "articles" / str(article.date.year) / ("deep/er" if n % 8 == 7 else "")
        store.write_article(article, folder, "txt" if n % 4 == 1 else "toml", ("th", "en"))
    broken = root / "articles" / "broken"
    broken.mkdir()
    (broken / "3001.toml").write_text('id = 3001\ncategory = "headline"\ndate = 2018-01-\n')
    (broken / "3002.toml").write_bytes('id = 3002\n[th]\ntitle = "ข่าว"\n'.encode("cp874"))
    unknown = build_article(3003, category="sports", event=None)
    store.write_article(unknown, broken, "toml", site.config.languages)
    text_only_one = build_article(3004, event=None)
    store.write_article(text_only_one, broken, "txt", site.config.languages)
    (broken / "3004.th.txt").write_text("no front matter here\n", encoding="utf-8")
    # The same id twice: the second file (by path) is a duplicate, reported, not merged.
    store.write_article(build_article(2005, event=None), root / "articles" / "zz", "toml", ("th",))
    # Names the store does not take for articles, and places it does not look in.
    (root / "articles" / "notes.txt").write_text("not an article\n", encoding="utf-8")
    hidden = root / "articles" / ".drafts"
    hidden.mkdir()
    store.write_article(build_article(3005, event=None), hidden, "toml", ("th", "en"))
    os.symlink(root / "articles" / "2017" / "2000.toml", root / "articles" / "3006.toml")
    # Thai digits make no article name (re.ASCII): both ways ignore the file.
    store.write_article(build_article(3007, event=None), broken, "toml", ("th", "en"))
    (broken / "3007.toml").rename(broken / "๓๐๐๗.toml")
    age_files(root, 3600)
    return root


def age_files(root: Path, seconds: int) -> None:
    """Date every article file `seconds` in the past, as files that were not just written."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in (root / "articles").rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, ns=(then, then))


def queries() -> list[Query]:
    """Every filter, sort and limit of Query, alone and together."""
    day = date(2018, 1, 1)
    many = [
        Query(),
        Query(categories=("headline",)),
        Query(categories=("headline", "announcements"), limit=4),
        Query(states=("draft",)),
        Query(states=("scheduled",)),
        Query(states=("published",), limit=5),
        Query(states=("published", "draft"), sort="id", limit=7),
        Query(tags=("GovLab",)),
        Query(tags=("PMQA", "ASEAN"), sort="title"),
        Query(lang="en"),
        Query(lang="en", limit=3, reverse=True),
        Query(missing_lang="en"),
        Query(missing_lang="en", sort="id", limit=2),
        Query(states=("published",), lang="th", limit=5),  # a feed
        Query(lang="th en"),
        Query(lang="t"),
        Query(missing_lang="th", sort="title", title_lang="en"),
        Query(since=day),
        Query(until=day, reverse=True),
        Query(since=date(2017, 6, 1), until=date(2018, 6, 1), limit=3),
        Query(search="govlab"),
        Query(search="ย่อหน้า", limit=2, sort="id"),
        Query(search="alpha", categories=("activities",), reverse=True),
        Query(ids=(2005, 2010, 3001, 9999)),
        Query(ids=(2007,)),
        Query(sort="title"),
        Query(sort="title", reverse=True, limit=6),
        Query(sort="id", reverse=True),
        Query(sort="date", reverse=True, limit=1),
        Query(categories=("activities",), states=("published",), since=day, sort="id", limit=2),
        Query(tags=("GovLab",), states=("scheduled", "draft"), lang="th"),
        # Beyond what SQLite holds, or read by Python's slicing: Python answers.
        Query(ids=(2**70, 2005)),
        Query(limit=2**70),
        Query(limit=-2, sort="id"),
        Query(limit=0),
    ]
    return [replace(q, now=NOW) for q in many]


def full(articles: list[Article]) -> list[tuple[Article, tuple[Path, ...], str]]:
    # Article equality leaves out where it was read from; compare that too.
    return [(a, a.sources, a.form) for a in articles]


def problems_of(site: Site) -> list[tuple[str, str, str | None]]:
    return [(type(p).__name__, p.format(), p.code) for p in site.problems]


def warnings_to(messages: list[str]) -> Callable[[str], None]:
    return messages.append


@pytest.fixture
def varied(make_site: MakeSite) -> Path:
    return write_varied_site(make_site)


# --- the same answers with and without the index ----------------------------------------


def test_every_query_gives_the_same_articles_and_problems_both_ways(varied: Path) -> None:
    direct = Site.open(varied, cache=False)
    messages: list[str] = []
    cached = Site.open(varied, warn=warnings_to(messages))
    for round_ in ("cold", "warm"):
        for query in queries():
            expected = direct.articles(query)
            assert full(cached.articles(query)) == full(expected), (round_, query)
            assert problems_of(cached) == problems_of(direct), (round_, query)
            assert cached.ids(query) == [a.id for a in expected], (round_, query)
            assert problems_of(cached) == problems_of(direct), (round_, query)
        assert (varied / ".opdc" / "index.sqlite3").exists()
    assert messages == []
    # The site holds what the queries are meant to exercise.
    assert len(direct.articles(Query())) == 36
    codes = sorted(p.code or "" for p in direct.problems)
    assert codes == ["OPDC101", "OPDC102", "OPDC103", "OPDC114", "OPDC120"]


def test_summaries_are_the_articles_without_their_text(varied: Path) -> None:
    direct = Site.open(varied, cache=False)
    cached = Site.open(varied)
    cached.articles()
    for query in queries():
        expected = [summary_record(a, direct.config, NOW) for a in direct.articles(query)]
        from_index = cached.summaries(query)
        assert [summary_record(s, cached.config, NOW) for s in from_index] == expected, query
        assert [s.sources for s in from_index] == [a.sources for a in direct.articles(query)]
        assert problems_of(cached) == problems_of(direct)
        without = Site.open(varied, cache=False)
        assert [summary_record(s, direct.config, NOW) for s in without.summaries(query)] == expected
        assert without.ids(query) == [a.id for a in direct.articles(query)]


def test_a_summary_answers_like_its_article(varied: Path) -> None:
    site = Site.open(varied)
    site.articles()
    articles = {a.id: a for a in Site.open(varied, cache=False).articles()}
    for summary in site.summaries():
        article = articles[summary.id]
        assert summary == ArticleSummary.of(article, site.root)
        for lang in ("th", "en", "fr"):
            assert summary.title(lang) == article.title(lang)
        assert summary.state(NOW) == article.state(NOW)
        assert summary.is_live(NOW) == article.is_live(NOW)
        assert summary.languages == article.languages


def test_an_empty_title_is_kept_not_replaced_by_another_language(make_site: MakeSite) -> None:
    article = build_article(
        4001,
        translations={"th": Translation(title="ข่าว"), "en": Translation(title="")},
        event=None,
    )
    root = make_site([article])
    age_files(root, 60)
    summary = Site.open(root).summaries()[0]
    assert summary.title("en") == "" == article.title("en")


def test_every_command_prints_the_same_with_and_without_the_index(
    varied: Path, runner: CliRunner
) -> None:
    commands = [
        ["list"],
        ["list", "--format", "ids"],
        ["list", "--format", "json", "--category", "headline", "--since", "2018-01-01"],
        ["list", "--format", "jsonl", "--status", "draft", "--status", "scheduled"],
        ["list", "--format", "csv", "--sort", "title", "--lang", "en"],
        ["list", "--format", "ids", "--search", "govlab", "--reverse"],
        ["list", "--tag", "PMQA", "--missing-lang", "en", "--limit", "3"],
        ["show", "2010", "--json"],
        ["show", "2013", "--lang", "en"],
        ["show", "3001"],
        ["show", "4444"],
        ["feed", "--lang", "en"],
        ["feed", "--category", "headline", "--atom"],
        ["export", "--format", "json"],
        ["export", "--format", "csv", "--category", "activities"],
    ]
    for command in commands:
        cached = runner.invoke(app, ["--site", str(varied), *command])
        direct = runner.invoke(app, ["--site", str(varied), "--no-cache", *command])
        assert cached.exit_code == direct.exit_code, (command, cached.stderr)
        assert cached.stdout == direct.stdout, command
        assert cached.stderr == direct.stderr, command


# --- freshness: what changed between two commands is always seen ------------------------


def ids(site: Site) -> list[int]:
    return [a.id for a in site.articles(Query(sort="id", reverse=True))]


def test_edits_additions_deletions_and_renames_are_seen(make_site: MakeSite) -> None:
    root = make_site()
    age_files(root, 60)
    site = Site.open(root)
    assert ids(site) == [1001, 1002, 1003]
    folder = root / "articles" / "2018"

    path = folder / "1001.toml"
    path.write_text(path.read_text().replace("ครั้งที่ 6", "ครั้งที่ 7 (แก้ไข)"))
    assert site.article(1001).title("th").endswith("ครั้งที่ 7 (แก้ไข)")

    store.write_article(build_article(1004), folder, "txt", ("th", "en"))
    assert ids(site) == [1001, 1002, 1003, 1004]
    assert site.article(1004).form == "txt"

    (folder / "1002.toml").unlink()
    assert ids(site) == [1001, 1003, 1004]

    # A rename to another folder, and one to another id (file name and id both).
    moved = root / "articles" / "archive" / "1003.toml"
    moved.parent.mkdir()
    (folder / "1003.toml").rename(moved)
    assert site.article(1003).sources == (moved,)
    (folder / "1004.en.txt").unlink()
    text = (folder / "1004.th.txt").read_text().replace("id = 1004", "id = 1005")
    (folder / "1005.th.txt").write_text(text)
    (folder / "1004.th.txt").unlink()
    assert ids(site) == [1001, 1003, 1005]
    assert site.article(1005).languages == ("th",)
    assert full(site.articles()) == full(Site.open(root, cache=False).articles())


def test_a_same_size_rewrite_in_the_same_second_is_seen(make_site: MakeSite) -> None:
    root = make_site()
    path = root / "articles" / "2018" / "1001.toml"
    second = (time.time_ns() // 1_000_000_000 - 100) * 1_000_000_000
    os.utime(path, ns=(second + 100, second + 100))
    site = Site.open(root)
    assert site.article(1001).category == "headline"
    before = path.stat()

    text = path.read_text()
    rewritten = text.replace('category = "headline"', 'category = "activities"')
    assert len(rewritten.encode()) - len(text.encode()) == 2
    rewritten = rewritten.replace("tags = [", "tags =[", 1).replace(", ", ",", 1)
    assert len(rewritten.encode()) == len(text.encode())
    path.write_text(rewritten)
    os.utime(path, ns=(second + 200, second + 200))
    after = path.stat()
    assert after.st_size == before.st_size
    assert after.st_mtime_ns // 10**9 == before.st_mtime_ns // 10**9
    assert after.st_mtime_ns != before.st_mtime_ns

    assert site.article(1001).category == "activities"


def test_a_file_changed_just_now_is_read_again_until_it_settles(make_site: MakeSite) -> None:
    root = make_site()  # every file written this very moment
    site = Site.open(root)
    config = site.config
    reread: Callable[[index.Session], int] = lambda session: session.reread  # noqa: E731
    assert index.run(config, pytest.fail, reread) == 3
    # Its stat says nothing changed, but a second write within the same tick would
    # not change the stat either: so it is read again while it is this recent.
    assert index.run(config, pytest.fail, reread) == 3
    age_files(root, 60)
    assert index.run(config, pytest.fail, reread) == 3  # the new mtime is a change
    assert index.run(config, pytest.fail, reread) == 0
    assert full(site.articles()) == full(Site.open(root, cache=False).articles())


def test_the_pool_of_processes_reads_many_changed_files_alike(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_varied_site(make_site, count=24)
    monkeypatch.setattr(index, "POOL_THRESHOLD", 2)
    session_reread: list[int] = []

    def work(session: index.Session) -> list[Article]:
        session_reread.append(session.reread)
        rows = session.rows(index.Pushdown(), tags=False, titles=False)
        return session.articles([row[0] for row in rows])

    config = Site.open(root).config
    pooled = index.run(config, pytest.fail, work)
    assert session_reread == [28]
    assert pooled is not None
    direct = Site.open(root, cache=False).articles()
    assert sorted(full(pooled), key=lambda t: t[0].id) == sorted(
        full(direct), key=lambda t: t[0].id
    )
    site = Site.open(root)
    for query in queries():
        assert full(site.articles(query)) == full(Site.open(root, cache=False).articles(query))


def test_a_changed_site_toml_rebuilds_the_index(make_site: MakeSite) -> None:
    root = make_site()
    age_files(root, 60)
    assert ids(Site.open(root)) == [1001, 1002, 1003]
    settings = root / "site.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("[categories.activities]", "[categories.events]"))
    site = Site.open(root)
    assert ids(site) == [1001, 1003]
    assert [p.code for p in site.problems] == ["OPDC114"]


def test_another_schema_or_version_rebuilds_quietly(make_site: MakeSite) -> None:
    root = make_site()
    age_files(root, 60)
    messages: list[str] = []
    site = Site.open(root, warn=warnings_to(messages))
    site.articles()
    db = root / ".opdc" / "index.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = 'schema 0; opdc 0.0.1' WHERE key = 'key'")
        conn.execute("UPDATE articles SET category = 'announcements'")
    conn.close()
    assert [a.category for a in site.articles(Query(sort="id"))] == [
        "announcements",
        "activities",
        "headline",
    ]
    assert messages == []


# --- damaged, locked, unusable: a warning, never a wrong answer ------------------------


@pytest.fixture
def built(make_site: MakeSite) -> Iterator[tuple[Path, Path]]:
    root = write_varied_site(make_site, count=12)
    Site.open(root).articles()
    yield root, root / ".opdc" / "index.sqlite3"


def answers(root: Path, messages: list[str]) -> list[Any]:
    site = Site.open(root, warn=warnings_to(messages))
    return [(full(site.articles(q)), problems_of(site)) for q in queries()[:6]]


def expected_answers(root: Path) -> list[Any]:
    site = Site.open(root, cache=False)
    return [(full(site.articles(q)), problems_of(site)) for q in queries()[:6]]


def test_a_garbage_index_file_is_rebuilt_with_a_warning(built: tuple[Path, Path]) -> None:
    root, db = built
    db.write_bytes(os.urandom(50_000))
    messages: list[str] = []
    assert answers(root, messages) == expected_answers(root)
    assert len(messages) == 1
    assert "damaged" in messages[0] and "rebuilding" in messages[0]
    assert "\n" not in messages[0]
    assert index.Index(Site.open(root).config).stats().current


@pytest.mark.parametrize("keep", [0.5, 0.1, 0.02])
def test_a_truncated_index_file_is_recovered_from(built: tuple[Path, Path], keep: float) -> None:
    root, db = built
    assert not Path(f"{db}-wal").exists()  # the last connection folded the WAL in
    data = db.read_bytes()
    db.write_bytes(data[: int(len(data) * keep)])
    messages: list[str] = []
    assert answers(root, messages) == expected_answers(root)
    assert len(messages) == 1


@pytest.mark.parametrize(
    ("column", "garbage"),
    [
        ("parsed.data", b"x\x9c\x03\x00"),  # a valid zlib stream of nothing
        ("articles.summary", b"\x01\x02\x03\x04"),
        ("articles.titles", marshal.dumps(("one title too many", "a", "b"))),
        ("articles.tags", marshal.dumps([1, 2])),
    ],
)
def test_a_damaged_entry_is_caught_when_read(
    built: tuple[Path, Path], column: str, garbage: bytes
) -> None:
    root, db = built
    table, name = column.split(".")
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE {table} SET {name} = ? WHERE id = 2003", (garbage,))
    conn.close()
    messages: list[str] = []
    query = Query(tags=("GovLab", "PMQA"), sort="title", now=NOW)
    site = Site.open(root, warn=warnings_to(messages))
    direct = Site.open(root, cache=False)
    expected = [summary_record(a, direct.config, NOW) for a in direct.articles(query)]
    assert [summary_record(s, site.config, NOW) for s in site.summaries(query)] == expected
    assert full(site.articles(query)) == full(direct.articles(query))
    assert problems_of(site) == problems_of(direct)
    assert len(messages) == 1 and "damaged" in messages[0]


class Trap:
    """Unpickling this would run os.mkdir: the index must refuse it."""

    def __init__(self, where: Path) -> None:
        self.where = where

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.where),))


def test_an_index_entry_can_hold_data_but_never_code(built: tuple[Path, Path]) -> None:
    root, db = built
    trap = root / "trapped"
    payload = zlib.compress(pickle.dumps(Trap(trap)))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE parsed SET data = ?", (payload,))
    conn.close()
    messages: list[str] = []
    assert answers(root, messages) == expected_answers(root)
    assert not trap.exists()
    assert len(messages) == 1 and "damaged" in messages[0]


def test_entries_read_back_only_as_articles_and_errors_of_opdc(make_site: MakeSite) -> None:
    for article in Site.open(make_site(form="txt"), cache=False).articles():
        back = index._unpack(index._pack(article), Article)
        assert full([back]) == full([article])
    error = UsageError("a usage error", Path("x.toml"), 3, 4, "OPDC999")
    raised = index._unpack(index._pack(error), OpdcError)
    assert type(raised) is UsageError and raised.format() == "x.toml:3:4: a usage error"
    assert raised.code == "OPDC999"
    for foreign in ({"a": 1}, Path("x"), index.Stats, index.run):
        with pytest.raises(index.CacheCorrupt):
            index._unpack(index._pack(foreign), Article)
    with pytest.raises(index.CacheCorrupt, match="holds a UsageError, not a Article"):
        index._unpack(index._pack(error), Article)


def test_a_cache_folder_that_is_a_file_is_bypassed(make_site: MakeSite) -> None:
    root = make_site()
    (root / ".opdc").write_text("in the way\n")
    messages: list[str] = []
    assert answers(root, messages) == expected_answers(root)
    assert messages and all("index not used" in m for m in messages)
    assert (root / ".opdc").read_text() == "in the way\n"


def test_an_index_path_that_is_a_folder_is_bypassed(make_site: MakeSite) -> None:
    root = make_site()
    (root / ".opdc" / "index.sqlite3").mkdir(parents=True)
    messages: list[str] = []
    assert answers(root, messages) == expected_answers(root)
    assert messages and "index not used" in messages[0]


def test_a_locked_index_is_bypassed_when_it_needs_writing(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, db = built
    monkeypatch.setattr(index, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another opdc in the middle of writing
    try:
        messages: list[str] = []
        # Nothing changed: reading is never blocked by a writer (WAL).
        assert answers(root, messages) == expected_answers(root)
        assert messages == []
        path = root / "articles" / "2017" / "2000.toml"
        path.write_text(path.read_text().replace("News 000", "News zero"))
        assert answers(root, messages) == expected_answers(root)
        assert messages and "locked" in messages[0]
        assert Site.open(root, cache=False).article(2000).title("en").startswith("News zero")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    messages.clear()
    assert answers(root, messages) == expected_answers(root)
    assert messages == []


def test_the_library_warns_through_warnings_by_default(built: tuple[Path, Path]) -> None:
    root, db = built
    db.write_bytes(b"garbage" * 100)
    with pytest.warns(CacheWarning, match="damaged"):
        Site.open(root).articles()


def test_an_id_of_more_than_15_digits_is_no_article(make_site: MakeSite) -> None:
    # It could not be kept in SQLite nor read exactly by JSON readers: validate
    # names it (OPDC123), every command passes it by, the index included.
    huge = 10**20
    root = make_site([build_article(1001, event=None)])
    (root / "articles" / f"{huge}.toml").write_text(
        (root / "articles" / "2018" / "1001.toml").read_text().replace("id = 1001", f"id = {huge}")
    )
    messages: list[str] = []
    site = Site.open(root, warn=warnings_to(messages))
    assert [a.id for a in site.articles()] == [1001]
    assert messages == []
    assert [a.id for a in Site.open(root, cache=False).articles()] == [1001]


def test_deleting_the_cache_folder_is_safe(built: tuple[Path, Path]) -> None:
    root, _ = built
    import shutil

    shutil.rmtree(root / ".opdc")
    messages: list[str] = []
    assert answers(root, messages) == expected_answers(root)
    assert messages == []
    assert (root / ".opdc" / ".gitignore").read_text().splitlines()[-1] == "*"


# --- two commands at once ----------------------------------------------------------------


def opdc(exe: Path, root: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPDC_SITE"}
    return subprocess.Popen(
        [str(exe), "--site", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_commands_running_at_once_agree_and_leave_the_index_sound(
    make_site: MakeSite, opdc_exe: Path
) -> None:
    root = write_varied_site(make_site, count=60)
    expected = "".join(f"{a.id}\n" for a in Site.open(root, cache=False).articles())
    for round_ in range(3):
        if round_:
            # A change for each round, so both processes have something to write.
            for n in range(round_ * 5, round_ * 5 + 5):
                path = next((root / "articles").rglob(f"{2000 + n}.toml"), None)
                if path is not None:
                    path.write_text(path.read_text().replace("News", "Neues"))
            expected = "".join(f"{a.id}\n" for a in Site.open(root, cache=False).articles())
        running = [opdc(opdc_exe, root, "list", "--format", "ids") for _ in range(3)]
        running.append(opdc(opdc_exe, root, "index", "--rebuild"))
        for number, process in enumerate(running):
            stdout, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
            assert ".opdc" not in stderr, stderr  # no warning about the index
            if number < 3:
                assert stdout == expected
    with sqlite3.connect(root / ".opdc" / "index.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    site = Site.open(root)
    assert full(site.articles()) == full(Site.open(root, cache=False).articles())


# --- the command line --------------------------------------------------------------------


def test_index_stats_and_rebuild(built: tuple[Path, Path], runner: CliRunner) -> None:
    root, _ = built
    result = runner.invoke(app, ["--site", str(root), "index", "--stats", "--json"])
    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["articles"] == 12 and stats["problems"] == 4
    assert stats["current"] is True and stats["size"] > 0
    assert stats["created"] is not None and stats["updated"] is not None

    result = runner.invoke(app, ["--site", str(root), "index", "--rebuild"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "12 article(s) from 19 file(s); 16 re-read" in result.stderr
    assert "5 file(s) skipped" in result.stderr

    result = runner.invoke(app, ["--site", str(root), "index"])
    assert result.exit_code == 0
    assert "0 re-read" in result.stderr

    result = runner.invoke(app, ["--site", str(root), "index", "--stats"])
    assert result.exit_code == 0
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert lines["articles"].strip() == "12"
    assert lines["current"].strip() == "yes"
    assert lines["size"].strip().endswith(" MB")


def test_index_command_line_mistakes(make_site: MakeSite, runner: CliRunner) -> None:
    root = make_site()
    result = runner.invoke(app, ["--site", str(root), "index", "--stats"])
    assert result.exit_code == 1
    assert "does not exist yet" in result.stderr and "--rebuild" in result.stderr
    assert "Traceback" not in result.stderr
    result = runner.invoke(app, ["--site", str(root), "--no-cache", "index"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["--site", str(root), "index", "--json"])
    assert result.exit_code == 2


def test_the_installed_script_warns_in_one_line_and_answers_right(
    built: tuple[Path, Path], opdc_exe: Path
) -> None:
    root, db = built
    direct = opdc(opdc_exe, root, "--no-cache", "list", "--format", "ids").communicate()
    db.write_bytes(b"\0" * 4096)
    process = opdc(opdc_exe, root, "list", "--format", "ids")
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert stdout == direct[0]
    warning = [line for line in stderr.splitlines() if "index" in line]
    assert len(warning) == 1 and warning[0].startswith("warning:"), stderr
    process = opdc(opdc_exe, root, "list", "--format", "ids")
    assert process.communicate(timeout=60)[0] == direct[0]


def test_scripts_see_the_index_as_the_library(built: tuple[Path, Path]) -> None:
    root, _ = built
    code = (
        "import sys; from opdc_cli import Site, Query; "
        "s = Site.open(sys.argv[1]); "
        "print([a.id for a in s.articles(Query(limit=3))], len(s.problems))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True
    )
    direct = Site.open(root, cache=False)
    expected = [a.id for a in direct.articles(Query(limit=3))]
    assert result.stdout.strip() == f"{expected} {len(direct.problems)}"


def test_read_problems_are_stored_not_reread(built: tuple[Path, Path]) -> None:
    root, db = built
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM articles WHERE ok = 0").fetchone()
    conn.close()
    assert stored == (4,)
    site = Site.open(root)
    with pytest.raises(OpdcError, match="TOML syntax error"):
        site.article(3001)
