"""Customers (LiteLLM's end users): a record per end-user id, the ``user`` field of a request.

A customer carries ``blocked``, limits of its own and/or a ``budget_id``, and LiteLLM's other fields
(``alias``, ``allowed_model_region``, ``default_model``, ``models``, ``metadata``). Metering refuses a
blocked customer (400, as LiteLLM) and enforces its limits in effect (budget, soft budget, rpm, tpm,
parallel) as one more level of the request (``metering.budgets.with_customer``); routing keeps its requests
in its ``allowed_model_region``, else on its ``default_model`` (``routing.regions``); the other fields are
stored and shown.
Answers carry LiteLLM's ``litellm_budget_table``: the limits in effect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError, NotFoundError
from tollway.identity import rbac
from tollway.identity.base import Call, Store, stamp, utcnow
from tollway.identity.budgets_admin import effective, reset_at
from tollway.identity.keys import public
from tollway.identity.records import CUSTOMER_FIELDS, CustomerNew, CustomerUpdate

if TYPE_CHECKING:
    from collections.abc import Container

    from tollway.storage.identity_repo import Op


class CustomerService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.repo = store.repo

    def _shown(self, record: dict[str, Any], budgets: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
        budget = budgets.get(("budget", record["budget_id"])) if record.get("budget_id") else None
        limits = effective(record, budget)
        table = {"budget_id": record.get("budget_id"), **limits,
                 "budget_reset_at": reset_at(limits.get("budget_duration"))}
        return {"user_id": record["user_id"], "blocked": bool(record.get("blocked")), "alias": record.get("alias"),
                "allowed_model_region": record.get("allowed_model_region"),
                "default_model": record.get("default_model"), "models": record.get("models") or [],
                **public(record), "litellm_budget_table": table}

    def _show_all(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        budgets = self.repo.get_many([("budget", r["budget_id"]) for r in records if r.get("budget_id")])
        return [self._shown(r, budgets) for r in records]

    def _check(self, fields: dict[str, Any], served: Container[str] | None) -> None:
        """Referenced budget exists; ``default_model`` is one of ``served`` (the gateway's model names)."""
        if fields.get("budget_id"):
            self.store.must_get("budget", fields["budget_id"], param="budget_id")
        model = fields.get("default_model")
        if model and served is not None and model not in served:
            raise InvalidRequestError(f"Invalid value for 'default_model': the gateway serves no model '{model}'.",
                                      param="default_model")

    def new(self, call: Call, body: CustomerNew, served: Container[str] | None = None) -> dict[str, Any]:
        rbac.require_admin(call.auth, "create customers")
        fields = body.model_dump(include=set(CUSTOMER_FIELDS), exclude_none=True)
        fields.setdefault("blocked", False)
        self._check(fields, served)
        record = stamp({"user_id": body.user_id, **fields}, call, now=utcnow())
        self.store.commit([
            self.repo.put_new("customer", body.user_id, record,
                              conflict=f"A customer with user_id '{body.user_id}' already exists."),
            self.store.audit(call, "customer.new", "customer", body.user_id, before=None, after=record)])
        return self._show_all([record])[0]

    def info(self, call: Call, end_user_id: str) -> dict[str, Any]:
        rbac.require_reader(call.auth, "read customers")
        return self._show_all([self.store.must_get("customer", end_user_id, param="end_user_id")])[0]

    def listing(self, call: Call) -> list[dict[str, Any]]:
        rbac.require_reader(call.auth, "list customers")
        return self._show_all(self.repo.listing("customer"))

    def update(self, call: Call, body: CustomerUpdate, served: Container[str] | None = None) -> dict[str, Any]:
        rbac.require_admin(call.auth, "update customers")
        previous = self.store.must_get("customer", body.user_id, param="user_id")
        changes = {k: getattr(body, k) for k in body.model_fields_set if k in CUSTOMER_FIELDS}
        self._check(changes, served)
        record = stamp({**previous, **changes}, call, now=utcnow(), previous=previous)
        record = {k: v for k, v in record.items() if v is not None}  # a field sent as null is cleared
        self.store.commit([
            self.repo.replace("customer", body.user_id, record, version=previous.get("version")),
            self.store.audit(call, "customer.update", "customer", body.user_id, before=previous, after=record)])
        return self._show_all([record])[0]

    def delete(self, call: Call, user_ids: list[str]) -> dict[str, Any]:
        rbac.require_admin(call.auth, "delete customers")
        ids = list(dict.fromkeys(user_ids))
        found = self.repo.get_many([("customer", u) for u in ids])
        missing = [u for u in ids if ("customer", u) not in found]
        if missing:
            raise NotFoundError(f"No customer with user_id {', '.join(repr(u) for u in missing)}.",
                                param="user_ids", code="customer_not_found")
        ops: list[Op] = []
        for user_id in ids:
            ops += [self.repo.delete("customer", user_id, missing=f"No customer with user_id '{user_id}'."),
                    self.store.audit(call, "customer.delete", "customer", user_id,
                                     before=found[("customer", user_id)], after=None)]
        self.store.commit(ops)
        return {"deleted_customers": len(ids), "message": f"Deleted {len(ids)} customer(s): {', '.join(ids)}"}

    def set_blocked(self, call: Call, user_ids: list[str], blocked: bool) -> dict[str, Any]:
        """Block (creating unknown customers, as LiteLLM does) or unblock end users.

        Blocking answers the blocked records; unblocking answers the ids still blocked afterwards.
        """
        rbac.require_admin(call.auth, "block or unblock customers")
        ids = list(dict.fromkeys(user_ids))
        found = self.repo.get_many([("customer", u) for u in ids])
        if not blocked and (missing := [u for u in ids if ("customer", u) not in found]):
            raise NotFoundError(f"No customer with user_id {', '.join(repr(u) for u in missing)}.",
                                param="user_ids", code="customer_not_found")
        ops: list[Op] = []
        records = []
        action = "customer.block" if blocked else "customer.unblock"
        for user_id in ids:
            previous = found.get(("customer", user_id))
            if previous is None:
                record = stamp({"user_id": user_id, "blocked": True}, call, now=utcnow())
                ops.append(self.repo.put_new("customer", user_id, record, conflict="The customer was created "
                                             "meanwhile; retry."))
            else:
                record = stamp({**previous, "blocked": blocked}, call, now=utcnow(), previous=previous)
                ops.append(self.repo.replace("customer", user_id, record, version=previous.get("version")))
            ops.append(self.store.audit(call, action, "customer", user_id, before=previous, after=record))
            records.append(record)
        self.store.commit(ops)
        if blocked:
            return {"blocked_users": self._show_all(records)}
        return {"blocked_users": [r["user_id"] for r in self.repo.listing("customer") if r.get("blocked")]}
