"""Every check of `opdc validate`: site.toml, article files, photos, text and dates.

`validate_site(root)` reads every article file itself (through
`store.check_article`, never through the index), checks it, and returns every
problem found: a severity, a stable code, the path, line and column, and a
message that says what to do. Nothing here prints; `report.py` formats problems.

Positions are worked out only for problems: the happy path parses each file once
and runs a few compiled regular expressions over its text. Big sites are checked
by a process pool, since TOML parsing is most of the time.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from opdc_cli import store
from opdc_cli.checks import CheckCache, Checked
from opdc_cli.documents import unused_attachments
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.gallery import (
    MediaFolder,
    jpeg_size,
    made_names,
    real_media_folder,
    unused_originals,
)
from opdc_cli.index import epoch_us
from opdc_cli.links import link_problems
from opdc_cli.media import (
    FORMAT_NAMES,
    FORMATS,
    bomb_pixels,
    load_plugins,
    pillow_limits,
    stale_outputs,
    too_many_pixels,
)
from opdc_cli.model import Article, language_name, normalize_newlines
from opdc_cli.site import SITE_FILE, SiteConfig, check_config
from opdc_cli.store import ArticleFile
from opdc_cli.textio import CONTENT_FORBIDDEN
from opdc_cli.tomlpos import KeyPath, key_positions, locate
from opdc_cli.workers import process_pool, worker_count

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# Below this many articles a process pool costs more than it saves.
POOL_THRESHOLD = 400

TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)
BLANK_RUN = re.compile(r"\n[^\S\n]*\n([^\S\n]*\n)+")
# Links are found from their colon: a regular expression trying a scheme at every
# letter of every body cost more than parsing the file.
SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# Schemes that need no "//" and are links a reader's browser may follow.
BARE_SCHEMES = ("javascript", "vbscript", "data", "mailto", "file")
LINK_END = re.compile(r"[\s\"'<>]|$")
WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (path, 1-based line and column when the file has lines),
    what (a stable code and a message saying what to do), and how bad."""

    path: Path
    line: int | None
    col: int | None
    code: str
    severity: Severity
    message: str
    article: int | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (str(self.path), self.line or 0, self.col or 0, self.code, self.message)

    def as_error(self) -> Problem:
        """The same problem counted as an error (what --strict does to warnings)."""
        return self if self.severity != "warning" else replace(self, severity="error")


@dataclass
class Result:
    """What a validate run found: the problems (sorted) and how many articles it checked."""

    problems: list[Problem]
    articles: int


def from_error(error: OpdcError, article: int | None = None) -> Problem:
    """A reader's OpdcError as an error Problem (its code, or OPDC100 when it has none)."""
    path = error.path if error.path is not None else Path(".")
    return Problem(
        path, error.line, error.col, error.code or "OPDC100", "error", error.message, article
    )


# --- where a value is written --------------------------------------------------------


@dataclass(frozen=True)
class ByFile:
    """In a key path: the [[key]] table whose `file` is `name` (text-form files list
    their items in their own order)."""

    key: str
    name: str


BODY: tuple[str] = ("<body>",)  # the body of a text-form file, after the front matter

PathPart = str | int | ByFile


class Source:
    """One article file, read again only when a problem needs a line and column."""

    def __init__(self, path: Path, text_form: bool) -> None:
        self.path = path
        self.text_form = text_form

    @cached_property
    def text(self) -> str:
        data = self.path.read_bytes()
        return normalize_newlines(data.decode("utf-8-sig", errors="replace"))

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        for line in self.lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        return starts

    @cached_property
    def fence(self) -> int:
        """The 0-based index of the line closing the front matter (0 for the TOML form)."""
        if not self.text_form:
            return 0
        index = store.closing_fence(self.lines)
        return len(self.lines) if index is None else index

    @cached_property
    def front(self) -> str:
        if not self.text_form:
            return self.text
        return "\n".join(self.lines[1 : self.fence]) + "\n"

    @cached_property
    def positions(self) -> dict[KeyPath, tuple[int, int]]:
        return key_positions(self.front)

    @cached_property
    def data(self) -> dict[str, Any]:
        import tomli

        try:
            return tomli.loads(self.front)
        except tomli.TOMLDecodeError:
            return {}

    def resolve(self, parts: Sequence[PathPart]) -> KeyPath:
        """`parts` with each ByFile replaced by its index (cut short where it is absent)."""
        out: list[str | int] = []
        for part in parts:
            if isinstance(part, ByFile):
                items = self.data.get(part.key)
                index = next(
                    (
                        i
                        for i, item in enumerate(items if isinstance(items, list) else [])
                        if isinstance(item, dict) and item.get("file") == part.name
                    ),
                    None,
                )
                if index is None:
                    break
                out += [part.key, index]
            else:
                out.append(part)
        return tuple(out)

    def key_place(self, parts: Sequence[PathPart]) -> tuple[int, int]:
        """(line, col) of the key, else of its nearest written table; (1, 1) if none is."""
        if tuple(parts) == BODY:
            return self.body_start, 1
        place = locate(self.positions, self.resolve(parts))
        if place is None:
            return 1, 1
        return place[0] + (1 if self.text_form else 0), place[1]

    @cached_property
    def body_start(self) -> int:
        """The 1-based line of the body's first line (the store drops blank lines before it)."""
        line = self.fence + 2
        while line <= len(self.lines) and self.lines[line - 1] == "":
            line += 1
        return line

    def place(self, parts: Sequence[PathPart], value: str, index: int) -> tuple[int, int]:
        """(line, col) in the file of character `index` of the string `value` at `parts`.

        Exact where the value is written verbatim (bodies, captions without escapes),
        or where the character is written as an escape such as \\u0007; else the key.
        """
        line_no = value.count("\n", 0, index)
        col_no = index - (value.rfind("\n", 0, index) + 1)
        if tuple(parts) == BODY:
            return self.body_start + line_no, col_no + 1
        key_line, key_col = self.key_place(parts)
        found = self._verbatim(key_line, value, line_no, col_no)
        if found is None and index < len(value) and CONTENT_FORBIDDEN.match(value, index):
            found = self._escape(key_line, key_col, value, index)
        return found or (key_line, key_col)

    def _verbatim(
        self, key_line: int, value: str, line_no: int, col_no: int
    ) -> tuple[int, int] | None:
        vlines = value.split("\n")
        if key_line > len(self.lines):
            return None
        key_text = self.lines[key_line - 1]
        equals = key_text.find("=")
        if equals < 0:
            return None
        rest = key_text[equals + 1 :]
        first = vlines[0]
        if rest.strip() in ('"""', "'''"):
            # A multi-line string: the value starts on the next line (blank lines
            # before a body are dropped when it is read).
            start_line, start_col = key_line + 1, 1
            while first and start_line <= len(self.lines) and self.lines[start_line - 1] == "":
                start_line += 1
        else:
            offset = rest.find(first) if first else -1
            if offset < 0:
                return None
            start_line, start_col = key_line, equals + 2 + offset
        for number, expected in enumerate(vlines[: line_no + 1]):
            row = start_line + number
            if row > len(self.lines):
                return None
            column = start_col if number == 0 else 1
            if not self.lines[row - 1][column - 1 :].startswith(expected):
                return None
        return start_line + line_no, (start_col if line_no == 0 else 1) + col_no

    def _escape(
        self, key_line: int, key_col: int, value: str, index: int
    ) -> tuple[int, int] | None:
        char = value[index]
        code = ord(char)
        spellings = [re.escape(char), rf"\\u{code:04x}", rf"\\U{code:08x}"]
        spellings += {0x08: [r"\\b"], 0x0C: [r"\\f"], 0x1B: [r"\\e"]}.get(code, [])
        if code < 0x100:
            spellings.append(rf"\\x{code:02x}")
        pattern = re.compile("|".join(spellings), re.IGNORECASE)
        nth = value.count(char, 0, index)
        start = self.line_starts[key_line - 1] + key_col - 1 if key_line <= len(self.lines) else 0
        for number, match in enumerate(pattern.finditer(self.text, start)):
            if number == nth:
                offset = match.start()
                row = self.text.count("\n", 0, offset)
                return row + 1, offset - self.line_starts[row] + 1
        return None


@dataclass(frozen=True)
class Field:
    """A string of the article and where it is written."""

    source: Source
    parts: tuple[PathPart, ...]
    label: str
    value: str


class Located:
    """An article with its files, to say where each of its values is written."""

    def __init__(self, article: Article, files: list[ArticleFile], config: SiteConfig) -> None:
        self.article = article
        self.config = config
        self.text_form = files[0].lang is not None
        sources = {f.path: Source(f.path, self.text_form) for f in files}
        self.by_lang = {(f.lang or config.primary_language): sources[f.path] for f in files}
        # The file the shared keys (id, date, event) are taken from.
        self.primary = sources[article.sources[0]]

    def source(self, lang: str) -> Source:
        return self.by_lang.get(lang, self.primary)

    def text_field(self, lang: str, key: str, value: str) -> Field:
        if self.text_form:
            parts: tuple[PathPart, ...] = BODY if key == "body" else (key,)
            return Field(self.source(lang), parts, key, value)
        return Field(self.primary, (lang, key), f"[{lang}].{key}", value)

    def item_text(self, kind: str, index: int, name: str, lang: str, value: str) -> Field:
        """The caption (photos) or title (attachments) of item `index` in `lang`."""
        if self.text_form:
            key = "caption" if kind == "photos" else "title"
            return Field(
                self.source(lang), (ByFile(kind, name), key), f"{kind} {name} {key}", value
            )
        return Field(self.primary, (kind, index, lang), f"{kind} {name} {lang}", value)

    def item_file(self, kind: str, index: int) -> tuple[Source, tuple[PathPart, ...]]:
        return self.primary, (kind, index, "file")

    def event_place(self, lang: str, value: str) -> Field:
        if self.text_form:
            return Field(self.source(lang), ("event", "place"), "event place", value)
        return Field(self.primary, ("event", lang), f"event {lang}", value)

    def items(self) -> list[tuple[str, int, str, Mapping[str, str]]]:
        """Photos then attachments: (kind, index, file name, text per language)."""
        article = self.article
        return [
            *(("photos", i, photo.file, photo.captions) for i, photo in enumerate(article.photos)),
            *(
                ("attachments", i, attachment.file, attachment.titles)
                for i, attachment in enumerate(article.attachments)
            ),
        ]

    def values(self) -> list[str]:
        """Every string of the article, as `fields` gives them, without their places."""
        article = self.article
        found = [
            value
            for translation in article.translations.values()
            for value in (translation.title, translation.summary, translation.credit)
        ]
        found += (translation.body for translation in article.translations.values())
        found += (text for _, _, _, texts in self.items() for text in texts.values())
        if article.event is not None:
            found += article.event.places.values()
        found += article.tags
        return found

    def fields(self) -> Iterator[Field]:
        """Every string of the article with where it is written."""
        article = self.article
        for lang, translation in article.translations.items():
            for key in ("title", "summary", "credit", "body"):
                value = getattr(translation, key)
                if value:
                    yield self.text_field(lang, key, value)
        for kind, index, name, texts in self.items():
            for lang, text in texts.items():
                if text:
                    yield self.item_text(kind, index, name, lang, text)
        if article.event is not None:
            for lang, place in article.event.places.items():
                if place:
                    yield self.event_place(lang, place)
        for tag in article.tags:
            yield Field(self.primary, ("tags",), "tags", tag)


# --- the checks of one article -------------------------------------------------------


@dataclass
class ArticleChecker:
    """Checks one article's files and media; picklable, so a process pool can share it."""

    config: SiteConfig
    deep: bool = False
    now: datetime | None = None
    _problems: list[Problem] = field(default_factory=list, init=False, repr=False)

    def check(self, groups: Iterable[list[ArticleFile]]) -> list[Checked]:
        """The check of each article in `groups` (each the files of one id)."""
        # Pillow's limits are set once for all the photos: per article it cost a tenth
        # of the run.
        with image_limits(self.config.media.max_pixels):
            return [self._check_one(files) for files in groups]

    def _check_one(self, files: list[ArticleFile]) -> Checked:
        article_id = files[0].id
        article, errors = store.check_article(files, self.config)
        self._problems = [from_error(error, article_id) for error in errors]
        if article is None:
            return Checked(self._problems)
        located = Located(article, files, self.config)
        self._languages(located)
        self._dates(located)
        self._workflow(located)
        self._text(located)
        self._media(located)
        # Before a published article's date, validate also says it is scheduled.
        scheduled = epoch_us(article.date) if article.status == "published" else None
        return Checked(self._problems, scheduled)

    def _add(
        self,
        source: Source,
        place: tuple[int, int],
        code: str,
        severity: Severity,
        message: str,
        article: int,
    ) -> None:
        self._problems.append(
            Problem(source.path, place[0], place[1], code, severity, message, article)
        )

    def _at(
        self,
        source: Source,
        parts: Sequence[PathPart],
        code: str,
        severity: Severity,
        message: str,
        article: int,
    ) -> None:
        self._add(source, source.key_place(parts), code, severity, message, article)

    # Languages: the primary one is required and complete; the others are expected, and
    # one that is there without a title or body is a translation in progress.
    def _languages(self, located: Located) -> None:
        article = located.article
        primary = self.config.primary_language
        translation = article.translations.get(primary)
        if translation is None:
            fix = (
                f"add {article.id}.{primary}.txt"
                if located.text_form
                else f"add [{primary}] with a title and body"
            )
            self._add(
                located.primary,
                (1, 1),
                "OPDC118",
                "error",
                f"no {language_name(primary)} ({primary}) translation, the site's primary "
                f"language: {fix}",
                article.id,
            )
        elif not translation.is_complete:
            self._incomplete(located, primary, "OPDC119", "error")
        for lang in self.config.languages[1:]:
            other = article.translations.get(lang)
            if other is not None:
                if not other.is_complete:
                    self._incomplete(located, lang, "OPDC123", "warning")
                continue
            fix = (
                f"add {article.id}.{lang}.txt"
                if located.text_form
                else f"add [{lang}] with a title and body"
            )
            self._add(
                located.primary,
                (1, 1),
                "OPDC121",
                "warning",
                f"no {language_name(lang)} ({lang}) translation: {fix}",
                article.id,
            )

    def _incomplete(self, located: Located, lang: str, code: str, severity: Severity) -> None:
        """A language version without a title or a body: never published as it is."""
        translation = located.article.translations[lang]
        name = language_name(lang)
        source = located.source(lang)
        if not translation.title.strip():
            if any(p.code == "OPDC110" for p in self._problems):
                return  # the title key is missing: said already, by the reader
            place = source.key_place(located.text_field(lang, "title", "").parts)
            what, fix = "title", f'write title = "…" in {self._where(located, lang)}'
        elif located.text_form:
            # The text form's body follows the closing +++ line: point at that line.
            place = (source.fence + 1, 1)
            what, fix = "body", "write its text after the closing +++ line"
        else:
            place = source.key_place((lang, "body"))
            what, fix = "body", f'write its text in body = """…""" in [{lang}]'
        held = (
            "the article is not published until it has one"
            if code == "OPDC119"
            else f"a translation in progress: the {name} version is not published until it has one"
        )
        self._add(
            source,
            place,
            code,
            severity,
            f"the {name} ({lang}) {what} is empty; {held}: {fix}",
            located.article.id,
        )

    @staticmethod
    def _where(located: Located, lang: str) -> str:
        return f"{located.article.id}.{lang}.txt" if located.text_form else f"[{lang}]"

    def _dates(self, located: Located) -> None:
        # An event's years and order are the reader's rules (store.py): they come
        # with the file's other problems, since every command refuses such an article.
        article = located.article
        source = located.primary
        if self.now is not None and article.status == "published" and article.date > self.now:
            self._at(
                source,
                ("date",),
                "OPDC501",
                "info",
                f"scheduled: dated {article.date.isoformat()}, it appears when that time comes",
                article.id,
            )

    def _workflow(self, located: Located) -> None:
        """The editorial workflow: approval where site.toml requires it, approvers
        among those it names, translations that no longer match their source."""
        article = located.article
        settings = self.config.workflow
        source = located.primary
        if settings.require_approval and article.status == "published" and not article.approved:
            self._at(
                source,
                ("status",),
                "OPDC601",
                "error",
                "published without an approval, which site.toml's [workflow] requires: "
                f"opdc approve {article.id} --by NAME (or set status back to review)",
                article.id,
            )
        if settings.approvers:
            for index, entry in enumerate(article.history):
                if entry.action == "approve" and entry.by not in settings.approvers:
                    self._at(
                        source,
                        ("history", index, "by"),
                        "OPDC602",
                        "error",
                        f"approved by {entry.by!r}, who is not among site.toml's "
                        f"[workflow] approvers ({', '.join(settings.approvers)})",
                        article.id,
                    )
        primary = next(iter(article.translations), None)
        for lang in article.translations:
            if lang != primary and article.stale_translation(lang):
                self._at(
                    located.source(lang),
                    (lang, "translated_from") if not located.text_form else ("translated_from",),
                    "OPDC603",
                    "warning",
                    f"the {language_name(lang)} version was translated from an earlier "
                    f"{language_name(primary or '')} text: opdc show {article.id} "
                    f"--translation-diff shows what changed; update it, then "
                    f"opdc translated {article.id} --lang {lang}",
                    article.id,
                )

    def _text(self, located: Located) -> None:
        article = located.article
        # One scan of all the text at once; the field by field search only on a hit.
        if CONTENT_FORBIDDEN.search("\n".join(located.values())):
            for item in located.fields():
                self._forbidden(item, article.id)
        for lang, translation in article.translations.items():
            if translation.body:
                self._body(located.text_field(lang, "body", translation.body), article.id)

    def _forbidden(self, item: Field, article_id: int) -> None:
        for match in CONTENT_FORBIDDEN.finditer(item.value):
            char = match.group()
            kind = (
                "a C1 control character (often a Windows quote read as TIS-620)"
                if "\x80" <= char <= "\x9f"
                else "a control character XML forbids"
            )
            self._add(
                item.source,
                item.source.place(item.parts, item.value, match.start()),
                "OPDC401",
                "error",
                f"{item.label} contains U+{ord(char):04X}, {kind}: delete it or type "
                "the intended character",
                article_id,
            )

    def _body(self, item: Field, article_id: int) -> None:
        body = item.value
        for match in BLANK_RUN.finditer(body):
            # Point at the first blank line too many: the one after the separator.
            second = body.index("\n", match.start() + 1) + 1
            self._add(
                item.source,
                item.source.place(item.parts, body, second),
                "OPDC402",
                "warning",
                "more than one blank line between paragraphs makes empty paragraphs: "
                "keep one blank line",
                article_id,
            )
        # Splitting first is ten times faster than the expression on clean text.
        if any(line[-1:].isspace() for line in body.split("\n")):
            for match in TRAILING_SPACE.finditer(body):
                self._add(
                    item.source,
                    item.source.place(item.parts, body, match.start()),
                    "OPDC403",
                    "warning",
                    "whitespace at the end of the line: delete it",
                    article_id,
                )
        for start, message in link_problems(body, self.config.body_format):
            place = item.source.place(item.parts, body, start)
            self._add(item.source, place, "OPDC406", "warning", message, article_id)
        for start, link, scheme in find_links(body):
            if scheme not in WEB_SCHEMES:
                self._add(
                    item.source,
                    item.source.place(item.parts, body, start),
                    "OPDC404",
                    "warning",
                    f"link {link[:60]!r} is not http(s): readers' browsers may block it; "
                    "use an https:// address",
                    article_id,
                )

    # Photos and attachments: inside media/<id>/, present, real images, described.
    def _media(self, located: Located) -> None:
        article = located.article
        folder = self.config.root / "media" / str(article.id)
        if folder.is_symlink() or real_media_folder(folder.parent, article.id) is None:
            if article.photos or article.attachments or folder.is_symlink():
                self._add(
                    located.primary,
                    (1, 1),
                    "OPDC301",
                    "error",
                    f"media/{article.id} is a symbolic link; opdc reads nothing behind a link: "
                    f"make media/{article.id}/ a real folder holding the article's files",
                    article.id,
                )
            return
        listing = MediaFolder(folder.parent, article.id)
        referenced: set[str] = set()
        # Photos whose web sizes the quick mtime test could not clear.
        unsure: dict[str, tuple[Source, tuple[PathPart, ...]]] = {}
        for kind, index, name, texts in located.items():
            referenced.add(name)
            source, parts = located.item_file(kind, index)
            ok = self._media_file(source, parts, article.id, name, listing)
            if kind != "photos":
                self._attachment(located, index, name, texts, ok)
                continue
            made = made_names(name, first=index == 0)
            referenced.update(made)
            usable = ok and self._image(source, parts, article.id, folder / name, name)
            if usable and not listing.fresh(name, made):
                unsure[name] = (source, parts)
            self._alt_text(located, index, name, texts)
        if unsure:
            self._web_sizes(article, unsure)
        unused = sorted(set(listing.files) - referenced)
        cleanable = set(unused_originals(article.id, unused, referenced))
        cleanable.update(unused_attachments(article.id, unused, referenced))
        # What was made from an unused original, or the share image of a photo no
        # longer the first: `media clean` removes those too.
        photos = [photo.file for photo in article.photos]
        cleanable.update(name for o in [*cleanable, *photos] for name in made_names(o))
        for name in unused:
            fix = (
                f"run 'opdc media clean {article.id}' (an interrupted 'opdc media add' left it?)"
                if name in cleanable
                else "delete it"
            )
            self._problems.append(
                unused_file(
                    folder / name,
                    f"article {article.id} does not use this file: {fix}, "
                    "or add it to the article's [[photos]] or [[attachments]]",
                    article.id,
                )
            )

    def _attachment(
        self, located: Located, index: int, name: str, texts: Mapping[str, str], present: bool
    ) -> None:
        """A document: titled in each of the article's languages, its content what its
        name says, within the size limit, and a PDF readable by screen readers."""
        from opdc_cli.documents import attachment_problems

        article = located.article
        source, parts = located.item_file("attachments", index)
        for lang in article.translations:
            if not texts.get(lang, "").strip():
                where = located.item_text("attachments", index, name, lang, "")
                key = "title" if located.text_form else lang
                self._at(
                    where.source,
                    where.parts[:-1],
                    "OPDC311",
                    "warning",
                    f"attachment {name} has no {language_name(lang)} ({lang}) title: "
                    f'add {key} = "…" saying what the document is (readers see the file name)',
                    article.id,
                )
        if present:
            folder = self.config.root / "media" / str(article.id)
            for code, severity, message in attachment_problems(folder / name, self.config.media):
                text = f"media/{article.id}/{name}: {message}"
                self._at(source, parts, code, severity, text, article.id)

    def _alt_text(self, located: Located, index: int, name: str, texts: Mapping[str, str]) -> None:
        """Every photo needs alt text: in the primary language (error), in the others
        the article is written in (warning)."""
        article = located.article
        primary = self.config.primary_language
        for lang in (primary, *(lang for lang in article.translations if lang != primary)):
            if texts.get(lang, "").strip():
                continue
            where = located.item_text("photos", index, name, lang, "")
            key = "caption" if located.text_form else lang
            self._at(
                where.source,
                where.parts[:-1],
                "OPDC306" if lang == primary else "OPDC307",
                "error" if lang == primary else "warning",
                f"photo {name} has no {language_name(lang)} ({lang}) alt text: "
                f'add {key} = "…" describing it (screen readers read it aloud)',
                article.id,
            )

    def _media_file(
        self,
        source: Source,
        parts: Sequence[PathPart],
        article_id: int,
        name: str,
        listing: MediaFolder,
    ) -> bool:
        """Is `name` a regular file inside media/<id>/, of an acceptable size?"""
        # Resolving every path is slow on big sites: only names the listing cannot answer
        # for (with folders, links, refused names) get the full check.
        if not listing.plain(name):
            try:
                listing.path_of(name)
            except OpdcError as exc:
                self._at(source, parts, "OPDC301", "error", exc.message, article_id)
                return False
        found = listing.files.get(name)
        if found is None:
            what = "is not a regular file" if name in listing.files else "does not exist"
            self._at(
                source,
                parts,
                "OPDC305",
                "error",
                f"media/{article_id}/{name} {what}: copy it in with "
                f"'opdc media add {article_id} FILE', or fix the name",
                article_id,
            )
            return False
        limit = self.config.media.max_file_mb
        if found.st_size > limit * 1024 * 1024:
            self._at(
                source,
                parts,
                "OPDC304",
                "error",
                f"media/{article_id}/{name} is {found.st_size / 1024 / 1024:.1f} MB, more than "
                f"site.toml's media.max_file_mb ({limit} MB): replace it with a smaller file",
                article_id,
            )
        return True

    def _image(
        self, source: Source, parts: Sequence[PathPart], article_id: int, path: Path, name: str
    ) -> bool:
        found = image_problem(path, self.config.media.max_pixels, deep=self.deep)
        if found is None:
            return True
        code, message = found
        self._at(source, parts, code, "error", f"media/{article_id}/{name}: {message}", article_id)
        return False

    def _web_sizes(
        self, article: Article, unsure: Mapping[str, tuple[Source, tuple[PathPart, ...]]]
    ) -> None:
        for stale in stale_outputs(self.config, article):
            if stale.photo.file in unsure:
                source, parts = unsure[stale.photo.file]
                self._at(
                    source,
                    parts,
                    "OPDC308",
                    "warning",
                    f"the resized copies of {stale.photo.file} are out of date "
                    f"({stale.reason}): run opdc media resize {article.id}",
                    article.id,
                )


def unused_file(path: Path, message: str, article_id: int | None) -> Problem:
    """OPDC309: a file of media/<id>/ that no article uses (`message` says what to do)."""
    return Problem(path, None, None, "OPDC309", "warning", message, article_id)


def find_links(text: str) -> Iterator[tuple[int, str, str]]:
    """Links written in `text`: (index, the link, its scheme in lower case), for any
    `scheme://…` and the bare schemes that run code or open mail (javascript:, mailto:…)."""
    colon = text.find(":")
    while colon >= 0:
        start = colon
        while start > 0 and text[start - 1] in SCHEME_CHARS:
            start -= 1
        # A scheme starts with a letter: "2018.http://" links from "http".
        while start < colon and not text[start].isalpha():
            start += 1
        scheme = text[start:colon].lower()
        rest = text[colon + 1 : colon + 3]
        if scheme and (rest == "//" or (scheme in BARE_SCHEMES and rest[:1].strip())):
            end = LINK_END.search(text, colon + 1)
            stop = end.start() if end else len(text)
            yield start, text[start:stop].rstrip(".,;:!?"), scheme
            colon = stop
        colon = text.find(":", colon + 1)


@contextlib.contextmanager
def image_limits(max_pixels: int) -> Iterator[None]:
    """media.pillow_limits, with the allowed formats' plugins loaded once for the block."""
    load_plugins()
    with pillow_limits(max_pixels):
        yield


def check_image(path: Path, max_pixels: int, *, deep: bool = False) -> tuple[str, str] | None:
    """Why the file at `path` is not a usable photo, as (code, message), or None.

    Opens it with Pillow by content, with the formats `opdc media add` accepts, and
    reads its size; with `deep`, decodes every pixel too (truncated files often fail
    only then). More pixels than `max_pixels` is refused as a possible
    decompression bomb (OPDC303); anything else wrong is OPDC302.
    """
    with image_limits(max_pixels):
        return image_problem(path, max_pixels, deep=deep)


def image_problem(path: Path, max_pixels: int, *, deep: bool) -> tuple[str, str] | None:
    """check_image without setting the limits: for many photos inside one image_limits."""
    if not deep:
        # Most photos are JPEGs: reading their markers up to the image data checks as
        # much as Image.open does, in a fifth of the time. Anything odd goes to Pillow,
        # whose message is then the one reported.
        size = jpeg_size(path, until_scan=True)
        if size is not None:
            width, height = size
            if width * height > max_pixels:
                return "OPDC303", too_many_pixels(width * height, max_pixels)
            return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path, formats=FORMATS) as image:
            width, height = image.size
            if width * height > max_pixels:
                return "OPDC303", too_many_pixels(width * height, max_pixels)
            if deep:
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return "OPDC303", too_many_pixels(bomb_pixels(exc), max_pixels)
    except UnidentifiedImageError:
        return "OPDC302", f"not an image opdc accepts ({FORMAT_NAMES}): replace it"
    # Pillow's decoders raise many kinds of errors on damaged files (struct.error,
    # IndexError, ...): every one means this photo is broken, not that validate is.
    except Exception as exc:
        reason = str(exc).strip() or type(exc).__name__
        return "OPDC302", f"the image is damaged or truncated ({reason[:200]}): replace it"
    return None


# --- a whole run ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a run covers: everything, or site.toml and some articles and media folders."""

    everything: bool = True
    site_file: bool = False
    ids: frozenset[int] = frozenset()
    # The named files and folders under articles/: a misnamed file is reported
    # when it, or a folder holding it, is named.
    articles: tuple[Path, ...] = ()

    def covers(self, article_id: int) -> bool:
        return self.everything or article_id in self.ids

    def covers_file(self, path: Path) -> bool:
        return self.everything or any(path.is_relative_to(named) for named in self.articles)


ID_NAME = re.compile(r"[0-9]+")


def select(root: Path, paths: Iterable[Path]) -> Scope:
    """The scope of `paths`, files or folders of the site at `root` (relative ones are
    taken from the working folder): an article file selects its article, a file or
    folder of media/<id>/ that article, site.toml the settings. Other files of the
    site are not checked. UsageError for a path that is missing or outside the site.
    """
    given = list(paths)
    if not given:
        return Scope()
    root = root.resolve()
    articles_dir = root / "articles"
    media_dir = root / "media"
    site_file = False
    ids: set[int] = set()
    named: list[Path] = []
    for raw in given:
        # Only the folder is resolved: a symbolic link under media/ is judged where it is.
        absolute = Path(os.path.abspath(raw))
        path = absolute.parent.resolve() / absolute.name if absolute.name else absolute
        if not os.path.lexists(path):
            raise UsageError(f"{raw}: no such file or folder")
        if path == root:
            return Scope()
        if not path.is_relative_to(root):
            raise UsageError(f"{raw} is not inside the site {root}: name files of that site")
        if path == root / SITE_FILE:
            site_file = True
        elif path.is_relative_to(articles_dir):
            named.append(path)
            if path.is_dir():
                ids.update(found.id for found in store.scan(path))
            else:
                found = store.classify(path)
                if found is not None:
                    ids.add(found.id)
        elif path == media_dir:
            ids.update(_media_ids(media_dir))
        elif path.is_relative_to(media_dir):
            first = path.relative_to(media_dir).parts[0]
            if ID_NAME.fullmatch(first):
                ids.add(int(first))
    return Scope(everything=False, site_file=site_file, ids=frozenset(ids), articles=tuple(named))


def _media_ids(media_dir: Path) -> list[int]:
    """The ids that have a folder under media/."""
    try:
        entries = list(os.scandir(media_dir))
    except OSError:
        return []
    return [
        int(entry.name)
        for entry in entries
        if ID_NAME.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
    ]


def validate_site(
    root: Path,
    paths: Iterable[Path] = (),
    *,
    deep: bool = False,
    jobs: int | None = None,
    now: datetime | None = None,
    cache: bool = True,
) -> Result:
    """Check the site at `root`, or only `paths` in it plus the site-wide checks that
    concern them: every problem found, sorted by path and place.

    `deep` decodes every photo fully; `jobs` caps the worker processes (default: one
    per CPU, used only for big sites); with `now`, published articles dated after it
    are reported as scheduled (severity info). Articles unchanged since an earlier
    check reuse its result (opdc_cli.checks), unless `deep` or not `cache`.
    """
    root = root.resolve()
    scope = select(root, paths)
    config, config_errors = check_config(root / SITE_FILE)
    problems: list[Problem] = []
    # A broken site.toml concerns every article, so it is reported whatever was named.
    if scope.everything or scope.site_file or config is None:
        problems += [from_error(error) for error in config_errors]
    if config is not None and (scope.everything or scope.site_file):
        problems += _share_image(config)
    checker = ArticleChecker(config or SiteConfig.fallback(root), deep, now)
    files = store.scan(root / "articles")
    groups, clashes = store.group(files)
    for clash in clashes:
        extra = store.classify(clash.path) if clash.path is not None else None
        if extra is not None and scope.covers(extra.id):
            problems += _duplicate(root, extra, groups[extra.id])
    selected = [group for article_id, group in sorted(groups.items()) if scope.covers(article_id)]
    kept = CheckCache(checker.config) if cache and not deep else None
    try:
        found = _check_all(checker, selected, jobs, kept)
        if kept is not None:
            kept.put((f.id, f.sig, f.checked) for f in found if not f.kept)
            if scope.everything:
                kept.forget_others(groups)
    finally:
        if kept is not None:
            kept.close()
    problems += [problem for f in found for problem in f.checked.problems]
    problems += _orphans(root / "media", set(groups), scope)
    problems += _misnamed(root / "articles", scope)
    if config is None:
        # Without categories every article's would be "unknown": say it once, above.
        problems = [p for p in problems if p.code != "OPDC114"]
    problems.sort(key=lambda p: p.sort_key)
    return Result(problems, len(selected))


def _share_image(config: SiteConfig) -> list[Problem]:
    """site.toml's [html] share_image: a JPEG or PNG in the site (meta.default_image,
    the export's own reading of it), reported at its key."""
    from opdc_cli.export.meta import default_image

    try:
        default_image(config)
    except OpdcError as exc:
        try:
            text = config.path.read_text(encoding="utf-8")
            place = locate(key_positions(text), ("html", "share_image"))
        except (OSError, UnicodeDecodeError):
            place = None
        line, col = place if place else (None, None)
        return [from_error(OpdcError(exc.message, config.path, line, col, exc.code))]
    return []


def check_files(
    config: SiteConfig, paths: Iterable[Path], kept: CheckCache | None = None
) -> list[Problem]:
    """Every problem `opdc validate` reports about the one article whose files are
    `paths` (its text, its dates and its photos), sorted by path and place; with
    `kept`, reused while its files have not changed. Whether it is scheduled is not
    asked: the publication gate asks only about articles whose time has come."""
    files = [found for found in map(store.classify, paths) if found is not None]
    if not files:
        return []
    article_id = files[0].id
    sig = kept.signer.sign(article_id, [f.path for f in files]) if kept else None
    problems = kept.get(article_id, sig, None) if kept else None
    if problems is None:
        checked = ArticleChecker(config).check([files])[0]
        if kept:
            kept.put([(article_id, sig, checked)])
        problems = checked.problems
    return sorted(problems, key=lambda p: p.sort_key)


def _duplicate(root: Path, extra: ArticleFile, kept: list[ArticleFile]) -> list[Problem]:
    """The second claim to an id, naming the file that has it; the file is still read."""
    other = next((f for f in kept if store.claims_alike(f, extra)), kept[0])
    message = store.duplicate_message(extra, other, other.path.relative_to(root).as_posix())
    problems = [Problem(extra.path, 1, 1, "OPDC120", "error", message, extra.id)]
    _, errors = store.check_article([extra], SiteConfig.fallback(root))
    return problems + [from_error(e, extra.id) for e in errors if e.code != "OPDC114"]


def _misnamed(articles_dir: Path, scope: Scope) -> list[Problem]:
    """Files of articles/ named almost as articles are, which no command reads."""
    return [
        Problem(path, None, None, "OPDC124", "warning", f"not read as an article: {why}", None)
        for path, why in store.misnamed_files(articles_dir)
        if scope.covers_file(path)
    ]


def _orphans(media_dir: Path, article_ids: set[int], scope: Scope) -> list[Problem]:
    """Files of media/<id>/ folders whose id no article has."""
    problems = []
    for article_id in sorted(_media_ids(media_dir)):
        if article_id in article_ids or not scope.covers(article_id):
            continue
        folder = media_dir / str(article_id)
        for name in sorted(MediaFolder(media_dir, article_id).files):
            problems.append(
                unused_file(
                    folder / name,
                    f"no article has id {article_id}: delete media/{article_id}/, "
                    "or restore the article it belongs to",
                    None,
                )
            )
    return problems


@dataclass(frozen=True)
class Found:
    """One article's check in a run: its signature, and whether it was kept from before."""

    id: int
    sig: bytes | None
    checked: Checked
    kept: bool


def _look_and_check(
    checker: ArticleChecker, kept: CheckCache | None, groups: list[list[ArticleFile]]
) -> list[Found]:
    """The kept results of the articles in `groups` whose files did not change, and a
    check of the others."""
    sigs = [
        (files[0].id, kept.signer.sign(files[0].id, [f.path for f in files]) if kept else None)
        for files in groups
    ]
    known = kept.get_many(sigs, checker.now) if kept else {}
    found = [Found(i, sig, Checked(known[i]), True) for i, sig in sigs if i in known]
    todo = [(files, sig) for files, (i, sig) in zip(groups, sigs, strict=True) if i not in known]
    done = checker.check([files for files, _ in todo])
    found += [
        Found(files[0].id, sig, checked, False)
        for (files, sig), checked in zip(todo, done, strict=True)
    ]
    return found


_WORKER: tuple[ArticleChecker, CheckCache | None] | None = None


def _start_worker(checker: ArticleChecker, kept: CheckCache | None) -> None:
    global _WORKER
    _WORKER = (checker, kept)


def _check_chunk(chunk: list[list[ArticleFile]]) -> list[Found]:
    assert _WORKER is not None, "the worker was started without its checker"
    return _look_and_check(*_WORKER, chunk)


def _check_all(
    checker: ArticleChecker,
    groups: list[list[ArticleFile]],
    jobs: int | None,
    kept: CheckCache | None,
) -> list[Found]:
    workers = worker_count(len(groups), jobs, POOL_THRESHOLD)
    if workers <= 1:
        return _look_and_check(checker, kept, groups)
    # Imported once here, so that forked workers start with them loaded.
    import tomli  # noqa: F401

    load_plugins()
    size = max(25, len(groups) // (workers * 8))
    chunks = [groups[start : start + size] for start in range(0, len(groups), size)]
    with process_pool(workers, _start_worker, (checker, kept)) as pool:
        return [found for part in pool.map(_check_chunk, chunks) for found in part]
