"""Attachments: documents recognised by their content, and what opdc says about them.

A document is accepted when its bytes are what its kind says, whatever its name:
a PDF starts with `%PDF-` and pypdf can read its pages; a Word, Excel or
PowerPoint file is a zip whose `[Content_Types].xml` declares the main part of
that kind (and the part is there); an OpenDocument file is a zip whose `mimetype`
entry names its kind. Nothing else of a zip is decompressed, so a zip bomb costs
nothing. Which kinds a site takes is site.toml's `media.attachment_types`.

opdc computes, never asks for: the size, the MIME type, and for a PDF the page
count and whether it has a text layer (a scanned PDF has none: screen readers
cannot read it). pypdf is imported inside the functions that read PDFs.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from opdc_cli.errors import OpdcError
from opdc_cli.gallery import format_kb
from opdc_cli.labels import label
from opdc_cli.model import Article
from opdc_cli.site import MediaSettings, SiteConfig


@dataclass(frozen=True)
class Kind:
    """A document type opdc knows: its extension, MIME type and what pages call it."""

    ext: str
    mime: str
    name: str
    # For Office Open XML: the content type of the main part in [Content_Types].xml.
    main_part: str = ""


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
KINDS: dict[str, Kind] = {
    kind.ext: kind
    for kind in (
        Kind("pdf", "application/pdf", "PDF"),
        Kind(
            "docx",
            f"{_OOXML}.wordprocessingml.document",
            "DOCX",
            f"{_OOXML}.wordprocessingml.document.main+xml",
        ),
        Kind(
            "xlsx",
            f"{_OOXML}.spreadsheetml.sheet",
            "XLSX",
            f"{_OOXML}.spreadsheetml.sheet.main+xml",
        ),
        Kind(
            "pptx",
            f"{_OOXML}.presentationml.presentation",
            "PPTX",
            f"{_OOXML}.presentationml.presentation.main+xml",
        ),
        Kind("odt", f"{_ODF}.text", "ODT"),
        Kind("ods", f"{_ODF}.spreadsheet", "ODS"),
    )
}
DOCUMENT_TYPES: tuple[str, ...] = tuple(KINDS)
ATTACHMENT_RE = re.compile(r"^att(\d+)_(\d+)\.([A-Za-z0-9]+)$")
# The first pages searched for text: a text layer shows on the first pages, and
# reading every page of a long report would cost seconds.
TEXT_PAGES = 5
# [Content_Types].xml and an ODF's mimetype are small; a larger one is not a document.
MAX_PART_BYTES = 1024 * 1024
UNKNOWN_ERROR = "OPDC313"
SIZE_ERROR = "OPDC304"


def attachment_name(article_id: int, number: int, ext: str) -> str:
    """The canonical name of an article's attachment: `att26463_1.pdf`."""
    return f"att{article_id}_{number}.{ext.lower().lstrip('.')}"


@dataclass(frozen=True)
class DocumentInfo:
    """A document as opdc found it: kind, bytes, and for a PDF its pages and text layer."""

    path: Path
    kind: Kind
    bytes: int
    pages: int | None = None
    text_layer: bool | None = None

    @property
    def ext(self) -> str:
        return self.kind.ext

    @property
    def mime(self) -> str:
        return self.kind.mime


class NotADocument(OpdcError):
    """The bytes are not a document of a kind opdc knows (or not the kind named)."""


def _head(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(1024)


def sniff(path: Path) -> str:
    """What the content looks like, for messages and routing: a kind's extension,
    "zip", "html", "image" or "unknown". Reads only the first kilobyte."""
    head = _head(path)
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")):
        return "html"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*")):
        return "image"
    return "unknown"


def looks_like_document(path: Path) -> bool:
    """Is `path` meant as a document: its content is a PDF or a zip, or its name ends
    in a document extension (so that a `.pdf` that is HTML is refused as a PDF, not
    as a photo)?"""
    if path.suffix.lower().lstrip(".") in KINDS:
        return True
    with contextlib.suppress(OSError):
        return sniff(path) in ("pdf", "zip")
    return False


def _xml_root(data: bytes) -> object:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        return None
    return archive.read(info)


def _zip_kind(path: Path) -> str:
    """The kind of an Office or OpenDocument zip, or raise NotADocument saying why."""
    try:
        with zipfile.ZipFile(path) as archive:
            mimetype = _read_part(archive, "mimetype")
            if mimetype is not None:
                declared = mimetype.decode("ascii", "replace").strip()
                for kind in KINDS.values():
                    if kind.mime == declared and "content.xml" in archive.NameToInfo:
                        return kind.ext
                raise NotADocument(
                    f"an OpenDocument zip of type {declared[:80]!r}, not one opdc accepts"
                )
            types = _read_part(archive, "[Content_Types].xml")
            if types is None:
                raise NotADocument(
                    "a zip that is not an Office document (it has no [Content_Types].xml)"
                )
            return _office_kind(archive, types)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise NotADocument(f"a damaged zip ({exc})") from None


def _office_kind(archive: zipfile.ZipFile, types: bytes) -> str:
    from lxml import etree

    try:
        root = _xml_root(types)
    except etree.XMLSyntaxError:
        raise NotADocument("an Office zip whose [Content_Types].xml is not XML") from None
    overrides = {
        (element.get("ContentType") or ""): (element.get("PartName") or "").lstrip("/")
        for element in root.iter("{*}Override")  # type: ignore[attr-defined]
    }
    for kind in KINDS.values():
        part = overrides.get(kind.main_part) if kind.main_part else None
        if part is not None:
            if part not in archive.NameToInfo:
                raise NotADocument(f"a {kind.name} whose main part {part} is missing")
            return kind.ext
    raise NotADocument("an Office zip of no type opdc accepts (a macro-enabled file?)")


def _pdf_facts(path: Path) -> tuple[int, bool | None]:
    """The page count and whether the first pages carry text (None: cannot tell, e.g.
    encrypted). Raises NotADocument when pypdf cannot read the file as a PDF."""
    import pypdf

    # pypdf logs every repaired cross-reference table; the result is what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
        if reader.is_encrypted and not reader.decrypt(""):
            return len(reader.pages), None
        pages = len(reader.pages)
        text = any(reader.pages[i].extract_text().strip() for i in range(min(pages, TEXT_PAGES)))
    # pypdf raises its own errors but also plain ones from deep in a broken file:
    # any of them means the file is not a PDF opdc can publish.
    except Exception as exc:
        raise NotADocument(f"a damaged PDF ({type(exc).__name__}: {str(exc)[:80]})") from None
    if pages == 0:
        raise NotADocument("a PDF without pages")
    return pages, text


def identify(path: Path) -> DocumentInfo:
    """What document `path` is, by its content. Raises NotADocument saying what the
    bytes are instead; OSError when the file cannot be read."""
    size = path.stat().st_size
    found = sniff(path)
    if found == "pdf":
        pages, text = _pdf_facts(path)
        return DocumentInfo(path, KINDS["pdf"], size, pages, text)
    if found == "zip":
        return DocumentInfo(path, KINDS[_zip_kind(path)], size)
    what = {"html": "an HTML page", "image": "an image"}.get(found, "not a document")
    raise NotADocument(f"the content is {what}")


def check_document(
    path: Path, settings: MediaSettings, declared: str | None = None
) -> DocumentInfo:
    """`path` identified and held against the site's allow-list and size limit, and
    against `declared` (an extension: the name's own when not given, if it is a
    document's). Raises OpdcError naming the file and what to do."""
    try:
        info = identify(path)
    except NotADocument as exc:
        raise OpdcError(
            f"{exc.message}: opdc accepts {', '.join(k.name for k in _allowed(settings))} "
            "files, recognised by their content",
            path,
            code=UNKNOWN_ERROR,
        ) from None
    except OSError as exc:
        raise OpdcError(f"cannot read the file: {exc.strerror}", path, code=UNKNOWN_ERROR) from None
    ext = (declared or path.suffix.lstrip(".")).lower()
    if ext in KINDS and ext != info.ext:
        raise OpdcError(
            f"the name says {KINDS[ext].name} but the content is a {info.kind.name}: "
            "pick the right file, or give it its right extension",
            path,
            code=UNKNOWN_ERROR,
        )
    if info.ext not in settings.attachment_types:
        raise OpdcError(
            f"{info.kind.name} files are not in site.toml's media.attachment_types "
            f"({', '.join(settings.attachment_types)})",
            path,
            code=UNKNOWN_ERROR,
        )
    if info.bytes > settings.max_attachment_mb * 1024 * 1024:
        raise OpdcError(
            f"the file is {info.bytes / 1024 / 1024:.1f} MB, more than site.toml's "
            f"media.max_attachment_mb ({settings.max_attachment_mb} MB): publish a smaller file",
            path,
            code=SIZE_ERROR,
        )
    return info


def _allowed(settings: MediaSettings) -> list[Kind]:
    return [KINDS[ext] for ext in settings.attachment_types if ext in KINDS]


def check_documents(paths: Sequence[Path], settings: MediaSettings) -> list[DocumentInfo]:
    """Every path checked by `check_document`, in order. A path that is not a file
    raises UsageError; refused files raise `media.ImagesRejected` listing every one."""
    from opdc_cli.media import check_all

    return check_all(paths, lambda path: check_document(path, settings), "a document")


def taken_numbers(article_id: int, names: Sequence[str]) -> set[int]:
    """The numbers of the canonical attachment names of `article_id` among `names`."""
    numbers = set()
    for name in names:
        match = ATTACHMENT_RE.match(name)
        if match and int(match.group(1)) == article_id:
            numbers.add(int(match.group(2)))
    return numbers


# --- what pages, feeds and exports say about an attachment --------------------------


def published_info(path: Path) -> DocumentInfo | None:
    """What an output says of an attachment file: its kind by content, else by its
    extension (validate reports a mismatch); None when it is not a readable file."""
    try:
        return identify(path)
    except NotADocument:
        try:
            size = path.stat().st_size
        except OSError:
            return None
        ext = path.suffix.lower().lstrip(".")
        kind = KINDS.get(ext) or Kind(ext, "application/octet-stream", ext.upper() or "FILE")
        return DocumentInfo(path, kind, size)
    except OSError:
        return None


def details(info: DocumentInfo, lang: str) -> str:
    """The line pages show beside an attachment: "PDF · 12 หน้า · 245.31 kb"."""
    parts = [info.kind.name]
    if info.pages is not None:
        unit = label(lang, "page_unit" if info.pages != 1 else "page_unit_one")
        parts.append(f"{info.pages} {unit}")
    parts.append(format_kb(info.bytes))
    return " · ".join(parts)


def record(info: DocumentInfo | None) -> dict[str, object]:
    """The facts the JSON and CSV exports carry of an attachment (null when missing)."""
    return {
        "bytes": info.bytes if info else None,
        "type": info.mime if info else None,
        "pages": info.pages if info else None,
    }


def page_entry(info: DocumentInfo, title: str, href: str, lang: str) -> Mapping[str, str]:
    """One item of a page's attachment list."""
    return {
        "href": href,
        "title": title,
        "name": os.path.basename(info.path),
        "type": info.kind.name,
        "mime": info.mime,
        "details": details(info, lang),
    }


def attachment_problems(
    path: Path, settings: MediaSettings
) -> list[tuple[str, Literal["error", "warning"], str]]:
    """What validate says of an attachment file that exists: (code, severity, message)
    for content that is not what its name says (error), a file over the size limit,
    and a PDF without a text layer (warnings)."""
    problems: list[tuple[str, Literal["error", "warning"], str]] = []
    try:
        info = identify(path)
    except NotADocument as exc:
        ext = path.suffix.lower().lstrip(".")
        what = KINDS[ext].name if ext in KINDS else "a document opdc knows"
        return [
            (UNKNOWN_ERROR, "error", f"{exc.message}, not {what}: replace it with the real file")
        ]
    except OSError as exc:
        return [(UNKNOWN_ERROR, "error", f"cannot read the file: {exc.strerror}")]
    ext = path.suffix.lower().lstrip(".")
    if ext != info.ext:
        problems.append(
            (
                UNKNOWN_ERROR,
                "error",
                f"the content is a {info.kind.name}, but the name ends in .{ext}: "
                f"rename it to .{info.ext} (and the article's file = …)",
            )
        )
    elif info.ext not in settings.attachment_types:
        problems.append(
            (
                UNKNOWN_ERROR,
                "error",
                f"{info.kind.name} files are not in site.toml's media.attachment_types "
                f"({', '.join(settings.attachment_types)})",
            )
        )
    if info.bytes > settings.max_attachment_mb * 1024 * 1024:
        problems.append(
            (
                "OPDC312",
                "warning",
                f"{info.bytes / 1024 / 1024:.1f} MB is more than site.toml's "
                f"media.max_attachment_mb ({settings.max_attachment_mb} MB): readers on phones "
                "wait for it; publish a smaller file",
            )
        )
    if info.text_layer is False:
        problems.append(
            (
                "OPDC310",
                "warning",
                "this PDF has no text layer (a scanned document): screen readers cannot read "
                "it and search cannot find it; run OCR on it (e.g. ocrmypdf) and add the result",
            )
        )
    return problems


def enclosures_of(
    config: SiteConfig, media_dir: Path, article: Article
) -> list[tuple[str, int, str]]:
    """(URL, byte length, MIME type) of each attachment the article has in media/<id>/,
    for the feeds' enclosure links; a missing one is left out (validate reports it)."""
    from opdc_cli import urls

    found = []
    for attachment in article.attachments:
        info = attached_info(media_dir, article.id, attachment.file)
        if info is not None:
            url = urls.url(config, urls.media_path(article.id, attachment.file))
            found.append((url, info.bytes, info.mime))
    return found


def attached_info(media_dir: Path, article_id: int, name: str) -> DocumentInfo | None:
    """`published_info` of attachment `name` of an article, None when it is missing or
    its name leaves media/<id>/."""
    from opdc_cli.gallery import media_path

    try:
        path = media_path(media_dir, article_id, name)
    except OpdcError:
        return None
    return published_info(path) if path.is_file() else None


def unused_attachments(article_id: int, names: Sequence[str], used: set[str]) -> list[str]:
    """Of the files `names` of media/<id>/, the attachments under opdc's own names
    (`att<id>_<n>.<ext>` of a known kind) the article does not list: what an
    interrupted `opdc media add` of documents leaves, for `opdc media clean`."""
    return sorted(
        name
        for name in names
        if name not in used
        and (match := ATTACHMENT_RE.match(name)) is not None
        and int(match.group(1)) == article_id
        and name == attachment_name(article_id, int(match.group(2)), match.group(3))
        and match.group(3) in KINDS
    )
