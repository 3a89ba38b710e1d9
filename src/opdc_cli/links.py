"""Links in bodies: bare web addresses and e-mail addresses, and the Markdown subset.

A plain body (site.toml `body_format = "plain"`) is text: every character is
escaped, and only `http://`/`https://` addresses and e-mail addresses become
links. The punctuation that ends a Thai or English sentence after an address,
and a closing parenthesis that opened before it, stay outside the link.

A site with `body_format = "markdown"` writes links with text, bold, italic and
bulleted and numbered lists, rendered by markdown-it-py with raw HTML off and
only those rules on; a link's target must be http(s) or mailto, or it stays text.
Bare addresses are linked there too.

Both produce markupsafe.Markup: every piece of the author's text goes through
Jinja2's escaping, so nothing in a body can add markup of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from opdc_cli.model import paragraphs_of

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markupsafe import Markup

BODY_FORMATS = ("plain", "markdown")
# Thai letters never belong to an address a body writes (Thai is written without
# spaces, so "ดูที่https://x.go.thครับ" must stop at "ครับ").
_THAI = "\u0e00-\u0e7f"
_URL = rf"https?://[^\s<>\"{_THAI}]+"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
_FIND = re.compile(rf"(?P<url>{_URL})|(?<![A-Za-z0-9._%+/:@-])(?P<email>{_EMAIL})", re.IGNORECASE)
# What ends a sentence or a clause after an address: English and Thai (ฯ, ๆ, ๏, ๚, ๛),
# quotes, and the full-width forms Thai text sometimes carries.
TRAILING = ".,;:!?'\"’”»…ฯๆ๏๚๛。、，！？"
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\.?$|^localhost$|"
    r"^\d{1,3}(?:\.\d{1,3}){3}$|^xn--[a-z0-9-]+(?:\.[a-z0-9-]+)*$",
    re.IGNORECASE,
)
# What a body may be meant to link but cannot: "http:/x", "https//x", "http://" alone.
_BROKEN = re.compile(r"\bhttps?:(?!//[^/\s])|\bhttps?//", re.IGNORECASE)
LINK_SCHEMES = ("http", "https", "mailto")


def _trim(url: str) -> str:
    """`url` without the punctuation that follows it in a sentence, and without a
    closing bracket it does not open itself ("(see https://x.go.th/a)")."""
    while url:
        last = url[-1]
        if last in TRAILING or (
            last in ")]}" and url.count(last) > url.count({")": "(", "]": "[", "}": "{"}[last])
        ):
            url = url[:-1]
        else:
            break
    return url


def find(text: str) -> Iterator[tuple[int, int, str]]:
    """The addresses in `text` that become links: (start, end, href)."""
    for match in _FIND.finditer(text):
        if match.group("url"):
            url = _trim(match.group("url"))
            if host_problem(url) is None:
                yield match.start(), match.start() + len(url), url
        else:
            address = match.group("email").rstrip(".-")
            yield match.start(), match.start() + len(address), "mailto:" + address


def host_problem(url: str) -> str | None:
    """Why the http(s) address `url` is not one a reader can follow, or None."""
    rest = url.split("://", 1)[1] if "://" in url else ""
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    host = re.sub(r":\d{1,5}$", "", host)
    if not host:
        return "has no host name"
    if not _HOST.match(host):
        return f"has no valid host name ({host[:40]!r})"
    return None


def _link(href: str, text: str) -> Markup:
    from markupsafe import Markup

    return Markup('<a href="{0}">{1}</a>').format(href, text)


def autolink(text: str, breaks: bool = False) -> Markup:
    """`text` escaped, with its web and e-mail addresses as links; `breaks`: with the
    Thai word boundaries (htmltext.thai_breaks) outside the links."""
    from markupsafe import Markup, escape

    from opdc_cli.htmltext import thai_breaks

    plain = thai_breaks if breaks else escape
    out = Markup("")
    last = 0
    for start, end, href in find(text):
        out += plain(text[last:start]) + _link(href, text[start:end])
        last = end
    return out + plain(text[last:])


def body_html(body: str, body_format: str = "plain", *, breaks: bool = False) -> Markup:
    """The body as HTML for a page or a full-content feed: paragraphs (`<p>`), and in
    the Markdown subset its links, emphasis and lists. `breaks` (pages, not feeds):
    `<wbr>` between Thai words, as htmltext.thai_breaks."""
    from markupsafe import Markup

    if body_format == "markdown":
        return Markup(_markdown().render(body, {"breaks": breaks}).strip())
    return Markup("\n").join(
        Markup("<p>{0}</p>").format(autolink(p, breaks)) for p in paragraphs_of(body)
    )


def allowed_target(url: str) -> bool:
    """Can a Markdown link point at `url`: http(s) with a real host, or mailto."""
    scheme, colon, _ = url.partition(":")
    if not colon or scheme.lower() not in LINK_SCHEMES:
        return False
    return scheme.lower() == "mailto" or host_problem(url) is None


_PARSER: list[MarkdownIt] = []


def _markdown() -> MarkdownIt:
    """The Markdown subset's parser, made once per process."""
    if _PARSER:
        return _PARSER[0]
    from markdown_it import MarkdownIt

    md = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False})
    md.enable(["emphasis", "link", "list", "newline", "escape"])
    md.validateLink = allowed_target  # type: ignore[method-assign]
    md.add_render_rule("text", _render_text)
    _PARSER.append(md)
    return md


def _render_text(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    """Plain text of the Markdown subset: escaped, its bare addresses linked, except
    inside a link's own text."""
    from markupsafe import escape

    from opdc_cli.htmltext import thai_breaks

    depth = 0
    for token in tokens[:idx]:
        depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
    text = tokens[idx].content
    breaks = bool(env and env.get("breaks"))
    if depth:
        return str(thai_breaks(text) if breaks else escape(text))
    return str(autolink(text, breaks))


def link_problems(body: str, body_format: str = "plain") -> Iterator[tuple[int, str]]:
    """Links in `body` that are written wrong: (index, what is wrong and what to do)."""
    for match in _BROKEN.finditer(body):
        yield (
            match.start(),
            f"{body[match.start() : match.end() + 20].split()[0][:60]!r} is not a "
            "complete address: write https:// and the host, e.g. https://www.opdc.go.th/",
        )
    for match in _FIND.finditer(body):
        url = match.group("url")
        if url:
            problem = host_problem(_trim(url))
            if problem:
                yield match.start(), f"link {_trim(url)[:60]!r} {problem}: check the address"
    if body_format == "markdown":
        for match in re.finditer(r"\]\(\s*<?([^)\s>]*)", body):
            target = match.group(1)
            if not allowed_target(target):
                yield (
                    match.start(1),
                    f"the link target {target[:60]!r} is not an http(s) or mailto address: "
                    "it is shown as text",
                )
