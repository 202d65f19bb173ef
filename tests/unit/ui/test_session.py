"""Session tokens: signed, expiring, bound to the secret that signed them."""

from __future__ import annotations

import time

import pytest

from tollway.ui import session as sessions


def test_round_trip_keeps_every_claim() -> None:
    secret = sessions.derive_secret("sk-master")
    original = sessions.new_session("sso", user_id="ada@corp.example", role="team_admin",
                                    admin_teams=("ml",), member_teams=("ml", "ops"))
    decoded = sessions.decode(sessions.encode(original, secret), secret)
    assert decoded == original


def test_tampered_expired_or_foreign_tokens_are_none() -> None:
    secret = sessions.derive_secret("sk-master")
    token = sessions.encode(sessions.new_session("master_key"), secret)
    body, signature = token.split(".")
    assert sessions.decode(body + "x." + signature, secret) is None
    assert sessions.decode(token, sessions.derive_secret("sk-rotated")) is None
    assert sessions.decode(token, secret, now=time.time() + sessions.DEFAULT_TTL_SECONDS + 1) is None
    for junk in ("", "a.b.c", "nodot", "x" * 5000):
        assert sessions.decode(junk, secret) is None


def test_purposes_and_the_env_secret_give_distinct_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sessions.derive_secret("k", "session") != sessions.derive_secret("k", "sso-flow")
    monkeypatch.setenv("TOLLWAY_UI_SESSION_SECRET", "from-env")
    assert sessions.derive_secret("k") == sessions.derive_secret("other")
