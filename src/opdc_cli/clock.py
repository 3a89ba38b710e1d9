"""The current time, the one place opdc asks for it.

`OPDC_NOW` (an ISO 8601 time with its offset, e.g. 2026-03-01T09:00:00+07:00) fixes
it: for tests, for rehearsals (what would `opdc due` say tomorrow at nine?) and for
the documentation's examples, which tests/test_docs.py runs. It is not a setting
for sites: with it set, embargoes and expiries are judged at that moment.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo

from opdc_cli.errors import OpdcError

ENV_NOW = "OPDC_NOW"


def now(tz: tzinfo | None = None) -> datetime:
    """The current moment in `tz` (the host's zone when None): OPDC_NOW when it is
    set, else the system clock. A value without its offset is an OpdcError."""
    raw = os.environ.get(ENV_NOW, "").strip()
    if not raw:
        return datetime.now(tz) if tz is not None else datetime.now().astimezone()
    try:
        found = datetime.fromisoformat(raw)
    except ValueError:
        found = None
    if found is None or found.utcoffset() is None:
        raise OpdcError(
            f"{ENV_NOW}={raw!r} is not a date and time with its offset: "
            "write it as 2026-03-01T09:00:00+07:00, or unset it"
        )
    return found.astimezone(tz)
