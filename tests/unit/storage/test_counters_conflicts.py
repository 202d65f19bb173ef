"""Transaction conflicts (concurrent transactions on one item) are retried; persistent ones become Contention."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber

from tollway.storage import counters_repo
from tollway.storage.counters_repo import Contention, CountersRepo, Lease
from tollway.storage.dynamo import DynamoStore

LEASES = [Lease("budget", "key", "k", "all", Decimal("0.1"), Decimal(1), "key budget"),
          Lease("budget", "team", "t", "all", Decimal("0.1"), Decimal(1), "team budget")]


def _conflict(stubber: Stubber) -> None:
    stubber.add_client_error(
        "transact_write_items", service_error_code="TransactionCanceledException",
        modeled_fields={"CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}]})


def test_conflicts_are_retried_then_give_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counters_repo.time, "sleep", lambda _s: None)
    client = boto3.client("dynamodb", region_name="us-east-1")
    repo = CountersRepo(DynamoStore(client))
    with Stubber(client) as stubber:
        _conflict(stubber)
        _conflict(stubber)
        stubber.add_response("transact_write_items", {})
        repo.reserve(LEASES, "req-1", 60, now=0)
        stubber.assert_no_pending_responses()
    with Stubber(client) as stubber:
        for _ in range(counters_repo.RESERVE_ATTEMPTS):
            _conflict(stubber)
        with pytest.raises(Contention):
            repo.reserve(LEASES, "req-2", 60, now=0)
