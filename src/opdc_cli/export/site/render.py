"""Rendering: articles and index entries into pages, with the site's Jinja2 templates.

A site's `templates/` folder (beside site.toml) overrides any packaged template by
name, and can extend the packaged one it replaces: `{% extends "!article.html" %}`
names the packaged article.html, so a site's template may override one block and
keep the rest (as Pelican's "!simple/" prefix does).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import quote

from opdc_cli import documents, links, thai, urls
from opdc_cli.errors import OpdcError
from opdc_cli.export import meta
from opdc_cli.export.owned import Output
from opdc_cli.export.site.context import (
    Alternate,
    ArticleView,
    AttachmentLink,
    Card,
    EventView,
    FeedLink,
    Footer,
    FooterLink,
    GalleryPhoto,
    GalleryView,
    Listing,
    MenuCategory,
    MetaTag,
    NotFound,
    Page,
    PageContext,
    ShareLink,
    SiteFrame,
    Thumb,
    WithdrawnView,
)
from opdc_cli.gallery import GalleryItem, check_media_name, gallery_pages, media_path
from opdc_cli.htmltext import thai_breaks
from opdc_cli.labels import LABELS, label, total_line
from opdc_cli.model import Article, Attachment
from opdc_cli.publish import Gate
from opdc_cli.site import SiteConfig
from opdc_cli.textio import drop_controls

if TYPE_CHECKING:
    from collections.abc import Callable

    import jinja2

    from opdc_cli.documents import DocumentInfo

PACKAGE_TEMPLATES = Path(__file__).parent.parent / "templates"
PACKAGE_STYLE = Path(__file__).parent.parent / "static" / "style.css"
# `{% extends "!article.html" %}` in a site's template: the packaged article.html.
PACKAGED_PREFIX = "!"

SHARE_LINKS = (
    ("Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("LINE", "https://social-plugins.line.me/lineit/share?url={url}"),
    ("X", "https://x.com/intent/post?url={url}&text={title}"),
    ("e-mail", "mailto:?subject={title}&body={url}"),
)


class ThumbData(TypedDict):
    path: str  # below the site's top
    alt: str
    width: int | None
    height: int | None


class CardData(TypedDict):
    """What an index page shows of an article in one language: plain data, kept in
    the export's cache and hashed (`hash`) to tell when an index page must change."""

    id: int
    title: str
    summary: str
    date: str  # ISO 8601 with offset
    category: str
    thumb: ThumbData | None
    hash: str


@dataclass(frozen=True)
class Job:
    """Everything a worker process needs to build article pages."""

    config: SiteConfig
    media_dir: Path
    out: Path
    templates: Path
    now: datetime
    with_originals: bool
    force: bool = False
    # Few pages: each is synced as it is written. Many: none is, and one sync of the
    # whole system follows (a sync per file would cost more than the export).
    sync_each: bool = True
    # A preview (opdc serve --drafts): drafts and scheduled articles get pages too, marked.
    drafts: bool = False
    # opdc --no-cache: validate's kept results are not used (opdc_cli.checks).
    cache: bool = True
    # site.toml's [html] share_image as this export publishes it (meta.default_image).
    share_image: meta.ShareImage | None = None


def digest(*parts: object) -> str:
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(data.encode(), digest_size=12).hexdigest()


def environment(templates: Path) -> jinja2.Environment:
    """The site's templates over the packaged ones, the packaged ones also as "!name"."""
    import jinja2

    packaged = jinja2.FileSystemLoader(PACKAGE_TEMPLATES)
    loaders: list[jinja2.BaseLoader] = []
    if templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders.append(packaged)

    class Packaged(jinja2.BaseLoader):
        """ "!name": the packaged template `name`, whatever the site overrides."""

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str | None, Callable[[], bool] | None]:
            if not template.startswith(PACKAGED_PREFIX):
                raise jinja2.TemplateNotFound(template)
            return packaged.get_source(environment, template[len(PACKAGED_PREFIX) :])

    loaders.append(Packaged())
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        finalize=_without_controls,
    )
    # `{{ article.title | wbr }}`: escaped, with <wbr> between Thai words.
    env.filters["wbr"] = thai_breaks
    return env


def _without_controls(value: object) -> object:
    """Every value a template prints, without control characters: an ESC or BEL in a
    category name has no place in a page (in article text validate reports it, OPDC401,
    and the publication gate stops the article)."""
    import markupsafe

    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(drop_controls(str(value)))
    if isinstance(value, str):
        return drop_controls(value)
    return value


def template_error(exc: Exception, templates: Path) -> OpdcError:
    """A Jinja2 error as one line naming the template file and line."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    path = Path(name) if name else templates
    message = getattr(exc, "message", None) or str(exc)
    return OpdcError(f"template error: {message}", path, line, code="OPDC701")


def style(templates: Path) -> bytes:
    override = templates / "style.css"
    return override.read_bytes() if override.is_file() else PACKAGE_STYLE.read_bytes()


def rel(root: str, path: str) -> str:
    """`path` (from the site's top) as a link from a page `root` ("../../") below it."""
    return root + quote(path, safe="/")


def root_of(path: str) -> str:
    return "../" * path.count("/")


def media_file(media_dir: Path, article_id: int, name: str) -> Path | None:
    """The file `name` of media/<id>/ if it is a plain file inside it, else None."""
    if check_media_name(name) is not None:
        return None
    try:
        path = media_path(media_dir, article_id, name)
    except OpdcError:
        return None
    return path if path.is_file() else None


@dataclass(frozen=True)
class ArticleFiles:
    """What an article's pages show of its media folder, and the files they need."""

    ready: list[GalleryItem]
    attachments: list[tuple[Attachment, DocumentInfo]]  # with what the file is
    media: list[str]  # site paths of the photos and attachments to publish


class Renderer:
    """Renders pages from articles and index entries with the site's templates (one
    per process)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.config = job.config
        self.gate = Gate(job.config, job.now, drafts=job.drafts, cache=job.cache)
        self.output = Output(job.out, force=job.force)
        self._env: jinja2.Environment | None = None
        self._frames: dict[tuple[str, str, str | None], SiteFrame] = {}
        # The labels as plain lookups: templates ask for them many times per page.
        self._labels: dict[str, Callable[[str], str]] = {
            lang: {key: label(lang, key) for key in LABELS["en"] if key != "total"}.__getitem__
            for lang in job.config.languages
        }

    def render(self, template: str, context: PageContext) -> str:
        import jinja2

        try:
            if self._env is None:
                # Made on the first page to render: a re-export that renders none
                # spares importing Jinja2 and compiling the templates.
                self._env = environment(self.job.templates)
            return self._env.get_template(template).render(context.variables())
        except jinja2.TemplateError as exc:
            raise template_error(exc, self.job.templates) from None
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # What a site's own template can get wrong beyond Jinja2's errors.
            raise OpdcError(
                f"template {template}: {type(exc).__name__}: {exc}",
                self.job.templates,
                code="OPDC701",
            ) from None

    # --- what every page shows ---------------------------------------------------------

    def frame(self, lang: str, root: str, current_category: str | None) -> SiteFrame:
        """What every page shows around the content; the same for every page at one depth."""
        found = self._frames.get((lang, root, current_category))
        if found is None:
            found = self._frames[lang, root, current_category] = self._make_frame(
                lang, root, current_category
            )
        return found

    def _make_frame(self, lang: str, root: str, current_category: str | None) -> SiteFrame:
        config = self.config
        footer = config.footer
        return SiteFrame(
            name=config.site_name(lang),
            home_href=rel(root, urls.index_path(lang)),
            feed_href=rel(root, urls.feed_path(lang)),
            categories=tuple(
                MenuCategory(
                    key=key,
                    name=config.category_name(key, lang),
                    href=rel(root, urls.index_path(lang, 1, key)),
                    current=key == current_category,
                )
                for key in config.categories
            ),
            footer=Footer(
                address=footer.address.get(lang) or footer.address.get(config.primary_language, ""),
                phone=footer.phone,
                fax=footer.fax,
                hotline=footer.hotline,
                email=footer.email,
                links=tuple(FooterLink(link.url, link.label(lang)) for link in footer.links),
            ),
        )

    def page(
        self,
        lang: str,
        path: str,
        title: str,
        others: dict[str, str | None],
        category: str | None,
        description: str = "",
        canonical: str | None = None,
    ) -> Page:
        """The page's head data and its language switch; `others` maps each site
        language to the same page in it (None: not translated)."""
        config = self.config
        root = root_of(path)
        feeds = [
            FeedLink(
                rel(root, urls.feed_path(lang)), f"{config.site_name(lang)} – {label(lang, 'rss')}"
            )
        ]
        if category:
            name = config.category_name(category, lang)
            feeds.append(
                FeedLink(
                    rel(root, urls.feed_path(lang, category)), f"{name} – {label(lang, 'rss')}"
                )
            )
        alternates = []
        for code in config.languages:
            target = others.get(code)
            alternates.append(
                Alternate(
                    lang=code,
                    name=label(code, "language_name"),
                    current=code == lang,
                    href=rel(root, target) if target else None,
                    url=urls.url(config, target) if target else None,
                    note=label(code, "not_translated"),
                )
            )
        return Page(
            lang=lang,
            root=root,
            title=title,
            description=description,
            canonical=canonical or urls.url(config, path),
            feeds=tuple(feeds),
            alternates=tuple(alternates),
        )

    def context(self, page: Page, category: str | None) -> PageContext:
        return PageContext(
            page, self.frame(page.lang, page.root, category), self._labels[page.lang]
        )

    # --- article pages -----------------------------------------------------------------

    def article_files(
        self, article: Article, items: list[GalleryItem], warnings: list[str]
    ) -> ArticleFiles:
        """The photos ready to show, the attachments there, and the media files to
        publish (site paths); what is missing is named in `warnings`."""
        job = self.job
        missing = [item.original for item in items if not item.ready]
        if missing:
            warnings.append(
                f"article {article.id}: {len(missing)} photo(s) have no web size yet and are "
                f"left out of the gallery: run opdc media resize {article.id}"
            )
        ready = [item for item in items if item.ready]
        media: list[str] = []
        shared = meta.share_file(ready)
        if shared is not None:
            media.append(urls.media_path(article.id, shared.share_file))
        for item in ready:
            media.append(urls.media_path(article.id, item.web))
            if item.thumb_bytes is not None:
                media.append(urls.media_path(article.id, item.thumb))
            if job.with_originals and media_file(job.media_dir, article.id, item.original):
                media.append(urls.media_path(article.id, item.original))
        attachments = []
        for attachment in article.attachments:
            source = media_file(job.media_dir, article.id, attachment.file)
            if source is None:
                warnings.append(
                    f"article {article.id}: attachment {attachment.file!r} is not in "
                    f"media/{article.id}/ and is left out"
                )
                continue
            info = documents.published_info(source)
            if info is None:
                continue
            media.append(urls.media_path(article.id, attachment.file))
            attachments.append((attachment, info))
        return ArticleFiles(ready, attachments, media)

    def article(
        self, article: Article, items: list[GalleryItem], warnings: list[str]
    ) -> tuple[dict[str, str], list[str]]:
        """The article's pages (path -> html) and the media files they show (site paths)."""
        config = self.config
        files = self.article_files(article, items, warnings)
        size = config.media.gallery_page_size
        chunks = gallery_pages(files.ready, size)
        pages: dict[str, str] = {}
        for lang in config.languages:
            translation = article.translation(lang)
            if translation is None:
                continue
            others = {
                code: urls.article_path(code, article.id) if code in article.translations else None
                for code in config.languages
            }
            canonical = urls.url(config, urls.article_path(lang, article.id))
            draft = self.gate.unpublished(article)
            for number, chunk in enumerate(chunks, start=1):
                path = urls.article_path(lang, article.id, number)
                page = self.page(
                    lang, path, translation.title, others, article.category,
                    translation.summary, canonical,
                )  # fmt: skip
                page = _with_meta(
                    replace(page, draft=draft),
                    meta.article_meta(
                        config, article, lang, files.ready, canonical, self.job.share_image
                    ),
                )
                gallery = _gallery_view(
                    article, lang, page.root, chunk, number, len(chunks), len(files.ready), size
                )
                view = self._article_view(article, lang, page.root, canonical, gallery, files)
                context = self.context(page, article.category)
                pages[path] = self.render("article.html", _with_article(context, view))
        return pages, files.media

    def withdrawn(self, article: Article, when: datetime) -> dict[str, str]:
        """Workflow: the short "withdrawn on …" page (withdrawn.html) at the first page
        of each language version of an article no longer published, so that links to
        it do not break (path -> html)."""
        config = self.config
        others = {
            code: urls.article_path(code, article.id) if code in article.translations else None
            for code in config.languages
        }
        pages = {}
        for lang, translation in article.translations.items():
            if lang not in config.languages or not translation.title.strip():
                continue
            path = urls.article_path(lang, article.id)
            page = self.page(
                lang, path, translation.title, others, article.category, "",
                urls.url(config, path),
            )  # fmt: skip
            view = WithdrawnView(
                translation.title,
                when.isoformat(),
                thai.format_date(when.astimezone(config.tz), lang),
            )
            context = self.context(page, article.category)
            pages[path] = self.render(
                "withdrawn.html",
                PageContext(context.page, context.site, context.t, withdrawn=view),
            )
        return pages

    def _article_view(
        self,
        article: Article,
        lang: str,
        root: str,
        canonical: str,
        gallery: GalleryView | None,
        files: ArticleFiles,
    ) -> ArticleView:
        config = self.config
        translation = article.translations[lang]
        event = None
        if article.event:
            event = EventView(
                thai.format_date_range(article.event.start, article.event.end, lang),
                article.event.place(lang),
            )
        title = quote(translation.title, safe="")
        share = tuple(
            ShareLink(name, pattern.format(url=quote(canonical, safe=""), title=title))
            for name, pattern in SHARE_LINKS
        )
        attachments = tuple(
            AttachmentLink(
                **documents.page_entry(
                    info, a.title(lang), rel(root, urls.media_path(article.id, a.file)), lang
                )
            )
            for a, info in files.attachments
        )
        return ArticleView(
            id=article.id,
            title=translation.title,
            category_name=config.category_name(article.category, lang),
            category_href=rel(root, urls.index_path(lang, 1, article.category)),
            date_iso=article.date.isoformat(),
            date_text=thai.format_date(article.date.astimezone(config.tz), lang),
            summary=translation.summary,
            paragraphs=tuple(translation.paragraphs),
            body_html=links.body_html(translation.body, config.body_format, breaks=True),
            credit=translation.credit,
            event=event,
            tags=tuple(article.tags),
            share=share,
            gallery=gallery,
            attachments=attachments,
        )

    def cards(self, article: Article, items: list[GalleryItem]) -> dict[str, CardData]:
        """What each language's index pages show of the article (plain, hashable data)."""
        config = self.config
        first = next((i for i in items if i.ready), None)
        out = {}
        for lang, translation in article.translations.items():
            if lang not in config.languages:
                continue
            thumb: ThumbData | None = None
            if first is not None:
                has_thumb = first.thumb_bytes is not None
                thumb = {
                    "path": urls.media_path(article.id, first.thumb if has_thumb else first.web),
                    "alt": first.photo.caption(lang) or translation.title,
                    "width": first.thumb_width if has_thumb else first.width,
                    "height": first.thumb_height if has_thumb else first.height,
                }
            card = CardData(
                id=article.id,
                title=translation.title,
                summary=translation.summary
                or thai.excerpt(translation.body, config.feed.excerpt_length),
                date=article.date.isoformat(),
                category=article.category,
                thumb=thumb,
                hash="",
            )
            card["hash"] = digest({key: value for key, value in card.items() if key != "hash"})
            out[lang] = card
        return out

    # --- the 404 page ------------------------------------------------------------------

    def not_found(self, path: str) -> str:
        """The page a server gives for an address it has not got: every language's
        message and menu. Its links start at the site's path on the server, as it is
        served at any depth."""
        from urllib.parse import urlsplit

        config = self.config
        lang = config.primary_language
        root = urlsplit(config.base_url).path or "/"
        page = self.page(
            lang, path, label(lang, "not_found"),
            {code: urls.index_path(code) for code in config.languages}, None,
        )  # fmt: skip
        page = replace(
            page,
            root=root,
            feeds=tuple(replace(feed, href=root + feed.href) for feed in page.feeds),
            # The switch leads to each language's home; no hreflang pairs in the head.
            alternates=tuple(
                replace(alt, href=rel(root, urls.index_path(alt.lang)), url=None)
                for alt in page.alternates
            ),
            meta=(MetaTag("name", "robots", "noindex"),),
        )
        found = tuple(
            NotFound(
                lang=code,
                heading=label(code, "not_found"),
                text=label(code, "not_found_text"),
                site=self.frame(code, root, None),
            )
            for code in config.languages
        )
        context = replace(self.context(page, None), not_found=found)
        return self.render("404.html", context)

    # --- index pages -------------------------------------------------------------------

    def index(
        self,
        lang: str,
        category: str | None,
        cards: list[CardData],
        number: int,
        count: int,
        path: str,
    ) -> str:
        config = self.config
        heading = config.category_name(category, lang) if category else label(lang, "news")
        title = heading if number == 1 else f"{heading} – {label(lang, 'page')} {number}"
        others: dict[str, str | None] = {
            code: urls.index_path(code, 1, category) for code in config.languages
        }
        page = self.page(
            lang, path, title, others, category, config.description.get(lang, ""),
            urls.url(config, urls.index_path(lang, number, category)),
        )  # fmt: skip
        page = _with_meta(
            page, meta.index_meta(config, lang, title, page.canonical, self.job.share_image)
        )
        root = page.root

        def href(number: int) -> str:
            return rel(root, urls.index_path(lang, number, category))

        listing = Listing(
            heading=heading,
            page=number,
            pages=count,
            prev=href(number - 1) if number > 1 else None,
            next=href(number + 1) if number < count else None,
            cards=tuple(self._card(card, lang, root) for card in cards),
        )
        context = self.context(page, category)
        return self.render("index.html", _with_listing(context, listing))

    def _card(self, card: CardData, lang: str, root: str) -> Card:
        config = self.config
        when = datetime.fromisoformat(card["date"])
        thumb = card["thumb"]
        return Card(
            href=rel(root, urls.article_path(lang, card["id"])),
            title=card["title"],
            summary=card["summary"],
            date_iso=card["date"],
            date_text=thai.format_date(when.astimezone(config.tz), lang),
            category_name=config.category_name(card["category"], lang),
            category_href=rel(root, urls.index_path(lang, 1, card["category"])),
            thumb=Thumb(rel(root, thumb["path"]), thumb["alt"], thumb["width"], thumb["height"])
            if thumb
            else None,
        )


def _with_article(context: PageContext, view: ArticleView) -> PageContext:
    return PageContext(context.page, context.site, context.t, article=view)


def _with_listing(context: PageContext, listing: Listing) -> PageContext:
    return PageContext(context.page, context.site, context.t, listing=listing)


def _gallery_view(
    article: Article,
    lang: str,
    root: str,
    chunk: list[GalleryItem],
    number: int,
    count: int,
    total: int,
    size: int,
) -> GalleryView | None:
    """One page of the gallery: thumbnails linking to the web size, the count line."""
    if not total:
        return None
    title = article.translations[lang].title
    photos = []
    for offset, item in enumerate(chunk):
        has_thumb = item.thumb_bytes is not None
        thumb = item.thumb if has_thumb else item.web
        photos.append(
            GalleryPhoto(
                href=rel(root, urls.media_path(article.id, item.web)),
                src=rel(root, urls.media_path(article.id, thumb)),
                width=item.thumb_width if has_thumb else item.width,
                height=item.thumb_height if has_thumb else item.height,
                # Every image needs a text alternative: the caption, else title and number.
                alt=item.photo.caption(lang) or f"{title} ({(number - 1) * size + offset + 1})",
                name=item.web,
                size=item.size_label,
            )
        )

    def href(page: int) -> str:
        return rel(root, urls.article_path(lang, article.id, page))

    return GalleryView(
        photos=tuple(photos),
        page=number,
        pages=count,
        line=total_line(lang, total, number, count),
        prev=href(number - 1) if number > 1 else None,
        next=href(number + 1) if number < count else None,
    )


def _with_meta(page: Page, found: dict[str, Any]) -> Page:
    """`page` with the share and search metadata of export/meta.py."""
    return replace(
        page,
        description=found.get("description", page.description),
        meta=tuple(MetaTag(**tag) for tag in found["meta"]),
        json_ld=found["json_ld"],
    )
