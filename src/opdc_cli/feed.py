"""RSS 2.0 and Atom 1.0 feeds of the published articles, newest first.

feedgen builds the XML; what it gets wrong is fixed here (see PITFALLS): every
text is cleaned of characters XML forbids before feedgen sees it, dates come
from the content (never the clock) so the same content gives the same bytes,
and Atom entry links, which feedgen writes without rel/type/length, are
rewritten on the finished tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from opdc_cli import clock, thai, urls
from opdc_cli.content import Query, Site
from opdc_cli.documents import enclosures_of
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.fsutil import write_output
from opdc_cli.gallery import media_path, web_name
from opdc_cli.links import body_html
from opdc_cli.model import Article
from opdc_cli.publish import Gate
from opdc_cli.site import SiteConfig
from opdc_cli.textio import XML_FORBIDDEN

if TYPE_CHECKING:
    from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
# Web sizes are always JPEG (gallery.web_name).
ENCLOSURE_TYPE = "image/jpeg"
# An empty Atom feed still needs <updated>; with no item to take it from, a fixed
# instant keeps the bytes stable (the clock would change them on every run).
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


def xml_clean(text: str) -> tuple[str, list[str]]:
    """`text` without the characters XML forbids, and which ones went ("U+0007", …).

    Each removed character is named once, in order of appearance; text that needed
    no change comes back as it was, with an empty list. feedgen accepts these characters
    and fails only when the whole feed is serialised, so one bad article would break
    every feed it is in.
    """
    if not XML_FORBIDDEN.search(text):
        return text, []
    codes = dict.fromkeys(f"U+{ord(char):04X}" for char in XML_FORBIDDEN.findall(text))
    return XML_FORBIDDEN.sub("", text), list(codes)


class _Cleaner:
    """Cleans text for XML once, remembering one warning per source that needed it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._found: dict[str, dict[str, list[str]]] = {}

    def text(self, value: str, source: str, field: str) -> str:
        cleaned, removed = xml_clean(value)
        if removed:
            codes = self._found.setdefault(source, {}).setdefault(field, [])
            codes.extend(code for code in removed if code not in codes)
        return cleaned

    def article_source(self, article: Article) -> str:
        where = _relative(article.sources[0], self.root) if article.sources else "articles/"
        return f"{where}: article {article.id}"

    def warnings(self) -> list[str]:
        return [
            f"{source}: removed characters XML does not allow ("
            + "; ".join(f"{', '.join(codes)} in {field}" for field, codes in fields.items())
            + "); fix the text (opdc validate shows where)"
            for source, fields in self._found.items()
        ]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True)
class _Channel:
    """What one feed is: its language, its selection and its format."""

    lang: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    atom: bool
    full_content: bool


def _check(config: SiteConfig, lang: str, categories: Iterable[str], limit: int | None) -> None:
    if lang not in config.languages:
        raise UsageError(
            f"unknown language {lang!r}: the site's languages are {', '.join(config.languages)}"
        )
    for key in categories:
        if key not in config.categories:
            raise UsageError(f"unknown category {key!r}: use one of {', '.join(config.categories)}")
    if limit is not None and limit < 1:
        raise UsageError(f"the item limit must be at least 1, not {limit}")


# Live articles are read and passed through the gate this many at a time, newest
# first, until every feed is full.
BATCH = 64


def published(site: Site, query: Query, gate: Gate) -> Iterator[Article]:
    """What the gate publishes of the live articles `query` picks, newest first: each
    article with only its published languages."""
    assert query.now is not None
    ids = site.ids(replace(query, states=("published",), limit=None))
    for start in range(0, len(ids), BATCH):
        chunk = tuple(ids[start : start + BATCH])
        for article in site.articles(Query(ids=chunk, now=query.now)):
            verdict = gate.verdict(article)
            if verdict.published:
                yield verdict.article


def select(
    site: Site,
    *,
    lang: str,
    categories: Iterable[str] = (),
    tags: Iterable[str] = (),
    limit: int | None = None,
    now: datetime | None = None,
    gate: Gate | None = None,
) -> list[Article]:
    """The articles a feed shows: what the publication gate (opdc_cli.publish) lets
    through in `lang`, newest first.

    `limit` defaults to site.toml's [feed] limit. The site's index picks the
    candidates without reading every article; `gate` (default: a new one for
    `now`) keeps what it held back for the caller's report.
    """
    categories = tuple(categories)
    _check(site.config, lang, categories, limit)
    now = now or clock.now(site.config.tz)
    gate = gate or Gate(site.config, now, cache=site.cache)
    # Not narrowed to `lang` in the index: what the gate stops or holds back among
    # the newest articles is reported whatever their languages.
    query = Query(categories=categories, tags=tuple(tags), now=now)
    found = (a for a in published(site, query, gate) if lang in a.translations)
    return list(islice(found, limit or site.config.feed.limit))


def build_feed(
    site: Site,
    *,
    lang: str,
    categories: Iterable[str] = (),
    tags: Iterable[str] = (),
    limit: int | None = None,
    atom: bool = False,
    full_content: bool = False,
    now: datetime | None = None,
    gate: Gate | None = None,
) -> tuple[bytes, list[str]]:
    """The feed's bytes (UTF-8 XML, RSS 2.0 or with `atom` Atom 1.0) and its warnings.

    Items are the published articles whose date has come (by `now`, default the
    clock) that have a `lang` translation and match any of `categories` and any of
    `tags`, newest first, at most `limit` (default site.toml's [feed] limit). The
    same content gives the same bytes. The warnings name each article whose text
    held characters XML forbids (they are dropped from the feed), and say when no
    article matched (the feed is then valid and empty).
    """
    categories = tuple(categories)
    tags = tuple(tags)
    articles = select(
        site, lang=lang, categories=categories, tags=tags, limit=limit, now=now, gate=gate
    )
    channel = _Channel(lang, categories, tags, atom, full_content)
    cleaner = _Cleaner(site.root)
    data = _render(site.config, site.media_dir, articles, channel, cleaner)
    warnings = cleaner.warnings()
    if not articles:
        warnings.append("no published article matches: the feed is empty")
    return data, warnings


# feedgen's calls for one channel, in the order of the elements they write.
def _render(
    config: SiteConfig,
    media_dir: Path,
    articles: list[Article],
    channel: _Channel,
    cleaner: _Cleaner,
) -> bytes:
    """The feed of exactly `articles` (already selected and ordered) as bytes."""
    from feedgen.feed import FeedGenerator

    lang = channel.lang
    fg = FeedGenerator()
    site_source = _relative(config.path, config.root)
    name = cleaner.text(config.site_name(lang), site_source, f"name.{lang}") or config.base_url
    title, page, self_path = _identity(config, channel, name, cleaner, site_source)
    description = (
        cleaner.text(config.description.get(lang, ""), site_source, f"description.{lang}") or name
    )
    self_url = urls.url(config, self_path)
    page_url = urls.url(config, page)
    # Every text is given to feedgen as it is and encoded once, on output (see
    # _encode_once): escaping it here as well made readers show "AT&amp;T".
    fg.id(self_url)
    fg.title(title)
    fg.description(description)
    fg.language(lang)
    # feedgen's RSS <link> is the href of the *last* link() call: self first.
    fg.link(href=self_url, rel="self", type=ATOM_TYPE if channel.atom else RSS_TYPE)
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.author(name=name)
    fg.generator("opdc")
    if config.feed.logo:
        fg.image(url=_logo_url(config), title=title, link=page_url)
    fg.updated(max((a.date for a in articles), default=EMPTY_FEED_UPDATED))
    if not channel.atom:
        fg.load_extension("dc", atom=False, rss=True)

    enclosures: list[tuple[str, int] | None] = []
    for article in articles:
        enclosures.append(_enclosure(config, media_dir, article))
        _add_entry(fg, config, article, channel, cleaner, enclosures[-1])

    from lxml import etree

    raw = fg.atom_str() if channel.atom else fg.rss_str()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(raw, parser)
    if channel.atom:
        _fix_atom_links(root, enclosures)
        _add_attachment_links(root, [enclosures_of(config, media_dir, a) for a in articles])
    elif not articles:
        _drop_clock_date(root)
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return data if channel.atom else _encode_once(data)


# lxml writes the three characters text must escape as named entities; the RSS
# Advisory Board's Best Practices Profile asks for hexadecimal references, which
# every RSS reader tried decodes once, as plain text ("AT&T", "A < B").
_PROFILE_REFERENCES = {b"&amp;": b"&#x26;", b"&lt;": b"&#x3C;", b"&gt;": b"&#x3E;"}


def _encode_once(data: bytes) -> bytes:
    """The serialised RSS with its escapes in the profile's form (same XML text)."""
    return re.sub(rb"&(?:amp|lt|gt);", lambda m: _PROFILE_REFERENCES[m.group()], data)


def _identity(
    config: SiteConfig, channel: _Channel, name: str, cleaner: _Cleaner, source: str
) -> tuple[str, str, str]:
    """The feed's title, its page and its own path: a filtered feed is a feed of its
    own, never the whole language's (readers take the id and self link for its name)."""
    lang = channel.lang
    categories, tags = channel.categories, channel.tags
    names = [
        cleaner.text(config.category_name(key, lang), source, f"categories.{key}.{lang}")
        for key in categories
    ]
    names += [f"#{tag}" for tag in tags]
    title = f"{', '.join(names)} – {name}" if names else name
    category = categories[0] if len(categories) == 1 else None
    page = urls.index_path(lang, category=category)
    return title, page, urls.selection_feed_path(lang, categories, tags, channel.atom)


def _logo_url(config: SiteConfig) -> str:
    """site.toml's [feed] logo: an http(s) URL as is, else a file under media/."""
    logo = config.feed.logo
    if re.match(r"^https?://", logo):
        return logo
    return urls.url(config, "media/" + logo.lstrip("/").removeprefix("media/"))


def _add_entry(
    fg: Any,
    config: SiteConfig,
    article: Article,
    channel: _Channel,
    cleaner: _Cleaner,
    enclosure: tuple[str, int] | None,
) -> None:
    lang = channel.lang
    translation = article.translations[lang]
    source = cleaner.article_source(article)
    title = cleaner.text(translation.title, source, f"{lang} title").strip() or str(article.id)
    summary = cleaner.text(translation.summary, source, f"{lang} summary")
    body = cleaner.text(translation.body, source, f"{lang} body")
    credit = cleaner.text(translation.credit, source, f"{lang} credit").strip()
    link = urls.url(config, urls.article_path(lang, article.id))

    entry = fg.add_entry(order="append")
    # The page's address depends only on the id and the language, so it never changes
    # for an article: the guid (RSS) and the id (Atom).
    entry.id(link)
    entry.guid(link, permalink=True)
    entry.title(title)
    entry.link(href=link, rel="alternate")
    entry.published(article.date)
    entry.updated(article.date)
    description = summary.strip() or thai.excerpt(body, config.feed.excerpt_length)
    if description:
        if channel.atom:
            entry.summary(description, type="text")
        else:
            entry.description(description)
    if channel.full_content and body.strip():
        entry.content(str(body_html(body, config.body_format)), type="html")
    category_name = cleaner.text(
        config.category_name(article.category, lang), source, f"category {article.category}"
    )
    # RSS shows the label (the name), Atom keeps the key as the term.
    entry.category(
        term=article.category,
        label=category_name,
        scheme=urls.url(config, urls.index_path(lang, category=article.category)),
    )
    if credit:
        if channel.atom:
            entry.author(name=credit)
        else:
            entry.dc.dc_creator(credit)
    if enclosure and not channel.atom:
        entry.enclosure(enclosure[0], str(enclosure[1]), ENCLOSURE_TYPE)


def _enclosure(config: SiteConfig, media_dir: Path, article: Article) -> tuple[str, int] | None:
    """(URL, byte length) of the first photo's web size, or None until it has been made."""
    if not article.photos:
        return None
    name = web_name(article.photos[0].file)
    try:
        path = media_path(media_dir, article.id, name)
        size = path.stat().st_size if path.is_file() else None
    except (OpdcError, OSError):
        # A name that leaves media/ is validate's to report; the feed just has no photo.
        return None
    if size is None:
        return None
    return urls.url(config, urls.media_path(article.id, name)), size


def _fix_atom_links(root: etree._Element, enclosures: list[tuple[str, int] | None]) -> None:
    """Give each Atom entry's page link rel/type, and add its enclosure link.

    feedgen drops rel, type and length from entry links (upstream issue #135), and
    feedparser then takes an image link for the article's page.
    """
    from lxml import etree

    entries = root.findall(f"{{{ATOM_NS}}}entry")
    for entry, enclosure in zip(entries, enclosures, strict=True):
        link = entry.find(f"{{{ATOM_NS}}}link")
        assert link is not None  # feedgen refuses an entry without one
        link.set("rel", "alternate")
        link.set("type", "text/html")
        if enclosure:
            extra = etree.Element(f"{{{ATOM_NS}}}link")
            extra.set("rel", "enclosure")
            extra.set("type", ENCLOSURE_TYPE)
            extra.set("length", str(enclosure[1]))
            extra.set("href", enclosure[0])
            link.addnext(extra)


def _add_attachment_links(root: etree._Element, attached: list[list[tuple[str, int, str]]]) -> None:
    """Each Atom entry's attachments as rel="enclosure" links with length and type,
    after its other links (RSS allows one enclosure per item: the photo keeps it)."""
    from lxml import etree

    for entry, items in zip(root.findall(f"{{{ATOM_NS}}}entry"), attached, strict=True):
        last = entry.findall(f"{{{ATOM_NS}}}link")[-1]
        for href, length, mime in items:
            extra = etree.Element(f"{{{ATOM_NS}}}link")
            extra.set("rel", "enclosure")
            extra.set("type", mime)
            extra.set("length", str(length))
            extra.set("href", href)
            last.addnext(extra)
            last = extra


def _drop_clock_date(root: etree._Element) -> None:
    """An empty RSS feed has no newest item to date it; feedgen would use the clock."""
    channel = root.find("channel")
    found = channel.find("lastBuildDate") if channel is not None else None
    if channel is not None and found is not None:
        channel.remove(found)


def write_file(path: Path, data: bytes) -> bool:
    """Write a feed atomically unless `path` already holds exactly `data` (a device or
    a pipe is written as a stream); say if it wrote.

    A file system error (a folder that is a file, a full disk) becomes an OpdcError
    naming the path.
    """
    try:
        return write_output(path, data, unless_same=True)
    except OSError as exc:
        raise OpdcError(f"cannot write the feed: {exc.strerror or exc}", path) from None


class Listable(Protocol):
    """What feed_lists looks at: an Article's published view, or the export's record of it."""

    @property
    def category(self) -> str: ...
    @property
    def languages(self) -> tuple[str, ...]: ...


F = TypeVar("F", bound=Listable)


def feed_lists(
    config: SiteConfig, newest_first: Iterable[F], limit: int
) -> dict[tuple[str, str | None], list[F]]:
    """Which articles each feed lists: for each language, and each (language,
    category), the first `limit` of `newest_first` published in that language.

    The one rule for what a feed holds: write_feeds builds the feeds from it, and
    the html export asks it whether the feeds can have changed. The lists come in
    a fixed order (per language, the language's then each category's, in
    site.toml's order); reading stops as soon as every list is full.
    """
    chosen: dict[tuple[str, str | None], list[F]] = {
        (lang, category): [] for lang in config.languages for category in (None, *config.categories)
    }
    open_lists = len(chosen)
    for item in newest_first:
        for lang in item.languages:
            for key in ((lang, None), (lang, item.category)):
                found = chosen.get(key)
                if found is not None and len(found) < limit:
                    found.append(item)
                    open_lists -= len(found) == limit
        if not open_lists:
            break
    return chosen


@dataclass(frozen=True)
class FeedFile:
    """One feed written by write_feeds: where, whether its bytes changed, how many items."""

    path: Path
    changed: bool
    items: int


def write_feeds(
    site: Site,
    folder: Path,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    full_content: bool = False,
    warn: Callable[[str], None] | None = None,
    gate: Gate | None = None,
    write: Callable[[Path, bytes], bool] | None = None,
) -> list[FeedFile]:
    """Write every feed under `folder` and say, per file, whether it changed.

    One feed per language and one per category per language, each as RSS and
    Atom, at `urls.feed_path(...)` (feeds/th/rss.xml, feeds/th/headline.atom.xml, …).
    Files whose bytes would not change are left untouched; the others are replaced
    atomically (by `write`, default write_file). Each warning (see build_feed) is
    passed to `warn` once; what the gate held back is in `gate`.
    """
    config = site.config
    now = now or clock.now(config.tz)
    gate = gate or Gate(config, now, cache=site.cache)
    write = write or write_file
    _check(config, config.primary_language, (), limit)
    cleaner = _Cleaner(site.root)
    results = []
    # One pass over the live articles, newest first, through the gate, fills every
    # list: asking select() for each would make the index check every file that often.
    lists = feed_lists(config, published(site, Query(now=now), gate), limit or config.feed.limit)
    for (lang, category), articles in lists.items():
        categories = (category,) if category else ()
        for atom in (False, True):
            channel = _Channel(lang, categories, (), atom, full_content)
            data = _render(config, site.media_dir, articles, channel, cleaner)
            path = folder / urls.feed_path(lang, category, atom)
            results.append(FeedFile(path, write(path, data), len(articles)))
    if warn:
        for message in cleaner.warnings():
            warn(message)
    return results


def write_all_feeds(
    site: Site,
    folder: Path,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    full_content: bool = False,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write every feed under `folder` (see write_feeds); the path of each, written or not.

    The paths come in a fixed order: per language, the language's feed, then one per
    category in site.toml's order, each RSS then Atom.
    """
    return [
        result.path
        for result in write_feeds(
            site, folder, now=now, limit=limit, full_content=full_content, warn=warn
        )
    ]
