"""Key expiry keeps sub-second precision (item 10: it was truncated to whole seconds)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.integration.identity.conftest import Admin


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_expiry_is_exact_to_the_microsecond(gateway, admin: Admin) -> None:  # type: ignore[no-untyped-def]
    before = datetime.now(UTC)
    made = admin.post("/key/generate", {"duration": "2s"})
    after = datetime.now(UTC)
    expires = _moment(made["expires"])
    assert "." in made["expires"]  # fractional seconds are kept
    assert before + timedelta(seconds=2) <= expires <= after + timedelta(seconds=2)
    caller = admin.as_(made["key"])
    assert caller.call("GET", "/key/info").status_code == 200
    wait = (expires - datetime.now(UTC)).total_seconds()
    time.sleep(max(0.0, wait) + 0.05)
    refused = caller.call("GET", "/key/info")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "key_expired"
