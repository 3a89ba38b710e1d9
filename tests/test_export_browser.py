"""The exported article page as headless Chromium renders it (Debian's chromium package,
with a Thai font from fonts-thai-tlwg). These tests fail, not skip, when either is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.request import url2pathname

import lxml.html
import pytest
from test_export import build_exported_sample

from opdc_cli.gallery import format_kb

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is needed: apt-get install chromium fonts-thai-tlwg"
    return found


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_exported_sample(tmp_path_factory.mktemp("browser"))


def local(url: str) -> Path:
    """The file a file:// URL points at."""
    return Path(url2pathname(urlparse(url).path))


def test_chromium_renders_the_gallery_language_switch_and_feed_link(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    _, out = exported
    address = (out / "th" / "news" / "26461.html").as_uri()
    result = run_chromium(tmp_path / "profile", "--dump-dom", address)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = lxml.html.fromstring(result.stdout)
    assert dom.get("lang") == "th"

    items = dom.cssselect("section.gallery li")
    assert len(items) == 8
    assert dom.cssselect("section.gallery p.count")[0].text_content() == "ทั้งหมด 8 รายการ 1 / 1"
    for number, item in enumerate(items, start=1):
        web = out / "media" / "26461" / f"img26461_{number}_resize.jpg"
        assert item.cssselect(".size")[0].text_content() == f"({format_kb(web.stat().st_size)})"
        assert local(urljoin(address, item.cssselect("a")[0].get("href"))) == web
        image = item.cssselect("img")[0]
        assert image.get("alt")
        assert local(urljoin(address, image.get("src"))).is_file()

    switch = dom.cssselect("nav.languages a[hreflang='en']")[0]
    assert local(urljoin(address, switch.get("href"))) == out / "en" / "news" / "26461.html"

    feed = dom.xpath("//head/link[@rel='alternate'][@type='application/rss+xml']")[0]
    target = local(urljoin(address, feed.get("href")))
    assert target == out / "feeds" / "th" / "rss.xml"
    assert target.read_bytes().startswith(b"<?xml")


def test_chromium_renders_the_announcement_attachment_list(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    _, out = exported
    address = (out / "th" / "news" / "26463.html").as_uri()
    result = run_chromium(tmp_path / "profile", "--dump-dom", address)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = lxml.html.fromstring(result.stdout)
    (item,) = dom.cssselect("section.attachments li")
    pdf = out / "media" / "26463" / "att26463_1.pdf"
    assert item.cssselect(".size")[0].text_content() == (
        f"(PDF · 1 หน้า · {format_kb(pdf.stat().st_size)})"
    )
    link = item.cssselect("a")[0]
    assert link.text_content().startswith("ประกาศและแนวทางการสมัคร")
    assert local(urljoin(address, link.get("href"))) == pdf
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_chromium_screenshots_the_page_with_a_thai_font(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    from PIL import Image

    fonts = [p for p in Path("/usr/share/fonts").rglob("*.[ot]tf") if "tlwg" in str(p).lower()]
    assert fonts, "no Thai font (TLWG): apt-get install fonts-thai-tlwg"
    _, out = exported
    for width in (1200, 390):  # a desktop and a phone
        shot = tmp_path / f"page-{width}.png"
        result = run_chromium(
            tmp_path / "profile",
            f"--screenshot={shot}",
            f"--window-size={width},1600",
            (out / "th" / "news" / "26461.html").as_uri(),
        )
        assert result.returncode == 0, result.stderr[-2000:]
        with Image.open(shot) as image:
            assert image.size == (width, 1600)
            # A blank or failed page is one or two colours; text and photos are many.
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or ()) > 200
