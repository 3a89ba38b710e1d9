"""Text for html pages: escaped, with the Thai word boundaries opdc computes given to
the browser.

Thai is written without spaces between words, and a browser that breaks a line
inside one guesses where its words end (Chromium splits หลักธรรมาภิบาล as
หลักธร|รมาภิบาล). A `<wbr>` between two Thai words that touch tells it where it may
break, and a word of more than one syllable's length is kept whole in a
`<span class="w">` (the style sheet: `white-space: nowrap`; a long one `"wl"`, a
box no wider than the line), as a browser still breaks where its own dictionary
says. Both are invisible: copying or searching the text finds the words as written.
The boundaries are `thai.words`, the same segmentation (and cache) as `opdc show`
in the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opdc_cli import thai

if TYPE_CHECKING:
    from markupsafe import Markup

WBR = "<wbr>"
# Words kept whole: longer than a syllable. Up to LONG characters a word fits any
# line and never breaks (class "w"); a longer one (a name: ศูนย์การประชุมแห่งชาติสิริกิติ์)
# breaks inside only when wider than the line (class "wl").
SHORTEST = 4
LONG = 24
# markupsafe.escape's replacements, exactly (tests/test_htmltext.py compares).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def thai_breaks(text: object) -> Markup:
    """`text` escaped, with `<wbr>` between each two Thai words that touch and each
    longer Thai word in a `<span class="w">`."""
    from markupsafe import Markup, escape

    if isinstance(text, Markup):
        return text  # already HTML: made by opdc, with its breaks where it wants them
    plain = "" if text is None else str(text)
    if not thai.has_thai(plain):
        return escape(plain)
    out: list[str] = []
    previous = False
    for token in _words(plain):
        # Per token, str.translate escapes as markupsafe does at a fraction of the cost
        # of a Markup per token (this loop runs for every word of every page).
        current = thai.has_thai(token)  # a space or a Latin run is no Thai word
        if previous and current:
            out.append(WBR)
        if current and len(token) >= SHORTEST:
            kind = "w" if len(token) <= LONG else "wl"
            out.append(f'<span class="{kind}">{token.translate(_ESCAPES)}</span>')
        else:
            out.append(token.translate(_ESCAPES))
        previous = current
    return Markup("".join(out))


def _words(text: str) -> list[str]:
    """thai.words, with a Thai abbreviation (ก.พ.ร., พ.ศ.) one word: a word that ends
    in a full stop goes on with the Thai word after it."""
    found: list[str] = []
    for token in thai.words(text):
        if found and found[-1].endswith(".") and thai.has_thai(found[-1]) and thai.has_thai(token):
            found[-1] += token
        else:
            found.append(token)
    return found
