"""The resize pipeline's shortcuts (a JPEG decoded at reduced scale, turned after
resampling, the thumbnail made from the web size) against the plain way: the full
picture decoded, turned upright by exif_transpose, and resampled with LANCZOS.

PSNR is computed with Pillow alone (ImageChops, ImageStat): numpy is no dependency.
The photos are camera-sized and photo-like: smooth gradients under sensor noise,
sharp lines, a block of solid colour and text.
"""

from __future__ import annotations

import io
import math
from functools import cache

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps, ImageStat

from opdc_cli import media
from opdc_cli.site import MediaSettings

SETTINGS = MediaSettings()
# Pixels made from a reduced decode, compared before JPEG encoding: above 40 dB the
# difference is invisible (the JPEG encoding of the output costs more than that).
MIN_PSNR = 40.0


def psnr(made: Image.Image, reference: Image.Image) -> float:
    """Peak signal-to-noise ratio of two RGB images of one size, in dB."""
    assert made.size == reference.size and made.mode == reference.mode == "RGB"
    rms = ImageStat.Stat(ImageChops.difference(made, reference)).rms
    mse = sum(value * value for value in rms) / len(rms)
    return 99.0 if mse == 0 else 20 * math.log10(255 / math.sqrt(mse))


def _scene(width: int, height: int) -> Image.Image:
    """An upright photo-like picture: gradients, noise, sharp edges and text."""
    size = (width, height)
    red = Image.linear_gradient("L").rotate(30).resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.linear_gradient("L").rotate(90).resize(size)
    # Sensor-like noise, the same on every channel (luminance noise), sigma 8.
    noise = Image.effect_noise(size, 8)
    bands = [ImageChops.add(band, noise, scale=1.0, offset=-128) for band in (red, green, blue)]
    image = Image.merge("RGB", bands)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 97):
        colour = (255, 255, 255) if x % 2 else (0, 0, 0)
        draw.line([(x, 0), (x + height // 3, height)], fill=colour, width=3)
    draw.rectangle([width // 5, height // 5, width // 2, height // 2], fill=(200, 30, 30))
    draw.rectangle([width // 5, height // 5, width // 2, height // 2], outline=(0, 0, 0), width=9)
    font = ImageFont.load_default(size=60)
    for y in range(100, height, 300):
        draw.text((50, y), "opdc News 27 April 2018, ABCDEFG", font=font, fill=(10, 10, 10))
    return image


@cache
def _photo(orientation: int) -> bytes:
    """A 4000x3000 landscape (orientation 1), or a 3000x4000 portrait stored sideways
    with its EXIF rotation (6 or 8), as a camera saves them: JPEG quality 92."""
    if orientation == 1:
        stored = _scene(4000, 3000)
    else:
        upright = _scene(3000, 4000)
        # The camera stores the sensor's rows; exif_transpose undoes this turn.
        turn = Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270
        stored = upright.transpose(turn)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def _full(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as opened:
        upright = ImageOps.exif_transpose(opened)
    return upright


def _lanczos(image: Image.Image, width: int) -> Image.Image:
    height = round(image.height * width / image.width)
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encoded(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=SETTINGS.quality, progressive=True)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_web_size_and_thumbnail_match_a_full_resolution_lanczos(orientation: int) -> None:
    data = _photo(orientation)
    full = _full(data)
    with Image.open(io.BytesIO(data)) as opened:
        stored_width = opened.width
        web, thumb = media.resample(opened, SETTINGS)
        # The shortcut is really taken: libjpeg decoded at reduced scale.
        assert opened.width < stored_width
    expected_web = _lanczos(full, SETTINGS.resize_width)
    expected_thumb = _lanczos(full, SETTINGS.thumb_width)
    assert web.size == expected_web.size
    assert thumb.size == expected_thumb.size
    assert psnr(web, expected_web) >= MIN_PSNR
    assert psnr(thumb, expected_thumb) >= MIN_PSNR


@pytest.mark.parametrize("orientation", [1, 6])
def test_saved_web_size_is_as_good_as_naive_pillows(orientation: int) -> None:
    # The file opdc writes against what naive Pillow writes (full decode,
    # exif_transpose, LANCZOS, the same JPEG quality), both compared with the
    # unencoded full-resolution LANCZOS: encoding, not the shortcuts, sets the quality.
    data = _photo(orientation)
    expected = _lanczos(_full(data), SETTINGS.resize_width)
    web, _ = media.render(data, SETTINGS)
    with Image.open(io.BytesIO(web.data)) as saved:
        made = saved.convert("RGB")
    naive = psnr(_encoded(expected), expected)
    assert psnr(made, expected) >= naive - 0.5
