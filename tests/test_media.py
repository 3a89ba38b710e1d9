"""Photos: opdc media add, opdc media resize, new-article --image, the manifest, the gallery.

Every image is a real file made with Pillow in the test; outputs are opened again
with Pillow and checked for size, colour, orientation and the absence of metadata.
"""

from __future__ import annotations

import io
import json
import os
import pty
import random
import re
import signal
import struct
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import MakeArticle, MakeSite
from PIL import Image, ImageCms, ImageOps
from typer.testing import CliRunner, Result

from opdc_cli import fsutil, media
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.errors import OpdcError
from opdc_cli.gallery import MANIFEST, format_kb, gallery
from opdc_cli.model import Photo
from opdc_cli.site import MediaSettings

ID = 1001

# --- images made for the tests ------------------------------------------------------


def _save(image: Image.Image, path: Path, fmt: str, **params: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, fmt, **params)
    return path


def _jpeg(
    path: Path, size: tuple[int, int] = (400, 300), color: tuple[int, ...] = (30, 160, 60)
) -> Path:
    return _save(Image.new("RGB", size, color), path, "JPEG", quality=90)


def _halves(
    size: tuple[int, int], first: tuple[int, int, int], second: tuple[int, int, int]
) -> Image.Image:
    """An RGB image whose left half is `first` and right half `second`."""
    image = Image.new("RGB", size, second)
    image.paste(first, (0, 0, size[0] // 2, size[1]))
    return image


def _noise_jpeg(path: Path, size: tuple[int, int]) -> Path:
    bands = [Image.effect_noise(size, 60) for _ in range(3)]
    return _save(Image.merge("RGB", bands), path, "JPEG", quality=90)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def icc_swapped_primaries() -> bytes:
    """A minimal ICC v2 RGB display profile whose red and green primaries are swapped.

    Pure red in this space is sRGB's green: a pipeline that converts the profile to
    sRGB turns a red picture green; one that ignores or copies it keeps it red.
    """
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 563) + bytes(2)  # gamma 2.2
    text = b"swapped primaries\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*green)),
        (b"gXYZ", _xyz(*red)),
        (b"bXYZ", _xyz(*blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    start = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    header = (
        struct.pack(">I", start + len(data))
        + b"none"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + bytes(48)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


# --- sites --------------------------------------------------------------------------


def _set_media(root: Path, **values: int) -> None:
    """Change keys of site.toml's [media] table."""
    path = root / "site.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text, count = re.subn(rf"(?m)^{key} = \d+$", f"{key} = {value}", text)
        assert count == 1, key
    path.write_text(text, encoding="utf-8")


def _photo_site(make_site: MakeSite, make_article: MakeArticle, names: list[str]) -> Path:
    """A site whose article 1001 lists `names`, with small output widths (fast tests)."""
    photos = tuple(Photo(name, {"th": f"ภาพ {name}", "en": name}) for name in names)
    root = make_site([make_article(ID, photos=photos)], photos=False)
    _set_media(root, resize_width=200, thumb_width=80)
    return root


def _folder(root: Path) -> Path:
    return root / "media" / str(ID)


def _resize(runner: CliRunner, root: Path, *args: str) -> Result:
    return runner.invoke(app, ["--site", str(root), "media", "resize", "--jobs", "1", *args])


def _open_output(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    assert image.format == "JPEG"
    return image


def _close(pixel: object, expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


# --- what the outputs look like -----------------------------------------------------


def test_exif_rotated_jpeg_comes_out_upright(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg"])
    # Stored sideways, 400x200, red on the left; orientation 6 means "turn 90° clockwise
    # to view": upright it is 200x400 with red on top.
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = _halves((400, 200), (220, 20, 20), (20, 20, 220))
    _save(stored, _folder(root) / f"img{ID}_1.jpg", "JPEG", quality=95, exif=exif.tobytes())

    result = _resize(runner, root)
    assert result.exit_code == 0, result.output

    web = _open_output(_folder(root) / f"img{ID}_1_resize.jpg")
    assert web.size == (200, 400)
    assert _close(web.getpixel((100, 60)), (220, 20, 20))
    assert _close(web.getpixel((100, 340)), (20, 20, 220))
    assert not web.getexif()  # no orientation left to apply a second time
    thumb = _open_output(_folder(root) / f"img{ID}_1_thumb.jpg")
    assert thumb.size == (80, 160)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillows_exif_transpose(orientation: int, fmt: str) -> None:
    # Four coloured quadrants, stored 240x160: any wrong flip or turn moves a colour.
    stored = Image.new("RGB", (240, 160), (250, 250, 250))
    for box, colour in (
        ((0, 0, 120, 80), (230, 30, 30)),
        ((120, 0, 240, 80), (30, 200, 30)),
        ((0, 80, 120, 160), (30, 30, 230)),
    ):
        stored.paste(colour, box)
    exif = Image.Exif()
    exif[0x0112] = orientation
    # The truth from PNG, which Pillow never turns by itself (a TIFF it turns as it
    # loads: compared with its own exif_transpose, a double turn would pass).
    reference = io.BytesIO()
    stored.save(reference, "PNG", exif=exif.tobytes())
    with Image.open(io.BytesIO(reference.getvalue())) as reopened:
        expected = ImageOps.exif_transpose(reopened)
    expected = expected.resize((60, round(expected.height * 60 / expected.width)))
    buffer = io.BytesIO()
    extra = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    stored.save(buffer, fmt, exif=exif.tobytes(), **extra)

    web, _ = media.render(buffer.getvalue(), MediaSettings(resize_width=60, thumb_width=30))

    made = Image.open(io.BytesIO(web.data))
    assert made.size == expected.size
    for x, y in ((10, 10), (made.width - 10, 10), (10, made.height - 10), (50, made.height - 10)):
        want = expected.getpixel((x, y))
        assert isinstance(want, tuple) and len(want) == 3
        assert _close(made.getpixel((x, y)), (want[0], want[1], want[2])), (fmt, orientation, x, y)


def test_gps_serial_comment_and_profile_never_reach_the_outputs(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg"])
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-8842"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (13.0, 45.0, 30.0)
    gps[3], gps[4] = "E", (100.0, 30.0, 15.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = _folder(root) / f"img{ID}_1.jpg"
    _save(
        Image.new("RGB", (400, 300), (90, 120, 150)),
        source,
        "JPEG",
        exif=exif.tobytes(),
        comment=b"taken at the secret place",
        icc_profile=srgb,
    )
    with Image.open(source) as check:  # the original really carries all of it
        assert check.getexif().get_ifd(0x8825)[2] == (13.0, 45.0, 30.0)

    assert _resize(runner, root).exit_code == 0
    for name in (f"img{ID}_1_resize.jpg", f"img{ID}_1_thumb.jpg"):
        data = (_folder(root) / name).read_bytes()
        for secret in (b"Exif", b"SERIAL-8842", b"secret place", b"ICC_PROFILE", b"CameraMaker"):
            assert secret not in data, (name, secret)
        image = _open_output(_folder(root) / name)
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
        assert image.info.get("progressive") or image.info.get("progression")


def _rgba_png(path: Path) -> Path:
    # Fully transparent pixels hide red: they must come out white, not red.
    image = Image.new("RGBA", (400, 300), (255, 0, 0, 0))
    image.paste((20, 40, 200, 255), (0, 0, 200, 300))
    return _save(image, path, "PNG")


def _palette_gif(path: Path) -> Path:
    # Two frames: green, then red. Only the first one counts.
    frames = [Image.new("RGB", (400, 300), c).convert("P") for c in ((0, 200, 0), (200, 0, 0))]
    path.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return path


def _png16(path: Path) -> Path:
    # A 16-bit grey of 32896 (50%): clipped conversions would make it white.
    image = Image.new("I;16", (400, 300))
    image.putdata([32896] * (400 * 300))
    return _save(image, path, "PNG")


def _cmyk(path: Path) -> Path:
    return _save(Image.new("CMYK", (400, 300), (0, 255, 255, 0)), path, "JPEG", quality=95)


def _profiled(path: Path) -> Path:
    red = Image.new("RGB", (400, 300), (255, 0, 0))
    return _save(red, path, "JPEG", quality=95, icc_profile=icc_swapped_primaries())


def _tiff(path: Path) -> Path:
    return _save(Image.new("RGB", (400, 300), (9, 99, 199)), path, "TIFF")


def _webp(path: Path) -> Path:
    return _save(Image.new("RGB", (400, 300), (199, 99, 9)), path, "WEBP", quality=95)


CASES = {
    # name: (maker, extension, (x, y) in the 200x150 web size, expected sRGB colour)
    "cmyk": (_cmyk, "jpg", (100, 75), (255, 0, 0)),
    "rgba_png": (_rgba_png, "png", (180, 75), (255, 255, 255)),
    "rgba_png_opaque": (_rgba_png, "png", (40, 75), (20, 40, 200)),
    "palette_gif": (_palette_gif, "gif", (100, 75), (0, 200, 0)),
    "png16": (_png16, "png", (100, 75), (128, 128, 128)),
    "icc": (_profiled, "jpg", (100, 75), (0, 255, 0)),
    "tiff": (_tiff, "tif", (9, 9), (9, 99, 199)),
    "webp": (_webp, "webp", (9, 9), (199, 99, 9)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_kind_of_original_gives_an_srgb_jpeg_of_the_right_width(
    case: str, make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    maker, ext, where, expected = CASES[case]
    name = f"img{ID}_1.{ext}"
    root = _photo_site(make_site, make_article, [name])
    maker(_folder(root) / name)

    result = _resize(runner, root)
    assert result.exit_code == 0, result.output

    web = _open_output(_folder(root) / f"img{ID}_1_resize.jpg")
    thumb = _open_output(_folder(root) / f"img{ID}_1_thumb.jpg")
    assert (web.mode, web.size, thumb.mode, thumb.size) == ("RGB", (200, 150), "RGB", (80, 60))
    assert "icc_profile" not in web.info  # untagged: sRGB, as browsers assume
    assert _close(web.getpixel(where), expected), web.getpixel(where)


def test_outputs_are_never_enlarged(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg"])
    _jpeg(_folder(root) / f"img{ID}_1.jpg", size=(150, 100))
    assert _resize(runner, root).exit_code == 0
    assert _open_output(_folder(root) / f"img{ID}_1_resize.jpg").size == (150, 100)
    assert _open_output(_folder(root) / f"img{ID}_1_thumb.jpg").size == (80, 53)


def test_a_large_jpeg_is_decoded_at_reduced_scale_and_still_sharp_enough() -> None:
    # 1600 px wide, web size 200: a draft decode at 1/4 (400 px) then LANCZOS.
    source = _halves((1600, 1200), (250, 250, 250), (5, 5, 5))
    buffer = io.BytesIO()
    source.save(buffer, "JPEG", quality=95)
    web, thumb = media.render(buffer.getvalue(), MediaSettings(resize_width=200, thumb_width=80))
    image = Image.open(io.BytesIO(web.data))
    assert (web.width, web.height, image.size) == (200, 150, (200, 150))
    # The edge between the halves stays within a few pixels of the middle.
    row = [image.getpixel((x, 75)) for x in range(200)]
    light = [x for x, p in enumerate(row) if isinstance(p, tuple) and p[0] > 128]
    assert light == list(range(0, len(light))) and 97 <= len(light) <= 103
    assert (thumb.width, thumb.height) == (80, 60)


# --- the share image -----------------------------------------------------------------


def _bands(size: tuple[int, int], colors: list[tuple[int, int, int]], across: bool) -> Image.Image:
    """Three equal bands of `colors`, side by side (`across`) or one above the other."""
    image = Image.new("RGB", size, colors[0])
    width, height = size
    for n, color in enumerate(colors):
        if across:
            image.paste(color, (n * width // 3, 0, (n + 1) * width // 3, height))
        else:
            image.paste(color, (0, n * height // 3, width, (n + 1) * height // 3))
    return image


RED, GREEN, BLUE = (220, 30, 30), (30, 200, 60), (30, 40, 220)


@pytest.mark.parametrize(
    ("size", "across"),
    [
        ((4000, 3000), None),  # a camera's photo, of noise: the hardest to compress
        ((900, 3000), False),  # tall: the middle band fills the share image
        ((5000, 700), True),  # wide: the same, across
        ((300, 200), None),  # smaller than a share image: enlarged to fill it
    ],
)
def test_the_first_photo_gets_a_1200x630_jpeg_share_image_under_300_kb(
    make_site: MakeSite,
    make_article: MakeArticle,
    runner: CliRunner,
    size: tuple[int, int],
    across: bool | None,
) -> None:
    names = [f"img{ID}_1.jpg", f"img{ID}_2.jpg"]
    root = _photo_site(make_site, make_article, names)
    folder = _folder(root)
    if across is None and size[0] > 1000:
        _noise_jpeg(folder / names[0], size)
    elif across is None:
        _jpeg(folder / names[0], size=size, color=GREEN)
    else:
        _save(_bands(size, [RED, GREEN, BLUE], across), folder / names[0], "JPEG", quality=95)
    _jpeg(folder / names[1])

    result = _resize(runner, root)
    assert result.exit_code == 0, result.output
    share = folder / f"img{ID}_1_share.jpg"
    image = _open_output(share)
    assert image.size == (1200, 630) and image.mode == "RGB"
    assert share.stat().st_size < 300_000
    assert not image.getexif() and "icc_profile" not in image.info
    if across is not None or size[0] < 1000:
        # Cut to the middle: no red or blue band shows, only the centre's green.
        for point in ((5, 5), (600, 315), (1194, 624), (5, 624), (1194, 5)):
            assert _close(image.getpixel(point), GREEN), (point, image.getpixel(point))
    # Only the first photo has one, and the manifest records it beside the others.
    assert not (folder / f"img{ID}_2_share.jpg").exists()
    entries = json.loads((folder / MANIFEST).read_text())["photos"]
    assert entries[names[0]]["share"] == {
        "file": share.name,
        "bytes": share.stat().st_size,
        "width": 1200,
        "height": 630,
    }
    assert "share" not in entries[names[1]]
    assert "made 0, skipped 2" in _resize(runner, root).stderr


def test_a_noisy_photo_steps_the_share_quality_down_until_it_fits() -> None:
    bands = [Image.effect_noise((1200, 630), 80) for _ in range(3)]
    buffer = io.BytesIO()
    Image.merge("RGB", bands).save(buffer, "JPEG", quality=95)
    settings = MediaSettings(quality=95)
    share = media.render_share(buffer.getvalue(), settings)
    assert (share.width, share.height) == (1200, 630)
    assert len(share.data) < 300_000
    # At the site's own quality it would not have fitted.
    at_site_quality = io.BytesIO()
    Image.open(io.BytesIO(share.data)).save(at_site_quality, "JPEG", quality=95)
    assert len(at_site_quality.getvalue()) > 300_000


def test_changing_or_reordering_the_first_photo_remakes_the_share_image(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    names = [f"img{ID}_1.jpg", f"img{ID}_2.jpg"]
    root = _photo_site(make_site, make_article, names)
    folder = _folder(root)
    _jpeg(folder / names[0], size=(800, 600), color=RED)
    _jpeg(folder / names[1], size=(800, 600), color=BLUE)
    assert _resize(runner, root).exit_code == 0
    site = Site.open(root)
    article = site.article(ID)
    assert media.stale_outputs(site, article) == []

    _jpeg(folder / names[0], size=(800, 600), color=GREEN)
    stale = media.stale_outputs(site, article)
    assert [(s.photo.file, s.reason) for s in stale] == [(names[0], "the original changed")]
    assert "made 1, skipped 1" in _resize(runner, root).stderr
    assert _close(_open_output(folder / f"img{ID}_1_share.jpg").getpixel((600, 315)), GREEN)

    (folder / f"img{ID}_1_share.jpg").unlink()
    stale = media.stale_outputs(site, article)
    assert [(s.photo.file, s.reason) for s in stale] == [(names[0], "the share image is missing")]
    assert "made 1, skipped 1" in _resize(runner, root).stderr

    # The second photo becomes the first: it gets its share image.
    swapped = replace(article, photos=article.photos[::-1])
    stale = media.stale_outputs(site, swapped)
    assert [(s.photo.file, s.reason) for s in stale] == [(names[1], "the share image is missing")]
    report = media.run_resize(site, media.plan_resize(site, [swapped]), workers=1)
    assert (report.made, report.skipped) == (1, 1)
    assert _close(_open_output(folder / f"img{ID}_2_share.jpg").getpixel((600, 315)), BLUE)
    assert media.stale_outputs(site, swapped) == []


# --- failures ----------------------------------------------------------------------


def test_damaged_files_fail_alone_and_the_others_are_made(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    names = [f"img{ID}_{n}.jpg" for n in range(1, 5)]
    root = _photo_site(make_site, make_article, names)
    folder = _folder(root)
    _jpeg(folder / names[0])
    good = _noise_jpeg(folder / names[1], (400, 300)).read_bytes()
    (folder / names[2]).write_bytes(good[: len(good) // 2])  # truncated
    (folder / names[3]).write_bytes(random.Random(5).randbytes(5000))  # not an image

    result = _resize(runner, root)

    assert result.exit_code == 1
    assert f"img{ID}_3.jpg: the image is damaged or truncated" in result.stderr
    assert f"img{ID}_4.jpg: not an image opdc accepts" in result.stderr
    assert "made 2, skipped 0, failed 2" in result.stderr
    for n, made in ((1, True), (2, True), (3, False), (4, False)):
        assert (folder / f"img{ID}_{n}_resize.jpg").exists() is made
        assert (folder / f"img{ID}_{n}_thumb.jpg").exists() is made
    manifest = json.loads((folder / MANIFEST).read_text())
    assert sorted(manifest["photos"]) == names[:2]
    # The failures are retried next time, the made ones are not.
    again = _resize(runner, root)
    assert again.exit_code == 1 and "made 0, skipped 2, failed 2" in again.stderr


def test_a_decompression_bomb_is_refused_by_the_site_limit(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.png", f"img{ID}_2.jpg"])
    _set_media(root, max_pixels=50_000)
    _save(Image.new("L", (400, 300)), _folder(root) / f"img{ID}_1.png", "PNG")  # 120,000 px
    _jpeg(_folder(root) / f"img{ID}_2.jpg", size=(200, 150))  # 30,000 px

    result = _resize(runner, root)

    assert result.exit_code == 1
    assert "120,000 pixels, more than site.toml's media.max_pixels (50,000)" in result.stderr
    assert not (_folder(root) / f"img{ID}_1_resize.jpg").exists()
    assert (_folder(root) / f"img{ID}_2_resize.jpg").exists()


def test_a_missing_original_and_escaping_names_are_reported(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    names = [f"img{ID}_1.jpg", "../1002/img1002_1.jpg", f"img{ID}_3.jpg", f"img{ID}_4.jpg"]
    root = _photo_site(make_site, make_article, names)
    outside = _jpeg(tmp_path / "outside.jpg")
    victim = tmp_path / "victim.jpg"
    victim.write_bytes(b"must stay")
    _folder(root).mkdir(parents=True, exist_ok=True)
    (_folder(root) / f"img{ID}_3.jpg").symlink_to(outside)  # an original from elsewhere
    _jpeg(_folder(root) / f"img{ID}_4.jpg")
    (_folder(root) / f"img{ID}_4_resize.jpg").symlink_to(victim)  # an output pointing out

    for extra in ((), ("--force",)):
        result = _resize(runner, root, *extra)
        assert result.exit_code == 1
        assert f"img{ID}_1.jpg: the original is missing" in result.stderr
        assert "'..' would leave media/<id>/" in result.stderr
        assert f"'img{ID}_3.jpg' of article {ID}: the path leaves media/<id>/" in result.stderr
        assert f"'img{ID}_4_resize.jpg' of article {ID}: the path leaves" in result.stderr
        assert "made 0, skipped 0, failed 4" in result.stderr
    assert victim.read_bytes() == b"must stay"
    assert not (_folder(root) / f"img{ID}_3_resize.jpg").exists()


def test_an_unknown_article_is_an_error(make_site: MakeSite, runner: CliRunner) -> None:
    root = make_site()
    result = _resize(runner, root, "4242")
    assert result.exit_code == 1
    assert "no article 4242" in result.stderr


# --- incremental runs and the manifest ---------------------------------------------


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if "_" in p.stem}


def test_second_run_skips_and_a_quality_change_remakes_everything(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    names = [f"img{ID}_{n}.jpg" for n in range(1, 4)]
    root = _photo_site(make_site, make_article, names)
    for n, name in enumerate(names):
        _jpeg(_folder(root) / name, color=(40 * n, 90, 200))

    first = _resize(runner, root)
    assert first.exit_code == 0 and "made 3, skipped 0, failed 0" in first.stderr
    before = _mtimes(_folder(root))

    second = _resize(runner, root)
    assert second.exit_code == 0 and "made 0, skipped 3, failed 0" in second.stderr
    assert _mtimes(_folder(root)) == before

    dry = _resize(runner, root, "--dry-run")
    assert dry.stdout == "" and "would make 0, skip 3" in dry.stderr

    _set_media(root, quality=60)
    dry = _resize(runner, root, "--dry-run")
    assert dry.exit_code == 0 and "would make 3, skip 0" in dry.stderr
    assert dry.stdout.count("(made with other settings)") == 3
    assert _mtimes(_folder(root)) == before  # a dry run writes nothing

    third = _resize(runner, root)
    assert "made 3, skipped 0, failed 0" in third.stderr
    manifest = json.loads((_folder(root) / MANIFEST).read_text())
    assert {entry["settings"]["quality"] for entry in manifest["photos"].values()} == {60}

    forced = _resize(runner, root, "--force")
    assert "made 3, skipped 0, failed 0" in forced.stderr


def test_a_width_change_remakes_and_a_deleted_output_is_made_again(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg", f"img{ID}_2.jpg"])
    for name in (f"img{ID}_1.jpg", f"img{ID}_2.jpg"):
        _jpeg(_folder(root) / name)
    _resize(runner, root)
    (_folder(root) / f"img{ID}_2_thumb.jpg").unlink()
    dry = _resize(runner, root, "--dry-run")
    assert "(the thumbnail is missing)" in dry.stdout and "would make 1, skip 1" in dry.stderr

    _set_media(root, thumb_width=50)
    assert "made 2, skipped 0" in _resize(runner, root).stderr
    assert _open_output(_folder(root) / f"img{ID}_1_thumb.jpg").width == 50


def test_fresh_clone_mtimes_do_not_make_outputs_stale(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg"])
    original = _jpeg(_folder(root) / f"img{ID}_1.jpg")
    _resize(runner, root)
    site = Site.open(root)
    article = site.article(ID)
    assert media.stale_outputs(site, article) == []

    # git gives every file of a clone the time of the checkout, in any order.
    future = time.time_ns() + 3_600_000_000_000
    os.utime(original, ns=(future, future))
    assert media.stale_outputs(site, article) == []
    assert "would make 0, skip 1" in _resize(runner, root, "--dry-run").stderr

    # Another picture of the same byte size, newer: its hash gives it away.
    data = bytearray(original.read_bytes())
    data[-200] ^= 0xFF
    original.write_bytes(bytes(data))
    stale = media.stale_outputs(site, article)
    assert [(s.photo.file, s.reason) for s in stale] == [(f"img{ID}_1.jpg", "the original changed")]
    assert "made 1" in _resize(runner, root).stderr
    assert media.stale_outputs(site, article) == []


def test_stale_outputs_reasons(make_site: MakeSite, make_article: MakeArticle) -> None:
    names = [f"img{ID}_{n}.jpg" for n in range(1, 5)]
    root = _photo_site(make_site, make_article, names)
    for name in names[:3]:
        _jpeg(_folder(root) / name)
    site = Site.open(root)
    article = site.article(ID)
    reasons = {s.photo.file: s.reason for s in media.stale_outputs(site.config, article)}
    # img_4's original is missing: that is a problem of its own, not a stale output.
    assert reasons == dict.fromkeys(names[:3], "not made yet")

    report = media.run_resize(site, media.plan_resize(site, [article]), workers=1)
    assert (report.made, report.failed) == (3, 1)
    assert media.stale_outputs(site, article) == []

    folder = _folder(root)
    (folder / f"img{ID}_1_resize.jpg").unlink()
    (folder / f"img{ID}_2_thumb.jpg").write_bytes(b"edited by hand")
    # Outputs made by another tool (no manifest entry) but older than the original.
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["photos"][f"img{ID}_3.jpg"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    old = time.time_ns() - 3_600_000_000_000
    for suffix in ("_resize.jpg", "_thumb.jpg"):
        os.utime(folder / f"img{ID}_3{suffix}", ns=(old, old))
    reasons = {s.photo.file: s.reason for s in media.stale_outputs(site, article)}
    assert reasons == {
        f"img{ID}_1.jpg": "the web size is missing",
        f"img{ID}_2.jpg": "changed since they were made",
        f"img{ID}_3.jpg": "older than the original",
    }
    other = replace(site.config, media=replace(site.config.media, quality=50))
    assert len(media.stale_outputs(other, replace(article, photos=article.photos[:3]))) == 3


def test_the_sample_site_is_up_to_date_even_with_clone_mtimes(sample_site: Path) -> None:
    site = Site.open(sample_site)
    articles = site.articles()
    assert sum(len(a.photos) for a in articles) >= 10
    # A clone checks files out in any order: make every original the newest file.
    future = time.time_ns() + 3_600_000_000_000
    for article in articles:
        for photo in article.photos:
            os.utime(sample_site / "media" / str(article.id) / photo.file, ns=(future, future))
    for article in articles:
        assert media.stale_outputs(site, article) == [], article.id
    plan = media.plan_resize(site, articles)
    assert (plan.jobs, plan.failures) == ([], [])


# --- an interrupted run -------------------------------------------------------------


def _interrupt_midway(
    root: Path, names: list[str], opdc_exe: Path, sig: signal.Signals
) -> subprocess.CompletedProcess[bytes]:
    """Start a resize of `names` over two processes and send `sig` to all of them as
    soon as the first web size appears."""
    folder = _folder(root)
    data = _noise_jpeg(folder / names[0], (1200, 900)).read_bytes()
    for name in names[1:]:
        (folder / name).write_bytes(data)
    command = [str(opdc_exe), "--site", str(root), "media", "resize", "--jobs", "2"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not any(folder.glob("*_resize.jpg")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(process.pid, sig)  # the CLI and its worker processes, as a terminal does
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def test_sigkill_midway_leaves_no_partial_output(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, opdc_exe: Path
) -> None:
    count = 30
    names = [f"img{ID}_{n}.jpg" for n in range(1, count + 1)]
    root = _photo_site(make_site, make_article, names)
    folder = _folder(root)

    killed = _interrupt_midway(root, names, opdc_exe, signal.SIGKILL)

    assert killed.returncode == -signal.SIGKILL
    outputs = sorted(folder.glob("*_resize.jpg")) + sorted(folder.glob("*_thumb.jpg"))
    assert 0 < len(outputs) < 2 * count, "the kill came before or after the run"
    for path in outputs:
        image = _open_output(path)  # load() fails on a truncated file
        assert image.width == (200 if path.name.endswith("_resize.jpg") else 80)
    visible = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert visible == set(names) | {p.name for p in outputs}

    result = runner.invoke(app, ["--site", str(root), "media", "resize", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    manifest = json.loads((folder / MANIFEST).read_text())
    assert sorted(manifest["photos"]) == sorted(names)
    assert len(list(folder.glob("*_thumb.jpg"))) == count


def test_ctrl_c_stops_cleanly_and_keeps_what_was_made(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, opdc_exe: Path
) -> None:
    names = [f"img{ID}_{n}.jpg" for n in range(1, 31)]
    root = _photo_site(make_site, make_article, names)

    stopped = _interrupt_midway(root, names, opdc_exe, signal.SIGINT)

    stderr = stopped.stderr.decode()
    assert stopped.returncode == 130, stderr
    assert "interrupted: the photos already made are kept" in stderr
    assert "Traceback" not in stderr
    assert not [p for p in _folder(root).iterdir() if p.name.endswith(".tmp")]
    made = {p.name for p in _folder(root).glob("*_thumb.jpg")}
    rerun = _resize(runner, root, "--dry-run")
    assert f"would make {len(names) - len(made)}, skip {len(made)}" in rerun.stderr


def test_a_second_resize_at_the_same_time_is_refused(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    import fcntl

    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg"])
    _jpeg(_folder(root) / f"img{ID}_1.jpg")
    (root / ".opdc").mkdir(exist_ok=True)
    with (root / ".opdc" / media.LOCK_FILE).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = _resize(runner, root)
    assert result.exit_code == 1
    assert "another 'opdc media resize' is running" in result.stderr
    assert _resize(runner, root).exit_code == 0


def test_leftover_temporary_files_are_removed(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg"])
    _jpeg(_folder(root) / f"img{ID}_1.jpg")
    leftovers = [f".img{ID}_1_resize.jpg.x1y2.tmp", "..resize.json.abc.tmp"]
    mine = ".notes.txt.tmp"  # not a name opdc writes: left alone
    for name in [*leftovers, mine]:
        (_folder(root) / name).write_bytes(b"partial")
    assert _resize(runner, root).exit_code == 0
    assert sorted(p.name for p in _folder(root).glob(".*.tmp")) == [mine]


# --- progress and the installed command --------------------------------------------


def test_progress_bar_on_a_terminal_and_summary_line(
    make_site: MakeSite, make_article: MakeArticle, opdc_exe: Path
) -> None:
    names = [f"img{ID}_{n}.jpg" for n in range(1, 4)]
    root = _photo_site(make_site, make_article, names)
    for name in names:
        _jpeg(_folder(root) / name)
    leader, follower = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="100")
    process = subprocess.Popen(
        [str(opdc_exe), "--site", str(root), "media", "resize", "--jobs", "2"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=60) == 0
    os.close(leader)
    assert process.stdout is not None and process.stdout.read() == b""
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "resizing" in shown and "3/3" in shown
    assert "made 3, skipped 0, failed 0" in shown


# --- media add ----------------------------------------------------------------------


def _article_text(root: Path) -> bytes:
    return (root / "articles" / "2018" / f"{ID}.toml").read_bytes()


def test_media_add_continues_the_numbering_with_canonical_names(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = _photo_site(make_site, make_article, [f"img{ID}_1.jpg", f"img{ID}_2.jpg"])
    (_folder(root)).mkdir(parents=True, exist_ok=True)
    _jpeg(_folder(root) / f"img{ID}_4.jpg")  # in the folder, not (yet) in the article
    camera = _jpeg(tmp_path / "DSC_0001.JPEG")
    screenshot = _save(Image.new("RGBA", (40, 30)), tmp_path / "shot.data", "PNG")

    result = runner.invoke(
        app, ["--site", str(root), "media", "add", str(ID), str(camera), str(screenshot)]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(_folder(root) / f"img{ID}_5.jpg"),
        str(_folder(root) / f"img{ID}_6.png"),
    ]
    assert (_folder(root) / f"img{ID}_5.jpg").read_bytes() == camera.read_bytes()
    article = Site.open(root).article(ID)
    assert [p.file for p in article.photos] == [
        f"img{ID}_1.jpg",
        f"img{ID}_2.jpg",
        f"img{ID}_5.jpg",
        f"img{ID}_6.png",
    ]
    assert article.photos[2].captions == {}
    assert f"opdc media resize {ID}" in result.stderr


def test_media_add_one_photo_with_captions(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = _photo_site(make_site, make_article, [])
    photo = _jpeg(tmp_path / "stage.jpg")
    result = runner.invoke(
        app,
        [
            *("--site", str(root), "media", "add", str(ID), str(photo)),
            *("--caption", "พิธีเปิด", "--caption-en", "The opening"),
        ],
    )
    assert result.exit_code == 0, result.output
    article = Site.open(root).article(ID)
    assert article.photos == (Photo(f"img{ID}_1.jpg", {"th": "พิธีเปิด", "en": "The opening"}),)

    twice = [str(photo), str(photo)]
    two = runner.invoke(
        app, ["--site", str(root), "media", "add", str(ID), *twice, "--caption", "x"]
    )
    assert two.exit_code == 2 and "exactly one FILE" in two.stderr


def test_media_add_to_a_text_form_article_writes_every_language_file(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site([make_article(ID, photos=())], form="txt")
    photo = _jpeg(tmp_path / "stage.jpg")
    result = runner.invoke(
        app,
        [
            *("--site", str(root), "media", "add", str(ID), str(photo)),
            *("--caption", "พิธีเปิด", "--caption-en", "The opening"),
        ],
    )
    assert result.exit_code == 0, result.output
    for lang, caption in (("th", "พิธีเปิด"), ("en", "The opening")):
        text = (root / "articles" / "2018" / f"{ID}.{lang}.txt").read_text(encoding="utf-8")
        assert f'file = "img{ID}_1.jpg"\ncaption = "{caption}"' in text
    article = Site.open(root).article(ID)
    assert (article.form, article.photos) == (
        "txt",
        (Photo(f"img{ID}_1.jpg", {"th": "พิธีเปิด", "en": "The opening"}),),
    )


def test_media_add_refuses_bad_files_and_changes_nothing(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = _photo_site(make_site, make_article, [])
    _set_media(root, max_file_mb=1)
    _folder(root).mkdir(parents=True, exist_ok=True)
    good = _jpeg(tmp_path / "good.jpg")
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(_noise_jpeg(tmp_path / "whole.jpg", (300, 200)).read_bytes()[:3000])
    huge = _save(Image.effect_noise((800, 800), 90).convert("RGB"), tmp_path / "big.png", "PNG")
    assert huge.stat().st_size > 1024 * 1024
    before = _article_text(root)

    result = runner.invoke(
        app,
        ["--site", str(root), "media", "add", str(ID)]
        + [str(p) for p in (good, text, truncated, huge)],
    )

    assert result.exit_code == 1
    assert f"{text}: not an image opdc accepts" in result.stderr
    assert f"{truncated}: the image is damaged or truncated" in result.stderr
    assert f"{huge}: the file is " in result.stderr and "media.max_file_mb (1 MB)" in result.stderr
    assert "3 file(s) refused; nothing was changed" in result.stderr
    assert _article_text(root) == before
    assert list(_folder(root).iterdir()) == []

    missing = runner.invoke(app, ["--site", str(root), "media", "add", str(ID), "nope.jpg"])
    assert missing.exit_code == 2 and "nope.jpg: no such file" in missing.stderr
    unknown = runner.invoke(app, ["--site", str(root), "media", "add", "4242", str(good)])
    assert unknown.exit_code == 1 and "no article 4242" in unknown.stderr


def test_add_photos_removes_its_copies_when_the_article_cannot_be_saved(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _photo_site(make_site, make_article, [])
    site = Site.open(root)
    article = site.article(ID)
    infos = media.check_images([_jpeg(tmp_path / "a.jpg")], site.config.media)
    path = root / "articles" / "2018" / f"{ID}.toml"
    copy = fsutil.create_exclusive

    def copy_while_an_editor_saves(target: Path, data: bytes | str, **kw: int) -> None:
        copy(target, data, **kw)
        # A person saves the article in an editor while the photo is being copied.
        path.write_text(path.read_text(encoding="utf-8") + "# saved\n", encoding="utf-8")

    monkeypatch.setattr(media, "create_exclusive", copy_while_an_editor_saves)
    with pytest.raises(OpdcError, match="changed on disk"):
        media.add_photos(site, article, infos)
    # The photo folder did not exist before: the one made for the copies is gone too.
    assert not _folder(root).exists()
    assert path.read_text(encoding="utf-8").endswith("# saved\n")
    assert site.article(ID).photos == ()


def test_check_images_reports_the_upright_size_and_canonical_extension(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 8
    rotated = _save(Image.new("RGB", (300, 100)), tmp_path / "r.JPEG", "JPEG", exif=exif.tobytes())
    tiff = _save(Image.new("RGB", (30, 20)), tmp_path / "t.tiff", "TIFF")
    infos = media.check_images([rotated, tiff], MediaSettings())
    assert [(i.format, i.ext, i.width, i.height) for i in infos] == [
        ("JPEG", "jpg", 100, 300),
        ("TIFF", "tif", 30, 20),
    ]


# --- new-article --image ------------------------------------------------------------


def test_new_article_with_images(make_site: MakeSite, runner: CliRunner, tmp_path: Path) -> None:
    root = make_site([], first_id=500)
    one = _jpeg(tmp_path / "one.jpg")
    two = _save(Image.new("RGB", (50, 40), (1, 2, 3)), tmp_path / "two.png", "PNG")
    result = runner.invoke(
        app,
        [
            *("--site", str(root), "new-article", "--no-input", "--title", "ภาพข่าว"),
            *("--category", "headline", "--image", str(one), "--image", str(two)),
        ],
    )
    assert result.exit_code == 0, result.output
    article = Site.open(root).article(500)
    assert [p.file for p in article.photos] == ["img500_1.jpg", "img500_2.png"]
    assert (root / "media" / "500" / "img500_2.png").read_bytes() == two.read_bytes()


def test_new_article_with_a_bad_image_allocates_nothing(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site([], first_id=500)
    good = _jpeg(tmp_path / "good.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really")
    args = ["--site", str(root), "new-article", "--no-input", "--title", "ข่าว"]
    args += ["--category", "headline", "--image", str(good)]

    result = runner.invoke(app, [*args, "--image", str(bad)])

    assert result.exit_code == 1
    assert f"{bad}:" in result.stderr and "nothing was changed" in result.stderr
    assert list((root / "articles").rglob("*.toml")) == []
    assert list((root / "media").iterdir()) == []
    # The id was not used up: the next article gets it.
    assert runner.invoke(app, args).exit_code == 0
    assert [p.file for p in Site.open(root).article(500).photos] == ["img500_1.jpg"]


# --- the gallery data ---------------------------------------------------------------


def test_gallery_and_show_give_the_web_sizes_in_kb(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    names = [f"img{ID}_1.jpg", f"img{ID}_2.jpg"]
    root = _photo_site(make_site, make_article, names)
    _noise_jpeg(_folder(root) / names[0], (400, 300))
    _jpeg(_folder(root) / names[1], size=(100, 400))
    before = runner.invoke(app, ["--site", str(root), "show", str(ID)])
    assert "no web size yet: run opdc media resize" in before.stdout

    _resize(runner, root)

    site = Site.open(root)
    items = gallery(site.media_dir, site.article(ID))
    web = _folder(root) / f"img{ID}_1_resize.jpg"
    assert [(i.web, i.width, i.height, i.thumb_width, i.thumb_height) for i in items] == [
        (f"img{ID}_1_resize.jpg", 200, 150, 80, 60),
        (f"img{ID}_2_resize.jpg", 100, 400, 80, 320),
    ]
    assert items[0].web_bytes == web.stat().st_size
    shown = runner.invoke(app, ["--site", str(root), "show", str(ID)]).stdout
    assert f"img{ID}_1_resize.jpg ({format_kb(web.stat().st_size)})" in shown
