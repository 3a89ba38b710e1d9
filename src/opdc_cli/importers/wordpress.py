"""WordPress's export (WXR: RSS 2.0 with the wp: elements `wp export` and Tools →
Export write) as import items.

Posts become articles; the posts a translation plugin links become the languages
of one article: Polylang through its `language` and `post_translations` terms,
WPML through the `_wpml_import_language_code` and `_wpml_import_translation_group`
fields its export add-on writes. Images (in the body, the featured image, and
the images uploaded to the post) and documents (linked in the body or uploaded to
the post) are found in a local copy of wp-content/uploads by their URL path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from opdc_cli.errors import OpdcError
from opdc_cli.importers.htmltext import html_to_text, plain
from opdc_cli.importers.plan import (
    WORDPRESS_STATUSES,
    BadItem,
    Item,
    MediaFile,
    Skipped,
    attachment_file,
    fold,
    media_path,
    photo_file,
)
from opdc_cli.model import Status, Translation
from opdc_cli.site import SiteConfig

WP_NS = "http://wordpress.org/export/"
UPLOADS = "/wp-content/uploads/"
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp", "tif", "tiff"}
LANGUAGE_META = ("_wpml_import_language_code", "_wpml_language_code")
GROUP_META = ("_wpml_import_translation_group", "_wpml_trid")
EMPTY_DATE = "0000-00-00 00:00:00"


@dataclass
class _Post:
    """One <item> of the export, as plain values."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    metas: dict[str, str] = field(default_factory=dict)
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # domain, slug, name

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    @property
    def id(self) -> int:
        value = self.get("post_id")
        return int(value) if value.isdigit() else 0

    def term(self, domain: str) -> tuple[str, str] | None:
        return next(((slug, name) for d, slug, name in self.terms if d == domain), None)


@dataclass
class Reading:
    """What the reader found: the items, and notes for the person importing."""

    entries: list[Item | Skipped]
    notes: list[str]


def _local(tag: Any) -> tuple[str, str]:
    """(namespace, local name) of an lxml tag."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _text(element: Any) -> str:
    return element.text or ""


def _post(element: Any) -> _Post:
    post = _Post(element.sourceline or 0)
    for child in element:
        namespace, name = _local(child.tag)
        if namespace.startswith(WP_NS) and name == "postmeta":
            values = {_local(c.tag)[1]: _text(c) for c in child}
            post.metas[values.get("meta_key", "")] = values.get("meta_value", "")
        elif name == "category" and not namespace:
            post.terms.append(
                (child.get("domain", ""), child.get("nicename", ""), _text(child).strip())
            )
        elif namespace.startswith("http://purl.org/rss/1.0/modules/content"):
            post.values["content"] = _text(child)
        elif namespace.startswith(WP_NS) and namespace.rstrip("/").endswith("excerpt"):
            post.values["excerpt"] = _text(child)
        elif namespace.startswith("http://purl.org/dc/elements"):
            post.values[name] = _text(child).strip()
        elif namespace.startswith(WP_NS) or not namespace:
            post.values.setdefault(name, _text(child).strip())
    return post


def _parse(path: Path) -> tuple[list[_Post], dict[str, str]]:
    """Every <item> and the authors' display names; OpdcError with the line and column
    of the first fault of a malformed file."""
    from lxml import etree

    posts: list[_Post] = []
    authors: dict[str, str] = {}
    try:
        for _, element in etree.iterparse(
            str(path), events=("end",), resolve_entities=False, no_network=True, huge_tree=True
        ):
            namespace, name = _local(element.tag)
            if name == "item" and not namespace:
                posts.append(_post(element))
                element.clear(keep_tail=False)
            elif name == "author" and namespace.startswith(WP_NS):
                values = {_local(c.tag)[1]: _text(c).strip() for c in element}
                login = values.get("author_login", "")
                authors[login] = values.get("author_display_name", "") or login
                element.clear(keep_tail=False)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        raise OpdcError(
            f"not well-formed XML: {exc.msg}; nothing was imported", path, line, col + 1, "OPDC141"
        ) from None
    except OSError as exc:
        raise OpdcError(f"cannot read the file: {exc}", path, code="OPDC100") from None
    return posts, authors


# --- one post -----------------------------------------------------------------------


def _date(post: _Post, config: SiteConfig) -> datetime:
    gmt, local = post.get("post_date_gmt"), post.get("post_date")
    try:
        if gmt and gmt != EMPTY_DATE:
            when = datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            return when.astimezone(config.tz)
        return datetime.strptime(local, "%Y-%m-%d %H:%M:%S").replace(tzinfo=config.tz)
    except ValueError:
        raise BadItem(f"the date {local or gmt!r} is not a date and time") from None


def _language(post: _Post, config: SiteConfig) -> str:
    term = post.term("language")
    code = term[0] if term else next((post.metas[k] for k in LANGUAGE_META if k in post.metas), "")
    code = code.lower().replace("_", "-").split("-")[0]
    if not code:
        return config.primary_language
    if code not in config.languages:
        raise BadItem(f"language {code!r} is not in site.toml's ({', '.join(config.languages)})")
    return code


def _group(post: _Post) -> str:
    term = post.term("post_translations")
    if term:
        return f"pll:{term[0]}"
    meta = next((post.metas[k] for k in GROUP_META if post.metas.get(k)), "")
    return f"wpml:{meta}" if meta else f"post:{post.id}"


def _uploads_path(url: str) -> str | None:
    """The path below wp-content/uploads of a URL, or None for a file held elsewhere."""
    path = unquote(urlsplit(url.strip()).path)
    at = path.find(UPLOADS)
    return path[at + len(UPLOADS) :] if at >= 0 else None


def _original(relative: str, media_dir: Path) -> Path | None:
    """The uploaded original for a resized copy's name (a-300x200.jpg → a.jpg) when it
    is there, else the file named; None if the path leaves the folder."""
    found = media_path(media_dir, relative)
    if found is None:
        return None
    stem, dot, ext = found.name.rpartition(".")
    base, dash, size = stem.rpartition("-")
    width, x, height = size.partition("x")
    if dash and x and width.isdigit() and height.isdigit():
        bigger = found.with_name(f"{base}{dot}{ext}")
        if bigger.is_file():
            return bigger
    return found


@dataclass
class _Media:
    """The photos and documents of one post, by their uploads path."""

    photos: dict[str, dict[str, str]] = field(default_factory=dict)
    documents: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, relative: str | None, text: str, lang: str, photo: bool) -> None:
        if not relative:
            return
        texts = (self.photos if photo else self.documents).setdefault(relative, {})
        if text and not texts.get(lang):
            texts[lang] = text


def _is_image(relative: str) -> bool:
    return relative.rpartition(".")[2].lower() in IMAGE_EXTENSIONS


def _attachment_text(attachment: _Post) -> str:
    caption = plain(attachment.get("excerpt"))
    return caption or attachment.metas.get("_wp_attachment_image_alt", "").strip()


def _attachment_path(attachment: _Post) -> str | None:
    return attachment.metas.get("_wp_attached_file") or _uploads_path(
        attachment.get("attachment_url")
    )


class _Reader:
    def __init__(self, posts: list[_Post], authors: dict[str, str], config: SiteConfig) -> None:
        self.config = config
        self.authors = authors
        self.attachments = {p.id: p for p in posts if p.get("post_type") == "attachment"}
        self.children: dict[int, list[_Post]] = {}
        for attachment in self.attachments.values():
            parent = attachment.get("post_parent")
            if parent.isdigit():
                self.children.setdefault(int(parent), []).append(attachment)

    def media(self, post: _Post, lang: str, html_images: list[Any], links: list[Any]) -> _Media:
        found = _Media()
        by_path = {_attachment_path(a): a for a in self.children.get(post.id, [])}
        thumb = self.attachments.get(int(post.metas.get("_thumbnail_id", "0") or 0))
        if thumb is not None and thumb.get("post_type") == "attachment":
            found.add(_attachment_path(thumb), _attachment_text(thumb), lang, True)
        for image in html_images:
            relative = _uploads_path(image.src)
            attachment = by_path.get(relative)
            text = image.alt or (_attachment_text(attachment) if attachment else "")
            found.add(relative, text, lang, True)
        for link in links:
            relative = _uploads_path(link.href)
            if relative and not _is_image(relative):
                found.add(relative, link.text, lang, False)
        for attachment in self.children.get(post.id, []):
            relative = _attachment_path(attachment)
            if relative and _is_image(relative):
                found.add(relative, _attachment_text(attachment), lang, True)
            elif relative:
                found.add(relative, plain(attachment.get("title")), lang, False)
        return found

    def translation(self, post: _Post) -> tuple[Translation, Any]:
        title = plain(post.get("title"))
        if not title:
            raise BadItem("it has no title")
        body = html_to_text(post.get("content"))
        creator = post.get("creator")
        credit = self.authors.get(creator, creator)
        return Translation(title, body.body, plain(post.get("excerpt")), credit), body


def _status(post: _Post, statuses: dict[str, Status]) -> Status:
    raw = post.get("status")
    if raw not in statuses:
        raise BadItem(f"status {raw!r} has no opdc status: give --status-map {raw}=draft")
    return statuses[raw]


def _label(post: _Post) -> str:
    title = plain(post.get("title"))[:50]
    return f"post {post.id} (line {post.line}){': ' + title if title else ''}"


def _files(
    media: dict[str, dict[str, str]], media_dir: Path, config: SiteConfig, photos: bool
) -> list[MediaFile]:
    """The local files, once each: a resized copy in the body and the featured original
    are one photo, its texts merged."""
    found: dict[Path, dict[str, str]] = {}
    for relative, texts in media.items():
        path = _original(relative, media_dir)
        if path is None:
            raise BadItem(f"{relative}: a path that leaves --media-dir")
        merged = found.setdefault(path, {})
        merged.update({k: v for k, v in texts.items() if v and not merged.get(k)})
    return [
        photo_file(path, config, texts) if photos else attachment_file(path, texts)
        for path, texts in found.items()
    ]


def _item(
    group: list[tuple[str, _Post]],
    reader: _Reader,
    media_dir: Path | None,
    statuses: dict[str, Status],
) -> Item:
    config = reader.config
    group.sort(key=lambda pair: config.languages.index(pair[0]))
    first = group[0][1]
    translations: dict[str, Translation] = {}
    photos: dict[str, dict[str, str]] = {}
    documents: dict[str, dict[str, str]] = {}
    tags: dict[str, str] = {}
    for code, post in group:
        translations[code], body = reader.translation(post)
        found = reader.media(post, code, body.images, body.links)
        for mine, theirs in ((photos, found.photos), (documents, found.documents)):
            for relative, texts in theirs.items():
                mine.setdefault(relative, {}).update(texts)
        for domain, _, name in post.terms:
            if domain == "post_tag" and name:
                tags.setdefault(fold(name), name)
    category = next(((slug, name) for d, slug, name in first.terms if d == "category"), None)
    guid = first.get("guid") or first.get("link") or f"?p={first.id}"
    item = Item(
        label=_label(first),
        source=f"wordpress:{guid}",
        date=_date(first, config),
        status=_status(first, statuses),
        categories=tuple(s for s in category or () if s),
        translations=translations,
        tags=tuple(tags.values()),
        id=first.id or None,
    )
    if media_dir is not None:
        item.photos = _files(photos, media_dir, config, True)
        item.attachments = _files(documents, media_dir, config, False)
    return item


def _groups(
    posts: list[_Post], config: SiteConfig
) -> tuple[list[list[tuple[str, _Post]]], list[Skipped]]:
    """The posts (not pages, menus, trash) by translation group, each with its language."""
    groups: dict[str, list[tuple[str, _Post]]] = {}
    skipped: list[Skipped] = []
    for post in posts:
        if post.get("post_type") != "post" or post.get("status") in ("trash", "auto-draft"):
            continue
        try:
            lang = _language(post, config)
        except BadItem as exc:
            skipped.append(Skipped(_label(post), str(exc)))
            continue
        members = groups.setdefault(_group(post), [])
        if any(code == lang for code, _ in members):
            skipped.append(Skipped(_label(post), f"a second {lang} version of one article"))
            continue
        members.append((lang, post))
    return list(groups.values()), skipped


def _has_media(reader: _Reader, group: list[tuple[str, _Post]]) -> bool:
    return any(reader.children.get(p.id) or "<img" in p.get("content") for _, p in group)


def read_wordpress(
    path: Path,
    config: SiteConfig,
    media_dir: Path | None,
    status_map: dict[str, Status] | None = None,
) -> Reading:
    """The posts of a WXR file as items (translations paired), and skipped lines."""
    posts, authors = _parse(path)
    reader = _Reader(posts, authors, config)
    statuses = {**WORDPRESS_STATUSES, **(status_map or {})}
    groups, skipped = _groups(posts, config)
    entries: list[Item | Skipped] = list(skipped)
    wanted_media = 0
    for group in groups:
        try:
            entries.append(_item(group, reader, media_dir, statuses))
        except BadItem as exc:
            entries.append(Skipped(_label(group[0][1]), str(exc)))
        if media_dir is None:
            wanted_media += _has_media(reader, group)
    notes = []
    if wanted_media:
        notes.append(
            f"{wanted_media} article(s) have photos or documents that were not copied: "
            "give --media-dir with a copy of wp-content/uploads"
        )
    return Reading(entries, notes)
