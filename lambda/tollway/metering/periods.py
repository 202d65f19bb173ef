"""Budget periods: ``budget_duration`` -> the id of the period a moment falls in, and when it ends.

A budget's counter item is keyed by its period id, so a new period starts from zero by construction
(no reset job): the first write of the period creates a fresh item; old ones expire by TTL.
``Nw``/``Nd``/``Nh``/``Nm``/``Ns`` are fixed windows aligned to the Unix epoch (UTC midnight for days;
weeks start on Thursdays, as the epoch did: the admin API accepts every unit ``identity.keygen`` parses);
``Nmo`` is calendar months in UTC (``1mo`` = the calendar month); no duration = one lifetime period.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DURATION = re.compile(r"^\s*(\d+)\s*(mo|w|d|h|m|s)\s*$")
_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
LIFETIME = "all"


def parse_duration(duration: str) -> tuple[int, str]:
    match = _DURATION.match(duration or "")
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"invalid budget_duration {duration!r} (use e.g. 1d, 7d, 30d, 1mo)")
    return int(match.group(1)), match.group(2)


def period(duration: str | None, now: float) -> tuple[str, float | None]:
    """(period id, end of the period in epoch seconds or None for lifetime)."""
    if not duration:
        return LIFETIME, None
    count, unit = parse_duration(duration)
    if unit == "mo":
        moment = datetime.fromtimestamp(now, UTC)
        index = (moment.year * 12 + moment.month - 1) // count * count
        start_year, start_month = divmod(index, 12)
        end_year, end_month = divmod(index + count, 12)
        end = datetime(end_year, end_month + 1, 1, tzinfo=UTC).timestamp()
        return f"{start_year:04d}-{start_month + 1:02d}/{count}mo", end
    size = count * _SECONDS[unit]
    start = int(now // size * size)
    label = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{label}/{count}{unit}", float(start + size)
