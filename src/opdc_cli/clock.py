"""The clock every command reads: the system's, or the one OPDC_NOW sets for testing.

OPDC_NOW holds an ISO date and time with its offset (2026-03-01T09:00:00+07:00).
It exists for tests and rehearsals (what would `opdc due` say tomorrow at nine?),
not for production: with it set, embargoes and expiries are judged at that moment.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo

from opdc_cli.errors import OpdcError

ENV_NOW = "OPDC_NOW"


def now(tz: tzinfo) -> datetime:
    """The current moment in `tz`: OPDC_NOW when it is set, else the system clock."""
    raw = os.environ.get(ENV_NOW, "").strip()
    if not raw:
        return datetime.now(tz)
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
