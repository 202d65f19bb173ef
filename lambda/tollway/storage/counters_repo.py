"""Budget and rate-limit counters in the COUNTERS table (the only module that knows their keys).

Items (``pk`` / ``sk``):

* ``budget#<scope>#<id>`` / ``<period id>``: ``committed`` (settled spend + outstanding reservations),
  ``spent`` (settled spend), one ``r_<request id>`` map ``{a: amount, e: expiry}`` per outstanding
  reservation, ``expires_at`` (TTL, after the period ends).
* ``rate#<scope>#<id>`` / ``rpm#<minute>`` and ``tpm#<minute>``: fixed one-minute windows, ``n``.
* ``rate#<scope>#<id>`` / ``parallel``: ``n`` in-flight requests plus ``r_<request id>`` entries.
* ``settled#<reservation id>`` / ``settled``: written (only if absent) by the settlement's own
  transaction, ``expires_at`` ``SETTLED_MARKER_SECONDS`` later, so a replayed settlement is a no-op.
* ``total#<scope>#<id>`` / ``total`` (scopes ``key``, ``team``, ``user`` and ``member`` =
  ``<team>/<user>``): all-time ``spend`` and ``m#<model>`` (spend per model), added to by each
  settlement's own transaction (``total_ops``), never expiring. What the admin API shows as
  ``total_spend`` and ``model_spend``; ``spend`` of a budget period is that budget item's ``spent``.

Reserving is one conditional write over every item (a transaction; a single write for one):
each condition is ``committed <= limit - amount`` (conditions cannot add, so the threshold is
computed here), so no interleaving of writers across processes can push a counter past
its limit. Reservation entries let a refusal reclaim the leases of crashed requests: an entry past
its expiry is removed together with its amount, conditionally, so exactly one reclaimer (or the late
settlement) accounts for it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from tollway.storage.errors import ConditionFailed, TransactionConflict
from tollway.storage.ops import Cond, Key, Put, Update
from tollway.storage.tables import COUNTERS

if TYPE_CHECKING:
    from tollway.storage.backend import Store
    from tollway.storage.ops import Item, Write

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
    def key(self) -> Key:
        prefix = "budget" if self.kind == "budget" else "rate"
        return Key(f"{prefix}#{self.scope}#{self.scope_id}", self.bucket)

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
    """A reservation that would exceed ``lease``'s limit; ``current`` is the counter's value.

    ``refused`` holds every (lease, counter value) whose condition failed, first one first, as the
    failed write itself reported them (no extra read): what a caller needs to fit a smaller amount.
    The value is None when the lease was refused without a write (its amount alone exceeds its limit).
    """

    def __init__(self, lease: Lease, current: Decimal,
                 refused: list[tuple[Lease, Decimal | None]] | None = None) -> None:
        super().__init__(lease.label)
        self.lease = lease
        self.current = current
        self.refused: list[tuple[Lease, Decimal | None]] = refused or [(lease, current)]


def dec(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


class CountersRepo:
    def __init__(self, store: Store | None = None) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is not None:
            return self._store
        from tollway.storage.client import store

        return store()

    # ------------------------------------------------------------------ reserve

    def reserve(self, leases: list[Lease], request_id: str, lease_seconds: float, *,
                now: float | None = None) -> None:
        """Move every lease at once or none; raises Refusal naming the first exceeded limit.

        Each tracked lease is conditional on its entry not existing yet, so a write retried after an
        unanswered try (botocore retries a timed-out call) is applied once, never twice.
        """
        now = time.time() if now is None else now
        over: list[tuple[Lease, Decimal | None]] = [
            (lease, None) for lease in leases if lease.limit is not None and lease.amount > lease.limit]
        if over:  # cannot fit whatever was spent: refused without a write, the counters unread
            raise Refusal(over[0][0], Decimal(0), over)
        expiry = int(now + lease_seconds)
        reclaimed = False
        while True:
            ops: list[Write] = [self._reserve_op(lease, request_id, expiry, now) for lease in leases]
            try:
                self._transact(ops, attempts=RESERVE_ATTEMPTS)
                return
            except ConditionFailed as failed:
                if any(entry_name(request_id) in (item or {}) for _, item in failed.failures):
                    return  # an earlier try of this very write landed (a retried request): reserved once
                failures = failed.failures
            index, old = failures[0]
            lease = leases[index]
            if not reclaimed and self.reclaim_expired(lease, old or {}, now=now):
                reclaimed = True
                continue
            refused: list[tuple[Lease, Decimal | None]] = [
                (leases[i], dec((item or {}).get(leases[i].attribute) or 0)) for i, item in failures]
            raise Refusal(lease, dec((old or {}).get(lease.attribute) or 0), refused)

    def _reserve_op(self, lease: Lease, request_id: str, expiry: int, now: float) -> Update:
        sets: dict[str, Any] = {}
        expires = self._expiry(lease, now)
        if expires is not None:
            sets["expires_at"] = expires
        if lease.tracked:
            sets[entry_name(request_id)] = {"a": lease.amount, "e": expiry}
        when: tuple[Cond, ...] = (Cond.not_exists(entry_name(request_id)),) if lease.tracked else ()
        if lease.limit is not None:  # never applied twice, never past the limit
            when += (Cond.le(lease.attribute, lease.limit - lease.amount, or_absent=True),)
        return Update(COUNTERS, lease.key, add={lease.attribute: lease.amount}, set=sets, when=when)

    @staticmethod
    def _expiry(lease: Lease, now: float) -> int | None:
        if lease.kind in ("rpm", "tpm"):
            return int(now // 60 * 60 + 60 + WINDOW_GRACE_SECONDS)
        if lease.kind == "budget":
            return None if lease.period_end is None else int(lease.period_end + BUDGET_GRACE_SECONDS)
        return None

    def reclaim_expired(self, lease: Lease, item: Item, *, now: float) -> bool:
        """Return the amounts of expired reservation entries on ``item`` (each exactly once)."""
        freed = False
        for name, value in item.items():
            if not name.startswith("r_") or not isinstance(value, dict):
                continue
            if dec(value.get("e") or 0) > dec(now):
                continue
            amount = dec(value.get("a") or 0)
            try:
                self.store.write(Update(COUNTERS, lease.key, add={lease.attribute: -amount}, remove=(name,),
                                        when=(Cond.exists(name),)))
            except ConditionFailed:
                continue  # settled or reclaimed by someone else meanwhile
            freed = True
        return freed

    # ------------------------------------------------------------------ settle

    def settle_ops(self, leases: list[Lease], request_id: str, actual: dict[int, Decimal], *,
                   lost: frozenset[int] = frozenset()) -> list[Write]:
        """The updates that turn reservations into actual amounts (``actual`` by lease index).

        ``lost`` are leases whose reservation entry was already reclaimed: their actual amount is
        added outright and nothing is removed.
        """
        ops: list[Write] = []
        for index, lease in enumerate(leases):
            amount = actual.get(index, Decimal(0))
            if lease.kind == "rpm":
                continue
            if lease.kind == "tpm":
                ops.append(Update(COUNTERS, lease.key, add={"n": amount - lease.amount}))
                continue
            if index in lost:
                if lease.kind != "parallel":
                    ops.append(Update(COUNTERS, lease.key, add={"committed": amount, "spent": amount}))
                continue
            entry = entry_name(request_id)
            if lease.kind == "budget":
                add = {"committed": amount - lease.amount, "spent": amount}
            else:
                add = {"n": Decimal(-1)}
            ops.append(Update(COUNTERS, lease.key, add=add, remove=(entry,), when=(Cond.exists(entry),)))
        return ops

    def settle(self, leases: list[Lease], request_id: str, actual: dict[int, Decimal],
               extra: list[Write]) -> int:
        """Settle the leases and write ``extra`` (spend log, rollups) in one transaction.

        Returns the number of write calls made (1 unless a reservation had been reclaimed), or 0 when
        this request id was settled before: the transaction also writes a marker item, conditionally,
        so a settlement replayed after a failure that left its outcome unknown is applied exactly once.
        """
        lost: set[int] = set()
        calls = 0
        marker = Put(COUNTERS, {"pk": f"settled#{request_id}", "sk": "settled",
                                "expires_at": int(time.time() + SETTLED_MARKER_SECONDS)}, when=(Cond.not_exists(),))
        while True:
            ops = self.settle_ops(leases, request_id, actual, lost=frozenset(lost))
            tracked = [i for i, lease in enumerate(leases)
                       if lease.kind != "rpm" and not (lease.kind == "parallel" and i in lost)]
            calls += 1
            try:
                self._transact([marker, *ops, *extra], attempts=SETTLE_ATTEMPTS)
                return calls
            except ConditionFailed as failed:
                if 0 in failed.indexes:
                    return 0  # settled before (a replay): nothing is written twice
                newly = {tracked[i - 1] for i in failed.indexes if 0 < i <= len(tracked)}
            if not newly or newly <= lost:
                raise RuntimeError("settlement failed on a spend record")  # pragma: no cover
            lost |= newly

    # ------------------------------------------------------------------ reads

    def budget(self, scope: str, scope_id: str, bucket: str) -> dict[str, Decimal]:
        item = self.store.get(COUNTERS, Key(f"budget#{scope}#{scope_id}", bucket)) or {}
        return {"spent": dec(item.get("spent") or 0), "committed": dec(item.get("committed") or 0),
                "reservations": Decimal(sum(1 for name in item if name.startswith("r_")))}

    def spend_of(self, totals: list[tuple[str, str]], periods: list[tuple[str, str, str]]
                 ) -> tuple[dict[tuple[str, str], SpendTotal], dict[tuple[str, str, str], Decimal]]:
        """All-time totals of ``(scope, id)`` and settled spend of budget periods ``(scope, id, period)``,
        in one batch read. Missing items read as zero."""
        keys = {_total_key(scope, ident): (scope, ident) for scope, ident in totals}
        budget_keys = {Key(f"budget#{scope}#{ident}", bucket): (scope, ident, bucket)
                       for scope, ident, bucket in periods}
        items = self.store.get_many(COUNTERS, [*keys, *budget_keys])
        found = {Key(item["pk"], item["sk"]): item for item in items}
        out_totals = {ref: _total_of(found.get(key)) for key, ref in keys.items()}
        out_periods = {ref: dec((found.get(key) or {}).get("spent") or 0) for key, ref in budget_keys.items()}
        return out_totals, out_periods

    def value(self, lease: Lease) -> Decimal:
        """A lease's counter as it is now (``committed`` or ``n``; 0 when absent)."""
        return dec((self.store.get(COUNTERS, lease.key) or {}).get(lease.attribute) or 0)

    def counter(self, key: Key) -> Item | None:
        """A counter item as stored (tests and diagnostics)."""
        return self.store.get(COUNTERS, key)

    # ------------------------------------------------------------------ writes

    def _transact(self, ops: list[Write], *, attempts: int) -> None:
        """Write ``ops`` all or none, retrying transaction conflicts; ConditionFailed passes through."""
        for attempt in range(attempts):
            try:
                self.store.transact(ops)
                return
            except TransactionConflict:
                time.sleep(random.uniform(0, min(0.5, 0.01 * 2 ** attempt)))
        raise Contention("the store's transaction kept conflicting")


@dataclass(frozen=True)
class SpendTotal:
    """All-time settled spend of one scope, and per model."""

    spend: Decimal
    models: dict[str, Decimal]


def total_ops(record: dict[str, Any]) -> list[Write]:
    """The all-time spend updates of one settled request (key, team, user and the user's membership in
    the team), to be written in the settlement's transaction; none for a request that cost nothing."""
    cost = dec(record.get("cost") or 0)
    if not cost:
        return []
    team, user = record.get("team_id"), record.get("user_id")
    refs = [("key", record.get("key_digest")), ("team", team), ("user", user),
            ("member", f"{team}/{user}" if team and user else None)]
    add = {"spend": cost, f"m#{record.get('model') or '-'}": cost}
    return [Update(COUNTERS, _total_key(scope, str(ident)), add=add) for scope, ident in refs if ident]


def _total_key(scope: str, ident: str) -> Key:
    return Key(f"total#{scope}#{ident}", "total")


def _total_of(item: Item | None) -> SpendTotal:
    item = item or {}
    models = {name[2:]: dec(value) for name, value in item.items() if name.startswith("m#")}
    return SpendTotal(dec(item.get("spend") or 0), models)


def entry_name(request_id: str) -> str:
    """The attribute a reservation's entry is kept under on its counter items."""
    return "r_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in request_id)[:80]
