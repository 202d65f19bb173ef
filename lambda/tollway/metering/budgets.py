"""Which budgets a request moves: the caller's levels, the end user, and the providers it may reach.

Budget leases reserve the worst-case cost (USD) on the current period of every budget that applies
(see ``periods``); ``refusal`` turns an exceeded one into the 429 ``budget_exceeded`` error that
names it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollway.auth.context import Limits
from tollway.errors import BudgetExceededError, InvalidRequestError
from tollway.metering.periods import period
from tollway.storage.counters_repo import Lease, dec

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext
    from tollway.identity.customer_lookup import CustomerPolicy


def scope_id(limits: Limits, auth: AuthContext, end_user: str | None) -> str | None:
    """The id a level's counters are kept under (identity may leave it to the request)."""
    if limits.scope == "end_user":
        return end_user if limits.scope_id in ("", "*", None) else limits.scope_id
    return limits.scope_id or {"key": auth.key_digest, "team": auth.team_id, "user": auth.user_id,
                               "project": auth.project_id}.get(limits.scope)


def _lease(scope: str, ident: str, max_budget: float | None, duration: str | None, *, amount: Decimal,
           now: float) -> Lease:
    """A budget lease; ``max_budget`` None only tracks spend (for a soft budget)."""
    bucket, end = period(duration, now)
    label = f"{scope} '{ident}' budget (max_budget ${max_budget or 0:g}" + (f" per {duration})" if duration else ")")
    return Lease(kind="budget", scope=scope, scope_id=ident, bucket=bucket, amount=amount,
                 limit=None if max_budget is None else dec(max_budget), label=label, period_end=end)


def budget_leases(auth: AuthContext, *, end_user: str | None, providers: list[str], amount: float,
                  provider_budgets: dict[str, Any], end_user_budget: float | None, now: float) -> list[Lease]:
    cost = dec(amount)
    leases: list[Lease] = []
    has_end_user_level = False
    for limits in auth.limits:
        has_end_user_level |= limits.scope == "end_user"
        if limits.max_budget is None and limits.soft_budget is None:
            continue
        ident = scope_id(limits, auth, end_user)
        if ident:
            leases.append(_lease(limits.scope, ident, limits.max_budget, limits.budget_duration, amount=cost, now=now))
    if end_user and end_user_budget is not None and not has_end_user_level:
        leases.append(_lease("end_user", end_user, end_user_budget, None, amount=cost, now=now))
    for provider in dict.fromkeys(providers):
        spec = provider_budgets.get(provider)
        if not isinstance(spec, dict):
            continue
        limit = spec.get("max_budget", spec.get("budget_limit"))
        if limit is not None:
            leases.append(_lease("provider", provider, float(limit),
                                 spec.get("budget_duration", spec.get("time_period")), amount=cost, now=now))
    return leases


def soft_budgets(auth: AuthContext, end_user: str | None) -> list[tuple[str, str, float, str | None]]:
    """(scope, id, soft_budget, budget_duration) of every level with a soft budget."""
    out: list[tuple[str, str, float, str | None]] = []
    for limits in auth.limits:
        ident = scope_id(limits, auth, end_user)
        if limits.soft_budget is not None and ident:
            out.append((limits.scope, ident, limits.soft_budget, limits.budget_duration))
    return out


def refusal(lease: Lease, current: Decimal) -> BudgetExceededError:
    spent = float(current)
    return BudgetExceededError(
        f"Budget exceeded: the {lease.label} has ${spent:.6g} spent or reserved; "
        f"this request could cost up to ${float(lease.amount):.6g}.",
        code="budget_exceeded",
    )


def with_customer(auth: AuthContext, policy: CustomerPolicy | None, default_budget: float | None) -> AuthContext:
    """The caller with its end user's customer record as one more level (scope ``end_user``), so the
    customer's budget, soft budget and rate limits go through the same leases as every other level.

    No record, or one without limits: the caller unchanged (``max_end_user_budget`` applies). A record
    without its own ``max_budget`` keeps ``default_budget``. A blocked customer is refused (400, as
    LiteLLM answers).
    """
    if policy is None:
        return auth
    if policy.blocked:
        raise InvalidRequestError(f"The end user '{policy.end_user}' is blocked; an admin can unblock it with "
                                  "/customer/unblock.", param="user", code="end_user_blocked")
    if not policy.limited:
        return auth
    level = Limits(scope="end_user", scope_id=policy.end_user,
                   max_budget=policy.max_budget if policy.max_budget is not None else default_budget,
                   budget_duration=policy.budget_duration if policy.max_budget is not None else None,
                   soft_budget=policy.soft_budget, rpm_limit=policy.rpm_limit, tpm_limit=policy.tpm_limit,
                   max_parallel_requests=policy.max_parallel_requests)
    return replace(auth, limits=(*(lv for lv in auth.limits if lv.scope != "end_user"), level))
