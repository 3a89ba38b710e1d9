"""Thai text helpers: Buddhist-era dates, date parsing, word boundaries and terminal widths.

This module imports only the standard library. pythainlp (67 MB) is imported lazily, and
only when a string actually contains Thai; its word dictionary is loaded as a set kept in
the user's cache folder (WordSet), not built into pythainlp's Trie in every process.
The words found are kept in the site's `.opdc/words.sqlite` (keep_words, wordstore), so
a chunk of Thai is segmented once, not in every command and every export.
"""

from __future__ import annotations

import calendar
import contextlib
import functools
import marshal
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opdc_cli.wordstore import Found, WordStore

__all__ = [
    "EN_MONTHS",
    "EN_MONTHS_SHORT",
    "THAI_MONTHS",
    "THAI_MONTHS_SHORT",
    "DateError",
    "cell_width",
    "excerpt",
    "format_date",
    "format_date_range",
    "has_thai",
    "parse_date",
    "parse_day",
    "read_date",
    "truncate",
    "words",
    "wrap",
]

# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

THAI_MONTHS: tuple[str, ...] = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_SHORT: tuple[str, ...] = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
# Spelled out rather than taken from `calendar.month_name`, which follows the host locale.
EN_MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
EN_MONTHS_SHORT: tuple[str, ...] = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

BE_OFFSET = 543
# A four-digit year from here on is taken as Buddhist era: BE 2400 is CE 1857, long before
# any article, and CE 2400 is far beyond any.
BE_THRESHOLD = 2400


def is_buddhist_era(year: int) -> bool:
    """True when a four-digit `year` is taken as Buddhist era (2400 and above).

    The one rule for typed dates, stored dates and validate alike.
    """
    return year >= BE_THRESHOLD


def to_common_era(be_year: int) -> int:
    """The Common-Era year of Buddhist-era `be_year` (2561 -> 2018)."""
    return be_year - BE_OFFSET


_RANGE_DASH = " – "  # en dash with spaces, as on the reference page


class DateError(ValueError):
    """A date text that cannot be read, or names a day that does not exist.

    The message is a full sentence saying what is wrong and which forms are accepted.
    """


def _is_thai_lang(lang: str) -> bool:
    return lang.strip().lower().replace("_", "-").split("-")[0] == "th"


def _as_date(value: date | datetime) -> date:
    # datetime is a subclass of date: test it first.
    return value.date() if isinstance(value, datetime) else value


def _day_month(day: date, thai: bool, short: bool) -> str:
    if thai:
        months = THAI_MONTHS_SHORT if short else THAI_MONTHS
    else:
        months = EN_MONTHS_SHORT if short else EN_MONTHS
    return f"{day.day} {months[day.month - 1]}"


def _year(day: date, thai: bool) -> int:
    return day.year + BE_OFFSET if thai else day.year


def format_date(
    value: date | datetime, lang: str, *, short: bool = False, time: bool = False
) -> str:
    """Return the date as a reader of `lang` writes it.

    Thai (`lang` "th", "th-TH", ...): "27 เมษายน 2561", with the Buddhist-era year (CE + 543);
    short: "27 เม.ย. 2561". Any other language gets English: "27 April 2018", short
    "27 Apr 2018". With `time=True` a datetime gets " 09:30 น." (Thai) or ", 09:30"
    (English) appended; a plain date has no time of day, so nothing is appended.
    A datetime is shown in its own offset, never converted to the host's zone.
    """
    thai = _is_thai_lang(lang)
    day = _as_date(value)
    text = f"{_day_month(day, thai, short)} {_year(day, thai)}"
    if time and isinstance(value, datetime):
        clock = f"{value.hour:02d}:{value.minute:02d}"
        text += f" {clock} น." if thai else f", {clock}"
    return text


def format_date_range(
    start: date | datetime, end: date | datetime | None, lang: str, *, short: bool = False
) -> str:
    """Return a date range in the style of the reference page, e.g. "25 – 27 เมษายน 2561".

    Same month: "25 – 27 เมษายน 2561"; same year: "30 เมษายน – 2 พฤษภาคม 2561"; otherwise
    full dates on both sides. English likewise ("25 – 27 April 2018"). If `end` is None or
    falls on the same calendar day as `start`, a single date is returned. Raises DateError
    when `end` is before `start`.
    """
    first = _as_date(start)
    if end is None or _as_date(end) == first:
        return format_date(first, lang, short=short)
    last = _as_date(end)
    if last < first:
        raise DateError(
            f"The date range ends ({last.isoformat()}) before it starts ({first.isoformat()})."
        )
    thai = _is_thai_lang(lang)
    tail = format_date(last, lang, short=short)
    if first.year != last.year:
        head = format_date(first, lang, short=short)
    elif first.month != last.month:
        head = _day_month(first, thai, short)
    else:
        head = str(first.day)
    return head + _RANGE_DASH + tail


_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# Every date pattern uses re.ASCII: without it `\d` also matches Thai and other digits.
_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<frac>\d{1,6}))?)?"
    r" ?(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII | re.IGNORECASE,
)
# Optional time after a day-month-year: " 09:30", ", 09:30", " 09.30 น.", " เวลา 09.30 น.".
_TIME = (
    r"(?:(?:, ?| )(?:เวลา ?)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?: ?น\.?)?)?"
)
# A two-digit year is a Buddhist-era year with its century left out, as staff write
# "27/4/61": see _full_year for which century.
_NUMERIC = re.compile(
    r"(?P<day>\d{1,2})(?P<sep>[/-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})" + _TIME,
    re.ASCII,
)
_ERA = r"(?:(?P<era>พ\.? ?ศ\.?|ค\.? ?ศ\.?) ?)?"
_NAMED = re.compile(
    r"(?P<day>\d{1,2}) ?(?P<month>[A-Za-z\u0e01-\u0e4e][A-Za-z\u0e01-\u0e4e. ]*?) ?,? ?"
    + _ERA
    + r"(?P<year>\d{4}|\d{2})"
    + _TIME,
    re.ASCII,
)
_NAMED_US = re.compile(
    r"(?P<month>[A-Za-z]+\.?) (?P<day>\d{1,2}),? (?P<year>\d{4})" + _TIME,
    re.ASCII,
)

_ACCEPTED = (
    "2018-04-27, 2018-04-27T09:30 (seconds, a space for the T and an offset such as +07:00"
    " are optional), 27/04/2561 or 27-04-2018 (a year of 2400 or more is Buddhist era)"
    " optionally followed by 09:30, 27 เมษายน 2561, 27 เม.ย. 2561, 27 April 2018 and 27 Apr 2018;"
    " a two-digit year (27/4/61, 27 เม.ย. 61) is Buddhist era, in the century nearest today"
)


def _month_key(name: str) -> str:
    return name.replace(".", "").replace(" ", "").lower()


_MONTH_NUMBERS: dict[str, int] = {}
for _number, _names in enumerate(
    zip(THAI_MONTHS, THAI_MONTHS_SHORT, EN_MONTHS, EN_MONTHS_SHORT, strict=True), start=1
):
    for _name in _names:
        _MONTH_NUMBERS[_month_key(_name)] = _number
_MONTH_NUMBERS["sept"] = 9


def _build(
    original: str,
    year: int,
    month: int,
    day: int,
    clock: tuple[int, int, int, int],
    tz: tzinfo,
    *,
    era: str | None = None,
) -> datetime:
    """Check the fields and return the datetime; BE years are converted before any `date`."""
    if era is None:
        era = "BE" if is_buddhist_era(year) else "CE"
    # Convert first: date(2563, 2, 29) fails although 29/02/2563 is 29 February 2020.
    ce_year = to_common_era(year) if era == "BE" else year
    if not 1 <= ce_year <= 9999:
        raise DateError(f"No such year in {original!r}: the year must lie between 1 and 9999 CE.")
    if not 1 <= month <= 12:
        raise DateError(f"No such date: {original} (there are 12 months, not {month}).")
    days = calendar.monthrange(ce_year, month)[1]
    if not 1 <= day <= days:
        raise DateError(
            f"No such date: {original} ({EN_MONTHS[month - 1]} {ce_year} has {days} days)."
        )
    hour, minute, second, micro = clock
    if hour > 23 or minute > 59 or second > 59:
        raise DateError(
            f"No such time in {original!r}: hours run 00-23, minutes and seconds 00-59."
        )
    return datetime(ce_year, month, day, hour, minute, second, micro, tzinfo=tz)


def _clock(match: re.Match[str]) -> tuple[int, int, int, int]:
    def field(name: str) -> int:
        value = match.group(name)
        return int(value) if value else 0

    frac = match.groupdict().get("frac")
    micro = int(frac.ljust(6, "0")) if frac else 0
    return field("hour"), field("minute"), field("second"), micro


def _offset(text: str, original: str) -> tzinfo:
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise DateError(
            f"No such offset in {original!r}: offsets run from -23:59 to +23:59, e.g. +07:00."
        )
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _full_year(short: int, month: int, day: int, today: date) -> int:
    """The Buddhist-era year a two-digit `short` stands for: 25xx in the century
    (24xx, 25xx or 26xx) that puts the day nearest `today`."""

    if not 1 <= month <= 12:
        return 2500 + short  # no such date in any century: _build says why

    def distance(century: int) -> int:
        ce_year = century + short - BE_OFFSET
        # 29 February of a year without one counts as the 28th, to measure by.
        last = calendar.monthrange(ce_year, month)[1]
        return abs((date(ce_year, month, min(max(day, 1), last)) - today).days)

    return min((2400, 2500, 2600), key=distance) + short


def read_date(text: str, tz: tzinfo, *, today: date | None = None) -> tuple[datetime, str | None]:
    """parse_date's datetime, and how a two-digit year was read, for the person to
    check: "read 27/4/61 as 27 เมษายน 2561" (None when the year was written in full).

    `today` (default: the date in `tz` now) decides the century of a two-digit year.
    """
    original = " ".join(text.split())
    cleaned = original.translate(_THAI_DIGITS)
    if today is None:
        today = datetime.now(tz).date()
    if match := _ISO.fullmatch(cleaned):
        year = int(match["year"])
        if is_buddhist_era(year):
            raise DateError(
                f"The year in {original!r} is Buddhist era, but ISO dates use the Common Era:"
                f" write {to_common_era(year)}{cleaned[4:]}, or"
                f" {match['day']}/{match['month']}/{year} to keep the Buddhist-era year."
            )
        zone = _offset(match["offset"], original) if match["offset"] else tz
        when = _build(
            original, year, int(match["month"]), int(match["day"]), _clock(match), zone, era="CE"
        )
        return when, None

    era: str | None = None
    match = _NUMERIC.fullmatch(cleaned)
    numeric = match is not None
    if match:
        month = int(match["month"])
    else:
        match = _NAMED.fullmatch(cleaned) or _NAMED_US.fullmatch(cleaned)
        if not match:
            raise DateError(f"Cannot read {original!r} as a date; accepted forms are {_ACCEPTED}.")
        name = match["month"]
        found = _MONTH_NUMBERS.get(_month_key(name))
        if found is None:
            raise DateError(
                f"Unknown month {name.strip()!r} in {original!r}: write the month in full or"
                " abbreviated, e.g. เมษายน, เม.ย., April or Apr."
            )
        month = found
        era_mark = match.groupdict().get("era")
        era = None if not era_mark else ("BE" if era_mark.startswith("พ") else "CE")
    day, year = int(match["day"]), int(match["year"])
    short = len(match["year"]) == 2
    if short:
        if era == "CE" or not (numeric or has_thai(match["month"])):
            raise DateError(
                f"Write the year in full in {original!r}: a two-digit year is read as"
                " Buddhist era, after a Thai month name or in 27/4/61."
            )
        year, era = _full_year(year, month, day, today), "BE"
    when = _build(original, year, month, day, _clock(match), tz, era=era)
    if not short:
        return when, None
    return when, f"read {original} as {format_date(when, 'th')}"


def parse_date(text: str, tz: tzinfo, *, today: date | None = None) -> datetime:
    """Read a date or date and time typed by a person; return an aware datetime.

    Accepted: ISO "2018-04-27" (midnight in `tz`), "2018-04-27T09:30" or with seconds, "T" or
    a space, with or without an offset (with one, that offset is kept; without, the time is
    taken as wall time in `tz`); "27/04/2561" and "27-04-2561" (a year of 2400 or more is
    Buddhist era, below that Common Era), optionally followed by " 09:30"; Thai month names
    full or abbreviated, with or without dots and spaces ("27 เมษายน 2561", "27 เม.ย. 2561",
    optionally "พ.ศ." or "ค.ศ." before the year); English "27 April 2018", "27 Apr 2018",
    "April 27, 2018". Thai digits are read as ASCII digits. A two-digit year, in the
    numeric form or after a Thai month name ("27/4/61", "27 เม.ย. 61"), is Buddhist era:
    25xx in the century (24xx, 25xx, 26xx) that makes the date nearest `today`
    (default: today in `tz`); read_date also says how it was read.

    Raises DateError for a day that does not exist ("31/02/2561"), for an ISO date written
    with a Buddhist-era year, and for text in none of these forms; the message says which
    forms are accepted.
    """
    return read_date(text, tz, today=today)[0]


def parse_day(text: str, tz: tzinfo) -> date:
    """Read a date in any form parse_date accepts; return the calendar day as written.

    A time of day, if given, is dropped; with an offset the day is the one written in
    that offset, not converted to `tz`.
    """
    return parse_date(text, tz).date()


# ---------------------------------------------------------------------------
# Text: Thai detection, widths, word boundaries, wrapping
# ---------------------------------------------------------------------------

_SARA_AM = "\u0e33"
_LEADING_VOWELS = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")  # เ แ โ ใ ไ, written first
_NO_BREAK_SPACES = "\xa0\u2007\u202f"
_JOINERS = frozenset("\u200d\u2060" + _NO_BREAK_SPACES)  # ZWJ, word joiner, no-break spaces
# Never start a token (and so never start a line): SARA AM, MAI YAMOK, PAIYANNOI, joiners.
_GLUE_BEFORE = frozenset(_SARA_AM + "\u0e46\u0e2f") | _JOINERS
# Invisible format characters that terminals draw in no cell (as rich measures them).
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff")
_ZERO_WIDTH |= frozenset(chr(c) for c in range(0x202A, 0x202F))
_ZERO_WIDTH |= frozenset(chr(c) for c in range(0x2066, 0x206A))

# Breakable whitespace runs. Unicode \s on purpose (unlike the date patterns), minus the
# no-break spaces, which must keep their neighbours on one line.
_SPACE_RUN = re.compile(r"([^\S\xa0\u2007\u202f]+)")


_THAI_CHAR = re.compile("[\u0e00-\u0e7f]")


def has_thai(text: str) -> bool:
    """Return True if `text` contains any character of the Thai block (U+0E00–U+0E7F)."""
    return _THAI_CHAR.search(text) is not None


@functools.lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0 or ch in _ZERO_WIDTH:
        return 0
    category = unicodedata.category(ch)
    if category in ("Mn", "Me"):
        return 0
    # Unassigned code points report "F" in Python 3.11's unicodedata; terminals draw 1 cell.
    if category != "Cn" and unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def cell_width(text: str) -> int:
    """Return how many terminal cells `text` occupies.

    Thai (and other) combining marks (Mn/Me, e.g. ั ิ ี ่ ้) take 0 cells, East Asian wide and
    fullwidth characters 2, control and invisible format characters 0, everything else 1.
    Agrees with rich.cells.cell_len on Thai text.
    """
    if text.isascii() and text.isprintable():
        return len(text)
    if _ASCII_AND_THAI.fullmatch(text):
        # Most of what opdc measures: every character one cell but the Thai marks.
        return len(text) - len(_THAI_ZERO_WIDTH.findall(text))
    return _widths_summed(text)


def _widths_summed(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


_ASCII_AND_THAI = re.compile("[\x20-\x7e\u0e00-\u0e7f]*")
_THAI_ZERO_WIDTH = re.compile(
    "[" + "".join(chr(c) for c in range(0x0E00, 0x0E80) if _char_width(chr(c)) == 0) + "]"
)


def _is_zero_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me")


def _clusters(text: str) -> list[str]:
    """Split into user-perceived characters: a base with its combining marks and SARA AM.

    A Thai leading vowel (เ แ โ ใ ไ) is kept with the consonant it precedes, so a forced
    break never strands it at the end of a line.
    """
    out: list[str] = []
    for ch in text:
        if out and (
            _is_zero_mark(ch)
            or ch == _SARA_AM
            or ch == "\u200d"
            or out[-1][-1] == "\u200d"
            or all(c in _LEADING_VOWELS for c in out[-1])
        ):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _is_punct(token: str) -> bool:
    return not has_thai(token) and all(unicodedata.category(ch)[0] in "PS" for ch in token)


# The words a dictionary lookup tries after the first _HEAD characters are bounded by
# the longest word with the same head, and there are none where no word has that head:
# most positions stop after _HEAD - 1 lookups. Six characters took 0.78 of the CPU time
# three did to segment synthetic bodies (4: 0.88, 5: 0.79, 8: 0.80; a set of every
# word's prefixes, 0.67, costs 60 ms more to load in every process).
_HEAD = 6
_DICTIONARY_FILE = "words_th.txt"  # pythainlp's word list (pythainlp.corpus.thai_words)


class WordSet:
    """pythainlp's word dictionary as a set, answering newmm's `prefixes` exactly as
    pythainlp's Trie does.

    pythainlp builds a Trie of its 62,000 words in every process that tokenizes
    (about 2 s of CPU here, before the first title can be cut); a set of the same
    words loads in milliseconds and, bounded by the longest word per head, finds the
    same prefixes as fast. newmm asks nothing else of its dictionary than
    `prefixes(text, start)` and truthiness.
    """

    def __init__(self, words: list[str], longest: dict[str, int]) -> None:
        self._words = frozenset(words)
        self._longest = longest

    @classmethod
    def build(cls, lines: Iterable[str]) -> WordSet:
        """From the dictionary's lines, read as pythainlp's Trie reads them (stripped)."""
        words = sorted({line.strip() for line in lines} - {""})
        longest: dict[str, int] = {}
        for word in words:
            head = word[:_HEAD]
            if len(word) >= _HEAD and len(word) > longest.get(head, 0):
                longest[head] = len(word)
        return cls(words, longest)

    def dump(self) -> bytes:
        return marshal.dumps((sorted(self._words), self._longest))

    @classmethod
    def load(cls, data: bytes) -> WordSet:
        words, longest = marshal.loads(data)
        if not isinstance(words, list) or not isinstance(longest, dict):
            raise ValueError("not a word set")
        return cls(words, longest)

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: str) -> bool:
        return word in self._words

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        """The dictionary's words that `text` has at `start`, shortest first."""
        words = self._words
        found = []
        for stop in range(start + 1, min(start + _HEAD, len(text) + 1)):
            piece = text[start:stop]
            if piece in words:
                found.append(piece)
        top = self._longest.get(text[start : start + _HEAD])
        if top is not None:
            for stop in range(start + _HEAD, min(start + top, len(text)) + 1):
                piece = text[start:stop]
                if piece in words:
                    found.append(piece)
        return found


def _cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "opdc"


def _write_cache(path: Path, data: bytes) -> None:
    # Renamed into place, so that another process never loads half a file; not
    # fsutil.atomic_write (this module stays standard-library only) and not synced:
    # a cache lost in a crash costs only the time to build it again.
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@functools.cache
def _word_list() -> tuple[bytes, str]:
    """pythainlp's word list as it is installed, and a name for it: pythainlp's
    version and the list's hash."""
    import hashlib
    from importlib import metadata, util

    # Found without importing pythainlp (a fifth of a second), which segmenting needs
    # anyway but the key does not.
    spec = util.find_spec("pythainlp")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pythainlp is not installed", name="pythainlp")
    package = Path(next(iter(spec.submodule_search_locations)))
    raw = (package / "corpus" / _DICTIONARY_FILE).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return raw, f"{metadata.version('pythainlp')}-{digest}"


@functools.cache
def dictionary() -> WordSet:
    """pythainlp's word dictionary, from the user's cache folder when it was built
    before (keyed by pythainlp's version and the dictionary's hash)."""
    raw, name = _word_list()
    cached = _cache_home() / f"thai-words-{name}-{_HEAD}.marshal"  # a set built per head size
    try:
        return WordSet.load(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        # Absent or unreadable: built below (a damaged file is replaced).
        pass
    words = WordSet.build(raw.decode("utf-8-sig").splitlines())
    with contextlib.suppress(OSError):  # a read-only home only costs the next process time
        _write_cache(cached, words.dump())
    return words


def _words_stamp() -> str:
    """What decides a chunk's words: the word list and this module's rules."""
    import hashlib

    rules = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"{_word_list()[1]}-{rules}"


_kept: WordStore | None = None


def keep_words(path: Path | None) -> None:
    """Keep the Thai words found from now on in `path` (a site's .opdc/words.sqlite,
    see wordstore), and look there before segmenting; None: keep them nowhere."""
    global _kept
    if _kept is not None and path == _kept.path:
        return
    if _kept is not None:
        _kept.close()
    if path is None:
        _kept = None
        return
    from opdc_cli.wordstore import WordStore

    _kept = WordStore(path, _words_stamp)
    import atexit

    atexit.register(flush_words)


def take_words() -> Found:
    """The words found in this process since the last flush, for another to keep."""
    return _kept.take() if _kept is not None else ({}, [])


def give_words(found: Found) -> None:
    """Keep words another process found (take_words) in this process's store."""
    if _kept is not None and (found[0] or found[1]):
        _kept.give(found)


def flush_words() -> None:
    """Write the words found since the last call into the store (cheap when none were)."""
    if _kept is not None:
        _kept.flush()


@functools.lru_cache(maxsize=4096)
def _segment(chunk: str) -> tuple[str, ...]:
    """Split one whitespace-free chunk containing Thai into words: remembered in this
    process, and kept in the site's word store when there is one (keep_words)."""
    kept = _kept
    if kept is not None:
        found = kept.get(chunk)
        if found is not None:
            return found
    tokens = _newmm(chunk)
    if kept is not None:
        kept.put(chunk, tokens)
    return tokens


def _newmm(chunk: str) -> tuple[str, ...]:
    """Split one whitespace-free chunk containing Thai into words with pythainlp."""
    # Read-only mode stops pythainlp from creating ~/pythainlp-data on import.
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    from pythainlp.tokenize import word_tokenize

    raw: list[str] = word_tokenize(
        chunk,
        custom_dict=dictionary(),  # type: ignore[arg-type]  # newmm calls only prefixes()
        engine="newmm",
        keep_whitespace=True,
    )
    if "".join(raw) != chunk:  # never lose or alter text, whatever the tokenizer does
        return (chunk,)

    # newmm splits some places where a line must not break: before a combining mark or
    # MAI YAMOK (ไทย|ๆ), around no-break spaces, and inside non-Thai runs (www|.opdc.go.th).
    merged: list[str] = []
    for token in raw:
        if not token:
            continue
        if merged and (
            token[0] in _GLUE_BEFORE
            or _is_zero_mark(token[0])
            or merged[-1][-1] in _JOINERS
            or merged[-1][-1] in _LEADING_VOWELS
            or not (has_thai(token) or has_thai(merged[-1]))
        ):
            merged[-1] += token
        else:
            merged.append(token)

    # Punctuation stays with its word: an opening bracket or quote (or any punctuation that
    # starts the chunk) with the next word, the rest with the previous one: "(สำนักงาน", "ร.)".
    result: list[str] = []
    carry = ""
    for index, token in enumerate(merged):
        if (
            _is_punct(token)
            and index + 1 < len(merged)
            and (index == 0 or unicodedata.category(token[-1]) in ("Ps", "Pi"))
        ):
            carry += token
            continue
        token, carry = carry + token, ""
        if result and _is_punct(token):
            result[-1] += token
        else:
            result.append(token)
    return tuple(result)


def _iter_words(text: str) -> Iterator[tuple[str, bool]]:
    """Yield (token, is_space) lazily, so callers that stop early tokenize only a prefix."""
    # re.split with a capturing group alternates: chunk, space run, chunk, ...
    for index, part in enumerate(_SPACE_RUN.split(text)):
        if not part:
            continue
        if index % 2:
            yield part, True
        elif has_thai(part):
            for token in _segment(part):
                yield token, False
        else:
            yield part, False


def words(text: str) -> list[str]:
    """Return the word tokens of `text`; "".join(words(text)) == text.

    Each whitespace run is its own token. Thai is split at word boundaries (pythainlp newmm),
    with punctuation, combining marks and MAI YAMOK kept on their word; text without Thai is
    split only at whitespace and never loads pythainlp.
    """
    return [token for token, _ in _iter_words(text)]


def _pieces(token: str, width: int) -> list[str]:
    """Cut a token wider than `width` into pieces that fit, between grapheme clusters.

    Only a cluster wider than the whole line is cut further, between code points (never
    before a zero-width mark); a single character wider than `width` is left whole.
    """
    pieces: list[str] = []
    current, used = "", 0
    for cluster in _clusters(token):
        size = cell_width(cluster)
        parts = [cluster]
        if size > width:
            parts = []
            for ch in cluster:
                # SARA AM stays on its consonant while the two fit: "กำ" in 2 cells, but
                # "กำำ" is cut before the second, or the line is 3 cells wide.
                if parts and (
                    _char_width(ch) == 0 or (ch == _SARA_AM and cell_width(parts[-1] + ch) <= width)
                ):
                    parts[-1] += ch
                else:
                    parts.append(ch)
        for part in parts:
            size = cell_width(part)
            if current and used + size > width:
                pieces.append(current)
                current, used = "", 0
            current += part
            used += size
    if current:
        pieces.append(current)
    return pieces


def _wrap_line(text: str, width: int) -> list[str]:
    lines: list[str] = []
    parts: list[str] = []  # tokens of the line being built
    used = 0

    def flush() -> None:
        nonlocal used
        while parts and parts[-1].isspace():
            parts.pop()
        if parts:
            lines.append("".join(parts))
        parts.clear()
        used = 0

    for token, is_space in _iter_words(text):
        size = cell_width(token)
        if is_space:
            if not parts and lines:
                continue  # leading spaces of a continuation line are dropped
            if used + size <= width:
                parts.append(token)
                used += size
            else:
                flush()  # break here; the space itself is dropped
            continue
        if used + size <= width:
            parts.append(token)
            used += size
            continue
        flush()
        if size <= width:
            parts.append(token)
            used = size
            continue
        *full, last = _pieces(token, width)
        lines.extend(full)
        parts.append(last)
        used = cell_width(last)
    flush()
    return lines or [""]


def wrap(text: str, width: int) -> list[str]:
    """Return `text` wrapped greedily into lines of at most `width` terminal cells.

    Lines break only between words() tokens, so a Thai word is never split; a single token
    wider than `width` is cut only between grapheme clusters (never between a base and its
    combining marks or SARA AM). Whitespace at a break is dropped, as is trailing whitespace;
    the first line keeps its indentation. A newline is a hard break. A line exceeds `width`
    only when `width` is narrower than one character (e.g. width 1 and a wide character).
    Raises ValueError if width < 1.
    """
    if width < 1:
        raise ValueError(f"wrap width must be at least 1, not {width}")
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(_wrap_line(paragraph, width))
    return lines


def _cut(text: str, budget: int, measure: Callable[[str], int]) -> str:
    """Return the longest prefix ending at a word boundary with measure <= budget.

    Trailing whitespace is removed. If not even the first word fits, the longest prefix
    ending at a grapheme-cluster boundary is returned instead.
    """
    prefix: list[str] = []
    words = 0  # how many tokens of prefix end at its last word
    used = 0
    for token, is_space in _iter_words(text):
        used += measure(token)
        if used > budget:
            break
        prefix.append(token)
        if not is_space:
            words = len(prefix)
    best = "".join(prefix[:words]).rstrip()
    if best:
        return best
    head = ""
    used = 0
    for cluster in _clusters(text):
        used += measure(cluster)
        if used > budget:
            break
        head += cluster
    return head.rstrip()


def truncate(text: str, width: int, ellipsis: str = "…") -> str:
    """Return `text` cut to fit `width` terminal cells, ending with `ellipsis` when cut.

    Unchanged if it fits. Otherwise the longest prefix that ends at a word boundary and fits
    together with the ellipsis, trailing spaces removed: never mid-word, never mid-cluster;
    only when the first word alone is too long is it cut at a grapheme-cluster boundary.
    """
    if cell_width(text) <= width:
        return text
    budget = width - cell_width(ellipsis)
    if budget < 0:
        return _cut(ellipsis, width, cell_width)
    return _cut(text, budget, cell_width) + ellipsis


def excerpt(text: str, length: int) -> str:
    """Return a one-line summary of `text` of at most `length` characters, for feeds.

    Whitespace runs (line and paragraph breaks included) become one space. If the result is
    longer than `length` characters it is cut like truncate (at a word boundary, counting
    characters with len, not cells) and ends with "…".
    """
    flat = _SPACE_RUN.sub(" ", text).strip()
    if len(flat) <= length:
        return flat
    if length < 1:
        return ""
    return _cut(flat, length - 1, len) + "…"
