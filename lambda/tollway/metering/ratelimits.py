"""Rate limits shared across instances: rpm/tpm one-minute windows and max parallel requests.

A request takes 1 from every ``rpm_limit`` window, its worst-case tokens from every ``tpm_limit``
window (settled to the actual count afterwards) and one slot of every ``max_parallel_requests``
(returned at settlement; a crashed instance's slot is reclaimed after the reservation expiry).
Windows are fixed minutes keyed by their start, so they reset by construction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tollway.errors import RateLimitError
from tollway.metering.budgets import scope_id
from tollway.storage.counters_repo import Lease

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext

WINDOW = 60


def rate_leases(auth: AuthContext, *, end_user: str | None, tokens: int, now: float) -> list[Lease]:
    minute = int(now // WINDOW * WINDOW)
    leases: list[Lease] = []
    for limits in auth.limits:
        ident = scope_id(limits, auth, end_user)
        if not ident:
            continue
        who = f"{limits.scope} '{ident}'"
        if limits.rpm_limit is not None:
            leases.append(Lease("rpm", limits.scope, ident, f"rpm#{minute}", Decimal(1), Decimal(limits.rpm_limit),
                                f"{who} rpm_limit ({limits.rpm_limit} requests per minute)"))
        if limits.tpm_limit is not None:
            leases.append(Lease("tpm", limits.scope, ident, f"tpm#{minute}", Decimal(tokens),
                                Decimal(limits.tpm_limit), f"{who} tpm_limit ({limits.tpm_limit} tokens per minute)"))
        if limits.max_parallel_requests is not None:
            leases.append(Lease("parallel", limits.scope, ident, "parallel", Decimal(1),
                                Decimal(limits.max_parallel_requests),
                                f"{who} max_parallel_requests ({limits.max_parallel_requests})"))
    return leases


def refusal(lease: Lease, current: Decimal, now: float) -> RateLimitError:
    """429 with ``retry-after`` (to the next window, or 1s for parallel) and ``x-ratelimit-*``."""
    limit = int(lease.limit or 0)
    remaining = max(0, int(limit - current))
    retry_after = 1.0 if lease.kind == "parallel" else max(1.0, WINDOW - (now % WINDOW))
    unit = "tokens" if lease.kind == "tpm" else "requests"
    headers = {f"x-ratelimit-limit-{unit}": str(limit), f"x-ratelimit-remaining-{unit}": str(remaining)}
    return RateLimitError(f"Rate limit exceeded: {lease.label}.", retry_after=retry_after, headers=headers)
