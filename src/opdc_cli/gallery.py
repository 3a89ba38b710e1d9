"""Photo naming and the gallery data: what the page lists under "รูปภาพ".

Originals are `media/<id>/img<id>_<n>.<ext>`; the web size is
`img<id>_<n>_resize.jpg` and the thumbnail `img<id>_<n>_thumb.jpg` beside it, and
the article's first photo also gets its share image, `img<id>_<n>_share.jpg`
(what a shared link shows: SHARE_SIZE, cropped to fill). `media/<id>/.resize.json`,
written by `opdc media resize`, records what each output was made from and its
pixel size. `made_names` is the one list of what is made from a photo.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from opdc_cli.errors import OpdcError
from opdc_cli.model import Article, Photo

ORIGINAL_RE = re.compile(r"^img(\d+)_(\d+)\.([A-Za-z0-9]+)$")
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
MANIFEST = ".resize.json"
# The longest name part, in UTF-8 bytes: file systems allow 255, and the web size
# and thumbnail add "_resize.jpg" to a photo's name.
MAX_NAME_BYTES = 240


def original_name(article_id: int, number: int, ext: str) -> str:
    return f"img{article_id}_{number}.{ext.lower().lstrip('.')}"


def attachment_name(article_id: int, number: int, ext: str) -> str:
    """An attachment's canonical name in media/<id>/, as the sample's att26463_1.pdf."""
    return f"att{article_id}_{number}.{ext.lower().lstrip('.')}"


# The extensions opdc gives the originals it copies in (media.EXTENSIONS's values).
ORIGINAL_EXTENSIONS = ("jpg", "png", "webp", "tif", "gif")


def unused_originals(article_id: int, names: Iterable[str], used: Iterable[str]) -> list[str]:
    """Of the files `names` of media/<id>/, the originals opdc would have named (its
    canonical `img<id>_<n>.<ext>`) that the article does not use: what an interrupted
    `opdc media add` leaves, and all that `opdc media clean` removes (with their web
    size and thumbnail)."""
    used = set(used)
    found = []
    for name in names:
        match = ORIGINAL_RE.match(name)
        if (
            match is not None
            and name not in used
            and int(match.group(1)) == article_id
            and name == original_name(article_id, int(match.group(2)), match.group(3))
            and match.group(3) in ORIGINAL_EXTENSIONS
        ):
            found.append(name)
    return sorted(found)


def web_name(original: str) -> str:
    """`img26461_1.jpg` -> `img26461_1_resize.jpg` (always JPEG)."""
    return f"{PurePosixPath(original).stem}_resize.jpg"


def thumb_name(original: str) -> str:
    return f"{PurePosixPath(original).stem}_thumb.jpg"


# The share image: what OpenGraph and Twitter cards show best (1.91:1), kept under
# the size chat apps fetch without giving up.
SHARE_SIZE = (1200, 630)
SHARE_MAX_BYTES = 300_000


def share_name(original: str) -> str:
    """`img26461_1.jpg` -> `img26461_1_share.jpg`: made for an article's first photo."""
    return f"{PurePosixPath(original).stem}_share.jpg"


def made_names(original: str, *, first: bool = True) -> tuple[str, ...]:
    """The files `opdc media resize` makes from photo `original`: its web size and
    thumbnail, and its share image when it is the article's `first` photo. With the
    default, every file that can be made from it (what `media clean` may remove)."""
    names = (web_name(original), thumb_name(original))
    return (*names, share_name(original)) if first else names


def format_kb(size: int) -> str:
    """Bytes as the reference page prints them: 105216 -> "102.75 kb", 106701 -> "104.2 kb"."""
    return f"{size / 1024:.2f}".rstrip("0").rstrip(".") + " kb"


def check_media_name(name: str) -> str | None:
    """Why `name` cannot be a file of media/<id>/, or None when it is a plain file name."""
    if not name:
        return "the file name is empty"
    if "\x00" in name:
        return "the file name contains a NUL character"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute path is not allowed: name a file inside media/<id>/"
    if "\\" in name:
        return "backslashes are not allowed in media paths: use the plain file name"
    parts = name.split("/")
    if ".." in parts:
        return "'..' would leave media/<id>/: name a file inside it"
    if any(WINDOWS_RESERVED.match(part) for part in parts):
        return "a Windows-reserved name (CON, NUL, …) is not allowed"
    if any(part in ("", ".") for part in parts):
        return "the path has an empty or '.' part"
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in parts):
        return f"a name longer than {MAX_NAME_BYTES} bytes: give the file a shorter name"
    return None


def real_media_folder(media_dir: Path, article_id: int) -> Path | None:
    """media/<id>/ resolved, or None when it (or media/ itself) is a link that leads out
    of the site: nothing behind such a link is ever read for publication."""
    try:
        expected = media_dir.parent.resolve() / media_dir.name / str(article_id)
        folder = (media_dir / str(article_id)).resolve()
    except (OSError, RuntimeError):
        return None
    return folder if folder == expected else None


def media_path(media_dir: Path, article_id: int, name: str) -> Path:
    """The path of file `name` of article `article_id`, proven to stay inside media/<id>/.

    Raises OpdcError for names that leave the folder (absolute, `..`, backslash,
    NUL, a symlink pointing out, media/<id>/ itself a link out of the site) so that
    no command ever reads or copies outside it.
    """
    problem = check_media_name(name)
    folder = media_dir / str(article_id)
    real = real_media_folder(media_dir, article_id)
    if real is None and problem is None:
        problem = "media/<id>/ is a symbolic link out of the site's media/ folder"
    if problem is None:
        path = folder / name
        try:
            resolved = path.resolve()
            inside = real is not None and resolved.is_relative_to(real)
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            problem = "the path leaves media/<id>/ (through a symbolic link)"
        else:
            return path
    raise OpdcError(
        f"media file {name!r} of article {article_id}: {problem}", folder, code="OPDC301"
    )


class MediaFolder:
    """What one media/<id>/ holds, listed once: the one listing of `opdc validate`,
    `opdc media resize` and `opdc media clean`.

    Looking up a plain name costs no system call; a name with a folder, a symbolic
    link, or a name check_media_name refuses gets media_path's full containment check.
    The listing does not follow media/<id>/ out of the site: check `real_media_folder`
    first (validate does), or rely on `path_of`/`stat`, which do.
    """

    def __init__(self, media_dir: Path, article_id: int) -> None:
        self.media_dir = media_dir
        self.article_id = article_id
        self.path = media_dir / str(article_id)
        # Each file by its name relative to the folder (sub-folders included, hidden
        # names aside): its stat, or None when it is not a regular file (a folder's
        # link, a broken link, a pipe).
        self.files: dict[str, os.stat_result | None] = {}
        # Names that are symbolic links: they may point out of media/<id>/.
        self.links: set[str] = set()
        # The hidden names of the folder itself (.resize.json, temporary files): kept
        # unread, since only a photo given a hidden name is ever looked up among them.
        self._hidden: dict[str, os.DirEntry[str]] = {}
        self._list_files()

    def _list_files(self) -> None:
        # validate lists every article's folder: names bound locally, the stat inline.
        files, links, hidden = self.files, self.links, self._hidden
        pending = [(self.path, "")]
        while pending:
            directory, prefix = pending.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            for entry in entries:
                name = prefix + entry.name
                if entry.is_symlink():
                    links.add(name)
                if entry.name.startswith("."):
                    if not prefix:
                        hidden[name] = entry
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), name + "/"))
                    continue
                try:
                    found: os.stat_result | None = entry.stat()
                except OSError:
                    found = None
                files[name] = found if found and stat.S_ISREG(found.st_mode) else None

    @property
    def manifest(self) -> bool:
        """media/<id>/.resize.json is there (opdc media resize's record of its outputs)."""
        return MANIFEST in self._hidden

    def plain(self, name: str) -> bool:
        """`name` is a file of the folder itself, no link, a name check_media_name accepts:
        it cannot lead out of media/<id>/, and the listing answers for it."""
        return "/" not in name and name not in self.links and check_media_name(name) is None

    def path_of(self, name: str) -> Path:
        """The path of file `name`; OpdcError if it leaves media/<id>/."""
        if self.plain(name):
            return self.path / name
        return media_path(self.media_dir, self.article_id, name)

    def stat(self, name: str) -> os.stat_result | None:
        """The file's stat, None if it is missing or not a regular file; OpdcError if it
        leaves media/<id>/."""
        if self.plain(name):
            if name in self.files:
                return self.files[name]
            found = None
            with contextlib.suppress(OSError):  # removed since it was listed
                found = self._hidden[name].stat() if name in self._hidden else None
            return found if found and stat.S_ISREG(found.st_mode) else None
        try:
            return media_path(self.media_dir, self.article_id, name).stat()
        except OSError:
            return None

    def fresh(self, name: str, made: tuple[str, ...] | None = None) -> bool:
        """The outputs of photo `name` (`made`, when the caller has their names already;
        else its web size and thumbnail) exist and are newer than it, and no manifest
        says otherwise: what media.stale_outputs would conclude, without its work."""
        if self.manifest:
            return False
        original = self.files.get(name)
        outputs = [self.files.get(output) for output in made or made_names(name, first=False)]
        return original is not None and all(
            out is not None and out.st_mtime_ns >= original.st_mtime_ns for out in outputs
        )


def jpeg_size(path: Path, *, until_scan: bool = False) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, without decoding; None if unreadable.

    With `until_scan`, the segments are followed on to the start of the image data
    (SOS), as Pillow's `Image.open` does: a header check of the same strength, five
    times cheaper, for validating many photos.
    """
    size: tuple[int, int] | None = None
    try:
        with path.open("rb") as handle:
            if handle.read(2) != b"\xff\xd8":
                return None
            while True:
                marker = handle.read(2)
                if len(marker) < 2 or marker[0] != 0xFF:
                    return None
                if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
                    continue
                if marker[1] == 0xDA:  # start of scan: the header is complete
                    return size
                length_bytes = handle.read(2)
                if len(length_bytes) < 2:
                    return None
                (length,) = struct.unpack(">H", length_bytes)
                if length < 2:
                    return None
                # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the size.
                if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
                    header = handle.read(5)
                    if len(header) < 5 or length < 7:
                        return None
                    height, width = struct.unpack(">HH", header[1:5])
                    if not until_scan:
                        return width, height
                    if not width or not height:
                        return None
                    size = (width, height)
                    handle.seek(length - 7, 1)
                    continue
                handle.seek(length - 2, 1)
    except OSError:
        return None


@dataclass(frozen=True)
class GalleryItem:
    """One photo as the page shows it: the web file, its size in kB, its pixels."""

    photo: Photo
    original: str
    web: str
    thumb: str
    web_bytes: int | None
    width: int | None
    height: int | None
    thumb_bytes: int | None = None
    thumb_width: int | None = None
    thumb_height: int | None = None
    # The first photo's share image (`share_name`), when it is made: its pixels.
    share: tuple[int, int] | None = None

    @property
    def ready(self) -> bool:
        """The web size exists (made by `opdc media resize`)."""
        return self.web_bytes is not None

    @property
    def share_file(self) -> str:
        return share_name(self.original)

    @property
    def size_label(self) -> str:
        return format_kb(self.web_bytes) if self.web_bytes is not None else ""


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def _size_in(folder: Path, real_folder: Path, article_id: int, name: str) -> int | None:
    """The size of file `name` of `folder` if it is a regular file inside it, else None.

    Same answer as media_path + stat, but a plain file costs one lstat: only a
    symbolic link is resolved (and must stay inside), so a gallery of thousands of
    articles does not pay a full path resolution per photo.
    """
    if "/" in name:
        try:
            return _size(media_path(folder.parent, article_id, name))
        except OpdcError:
            return None
    if check_media_name(name) is not None:
        return None
    path = folder / name
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            if not path.resolve().is_relative_to(real_folder):
                return None
            info = path.stat()
    except (OSError, RuntimeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The entries of media/<id>/.resize.json by original file name; empty when missing
    or unreadable (the outputs are then simply remade)."""
    try:
        data = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return {}
    photos = data.get("photos") if isinstance(data, dict) else None
    if not isinstance(photos, dict):
        return {}
    return {k: v for k, v in photos.items() if isinstance(v, dict)}


def _dimensions(
    path: Path, size: int | None, recorded: dict[str, Any] | None, key: str
) -> tuple[int, int] | None:
    """An output's pixel size: from the manifest while the file is the one it recorded
    (same byte size), else from the JPEG header."""
    if size is None:
        return None
    output = recorded.get(key) if recorded else None
    if isinstance(output, dict) and output.get("bytes") == size:
        width, height = output.get("width"), output.get("height")
        if isinstance(width, int) and isinstance(height, int):
            return width, height
    return jpeg_size(path)


def gallery(media_dir: Path, article: Article) -> list[GalleryItem]:
    """The article's photos in order, with their web files' and thumbnails' byte sizes
    and pixel dimensions (None for a file not made yet)."""
    folder = media_dir / str(article.id)
    real_folder = real_media_folder(media_dir, article.id)
    if real_folder is None:
        # A link out of the site: its photos are as good as missing.
        return [
            GalleryItem(p, p.file, web_name(p.file), thumb_name(p.file), None, None, None)
            for p in article.photos
        ]
    manifest = read_manifest(folder) if article.photos else {}
    items = []
    for number, photo in enumerate(article.photos):
        web = web_name(photo.file)
        thumb = thumb_name(photo.file)
        size = _size_in(folder, real_folder, article.id, web)
        thumb_size = _size_in(folder, real_folder, article.id, thumb)
        recorded = manifest.get(photo.file)
        dims = _dimensions(folder / web, size, recorded, "web")
        thumb_dims = _dimensions(folder / thumb, thumb_size, recorded, "thumb")
        share = None
        if number == 0:
            share_file = share_name(photo.file)
            share_size = _size_in(folder, real_folder, article.id, share_file)
            share = _dimensions(folder / share_file, share_size, recorded, "share")
        items.append(
            GalleryItem(
                photo=photo,
                original=photo.file,
                web=web,
                thumb=thumb,
                web_bytes=size,
                width=dims[0] if dims else None,
                height=dims[1] if dims else None,
                thumb_bytes=thumb_size,
                thumb_width=thumb_dims[0] if thumb_dims else None,
                thumb_height=thumb_dims[1] if thumb_dims else None,
                share=share,
            )
        )
    return items


def gallery_pages(items: list[GalleryItem], size: int) -> list[list[GalleryItem]]:
    """The gallery's pages as the article's pages show them: the photos with a web size,
    `size` (site.toml's [media] gallery_page_size) to a page; one empty page if none.

    The one paging rule of `opdc show`, the html pages and the data exports.
    """
    ready = [item for item in items if item.ready]
    return [ready[i : i + size] for i in range(0, len(ready), size)] or [[]]
