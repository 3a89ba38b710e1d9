"""Thai line breaking on the pages: `<wbr>` between Thai words (opdc_cli.htmltext),
checked in the markup and in headless Chromium on the sample site's Thai pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from cdp import Browser
from test_export_golden import exported

from opdc_cli import thai
from opdc_cli.htmltext import thai_breaks

# What holds Thai text on article and index pages.
TEXT = "h1, .summary, .body p, .body li, .credit, .event, .cards h2, .cards p"
WIDTHS = (390, 1280)
# For every element of TEXT: its text, and where each line after its first starts
# (offsets into the text, found from the position of every character).
BREAKS = """JSON.stringify(Array.from(document.querySelectorAll(%s)).map(function (element) {
  var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  var text = "", starts = [], top = null, node;
  var range = document.createRange();
  while ((node = walker.nextNode())) {
    for (var i = 0; i < node.data.length; i++) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      var rects = range.getClientRects();
      if (rects.length) {
        var y = rects[0].top;
        if (top !== null && y > top + 2) starts.push(text.length + i);
        if (top === null || y > top + 2) top = y;
      }
    }
    text += node.data;
  }
  return [text, starts];
}))"""


def is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def boundaries(text: str) -> set[int]:
    """Where thai.words lets a line break: between any two of its words."""
    # (htmltext keeps an abbreviation such as ก.พ.ร. whole: fewer places, all of them here.)
    found, at = set(), 0
    for word in thai.words(text):
        at += len(word)
        found.add(at)
    return found


def thai_breaks_in(text: str, starts: list[int]) -> Iterator[int]:
    """The line starts that fall between two Thai letters."""
    for start in starts:
        if 0 < start < len(text) and is_thai(text[start - 1]) and is_thai(text[start]):
            yield start


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("breaks")
    exported(folder)
    return folder / "public"


def test_wbr_sits_only_between_thai_words() -> None:
    text = "สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ <b>AT&T</b> หลักธรรมาภิบาล"
    html = str(thai_breaks(text))
    assert "&lt;b&gt;AT&amp;T&lt;/b&gt;" in html  # escaping kept
    assert "ก.พ.ร." in html  # an abbreviation is one word
    pieces = html.split("<wbr>")
    assert len(pieces) > 3
    plain = lxml.html.fragment_fromstring(html, create_parent="p").text_content()
    assert plain == text  # invisible to copying and searching
    at = 0
    cuts = boundaries(text)
    for piece in pieces[:-1]:
        at += len(lxml.html.fragment_fromstring(piece, create_parent="p").text_content())
        assert at in cuts and is_thai(text[at - 1]) and is_thai(text[at])
    assert str(thai_breaks("Plain English & more")) == "Plain English &amp; more"


@pytest.mark.parametrize(
    "nasty",
    ["AT&T", "A < B > C", "<b>bold</b>", "&amp;", "\"quoted\" 'single'", "ไทย&ไทย<ไทย>"],
)
def test_words_are_escaped_as_markupsafe_escapes(nasty: str) -> None:
    from markupsafe import escape

    text = f"การประชุม{nasty}เครือข่าย {nasty}"
    html = str(thai_breaks(text))
    without_breaks = re.sub(r"<wbr>|<span class=\"wl?\">|</span>", "", html)
    assert without_breaks == str(escape(text))


def test_the_pages_carry_wbr_but_the_feeds_do_not(sample_out: Path) -> None:
    page = (sample_out / "th" / "news" / "26461.html").read_text(encoding="utf-8")
    assert page.count("<wbr>") > 50
    document = lxml.html.fromstring(page)
    for element in document.cssselect(TEXT):
        assert "<wbr>" not in element.text_content()
    for feed in (sample_out / "feeds").rglob("*.xml"):
        assert "wbr" not in feed.read_text(encoding="utf-8"), feed


@pytest.mark.parametrize("width", WIDTHS)
def test_chromium_breaks_thai_lines_only_between_words(
    sample_out: Path, tmp_path: Path, width: int
) -> None:
    pages = [*sorted((sample_out / "th" / "news").glob("*.html")), sample_out / "th" / "index.html"]
    browser = Browser(tmp_path / "profile")
    checked = 0
    try:
        for page in pages:
            session = browser.open("about:blank")
            browser.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500},
                session=session,
            )
            browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
            browser.wait_for(
                session,
                "document.readyState === 'complete' && location.protocol === 'file:'",
                30,
            )
            browser.wait_for(session, "document.fonts.status === 'loaded'", 30)
            found = json.loads(browser.evaluate(session, BREAKS % json.dumps(TEXT)))
            for text, starts in found:
                assert not re.search(r"[\U00010000-\U0010ffff]", text)  # offsets are UTF-16
                wrong = [s for s in thai_breaks_in(text, starts) if s not in boundaries(text)]
                assert not wrong, (
                    page.name,
                    width,
                    [text[s - 12 : s] + "|" + text[s : s + 12] for s in wrong],
                )
                checked += sum(1 for _ in thai_breaks_in(text, starts))
    finally:
        browser.close()
    assert checked > 0  # some Thai line did break between two letters
