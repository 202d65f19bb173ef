"""Budget periods: calendar months in UTC, fixed day windows, lifetime."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tollway.metering.periods import period


def _at(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_calendar_month() -> None:
    assert period("1mo", _at(2026, 2, 28, 23, 59)) == ("2026-02/1mo", _at(2026, 3, 1))
    assert period("1mo", _at(2026, 3, 1))[0] == "2026-03/1mo"
    assert period("1mo", _at(2026, 12, 31, 12)) == ("2026-12/1mo", _at(2027, 1, 1))


def test_days_start_at_utc_midnight_and_new_period_is_a_new_bucket() -> None:
    assert period("1d", _at(2026, 5, 4, 23, 59, 59)) == ("2026-05-04T00:00:00/1d", _at(2026, 5, 5))
    assert period("1d", _at(2026, 5, 5))[0] != period("1d", _at(2026, 5, 4, 23))[0]
    start, end = period("7d", _at(2026, 5, 4))
    assert end - datetime.fromisoformat(start.split("/")[0] + "+00:00").timestamp() == 7 * 86400


def test_lifetime_and_invalid() -> None:
    assert period(None, 0) == ("all", None)
    with pytest.raises(ValueError, match="budget_duration"):
        period("monthly", 0)


def test_every_duration_the_admin_api_accepts_is_a_period() -> None:
    """A budget_duration of ``2w`` passed /key/generate but made every request of the key fail."""
    from tollway.identity.records import KeyGenerate

    for duration in ("30s", "15m", "1h", "30d", "2w", "1mo"):
        assert KeyGenerate(budget_duration=duration).budget_duration == duration
        bucket, end = period(duration, _at(2026, 5, 4))
        assert bucket and end is not None and end > _at(2026, 5, 4)
    assert period("1w", _at(2026, 5, 4)) == ("2026-04-30T00:00:00/1w", _at(2026, 5, 7))  # a Thursday
