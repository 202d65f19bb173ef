"""Budgets (LiteLLM's budget table): named limits that customers and keys reference by ``budget_id``.

A budget holds ``max_budget``, ``soft_budget``, ``budget_duration``, ``tpm_limit``, ``rpm_limit``,
``max_parallel_requests`` and ``model_max_budget``. A record that references one takes each limit it
does not set itself from the budget, read when the limit applies (a change applies at once here and on
other instances within the auth cache's TTL). ``budget_reset_at`` in answers is the end of the current
period of ``budget_duration``. A budget still referenced cannot be deleted (409).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from tollway.errors import ConflictError
from tollway.identity import rbac
from tollway.identity.base import Call, Store, stamp, utcnow
from tollway.identity.keys import public
from tollway.identity.records import BUDGET_FIELDS, BudgetNew, BudgetUpdate
from tollway.metering.periods import period


def reset_at(duration: str | None, now: float | None = None) -> str | None:
    """When the current period of ``duration`` ends (LiteLLM's ``budget_reset_at``); None without one."""
    end = period(duration, time.time() if now is None else now)[1] if duration else None
    if end is None:
        return None
    return datetime.fromtimestamp(end, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """A budget record as the admin API shows it (every field, unset ones as null)."""
    out = {"budget_id": record["budget_id"], **{f: record.get(f) for f in BUDGET_FIELDS}, **public(record)}
    out["budget_reset_at"] = reset_at(record.get("budget_duration"))
    return out


def effective(own: dict[str, Any], budget: dict[str, Any] | None) -> dict[str, Any]:
    """The limits that apply to a record: its own, else its budget's."""
    return {f: own.get(f) if own.get(f) is not None else (budget or {}).get(f) for f in BUDGET_FIELDS}


class BudgetService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.repo = store.repo

    def new(self, call: Call, body: BudgetNew) -> dict[str, Any]:
        rbac.require_admin(call.auth, "create budgets")
        budget_id = body.budget_id or str(uuid.uuid4())
        fields = body.model_dump(include=set(BUDGET_FIELDS), exclude_none=True)
        record = stamp({"budget_id": budget_id, **fields}, call, now=utcnow())
        self.store.commit([
            self.repo.put_new("budget", budget_id, record,
                              conflict=f"A budget with budget_id '{budget_id}' already exists."),
            self.store.audit(call, "budget.new", "budget", budget_id, before=None, after=record)])
        return shown(record)

    def info(self, call: Call, budget_ids: list[str]) -> list[dict[str, Any]]:
        rbac.require_reader(call.auth, "read budgets")
        found = self.repo.get_many([("budget", b) for b in budget_ids])
        return [shown(found[("budget", b)]) for b in dict.fromkeys(budget_ids) if ("budget", b) in found]

    def listing(self, call: Call) -> list[dict[str, Any]]:
        rbac.require_reader(call.auth, "list budgets")
        return [shown(b) for b in self.repo.listing("budget")]

    def update(self, call: Call, body: BudgetUpdate) -> dict[str, Any]:
        rbac.require_admin(call.auth, "update budgets")
        previous = self.store.must_get("budget", body.budget_id, param="budget_id")
        changes = {k: getattr(body, k) for k in body.model_fields_set if k in BUDGET_FIELDS}
        record = stamp({**previous, **changes}, call, now=utcnow(), previous=previous)
        record = {k: v for k, v in record.items() if v is not None}  # a field sent as null is cleared
        self.store.commit([
            self.repo.replace("budget", body.budget_id, record, version=previous.get("version")),
            self.store.audit(call, "budget.update", "budget", body.budget_id, before=previous, after=record)])
        return shown(record)

    def delete(self, call: Call, budget_id: str) -> dict[str, Any]:
        rbac.require_admin(call.auth, "delete budgets")
        previous = self.store.must_get("budget", budget_id, param="id")
        for kind in ("customer", "key"):
            users = [r for r in self.repo.listing(kind) if r.get("budget_id") == budget_id]
            if users:
                raise ConflictError(f"Budget '{budget_id}' is still used by {len(users)} {kind}(s); "
                                    "point them elsewhere first.", param="id", code="budget_in_use")
        self.store.commit([
            self.repo.delete("budget", budget_id, missing=f"No budget with budget_id '{budget_id}'."),
            self.store.audit(call, "budget.delete", "budget", budget_id, before=previous, after=None)])
        return shown(previous)
