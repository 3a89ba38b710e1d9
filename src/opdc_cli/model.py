"""The typed article: what every reader produces and every output consumes. No I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Literal

from opdc_cli.thai import is_buddhist_era, to_common_era

Status = Literal["draft", "review", "approved", "published"]
State = Literal["draft", "review", "approved", "scheduled", "published", "expired"]
STATUSES: tuple[Status, ...] = ("draft", "review", "approved", "published")
STATES: tuple[State, ...] = ("draft", "review", "approved", "scheduled", "published", "expired")
# The history actions that decide whether an article stands approved: the last of
# them must be an approval (a later submit, reject or unpublish takes it back).
APPROVAL_ACTIONS = ("submit", "approve", "reject", "unpublish")
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
    if is_buddhist_era(value.year) and FIRST_YEAR <= to_common_era(value.year) <= LAST_YEAR:
        return (
            f"year {value.year} looks like a Buddhist-era year: write {to_common_era(value.year)}"
        )
    return f"the year must lie in {FIRST_YEAR}–{LAST_YEAR} (in UTC too), not {value.isoformat()}"


def ends_before(start: date | datetime, end: date | datetime, tz: tzinfo) -> bool:
    """True when an event's `end` comes before its `start`; a whole day against a
    time compares calendar days in `tz` (the site's zone)."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end < start
    return _as_day(end, tz) < _as_day(start, tz)


def _as_day(value: date | datetime, tz: tzinfo) -> date:
    return value.astimezone(tz).date() if isinstance(value, datetime) else value


def publication_state(
    status: str, date: datetime, now: datetime, expires: datetime | None = None
) -> State:
    """The status as written (draft, review, approved) or, for a published article,
    scheduled while its time has not come, expired once `expires` has passed, else
    published."""
    if status != "published":
        return status  # type: ignore[return-value]  # a checked Status
    if date > now:
        return "scheduled"
    if expires is not None and expires <= now:
        return "expired"
    return "published"


def fingerprint(translation: Translation) -> tuple[str, ...]:
    """What a translation records of the text it was made from: a short hash of the
    title, of the summary, then of each body paragraph, so that a later change can
    be told paragraph by paragraph."""
    texts = [translation.title.strip(), translation.summary.strip(), *translation.paragraphs]
    return tuple(hashlib.sha256(text.encode("utf-8")).hexdigest()[:10] for text in texts)


@dataclass(frozen=True)
class HistoryEntry:
    """One step of an article's editorial history: when, who, what, and why."""

    at: datetime
    by: str
    action: str
    note: str = ""


@dataclass(frozen=True)
class Translation:
    """One language's text of an article."""

    title: str
    body: str = ""
    summary: str = ""
    credit: str = ""
    # The fingerprint (model.fingerprint) of the primary language's text this
    # version was translated from; empty when no translation was recorded.
    translated_from: tuple[str, ...] = ()

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
    # After this moment a published article is no longer live (withdrawn).
    expires: datetime | None = None
    history: tuple[HistoryEntry, ...] = ()
    # Where it was read from: not part of what the article is.
    sources: tuple[Path, ...] = field(default=(), compare=False)
    form: str = field(default="toml", compare=False)

    def __post_init__(self) -> None:
        if not is_aware(self.date):
            raise ValueError("an article's date needs a time zone, e.g. 2018-04-27T09:30:00+07:00")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        if self.expires is not None and not is_aware(self.expires):
            raise ValueError("an article's expiry needs a time zone")

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
        return publication_state(self.status, self.date, now, self.expires)

    def is_live(self, now: datetime) -> bool:
        """Published, its time has come and not expired: what feeds and the site show."""
        return self.state(now) == "published"

    @property
    def approved(self) -> bool:
        """True when the last submit, approve, reject or unpublish in its history is an
        approval: what a site with `require_approval` needs before publishing."""
        steps = [e.action for e in self.history if e.action in APPROVAL_ACTIONS]
        return bool(steps) and steps[-1] == "approve"

    @property
    def live_since(self) -> datetime:
        """When it went (or goes) live: its date, or its last publishing if later."""
        published = [e.at for e in self.history if e.action == "publish"]
        return max([self.date, *published[-1:]])

    def stale_translation(self, lang: str) -> bool:
        """True when `lang`'s version records a translation and the primary
        language's text has changed since."""
        first = next(iter(self.translations.values()), None)
        version = self.translations.get(lang)
        if version is None or first is None or first is version or not version.translated_from:
            return False
        return version.translated_from != fingerprint(first)
