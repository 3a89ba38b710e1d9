"""Articles on disk: find the files, read them into Articles, write them back atomically.

Two forms, both first-class:

- `articles/**/<id>.toml`: the whole article, every language in its own table;
- `articles/**/<id>.<lang>.txt`: `+++` TOML front matter, then the body as plain
  text; the files of one id together are one article.

Raw TOML dictionaries never leave this module: readers return typed Articles or
raise OpdcError with the path, line and column of the offending key.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from opdc_cli.errors import OpdcError
from opdc_cli.fsutil import atomic_write, create_exclusive
from opdc_cli.model import (
    FORMS,
    MAX_BODY,
    MAX_ID,
    MAX_TEXT,
    STATUSES,
    Article,
    Attachment,
    Event,
    HistoryEntry,
    Photo,
    Translation,
    ends_before,
    is_aware,
    language_name,
    normalize_body,
    year_problem,
)
from opdc_cli.site import SiteConfig
from opdc_cli.textio import decode_text, parse_toml
from opdc_cli.tomlpos import KeyPath, key_positions, locate

# re.ASCII: without it \d takes Thai digits too, and ๓๐๐๗.toml would be article 3007.
TOML_NAME = re.compile(r"^(\d+)\.toml\Z", re.ASCII)
TEXT_NAME = re.compile(r"^(\d+)\.([a-z]{2,3})\.txt\Z", re.ASCII)
FENCE = "+++"
# An article file's largest size: several times the longest bodies in every
# language (model.MAX_BODY), far below what would take minutes to parse.
MAX_FILE_BYTES = 4 * 2**20

SHARED_KEYS = ("id", "category", "date", "status", "tags", "source", "expires")
TEXT_KEYS = ("title", "summary", "credit", "body")
# A language version's record of the primary text it was translated from.
TRANSLATED_KEY = "translated_from"
HISTORY_KEY = "history"
HISTORY_ACTIONS = ("submit", "approve", "reject", "publish", "unpublish")
ITEM_KEYS = {"photos": "file", "attachments": "file"}


@dataclass(frozen=True, order=True)
class ArticleFile:
    """One article file found under articles/: its id and language come from its name."""

    path: Path
    id: int
    lang: str | None  # None for the all-languages TOML form

    @property
    def form(self) -> str:
        return "toml" if self.lang is None else "txt"


def parse_name(name: str) -> tuple[int, str | None] | None:
    """(id, language) from an article file's name, the language None for the TOML
    form; None when `name` is not an article's (index.py's scan asks this too)."""
    match = TOML_NAME.match(name) or TEXT_NAME.match(name)
    if match is None:
        return None
    article_id = int(match[1])
    if article_id > MAX_ID:
        return None
    return article_id, match[2] if match.re is TEXT_NAME else None


def classify(path: Path) -> ArticleFile | None:
    """The ArticleFile for `path` if its name is an article's, else None."""
    parsed = parse_name(path.name)
    return None if parsed is None else ArticleFile(path, *parsed)


def misnamed(name: str, *, regular: bool = True) -> str | None:
    """Why a file named `name` in articles/ is not read though it looks like an
    article's (`26471.TOML`, `26471 .toml`, Thai digits, a symbolic link), with the
    fix; None for an article's name or one that is clearly something else."""
    if parse_name(name) is not None:
        if regular:
            return None
        return (
            "it is not a regular file (a symbolic link, a pipe…): put the article file itself here"
        )
    # Thai (and other) digits as ASCII, no spaces, lower case: an article's name?
    fixed = "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char
        for char in name
        if not char.isspace()
    ).lower()
    match = TOML_NAME.match(fixed) or TEXT_NAME.match(fixed)
    if match is None:
        return None
    if int(match[1]) > MAX_ID:
        return (
            f"id {match[1]} is longer than the {len(str(MAX_ID))} digits an id may have: "
            "give the article a new id (opdc new-article allocates free ones)"
        )
    return f"an article file's name is <id>.toml or <id>.<lang>.txt in ASCII: rename it {fixed}"


def walk_entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Everything below `folder` but folders (files, links, pipes), skipping hidden
    names (editor and git files): what validate looks through for misnamed files."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from walk_entries(Path(entry.path))
        else:
            yield entry


class Found(NamedTuple):
    """An article file met by walk: where it is below articles/, and what its name says."""

    path: str  # "/"-separated, below the folder walked
    entry: os.DirEntry[str]  # stat() it without following links: one name looked up
    id: int
    lang: str | None


def walk(folder: Path) -> Iterator[Found]:
    """Every article file below `folder` (store and index alike): hidden names (editor
    and git files) and symbolic links are skipped, the order is the file system's."""
    try:
        top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return
    yield from _walk(top, "")


def _walk(folder: int, prefix: str) -> Iterator[Found]:
    # `folder` is an open descriptor, closed here: each stat then looks up one name.
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_file(follow_symlinks=False):
                found = parse_name(name)
                if found is not None:
                    yield Found(prefix + name, entry, *found)
            elif entry.is_dir(follow_symlinks=False):
                try:
                    inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
                except FileNotFoundError:
                    continue  # removed since the listing
                yield from _walk(inner, f"{prefix}{name}/")
    finally:
        os.close(folder)


def scan(articles_dir: Path) -> list[ArticleFile]:
    """Every article file under `articles_dir`, sorted by path."""
    found = [ArticleFile(articles_dir / f.path, f.id, f.lang) for f in walk(articles_dir)]
    # The order of Path comparison (by parts), with tuples compared in C: sorting the
    # dataclasses themselves cost a third of a second on 10,000 articles.
    return sorted(found, key=lambda f: f.path.parts)


def misnamed_files(folder: Path) -> list[tuple[Path, str]]:
    """The files below `folder` that look like articles but are not read, each with
    why and what to do (see `misnamed`), sorted by path."""
    found = []
    for entry in walk_entries(folder):
        why = misnamed(entry.name, regular=entry.is_file(follow_symlinks=False))
        if why is not None:
            found.append((Path(entry.path), why))
    return sorted(found, key=lambda item: item[0].parts)


# --- reading ------------------------------------------------------------------------


@dataclass
class _Doc:
    """A parsed file and the means to say where in it a key is."""

    path: Path
    text: str
    data: dict[str, Any]
    line_offset: int = 0
    problems: list[OpdcError] = field(default_factory=list)

    @cached_property
    def positions(self) -> dict[KeyPath, tuple[int, int]]:
        # Only computed when something is wrong: the happy path never scans positions.
        return key_positions(self.text)

    def problem(self, keypath: KeyPath, message: str, code: str) -> None:
        place = locate(self.positions, keypath)
        line, col = (place[0] + self.line_offset, place[1]) if place else (1, 1)
        self.problems.append(OpdcError(message, self.path, line, col, code))

    def unknown(
        self,
        table: Mapping[str, Any],
        where: KeyPath,
        allowed: Iterable[str],
        elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        """Report keys not in `allowed`, naming the nearest known key.

        `elsewhere` maps keys that belong in another table to that table's name,
        so a top-level `titel` is pointed to `title` in `[th]`.
        """
        allowed = sorted(allowed)
        elsewhere = elsewhere or {}
        for key in table:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                moved = difflib.get_close_matches(key, list(elsewhere), n=1, cutoff=0.6)
                if near:
                    hint = f"; did you mean '{near[0]}'?"
                elif moved:
                    hint = f"; '{moved[0]}' belongs in the {elsewhere[moved[0]]} table"
                else:
                    hint = f"; known keys: {', '.join(allowed)}"
                self.problem((*where, key), f"unknown key '{key}'{hint}", "OPDC111")

    def text_value(self, table: Mapping[str, Any], where: KeyPath, key: str) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            self.problem((*where, key), f"'{key}' must be a string in double quotes", "OPDC112")
            return ""
        limit = MAX_BODY if key == "body" else MAX_TEXT
        if len(value) > limit:
            self.problem((*where, key), too_long(key, len(value), limit), "OPDC405")
            return ""
        return value


def too_long(what: str, length: int, limit: int) -> str:
    """The message for a text longer than its field allows."""
    return (
        f"'{what}' is {length:,} characters long, more than the {limit:,} it may have: shorten it"
    )


def _read_doc(path: Path, data: bytes, form: str) -> tuple[_Doc, str]:
    """Parse a file of either form into its TOML data; the body too for the text form."""
    text = decode_text(path, data)
    if form == "toml":
        return _Doc(path, text, parse_toml(path, text)), ""
    front, body = split_front_matter(path, text)
    return _Doc(path, front, parse_toml(path, front, line_offset=1), line_offset=1), body


def closing_fence(lines: Sequence[str]) -> int | None:
    """The index of the `+++` line that closes a text article's front matter, or None."""
    return next((i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE), None)


def split_front_matter(path: Path, text: str) -> tuple[str, str]:
    """The front matter between the `+++` lines and the body after them."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        raise OpdcError(
            "a text article must start with a '+++' line, then its TOML front matter",
            path,
            1,
            1,
            "OPDC103",
        )
    index = closing_fence(lines)
    if index is not None:
        front = "\n".join(lines[1:index]) + "\n"
        return front, normalize_body("\n".join(lines[index + 1 :]))
    raise OpdcError(
        "the front matter is not closed: add a '+++' line after it", path, len(lines), 1, "OPDC103"
    )


def _shared(doc: _Doc, config: SiteConfig, expected_id: int) -> dict[str, Any]:
    """The keys every form shares (id, category, date, status, tags), checked."""
    data = doc.data
    out: dict[str, Any] = {}
    raw_id = data.get("id")
    if raw_id is None:
        doc.problem((), f"missing 'id': add id = {expected_id}", "OPDC110")
    elif not isinstance(raw_id, int) or isinstance(raw_id, bool):
        doc.problem(("id",), "'id' must be a whole number, e.g. id = 26461", "OPDC112")
    elif raw_id != expected_id:
        doc.problem(
            ("id",),
            f"id {raw_id} does not match the file name ({expected_id}): "
            "rename the file or fix the id",
            "OPDC113",
        )
    out["id"] = expected_id
    out["category"] = _category(doc, config)
    out["date"] = _date(doc)

    status = data.get("status", "published")
    if status not in STATUSES:
        names = ", ".join(f"'{name}'" for name in STATUSES)
        doc.problem(("status",), f"status must be one of {names}, not {status!r}", "OPDC116")
        status = "draft"
    out["status"] = status

    expires = _moment(doc, ("expires",), data.get("expires"))
    out["expires"] = expires

    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        doc.problem(("tags",), 'tags must be a list of strings, e.g. tags = ["GovLab"]', "OPDC112")
        tags = []
    elif any(len(t) > MAX_TEXT for t in tags):
        longest = max(len(t) for t in tags)
        doc.problem(("tags",), too_long("tags", longest, MAX_TEXT), "OPDC405")
        tags = []
    out["tags"] = tuple(tags)

    source = data.get("source", "")
    if not isinstance(source, str):
        doc.problem(("source",), "'source' must be a string, e.g. \"wordpress:…?p=123\"", "OPDC112")
        source = ""
    out["source"] = source
    return out


def _moment(doc: _Doc, where: KeyPath, raw: Any) -> datetime | None:
    """A date and time with its offset (`expires`, a history entry's `at`), checked."""
    if raw is None:
        return None
    name = ".".join(str(part) for part in where if isinstance(part, str))
    if not isinstance(raw, datetime) or not is_aware(raw):
        doc.problem(
            where,
            f"'{name}' must be a date and time with its offset, e.g. 2018-05-27T09:30:00+07:00",
            "OPDC115",
        )
        return None
    why = year_problem(raw)
    if why is not None:
        doc.problem(where, f"'{name}': {why}", "OPDC115")
        return None
    return raw


def _history(doc: _Doc) -> tuple[HistoryEntry, ...]:
    """The [[history]] entries: at, by, action, note."""
    raw = doc.data.get(HISTORY_KEY, [])
    if not isinstance(raw, list):
        doc.problem((HISTORY_KEY,), "'history' must be written as [[history]] tables", "OPDC112")
        return ()
    entries = []
    for index, item in enumerate(raw):
        where: KeyPath = (HISTORY_KEY, index)
        if not isinstance(item, dict):
            doc.problem(where, "each of 'history' must be a [[history]] table", "OPDC112")
            continue
        doc.unknown(item, where, ["at", "by", "action", "note"])
        at = _moment(doc, (*where, "at"), item.get("at"))
        action = doc.text_value(item, where, "action")
        if action not in HISTORY_ACTIONS:
            doc.problem(
                (*where, "action"),
                f"history action must be one of {', '.join(HISTORY_ACTIONS)}, not {action!r}",
                "OPDC112",
            )
            continue
        if at is None:
            if "at" not in item:
                doc.problem(where, "a history entry needs at = <date and time>", "OPDC110")
            continue
        entries.append(
            HistoryEntry(
                at, doc.text_value(item, where, "by"), action, doc.text_value(item, where, "note")
            )
        )
    return tuple(entries)


def _translated_from(doc: _Doc, table: Mapping[str, Any], where: KeyPath) -> tuple[str, ...]:
    raw = table.get(TRANSLATED_KEY, [])
    if not isinstance(raw, list) or not all(isinstance(v, str) and len(v) < 64 for v in raw):
        doc.problem(
            (*where, TRANSLATED_KEY),
            f"'{TRANSLATED_KEY}' is written by opdc translated: a list of short strings; "
            "remove it and run opdc translated again",
            "OPDC112",
        )
        return ()
    return tuple(raw)


def _category(doc: _Doc, config: SiteConfig) -> str:
    data = doc.data
    category = data.get("category")
    if category is None:
        doc.problem((), f"missing 'category': add one of {', '.join(config.categories)}", "OPDC110")
    elif not isinstance(category, str):
        doc.problem(("category",), "'category' must be a string", "OPDC112")
    elif category not in config.categories:
        near = difflib.get_close_matches(category, list(config.categories), n=1)
        hint = (
            f"did you mean '{near[0]}'?" if near else f"use one of {', '.join(config.categories)}"
        )
        doc.problem(
            ("category",), f"unknown category '{category}' (not in site.toml): {hint}", "OPDC114"
        )
    return category if isinstance(category, str) else ""


def _date(doc: _Doc) -> Any:
    """The stored `date` as read (checked: aware, Common Era), or what stands there."""
    data = doc.data
    when = data.get("date")
    if when is None:
        doc.problem((), "missing 'date': add date = 2018-04-27T09:30:00+07:00", "OPDC110")
    elif not isinstance(when, datetime):
        doc.problem(
            ("date",),
            "'date' must be a date and time with its offset, e.g. 2018-04-27T09:30:00+07:00",
            "OPDC115",
        )
    elif not is_aware(when):
        doc.problem(
            ("date",),
            f"'date' has no time zone: write it as {when.isoformat()}+07:00 (or your offset)",
            "OPDC115",
        )
    elif (why := year_problem(when)) is not None:
        doc.problem(("date",), f"'date': {why}", "OPDC115")
        return None
    return when


def _when(doc: _Doc, where: KeyPath, key: str, raw: Any) -> date | datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, date):
        doc.problem((*where, key), f"'{key}' must be a date such as 2018-04-25", "OPDC112")
        return None
    if isinstance(raw, datetime) and not is_aware(raw):
        doc.problem(
            (*where, key), f"'{key}' has no time zone: add its offset, e.g. +07:00", "OPDC115"
        )
        return None
    why = year_problem(raw)
    if why is not None:
        doc.problem((*where, key), f"event {key}: {why}", "OPDC115")
        return None
    return raw


def _items(
    doc: _Doc, key: str, text_key: str | None, lang: str | None, languages: tuple[str, ...]
) -> list[tuple[str, dict[str, str]]]:
    """[[photos]] or [[attachments]]: each item's file and its text per language.

    In the TOML form a language code keys that language's text (`th = "…"`); in
    the text form `text_key` (caption, title) holds the file's one language.
    """
    raw = doc.data.get(key, [])
    if not isinstance(raw, list):
        doc.problem((key,), f"'{key}' must be written as [[{key}]] tables", "OPDC112")
        return []
    items: list[tuple[str, dict[str, str]]] = []
    for index, item in enumerate(raw):
        where: KeyPath = (key, index)
        if not isinstance(item, dict):
            doc.problem(where, f"each of '{key}' must be a [[{key}]] table", "OPDC112")
            continue
        allowed = ["file", text_key] if text_key else ["file", *languages]
        doc.unknown(item, where, allowed)
        name = doc.text_value(item, where, "file")
        if not name:
            doc.problem(where, f"each of '{key}' needs a file = \"…\"", "OPDC110")
        if text_key and lang:
            texts = {lang: doc.text_value(item, where, text_key)} if text_key in item else {}
        else:
            texts = {code: doc.text_value(item, where, code) for code in languages if code in item}
        items.append((name, texts))
    return items


def _event(doc: _Doc, lang: str | None, config: SiteConfig) -> Event | None:
    raw = doc.data.get("event")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        doc.problem(("event",), "'event' must be a table: [event] start = … end = …", "OPDC112")
        return None
    languages = config.languages
    allowed = ["start", "end", "place"] if lang else ["start", "end", *languages]
    doc.unknown(raw, ("event",), allowed)
    start = _when(doc, ("event",), "start", raw.get("start"))
    end = _when(doc, ("event",), "end", raw.get("end"))
    if start is None:
        if "start" not in raw:
            doc.problem(("event",), "an event needs a start date: start = 2018-04-25", "OPDC110")
        return None
    if end is not None and ends_before(start, end, config.tz):
        doc.problem(
            ("event", "end"),
            f"the event ends ({end.isoformat()}) before it starts ({start.isoformat()}): "
            "fix start or end",
            "OPDC502",
        )
        end = None
    if lang:
        places = {lang: doc.text_value(raw, ("event",), "place")} if "place" in raw else {}
    else:
        places = {code: doc.text_value(raw, ("event",), code) for code in languages if code in raw}
    return Event(start, end, places)


def _translation(
    doc: _Doc, table: Mapping[str, Any], where: KeyPath, body: str | None
) -> Translation:
    title = doc.text_value(table, where, "title")
    if "title" not in table:
        doc.problem(where, "missing 'title': add title = \"…\"", "OPDC110")
    if body is None:
        text = doc.text_value(table, where, "body")
    elif len(body) > MAX_BODY:
        # The body of the text form follows the front matter and its two +++ lines.
        line = doc.text.count("\n") + 3
        doc.problems.append(
            OpdcError(too_long("body", len(body), MAX_BODY), doc.path, line, 1, "OPDC405")
        )
        text = ""
    else:
        text = body
    return Translation(
        title=title,
        body=normalize_body(text),
        summary=doc.text_value(table, where, "summary"),
        credit=doc.text_value(table, where, "credit"),
        translated_from=_translated_from(doc, table, where),
    )


def _buildable(shared: Mapping[str, Any]) -> bool:
    """An Article can be made from these shared keys despite other problems."""
    when = shared["date"]
    return isinstance(when, datetime) and is_aware(when)


def _toml_article(doc: _Doc, file: ArticleFile, config: SiteConfig) -> Article | None:
    languages = config.languages
    doc.unknown(
        doc.data,
        (),
        [*SHARED_KEYS, "event", "photos", "attachments", HISTORY_KEY, *languages],
        elsewhere={key: f"[{languages[0]}]" for key in TEXT_KEYS},
    )
    shared = _shared(doc, config, file.id)
    translations: dict[str, Translation] = {}
    for lang in languages:
        table = doc.data.get(lang)
        if table is None:
            continue
        if not isinstance(table, dict):
            doc.problem((lang,), f"'{lang}' must be a table: [{lang}] title = \"…\"", "OPDC112")
            continue
        doc.unknown(table, (lang,), [*TEXT_KEYS, TRANSLATED_KEY])
        translations[lang] = _translation(doc, table, (lang,), None)
    if not translations:
        doc.problem((), f"no language table: add [{languages[0]}] with a title and body", "OPDC110")
    photos = _items(doc, "photos", None, None, languages)
    attachments = _items(doc, "attachments", None, None, languages)
    event = _event(doc, None, config)
    if not _buildable(shared):
        return None
    return Article(
        **shared,
        translations=translations,
        photos=tuple(Photo(name, texts) for name, texts in photos),
        attachments=tuple(Attachment(name, texts) for name, texts in attachments),
        event=event,
        history=_history(doc),
        sources=(file.path,),
        form="toml",
    )


@dataclass
class _TextPart:
    file: ArticleFile
    shared: dict[str, Any]
    translation: Translation
    photos: list[tuple[str, dict[str, str]]]
    attachments: list[tuple[str, dict[str, str]]]
    event: Event | None
    doc: _Doc
    history: tuple[HistoryEntry, ...]


def _text_part(doc: _Doc, body: str, file: ArticleFile, config: SiteConfig) -> _TextPart | None:
    lang = file.lang or config.primary_language
    if lang not in config.languages:
        doc.problems.append(
            OpdcError(
                f"language '{lang}' in the file name is not in site.toml's languages "
                f"({', '.join(config.languages)})",
                file.path,
                1,
                1,
                "OPDC117",
            )
        )
        return None
    doc.unknown(
        doc.data,
        (),
        [
            *SHARED_KEYS,
            *TEXT_KEYS[:-1],
            TRANSLATED_KEY,
            "event",
            "photos",
            "attachments",
            "history",
        ],
    )
    shared = _shared(doc, config, file.id)
    translation = _translation(doc, doc.data, (), body)
    part = _TextPart(
        file,
        shared,
        translation,
        _items(doc, "photos", "caption", lang, config.languages),
        _items(doc, "attachments", "title", lang, config.languages),
        _event(doc, lang, config),
        doc,
        _history(doc),
    )
    return part


def _merge_items(parts: list[_TextPart], key: str) -> list[tuple[str, dict[str, str]]]:
    """The primary file's items, with every language's texts matched by file name.

    A name listed twice is matched by its occurrence (the second with the second),
    so that neither copy loses its captions.
    """

    def slots(items: list[tuple[str, dict[str, str]]]) -> list[tuple[str, int]]:
        seen: dict[str, int] = {}
        out = []
        for name, _ in items:
            seen[name] = seen.get(name, -1) + 1
            out.append((name, seen[name]))
        return out

    first = getattr(parts[0], key)
    base: list[tuple[str, dict[str, str]]] = [(name, {}) for name, _ in first]
    by_slot = dict(zip(slots(first), (texts for _, texts in base), strict=True))
    for part in parts:
        items = getattr(part, key)
        for slot, (_, texts) in zip(slots(items), items, strict=True):
            if slot in by_slot:
                by_slot[slot].update(texts)
    return base


def _merge_text_parts(parts: list[_TextPart], config: SiteConfig) -> Article:
    order = {lang: index for index, lang in enumerate(config.languages)}
    parts.sort(key=lambda p: order.get(p.file.lang or "", len(order)))
    first = parts[0]
    event = first.event
    if event is not None:
        places: dict[str, str] = {}
        for part in parts:
            if part.event is not None:
                places.update(part.event.places)
        event = Event(event.start, event.end, places)
    photos = _merge_items(parts, "photos")
    attachments = _merge_items(parts, "attachments")
    return Article(
        **first.shared,
        translations={p.file.lang or config.primary_language: p.translation for p in parts},
        photos=tuple(Photo(name, texts) for name, texts in photos),
        attachments=tuple(Attachment(name, texts) for name, texts in attachments),
        event=event,
        history=first.history,
        sources=tuple(p.file.path for p in parts),
        form="txt",
    )


def check_article(
    files: list[ArticleFile],
    config: SiteConfig,
    contents: Mapping[Path, bytes] | None = None,
) -> tuple[Article | None, list[OpdcError]]:
    """One article from its file(s), and every problem found in all of them.

    The article is built whenever its date allows, even beside problems such as an
    unknown key, so that later checks (photos, text) still run; it is None when a
    file cannot be read or parsed at all, or its date is unusable. `contents` gives
    the files' bytes when they were read already (an edit parses what it locked).
    """

    def data(path: Path) -> bytes:
        return contents[path] if contents is not None else _read_bytes(path)

    if len(files) == 1 and files[0].lang is None:
        file = files[0]
        try:
            doc, _ = _read_doc(file.path, data(file.path), "toml")
        except OpdcError as exc:
            return None, [exc]
        return _toml_article(doc, file, config), doc.problems
    problems: list[OpdcError] = []
    parts: list[_TextPart] = []
    complete = True
    for file in files:
        try:
            doc, body = _read_doc(file.path, data(file.path), "txt")
        except OpdcError as exc:
            problems.append(exc)
            complete = False
            continue
        part = _text_part(doc, body, file, config)
        problems.extend(doc.problems)
        if part is not None:
            parts.append(part)
    # A language file that failed to parse would make the others look like the whole.
    if not complete or not parts:
        return None, problems
    parts.sort(key=lambda p: config.languages.index(p.file.lang or config.primary_language))
    if not _buildable(parts[0].shared):
        return None, problems
    problems.extend(_disagreements(parts))
    return _merge_text_parts(parts, config), problems


def _disagreements(parts: list[_TextPart]) -> list[OpdcError]:
    """Shared keys a language file states differently from the primary one.

    The primary file decides (the merge takes its values), so a difference would
    otherwise be lost silently when the article is read or converted.
    """
    first = parts[0]
    found: list[OpdcError] = []
    for part in parts[1:]:
        before = len(part.doc.problems)
        for key in SHARED_KEYS:
            if key in part.doc.data and part.shared[key] != first.shared[key]:
                part.doc.problem(
                    (key,),
                    f"'{key}' differs from {first.file.path.name}, which decides: make them agree",
                    "OPDC122",
                )
        if HISTORY_KEY in part.doc.data:
            part.doc.problem(
                (HISTORY_KEY,),
                f"the history is kept in {first.file.path.name} only: move these entries there",
                "OPDC122",
            )
        listed = {name for name, _ in first.photos}
        extra = [name for name, _ in part.photos if name not in listed]
        if extra:
            part.doc.problem(
                ("photos",),
                f"photo {extra[0]} is not in {first.file.path.name}, which decides the photos: "
                "add it there too, or remove it here",
                "OPDC122",
            )
        if part.event is not None and (
            first.event is None
            or (part.event.start, part.event.end) != (first.event.start, first.event.end)
        ):
            part.doc.problem(
                ("event",),
                f"the event's dates differ from {first.file.path.name}, which decides: "
                "make them agree",
                "OPDC122",
            )
        found.extend(part.doc.problems[before:])
    return found


def read_article(
    files: list[ArticleFile], config: SiteConfig, contents: Mapping[Path, bytes] | None = None
) -> Article:
    """One article from its file(s): a single TOML file, or the text files of one id.

    Raises the first problem found (check_article gives them all).
    """
    article, problems = check_article(files, config, contents)
    if problems:
        raise problems[0]
    if article is None:
        raise ValueError("read_article needs the files of one article, got none")
    return article


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            # Only as much as an article may hold: a runaway file is refused unread.
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise OpdcError(f"cannot read the file: {exc.strerror}", path, code="OPDC100") from None
    if len(data) > MAX_FILE_BYTES:
        raise OpdcError(
            f"the file is larger than the {MAX_FILE_BYTES // 2**20} MB an article file may be: "
            "is it an article? Split it, or move what is not text to media/",
            path,
            1,
            1,
            "OPDC104",
        )
    return data


def group(files: Iterable[ArticleFile]) -> tuple[dict[int, list[ArticleFile]], list[OpdcError]]:
    """Files grouped into articles by id; a second claim to an id is a problem, not a merge."""
    groups: dict[int, list[ArticleFile]] = {}
    problems: list[OpdcError] = []
    for file in sorted(files):
        current = groups.get(file.id)
        if current is None:
            groups[file.id] = [file]
            continue
        clash = next((f for f in current if claims_alike(f, file)), None)
        if clash is None:
            current.append(file)
        else:
            message = duplicate_message(file, clash, str(clash.path))
            problems.append(OpdcError(message, file.path, 1, 1, "OPDC120"))
    return groups, problems


def claims_alike(one: ArticleFile, other: ArticleFile) -> bool:
    """Two files of one id that cannot be parts of one article: either is the TOML
    form, or both are text files of the same language."""
    return one.lang is None or other.lang is None or one.lang == other.lang


def duplicate_message(file: ArticleFile, other: ArticleFile, shown: str) -> str:
    """OPDC120's message for `file`, the second claim to `other`'s id (shown as `shown`)."""
    same = f" in {file.lang}" if file.lang is not None and file.lang == other.lang else ""
    return (
        f"duplicate id {file.id}{same}: {shown} has it already; "
        "give one of them a new id (opdc new-article allocates free ones)"
    )


# --- writing ------------------------------------------------------------------------


def _dump(table: Mapping[str, Any], *, multiline: bool) -> str:
    """`key = value` lines in the table's order; lists of strings stay on one line."""
    import tomli_w

    lines = []
    for key, value in table.items():
        if isinstance(value, list):
            # tomli-w puts each item on its own line; tags read better inline.
            items = (tomli_w.dumps({"v": v})[4:-1] for v in value)
            lines.append(f"{key} = [{', '.join(items)}]\n")
        else:
            # tomli-w turns CRLF into LF inside a multi-line string: a title or credit
            # holding a CR would change on the way; written escaped, it reads back as is.
            keep = multiline and not (isinstance(value, str) and "\r" in value)
            lines.append(tomli_w.dumps({key: value}, multiline_strings=keep))
    return "".join(lines)


def ordered_languages(article: Article, languages: Iterable[str]) -> list[str]:
    known = [lang for lang in languages if lang in article.translations]
    return known + sorted(set(article.translations) - set(known))


def _shared_table(article: Article) -> dict[str, Any]:
    table: dict[str, Any] = {
        "id": article.id,
        "category": article.category,
        "date": article.date,
        "status": article.status,
    }
    if article.tags:
        table["tags"] = list(article.tags)
    if article.source:
        table["source"] = article.source
    if article.expires is not None:
        table["expires"] = article.expires
    return table


def history_table(entry: HistoryEntry) -> dict[str, Any]:
    """A [[history]] entry as written: at, by, action, and the note when there is one."""
    table: dict[str, Any] = {"at": entry.at, "by": entry.by, "action": entry.action}
    if entry.note:
        table["note"] = entry.note
    return table


def _texts(texts: Mapping[str, str], langs: list[str]) -> dict[str, str]:
    return {lang: texts[lang] for lang in langs if texts.get(lang)}


def _event_table(event: Event, places: dict[str, str]) -> dict[str, Any]:
    table: dict[str, Any] = {"start": event.start}
    if event.end is not None:
        table["end"] = event.end
    table.update(places)
    return table


def _translation_table(translation: Translation) -> dict[str, Any]:
    table: dict[str, Any] = {"title": translation.title}
    if translation.translated_from:
        table[TRANSLATED_KEY] = list(translation.translated_from)
    for key in ("summary", "credit", "body"):
        value = getattr(translation, key)
        if value:
            table[key] = value
    return table


def article_to_toml(article: Article, languages: Iterable[str]) -> str:
    """The TOML form: stable key order, bodies as readable multi-line strings."""
    langs = ordered_languages(article, languages)
    sections = [_dump(_shared_table(article), multiline=False)]
    if article.event is not None:
        event = _event_table(article.event, _texts(article.event.places, langs))
        sections.append("[event]\n" + _dump(event, multiline=False))
    for lang in langs:
        table = _translation_table(article.translations[lang])
        sections.append(f"[{lang}]\n" + _dump(table, multiline=True))
    for key, items in (("photos", article.photos), ("attachments", article.attachments)):
        for item in items:
            sections.append(f"[[{key}]]\n" + _dump(item_table(item, langs), multiline=False))
    for entry in article.history:
        sections.append("[[history]]\n" + _dump(history_table(entry), multiline=False))
    return "\n".join(sections)


def item_table(item: Photo | Attachment, langs: list[str]) -> dict[str, str]:
    """A [[photos]] or [[attachments]] entry of the TOML form: the file, then its text
    in each language that has one."""
    texts = item.captions if isinstance(item, Photo) else item.titles
    return {"file": item.file, **_texts(texts, langs)}


def item_text_table(item: Photo | Attachment, lang: str) -> dict[str, str]:
    """A [[photos]] (`caption`) or [[attachments]] (`title`) entry of the text form of `lang`."""
    texts, key = (item.captions, "caption") if isinstance(item, Photo) else (item.titles, "title")
    table = {"file": item.file}
    if texts.get(lang):
        table[key] = texts[lang]
    return table


def article_to_text(article: Article, lang: str) -> str:
    """The text form of one language: `+++` front matter, then the body."""
    translation = article.translations[lang]
    front = _shared_table(article)
    front.update({k: v for k, v in _translation_table(translation).items() if k != "body"})
    sections = [_dump(front, multiline=False)]
    if article.event is not None:
        places = {"place": article.event.places[lang]} if article.event.places.get(lang) else {}
        sections.append("[event]\n" + _dump(_event_table(article.event, places), multiline=False))
    for key, items in (("photos", article.photos), ("attachments", article.attachments)):
        for item in items:
            sections.append(f"[[{key}]]\n" + _dump(item_text_table(item, lang), multiline=False))
    if lang == next(iter(article.translations)):
        for entry in article.history:
            sections.append("[[history]]\n" + _dump(history_table(entry), multiline=False))
    text = f"{FENCE}\n" + "\n".join(sections) + f"{FENCE}\n"
    if translation.body:
        text += "\n" + translation.body + "\n"
    return text


# --- a file to fill in ------------------------------------------------------------------

EMPTY_BODY = 'body = """\n"""\n'
CAPTION_NOTE = "(also the alt text screen readers read aloud)"


def _comments(lines: Iterable[str]) -> str:
    return "".join(f"# {line}\n" for line in lines)


def _guided_translation(translation: Translation, lang: str, primary: bool) -> str:
    """A TOML form [lang] table whose body, written or not, has a comment saying where
    the text goes."""
    table = _translation_table(translation)
    body = table.pop("body", "")
    text = f"[{lang}]\n" + _dump(table, multiline=True)
    note = "" if primary else " Without it this version is not published."
    text += _comments(
        [
            f'The {language_name(lang)} text goes between the two """ lines below:',
            f"paragraphs separated by one blank line.{note}",
        ]
    )
    return text + (_dump({"body": body}, multiline=True) if body else EMPTY_BODY)


def _guided_toml(article: Article, langs: list[str], header: list[str]) -> str:
    sections = [_comments(header) + _dump(_shared_table(article), multiline=False)]
    if article.event is not None:
        event = _event_table(article.event, _texts(article.event.places, langs))
        sections.append("[event]\n" + _dump(event, multiline=False))
    for number, lang in enumerate(langs):
        sections.append(_guided_translation(article.translations[lang], lang, number == 0))
    names = " and ".join(language_name(lang) for lang in langs)
    for photo in article.photos:
        captions = {lang: photo.captions.get(lang, "") for lang in langs}
        note = _comments([f"Caption in {names} {CAPTION_NOTE}:"])
        sections.append(
            "[[photos]]\n"
            + _dump({"file": photo.file}, multiline=False)
            + note
            + _dump(captions, multiline=False)
        )
    for attachment in article.attachments:
        table = {"file": attachment.file, **_texts(attachment.titles, langs)}
        sections.append("[[attachments]]\n" + _dump(table, multiline=False))
    return "\n".join(sections)


def _guided_text(article: Article, lang: str, header: list[str]) -> str:
    """The text form of one language with comments in the front matter saying where
    the body and each photo's caption go."""
    plain = article_to_text(article, lang)
    front, body = plain[len(FENCE) + 1 :].split(f"{FENCE}\n", 1)
    where = [f"The {language_name(lang)} text goes after the closing +++ line below:"]
    where.append("paragraphs separated by one blank line.")
    front = _comments([*header, *where]) + front
    # Each photo's table in turn, from where the last one ended: a name may be listed
    # twice, and each copy gets its own note.
    cursor = 0
    for photo in article.photos:
        start = "[[photos]]\n" + _dump({"file": photo.file}, multiline=False)
        caption = {"caption": photo.captions.get(lang, "")}
        old = start + (_dump(caption, multiline=False) if caption["caption"] else "")
        note = _comments([f"Caption in {language_name(lang)} {CAPTION_NOTE}:"])
        new = start + note + _dump(caption, multiline=False)
        at = front.index(old, cursor)
        front = front[:at] + new + front[at + len(old) :]
        cursor = at + len(new)
    return f"{FENCE}\n{front}{FENCE}\n" + (body or "\n")


def guided(
    article: Article, form: str, languages: Iterable[str], header: Iterable[str] = ()
) -> dict[str, str]:
    """As `render`, with TOML comments showing where each body and photo caption goes
    (empty ones included, ready to fill in) and the `header` lines as comments on top:
    the file `opdc new-article --edit` opens. It reads back as the same article."""
    langs = ordered_languages(article, languages)
    top = list(header)
    if form == "toml":
        return {f"{article.id}.toml": _guided_toml(article, langs, top)}
    return {f"{article.id}.{lang}.txt": _guided_text(article, lang, top) for lang in langs}


def render(article: Article, form: str, languages: Iterable[str]) -> dict[str, str]:
    """The file names (relative to the article's folder) and texts of `article` in `form`."""
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}")
    if form == "toml":
        return {f"{article.id}.toml": article_to_toml(article, languages)}
    return {
        f"{article.id}.{lang}.txt": article_to_text(article, lang)
        for lang in ordered_languages(article, languages)
    }


def write_article(
    article: Article, folder: Path, form: str, languages: Iterable[str], *, exclusive: bool = False
) -> list[Path]:
    """Write `article` into `folder` in `form`, atomically; the paths written.

    With `exclusive`, a name already taken raises FileExistsError and nothing of
    that file is overwritten.
    """
    written: list[Path] = []
    for name, text in render(article, form, languages).items():
        path = folder / name
        if exclusive:
            try:
                create_exclusive(path, text, mode=0o666)
            except FileExistsError:
                # All of an article's files or none: a lone 5.th.txt left behind
                # would join whichever article owns the 5.en.txt that was in the way.
                for done in written:
                    done.unlink(missing_ok=True)
                raise
        else:
            atomic_write(path, text)
        written.append(path)
    return written
