"""The static news site: article pages, index pages, photos and feeds, written incrementally.

`export_site(site, out)` writes a folder a web server can serve as it is:

    index.html                    the primary language's home page
    th/index.html, th/page/2.html the newest articles first, paged
    th/category/<key>/index.html  the same per category (…/page/2.html)
    th/news/26461.html            an article (26461-2.html: its gallery's page 2)
    media/26461/…                 the web sizes, thumbnails and attachments
    feeds/th/rss.xml, …           every feed (opdc_cli.feed.write_feeds, as feed --all)
    static/style.css              the style sheet (print rules included)

Only what the publication gate (opdc_cli.publish) lets through is written, and
nothing else: the export's own state lives in the site's `.opdc/exports/<key>/`
(one folder per output folder), never in the output.

Pages come from Jinja2 templates (autoescaping on); a `templates/` folder beside
site.toml overrides any of them by name (and `style.css`).

Incremental: the manifest keeps, per article, the size and modification time of
its files and of its media folder, and what its index entries show. A re-export
re-reads only the articles whose files changed, renders their pages, and renders
an index page only when an entry on it changed; a page whose bytes would not
change is not rewritten. Files are written to a temporary name and renamed, and
the manifest is written last, so an interrupted export leaves the previous site
whole and the next run completes it.

The manifest is also the record of what opdc wrote: every file with its
fingerprint (a hash of its bytes, or the size and time of a linked photo). A file
in the output that opdc did not write, or that was changed since, is never
replaced or deleted (without `force`); an output folder that opdc has no record
of must be empty, and every path read back from the record must stay inside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from opdc_cli import __version__, clock, store, thai, urls
from opdc_cli.content import Site
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.export.owned import Output, safe_relative, sweep_temporaries
from opdc_cli.fsutil import write_if_changed
from opdc_cli.gallery import GalleryItem, check_media_name, format_kb, gallery, media_path
from opdc_cli.labels import LABELS, label, total_line
from opdc_cli.media import private_copy
from opdc_cli.model import Article
from opdc_cli.publish import Gate, not_published
from opdc_cli.site import SITE_FILE, SiteConfig

if TYPE_CHECKING:
    import jinja2

# Bump when the page-building code changes what it writes: every page is then rebuilt.
FORMAT = 2
# The export's state, in .opdc/exports/<key of the output folder>/:
MANIFEST = "manifest.json"
# Each article's index entries (title, summary, thumbnail) by id, so that a re-export
# reads only those of the index pages it renders again.
CARDS = "cards.sqlite"
# Held while an export runs, so that two into the same folder do not interleave.
LOCK = "lock"
# There while an export runs: found at the start of the next one, it says the last
# was interrupted, and the output folder is swept of the temporary files it left.
RUNNING = "running"
# Where earlier versions kept that state: inside the output, where a web server
# would serve it. Removed from the output whenever found.
LEGACY_STATE = (".opdc-export.json", ".opdc-export-cards.sqlite", ".opdc-export.lock")
STYLE_PATH = "static/style.css"
PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
PACKAGE_STYLE = Path(__file__).parent / "static" / "style.css"
# Below this many articles to render, starting worker processes costs more than it saves.
POOL_THRESHOLD = 200

# (phase, done, total): "articles" while article pages are built, then "indexes".
Progress = Callable[[str, int, int], None]

SHARE_LINKS = (
    ("Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("LINE", "https://social-plugins.line.me/lineit/share?url={url}"),
    ("X", "https://x.com/intent/post?url={url}&text={title}"),
    ("e-mail", "mailto:?subject={title}&body={url}"),
)


@dataclass
class ExportReport:
    """What an export did: paths are relative to the output folder."""

    articles: int = 0
    reread: int = 0
    written: list[str] = field(default_factory=list)
    # Files of this export already as they should be: counted from the record, so
    # written + unchanged is what the folder holds of opdc's.
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    # Articles not published: unreadable, or stopped by the publication gate.
    problems: list[OpdcError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Files opdc would have written but did not: something it did not write is there.
    conflicts: list[str] = field(default_factory=list)
    # Language versions held back as translations in progress, by article id.
    held: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Job:
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


def _digest(*parts: object) -> str:
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(data.encode(), digest_size=12).hexdigest()


def _environment(templates: Path) -> jinja2.Environment:
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders.append(jinja2.FileSystemLoader(PACKAGE_TEMPLATES))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )


def _template_error(exc: Exception, templates: Path) -> OpdcError:
    """A Jinja2 error as one line naming the template file and line."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    path = Path(name) if name else templates
    message = getattr(exc, "message", None) or str(exc)
    return OpdcError(f"template error: {message}", path, line, code="OPDC701")


def _style(templates: Path) -> bytes:
    override = templates / "style.css"
    return override.read_bytes() if override.is_file() else PACKAGE_STYLE.read_bytes()


def global_key(config: SiteConfig, templates: Path, with_originals: bool) -> str:
    """A hash of everything every page depends on: templates, style, site.toml, options."""
    parts: list[object] = [FORMAT, __version__, with_originals]
    for folder in (PACKAGE_TEMPLATES, templates):
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                parts.append([str(path.relative_to(folder)), path.read_bytes().hex()])
    parts.append(_style(templates).hex())
    parts.append(config.path.read_bytes().hex())
    return _digest(*parts)


def _rel(root: str, path: str) -> str:
    """`path` (from the site's top) as a link from a page `root` ("../../") below it."""
    return root + quote(path, safe="/")


def _root_of(path: str) -> str:
    return "../" * path.count("/")


class _Renderer:
    """Renders pages from plain data with the site's templates (one per process)."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.config = job.config
        self.gate = Gate(job.config, job.now)
        self.output = Output(job.out, force=job.force)
        self._env: jinja2.Environment | None = None
        self._sites: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        # The labels as plain lookups: templates ask for them many times per page.
        self._labels = {
            lang: {key: label(lang, key) for key in LABELS["en"] if key != "total"}.__getitem__
            for lang in job.config.languages
        }

    def render(self, template: str, context: dict[str, Any]) -> str:
        import jinja2

        try:
            if self._env is None:
                # Made on the first page to render: a re-export that renders none
                # spares importing Jinja2 and compiling the templates.
                self._env = _environment(self.job.templates)
            return self._env.get_template(template).render(context)
        except jinja2.TemplateError as exc:
            raise _template_error(exc, self.job.templates) from None
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # What a site's own template can get wrong beyond Jinja2's errors.
            raise OpdcError(
                f"template {template}: {type(exc).__name__}: {exc}",
                self.job.templates,
                code="OPDC701",
            ) from None

    # --- what every page shows ---------------------------------------------------------

    def _site(self, lang: str, root: str, current_category: str | None) -> dict[str, Any]:
        """What every page shows around the content; the same for every page at one depth."""
        found = self._sites.get((lang, root, current_category))
        if found is None:
            found = self._sites[lang, root, current_category] = self._make_site(
                lang, root, current_category
            )
        return found

    def _make_site(self, lang: str, root: str, current_category: str | None) -> dict[str, Any]:
        config = self.config
        footer = config.footer
        return {
            "name": config.site_name(lang),
            "home_href": _rel(root, urls.index_path(lang)),
            "feed_href": _rel(root, urls.feed_path(lang)),
            "categories": [
                {
                    "key": key,
                    "name": config.category_name(key, lang),
                    "href": _rel(root, urls.index_path(lang, 1, key)),
                    "current": key == current_category,
                }
                for key in config.categories
            ],
            "footer": {
                "address": footer.address.get(lang)
                or footer.address.get(config.primary_language, ""),
                "phone": footer.phone,
                "fax": footer.fax,
                "hotline": footer.hotline,
                "email": footer.email,
                "links": [{"url": link.url, "label": link.label(lang)} for link in footer.links],
            },
        }

    def _page(
        self,
        lang: str,
        path: str,
        title: str,
        others: dict[str, str | None],
        category: str | None,
        description: str = "",
        canonical: str | None = None,
    ) -> dict[str, Any]:
        """The page's head data and its language switch; `others` maps each site
        language to the same page in it (None: not translated)."""
        config = self.config
        root = _root_of(path)
        feeds = [
            {
                "href": _rel(root, urls.feed_path(lang)),
                "title": f"{config.site_name(lang)} – {label(lang, 'rss')}",
            }
        ]
        if category:
            feeds.append(
                {
                    "href": _rel(root, urls.feed_path(lang, category)),
                    "title": f"{config.category_name(category, lang)} – {label(lang, 'rss')}",
                }
            )
        alternates = []
        for code in config.languages:
            target = others.get(code)
            alternates.append(
                {
                    "lang": code,
                    "name": label(code, "language_name"),
                    "current": code == lang,
                    "href": _rel(root, target) if target else None,
                    "url": urls.url(config, target) if target else None,
                    "note": label(code, "not_translated"),
                }
            )
        return {
            "lang": lang,
            "root": root,
            "title": title,
            "description": description,
            "canonical": canonical or urls.url(config, path),
            "feeds": feeds,
            "alternates": alternates,
        }

    def _context(
        self, lang: str, root: str, page: dict[str, Any], category: str | None
    ) -> dict[str, Any]:
        return {
            "page": page,
            "site": self._site(lang, root, category),
            "t": self._labels[lang],
        }

    # --- article pages -----------------------------------------------------------------

    def article(
        self, article: Article, items: list[GalleryItem], warnings: list[str]
    ) -> tuple[dict[str, str], list[str]]:
        """The article's pages (path -> html) and the media files they show (site paths)."""
        config = self.config
        job = self.job
        missing = [item.original for item in items if not item.ready]
        if missing:
            warnings.append(
                f"article {article.id}: {len(missing)} photo(s) have no web size yet and are "
                f"left out of the gallery: run opdc media resize {article.id}"
            )
        ready = [item for item in items if item.ready]
        media: list[str] = []
        for item in ready:
            media.append(urls.media_path(article.id, item.web))
            if item.thumb_bytes is not None:
                media.append(urls.media_path(article.id, item.thumb))
            if job.with_originals and _media_file(job.media_dir, article.id, item.original):
                media.append(urls.media_path(article.id, item.original))
        attachments = []
        for attachment in article.attachments:
            source = _media_file(job.media_dir, article.id, attachment.file)
            if source is None:
                warnings.append(
                    f"article {article.id}: attachment {attachment.file!r} is not in "
                    f"media/{article.id}/ and is left out"
                )
                continue
            media.append(urls.media_path(article.id, attachment.file))
            attachments.append((attachment, source.stat().st_size))
        size = config.media.gallery_page_size
        chunks = [ready[i : i + size] for i in range(0, len(ready), size)] or [[]]
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
            for number, chunk in enumerate(chunks, start=1):
                path = urls.article_path(lang, article.id, number)
                root = _root_of(path)
                page = self._page(
                    lang,
                    path,
                    translation.title,
                    others,
                    article.category,
                    translation.summary,
                    canonical,
                )
                context = self._context(lang, root, page, article.category)
                data = self._article_data(article, lang, root, canonical)
                data["gallery"] = _gallery_data(
                    article, lang, root, chunk, number, len(chunks), len(ready), size
                )
                data["attachments"] = [
                    {
                        "href": _rel(root, urls.media_path(article.id, a.file)),
                        "title": a.title(lang),
                        "size": format_kb(bytes_),
                    }
                    for a, bytes_ in attachments
                ]
                context["article"] = data
                pages[path] = self.render("article.html", context)
        return pages, media

    def _article_data(
        self, article: Article, lang: str, root: str, canonical: str
    ) -> dict[str, Any]:
        config = self.config
        translation = article.translations[lang]
        event = None
        if article.event:
            event = {
                "when": thai.format_date_range(article.event.start, article.event.end, lang),
                "place": article.event.place(lang),
            }
        title = quote(translation.title, safe="")
        share = [
            {"name": name, "href": pattern.format(url=quote(canonical, safe=""), title=title)}
            for name, pattern in SHARE_LINKS
        ]
        return {
            "id": article.id,
            "title": translation.title,
            "category_name": config.category_name(article.category, lang),
            "category_href": _rel(root, urls.index_path(lang, 1, article.category)),
            "date_iso": article.date.isoformat(),
            "date_text": thai.format_date(article.date.astimezone(config.tz), lang),
            "summary": translation.summary,
            "paragraphs": translation.paragraphs,
            "credit": translation.credit,
            "event": event,
            "tags": list(article.tags),
            "share": share,
        }

    def cards(self, article: Article, items: list[GalleryItem]) -> dict[str, dict[str, Any]]:
        """What each language's index pages show of the article (plain, hashable data)."""
        config = self.config
        first = next((i for i in items if i.ready), None)
        out = {}
        for lang, translation in article.translations.items():
            if lang not in config.languages:
                continue
            thumb = None
            if first is not None:
                has_thumb = first.thumb_bytes is not None
                thumb = {
                    "path": urls.media_path(article.id, first.thumb if has_thumb else first.web),
                    "alt": first.photo.caption(lang) or translation.title,
                    "width": first.thumb_width if has_thumb else first.width,
                    "height": first.thumb_height if has_thumb else first.height,
                }
            card = {
                "id": article.id,
                "title": translation.title,
                "summary": translation.summary
                or thai.excerpt(translation.body, config.feed.excerpt_length),
                "date": article.date.isoformat(),
                "category": article.category,
                "thumb": thumb,
            }
            card["hash"] = _digest(card)
            out[lang] = card
        return out

    # --- index pages -------------------------------------------------------------------

    def index(
        self,
        lang: str,
        category: str | None,
        cards: list[dict[str, Any]],
        number: int,
        count: int,
        path: str,
    ) -> str:
        config = self.config
        root = _root_of(path)
        heading = config.category_name(category, lang) if category else label(lang, "news")
        title = heading if number == 1 else f"{heading} – {label(lang, 'page')} {number}"
        others: dict[str, str | None] = {
            code: urls.index_path(code, 1, category) for code in config.languages
        }
        page = self._page(
            lang,
            path,
            title,
            others,
            category,
            config.description.get(lang, ""),
            urls.url(config, urls.index_path(lang, number, category)),
        )
        context = self._context(lang, root, page, category)
        context["listing"] = {
            "heading": heading,
            "page": number,
            "pages": count,
            "prev": _rel(root, urls.index_path(lang, number - 1, category)) if number > 1 else None,
            "next": _rel(root, urls.index_path(lang, number + 1, category))
            if number < count
            else None,
            "cards": [self._card(card, lang, root) for card in cards],
        }
        return self.render("index.html", context)

    def _card(self, card: dict[str, Any], lang: str, root: str) -> dict[str, Any]:
        config = self.config
        when = datetime.fromisoformat(card["date"])
        thumb = card["thumb"]
        return {
            "href": _rel(root, urls.article_path(lang, card["id"])),
            "title": card["title"],
            "summary": card["summary"],
            "date_iso": card["date"],
            "date_text": thai.format_date(when.astimezone(config.tz), lang),
            "category_name": config.category_name(card["category"], lang),
            "category_href": _rel(root, urls.index_path(lang, 1, card["category"])),
            "thumb": {
                "src": _rel(root, thumb["path"]),
                "alt": thumb["alt"],
                "width": thumb["width"],
                "height": thumb["height"],
            }
            if thumb
            else None,
        }


def _gallery_data(
    article: Article,
    lang: str,
    root: str,
    chunk: list[GalleryItem],
    number: int,
    count: int,
    total: int,
    size: int,
) -> dict[str, Any] | None:
    """One page of the gallery: thumbnails linking to the web size, the count line."""
    if not total:
        return None
    title = article.translations[lang].title
    items = []
    for offset, item in enumerate(chunk):
        has_thumb = item.thumb_bytes is not None
        thumb = item.thumb if has_thumb else item.web
        items.append(
            {
                "href": _rel(root, urls.media_path(article.id, item.web)),
                "src": _rel(root, urls.media_path(article.id, thumb)),
                "width": item.thumb_width if has_thumb else item.width,
                "height": item.thumb_height if has_thumb else item.height,
                # Every image needs a text alternative: the caption, else title and number.
                "alt": item.photo.caption(lang) or f"{title} ({(number - 1) * size + offset + 1})",
                "name": item.web,
                "size": item.size_label,
            }
        )

    def href(page: int) -> str:
        return _rel(root, urls.article_path(lang, article.id, page))

    return {
        "photos": items,
        "page": number,
        "pages": count,
        "line": total_line(lang, total, number, count),
        "prev": href(number - 1) if number > 1 else None,
        "next": href(number + 1) if number < count else None,
    }


def _media_file(media_dir: Path, article_id: int, name: str) -> Path | None:
    """The file `name` of media/<id>/ if it is a plain file inside it, else None."""
    if check_media_name(name) is not None:
        return None
    try:
        path = media_path(media_dir, article_id, name)
    except OpdcError:
        return None
    return path if path.is_file() else None


# --- the work on one article, in a worker process or in this one -----------------------

_WORKER: _Renderer | None = None


def _init_worker(job: _Job) -> None:
    global _WORKER
    _WORKER = _Renderer(job)


@dataclass
class _Result:
    id: int
    entry: dict[str, Any] | None = None
    written: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cards: dict[str, dict[str, Any]] | None = None
    # OpdcError's parts: an exception with extra fields does not survive pickling whole.
    problem: tuple[str, str | None, int | None, int | None, str | None] | None = None
    fatal: bool = False


def _as_parts(exc: OpdcError) -> tuple[str, str | None, int | None, int | None, str | None]:
    return (exc.message, str(exc.path) if exc.path else None, exc.line, exc.col, exc.code)


def _read(renderer: _Renderer, paths: list[str]) -> Article:
    files = [f for f in (store.classify(Path(p)) for p in paths) if f is not None]
    return store.read_article(files, renderer.config)


class _CardStore:
    """The index entries of every article (`_Renderer.cards`), kept in SQLite by id.

    A cache: an unreadable file is started afresh, and an entry whose hashes do not
    match the manifest's is rebuilt from the article.
    """

    def __init__(self, path: Path, report: ExportReport) -> None:
        import sqlite3

        self.path = path
        self.errors = sqlite3.DatabaseError
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError:
            report.warnings.append(f"{path}: unreadable index-entry cache, starting afresh")
            path.unlink(missing_ok=True)
            self.conn = self._open()

    def _open(self) -> Any:
        import sqlite3

        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("CREATE TABLE IF NOT EXISTS cards (id INTEGER PRIMARY KEY, data TEXT)")
        return conn

    def get(self, ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
        found: dict[int, dict[str, dict[str, Any]]] = {}
        try:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT id, data FROM cards WHERE id IN ({marks})"
                found.update(
                    (row[0], json.loads(row[1])) for row in self.conn.execute(query, chunk)
                )
        except (self.errors, ValueError):
            # A damaged cache only costs time: what was not found is rebuilt.
            pass
        return found

    def put(self, cards: dict[int, dict[str, dict[str, Any]]]) -> None:
        rows = ((i, json.dumps(c, ensure_ascii=False)) for i, c in cards.items())
        with contextlib.suppress(self.errors), self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO cards (id, data) VALUES (?, ?)", rows)

    def drop(self, ids: Iterable[int]) -> None:
        with contextlib.suppress(self.errors), self.conn:
            self.conn.executemany("DELETE FROM cards WHERE id = ?", ((i,) for i in ids))

    def close(self) -> None:
        self.conn.close()


def _build(
    renderer: _Renderer, article_id: int, paths: list[str], recorded: dict[str, str]
) -> _Result:
    """Read one article, ask the gate, and write what it publishes of it.

    `recorded` holds the fingerprints of the files an earlier export wrote for it.
    """
    job = renderer.job
    result = _Result(article_id)
    try:
        article = _read(renderer, paths)
    except OpdcError as exc:
        result.problem = _as_parts(exc)
        return result
    verdict = renderer.gate.verdict(article)
    if verdict.problem is not None:
        result.problem = _as_parts(not_published(verdict.problem))
        return result
    entry: dict[str, Any] = {
        "id": article.id,
        "ts": article.date.timestamp(),
        "status": article.status,
        "category": article.category,
        "cards": {},
        "held": list(verdict.held),
        "files": {},
    }
    result.entry = entry
    result.cards = {}
    if not verdict.published:
        return result
    items = gallery(job.media_dir, verdict.article)
    result.cards = renderer.cards(verdict.article, items)
    entry["cards"] = {lang: card["hash"] for lang, card in result.cards.items()}
    try:
        pages, media = renderer.article(verdict.article, items, result.warnings)
    except OpdcError as exc:
        result.problem = _as_parts(exc)
        result.fatal = True
        return result
    files: dict[str, str] = entry["files"]
    for path, html in pages.items():
        outcome, files[path] = renderer.output.put(
            path, html.encode(), recorded.get(path), sync=job.sync_each
        )
        _tally(result, path, outcome, files)
    originals = {item.original for item in items} if job.with_originals else set()
    folder = job.media_dir / str(article.id)
    for path in media:
        name = path.split("/", 2)[2]
        if name in originals:
            data = private_copy((folder / name).read_bytes(), job.config.media.max_pixels)
            outcome, files[path] = renderer.output.put(
                path, data, recorded.get(path), sync=job.sync_each
            )
        else:
            outcome, files[path] = renderer.output.link(path, folder / name, recorded.get(path))
        _tally(result, path, outcome, files)
    return result


def _tally(result: _Result, path: str, outcome: str, files: dict[str, str]) -> None:
    if outcome == "written":
        result.written.append(path)
    elif outcome == "conflict":
        result.conflicts.append(path)
        del files[path]  # not opdc's: never recorded, so never replaced or deleted


def _work(task: tuple[int, list[str], dict[str, str]]) -> _Result:
    assert _WORKER is not None
    return _build(_WORKER, *task)


# --- the manifest: what each file was built from, and the record of what opdc wrote --


def state_folder(site: Site, target: Path) -> Path:
    """Where the export into `target` (resolved) keeps its state: in the site's .opdc/."""
    key = hashlib.blake2b(str(target).encode(), digest_size=8).hexdigest()
    return site.cache_dir / "exports" / key


def _load_manifest(state: Path, target: Path, report: ExportReport) -> dict[str, Any]:
    """The manifest of the last export into `target`, its paths checked; {} if none."""
    path = state / MANIFEST
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        report.warnings.append(f"{path}: unreadable export manifest, rebuilding every page")
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("out") != str(target):
        return {}
    dropped = 0
    articles = data.get("articles")
    checked: dict[str, dict[str, Any]] = {}
    for slot, entry in (articles if isinstance(articles, dict) else {}).items():
        if not (isinstance(entry, dict) and isinstance(entry.get("files"), dict)):
            continue
        files = {
            p: fp for p, fp in entry["files"].items() if safe_relative(p) and isinstance(fp, str)
        }
        dropped += len(entry["files"]) - len(files)
        checked[slot] = {**entry, "files": files}
    data["articles"] = checked
    for name in ("indexes", "extra"):
        found = data.get(name)
        found = found if isinstance(found, dict) else {}
        data[name] = {p: v for p, v in found.items() if safe_relative(p)}
        dropped += len(found) - len(data[name])
    if dropped:
        report.warnings.append(
            f"{path}: ignored {dropped} path(s) that leave the output folder; "
            "nothing was written or deleted there"
        )
    return data


def _stamp(paths: list[str], media: str, skip: int) -> list[Any]:
    """Size and modification time (ns) of the article's files and of its media folder.

    Replacing a photo by renaming a new file into place (as `opdc media resize` and
    every atomic writer do) changes the folder's time, so the folder stands for its files.
    Plain strings and os.stat: this runs for every article on every export.
    """
    stamp: list[Any] = []
    for path in paths:
        info = os.stat(path)
        stamp.append([path[skip:].replace(os.sep, "/"), info.st_size, info.st_mtime_ns])
    try:
        stamp.append(os.stat(media).st_mtime_ns)
    except FileNotFoundError:
        stamp.append(None)
    return stamp


def _recorded(manifest: dict[str, Any]) -> dict[str, str]:
    """Every file the manifest records opdc writing, with its fingerprint."""
    found: dict[str, str] = {}
    for entry in manifest.get("articles", {}).values():
        found.update(entry["files"])
    found.update((p, v[1]) for p, v in manifest.get("indexes", {}).items() if _pair(v))
    found.update((p, v) for p, v in manifest.get("extra", {}).items() if isinstance(v, str))
    return found


def _pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


class _Listing:
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


# --- the export ------------------------------------------------------------------------


def check_output(site: Site, out: Path) -> Path:
    """The output folder, resolved; UsageError when writing there could harm the site."""
    target = out.resolve()
    problem = site.output_clash(target, folder=True)
    if problem:
        raise UsageError(f"-o {out}: {problem}")
    if target.exists() and not target.is_dir():
        raise UsageError(f"-o {out}: is a file; the html export needs a folder")
    if (target / SITE_FILE).exists():
        raise UsageError(f"-o {out}: holds a {SITE_FILE}; that is a site, not an export folder")
    return target


def _claim(out: Path, given: Path, manifest: dict[str, Any], force: bool) -> None:
    """Refuse a non-empty folder opdc has no (readable) record of exporting to, unless
    `force`."""
    if force or manifest or not out.is_dir():
        return
    found = sorted(
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if not path.is_dir() and path.name not in LEGACY_STATE
    )
    if found:
        shown = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
        raise UsageError(
            f"-o {given}: holds {len(found)} file(s) ({shown}) and opdc has no readable "
            "record (manifest) of writing them, so an export could overwrite a person's "
            "files; export into a new or empty folder, or pass --force to let opdc write "
            "over them (files it does not write stay)"
        )


def export_site(
    site: Site,
    out: Path,
    *,
    now: datetime | None = None,
    clean: bool = False,
    with_originals: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> ExportReport:
    """Write (or bring up to date) the static site of `site` in `out`; what was done.

    Only what the publication gate (opdc_cli.publish) lets through by `now`
    (default the clock) gets pages; articles it stops and unreadable files are
    in `problems`, and what was published of them before is removed. A broken
    template raises OpdcError. A folder opdc has no record of exporting to must
    be empty unless `force`; files opdc did not write are never replaced (unless
    `force`) nor deleted, and are named in `conflicts`. `clean` also sweeps up
    every recorded file this export no longer writes and opdc's temporary files.
    Two exports into the same folder run one after the other.
    """
    target = check_output(site, out)
    state = state_folder(site, target)
    state.mkdir(parents=True, exist_ok=True)
    with _locked(state / LOCK):
        report = ExportReport()
        manifest = _load_manifest(state, target, report)
        _claim(target, out, manifest, force)
        target.mkdir(parents=True, exist_ok=True)
        interrupted = (state / RUNNING).exists()
        write_if_changed(state / RUNNING, str(os.getpid()))
        _export(
            site,
            _Run(target, state, manifest, report, clean or interrupted, force),
            now,
            with_originals,
            jobs,
            progress,
        )
        (state / RUNNING).unlink(missing_ok=True)
        return report


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (made if missing) for the block."""
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class _Plan:
    """What the articles folder says now, against the last export's manifest."""

    entries: dict[str, dict[str, Any]]
    sources: dict[int, list[str]]
    tasks: list[tuple[int, list[str], dict[str, str]]]


def _plan(
    site: Site,
    before: dict[str, dict[str, Any]],
    reusable: dict[str, dict[str, Any]],
    listing: _Listing,
    moment: float,
    report: ExportReport,
) -> _Plan:
    """Which articles to read again: those whose files changed, or whose pages or
    publication time say so; the others keep their manifest entries."""
    groups, problems = store.group(site.files())
    report.problems.extend(problems)
    plan = _Plan({}, {}, [])
    skip = len(str(site.root)) + 1
    media_prefix = str(site.media_dir) + os.sep
    for article_id, files in groups.items():
        paths = [str(f.path) for f in files]
        plan.sources[article_id] = paths
        try:
            stamp = _stamp(paths, media_prefix + str(article_id), skip)
        except OSError:
            continue  # deleted while we looked: the next run sees it gone
        slot = str(article_id)
        cached = reusable.get(slot)
        if cached is not None and cached.get("stamp") == stamp:
            due = cached["status"] == "published" and cached["ts"] <= moment
            # Published last time and still due, with its files there; or not due then
            # and not due now.
            if due == bool(cached["cards"]) and (not due or listing.all(cached["files"])):
                plan.entries[slot] = cached
                continue
        plan.entries[slot] = {"stamp": stamp}
        recorded = before.get(slot, {}).get("files", {})
        plan.tasks.append((article_id, paths, recorded))
    return plan


@dataclass(frozen=True)
class _Run:
    """One export's output folder, its state folder and what it knows so far."""

    out: Path
    state: Path
    manifest: dict[str, Any]
    report: ExportReport
    clean: bool
    force: bool


def _export(
    site: Site,
    run: _Run,
    now: datetime | None,
    with_originals: bool,
    jobs: int | None,
    progress: Progress | None,
) -> None:
    config = site.config
    now = now or clock.now(config.tz)
    templates = site.root / "templates"
    out, state, manifest, report = run.out, run.state, run.manifest, run.report
    clean, force = run.clean, run.force

    key = global_key(config, templates, with_originals)
    same_build = manifest.get("global") == key
    before: dict[str, dict[str, Any]] = manifest.get("articles", {})
    listing = _Listing(out)
    plan = _plan(site, before, before if same_build else {}, listing, now.timestamp(), report)
    entries, tasks = plan.entries, plan.tasks

    report.reread = len(tasks)
    job = _Job(
        config,
        site.media_dir,
        out,
        templates,
        now,
        with_originals,
        force,
        len(tasks) < POOL_THRESHOLD,
    )
    renderer = _Renderer(job)
    rebuilt: set[int] = set()
    fresh: dict[int, dict[str, dict[str, Any]]] = {}
    for result in _run(job, renderer, tasks, jobs, progress):
        slot = str(result.id)
        report.written.extend(result.written)
        report.conflicts.extend(result.conflicts)
        report.warnings.extend(result.warnings)
        if result.problem is not None:
            error = OpdcError(*result.problem)
            if result.fatal:
                raise error
            # Not published now: what an earlier export wrote of it goes (below), and
            # it is read again next time.
            report.problems.append(error)
            del entries[slot]
            continue
        assert result.entry is not None and result.cards is not None
        # A file it could not write is tried again next time: the entry is not reused.
        result.entry["stamp"] = None if result.conflicts else entries[slot]["stamp"]
        entries[slot] = result.entry
        fresh[result.id] = result.cards
        rebuilt.add(result.id)

    live = _live(entries, now.timestamp())
    report.articles = len(live)
    report.held = {e["id"]: tuple(e["held"]) for e in live if e.get("held")}

    card_store = _CardStore(state / CARDS, report)
    card_store.put(fresh)
    card_store.drop(int(slot) for slot in before if slot not in entries)

    def cards_for(ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
        """The index entries of these articles: from this run, the cache, or their files."""
        found = {i: fresh[i] for i in ids if i in fresh}
        cached = card_store.get([i for i in ids if i not in found])
        remade = {}
        for i in ids:
            if i in found:
                continue
            cards = cached.get(i)
            wanted = entries[str(i)]["cards"]
            if cards is None or {lang: c.get("hash") for lang, c in cards.items()} != wanted:
                verdict = renderer.gate.verdict(_read(renderer, plan.sources[i]))
                items = gallery(site.media_dir, verdict.article)
                cards = remade[i] = renderer.cards(verdict.article, items)
            found[i] = cards
        card_store.put(remade)
        return found

    old_indexes: dict[str, list[str]] = manifest.get("indexes", {})
    indexes, indexes_synced = _write_indexes(
        renderer,
        live,
        key,
        old_indexes if same_build else {},
        old_indexes,
        listing,
        cards_for,
        report,
        progress,
    )
    card_store.close()

    old_extra: dict[str, str] = manifest.get("extra", {})
    extra: dict[str, str] = {}
    _put(renderer.output, STYLE_PATH, _style(templates), old_extra, extra, report, sync=True)

    lists = feed_lists(config, live)
    old_lists: dict[str, list[int]] = manifest.get("feed_lists", {}) if same_build else {}
    shown = {i for ids in (*lists.values(), *old_lists.values()) for i in ids}
    old_feeds = {p: fp for p, fp in old_extra.items() if p != STYLE_PATH}
    # Every feed is RSS and Atom: fewer recorded means one could not be written.
    whole = len(old_feeds) == 2 * len(lists) and listing.all(old_feeds)
    if lists != old_lists or rebuilt & shown or not whole:
        _write_feeds(site, renderer, now, old_extra, extra, report)
    else:
        extra.update(old_feeds)

    files = {path: fp for entry in entries.values() for path, fp in entry["files"].items()}
    files.update((path, pair[1]) for path, pair in indexes.items())
    files.update(extra)
    # What an earlier export wrote and this one does not, if it is still as written.
    # Without `clean`, only entries that changed can have left files behind.
    old = _recorded(manifest)
    if not clean:
        kept = {path for slot, e in before.items() if entries.get(slot) is e for path in e["files"]}
        old = {path: fp for path, fp in old.items() if path not in kept}
    for path, fp in sorted(old.items()):
        if path in files:
            continue
        if renderer.output.remove(path, fp):
            report.removed.append(path)
        elif (out / path).exists() and renderer.output.inside(path):
            report.warnings.append(
                f"{path}: changed since opdc wrote it, so it was not deleted; "
                "delete it yourself if it should go"
            )
    report.removed.extend(_remove_legacy(out))
    if clean:
        report.removed.extend(sweep_temporaries(out))
    report.unchanged = len(files) - len({p for p in report.written if p in files})

    if not (job.sync_each and indexes_synced):
        # One sync for every page and photo written without their own, before the
        # manifest says they are there.
        os.sync()
    write_if_changed(
        state / MANIFEST,
        json.dumps(
            {
                "format": FORMAT,
                "out": str(out),
                "global": key,
                "articles": entries,
                "indexes": indexes,
                "extra": extra,
                "feed_lists": lists,
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ),
    )


def _live(entries: dict[str, dict[str, Any]], moment: float) -> list[dict[str, Any]]:
    """The published entries, newest first; an entry whose time has not come (again)
    loses its files."""
    live = []
    for slot, entry in entries.items():
        if entry["cards"] and entry["status"] == "published" and entry["ts"] <= moment:
            live.append(entry)
        elif entry["files"]:
            entries[slot] = {**entry, "cards": {}, "files": {}}
    live.sort(key=lambda e: (e["ts"], e["id"]), reverse=True)
    return live


def _put(
    output: Output,
    path: str,
    data: bytes,
    old: dict[str, str],
    new: dict[str, str],
    report: ExportReport,
    *,
    sync: bool,
) -> bool:
    """Write one of the export's own files through `output`, recording it in `new`;
    say if it wrote."""
    outcome, fingerprint = output.put(path, data, old.get(path), sync=sync)
    if outcome == "conflict":
        report.conflicts.append(path)
        return False
    new[path] = fingerprint
    if outcome == "written":
        report.written.append(path)
    return outcome == "written"


def _remove_legacy(out: Path) -> list[str]:
    """The state files earlier versions kept in the output folder: they named drafts."""
    removed = []
    for name in LEGACY_STATE:
        with contextlib.suppress(FileNotFoundError):
            if (out / name).is_file() and not (out / name).is_symlink():
                (out / name).unlink()
                removed.append(name)
    return removed


def feed_lists(config: SiteConfig, live: list[dict[str, Any]]) -> dict[str, list[int]]:
    """The ids each feed lists (the newest of each language and category, as
    opdc_cli.feed selects them): when neither these nor the listed articles change,
    the feeds' bytes cannot change and they are not rebuilt."""
    limit = config.feed.limit
    lists: dict[str, list[int]] = {
        f"{lang}/{category or ''}": []
        for lang in config.languages
        for category in (None, *config.categories)
    }
    open_lists = len(lists)
    for entry in live:  # newest first: stop as soon as every list is full
        for lang in entry["cards"]:
            for key in (f"{lang}/", f"{lang}/{entry['category']}"):
                ids = lists.get(key)
                if ids is not None and len(ids) < limit:
                    ids.append(entry["id"])
                    if len(ids) == limit:
                        open_lists -= 1
        if not open_lists:
            break
    return lists


def _run(
    job: _Job,
    renderer: _Renderer,
    tasks: list[tuple[int, list[str], dict[str, str]]],
    jobs: int | None,
    progress: Progress | None,
) -> Iterator[_Result]:
    """Build the tasks' articles, over a pool of processes when there are many."""
    total = len(tasks)
    if progress:
        progress("articles", 0, total)
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and total >= POOL_THRESHOLD and hasattr(os, "fork"):
        # fork: the workers start from this process's memory, nothing to re-import.
        import multiprocessing

        context = multiprocessing.get_context("fork")
        with context.Pool(jobs, initializer=_init_worker, initargs=(job,)) as pool:
            for done, result in enumerate(pool.imap_unordered(_work, tasks, chunksize=16), start=1):
                if progress:
                    progress("articles", done, total)
                yield result
        return
    for done, task in enumerate(tasks, start=1):
        result = _build(renderer, *task)
        if progress:
            progress("articles", done, total)
        yield result


def _write_indexes(
    renderer: _Renderer,
    ordered: list[dict[str, Any]],
    key: str,
    old: dict[str, list[str]],
    recorded: dict[str, list[str]],
    listing: _Listing,
    cards_for: Callable[[list[int]], dict[int, dict[str, dict[str, Any]]]],
    report: ExportReport,
    progress: Progress | None,
) -> tuple[dict[str, list[str]], bool]:
    """Render the index pages whose entries changed: every index page's path with the
    hash of its inputs and its fingerprint, and whether they were synced as they
    were written. `old` is the last export's (when built alike), `recorded` what it
    wrote whatever the build."""
    config = renderer.config
    listed: dict[tuple[str, str | None], list[dict[str, Any]]] = {
        (lang, category): [] for lang in config.languages for category in (None, *config.categories)
    }
    for entry in ordered:
        for lang in entry["cards"]:
            for group in ((lang, None), (lang, entry["category"])):
                if group in listed:
                    listed[group].append(entry)
    size = config.html.page_size
    plan: list[tuple[str, str | None, int, int, list[dict[str, Any]], str]] = []
    for (lang, category), members in listed.items():
        chunks = [members[i : i + size] for i in range(0, len(members), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            path = urls.index_path(lang, number, category)
            plan.append((lang, category, number, len(chunks), chunk, path))
            if lang == config.primary_language and category is None and number == 1:
                # The site's front door: the primary language's home page.
                plan.append((lang, category, number, len(chunks), chunk, "index.html"))
    written: dict[str, list[str]] = {}
    todo = []
    keys: dict[str, str] = {}
    for lang, category, number, count, chunk, path in plan:
        parts = [key, path, lang, category or "", str(number), str(count)]
        parts.extend(entry["cards"][lang] for entry in chunk)
        page_key = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()
        keys[path] = page_key
        before = old.get(path)
        if before is not None and _pair(before) and before[0] == page_key and listing.has(path):
            written[path] = before
            continue
        todo.append((lang, category, number, count, chunk, path))
    known = cards_for(sorted({entry["id"] for *_, chunk, _path in todo for entry in chunk}))
    synced = len(todo) < POOL_THRESHOLD
    for done, (lang, category, number, count, chunk, path) in enumerate(todo, start=1):
        cards = [known[entry["id"]][lang] for entry in chunk]
        html = renderer.index(lang, category, cards, number, count, path)
        before = recorded.get(path)
        fingerprint = before[1] if before is not None and _pair(before) else None
        outcome, fingerprint = renderer.output.put(path, html.encode(), fingerprint, sync=synced)
        if outcome == "conflict":
            report.conflicts.append(path)
        else:
            written[path] = [keys[path], fingerprint]
            if outcome == "written":
                report.written.append(path)
        if progress:
            progress("indexes", done, len(todo))
    return written, synced


def _write_feeds(
    site: Site,
    renderer: _Renderer,
    now: datetime,
    old: dict[str, str],
    new: dict[str, str],
    report: ExportReport,
) -> None:
    """Every feed, in place under feeds/ (opdc_cli.feed), through the same gate and
    the same rule for what may be written as the pages."""
    from opdc_cli.feed import write_feeds

    out = renderer.job.out

    def write(path: Path, data: bytes) -> bool:
        return _put(
            renderer.output, path.relative_to(out).as_posix(), data, old, new, report, sync=True
        )

    write_feeds(site, out, now=now, warn=report.warnings.append, gate=renderer.gate, write=write)
