"""HTML bodies as opdc's plain paragraphs, with lxml.html (never regular expressions
over markup).

Block elements and `<br><br>` end a paragraph, a blank line in the text does too
(WordPress keeps its paragraphs that way until it renders them), scripts, styles
and comments are dropped, entities decoded, and a link keeps its words followed by
its address in parentheses, since bodies cannot hold links yet. The images and
the links met on the way are returned too: the importers copy what they point to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

BLOCKS = frozenset(
    "address article aside blockquote dd details div dl dt figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
DROPPED = frozenset("script style noscript template iframe object embed svg head title".split())
# Characters XML and our files refuse (C0 controls but tab and newline, C1 controls).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
BLANK_LINE = re.compile(r"\n[ \t\r\xa0]*\n")
SPACES = re.compile(r"[ \t\r\n\xa0\u200b]+")


@dataclass(frozen=True)
class Image:
    """An <img> of the body: its address and alt text."""

    src: str
    alt: str


@dataclass(frozen=True)
class Link:
    """An <a href> of the body: its address and visible words."""

    href: str
    text: str


@dataclass
class Converted:
    """A body as paragraphs, with the images and links it held."""

    paragraphs: list[str]
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


class _Writer:
    """Collects text into paragraphs as the tree is walked."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.breaks = 0  # <br> seen in a row, with nothing but spaces between

    def text(self, text: str | None) -> None:
        if not text:
            return
        text = CONTROL.sub("", text)
        pieces = BLANK_LINE.split(text)
        for index, piece in enumerate(pieces):
            if index:
                self.end()
            if piece.strip(" \t\r\n\xa0\u200b"):
                self.breaks = 0
            self.current.append(piece)

    def line_break(self) -> None:
        self.breaks += 1
        if self.breaks >= 2:
            self.end()
        else:
            self.current.append(" ")

    def end(self) -> None:
        paragraph = SPACES.sub(" ", "".join(self.current)).strip()
        if paragraph:
            self.paragraphs.append(paragraph)
        self.current = []
        self.breaks = 0


def _is_element(node: Any) -> bool:
    # Comments and processing instructions have a function, not a string, as tag.
    return isinstance(node.tag, str)


def _walk(node: Any, writer: _Writer, found: Converted, marker: str = "") -> None:
    tag = node.tag.lower() if _is_element(node) else ""
    if not _is_element(node) or tag in DROPPED:
        return
    if tag == "br":
        writer.line_break()
        return
    if tag == "img":
        src = (node.get("src") or "").strip()
        if src:
            found.images.append(Image(src, SPACES.sub(" ", node.get("alt") or "").strip()))
        return
    block = tag in BLOCKS
    if block:
        writer.end()
        if marker:
            writer.text(marker)
    writer.text(node.text)
    number = 0
    for child in node:
        child_marker = ""
        if _is_element(child) and child.tag.lower() == "li":
            number += 1
            child_marker = f"{number}. " if tag == "ol" else "• "
        _walk(child, writer, found, child_marker)
        writer.text(child.tail)
    if tag == "a":
        _link(node, writer, found)
    if block:
        writer.end()


def _link(node: Any, writer: _Writer, found: Converted) -> None:
    href = (node.get("href") or "").strip()
    words = SPACES.sub(" ", node.text_content()).strip()
    if not href or href.startswith(("#", "javascript:", "data:")):
        return
    found.links.append(Link(href, words))
    shown = href.removeprefix("mailto:")
    if words and shown != words:
        writer.text(f" ({shown})")
    elif not words:
        writer.text(shown)


def html_to_text(html: str) -> Converted:
    """`html` (a fragment or a document) as paragraphs, images and links."""
    import lxml.html
    from lxml import etree

    found = Converted([])
    if not html.strip():
        return found
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return found
    writer = _Writer()
    _walk(root, writer, found)
    writer.end()
    found.paragraphs = writer.paragraphs
    return found


def plain(html: str) -> str:
    """A short text (a title, an excerpt, a caption) without its markup, on one line."""
    return " ".join(html_to_text(html).paragraphs)
