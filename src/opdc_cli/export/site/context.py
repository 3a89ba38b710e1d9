"""What the page templates get: the template context, as frozen dataclasses.

Every page gets `page` (a Page), `site` (a SiteFrame) and `t` (the labels of the
page's language); an article page also `article` (an ArticleView), an index page
`listing` (a Listing). docs/export.md's context table lists these classes and
their fields; a test holds the two together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed the page links to in its head."""

    href: str
    title: str


@dataclass(frozen=True, slots=True)
class Alternate:
    """The same page in one of the site's languages (href None: not translated)."""

    lang: str
    name: str
    current: bool
    href: str | None
    url: str | None
    note: str


@dataclass(frozen=True, slots=True)
class MetaTag:
    """A `<meta>` of the head: OpenGraph (attr "property") or Twitter card ("name")."""

    attr: str
    key: str
    content: str


@dataclass(frozen=True, slots=True)
class Page:
    """The page's head and language switch."""

    lang: str
    root: str  # the way up to the site's top, e.g. "../../"
    title: str
    description: str
    canonical: str
    feeds: tuple[FeedLink, ...]
    alternates: tuple[Alternate, ...]
    # A preview's page of an article that is not published (opdc serve --drafts).
    draft: bool = False
    # Share and search metadata (export/meta.py): the tags, and an article's JSON-LD.
    meta: tuple[MetaTag, ...] = ()
    json_ld: str = ""


@dataclass(frozen=True, slots=True)
class MenuCategory:
    key: str
    name: str
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class FooterLink:
    url: str
    label: str


@dataclass(frozen=True, slots=True)
class Footer:
    address: str
    phone: str
    fax: str
    hotline: str
    email: str
    links: tuple[FooterLink, ...]


@dataclass(frozen=True, slots=True)
class SiteFrame:
    """What every page shows around its content: the same for every page at one depth."""

    name: str
    home_href: str
    feed_href: str
    categories: tuple[MenuCategory, ...]
    footer: Footer


@dataclass(frozen=True, slots=True)
class EventView:
    when: str
    place: str


@dataclass(frozen=True, slots=True)
class ShareLink:
    name: str
    href: str


@dataclass(frozen=True, slots=True)
class GalleryPhoto:
    """A thumbnail linking to the web size, labelled with its file name and size."""

    href: str
    src: str
    width: int | None
    height: int | None
    alt: str
    name: str
    size: str


@dataclass(frozen=True, slots=True)
class GalleryView:
    """One page of an article's gallery and its count line."""

    photos: tuple[GalleryPhoto, ...]
    page: int
    pages: int
    line: str
    prev: str | None
    next: str | None


@dataclass(frozen=True, slots=True)
class AttachmentLink:
    href: str
    title: str
    name: str
    type: str  # PDF, DOCX, …
    mime: str
    details: str  # "PDF · 12 หน้า · 245.31 kb"


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article page's content in one language."""

    id: int
    title: str
    category_name: str
    category_href: str
    date_iso: str
    date_text: str
    summary: str
    paragraphs: tuple[str, ...]
    body_html: Markup  # the body as HTML (links; the Markdown subset), already escaped
    credit: str
    event: EventView | None
    tags: tuple[str, ...]
    share: tuple[ShareLink, ...]
    gallery: GalleryView | None
    attachments: tuple[AttachmentLink, ...]


@dataclass(frozen=True, slots=True)
class Thumb:
    src: str
    alt: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class Card:
    """An article as an index page lists it."""

    href: str
    title: str
    summary: str
    date_iso: str
    date_text: str
    category_name: str
    category_href: str
    thumb: Thumb | None


@dataclass(frozen=True, slots=True)
class Listing:
    """An index page's content: one page of cards and the pager."""

    heading: str
    page: int
    pages: int
    prev: str | None
    next: str | None
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class WithdrawnView:
    """The short page left where an expired or unpublished article was (workflow)."""

    title: str
    date_iso: str
    date_text: str


@dataclass(frozen=True, slots=True)
class NotFound:
    """The 404 page in one site language: its message and that language's menu."""

    lang: str
    heading: str
    text: str
    site: SiteFrame


@dataclass(frozen=True, slots=True)
class PageContext:
    """Everything one page's template gets (`article` or `listing` set, by template)."""

    page: Page
    site: SiteFrame
    t: Callable[[str], str]
    article: ArticleView | None = None
    listing: Listing | None = None
    withdrawn: WithdrawnView | None = None
    not_found: tuple[NotFound, ...] = ()

    def variables(self) -> dict[str, object]:
        """The template's variables: page, site, t, and article, listing or not_found."""
        found: dict[str, object] = {"page": self.page, "site": self.site, "t": self.t}
        if self.article is not None:
            found["article"] = self.article
        if self.listing is not None:
            found["listing"] = self.listing
        if self.withdrawn is not None:
            found["withdrawn"] = self.withdrawn
        if self.not_found:
            found["not_found"] = self.not_found
        return found
