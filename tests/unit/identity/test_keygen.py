"""Key material, digests, display names and durations."""

from __future__ import annotations

import hashlib

import pytest

from tollway.errors import InvalidRequestError
from tollway.identity import keygen


def test_keys_are_random_prefixed_and_long() -> None:
    keys = {keygen.new_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert key.startswith("sk-")
        assert len(key) - 3 >= 22  # >= 128 bits of url-safe base64 (6 bits a character)


def test_digest_and_references() -> None:
    key = "sk-abc"
    assert keygen.digest(key) == hashlib.sha256(b"sk-abc").hexdigest()
    assert keygen.token_of(key) == keygen.digest(key)
    assert keygen.token_of(keygen.digest(key)) == keygen.digest(key)  # a digest is taken as is
    assert keygen.is_digest(keygen.digest(key)) and not keygen.is_digest("sk-" + "a" * 61)


def test_display_name_is_short_and_not_the_key() -> None:
    key = keygen.new_key()
    name = keygen.display_name(key)
    assert name.startswith("sk-...") and name.endswith(key[-4:]) and len(name) == 10


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("30d", 2592000),
                                               ("2w", 1209600), ("1mo", 2592000), (" 5d ", 432000)])
def test_durations(text: str, seconds: int) -> None:
    assert keygen.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "d", "0s", "-1h", "1y", "1.5h", "forever"])
def test_bad_durations_name_the_field(text: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        keygen.parse_duration(text, field="budget_duration")
    assert raised.value.param == "budget_duration"


def test_expiry_is_in_the_future() -> None:
    expires = keygen.expiry("1h")
    assert expires is not None and keygen.parse_iso(expires) > keygen.now()
    assert keygen.expiry(None) is None
