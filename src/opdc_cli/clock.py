"""The current time, the one place opdc asks for it.

`OPDC_NOW` (an ISO 8601 time with its offset, e.g. 2026-12-02T10:00:00+07:00) fixes
it: for tests, and for the documentation's examples, which tests/test_docs.py runs.
It is not a setting for sites; an unreadable value is ignored.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo


def now(tz: tzinfo | None = None) -> datetime:
    """The time now in `tz` (the host's zone when None), or `OPDC_NOW` when set."""
    fixed = os.environ.get("OPDC_NOW")
    if fixed:
        try:
            when = datetime.fromisoformat(fixed)
        except ValueError:
            when = None
        if when is not None and when.tzinfo is not None:
            return when.astimezone(tz)
    return datetime.now(tz) if tz is not None else datetime.now().astimezone()
