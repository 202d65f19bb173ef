"""What metering needs to know about an end user (a request's ``user``), with a per-process TTL cache.

``policy(end_user)`` is the customer's ``blocked`` flag, the limits in effect (each its own, else its
``budget_id``'s) and where its requests may be served (``allowed_model_region``, ``default_model``: routing
reads them), or None when no customer record exists.
A warm end user costs no read; a cold one one GetItem (two with a ``budget_id``). Outcomes are cached
for the auth cache's TTL (``TOLLWAY_AUTH_CACHE_TTL``): the bound within which a block or a budget change
made on another instance applies; on this instance a change applies at once (``forget_touched``).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tollway.auth.key_lookup import MAX_ENTRIES, cache_ttl
from tollway.identity.budgets_admin import effective

#: the customer fields metering enforces (``CustomerPolicy``'s limits)
_LIMITS = ("max_budget", "budget_duration", "soft_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")

if TYPE_CHECKING:
    from tollway.storage.identity_repo import IdentityRepo


@dataclass(frozen=True)
class CustomerPolicy:
    """An end user's record as metering and routing apply it: each limit its own, else its budget's."""

    end_user: str
    blocked: bool = False
    max_budget: float | None = None
    budget_duration: str | None = None
    soft_budget: float | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None
    #: only deployments in this region ("eu", "us") serve the customer
    allowed_model_region: str | None = None
    #: the model group serving the customer when the requested one has no deployment in its region
    default_model: str | None = None

    @property
    def limited(self) -> bool:
        return any(v is not None for v in (self.max_budget, self.soft_budget, self.rpm_limit, self.tpm_limit,
                                           self.max_parallel_requests))


class CustomerLookup:
    def __init__(self, repo: IdentityRepo | None = None, *, ttl: float | None = None) -> None:
        self._repo = repo
        self._ttl = ttl
        self._cache: OrderedDict[str, tuple[CustomerPolicy | None, float]] = OrderedDict()

    @property
    def ttl(self) -> float:
        """Seconds an outcome is reused (``TOLLWAY_AUTH_CACHE_TTL`` read when used: the lookup is made at import)."""
        return cache_ttl() if self._ttl is None else self._ttl

    @property
    def repo(self) -> IdentityRepo:
        if self._repo is None:
            from tollway.storage.identity_repo import IdentityRepo

            self._repo = IdentityRepo()
        return self._repo

    async def policy(self, end_user: str) -> CustomerPolicy | None:
        cached = self._cache.get(end_user)
        if cached is None or cached[1] <= time.monotonic():
            cached = (await asyncio.to_thread(self._load, end_user), time.monotonic() + self.ttl)
            self._cache[end_user] = cached
            self._cache.move_to_end(end_user)
            while len(self._cache) > MAX_ENTRIES:
                self._cache.popitem(last=False)
        return cached[0]

    def peek(self, end_user: str) -> tuple[bool, CustomerPolicy | None]:
        """The cached outcome without reading: ``(True, policy)`` while it is fresh, ``(False, None)`` when
        ``policy`` would read."""
        cached = self._cache.get(end_user)
        if cached is None or cached[1] <= time.monotonic():
            return False, None
        return True, cached[0]

    def forget_touched(self, touched: set[tuple[str, str]]) -> None:
        """Drop what a write made stale: the customers written, and every customer on a budget change."""
        if any(kind == "budget" for kind, _ in touched):
            self._cache.clear()
        for kind, ident in touched:
            if kind == "customer":
                self._cache.pop(ident, None)

    def _load(self, end_user: str) -> CustomerPolicy | None:
        record = self.repo.get("customer", end_user)
        if record is None:
            return None
        budget = self.repo.get("budget", record["budget_id"]) if record.get("budget_id") else None
        limits = effective(record, budget)
        return CustomerPolicy(end_user, blocked=bool(record.get("blocked")),
                              allowed_model_region=record.get("allowed_model_region") or None,
                              default_model=record.get("default_model") or None,
                              **{name: limits[name] for name in _LIMITS})


#: the process's lookup (the meter reads it; identity's commits invalidate it)
CUSTOMERS = CustomerLookup()
