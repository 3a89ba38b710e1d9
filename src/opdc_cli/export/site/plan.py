"""What to build: which articles to render again, which are live, which index pages
and feeds can have changed.

Whether an article's files changed is the content index's rule (opdc_cli.index:
size, mtime in ns, inode and ctime of each file, `index.layout`), and so is its
racy window: a file modified within RACY_NS of being looked at may change again
unseen in the same clock tick, so its stamp is not trusted next time; the hash of
its bytes, taken before it is read, then says whether it changed. The article
itself is read through the site (`Site.articles`), from the index when it is up
to date.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from opdc_cli import index, urls
from opdc_cli.content import Query, Site
from opdc_cli.errors import OpdcError
from opdc_cli.feed import feed_lists
from opdc_cli.model import Article
from opdc_cli.site import SiteConfig

# What the manifest keeps of one article (JSON): id, ts (its date, epoch seconds),
# status, category, cards (the hash of its index entry per published language),
# held (languages held back), files (what was written for it, with fingerprints),
# stamp (what its files and media folder looked like; None: read it again).
Entry = dict[str, Any]
# Articles read through the site at a time: few enough to hold, many enough that
# the index checks the articles folder only a few times.
READ_BATCH = 1000


class Listing:
    """Which files the output folder holds, one directory listing per folder asked about."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folders: dict[str, set[str]] = {}

    def has(self, path: str) -> bool:
        folder, _, name = path.rpartition("/")
        names = self.folders.get(folder)
        if names is None:
            try:
                names = set(os.listdir(self.out / folder))
            except OSError:
                names = set()
            self.folders[folder] = names
        return name in names

    def all(self, paths: Iterable[str]) -> bool:
        return all(self.has(path) for path in paths)


@dataclass
class Plan:
    """What the articles folder says now, against the last export's manifest."""

    # Per article: its entry reused as it is, or (to render) {"stamp": ...}.
    entries: dict[str, Entry] = field(default_factory=dict)
    todo: list[int] = field(default_factory=list)  # the articles to read and render
    problems: list[OpdcError] = field(default_factory=list)  # ids claimed twice


def plan_articles(
    site: Site, reusable: dict[str, Entry], listing: Listing, moment: float, drafts: bool = False
) -> Plan:
    """Which articles to read again: those whose files or media folder changed, or
    whose pages or publication time say so; the others keep their manifest entries.
    `reusable` holds the last export's entries when it was built alike."""
    found = index.layout(site.articles_dir)
    plan = Plan(problems=[problem for _, problem in found.duplicates])
    for article_id in found.groups:
        slot = str(article_id)
        cached = reusable.get(slot)
        stamp = _stamp(site, found, article_id, cached)
        if stamp is None:
            continue  # deleted while we looked: the next run sees it gone
        if cached is not None and _same(cached.get("stamp"), stamp):
            due = shown(cached, moment, drafts)
            # Published last time and still due, with its files there; or not due then
            # and not due now.
            if due == bool(cached["cards"]) and (not due or listing.all(cached["files"])):
                plan.entries[slot] = {**cached, "stamp": stamp}
                continue
        plan.entries[slot] = {"stamp": stamp}
        plan.todo.append(article_id)
    return plan


def _stamp(
    site: Site, found: index.Layout, article_id: int, cached: Entry | None
) -> dict[str, Any] | None:
    """What the article's files and media folder look like now (None: gone)."""
    racy = article_id in found.racy
    before = cached.get("stamp") if cached else None
    sig = found.sigs[article_id]
    stamp: dict[str, Any] = {"sig": sig, "racy": racy, "digest": None}
    trusted = isinstance(before, dict) and before.get("sig") == sig and not before.get("racy")
    if racy or (isinstance(before, dict) and not trusted and before.get("digest")):
        stamp["digest"] = _digest(site.articles_dir, [m.path for m in found.groups[article_id]])
        if stamp["digest"] is None:
            return None
    try:
        stamp["media"] = os.stat(site.media_folder(article_id)).st_mtime_ns
    except FileNotFoundError:
        stamp["media"] = None
    return stamp


def _same(before: object, now: dict[str, Any]) -> bool:
    """Do two stamps show the same files? By the index's signature when the earlier
    one was taken outside the racy window, else by the hash of the files' bytes."""
    if not isinstance(before, dict) or before.get("media") != now["media"]:
        return False
    if before.get("sig") == now["sig"] and not before.get("racy"):
        return True
    return before.get("digest") is not None and before.get("digest") == now["digest"]


def _digest(articles_dir: Path, paths: list[str]) -> str | None:
    """A hash of the article's files (paths below articles/ and bytes); None if one
    is gone."""
    hasher = hashlib.blake2b(digest_size=16)
    for path in paths:
        try:
            data = (articles_dir / path).read_bytes()
        except OSError:
            return None
        hasher.update(f"{path}\0{len(data)}\0".encode())
        hasher.update(data)
    return hasher.hexdigest()


def read_articles(site: Site, ids: list[int], now: datetime) -> Iterator[list[Article]]:
    """The articles `ids` read through the site, in batches; afterwards
    `site.problems` names every article file that could not be read.

    Without the index every call reads every file: then all in one batch.
    """
    size = READ_BATCH if site.cache else max(len(ids), 1)
    for start in range(0, len(ids), size):
        yield site.articles(Query(ids=tuple(ids[start : start + size]), now=now))


class Live(NamedTuple):
    """A published article as the index pages and feeds list it (from its entry)."""

    id: int
    ts: float
    category: str
    languages: tuple[str, ...]  # published, with an index entry each
    cards: dict[str, str]  # the hash of its index entry per language
    held: tuple[str, ...]  # languages held back as translations in progress


def shown(entry: Entry, moment: float, drafts: bool = False) -> bool:
    """Whether the entry's article gets pages: published and due, or any article in a
    preview with drafts (the gate still decides the rest)."""
    until = entry.get("until")
    return drafts or (
        entry["status"] == "published"
        and entry["ts"] <= moment
        and (until is None or moment < until)  # workflow: not yet expired
    )


def live(entries: dict[str, Entry], moment: float, drafts: bool = False) -> list[Live]:
    """The published entries, newest first; an entry whose time has not come (again)
    loses its files."""
    found = []
    for slot, entry in entries.items():
        if entry["cards"] and shown(entry, moment, drafts):
            cards = entry["cards"]
            held = tuple(entry.get("held") or ())
            found.append(
                Live(entry["id"], entry["ts"], entry["category"], tuple(cards), cards, held)
            )
        elif entry["files"] and not entry.get("withdrawn"):
            entries[slot] = {**entry, "cards": {}, "files": {}}
    found.sort(key=lambda e: (e.ts, e.id), reverse=True)
    return found


def listed_ids(config: SiteConfig, newest_first: list[Live]) -> dict[str, list[int]]:
    """The ids each feed lists (opdc_cli.feed.feed_lists, the feeds' own rule), keyed
    "lang/category": when neither these nor the listed articles change, the feeds'
    bytes cannot change and they are not rebuilt."""
    lists = feed_lists(config, newest_first, config.feed.limit)
    return {
        f"{lang}/{category or ''}": [e.id for e in found]
        for (lang, category), found in lists.items()
    }


class IndexPage(NamedTuple):
    """One index page: its language, category (None: all news), number, how many
    pages its listing has, the articles on it, and where it goes."""

    lang: str
    category: str | None
    number: int
    pages: int
    members: list[Live]
    path: str


def index_pages(config: SiteConfig, newest_first: list[Live]) -> list[IndexPage]:
    """Every index page of the site, the front door (index.html) included."""
    listed: dict[tuple[str, str | None], list[Live]] = {
        (lang, category): [] for lang in config.languages for category in (None, *config.categories)
    }
    for entry in newest_first:
        for lang in entry.languages:
            for group in ((lang, None), (lang, entry.category)):
                if group in listed:
                    listed[group].append(entry)
    size = config.html.page_size
    pages: list[IndexPage] = []
    for (lang, category), members in listed.items():
        chunks = [members[i : i + size] for i in range(0, len(members), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            path = urls.index_path(lang, number, category)
            pages.append(IndexPage(lang, category, number, len(chunks), chunk, path))
            if lang == config.primary_language and category is None and number == 1:
                # The site's front door: the primary language's home page.
                pages.append(IndexPage(lang, category, number, len(chunks), chunk, "index.html"))
    return pages


def page_key(key: str, page: IndexPage) -> str:
    """A hash of everything an index page shows: the build, its place, its entries."""
    parts = [key, page.path, page.lang, page.category or "", str(page.number), str(page.pages)]
    parts.extend(entry.cards[page.lang] for entry in page.members)
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()
