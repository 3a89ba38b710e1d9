"""site.toml: read once, checked against one schema, defaults in one place.

Every problem is collected before failing once, each naming the key and its
line, so a user fixes all of them in one go.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opdc_cli.errors import OpdcError
from opdc_cli.textio import decode_text, parse_toml
from opdc_cli.tomlpos import KeyPath, key_positions, locate

SITE_FILE = "site.toml"
ENV_SITE = "OPDC_SITE"
LANG_RE = re.compile(r"^[a-z]{2,3}$")
# Thai first, English second, when site.toml says nothing (or cannot be read).
DEFAULT_LANGUAGES = ("th", "en")
CATEGORY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Category:
    key: str
    names: Mapping[str, str]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or next(iter(self.names.values()), self.key)


@dataclass(frozen=True)
class MediaSettings:
    resize_width: int = 1024
    thumb_width: int = 320
    quality: int = 85
    # Pillow's own warning threshold; above it an upload is refused as a bomb.
    max_pixels: int = 89_478_485
    max_file_mb: int = 40
    gallery_page_size: int = 12
    # The document kinds `opdc media add` takes as attachments (documents.KINDS's keys),
    # and the size above which validate warns (readers download them on phones).
    attachment_types: tuple[str, ...] = ("pdf", "docx", "xlsx", "pptx", "odt", "ods")
    max_attachment_mb: int = 20


@dataclass(frozen=True)
class FeedSettings:
    limit: int = 20
    excerpt_length: int = 280
    logo: str = ""


@dataclass(frozen=True)
class HtmlSettings:
    page_size: int = 20
    # The image a shared link shows for a page without a photo of its own (a path
    # inside the site folder, a JPEG or PNG; export/meta.default_image reads it).
    share_image: str = ""


@dataclass(frozen=True)
class Freeze:
    """A publishing freeze (an election period): from `start` until `end` nothing new
    goes live; `reason` is said wherever it holds something back."""

    start: datetime
    end: datetime
    reason: str = ""

    def holds(self, now: datetime) -> bool:
        return self.start <= now < self.end


@dataclass(frozen=True)
class WorkflowSettings:
    """[workflow]: whether publishing needs an approval, who may approve, a freeze."""

    require_approval: bool = False
    approvers: tuple[str, ...] = ()
    freeze: Freeze | None = None


@dataclass(frozen=True)
class Link:
    url: str
    labels: Mapping[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or next(iter(self.labels.values()), self.url)


@dataclass(frozen=True)
class Footer:
    address: Mapping[str, str] = field(default_factory=dict)
    phone: str = ""
    fax: str = ""
    hotline: str = ""
    email: str = ""
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class SiteConfig:
    """The checked settings of one site."""

    path: Path
    languages: tuple[str, ...]
    name: Mapping[str, str]
    categories: Mapping[str, Category]
    base_url: str = "http://localhost/"
    timezone: str = "Asia/Bangkok"
    first_id: int = 1
    article_format: str = "toml"
    # How bodies are written: "plain" paragraphs (bare links found), or "markdown" (a
    # small subset: links, bold, italic, lists; see opdc_cli.links).
    body_format: str = "plain"
    description: Mapping[str, str] = field(default_factory=dict)
    credit: Mapping[str, str] = field(default_factory=dict)
    media: MediaSettings = MediaSettings()
    feed: FeedSettings = FeedSettings()
    html: HtmlSettings = HtmlSettings()
    footer: Footer = Footer()
    workflow: WorkflowSettings = WorkflowSettings()

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def primary_language(self) -> str:
        return self.languages[0]

    @property
    def english_second(self) -> bool:
        """English is one of the site's other languages (not its primary one): what the
        `--*-en` options and the English questions write."""
        return "en" in self.languages and self.primary_language != "en"

    @classmethod
    def fallback(cls, root: Path) -> SiteConfig:
        """The settings articles are checked against when site.toml cannot be read."""
        return cls(root / SITE_FILE, DEFAULT_LANGUAGES, {}, {})

    @cached_property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def site_name(self, lang: str) -> str:
        return self.name.get(lang) or next(iter(self.name.values()), "")

    def category_name(self, key: str, lang: str) -> str:
        category = self.categories.get(key)
        return category.name(lang) if category else key

    def find_category(self, text: str) -> str | None:
        """The key of the category `text` names: its key or its name in any language,
        whatever the case and spacing; None when none matches."""
        wanted = _fold(text)
        for key, category in self.categories.items():
            if wanted == _fold(key) or wanted in {_fold(n) for n in category.names.values()}:
                return key
        return None

    def nearest_category(self, text: str) -> str | None:
        """The key of the category whose key or name is closest to `text` (a typo), or None."""
        spellings = {
            _fold(spelling): key
            for key, category in self.categories.items()
            for spelling in (key, *category.names.values())
        }
        near = difflib.get_close_matches(_fold(text), list(spellings), n=1)
        return spellings[near[0]] if near else None


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class SiteConfigError(OpdcError):
    """site.toml has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[OpdcError]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more: run opdc validate)" if len(problems) > 1 else ""
        super().__init__(first.message + more, first.path, first.line, first.col, first.code)
        self.problems = problems


T = TypeVar("T")


class _Checker:
    """Reads typed values out of the parsed TOML, noting every problem with its place."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.positions = key_positions(text)
        self.problems: list[OpdcError] = []

    def problem(self, keypath: KeyPath, message: str, code: str = "OPDC002") -> None:
        place = locate(self.positions, keypath)
        line, col = place if place else (None, None)
        self.problems.append(OpdcError(message, self.path, line, col, code))

    def known(self, table: Mapping[str, Any], keypath: KeyPath, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                near = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                self.problem(
                    (*keypath, key), f"unknown key '{_dotted((*keypath, key))}'{hint}", "OPDC001"
                )

    def value(
        self,
        table: Mapping[str, Any],
        keypath: KeyPath,
        key: str,
        kind: type[T],
        default: T,
        check: Callable[[T], str | None] | None = None,
    ) -> T:
        if key not in table:
            return default
        raw = table[key]
        # bool is an int in Python, but `quality = true` is a mistake.
        if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
            self.problem(
                (*keypath, key),
                f"'{_dotted((*keypath, key))}' must be {_kind_name(kind)}, "
                f"not {_kind_name(type(raw))}",
            )
            return default
        if check:
            message = check(raw)
            if message:
                self.problem((*keypath, key), f"'{_dotted((*keypath, key))}' {message}")
                return default
        return raw

    def table(self, parent: Mapping[str, Any], keypath: KeyPath, key: str) -> dict[str, Any]:
        raw = parent.get(key, {})
        if not isinstance(raw, dict):
            self.problem((*keypath, key), f"'{_dotted((*keypath, key))}' must be a table")
            return {}
        return raw

    def texts(
        self, parent: Mapping[str, Any], keypath: KeyPath, key: str, languages: tuple[str, ...]
    ) -> dict[str, str]:
        """A table of one text per language, e.g. [name] th = "…" en = "…"."""
        table = self.table(parent, keypath, key)
        here = (*keypath, key)
        self.known(table, here, set(languages))
        return {lang: self.value(table, here, lang, str, "") for lang in languages if lang in table}


def _dotted(keypath: KeyPath) -> str:
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _kind_name(kind: type) -> str:
    return {
        str: "a string",
        int: "a whole number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
        float: "a number",
    }.get(kind, kind.__name__)


def _positive(value: int) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _quality(value: int) -> str | None:
    return None if 1 <= value <= 95 else "must be between 1 and 95 (JPEG quality)"


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"is not a known time zone: {value!r} (e.g. 'Asia/Bangkok')"
    return None


def is_http_url(value: str) -> bool:
    """True when `value` starts as an http(s) URL with a host: the one rule for
    site.toml's URLs and `opdc init --base-url`."""
    return re.match(r"^https?://[^/\s]+", value) is not None


def _url(value: str) -> str | None:
    if is_http_url(value):
        return None
    return "must be an http(s) URL such as 'https://www.example.go.th/'"


def _site_file(value: str) -> str | None:
    """A file named from site.toml stays in the site folder: relative, `/` separators."""
    absolute = value.startswith("/") or re.match(r"^[A-Za-z]:", value) is not None
    if not absolute and "\\" not in value and ".." not in value.split("/"):
        return None
    return "must be a path inside the site folder with / separators, such as 'media/share.jpg'"


TOP_KEYS = {
    "languages",
    "timezone",
    "base_url",
    "first_id",
    "article_format",
    "body_format",
    "name",
    "description",
    "credit",
    "categories",
    "media",
    "feed",
    "html",
    "footer",
    "workflow",
}


def _languages(checker: _Checker, data: Mapping[str, Any]) -> tuple[str, ...]:
    raw = data.get("languages", list(DEFAULT_LANGUAGES))
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(x, str) and LANG_RE.match(x) for x in raw)
    ):
        checker.problem(
            ("languages",),
            '\'languages\' must be a non-empty list of language codes, e.g. ["th", "en"]',
        )
        return DEFAULT_LANGUAGES
    if len(set(raw)) != len(raw):
        checker.problem(("languages",), "'languages' lists a language twice")
    return tuple(dict.fromkeys(raw))


def _categories(
    checker: _Checker, data: Mapping[str, Any], languages: tuple[str, ...]
) -> dict[str, Category]:
    table = checker.table(data, (), "categories")
    categories: dict[str, Category] = {}
    for key in table:
        if not CATEGORY_RE.match(key):
            checker.problem(
                ("categories", key),
                f"category key '{key}' must be lower-case letters, digits, '-' or '_'",
            )
            continue
        names = checker.texts(table, ("categories",), key, languages)
        if languages[0] not in names or not names[languages[0]]:
            checker.problem(
                ("categories", key),
                f"category '{key}' needs a name in {languages[0]}: add {languages[0]} = \"…\"",
            )
        categories[key] = Category(key, names)
    if not categories:
        checker.problem(
            ("categories",),
            'site.toml declares no categories: add e.g. [categories.news] th = "ข่าว"',
        )
    return categories


def _media(checker: _Checker, data: Mapping[str, Any]) -> MediaSettings:
    table = checker.table(data, (), "media")
    here: KeyPath = ("media",)
    default = MediaSettings()
    checker.known(table, here, set(MediaSettings.__dataclass_fields__))
    return MediaSettings(
        resize_width=checker.value(
            table, here, "resize_width", int, default.resize_width, _positive
        ),
        thumb_width=checker.value(table, here, "thumb_width", int, default.thumb_width, _positive),
        quality=checker.value(table, here, "quality", int, default.quality, _quality),
        max_pixels=checker.value(table, here, "max_pixels", int, default.max_pixels, _positive),
        max_file_mb=checker.value(table, here, "max_file_mb", int, default.max_file_mb, _positive),
        gallery_page_size=checker.value(
            table, here, "gallery_page_size", int, default.gallery_page_size, _positive
        ),
        attachment_types=tuple(
            checker.value(
                table, here, "attachment_types", list, list(default.attachment_types), _kinds
            )
        ),
        max_attachment_mb=checker.value(
            table, here, "max_attachment_mb", int, default.max_attachment_mb, _positive
        ),
    )


def _kinds(value: Iterable[object]) -> str | None:
    from opdc_cli.documents import DOCUMENT_TYPES

    if all(isinstance(v, str) and v in DOCUMENT_TYPES for v in value):
        return None
    return f"must list document types from: {', '.join(DOCUMENT_TYPES)}"


def _feed(checker: _Checker, data: Mapping[str, Any]) -> FeedSettings:
    table = checker.table(data, (), "feed")
    here: KeyPath = ("feed",)
    default = FeedSettings()
    checker.known(table, here, set(FeedSettings.__dataclass_fields__))
    return FeedSettings(
        limit=checker.value(table, here, "limit", int, default.limit, _positive),
        excerpt_length=checker.value(
            table, here, "excerpt_length", int, default.excerpt_length, _positive
        ),
        logo=checker.value(table, here, "logo", str, default.logo),
    )


def _html(checker: _Checker, data: Mapping[str, Any]) -> HtmlSettings:
    table = checker.table(data, (), "html")
    here: KeyPath = ("html",)
    checker.known(table, here, set(HtmlSettings.__dataclass_fields__))
    default = HtmlSettings()
    return HtmlSettings(
        page_size=checker.value(table, here, "page_size", int, default.page_size, _positive),
        share_image=checker.value(table, here, "share_image", str, default.share_image, _site_file),
    )


def _workflow(checker: _Checker, data: Mapping[str, Any], tz: str) -> WorkflowSettings:
    table = checker.table(data, (), "workflow")
    here: KeyPath = ("workflow",)
    checker.known(table, here, {"require_approval", "approvers", "freeze"})
    approvers = checker.value(table, here, "approvers", list, [])
    if not all(isinstance(name, str) and name.strip() for name in approvers):
        checker.problem((*here, "approvers"), "'workflow.approvers' must be a list of names")
        approvers = []
    freeze = None
    if "freeze" in table:
        raw = checker.table(table, here, "freeze")
        where: KeyPath = (*here, "freeze")
        checker.known(raw, where, {"from", "until", "reason"})
        zone = ZoneInfo(tz) if _timezone(tz) is None else ZoneInfo("Asia/Bangkok")
        start = _moment(checker, raw, where, "from", zone)
        end = _moment(checker, raw, where, "until", zone)
        reason = checker.value(raw, where, "reason", str, "")
        if start is not None and end is not None:
            if end <= start:
                checker.problem((*where, "until"), "'workflow.freeze.until' must come after 'from'")
            else:
                freeze = Freeze(start, end, reason)
    return WorkflowSettings(
        require_approval=checker.value(table, here, "require_approval", bool, False),
        approvers=tuple(approvers),
        freeze=freeze,
    )


def _moment(
    checker: _Checker, table: Mapping[str, Any], where: KeyPath, key: str, tz: tzinfo
) -> datetime | None:
    """A date and time with its offset, or a whole day (its start in the site's zone)."""
    raw = table.get(key)
    if raw is None:
        checker.problem(where, f"'{_dotted(where)}' needs {key} = 2026-03-01T00:00:00+07:00")
        return None
    if isinstance(raw, datetime) and raw.utcoffset() is not None:
        return raw
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return datetime.combine(raw, time(), tz)
    checker.problem(
        (*where, key),
        f"'{_dotted((*where, key))}' must be a date (2026-03-01) or a date and time "
        "with its offset (2026-03-01T00:00:00+07:00)",
    )
    return None


def _footer(checker: _Checker, data: Mapping[str, Any], languages: tuple[str, ...]) -> Footer:
    table = checker.table(data, (), "footer")
    here: KeyPath = ("footer",)
    checker.known(table, here, {"address", "phone", "fax", "hotline", "email", "links"})
    links: list[Link] = []
    raw_links = table.get("links", [])
    if not isinstance(raw_links, list):
        checker.problem(
            (*here, "links"), "'footer.links' must be an array of tables [[footer.links]]"
        )
        raw_links = []
    for index, raw in enumerate(raw_links):
        where: KeyPath = (*here, "links", index)
        if not isinstance(raw, dict):
            checker.problem(
                where, "each footer link must be a table with url and a label per language"
            )
            continue
        checker.known(raw, where, {"url", *languages})
        url = checker.value(raw, where, "url", str, "")
        if not url:
            checker.problem(where, "a footer link needs a url")
        labels = {
            lang: checker.value(raw, where, lang, str, "") for lang in languages if lang in raw
        }
        links.append(Link(url, labels))
    return Footer(
        address=checker.texts(table, here, "address", languages),
        phone=checker.value(table, here, "phone", str, ""),
        fax=checker.value(table, here, "fax", str, ""),
        hotline=checker.value(table, here, "hotline", str, ""),
        email=checker.value(table, here, "email", str, ""),
        links=tuple(links),
    )


def check_config(path: Path) -> tuple[SiteConfig | None, list[OpdcError]]:
    """Read and check site.toml: the settings (None if unreadable) and every problem."""
    try:
        text = decode_text(path, path.read_bytes())
        data = parse_toml(path, text)
    except OSError as exc:
        return None, [OpdcError(f"cannot read site.toml: {exc.strerror}", path, code="OPDC003")]
    except OpdcError as exc:
        return None, [exc]
    checker = _Checker(path, text)
    checker.known(data, (), TOP_KEYS)
    languages = _languages(checker, data)
    base_url = checker.value(data, (), "base_url", str, "http://localhost/", _url)
    article_format = checker.value(
        data,
        (),
        "article_format",
        str,
        "toml",
        lambda v: None if v in ("toml", "txt") else "must be 'toml' or 'txt'",
    )
    body_format = checker.value(
        data,
        (),
        "body_format",
        str,
        "plain",
        lambda v: None if v in ("plain", "markdown") else "must be 'plain' or 'markdown'",
    )
    config = SiteConfig(
        path=path,
        languages=languages,
        name=checker.texts(data, (), "name", languages),
        categories=_categories(checker, data, languages),
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timezone=checker.value(data, (), "timezone", str, "Asia/Bangkok", _timezone),
        first_id=checker.value(data, (), "first_id", int, 1, _positive),
        article_format=article_format,
        body_format=body_format,
        description=checker.texts(data, (), "description", languages),
        credit=checker.texts(data, (), "credit", languages),
        media=_media(checker, data),
        feed=_feed(checker, data),
        html=_html(checker, data),
        footer=_footer(checker, data, languages),
        workflow=_workflow(checker, data, str(data.get("timezone", "Asia/Bangkok"))),
    )
    return config, checker.problems


def load_config(path: Path) -> SiteConfig:
    """The checked settings of the site.toml at `path`; SiteConfigError lists what is wrong."""
    config, problems = check_config(path)
    if problems or config is None:
        raise SiteConfigError(problems)
    return config


def find_site_root(explicit: Path | None = None, start: Path | None = None) -> Path:
    """The site folder: `explicit`, else $OPDC_SITE, else the nearest site.toml upwards."""
    if explicit is None and os.environ.get(ENV_SITE):
        explicit = Path(os.environ[ENV_SITE])
    if explicit is not None:
        if not (explicit / SITE_FILE).is_file():
            raise OpdcError(
                f"no {SITE_FILE} in {explicit}: run 'opdc init {explicit}' to make a site there"
            )
        return explicit.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SITE_FILE).is_file():
            return folder
    raise OpdcError(
        f"no {SITE_FILE} in {here} or any folder above it: "
        "run opdc inside a site, pass --site DIR, set OPDC_SITE, or create one with 'opdc init'"
    )
