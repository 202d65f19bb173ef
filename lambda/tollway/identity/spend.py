"""Spend on key, team, user and membership records, as LiteLLM's admin API shows it.

Each record gets ``spend`` (the current budget period), ``total_spend`` (all time), ``model_spend``
(all time, ``{model: usd}``) and ``budget_reset_at`` (the end of the current period; null without a
``budget_duration``). They come from counters the settlement writes in its own transaction (see
``storage.counters_repo``): the all-time total item per scope, and the budget item of the current
period. A page of records costs one batch read, whatever the number of requests behind it. A
regenerated key's totals include those of its earlier digests (``previous_tokens``); its budget
counters keep their first digest (``counter_id``), so a new secret does not restart its budget.

``spend`` is the current period's settled spend when the record has a ``budget_duration`` and a
budget (``max_budget`` or ``soft_budget``: the budget counter exists only then); otherwise the
all-time total (a lifetime budget's period is all time).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollway.metering.periods import period
from tollway.storage.counters_repo import CountersRepo, SpendTotal
from tollway.storage.values import plain

if TYPE_CHECKING:
    from tollway.storage.identity_repo import IdentityRepo

#: record kind -> (counter scope, the record's id field)
SCOPES = {"key": ("key", "token"), "team": ("team", "team_id"), "user": ("user", "user_id")}


def _period(record: dict[str, Any], now: float) -> tuple[str | None, str | None]:
    """(budget period id when a budget counter tracks it, ``budget_reset_at``)."""
    duration = record.get("budget_duration")
    if not duration:
        return None, None
    try:
        bucket, end = period(str(duration), now)
    except ValueError:
        return None, None
    reset = None if end is None else datetime.fromtimestamp(end, UTC).isoformat(timespec="seconds") \
        .replace("+00:00", "Z")
    tracked = record.get("max_budget") is not None or record.get("soft_budget") is not None
    return (bucket if tracked else None), reset


def _fields(total: SpendTotal, current: Decimal | None, reset: str | None) -> dict[str, Any]:
    return {"spend": plain(total.spend if current is None else current), "total_spend": plain(total.spend),
            "model_spend": {model: plain(value) for model, value in sorted(total.models.items())},
            "budget_reset_at": reset}


def with_spend(repo: IdentityRepo, kind: str, records: list[dict[str, Any]], *,
               now: float | None = None) -> list[dict[str, Any]]:
    """``records`` of ``kind`` (key, team, user) with their spend fields, in one batch read."""
    if not records:
        return []
    now = time.time() if now is None else now
    scope, id_field = SCOPES[kind]
    periods = [_period(record, now) for record in records]
    refs = [(scope, str(record[id_field])) for record in records]
    earlier = [[(scope, str(t)) for t in record.get("previous_tokens") or []] for record in records]
    counted = [str(record.get("counter_id") or ident) for record, (_, ident) in zip(records, refs, strict=True)]
    tracked = [(scope, ident, bucket) for ident, (bucket, _) in zip(counted, periods, strict=True) if bucket]
    totals, spent = CountersRepo(repo.store).spend_of([*refs, *(r for old in earlier for r in old)], tracked)
    out = []
    for record, ref, old, ident, (bucket, reset) in zip(records, refs, earlier, counted, periods, strict=True):
        total = _sum([totals[ref], *(totals[r] for r in old)])
        current = spent.get((scope, ident, bucket)) if bucket else None
        out.append({**record, **_fields(total, current, reset)})
    return out


def _sum(totals: list[SpendTotal]) -> SpendTotal:
    """One key's totals over its digests (a regenerated key's counters follow each new digest)."""
    if len(totals) == 1:
        return totals[0]
    models: dict[str, Decimal] = {}
    for total in totals:
        for model, value in total.models.items():
            models[model] = models.get(model, Decimal(0)) + value
    return SpendTotal(sum((t.spend for t in totals), Decimal(0)), models)


def member_spend(repo: IdentityRepo, team_id: str, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """LiteLLM's ``team_memberships``: each member's spend within the team (all time), one batch read."""
    refs = [("member", f"{team_id}/{m['user_id']}") for m in members]
    totals, _ = CountersRepo(repo.store).spend_of(refs, []) if refs else ({}, {})
    return [{"user_id": m["user_id"], "team_id": team_id, "spend": plain(totals[ref].spend),
             "total_spend": plain(totals[ref].spend), "budget_id": None, "litellm_budget_table": None}
            for m, ref in zip(members, refs, strict=True)]
