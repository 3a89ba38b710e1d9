"""The static news site: article pages, index pages, photos and feeds, written incrementally.

`export_site(site, out)` writes a folder a web server can serve as it is:

    index.html                    the primary language's home page
    th/index.html, th/page/2.html the newest articles first, paged
    th/category/<key>/index.html  the same per category (…/page/2.html)
    th/news/26461.html            an article (26461-2.html: its gallery's page 2)
    media/26461/…                 the web sizes, thumbnails and attachments
    feeds/th/rss.xml, …           every feed (opdc_cli.feed.write_all_feeds)
    static/style.css              the style sheet (print rules included)
    .opdc-export.json             the manifest: what each file was built from

Pages come from Jinja2 templates (autoescaping on); a `templates/` folder beside
site.toml overrides any of them by name (and `style.css`).

Incremental: the manifest keeps, per article, the size and modification time of
its files and of its media folder, and what its index entries show. A re-export
re-reads only the articles whose files changed, renders their pages, and renders
an index page only when an entry on it changed; a page whose bytes would not
change is not rewritten. Files are written to a temporary name and renamed, and
the manifest is written last, so an interrupted export leaves the previous site
whole and the next run completes it. Files opdc did not write are left alone
unless `clean` is set.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from opdc_cli import __version__, store, thai, urls
from opdc_cli.content import Site
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.fsutil import write_if_changed
from opdc_cli.gallery import GalleryItem, check_media_name, format_kb, gallery, media_path
from opdc_cli.labels import label, total_line
from opdc_cli.model import Article
from opdc_cli.site import SITE_FILE, SiteConfig

if TYPE_CHECKING:
    import jinja2

# Bump when the page-building code changes what it writes: every page is then rebuilt.
FORMAT = 1
MANIFEST = ".opdc-export.json"
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
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    problems: list[OpdcError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    """Everything a worker process needs to build article pages."""

    config: SiteConfig
    media_dir: Path
    out: Path
    templates: Path
    now: datetime
    with_originals: bool


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


def _is_live(entry: dict[str, Any], now: datetime) -> bool:
    return bool(entry["status"] == "published" and datetime.fromisoformat(entry["date"]) <= now)


class _Renderer:
    """Renders pages from plain data with the site's templates (one per process)."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.config = job.config
        self.env = _environment(job.templates)

    def render(self, template: str, context: dict[str, Any]) -> str:
        import jinja2

        try:
            return self.env.get_template(template).render(context)
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
            "t": partial(label, lang),
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


def _publish_media(source: Path, target: Path) -> bool:
    """Hard-link (or copy) `source` to `target` unless it is already there; say if it wrote.

    A new name is linked in one step (a link appears complete); an outdated file is
    replaced through a temporary name, so a reader never sees half a photo.
    """
    try:
        os.link(source, target)
        return True
    except FileNotFoundError:
        if not source.exists():
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        return _publish_media(source, target)
    except OSError:
        pass  # taken, or another file system or links not allowed (then a copy)
    try:
        have, want = target.stat(), source.stat()
        if (have.st_ino == want.st_ino and have.st_dev == want.st_dev) or (
            have.st_size == want.st_size and have.st_mtime_ns == want.st_mtime_ns
        ):
            return False
    except FileNotFoundError:
        pass
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    try:
        try:
            os.link(source, temp)
        except OSError:
            shutil.copy2(source, temp)  # keeps the time, so the next run can tell it is the same
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True


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
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    # OpdcError's parts: an exception with extra fields does not survive pickling whole.
    problem: tuple[str, str | None, int | None, int | None, str | None] | None = None
    fatal: bool = False


def _as_parts(exc: OpdcError) -> tuple[str, str | None, int | None, int | None, str | None]:
    return (exc.message, str(exc.path) if exc.path else None, exc.line, exc.col, exc.code)


def _build(renderer: _Renderer, article_id: int, paths: list[str]) -> _Result:
    job = renderer.job
    result = _Result(article_id)
    files = [f for f in (store.classify(Path(p)) for p in paths) if f is not None]
    try:
        article = store.read_article(files, job.config)
    except OpdcError as exc:
        result.problem = _as_parts(exc)
        return result
    items = gallery(job.media_dir, article)
    entry: dict[str, Any] = {
        "id": article.id,
        "date": article.date.isoformat(),
        "status": article.status,
        "category": article.category,
        "cards": renderer.cards(article, items),
        "pages": [],
        "media": [],
    }
    if article.is_live(job.now):
        try:
            pages, media = renderer.article(article, items, result.warnings)
        except OpdcError as exc:
            result.problem = _as_parts(exc)
            result.fatal = True
            return result
        for path, html in pages.items():
            if write_if_changed(job.out / path, html, sync=False):
                result.written.append(path)
            else:
                result.unchanged += 1
        for path in media:
            parts = path.split("/")
            source = job.media_dir / parts[1] / "/".join(parts[2:])
            if _publish_media(source, job.out / path):
                result.written.append(path)
            else:
                result.unchanged += 1
        entry["pages"] = list(pages)
        entry["media"] = media
    result.entry = entry
    return result


def _work(task: tuple[int, list[str]]) -> _Result:
    assert _WORKER is not None
    return _build(_WORKER, *task)


# --- the manifest ----------------------------------------------------------------------


def _load_manifest(out: Path, report: ExportReport) -> dict[str, Any]:
    path = out / MANIFEST
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        report.warnings.append(f"{path}: unreadable export manifest, rebuilding every page")
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    return data


def _stamp(paths: Iterable[Path], media: Path, root: Path) -> list[Any]:
    """Size and modification time (ns) of the article's files and of its media folder.

    Replacing a photo by renaming a new file into place (as `opdc media resize` and
    every atomic writer do) changes the folder's time, so the folder stands for its files.
    """
    stamp: list[Any] = []
    for path in paths:
        info = path.stat()
        stamp.append([path.relative_to(root).as_posix(), info.st_size, info.st_mtime_ns])
    try:
        stamp.append(media.stat().st_mtime_ns)
    except FileNotFoundError:
        stamp.append(None)
    return stamp


# --- the export ------------------------------------------------------------------------


def check_output(site: Site, out: Path, clean: bool) -> Path:
    """The output folder, resolved; UsageError when writing there could harm the site."""
    target = out.resolve()
    root = site.root.resolve()
    if target == root or root.is_relative_to(target):
        raise UsageError(
            f"-o {out}: that folder holds the site itself; export into a folder of its own, "
            "e.g. -o public"
        )
    for inner in (site.articles_dir, site.media_dir, site.root / "templates", site.cache_dir):
        if target.is_relative_to(inner.resolve()):
            raise UsageError(f"-o {out}: inside the site's {inner.name}/; choose another folder")
    if target.exists() and not target.is_dir():
        raise UsageError(f"-o {out}: is a file; the html export needs a folder")
    if clean and target.is_dir() and not (target / MANIFEST).is_file() and any(target.iterdir()):
        raise UsageError(
            f"-o {out}: --clean would delete files in a folder opdc has not exported to "
            f"(no {MANIFEST}); empty it yourself or choose a new folder"
        )
    if (target / SITE_FILE).exists():
        raise UsageError(f"-o {out}: holds a {SITE_FILE}; that is a site, not an export folder")
    return target


def _pages_exist(out: Path, paths: Iterable[str]) -> bool:
    return all(os.path.exists(out / path) for path in paths)


def export_site(
    site: Site,
    out: Path,
    *,
    now: datetime | None = None,
    clean: bool = False,
    with_originals: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Write (or bring up to date) the static site of `site` in `out`; what was done.

    Only published articles whose date has come (by `now`, default the clock) get
    pages. Unreadable article files are reported in `problems` (their previous
    pages stay); a broken template raises OpdcError.
    """
    config = site.config
    now = now or datetime.now(config.tz)
    out = check_output(site, out, clean)
    templates = site.root / "templates"
    report = ExportReport()
    job = _Job(config, site.media_dir, out, templates, now, with_originals)
    renderer = _Renderer(job)
    for name in ("article.html", "index.html"):
        try:
            renderer.env.get_template(name)
        except Exception as exc:  # jinja2's errors, imported lazily
            raise _template_error(exc, templates) from None

    key = global_key(config, templates, with_originals)
    manifest = _load_manifest(out, report)
    same_build = manifest.get("global") == key
    old_articles: dict[str, dict[str, Any]] = manifest.get("articles", {}) if same_build else {}

    groups, problems = store.group(site.files())
    report.problems.extend(problems)
    entries: dict[str, dict[str, Any]] = {}
    tasks: list[tuple[int, list[str]]] = []
    for article_id, files in groups.items():
        paths = [f.path for f in files]
        try:
            stamp = _stamp(paths, site.media_folder(article_id), site.root)
        except OSError:
            continue  # deleted while we looked: the next run sees it gone
        cached = old_articles.get(str(article_id))
        if cached is not None and cached["stamp"] == stamp:
            showing = _is_live(cached, now)
            if (showing and cached["pages"] and _pages_exist(out, cached["pages"])) or (
                not showing and not cached["pages"]
            ):
                entries[str(article_id)] = cached
                continue
        entries[str(article_id)] = {"stamp": stamp}
        tasks.append((article_id, [str(p) for p in paths]))

    report.reread = len(tasks)
    for result in _run(job, renderer, tasks, jobs, progress):
        slot = str(result.id)
        if result.problem is not None:
            message, path, line, col, code = result.problem
            error = OpdcError(message, path, line, col, code)
            if result.fatal:
                raise error
            report.problems.append(error)
            if slot in old_articles:
                entries[slot] = old_articles[slot]  # keep what was published, retry next time
            else:
                del entries[slot]
            continue
        assert result.entry is not None
        result.entry["stamp"] = entries[slot]["stamp"]
        entries[slot] = result.entry
        report.written.extend(result.written)
        report.unchanged += result.unchanged
        report.warnings.extend(result.warnings)

    live = {slot: entry for slot, entry in entries.items() if _is_live(entry, now)}
    for entry in entries.values():
        if not _is_live(entry, now):
            entry["pages"], entry["media"] = [], []
    report.articles = len(live)

    outputs: set[str] = set()
    for entry in live.values():
        outputs.update(entry["pages"])
        outputs.update(entry["media"])

    old_indexes: dict[str, str] = manifest.get("indexes", {}) if same_build else {}
    indexes = _write_indexes(renderer, live, out, key, old_indexes, report, progress)
    outputs.update(indexes)

    if write_if_changed(out / STYLE_PATH, _style(templates), sync=False):
        report.written.append(STYLE_PATH)
    else:
        report.unchanged += 1
    outputs.add(STYLE_PATH)

    feeds = _write_feeds(site, out, now, manifest, report, changed=bool(tasks) or not same_build)
    outputs.update(feeds)

    old_outputs = set(manifest.get("outputs", []))
    report.removed.extend(_remove(out, sorted(old_outputs - outputs)))
    if clean:
        report.removed.extend(_clean(out, outputs))
    # One sync for every page and photo written without their own, before the manifest
    # says they are there.
    os.sync()
    write_if_changed(
        out / MANIFEST,
        json.dumps(
            {
                "format": FORMAT,
                "global": key,
                "articles": entries,
                "indexes": indexes,
                "feeds": feeds,
                "outputs": sorted(outputs),
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ),
    )
    return report


def _run(
    job: _Job,
    renderer: _Renderer,
    tasks: list[tuple[int, list[str]]],
    jobs: int | None,
    progress: Progress | None,
) -> Iterator[_Result]:
    """Build the tasks' articles, over a pool of processes when there are many."""
    total = len(tasks)
    if progress:
        progress("articles", 0, total)
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and total >= POOL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods():
        # fork: the workers start from this process's memory, nothing to re-import.
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
    live: dict[str, dict[str, Any]],
    out: Path,
    key: str,
    old: dict[str, str],
    report: ExportReport,
    progress: Progress | None,
) -> dict[str, str]:
    """Render the index pages whose entries changed; their paths with their input hashes."""
    config = renderer.config
    ordered = sorted(
        live.values(), key=lambda e: (datetime.fromisoformat(e["date"]), e["id"]), reverse=True
    )
    plan: list[tuple[str, str | None, int, int, list[dict[str, Any]], str]] = []
    size = config.html.page_size
    for lang in config.languages:
        for category in (None, *config.categories):
            cards = [
                e["cards"][lang]
                for e in ordered
                if lang in e["cards"] and (category is None or e["category"] == category)
            ]
            chunks = [cards[i : i + size] for i in range(0, len(cards), size)] or [[]]
            for number, chunk in enumerate(chunks, start=1):
                path = urls.index_path(lang, number, category)
                plan.append((lang, category, number, len(chunks), chunk, path))
                if lang == config.primary_language and category is None and number == 1:
                    # The site's front door: the primary language's home page.
                    plan.append((lang, category, number, len(chunks), chunk, "index.html"))
    written: dict[str, str] = {}
    todo = []
    for lang, category, number, count, chunk, path in plan:
        page_key = _digest(key, path, lang, category, number, count, [c["hash"] for c in chunk])
        written[path] = page_key
        if old.get(path) == page_key and (out / path).exists():
            continue
        todo.append((lang, category, number, count, chunk, path))
    for done, (lang, category, number, count, chunk, path) in enumerate(todo, start=1):
        html = renderer.index(lang, category, chunk, number, count, path)
        if write_if_changed(out / path, html, sync=False):
            report.written.append(path)
        else:
            report.unchanged += 1
        if progress:
            progress("indexes", done, len(todo))
    return written


def _write_feeds(
    site: Site,
    out: Path,
    now: datetime,
    manifest: dict[str, Any],
    report: ExportReport,
    changed: bool,
) -> list[str]:
    """Every feed, in place under feeds/; rewritten only when articles or the build changed."""
    old: list[str] = manifest.get("feeds", [])
    if not changed and old and _pages_exist(out, old):
        return old
    from opdc_cli.feed import write_feeds

    paths = []
    for result in write_feeds(site, out, now=now, warn=report.warnings.append):
        path = result.path.relative_to(out).as_posix()
        paths.append(path)
        if result.changed:
            report.written.append(path)
        else:
            report.unchanged += 1
    return paths


def _prune(out: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `out` while they are empty."""
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _remove(out: Path, paths: Iterable[str]) -> list[str]:
    """Delete files an earlier export wrote that this one does not."""
    removed = []
    for path in paths:
        target = out / path
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
        _prune(out, target.parent)
    return removed


def _clean(out: Path, keep: set[str]) -> list[str]:
    """Delete every file under `out` that this export did not write (--clean)."""
    removed = []
    for folder, _dirs, files in os.walk(out, topdown=False):
        here = Path(folder)
        for name in files:
            path = (here / name).relative_to(out).as_posix()
            if path == MANIFEST or path in keep:
                continue
            (here / name).unlink()
            removed.append(path)
        if here != out:
            _prune(out, here)
    return sorted(removed)
