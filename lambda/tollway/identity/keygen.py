"""Virtual key material: generation, digests, display names and durations.

A key is ``sk-`` plus 32 url-safe characters from ``secrets`` (192 random bits). Only its
SHA-256 digest (hex) is ever stored; the raw key is returned once, by generate and
regenerate. ``display_name`` (``sk-...abcd``) is short and not enough to guess the key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from tollway.errors import InvalidRequestError

KEY_PREFIX = "sk-"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_DURATION = re.compile(r"^\s*([0-9]{1,9})\s*(s|m|h|d|w|mo)\s*$")
#: the longest duration accepted (a key or budget period beyond a century is a typo)
MAX_DURATION_SECONDS = 100 * 365 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400}


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def is_digest(value: str) -> bool:
    return bool(_DIGEST.match(value))


def token_of(reference: str) -> str:
    """A key reference from an admin call (a raw ``sk-`` key or its digest) as the digest."""
    reference = reference.strip()
    return reference if is_digest(reference) else digest(reference)


def display_name(key: str) -> str:
    return f"{key[:3]}...{key[-4:]}"


def parse_duration(value: str, *, field: str = "duration") -> int:
    """Seconds in ``30s``, ``15m``, ``1h``, ``30d``, ``2w`` or ``1mo`` (30 days); 400 naming ``field``."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
    if not 0 < seconds <= MAX_DURATION_SECONDS:
        raise InvalidRequestError(
            f"Invalid value for '{field}': '{value}' is not a duration like 30s, 1h or 30d (at most 100 years).",
            param=field,
        )
    return seconds


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds (an expiry is exact: a key given ``1s`` lives one second, not up to two)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def expiry(duration: str | None, *, field: str = "duration") -> str | None:
    """The ISO-8601 expiry ``duration`` from now (None: never expires)."""
    if duration is None:
        return None
    return iso(now() + timedelta(seconds=parse_duration(duration, field=field)))


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
