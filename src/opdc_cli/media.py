"""Photos: import under canonical names, the resize pipeline, and what each output was made from.

- `check_images` opens every file a user hands in (an allow-list of formats, the
  size limits of site.toml, a decode at reduced scale) before anything is changed;
  `add_photos` copies them into media/<id>/ as `img<id>_<n>.<ext>` and appends them
  to the article.
- `plan_resize` decides which photos need their web size and thumbnail (re)made;
  `run_resize` makes them, spread over worker processes, each output written to a
  hidden temporary name and renamed into place.
- `media/<id>/.resize.json` records, per photo, the original's size and SHA-256, the
  settings and the outputs' sizes. A fresh git clone gives files arbitrary mtimes, so
  "up to date" never rests on mtimes alone: outputs newer than the original are a
  fast path, otherwise the original's hash decides. `stale_outputs` answers the same
  question for `opdc validate`.

Pillow is imported inside the functions that decode, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from opdc_cli.edit import stale_leftovers
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.fsutil import (
    atomic_write,
    create_exclusive,
    locked,
    remove_files,
    stale_temps,
    write_if_changed,
)
from opdc_cli.gallery import (
    MANIFEST,
    ORIGINAL_RE,
    SHARE_MAX_BYTES,
    SHARE_SIZE,
    MediaFolder,
    made_names,
    original_name,
    read_manifest,
    share_name,
    thumb_name,
    unused_originals,
    web_name,
)
from opdc_cli.model import Article, Attachment, Photo
from opdc_cli.site import MediaSettings, SiteConfig
from opdc_cli.workers import process_pool, worker_count

T = TypeVar("T")

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from opdc_cli.content import Site
    from opdc_cli.documents import DocumentInfo

# Pillow opens by content, whatever the name says: only these formats get in. (A
# multi-picture JPEG opens through "JPEG" and reports itself as "MPO".)
FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "GIF")
PLUGINS = (
    "JpegImagePlugin",
    "PngImagePlugin",
    "WebPImagePlugin",
    "TiffImagePlugin",
    "GifImagePlugin",
)
# gallery.ORIGINAL_EXTENSIONS lists the same values, for `media clean`.
EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "TIFF": "tif",
    "GIF": "gif",
}
FORMAT_NAMES = "JPEG, PNG, WebP, TIFF or GIF"
MANIFEST_VERSION = 1
# Part of the recorded settings: raise it when the way outputs are made changes, so
# that every output is remade once.
PIPELINE = 1
# JPEG originals are decoded by libjpeg's DCT scaling (1/2, 1/4, 1/8) to at least
# this many times the largest output, then resampled with LANCZOS. Not 2, as Pillow's
# thumbnail() uses: the usual 4000x3000 camera photo would then get no scaling for a
# 1024 px web size (2000 < 2048), nor its portrait twin (1500 < 2048). The scaled
# IDCT is itself a low-pass filter: measured against a full decode, a final LANCZOS
# step of 1.4x or more differs by about 44 dB PSNR, invisible.
DRAFT_GAP = 1.4
# Non-JPEG originals (and very large JPEGs) are first shrunk by an integer factor
# with reduce() down to this many times the output size, then resampled.
REDUCING_GAP = 2.0
LOCK_FILE = "media.lock"
_TEMP_RE = re.compile(r"^\.(img\d+_\d+_(resize|thumb|share)\.jpg|\.resize\.json)\..+\.tmp$")
# Two reasons _why_stale gives that callers tell apart from the others.
NOT_RECORDED = "not recorded"
ORIGINAL_MISSING = "the original is missing"
_IMAGE_ERROR = "OPDC302"
_BOMB_ERROR = "OPDC303"
_FILE_SIZE_ERROR = "OPDC304"
_MISSING_ERROR = "OPDC305"


# --- opening images safely ----------------------------------------------------------


@contextlib.contextmanager
def pillow_limits(max_pixels: int) -> Iterator[None]:
    """For the block: Pillow's bomb limit set to site.toml's media.max_pixels, and its
    bomb warning turned into an error; restored afterwards."""
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def bomb_pixels(exc: BaseException) -> int | None:
    """The pixel count in Pillow's decompression-bomb error or warning, if it says."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    return int(found.group(1)) if found else None


def too_many_pixels(pixels: int | None, max_pixels: int) -> str:
    """The one message for a photo over media.max_pixels (media add, resize, validate)."""
    count = f"{pixels:,} pixels" if pixels is not None else "too many pixels"
    return (
        f"{count}, more than site.toml's media.max_pixels ({max_pixels:,}): "
        "a decompression bomb, or a photo to scale down before adding it"
    )


def load_plugins() -> None:
    """Register the allowed formats' Pillow plugins: Image.open then tries only those
    instead of loading all forty."""
    for plugin in PLUGINS:
        importlib.import_module(f"PIL.{plugin}")


def _bomb_message(max_pixels: int, exc: BaseException) -> str:
    return f"the image has {too_many_pixels(bomb_pixels(exc), max_pixels)}"


def _open(source: str | Path | IO[bytes], max_pixels: int) -> PILImage.Image:
    """The image, opened (not decoded) with the allow-list; _Refused says why not.

    Must run inside `pillow_limits`, whose bomb check happens here, before any decoding.
    """
    from PIL import Image, UnidentifiedImageError

    load_plugins()
    try:
        return Image.open(source, formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _Refused(_bomb_message(max_pixels, exc), _BOMB_ERROR) from None
    except UnidentifiedImageError:
        raise _Refused(f"not an image opdc accepts ({FORMAT_NAMES})", _IMAGE_ERROR) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _Refused(f"cannot read the image: {_reason(exc)}", _IMAGE_ERROR) from None


def _load(image: PILImage.Image) -> None:
    """Decode the pixels; a corrupt or truncated file becomes a _Refused."""
    try:
        image.load()
    # Pillow's plugins raise many kinds of errors on damaged files (struct.error,
    # IndexError, ...); one broken photo must fail alone, not stop the others.
    except Exception as exc:
        raise _Refused(f"the image is damaged or truncated: {_reason(exc)}", _IMAGE_ERROR) from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


class _Refused(Exception):
    """Why one image cannot be used (turned into an OpdcError with the file's path)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _orientation(image: PILImage.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    # Broken EXIF must not lose the photo: it is then shown as stored.
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _upright_size(image: PILImage.Image, orientation: int) -> tuple[int, int]:
    # EXIF orientations 5 to 8 turn the picture a quarter: width and height swap.
    return (image.height, image.width) if orientation >= 5 else image.size


# --- checking and adding photos -----------------------------------------------------


@dataclass(frozen=True)
class ImageInfo:
    """A file checked by `check_images`: its format, canonical extension and upright size."""

    path: Path
    format: str
    ext: str
    width: int
    height: int
    bytes: int


class ImagesRejected(OpdcError):
    """Some of the files handed in are not usable photos; `problems` names every one."""

    def __init__(self, problems: list[OpdcError]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            first.message + more + "; nothing was changed", first.path, code=first.code
        )
        self.problems = problems


def inspect_image(path: Path, settings: MediaSettings) -> ImageInfo:
    """Check one photo fully (format, file size, pixel count, a decode at reduced scale).

    Raises OpdcError naming the file and what is wrong with it.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise OpdcError(f"cannot read the file: {exc.strerror}", path, code=_IMAGE_ERROR) from None
    if size > settings.max_file_mb * 1024 * 1024:
        raise OpdcError(
            f"the file is {size / 1024 / 1024:.1f} MB, more than site.toml's "
            f"media.max_file_mb ({settings.max_file_mb} MB): export a smaller JPEG",
            path,
            code=_FILE_SIZE_ERROR,
        )
    try:
        with pillow_limits(settings.max_pixels), _open(path, settings.max_pixels) as image:
            fmt = image.format or ""
            upright = _upright_size(image, _orientation(image))
            if fmt in ("JPEG", "MPO"):
                # A 1/8-scale decode still reads every byte: truncation shows, cheaply.
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            _load(image)
    except _Refused as refused:
        raise OpdcError(refused.message, path, code=refused.code) from None
    return ImageInfo(path, fmt, EXTENSIONS[fmt], upright[0], upright[1], size)


def check_images(paths: Sequence[Path], settings: MediaSettings) -> list[ImageInfo]:
    """Every file checked by `inspect_image`, in order.

    A path that is not a readable file raises UsageError (a wrong command line);
    files that are not usable photos raise ImagesRejected listing all of them.
    """
    return check_all(paths, lambda path: inspect_image(path, settings), "a photo")


def check_all(paths: Sequence[Path], check: Callable[[Path], T], kind: str) -> list[T]:
    """`check` of every path, in order: what `media add` takes in. A path that is not
    a file raises UsageError naming `kind` ("a photo"); files `check` refuses raise
    ImagesRejected listing every one, so nothing is changed for any of them."""
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such file (give the path of {kind})")
    infos: list[T] = []
    problems: list[OpdcError] = []
    for path in paths:
        try:
            infos.append(check(path))
        except OpdcError as exc:
            problems.append(exc)
    if problems:
        raise ImagesRejected(problems)
    return infos


def _next_numbers(article: Article, folder: Path) -> tuple[int, int]:
    """The numbers the next photo and the next attachment are named with: after the
    highest that the article or its folder (an interrupted add's files too) uses."""
    from opdc_cli.documents import taken_numbers as taken_attachments

    names = [photo.file for photo in article.photos]
    names += [attachment.file for attachment in article.attachments]
    with contextlib.suppress(OSError):
        names.extend(os.listdir(folder))
    matches = [match for match in map(ORIGINAL_RE.match, names) if match]
    photos = {int(match.group(2)) for match in matches if int(match.group(1)) == article.id}
    return max(photos, default=0) + 1, max(taken_attachments(article.id, names), default=0) + 1


def add_photos(
    site: Site,
    article: Article | int,
    images: Sequence[ImageInfo],
    captions: Mapping[str, str] | None = None,
    documents: Sequence[DocumentInfo] = (),
    titles: Sequence[Mapping[str, str]] = (),
) -> tuple[Article, list[Path]]:
    """Copy checked photos (and documents) into media/<id>/ and append them to the
    article's [[photos]] (and [[attachments]]), saved: the article and the new files.

    The article is read again from its files under its lock (`Site.edit`), so
    concurrent adds all land and a hand edit saved before is kept; one saved while
    the files are copied makes it fail (ArticleChanged) rather than be lost. Names
    continue after the article's (and the folder's) last number, each file is
    created exclusively (never overwriting one), and only the new entries are
    written into the article, its comments and layout kept; if that fails the
    copies are removed. `captions` (one text per language) is for a single photo;
    `titles` gives each document its title per language."""
    from opdc_cli.documents import attachment_name

    if captions and len(images) != 1:
        raise UsageError("captions can be given only when one photo is added")
    article_id = article if isinstance(article, int) else article.id
    hint = () if isinstance(article, int) else article.sources
    copied: list[Path] = []
    with site.edit(article_id, hint) as editing:
        current = editing.article
        folder = site.media_folder(article_id)
        made = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        remove_files(stale_temps(folder))
        number, att_number = _next_numbers(current, folder)
        photos: list[Photo] = []
        attachments: list[Attachment] = []
        try:
            for info in images:
                name, number = _copy_in(
                    folder, info.path, partial(original_name, article_id, ext=info.ext), number
                )
                copied.append(folder / name)
                photos.append(Photo(name, {k: v for k, v in (captions or {}).items() if v}))
            for index, doc in enumerate(documents):
                name, att_number = _copy_in(
                    folder,
                    doc.path,
                    partial(attachment_name, article_id, ext=doc.ext),
                    att_number,
                )
                copied.append(folder / name)
                texts = titles[index] if index < len(titles) else {}
                attachments.append(Attachment(name, {k: v for k, v in texts.items() if v}))
            updated = editing.add_photos(photos, attachments)
        except BaseException:
            remove_files(copied)
            if made:
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        return replace(updated, sources=tuple(f.path for f in editing.files)), copied


def _copy_in(
    folder: Path, source: Path, name_of: Callable[..., str], number: int
) -> tuple[str, int]:
    """Copy `source` into `folder` under the first free `name_of(n)` from `number` on,
    created exclusively: the name and the next number to try."""
    data = source.read_bytes()
    while True:
        name = name_of(number=number)
        number += 1
        try:
            create_exclusive(folder / name, data)
        except FileExistsError:
            continue
        return name, number


# --- cleaning up after interrupted commands ---------------------------------------


@dataclass
class CleanReport:
    """What `clean_media` removed (or, dry, would remove), and the articles it could
    not look at."""

    removed: list[Path] = field(default_factory=list)
    problems: list[OpdcError] = field(default_factory=list)


def leftovers(site: Site, article_id: int, hint: Sequence[Path] = ()) -> list[Path]:
    """What interrupted opdc commands left of article `article_id`: originals under
    opdc's names that the article does not use, what was made from them (and the
    share image of a photo no longer the first), and stale temporary files in its
    media folder and beside its files. Takes the article's lock (an add still
    running is waited for, a killed change finished)."""
    from opdc_cli.documents import unused_attachments

    with site.edit(article_id, hint) as editing:
        article = editing.article
        folder = site.media_folder(article_id)
        used = {photo.file for photo in article.photos}
        used.update(attachment.file for attachment in article.attachments)
        used.update(
            name
            for number, photo in enumerate(article.photos)
            for name in made_names(photo.file, first=number == 0)
        )
        listing = MediaFolder(site.media_dir, article_id)
        # Only regular files of the folder itself, never a link: clean removes nothing else.
        names = [
            n
            for n, info in listing.files.items()
            if info is not None and "/" not in n and n not in listing.links
        ]
        found = []
        unused = unused_originals(article_id, names, used)
        found += [folder / original for original in unused]
        for original in (*unused, *(photo.file for photo in article.photos)):
            found += [folder / n for n in made_names(original) if n in names and n not in used]
        found += [folder / n for n in unused_attachments(article_id, names, used)]
        found += stale_temps(folder)
        found += stale_leftovers(editing.folder, article_id)
        return found


def clean_media(
    site: Site, article_ids: Sequence[int] = (), *, dry_run: bool = False
) -> CleanReport:
    """Remove the `leftovers` of the named articles (of every article when none is
    named); with `dry_run`, only say what they are. Nothing else is ever removed."""
    report = CleanReport()
    ids = list(dict.fromkeys(article_ids)) or sorted({f.id for f in site.files()})
    for article_id in ids:
        try:
            found = leftovers(site, article_id)
        except OpdcError as exc:
            report.problems.append(exc)
            continue
        report.removed += found if dry_run else remove_files(found)
    return report


# --- the manifest -------------------------------------------------------------------


def settings_record(settings: MediaSettings) -> dict[str, int]:
    """The settings an output depends on, as the manifest records them."""
    return {
        "pipeline": PIPELINE,
        "quality": settings.quality,
        "resize_width": settings.resize_width,
        "thumb_width": settings.thumb_width,
    }


def _write_manifest(folder: Path, entries: Mapping[str, Mapping[str, Any]]) -> None:
    document = {"version": MANIFEST_VERSION, "photos": dict(sorted(entries.items()))}
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    write_if_changed(folder / MANIFEST, text)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# The outputs as the manifest names them (its keys), in made_names' order, and what
# a reason calls each.
_OUTPUT_KEYS = ("web", "thumb", "share")
_OUTPUT_WORDS = {"web": "web size", "thumb": "thumbnail", "share": "share image"}


def _why_stale(
    folder: MediaFolder,
    name: str,
    entry: Mapping[str, Any] | None,
    wanted: dict[str, int],
    first: bool = False,
) -> str | None:
    """Why the outputs of photo `name` (the share image too when it is the article's
    `first`) must be made again, None when they are up to date.

    NOT_RECORDED: the outputs exist, newer than the original, but the manifest does
    not say how they were made. Raises OpdcError for a file that leaves media/<id>/.
    """
    src = folder.stat(name)
    if src is None:
        return ORIGINAL_MISSING
    made = made_names(name, first=first)
    outputs = {key: folder.stat(file) for key, file in zip(_OUTPUT_KEYS, made, strict=False)}
    if outputs["web"] is None and outputs["thumb"] is None:
        return "not made yet"
    missing = [key for key, found in outputs.items() if found is None]
    if missing:
        return f"the {_OUTPUT_WORDS[missing[0]]} is missing"
    stats = [found for found in outputs.values() if found is not None]
    newer = all(found.st_mtime_ns >= src.st_mtime_ns for found in stats)
    if entry is None:
        return NOT_RECORDED if newer else "older than the original"
    if entry.get("settings") != wanted:
        return "made with other settings"
    recorded = [_dig(entry, key, "bytes") for key in outputs]
    if recorded != [found.st_size for found in stats]:
        return "changed since they were made"
    if _dig(entry, "original", "bytes") != src.st_size:
        return "the original changed"
    if newer:
        return None
    # A clone or a copy gives arbitrary mtimes: the content decides.
    try:
        same = _sha256(folder.path_of(name)) == _dig(entry, "original", "sha256")
    except OSError:
        return "the original is unreadable"
    return None if same else "the original changed"


def _dig(entry: Mapping[str, Any], *keys: str) -> Any:
    value: Any = entry
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


@dataclass(frozen=True)
class StaleOutput:
    """A photo whose web size or thumbnail is missing or out of date, and why."""

    article_id: int
    photo: Photo
    reason: str


def _media_of(where: Site | SiteConfig) -> tuple[Path, MediaSettings]:
    config = where if isinstance(where, SiteConfig) else where.config
    return config.root / "media", config.media


def stale_outputs(where: Site | SiteConfig, article: Article) -> list[StaleOutput]:
    """The article's photos whose web size or thumbnail is missing or older than the original.

    Uses the manifest when it records the photo (the settings, the original's size and
    hash: right even in a fresh clone), the files' mtimes otherwise. Photos whose
    original is missing or whose name leaves media/<id>/ are not listed (they are
    problems of their own). Fix: `opdc media resize <id>`.
    """
    media_dir, settings = _media_of(where)
    folder = MediaFolder(media_dir, article.id)
    manifest = read_manifest(folder.path)
    wanted = settings_record(settings)
    stale = []
    for number, photo in enumerate(article.photos):
        try:
            entry = manifest.get(photo.file)
            reason = _why_stale(folder, photo.file, entry, wanted, first=number == 0)
        except OpdcError:
            continue
        if reason not in (None, NOT_RECORDED, ORIGINAL_MISSING):
            stale.append(StaleOutput(article.id, photo, str(reason)))
    return stale


# --- planning a resize --------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One photo to make the outputs of (`share`: the article's first photo's share image)."""

    article_id: int
    name: str
    original: Path
    web: Path
    thumb: Path
    reason: str
    share: Path | None = None


@dataclass(frozen=True)
class Failure:
    """A photo whose outputs could not be made, and the error saying why."""

    article_id: int
    name: str
    error: OpdcError


@dataclass
class ResizePlan:
    """What a resize run will do: the jobs, how many photos are up to date, what fails now."""

    settings: MediaSettings
    jobs: list[Job] = field(default_factory=list)
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    # Per article with jobs: its folder and the photo names it has now.
    articles: dict[int, tuple[Path, tuple[str, ...]]] = field(default_factory=dict)


def plan_resize(
    where: Site | SiteConfig, articles: Iterable[Article], *, force: bool = False
) -> ResizePlan:
    """Which photos of `articles` need their outputs made (all of them with `force`)."""
    media_dir, settings = _media_of(where)
    wanted = settings_record(settings)
    plan = ResizePlan(settings)
    for article in sorted(articles, key=lambda a: a.id):
        folder = MediaFolder(media_dir, article.id)
        manifest = {} if force else read_manifest(folder.path)
        for number, photo in enumerate(article.photos):
            name = photo.file
            first = number == 0
            try:
                reason: str | None
                if force:
                    reason = ORIGINAL_MISSING if folder.stat(name) is None else "--force"
                else:
                    reason = _why_stale(folder, name, manifest.get(name), wanted, first)
                if reason == ORIGINAL_MISSING:
                    raise OpdcError(
                        f"the original is missing: put the photo there, or remove it "
                        f"from article {article.id}",
                        folder.path_of(name),
                        code=_MISSING_ERROR,
                    )
                if reason is not None:
                    original = folder.path_of(name)
                    web, thumb = folder.path_of(web_name(name)), folder.path_of(thumb_name(name))
                    share = folder.path_of(share_name(name)) if first else None
                    plan.jobs.append(Job(article.id, name, original, web, thumb, reason, share))
            except OpdcError as exc:
                plan.failures.append(Failure(article.id, name, exc))
                continue
            if reason is None:
                plan.skipped += 1
            else:
                plan.articles[article.id] = (folder.path, tuple(p.file for p in article.photos))
    return plan


# --- making the outputs (runs in worker processes) ----------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one job: the manifest entry when made, else the error."""

    job: Job
    entry: dict[str, Any] | None = None
    error: OpdcError | None = None


@lru_cache(maxsize=16)
def _srgb_transform(icc: bytes, mode: str) -> Any:
    from PIL import ImageCms

    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), mode, "RGB")


def _to_srgb(image: PILImage.Image, icc: bytes | None) -> PILImage.Image:
    """The image in sRGB, 8-bit RGB: an embedded profile is applied, never copied."""
    from PIL import ImageCms

    if icc and image.mode in ("RGB", "CMYK", "L"):
        try:
            converted = ImageCms.applyTransform(image, _srgb_transform(icc, image.mode))
            if converted is not None:
                return converted
        # A broken or mismatched profile must not lose the photo: its numbers are
        # then taken as sRGB, what every browser would do without a profile.
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    return image if image.mode == "RGB" else image.convert("RGB")


def _flatten(image: PILImage.Image) -> PILImage.Image:
    """Transparent pixels onto white (converting would reveal the colour hidden under them)."""
    from PIL import Image

    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _eight_bit(image: PILImage.Image) -> PILImage.Image:
    """16-bit and float images scaled to 8 bits (convert('L') would clip them to white)."""
    working = image.convert("F")
    low, high = working.getextrema()
    if isinstance(high, (int, float)) and high > 255:
        working = working.point(lambda v: v * (255 / 65535))
    elif isinstance(high, (int, float)) and 0 < high <= 1 and isinstance(low, (int, float)):
        working = working.point(lambda v: v * 255)
    return working.convert("L")


def _working_mode(image: PILImage.Image) -> PILImage.Image:
    """A mode resize() and the sRGB conversion handle: RGB, L or CMYK, alpha flattened."""
    mode = image.mode
    if mode in ("RGB", "L", "CMYK"):
        return image
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or (mode == "P" and "transparency" in image.info):
        return _flatten(image)
    if mode.startswith("I") or mode == "F":
        return _eight_bit(image)
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")


def _upright(image: PILImage.Image, width: int, orientation: int = 1) -> PILImage.Image:
    """`image` (stored as its EXIF `orientation` says) turned upright and `width` wide
    (never enlarged).

    Resampled first, turned after: the same pixels as Pillow's exif_transpose then
    a resize, but the quarter turn moves a few hundred thousand pixels, not millions.
    """
    from PIL import Image

    turned = orientation >= 5
    upright_width, upright_height = (image.height, image.width) if turned else image.size
    if upright_width > width:
        height = max(1, round(upright_height * width / upright_width))
        size = (height, width) if turned else (width, height)
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    turn = Image.Transpose
    # The table of Pillow's ImageOps.exif_transpose.
    method = {
        2: turn.FLIP_LEFT_RIGHT,
        3: turn.ROTATE_180,
        4: turn.FLIP_TOP_BOTTOM,
        5: turn.TRANSPOSE,
        6: turn.ROTATE_270,
        7: turn.TRANSVERSE,
        8: turn.ROTATE_90,
    }.get(orientation)
    return image if method is None else image.transpose(method)


def _encode(image: PILImage.Image, quality: int) -> bytes:
    # Pillow copies a JPEG comment from im.info into the output: start from nothing,
    # and pass no exif, xmp or icc_profile, so no metadata of the original survives.
    image.info.clear()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, progressive=True, optimize=False)
    return buffer.getvalue()


@dataclass(frozen=True)
class Rendered:
    """The JPEG bytes of an output and its pixel size."""

    data: bytes
    width: int
    height: int


def _output(image: PILImage.Image, quality: int) -> Rendered:
    return Rendered(_encode(image, quality), image.width, image.height)


def render(data: bytes, settings: MediaSettings) -> tuple[Rendered, Rendered]:
    """The web size and the thumbnail of an original's bytes, as JPEGs (`resample`
    makes the pixels). Raises _Refused for unusable images."""
    with pillow_limits(settings.max_pixels), _open(io.BytesIO(data), settings.max_pixels) as im:
        web, thumb = resample(im, settings)
        return _output(web, settings.quality), _output(thumb, settings.quality)


def resample(im: PILImage.Image, settings: MediaSettings) -> tuple[PILImage.Image, PILImage.Image]:
    """The web size and the thumbnail of an opened, not yet loaded, image; they may
    share its pixels, so they are used before it is closed.

    One decode serves both: JPEGs at reduced scale, then orientation from EXIF,
    alpha flattened on white, 16-bit scaled, colours converted to sRGB, LANCZOS
    resampling; widths never enlarged. Raises _Refused for unusable images.
    tests/test_resize_quality.py holds the result to a full-resolution LANCZOS.
    """
    orientation = _orientation(im)
    width, _ = _upright_size(im, orientation)
    largest = max(min(settings.resize_width, width), min(settings.thumb_width, width))
    if im.format in ("JPEG", "MPO"):
        scale = largest * DRAFT_GAP / width
        im.draft("RGB", (math.ceil(im.width * scale), math.ceil(im.height * scale)))
    icc = im.info.get("icc_profile")
    _load(im)
    # Pillow turns a TIFF upright as it loads it, and drops its orientation tag:
    # asked again now, it is not turned a second time.
    orientation = _orientation(im)
    try:
        image = _working_mode(im)
        web = _to_srgb(_upright(image, settings.resize_width, orientation), icc)
        if settings.thumb_width <= web.width:
            thumb = _upright(web, settings.thumb_width)
        else:
            thumb = _to_srgb(_upright(image, settings.thumb_width, orientation), icc)
    # Modes Pillow cannot turn into RGB (LAB, HSV, ...) end here.
    except ValueError as exc:
        raise _Refused(f"cannot convert the image: {_reason(exc)}", _IMAGE_ERROR) from None
    return web, thumb


# --- the share image ------------------------------------------------------------------

# The share image's JPEG quality steps down from media.quality by this much until
# the file is under SHARE_MAX_BYTES; a photo of pure noise fits at 40.
SHARE_QUALITY_STEP = 5
SHARE_LOWEST_QUALITY = 20


def render_share(data: bytes, settings: MediaSettings) -> Rendered:
    """The share image of an original's bytes: SHARE_SIZE, the photo scaled to cover
    it (a small one enlarged) and cut to its middle, upright, in sRGB; a JPEG under
    SHARE_MAX_BYTES. Its own decode, at reduced scale: one photo per article has one.
    Raises _Refused for unusable images."""
    from PIL import Image, ImageOps

    width, height = SHARE_SIZE
    with pillow_limits(settings.max_pixels), _open(io.BytesIO(data), settings.max_pixels) as im:
        upright_width, upright_height = _upright_size(im, _orientation(im))
        if im.format in ("JPEG", "MPO"):
            scale = max(width / upright_width, height / upright_height) * DRAFT_GAP
            im.draft("RGB", (math.ceil(im.width * scale), math.ceil(im.height * scale)))
        icc = im.info.get("icc_profile")
        _load(im)
        try:
            # Turned upright only (never resized: the width given is its own).
            image = _upright(_working_mode(im), max(im.size), _orientation(im))
            image = ImageOps.fit(image, SHARE_SIZE, Image.Resampling.LANCZOS)
            image = _to_srgb(image, icc)
        except ValueError as exc:
            raise _Refused(f"cannot convert the image: {_reason(exc)}", _IMAGE_ERROR) from None
    return Rendered(_small_enough(image, settings.quality), width, height)


def _small_enough(image: PILImage.Image, quality: int) -> bytes:
    """The image as a JPEG under SHARE_MAX_BYTES, at the highest quality (in steps down
    from `quality`) that gets it there; at SHARE_LOWEST_QUALITY if none does."""
    while True:
        data = _encode(image, quality)
        if len(data) < SHARE_MAX_BYTES or quality <= SHARE_LOWEST_QUALITY:
            return data
        quality = max(SHARE_LOWEST_QUALITY, quality - SHARE_QUALITY_STEP)


# --- originals without their metadata (export --with-originals) ----------------------

# JPEG segments kept in a published original: what decoding needs (JFIF, the colour
# profile, Adobe's colour transform). Every other APPn (EXIF with GPS, XMP, IPTC,
# MPF) and comments go.
_KEPT_APP = {0xE0: (b"JFIF\x00", b"JFXX\x00"), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}


def private_copy(data: bytes, max_pixels: int) -> bytes:
    """An original's bytes as they may be published: the same picture, with no EXIF
    (GPS, camera, dates), XMP, IPTC or comments.

    A JPEG keeps its compressed image data bit for bit (nothing is re-encoded) and
    only its orientation in a new, minimal EXIF; other formats are decoded, turned
    upright and saved again in their own format without metadata. Raises OpdcError
    for an image that cannot be read.
    """
    try:
        with pillow_limits(max_pixels), _open(io.BytesIO(data), max_pixels) as image:
            if image.format == "JPEG":
                return _jpeg_without_metadata(data, _orientation(image))
            _load(image)
            return _saved_without_metadata(image)
    except _Refused as exc:
        raise OpdcError(exc.message, code=exc.code) from None
    except (ValueError, IndexError) as exc:
        raise OpdcError(f"cannot read the image: {_reason(exc)}", code=_IMAGE_ERROR) from None


def _jpeg_without_metadata(data: bytes, orientation: int) -> bytes:
    """`data`'s segments but the metadata ones, a minimal EXIF for `orientation`, and
    nothing after the end-of-image marker (where phones append other pictures)."""
    from PIL import Image

    segments: list[bytes] = []
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise ValueError("a JPEG segment does not start with a marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image
            segments.append(data[pos : pos + 2])
            break
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end > len(data):
            raise ValueError("a JPEG segment runs past the end of the file")
        segment = data[pos:end]
        prefixes = _KEPT_APP.get(marker)
        metadata = 0xE0 <= marker <= 0xEF or marker == 0xFE
        if not metadata or (prefixes and segment[4:].startswith(prefixes)):
            segments.append(segment)
        pos = end
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            scan = pos
            while True:
                pos = data.index(b"\xff", pos)
                following = data[pos + 1]
                if following == 0 or 0xD0 <= following <= 0xD7:
                    pos += 2
                    continue
                break
            segments.append(data[scan:pos])
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        payload = exif.tobytes()
        app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        first_is_jfif = segments and segments[0][:2] == b"\xff\xe0"
        segments.insert(1 if first_is_jfif else 0, app1)
    return b"\xff\xd8" + b"".join(segments)


def _saved_without_metadata(image: PILImage.Image) -> bytes:
    from PIL import ImageOps

    kind = image.format or "PNG"
    upright = ImageOps.exif_transpose(image) or image
    upright.info.clear()
    buffer = io.BytesIO()
    options: dict[str, dict[str, Any]] = {
        "TIFF": {"compression": "tiff_lzw"},
        "WEBP": {"quality": 95},
    }
    upright.save(buffer, kind, **options.get(kind, {}))
    return buffer.getvalue()


def make_outputs(job: Job, settings: MediaSettings) -> Outcome:
    """Make one photo's web size and thumbnail (and share image), each written atomically.

    Never raises for a bad image or a failed write: the Outcome carries the error.
    """
    try:
        data = job.original.read_bytes()
    except OSError as exc:
        message = f"cannot read the original: {exc.strerror}"
        return Outcome(job, error=OpdcError(message, job.original, code=_MISSING_ERROR))
    try:
        web, thumb = render(data, settings)
        made = [("web", job.web, web), ("thumb", job.thumb, thumb)]
        if job.share is not None:
            made.append(("share", job.share, render_share(data, settings)))
    except _Refused as refused:
        return Outcome(job, error=OpdcError(refused.message, job.original, code=refused.code))
    entry: dict[str, Any] = {
        "original": {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
        "settings": settings_record(settings),
    }
    for key, path, output in made:
        try:
            atomic_write(path, output.data)
        except OSError as exc:
            return Outcome(job, error=OpdcError(f"cannot write: {exc.strerror}", path))
        entry[key] = {
            "file": path.name,
            "bytes": len(output.data),
            "width": output.width,
            "height": output.height,
        }
    return Outcome(job, entry=entry)


# --- running a resize ---------------------------------------------------------------


@dataclass
class ResizeReport:
    """The result of a run: what was made, skipped and failed, and how long it took."""

    made: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.failures)


def _resize_lock(site_root: Path) -> contextlib.AbstractContextManager[None]:
    """One resize at a time per site: temporary files left by a killed run are then
    safe to delete, and two runs never write the same manifest. A second run does not
    wait: it says who holds the lock."""
    return locked(
        site_root / ".opdc" / LOCK_FILE,
        timeout=0,
        busy="another 'opdc media resize' is running on this site (it holds "
        ".opdc/media.lock): wait for it to finish",
    )


def _remove_stale_temps(folder: Path) -> None:
    # Under the resize lock every resize temporary file is a killed run's; the others
    # (a killed media add's) only when their process is gone.
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if _TEMP_RE.match(name):
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)
    remove_files(stale_temps(folder))


def _worker_start() -> None:
    # Ctrl-C reaches the whole process group: only the main process handles it (it
    # stops the pool and lets running photos finish), so workers print no tracebacks.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _outcomes(jobs: list[Job], settings: MediaSettings, workers: int) -> Iterator[Outcome]:
    # One photo is never worth a worker; two are (each takes longer than a start).
    workers = worker_count(len(jobs), workers, 2)
    if workers <= 1:
        for job in jobs:
            yield make_outputs(job, settings)
        return
    from concurrent.futures import Future, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # Pillow and this module are loaded already: forked workers start at once.
    pool = process_pool(workers, _worker_start)
    futures = []
    pending: set[Future[Outcome]] = set()
    try:
        futures = [pool.submit(make_outputs, job, settings) for job in jobs]
        pending = set(futures)
        for future in as_completed(futures):
            pending.discard(future)
            yield future.result()
    except BrokenProcessPool:
        raise OpdcError(
            "a worker process died (out of memory?): run again, or with fewer --jobs"
        ) from None
    except KeyboardInterrupt:
        # The workers ignore Ctrl-C: the photos they are on are finished, and handed
        # over too, so that they are recorded before the interrupt goes on.
        pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            if future in pending and not future.cancelled() and future.exception() is None:
                yield future.result()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _record(plan: ResizePlan, article_id: int, made: Mapping[str, dict[str, Any]]) -> None:
    """Merge the entries of the photos just made into the article's manifest; entries of
    photos the article no longer has are dropped."""
    folder, names = plan.articles[article_id]
    entries = {k: v for k, v in read_manifest(folder).items() if k in names}
    entries.update(made)
    _write_manifest(folder, entries)


def run_resize(
    where: Site | SiteConfig,
    plan: ResizePlan,
    *,
    workers: int | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> ResizeReport:
    """Make every job of `plan` over `workers` processes (default: the number of cores).

    Each article's manifest is written as soon as its last photo is done, so an
    interrupted run keeps what it finished. `on_outcome` is called after each photo.
    """
    config = where if isinstance(where, SiteConfig) else where.config
    started = time.perf_counter()
    report = ResizeReport(skipped=plan.skipped, failures=list(plan.failures))
    if not plan.jobs:
        report.seconds = time.perf_counter() - started
        return report
    pending = {article_id: 0 for article_id in plan.articles}
    for job in plan.jobs:
        pending[job.article_id] += 1
    made: dict[int, dict[str, dict[str, Any]]] = {article_id: {} for article_id in plan.articles}
    with _resize_lock(config.root):
        for folder, _ in plan.articles.values():
            _remove_stale_temps(folder)
        try:
            for outcome in _outcomes(plan.jobs, plan.settings, workers or os.cpu_count() or 1):
                job = outcome.job
                if outcome.entry is not None:
                    report.made += 1
                    made[job.article_id][job.name] = outcome.entry
                elif outcome.error is not None:
                    report.failures.append(Failure(job.article_id, job.name, outcome.error))
                pending[job.article_id] -= 1
                if pending[job.article_id] == 0:
                    _record(plan, job.article_id, made.pop(job.article_id))
                if on_outcome is not None:
                    on_outcome(outcome)
        finally:
            # Interrupted (Ctrl-C, an error): what was made is recorded all the same,
            # so that the next run does not make it again.
            for article_id, entries in made.items():
                if entries:
                    _record(plan, article_id, entries)
    report.seconds = time.perf_counter() - started
    return report
