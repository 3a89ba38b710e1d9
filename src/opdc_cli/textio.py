"""Bytes to text to TOML, with errors that say where and what to do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from opdc_cli.errors import OpdcError

BOM = b"\xef\xbb\xbf"

# The character classes below are the one home of "which characters may not pass";
# each user compiles the set it needs from them.
# XML 1.0 forbids C0 controls other than tab, LF and CR, U+FFFE and U+FFFF; lone
# surrogates cannot be encoded at all.
XML_FORBIDDEN_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff"
# DEL and the C1 controls: legal XML, but feed readers silently change them and
# terminals obey them.
C1_CHARS = "\x7f-\x9f"
XML_FORBIDDEN = re.compile(f"[{XML_FORBIDDEN_CHARS}]")
# What validate refuses in an article: XML's forbidden characters and C1.
CONTENT_FORBIDDEN = re.compile(f"[{XML_FORBIDDEN_CHARS}{C1_CHARS}]")
# What the terminal view drops: every control character but tab and newline.
TERMINAL_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f{C1_CHARS}]")
# What a one-line message escapes: every control character and the Unicode line breaks.
LINE_BREAKING = re.compile(f"[\x00-\x1f{C1_CHARS}\u2028\u2029]")


def drop_controls(text: str) -> str:
    """`text` without control characters (tabs and newlines kept): content to show."""
    return TERMINAL_CONTROL.sub("", text)


def visible(text: str) -> str:
    """`text` with control characters and line breaks written as escapes such as
    \\x1b: a message quoting what someone wrote (a key, a category, a folder name)
    stays one harmless line, and still shows what is there."""
    return LINE_BREAKING.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def looks_like_cp874(data: bytes) -> bool:
    """True when `data` decodes strictly as cp874 (TIS-620) and holds Thai letters.

    Used only to *name* the encoding in an error: short legacy Thai text cannot be
    told apart reliably, so nothing is converted silently.
    """
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        return False
    return any("\u0e01" <= char <= "\u0e5b" for char in text)


def decode_text(path: Path, data: bytes) -> str:
    """`data` as UTF-8 text (a leading BOM is dropped), or an OpdcError at the bad byte."""
    body = data[len(BOM) :] if data.startswith(BOM) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        line = data[:offset].count(b"\n") + 1
        # Editors count columns in characters: decode the line's valid start to count them.
        line_start = max(data.rfind(b"\n", 0, offset) + 1, len(data) - len(body))
        col = len(data[line_start:offset].decode("utf-8")) + 1
        if looks_like_cp874(body):
            message = (
                f"not UTF-8: this looks like Thai in TIS-620/cp874 (byte {offset}); "
                f"convert it with 'iconv -f cp874 -t utf-8' and save as UTF-8"
            )
        else:
            message = (
                f"not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset}; "
                "save the file as UTF-8"
            )
        raise OpdcError(message, path, line, col, "OPDC102") from None


def parse_toml(path: Path, text: str, *, line_offset: int = 0) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes an OpdcError with its line and column."""
    import tomli

    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        line = exc.lineno + line_offset if exc.lineno is not None else None
        # tomli's msg is the bare reason; the position is ours to format.
        raise OpdcError(f"TOML syntax error: {exc.msg}", path, line, exc.colno, "OPDC101") from None
    except RecursionError:
        # tomli refuses arrays or tables nested over 400 levels and keys of over
        # 1,000 dotted parts (or runs out of stack): say where, as for a syntax error.
        line, col = _recursion_place(text)
        raise OpdcError(
            "TOML nested too deeply (arrays or tables inside each other hundreds of levels "
            "deep, or a key of a thousand dotted parts): no article needs that; remove it",
            path,
            line + line_offset,
            col,
            "OPDC101",
        ) from None


def _recursion_place(text: str) -> tuple[int, int]:
    """(line, col) of the character at which parsing `text` starts to recurse too deep.

    tomli reads from left to right and gives up as soon as it is too deep, so the
    shortest prefix that fails the same way ends there: found by bisection, a few
    dozen parses, only on this error's path.
    """
    import tomli

    def too_deep(end: int) -> bool:
        try:
            tomli.loads(text[:end])
        except RecursionError:
            return True
        except tomli.TOMLDecodeError:
            return False
        return False

    low, high = 0, len(text)
    while low < high:
        middle = (low + high) // 2
        if too_deep(middle):
            high = middle
        else:
            low = middle + 1
    offset = max(0, low - 1)
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col
