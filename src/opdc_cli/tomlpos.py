"""Where each key of a TOML document is written: line and column, for messages.

TOML parsers give back values, not places. This scanner reads the text line by
line, follows `[table]` and `[[array]]` headers and `key = value` lines, and maps
each key path to the place of its key, so that an error about `photos[2].th`
points at that line rather than at line 1. It does not validate: the text has
already been parsed by tomli.
"""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _unescape(quoted: str) -> str:
    """The value of a quoted TOML key with escapes, as the parser sees it."""
    import tomli

    try:
        return next(iter(tomli.loads(f"{quoted} = 0")))
    except tomli.TOMLDecodeError:
        return quoted[1:-1]


def _parse_key(text: str, pos: int) -> tuple[list[str], int] | None:
    """Parse a (dotted) key at `pos`; return its parts and the position after it."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return None
        char = text[pos]
        if char in "\"'":
            end = pos + 1
            while end < len(text) and text[end] != char:
                end += 2 if char == '"' and text[end] == "\\" else 1
            if end >= len(text):
                return None
            raw = text[pos + 1 : end]
            if char == '"' and "\\" in raw:
                raw = _unescape(text[pos : end + 1])
            parts.append(raw)
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if not match:
                return None
            parts.append(match.group())
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


def _scan_value(line: str, pos: int, quote: str | None, depth: int) -> tuple[str | None, int]:
    """Follow a value through `line` from `pos`, as it may go on over several lines.

    Returns the multi-line string still open at the end of the line (its closing
    quotes) and how many arrays or inline tables are still open: the lines of such
    a value hold no keys, even when they look like `key = value` or `[table]`.
    """
    end = len(line)
    while pos < end:
        if quote:
            if quote == '"""' and line[pos] == "\\":
                pos += 2
            elif line.startswith(quote, pos):
                # Up to two more quotes right before the closing ones are content.
                stop = pos + 3
                while stop < min(end, pos + 5) and line[stop] == quote[0]:
                    stop += 1
                pos, quote = stop, None
            else:
                pos += 1
            continue
        char = line[pos]
        if char == "#":
            break
        if line.startswith(('"""', "'''"), pos):
            quote = line[pos : pos + 3]
            pos += 3
        elif char == '"':
            pos += 1
            while pos < end and line[pos] != '"':
                pos += 2 if line[pos] == "\\" else 1
            pos += 1
        elif char == "'":
            close = line.find("'", pos + 1)
            pos = end if close < 0 else close + 1
        else:
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth = max(0, depth - 1)
            pos += 1
    return quote, depth


def key_positions(text: str) -> dict[KeyPath, tuple[int, int]]:
    """Map every key path to its 1-based (line, column).

    Arrays of tables are indexed: the `file` key of the second `[[photos]]` is
    `("photos", 1, "file")`; a header itself maps its own path.
    """
    positions: dict[KeyPath, tuple[int, int]] = {}
    counters: dict[KeyPath, int] = {}
    table: KeyPath = ()
    open_quote: str | None = None
    depth = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if open_quote or depth:
            open_quote, depth = _scan_value(line, 0, open_quote, depth)
            continue
        stripped = line.lstrip(" \t")
        col = len(line) - len(stripped) + 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            parsed = _parse_key(stripped, 2)
            if parsed:
                base = tuple(parsed[0])
                index = counters.get(base, -1) + 1
                counters[base] = index
                table = (*base, index)
                positions.setdefault(base, (number, col))
                positions[table] = (number, col)
            continue
        if stripped.startswith("["):
            parsed = _parse_key(stripped, 1)
            if parsed:
                table = tuple(parsed[0])
                positions[table] = (number, col)
            continue
        parsed = _parse_key(stripped, 0)
        if not parsed or parsed[1] >= len(stripped) or stripped[parsed[1]] != "=":
            continue
        keys, after = parsed
        path: KeyPath = (*table, *keys)
        positions.setdefault(path, (number, col))
        open_quote, depth = _scan_value(stripped, after + 1, None, 0)
    return positions


def locate(positions: dict[KeyPath, tuple[int, int]], path: KeyPath) -> tuple[int, int] | None:
    """The place of `path`, or of its nearest written ancestor (a table header)."""
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return None
