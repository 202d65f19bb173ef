"""The overview reads rollups, never logs: its DynamoDB reads stay the same when the logs grow tenfold."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import MASTER_KEY
from tests.integration.ui.conftest import Gw, sign_in

pytestmark = pytest.mark.slow
READS = ("query", "get", "get_many")


def _records(count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        ended = now - timedelta(days=i % 3, seconds=i)
        out.append({"request_id": f"req-{uuid.uuid4().hex}", "ended_at": ended.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "started_at": ended.isoformat(), "team_id": ("research", "support")[i % 2],
                    "key_digest": f"digest-{i % 3}", "model": ("gpt-4o-mini", "claude-haiku")[i % 2],
                    "provider": "mock", "status": "success" if i % 10 else "error", "cost": 0.001,
                    "prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 2, "latency_ms": 12.5})
    return out


def _seed(count: int) -> None:
    """Requests as the meter records them: the log row and its rollup, one transaction each."""
    from tollway.storage.spend_repo import SpendRepo

    repo = SpendRepo()
    for record in _records(count):  # one at a time: moto's transactions are not thread-safe
        repo.store.transact(repo.record_ops(record, expires_at=None))


def _seed_logs_only(count: int) -> None:
    """Many more log rows (the repository's own log write of each record; rollups untouched)."""
    from tollway.storage.spend_repo import SpendRepo

    repo = SpendRepo()
    for record in _records(count):
        repo.store.write(repo.record_ops(record, expires_at=None)[0])


def _overview_reads(gw: Gw, page: Any) -> tuple[Counter[str], float]:
    """The store's read round trips while the overview loads once."""
    from tollway.storage import client

    page.goto(f"{gw.url}/ui/#/overview")
    page.wait_for_load_state("networkidle")
    store = client.store()
    before = Counter(store.round_trips)
    page.reload()  # one full load of the overview
    page.get_by_test_id("spend-period").wait_for()
    page.wait_for_load_state("networkidle")
    shown = float(page.get_by_test_id("spend-period").get_attribute("data-value"))
    delta = Counter(store.round_trips)
    delta.subtract(before)
    return Counter({op: n for op, n in delta.items() if op in READS and n}), shown


def test_overview_reads_do_not_grow_with_the_spend_logs(gw: Gw, page: Any) -> None:
    gw.admin("POST", "/team/new", {"team_id": "research", "max_budget": 10})
    _seed(30)
    sign_in(page, gw.url, MASTER_KEY)
    small, shown_small = _overview_reads(gw, page)
    _seed_logs_only(600)
    large, shown_large = _overview_reads(gw, page)
    print(f"overview DynamoDB reads: {dict(small)} with 30 log rows, {dict(large)} with 630")
    assert shown_small == shown_large == pytest.approx(0.03)  # the rollups, not the logs
    # five 30-day reports read each day's rollups once (a query per day), plus a few lookups; the logs page
    # the overview samples for latency is one bounded page (limit 100): nothing scales with the log rows
    assert sum(large.values()) <= 5 * 31 + 10, large
    assert abs(sum(large.values()) - sum(small.values())) <= 2, (small, large)
