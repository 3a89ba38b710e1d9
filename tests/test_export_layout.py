"""The exported pages in headless Chromium at a small phone's, a phone's and a desktop's
width, with content that used to widen them: no page is wider than the window."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_export_browser import run_chromium

from opdc_cli.content import Site
from opdc_cli.export.site import export_site
from opdc_cli.model import Translation

LONG_URL = "https://www.example.go.th/" + "/".join(["documents-and-reports"] * 8) + "/x.pdf"
WIDTHS = (320, 390, 1280)
# Headless Chromium's window is at least 500 px wide: the page is laid out in a frame
# of the width under test instead (its media queries see the frame's width).
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="{src}" style="border:0;width:{width}px;height:900px"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {{
  var w = this.contentWindow;
  document.body.setAttribute("data-probe",
    w.document.documentElement.scrollWidth + " " + w.innerWidth);
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def nasty_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import build_article

    from opdc_cli import store
    from opdc_cli.scaffold import init_site

    assert len(LONG_URL) >= 200
    root = tmp_path_factory.mktemp("layout") / "site"
    init_site(root)
    article = build_article(
        6001,
        photos=(),
        translations={
            "th": Translation(
                title=f"ประกาศ {LONG_URL}",
                body=f"รายละเอียดที่ {LONG_URL}\n\nSupercalifragilistic" + "expialidocious" * 12,
                summary=LONG_URL,
            ),
            "en": Translation(title=LONG_URL, body=LONG_URL),
        },
    )
    store.write_article(article, root / "articles" / "2018", "toml", ("th", "en"))
    out = root.parent / "public"
    report = export_site(Site.open(root, cache=False), out, jobs=1)
    assert not report.problems
    return out


def page_width(page: Path, window: int, profile: Path) -> tuple[int, int]:
    """(the page's laid-out width, the frame's width) in a frame `window` px wide."""
    probe = page.with_name(f"probe-{window}-{page.name}")
    probe.write_text(PROBE.format(src=page.name, width=window), encoding="utf-8")
    result = run_chromium(
        profile,
        "--allow-file-access-from-files",
        "--virtual-time-budget=5000",
        "--window-size=1400,1000",
        "--dump-dom",
        probe.as_uri(),
    )
    probe.unlink()
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'data-probe="(\d+) (\d+)"', result.stdout)
    assert found, result.stdout[:500]
    return int(found[1]), int(found[2])


@pytest.mark.parametrize("window", WIDTHS)
@pytest.mark.parametrize(
    "page", ["th/news/6001.html", "en/news/6001.html", "th/index.html", "index.html"]
)
def test_no_page_is_wider_than_the_window(
    nasty_site: Path, page: str, window: int, tmp_path: Path
) -> None:
    scroll, inner = page_width(nasty_site / page, window, tmp_path / "profile")
    assert inner == window
    assert scroll <= inner, f"{page} lays out {scroll} px wide in a {window} px window"
