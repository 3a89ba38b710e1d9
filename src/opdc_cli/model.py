"""The typed article: what every reader produces and every output consumes. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Literal

Status = Literal["draft", "published"]
State = Literal["draft", "scheduled", "published"]
STATUSES: tuple[Status, ...] = ("draft", "published")
FORMS = ("toml", "txt")

# The years a date may lie in, read in its own offset and in UTC. Every output
# shows it in some zone and the Thai pages add 543: far beyond this, Python's
# dates overflow; a year of 2400 or more is a Buddhist-era year typed as CE.
FIRST_YEAR = 1900
LAST_YEAR = 2399
# The largest article id: 15 digits, which SQLite, JSON readers (exact to 2**53)
# and file names all hold.
MAX_ID = 10**15 - 1
# The longest text a field may hold, in characters: a body of about a hundred
# pages; a title, caption or tag far longer than any real one. Beyond this, the
# terminal, the feed and the pages would take minutes over a single article.
MAX_BODY = 200_000
MAX_TEXT = 2_000


def language_name(lang: str) -> str:
    """The English name of a language code, for messages ("Thai", "English")."""
    return {"th": "Thai", "en": "English"}.get(lang, lang)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF, as TOML and our text form store them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_body(text: str) -> str:
    """A body as stored: LF line ends, no blank lines before or after it."""
    return normalize_newlines(text).strip("\n")


def paragraphs_of(body: str) -> list[str]:
    """The body's paragraphs: blocks separated by blank lines, lines joined by one space."""
    blocks: list[str] = []
    current: list[str] = []
    for line in normalize_newlines(body).split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def is_aware(value: date | datetime) -> bool:
    """True for a date (a whole day needs no zone) or a datetime with an offset."""
    if not isinstance(value, datetime):
        return True
    return value.tzinfo is not None and value.utcoffset() is not None


def year_problem(value: date | datetime) -> str | None:
    """Why `value` cannot be an article's date or an event's, or None when it can."""
    years = [value.year]
    if isinstance(value, datetime) and is_aware(value):
        try:
            years.append(value.astimezone(UTC).year)
        except OverflowError:
            years.append(value.year - 1 if value.year == 1 else value.year + 1)
    if all(FIRST_YEAR <= year <= LAST_YEAR for year in years):
        return None
    if FIRST_YEAR <= value.year - 543 <= LAST_YEAR:
        return f"year {value.year} looks like a Buddhist-era year: write {value.year - 543}"
    return f"the year must lie in {FIRST_YEAR}–{LAST_YEAR} (in UTC too), not {value.isoformat()}"


def ends_before(start: date | datetime, end: date | datetime, tz: tzinfo) -> bool:
    """True when an event's `end` comes before its `start`; a whole day against a
    time compares calendar days in `tz` (the site's zone)."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end < start
    return _as_day(end, tz) < _as_day(start, tz)


def _as_day(value: date | datetime, tz: tzinfo) -> date:
    return value.astimezone(tz).date() if isinstance(value, datetime) else value


def publication_state(status: str, date: datetime, now: datetime) -> State:
    """draft, or scheduled while a published article's time has not come, or published."""
    if status == "draft":
        return "draft"
    return "scheduled" if date > now else "published"


@dataclass(frozen=True)
class Translation:
    """One language's text of an article."""

    title: str
    body: str = ""
    summary: str = ""
    credit: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs_of(self.body)

    @property
    def is_complete(self) -> bool:
        """A title and a non-empty body: what a language version needs to be published."""
        return bool(self.title.strip() and self.body.strip())


@dataclass(frozen=True)
class Photo:
    """A photo of the article: its original's file name in media/<id>/ and captions."""

    file: str
    captions: Mapping[str, str] = field(default_factory=dict)

    def caption(self, lang: str) -> str:
        return self.captions.get(lang, "")


@dataclass(frozen=True)
class Attachment:
    """A file (PDF and the like) offered with the article, with a title per language."""

    file: str
    titles: Mapping[str, str] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.titles.get(lang, "") or self.file


@dataclass(frozen=True)
class Event:
    """The event an article reports: when (dates or aware datetimes) and where."""

    start: date | datetime
    end: date | datetime | None = None
    places: Mapping[str, str] = field(default_factory=dict)

    def place(self, lang: str) -> str:
        return self.places.get(lang, "")


@dataclass(frozen=True)
class Article:
    """A news article in all its languages.

    `date` must carry a time zone; `status` is what the author set, `state()` adds
    "scheduled" for a published article whose time has not come.
    """

    id: int
    category: str
    date: datetime
    translations: Mapping[str, Translation]
    status: Status = "published"
    tags: tuple[str, ...] = ()
    photos: tuple[Photo, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    event: Event | None = None
    # Where an imported article came from ("wordpress:https://…/?p=123", a feed's
    # guid): what makes a second import of the same source create nothing.
    source: str = ""
    # Where it was read from: not part of what the article is.
    sources: tuple[Path, ...] = field(default=(), compare=False)
    form: str = field(default="toml", compare=False)

    def __post_init__(self) -> None:
        if not is_aware(self.date):
            raise ValueError("an article's date needs a time zone, e.g. 2018-04-27T09:30:00+07:00")
        if self.status not in STATUSES:
            raise ValueError(f"status must be draft or published, not {self.status!r}")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.translations)

    @property
    def complete_languages(self) -> tuple[str, ...]:
        """The languages whose version has a title and a body (Translation.is_complete)."""
        return tuple(lang for lang, t in self.translations.items() if t.is_complete)

    @property
    def titles(self) -> dict[str, str]:
        """The title in each language, in the article's language order."""
        return {lang: t.title for lang, t in self.translations.items()}

    @property
    def photo_count(self) -> int:
        return len(self.photos)

    def translation(self, lang: str) -> Translation | None:
        return self.translations.get(lang)

    def title(self, lang: str) -> str:
        """The title in `lang`, else in the first language the article has."""
        found = self.translations.get(lang) or next(iter(self.translations.values()), None)
        return found.title if found else ""

    def state(self, now: datetime) -> State:
        return publication_state(self.status, self.date, now)

    def is_live(self, now: datetime) -> bool:
        """Published and its time has come: what feeds and the site show."""
        return self.state(now) == "published"
