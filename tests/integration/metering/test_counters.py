"""CountersRepo on both backends: reservations, reclaiming expired ones, late settlements."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tollway.storage.counters_repo import CountersRepo, Lease, Refusal


def _budget(uid: str, amount: str, limit: str = "1.0") -> Lease:
    return Lease("budget", "key", f"k-{uid}", "all", Decimal(amount), Decimal(limit), f"key 'k-{uid}' budget")


def test_expired_reservation_is_reclaimed_once_and_a_late_settlement_still_charges(store_backend, uid) -> None:  # type: ignore[no-untyped-def]
    repo = CountersRepo()
    crashed = [_budget(uid, "0.8")]
    repo.reserve(crashed, "req-crashed", lease_seconds=10, now=1000.0)
    with pytest.raises(Refusal) as refused:  # still live at t=1005: refused, nothing reclaimed
        repo.reserve([_budget(uid, "0.5")], "req-b", lease_seconds=10, now=1005.0)
    assert refused.value.current == Decimal("0.8")
    assert repo.budget("key", f"k-{uid}", "all")["committed"] == Decimal("0.8")

    fresh = [_budget(uid, "0.5")]
    repo.reserve(fresh, "req-c", lease_seconds=10, now=1011.0)  # past expiry: reclaimed, then admitted
    state = repo.budget("key", f"k-{uid}", "all")
    assert state["committed"] == Decimal("0.5") and state["reservations"] == 1

    assert repo.settle(fresh, "req-c", {0: Decimal("0.3")}, []) == 1
    # the "crashed" request answers after all: its entry is gone, so its cost is added outright
    assert repo.settle(crashed, "req-crashed", {0: Decimal("0.2")}, []) == 2
    state = repo.budget("key", f"k-{uid}", "all")
    assert state["spent"] == Decimal("0.5") and state["committed"] == Decimal("0.5")
    assert state["reservations"] == 0


def test_all_or_nothing_across_counters(store_backend, uid) -> None:  # type: ignore[no-untyped-def]
    repo = CountersRepo()
    team = Lease("budget", "team", f"t-{uid}", "all", Decimal("0.6"), Decimal("1"), "team budget")
    rpm = Lease("rpm", "key", f"k-{uid}", "rpm#0", Decimal(1), Decimal(5), "rpm")
    repo.reserve([_budget(uid, "0.6"), team], "req-1", lease_seconds=60, now=0)
    with pytest.raises(Refusal) as refused:
        repo.reserve([rpm, _budget(uid, "0.1", limit="10"), team], "req-2", lease_seconds=60, now=0)
    assert refused.value.lease is team
    # the refused transaction moved nothing: the rpm window and the key budget are untouched
    assert repo.counter(rpm.key) is None
    assert repo.budget("key", f"k-{uid}", "all")["committed"] == Decimal("0.6")
