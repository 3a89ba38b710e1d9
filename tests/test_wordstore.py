"""The site's word store: Thai words segmented once, kept in .opdc/words.sqlite."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import MakeSite

from opdc_cli import thai, wordstore
from opdc_cli.wordstore import WordStore

TEXT = "สำนักงานคณะกรรมการพัฒนาระบบราชการจัดการประชุมเครือข่ายผู้บริหาร"
OTHER = "การแลกเปลี่ยนประสบการณ์ด้านนวัตกรรมภาครัฐ"


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[Path]:
    """A word store for this test only, and nothing remembered in memory."""
    path = tmp_path / ".opdc" / wordstore.FILE_NAME
    thai._segment.cache_clear()
    thai.keep_words(path)
    yield path
    thai.keep_words(None)
    thai._segment.cache_clear()


def _forget_in_memory() -> None:
    thai._segment.cache_clear()


def _count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM words").fetchone()[0])


def _no_segmenting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def refuse(chunk: str) -> tuple[str, ...]:
        asked.append(chunk)
        return (chunk,)

    monkeypatch.setattr(thai, "_newmm", refuse)
    return asked


def test_words_found_once_are_answered_from_the_store(
    kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = thai.words(TEXT)
    thai.flush_words()
    assert len(first) > 3 and _count(kept) == 1
    _forget_in_memory()
    asked = _no_segmenting(monkeypatch)
    assert thai.words(TEXT) == first
    assert asked == []
    # Text the store has not seen is segmented (here by the stand-in).
    assert thai.words(OTHER) == [OTHER]
    assert asked == [OTHER]


def test_the_store_gives_the_same_words_as_segmenting(kept: Path) -> None:
    texts = [TEXT, OTHER, "ไทยๆ (สำนักงาน ก.พ.ร.) www.opdc.go.th", "ข้อมูล 2569 ปี"]
    fresh = [thai.words(text) for text in texts]
    thai.flush_words()
    _forget_in_memory()
    assert [thai.words(text) for text in texts] == fresh


def test_a_new_stamp_starts_the_store_again(tmp_path: Path) -> None:
    path = tmp_path / wordstore.FILE_NAME
    old = WordStore(path, lambda: "old")
    old.put(TEXT, (TEXT[:8], TEXT[8:]))
    old.close()
    assert WordStore(path, lambda: "old").get(TEXT) == (TEXT[:8], TEXT[8:])
    assert WordStore(path, lambda: "new").get(TEXT) is None
    assert _count(path) == 0


def test_a_damaged_store_is_started_again(tmp_path: Path) -> None:
    path = tmp_path / wordstore.FILE_NAME
    path.write_bytes(b"this is not a database" * 100)
    store = WordStore(path, lambda: "s")
    assert store.get(TEXT) is None
    store.put(TEXT, (TEXT,))
    store.close()
    assert WordStore(path, lambda: "s").get(TEXT) == (TEXT,)


def test_an_unusable_store_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the store's folder would be")
    store = WordStore(blocked / wordstore.FILE_NAME, lambda: "s")
    assert store.get(TEXT) is None
    store.put(TEXT, (TEXT,))
    store.close()
    thai._segment.cache_clear()
    thai.keep_words(blocked / wordstore.FILE_NAME)
    try:
        assert "".join(thai.words(TEXT)) == TEXT and len(thai.words(TEXT)) > 3
    finally:
        thai.keep_words(None)
        thai._segment.cache_clear()


def test_boundaries_that_do_not_add_up_are_not_used(tmp_path: Path) -> None:
    path = tmp_path / wordstore.FILE_NAME
    store = WordStore(path, lambda: "s")
    store.put(TEXT, (TEXT,))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE words SET cuts = ?", (wordstore.encode((TEXT[:3],)),))
    assert WordStore(path, lambda: "s").get(TEXT) is None


@pytest.mark.parametrize("lengths", [[1, 2, 3], [127, 128, 2047, 2048], [70_000, 1]])
def test_any_token_length_survives_the_encoding(lengths: list[int]) -> None:
    chunk = "".join("ก" * n for n in lengths)
    tokens = tuple("ก" * n for n in lengths)
    assert wordstore.decode(chunk, wordstore.encode(tokens)) == tokens


def test_entries_unused_for_the_keeping_time_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / wordstore.FILE_NAME
    day = 20_000
    monkeypatch.setattr(wordstore, "_today", lambda: day)
    store = WordStore(path, lambda: "s")
    store.put(TEXT, (TEXT,))
    store.put(OTHER, (OTHER,))
    store.close()
    # Used again 60 days later: its day moves on; the other one's does not.
    day += 60
    store = WordStore(path, lambda: "s")
    assert store.get(TEXT) == (TEXT,)
    store.close()
    day += wordstore.KEEP_DAYS - 30
    store = WordStore(path, lambda: "s")
    assert store.get(OTHER) is None
    assert store.get(TEXT) == (TEXT,)
    store.close()
    assert _count(path) == 1


def _put_in_child(store: WordStore) -> None:
    store.put(OTHER, (OTHER,))
    store.flush()


def test_a_forked_worker_writes_through_its_own_connection(tmp_path: Path) -> None:
    path = tmp_path / wordstore.FILE_NAME
    store = WordStore(path, lambda: "s")
    store.put(TEXT, (TEXT,))  # waiting in the parent: the child must not write it
    child = multiprocessing.get_context("fork").Process(target=_put_in_child, args=(store,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert WordStore(path, lambda: "s").get(OTHER) == (OTHER,)
    assert _count(path) == 1
    store.close()
    assert _count(path) == 2


def _pages(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_an_export_keeps_its_words_and_the_next_one_reads_them(
    sample_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opdc_cli.content import Site
    from opdc_cli.export.site import export_site

    thai._segment.cache_clear()
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    export_site(Site.open(sample_site, cache=False), tmp_path / "plain", now=now)
    assert not (sample_site / ".opdc" / wordstore.FILE_NAME).exists()
    _forget_in_memory()
    export_site(Site.open(sample_site), tmp_path / "first", now=now)
    assert _count(sample_site / ".opdc" / wordstore.FILE_NAME) > 20
    _forget_in_memory()
    asked = _no_segmenting(monkeypatch)
    export_site(Site.open(sample_site), tmp_path / "second", now=now)
    thai.keep_words(None)
    assert asked == []
    pages = _pages(tmp_path / "plain")
    assert _pages(tmp_path / "first") == pages == _pages(tmp_path / "second")


def test_a_worker_hands_its_words_to_the_writer(tmp_path: Path) -> None:
    path = tmp_path / wordstore.FILE_NAME
    worker = WordStore(path, lambda: "s")
    assert worker.get(TEXT) is None
    worker.put(TEXT, (TEXT,))
    found = worker.take()
    worker.close()
    assert _count(path) == 0  # given up by the worker: nothing written by it
    writer = WordStore(path, lambda: "s")
    writer.give(found)
    writer.close()
    assert WordStore(path, lambda: "s").get(TEXT) == (TEXT,)


def test_an_export_in_worker_processes_keeps_every_article_s_words(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opdc_cli.content import Site
    from opdc_cli.export.site import export_site, work

    monkeypatch.setattr(work, "POOL_THRESHOLD", 2)
    root = make_site()
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    thai._segment.cache_clear()
    export_site(Site.open(root), tmp_path / "first", now=now, jobs=2)
    thai.keep_words(None)
    _forget_in_memory()
    asked = _no_segmenting(monkeypatch)
    export_site(Site.open(root), tmp_path / "second", now=now, jobs=1)
    thai.keep_words(None)
    assert asked == []
    assert _pages(tmp_path / "first") == _pages(tmp_path / "second")
