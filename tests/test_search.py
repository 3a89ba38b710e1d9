"""`list --search` from the index's search texts (SQLite FTS5, trigram) finds exactly
what the substring test over every article finds: a differential test over random
Thai and English needles, the fields' edges, GLOB's own characters and case folding."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from conftest import BANGKOK, MakeSite, build_article
from typer.testing import CliRunner

from opdc_cli import index
from opdc_cli.cli import app
from opdc_cli.content import Query, Site
from opdc_cli.model import Article, Translation

NOW = datetime(2030, 1, 1, tzinfo=BANGKOK)
TEXTS = [
    ("การประชุมนานาชาติ ครั้งที่ 6", "สำนักงาน ก.พ.ร. จัดการประชุม\n\nณ กรุงฮานอย", "สรุปข่าว"),
    ("GovLab Design Thinking", "Straße and İstanbul, ǅemal; ﬁle ΣΑΣ", "Weiß"),
    ("ข้อความ*ดาว? [วงเล็บ] 100%_", 'glob * ? [a-z] chars\\ and \'quotes" "', ""),
    ("ห้องปฏิบัติการนวัตกรรมภาครัฐ", "การคิดเชิงออกแบบเพื่อปฏิรูปการให้บริการ", "ไทยๆ ฯลฯ"),
    ("Title end", "Body start", "summary\uffffwith a noncharacter"),
]


def _article(article_id: int, th: tuple[str, str, str], en: tuple[str, str, str]) -> Article:
    base = build_article(
        article_id, photos=(), event=None, date=datetime(2018, 4, 27, tzinfo=BANGKOK)
    )
    return replace(
        base,
        translations={
            "th": Translation(title=th[0], body=th[1], summary=th[2]),
            "en": Translation(title=en[0], body=en[1], summary=en[2]),
        },
    )


@pytest.fixture
def site_root(make_site: MakeSite) -> Path:
    rnd = random.Random(5)
    articles = []
    for n in range(30):
        th, en = TEXTS[n % len(TEXTS)], TEXTS[rnd.randrange(len(TEXTS))]
        articles.append(_article(5000 + n, th, en))
    return make_site(articles, photos=False)


def _needles(rnd: random.Random, count: int) -> list[str]:
    fields = [f for triple in TEXTS for f in triple if f]
    thai_letters = [chr(c) for c in range(0x0E01, 0x0E3B)]
    found = []
    for _ in range(count):
        kind = rnd.randrange(5)
        if kind < 2:  # a piece of some field, in any case
            text = rnd.choice(fields)
            start = rnd.randrange(len(text))
            piece = text[start : start + rnd.randint(1, 12)]
            found.append(piece.upper() if rnd.random() < 0.3 else piece)
        elif kind == 2:  # random Thai letters: mostly absent
            found.append("".join(rnd.choices(thai_letters, k=rnd.randint(1, 5))))
        elif kind == 3:  # across two fields: never found by either
            first, second = rnd.sample(fields, 2)
            found.append(first[-3:] + second[:3])
        else:
            found.append(
                rnd.choice(
                    [
                        "*",
                        "?",
                        "[a-z]",
                        "a-z]",
                        "%_",
                        "ss",
                        "STRASSE",
                        "weiss",
                        "i̇stanbul",
                        "σας",
                        "file",
                        '"',
                        "'quotes\"",
                        "\\ and",
                        "ๆ ฯ",
                        "ก.พ.ร.",
                        "  ",
                        "\n\nณ",
                        "end\uffffbody",
                    ]
                )
            )
    return found


def test_random_needles_find_what_the_substring_scan_finds(site_root: Path) -> None:
    direct = Site.open(site_root, cache=False)
    cached = Site.open(site_root)
    rnd = random.Random(14)
    needles = _needles(rnd, 400)
    for needle in needles:
        query = Query(search=needle, now=NOW)
        expected = [a.id for a in direct.articles(query)]
        assert cached.ids(query) == expected, repr(needle)
        assert [s.id for s in cached.summaries(query)] == expected, repr(needle)
        assert [a.id for a in cached.articles(query)] == expected, repr(needle)
    # The search texts were used (and the needles found something both ways).
    assert sum(1 for n in needles if direct.ids(Query(search=n, now=NOW))) > 150
    with sqlite3.connect(site_root / ".opdc" / "index.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM texts").fetchone() == (30,)


def test_search_with_other_filters_order_and_limits(site_root: Path) -> None:
    direct = Site.open(site_root, cache=False)
    cached = Site.open(site_root)
    for query in (
        Query(search="ประชุม", limit=3, sort="id"),
        Query(search="govlab", limit=-2, sort="id"),
        Query(search="GovLab", sort="title", reverse=True, limit=4),
        Query(search="การ", ids=(5000, 5003, 5004)),
    ):
        query = replace(query, now=NOW)
        expected = direct.articles(query)
        assert cached.articles(query) == expected
        assert cached.ids(query) == [a.id for a in expected]


def test_the_search_texts_follow_edits_and_deletions(site_root: Path) -> None:
    cached = Site.open(site_root)
    assert cached.ids(Query(search="GovLab", now=NOW))  # fills the search texts
    files = sorted((site_root / "articles").rglob("*.toml"))
    for path in files[:3]:
        text = path.read_text(encoding="utf-8").replace("GovLab", "Lab-Gov")
        path.write_text(text.replace("ประชุม", "สัมมนา"), encoding="utf-8")
    files[3].unlink()
    direct = Site.open(site_root, cache=False)
    for needle in ("GovLab", "Lab-Gov", "สัมมนา", "ประชุม", "Weiß"):
        query = Query(search=needle, now=NOW)
        assert cached.ids(query) == direct.ids(query), needle


def test_short_needles_and_an_index_without_search_texts(site_root: Path) -> None:
    cached = Site.open(site_root)
    cached.ids(Query(now=NOW))
    with sqlite3.connect(site_root / ".opdc" / "index.sqlite3") as conn:
        # Listing alone never pays for the search texts.
        assert conn.execute("SELECT count(*) FROM texts").fetchone() == (0,)
    direct = Site.open(site_root, cache=False)
    for needle in ("ก", "ss", "Σ", "*"):  # under 3 characters: the articles are scanned
        assert not index.searchable(needle)
        query = Query(search=needle, now=NOW)
        assert cached.ids(query) == direct.ids(query)
    with sqlite3.connect(site_root / ".opdc" / "index.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM texts").fetchone() == (0,)


def test_the_command_line_search(site_root: Path, runner: CliRunner) -> None:
    args = ["--site", str(site_root), "list", "--format", "ids", "--search", "ห้องปฏิบัติ"]
    cached = runner.invoke(app, args)
    direct = runner.invoke(app, ["--no-cache", *args])
    assert cached.exit_code == direct.exit_code == 0
    assert cached.stdout == direct.stdout and cached.stdout.strip()
