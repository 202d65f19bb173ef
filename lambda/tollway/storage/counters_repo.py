"""Budget and rate-limit counters in the COUNTERS table (the only module that knows their keys).

Items (``pk`` / ``sk``):

* ``budget#<scope>#<id>`` / ``<period id>``: ``committed`` (settled spend + outstanding reservations),
  ``spent`` (settled spend), one ``r_<request id>`` map ``{a: amount, e: expiry}`` per outstanding
  reservation, ``expires_at`` (TTL, after the period ends).
* ``rate#<scope>#<id>`` / ``rpm#<minute>`` and ``tpm#<minute>``: fixed one-minute windows, ``n``.
* ``rate#<scope>#<id>`` / ``parallel``: ``n`` in-flight requests plus ``r_<request id>`` entries.

Reserving is one conditional write over every item (``TransactWriteItems``; ``UpdateItem`` for one):
each condition is ``committed <= limit - amount`` (DynamoDB cannot add in a condition, so the
threshold is computed here), so no interleaving of writers across processes can push a counter past
its limit. Reservation entries let a refusal reclaim the leases of crashed requests: an entry past
its expiry is removed together with its amount, conditionally, so exactly one reclaimer (or the late
settlement) accounts for it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from tollway.storage.client import dynamodb
from tollway.storage.tables import COUNTERS, physical_name

Kind = Literal["budget", "rpm", "tpm", "parallel"]
#: counters of closed periods/windows stay readable this long before TTL removes them
BUDGET_GRACE_SECONDS = 40 * 86400
WINDOW_GRACE_SECONDS = 120
#: attempts of a transaction that keeps conflicting with concurrent ones on the same items
RESERVE_ATTEMPTS = 8
SETTLE_ATTEMPTS = 20
#: how long a settlement's marker (``settled#<request id>`` / ``settled``) outlives it; a replay of the
#: same settlement within this time is a no-op (longer than any settlement queue keeps a message)
SETTLED_MARKER_SECONDS = 15 * 86400


@dataclass(frozen=True)
class Lease:
    """One counter moved by a reservation. ``label`` names it in refusals."""

    kind: Kind
    scope: str
    scope_id: str
    bucket: str  # budget period id, or rate window id ("rpm#<minute>", "tpm#<minute>", "parallel")
    amount: Decimal
    limit: Decimal | None
    label: str
    period_end: float | None = None

    @property
    def key(self) -> dict[str, Any]:
        prefix = "budget" if self.kind == "budget" else "rate"
        return {"pk": {"S": f"{prefix}#{self.scope}#{self.scope_id}"}, "sk": {"S": self.bucket}}

    @property
    def attribute(self) -> str:
        return "committed" if self.kind == "budget" else "n"

    @property
    def tracked(self) -> bool:
        """Whether the lease leaves an entry that must be returned (windows simply expire)."""
        return self.kind in ("budget", "parallel")


class Contention(Exception):
    """A reservation transaction kept conflicting with concurrent ones (the caller may retry)."""


class Refusal(Exception):
    """A reservation that would exceed ``lease``'s limit; ``current`` is the counter's value."""

    def __init__(self, lease: Lease, current: Decimal) -> None:
        super().__init__(lease.label)
        self.lease = lease
        self.current = current


def dec(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


class CountersRepo:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or dynamodb()

    @property
    def table(self) -> str:
        return physical_name(COUNTERS)

    # ------------------------------------------------------------------ reserve

    def reserve(self, leases: list[Lease], request_id: str, lease_seconds: float, *,
                now: float | None = None) -> None:
        """Move every lease at once or none; raises Refusal naming the first exceeded limit.

        Each tracked lease is conditional on its entry not existing yet, so a write retried after an
        unanswered try (botocore retries a timed-out call) is applied once, never twice.
        """
        now = time.time() if now is None else now
        for lease in leases:
            if lease.limit is not None and lease.amount > lease.limit:
                raise Refusal(lease, Decimal(0))
        entry = {"M": {"a": {"N": "0"}, "e": {"N": str(int(now + lease_seconds))}}}
        reclaimed = False
        while True:
            ops = [self._reserve_op(lease, request_id, entry, now) for lease in leases]
            failed = self._write(ops)
            if not failed:
                return
            if any(_entry_name(request_id) in item for _, item in failed):
                return  # an earlier try of this very write landed (a retried request): reserved once, all or none
            index, old = failed[0]
            lease = leases[index]
            if not reclaimed and self.reclaim_expired(lease, old, now=now):
                reclaimed = True
                continue
            raise Refusal(lease, dec(_num(old.get(lease.attribute)) or 0))

    def _reserve_op(self, lease: Lease, request_id: str, entry: dict[str, Any], now: float) -> dict[str, Any]:
        names = {"#c": lease.attribute}
        values: dict[str, Any] = {":a": {"N": str(lease.amount)}}
        sets = []
        expires = self._expiry(lease, now)
        if expires is not None:
            sets.append("expires_at = :x")
            values[":x"] = {"N": str(expires)}
        if lease.tracked:
            names["#r"] = _entry_name(request_id)
            sets.append("#r = :r")
            values[":r"] = {"M": {**entry["M"], "a": {"N": str(lease.amount)}}}
        op: dict[str, Any] = {
            "TableName": self.table, "Key": lease.key,
            "UpdateExpression": "ADD #c :a" + (" SET " + ", ".join(sets) if sets else ""),
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        conditions = ["attribute_not_exists(#r)"] if lease.tracked else []  # never applied twice
        if lease.limit is not None:
            conditions.append("(attribute_not_exists(#c) OR #c <= :t)")
            values[":t"] = {"N": str(lease.limit - lease.amount)}
        if conditions:
            op["ConditionExpression"] = " AND ".join(conditions)
        return op

    @staticmethod
    def _expiry(lease: Lease, now: float) -> int | None:
        if lease.kind in ("rpm", "tpm"):
            return int(now // 60 * 60 + 60 + WINDOW_GRACE_SECONDS)
        if lease.kind == "budget":
            return None if lease.period_end is None else int(lease.period_end + BUDGET_GRACE_SECONDS)
        return None

    def reclaim_expired(self, lease: Lease, item: dict[str, Any], *, now: float) -> bool:
        """Return the amounts of expired reservation entries on ``item`` (each exactly once)."""
        freed = False
        for name, value in item.items():
            if not name.startswith("r_") or "M" not in value:
                continue
            expiry = _num(value["M"].get("e")) or 0
            if expiry > now:
                continue
            amount = dec(_num(value["M"].get("a")) or 0)
            client = self.client
            try:
                client.update_item(
                    TableName=self.table, Key=lease.key,
                    UpdateExpression="ADD #c :neg REMOVE #r", ConditionExpression="attribute_exists(#r)",
                    ExpressionAttributeNames={"#c": lease.attribute, "#r": name},
                    ExpressionAttributeValues={":neg": {"N": str(-amount)}},
                )
            except client.exceptions.ConditionalCheckFailedException:
                continue  # settled or reclaimed by someone else meanwhile
            freed = True
        return freed

    # ------------------------------------------------------------------ settle

    def settle_ops(self, leases: list[Lease], request_id: str, actual: dict[int, Decimal], *,
                   lost: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
        """The updates that turn reservations into actual amounts (``actual`` by lease index).

        ``lost`` are leases whose reservation entry was already reclaimed: their actual amount is
        added outright and nothing is removed.
        """
        ops = []
        for index, lease in enumerate(leases):
            amount = actual.get(index, Decimal(0))
            if lease.kind == "rpm":
                continue
            names = {"#c": lease.attribute}
            if lease.kind == "tpm":
                values = {":d": {"N": str(amount - lease.amount)}}
                ops.append({"Update": {"TableName": self.table, "Key": lease.key, "UpdateExpression": "ADD #c :d",
                                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}})
                continue
            if index in lost:
                if lease.kind == "parallel":
                    continue
                update = "ADD #c :d, spent :s"
                values = {":d": {"N": str(amount)}, ":s": {"N": str(amount)}}
                op: dict[str, Any] = {"UpdateExpression": update}
            else:
                names["#r"] = _entry_name(request_id)
                delta = (amount - lease.amount) if lease.kind == "budget" else Decimal(-1)
                values = {":d": {"N": str(delta)}}
                update = "ADD #c :d REMOVE #r"
                if lease.kind == "budget":
                    update = "ADD #c :d, spent :s REMOVE #r"
                    values[":s"] = {"N": str(amount)}
                op = {"UpdateExpression": update, "ConditionExpression": "attribute_exists(#r)"}
            ops.append({"Update": {"TableName": self.table, "Key": lease.key, **op,
                                   "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}})
        return ops

    def settle(self, leases: list[Lease], request_id: str, actual: dict[int, Decimal],
               extra: list[dict[str, Any]]) -> int:
        """Settle the leases and write ``extra`` (spend log, rollups) in one transaction.

        Returns the number of write calls made (1 unless a reservation had been reclaimed), or 0 when
        this request id was settled before: the transaction also writes a marker item, conditionally,
        so a settlement replayed after a failure that left its outcome unknown is applied exactly once.
        """
        lost: set[int] = set()
        calls = 0
        marker = {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)", "Item": {
            "pk": {"S": f"settled#{request_id}"}, "sk": {"S": "settled"},
            "expires_at": {"N": str(int(time.time() + SETTLED_MARKER_SECONDS))}}}}
        while True:
            ops = self.settle_ops(leases, request_id, actual, lost=frozenset(lost))
            tracked = [i for i, lease in enumerate(leases)
                       if lease.kind != "rpm" and not (lease.kind == "parallel" and i in lost)]
            calls += 1
            failed = self._transact([marker, *ops, *extra], attempts=SETTLE_ATTEMPTS)
            if not failed:
                return calls
            if any(i == 0 for i, _ in failed):
                return 0  # settled before (a replay): nothing is written twice
            newly = {tracked[i - 1] for i, _ in failed if 0 < i <= len(tracked)}
            if not newly or newly <= lost:
                raise RuntimeError("settlement failed on a spend record")  # pragma: no cover
            lost |= newly

    # ------------------------------------------------------------------ reads

    def budget(self, scope: str, scope_id: str, bucket: str) -> dict[str, Decimal]:
        item = self.client.get_item(
            TableName=self.table, ConsistentRead=True,
            Key={"pk": {"S": f"budget#{scope}#{scope_id}"}, "sk": {"S": bucket}},
        ).get("Item") or {}
        return {"spent": dec(_num(item.get("spent")) or 0), "committed": dec(_num(item.get("committed")) or 0),
                "reservations": Decimal(sum(1 for name in item if name.startswith("r_")))}

    # ------------------------------------------------------------------ writes

    def _write(self, ops: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
        """One write of the reservation ops; [(index, old item)] of failed conditions."""
        if len(ops) == 1:
            client = self.client
            try:
                client.update_item(**ops[0])
            except client.exceptions.ConditionalCheckFailedException as exc:
                return [(0, exc.response.get("Item") or {})]
            return []
        return self._transact([{"Update": op} for op in ops], attempts=RESERVE_ATTEMPTS)

    def _transact(self, items: list[dict[str, Any]], *, attempts: int) -> list[tuple[int, dict[str, Any]]]:
        client = self.client
        for attempt in range(attempts):
            try:
                client.transact_write_items(TransactItems=items)
                return []
            except client.exceptions.TransactionCanceledException as exc:
                reasons = exc.response.get("CancellationReasons") or []
                failed = [(i, r.get("Item") or {}) for i, r in enumerate(reasons)
                          if r.get("Code") == "ConditionalCheckFailed"]
                if failed:
                    return failed
                if not any(r.get("Code") in ("TransactionConflict", "ThrottlingError") for r in reasons):
                    raise
                time.sleep(random.uniform(0, min(0.5, 0.01 * 2 ** attempt)))
        raise Contention("DynamoDB transaction kept conflicting")


def _entry_name(request_id: str) -> str:
    return "r_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in request_id)[:80]


def _num(value: dict[str, Any] | None) -> Decimal | None:
    if not value or "N" not in value:
        return None
    return Decimal(value["N"])
