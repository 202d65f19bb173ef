"""Fixtures for the reliability suite: the faulty upstream, gateways with metered keys. Tests that need a
store take ``store_backend`` (tests/conftest.py) and so run on SQLite and on DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.faulty_upstream import FaultyUpstream
from tests.integration.metering.conftest import uid  # noqa: F401  (fixtures, re-exported)


@pytest.fixture(scope="session")
def faulty() -> Iterator[FaultyUpstream]:
    upstream = FaultyUpstream().start()
    yield upstream
    upstream.stop()


@pytest.fixture(autouse=True)
def _journal(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Queued settlements go to this test's own journal, never to the repository's ``.tollway``."""
    monkeypatch.setenv("TOLLWAY_SETTLEMENT_JOURNAL", str(tmp_path / "settlements.journal"))
    monkeypatch.delenv("TOLLWAY_SETTLEMENT_QUEUE_URL", raising=False)
