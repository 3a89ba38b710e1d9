"""The RSS feed read by feed readers nobody here wrote: every nasty title reads back as
typed in Python's feedparser, Debian's newsboat (run headless) and the npm package
rss-parser (run with node), and each filtered feed has an identity of its own."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import BANGKOK, MakeArticle, MakeSite, build_article

from opdc_cli import store
from opdc_cli.content import Site
from opdc_cli.feed import build_feed
from opdc_cli.model import Translation
from opdc_cli.scaffold import init_site

NOW = datetime(2030, 1, 1, tzinfo=BANGKOK)
NASTY = [
    "AT&T",
    "A < B",
    "<b>bold</b>",
    "Tom &amp; Jerry",
    'He said "yes"',
    "it's O'Reilly's",
    "x > y && y > z",
    "ฉลอง 🎉🇹🇭 ครบรอบ",
    "ผู้ใหญ่บ้านปั๊มน้ำที่นั่น ฯลฯ",
]
SITE_NAME = "กรม A&B <ข่าว>"
RSS_PARSER = "rss-parser@3.13.0"


@pytest.fixture(scope="module")
def nasty_feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An RSS file of one article per nasty title, newest first, from a site whose name
    holds "&" and "<"."""
    root = tmp_path_factory.mktemp("nasty") / "site"
    init_site(root)
    site_file = root / "site.toml"
    text = site_file.read_text(encoding="utf-8")
    site_file.write_text(text.replace('th = "เว็บไซต์ข่าว"', f'th = "{SITE_NAME}"'), "utf-8")
    start = datetime(2020, 1, 1, 9, 0, tzinfo=BANGKOK)
    for number, title in enumerate(NASTY):
        article = build_article(
            3000 + number,
            date=start - timedelta(days=number),
            photos=(),
            translations={"th": Translation(title=title, body="ย่อหน้า", summary=title)},
        )
        store.write_article(article, root / "articles" / "2020", "toml", ("th", "en"))
    data, _ = build_feed(Site.open(root), lang="th", now=NOW)
    path = root.parent / "rss.xml"
    path.write_bytes(data)
    return path


def test_the_feed_encodes_each_text_once(nasty_feed: Path) -> None:
    data = nasty_feed.read_bytes()
    assert b"AT&#x26;T" in data and b"A &#x3C; B" in data
    assert b"Tom &#x26;amp; Jerry" in data
    assert b"&amp;" not in data and b"&lt;" not in data


def test_feedparser_reads_every_title_as_written(nasty_feed: Path) -> None:
    result = feedparser.parse(nasty_feed.read_bytes())
    assert result.bozo == 0
    assert result.feed.title == SITE_NAME
    assert [entry.title for entry in result.entries] == NASTY
    assert [entry.summary for entry in result.entries] == NASTY


@pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat is not installed")
def test_newsboat_reads_every_title_as_written(nasty_feed: Path, tmp_path: Path) -> None:
    urls = tmp_path / "urls"
    urls.write_text(nasty_feed.as_uri() + "\n", encoding="utf-8")
    config = tmp_path / "config"
    config.write_text("", encoding="utf-8")
    cache = tmp_path / "cache.db"
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        ["newsboat", "-u", urls, "-C", config, "-c", cache, "-x", "reload", "print-unread"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == f"{len(NASTY)} unread articles"
    # newsboat keeps what it read in its cache: the titles its list shows.
    with sqlite3.connect(cache) as conn:
        feed_titles = [row[0] for row in conn.execute("SELECT title FROM rss_feed")]
        query = "SELECT title FROM rss_item ORDER BY pubDate DESC"
        titles = [row[0] for row in conn.execute(query)]
    assert feed_titles == [SITE_NAME]
    assert titles == NASTY


@pytest.fixture(scope="session")
def rss_parser(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The npm package rss-parser installed into a folder of the tests' own."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed")
    prefix = tmp_path_factory.mktemp("npm")
    done = subprocess.run(
        ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", RSS_PARSER],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        pytest.skip(f"npm could not install {RSS_PARSER}: {done.stderr.strip()[-200:]}")
    return prefix / "node_modules" / "rss-parser"


def test_rss_parser_reads_every_title_as_written(nasty_feed: Path, rss_parser: Path) -> None:
    script = (
        "const Parser = require(process.argv[1]); const fs = require('fs');"
        "new Parser().parseString(fs.readFileSync(process.argv[2], 'utf8'))"
        ".then(f => console.log(JSON.stringify({title: f.title,"
        " items: f.items.map(i => i.title)})))"
        ".catch(e => { console.error(String(e)); process.exit(1); });"
    )
    done = subprocess.run(
        ["node", "-e", script, str(rss_parser), str(nasty_feed)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    read = json.loads(done.stdout)
    assert read == {"title": SITE_NAME, "items": NASTY}


@pytest.mark.parametrize("atom", [False, True])
def test_every_filtered_feed_has_its_own_identity(
    make_site: MakeSite, make_article: MakeArticle, atom: bool
) -> None:
    articles = [make_article(4001, tags=("PMQA",)), make_article(4002, category="activities")]
    root = make_site(articles)
    site = Site.open(root)
    seen: dict[str, tuple[str, str, str]] = {}
    selections: list[dict[str, Any]] = [
        {},
        {"lang": "en"},
        {"categories": ["activities"]},
        {"tags": ["pmqa"]},
        {"categories": ["headline", "activities"]},
    ]
    for options in selections:
        options.setdefault("lang", "th")
        data, _ = build_feed(site, now=NOW, atom=atom, **options)
        read = feedparser.parse(data).feed
        self_link = next(link.href for link in read.links if link.rel == "self")
        identity = (read.id if atom else self_link, read.title, self_link)
        assert identity not in seen.values(), options
        seen[json.dumps(options)] = identity
    tagged = seen[json.dumps({"tags": ["pmqa"], "lang": "th"})]
    assert tagged[2].endswith("feeds/th/select/tag-pmqa." + ("atom.xml" if atom else "rss.xml"))
    assert "#pmqa" in tagged[1]
