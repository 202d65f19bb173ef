"""What every identity service shares: the caller of an admin call, audit entries, commits.

``Call`` carries who is acting and the request id. ``Store`` wraps the repository: each
mutation is committed as one transaction together with its audit entry (actor, action,
target, before/after with secrets redacted, time, request id, TTL for retention).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tollway.errors import NotFoundError
from tollway.storage.identity_repo import IdentityRepo, Op

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.auth.context import AuthContext

#: record fields never written to the audit log
SECRET_FIELDS = frozenset({"key", "api_key", "master_key", "password", "secret", "raw_key"})
DEFAULT_AUDIT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class Call:
    """One admin call: the authenticated caller and the request id (for the audit log)."""

    auth: AuthContext
    request_id: str = "req-unknown"

    @property
    def actor(self) -> str:
        auth = self.auth
        if auth.kind == "master_key":
            return "master_key"
        if auth.principal:
            return f"iam:{auth.principal}"
        if auth.user_id:
            return f"user:{auth.user_id}"
        if auth.key_digest:
            return f"key:{auth.key_digest[:12]}"
        return auth.kind


def redact(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {k: ("[redacted]" if k in SECRET_FIELDS else v) for k, v in record.items()}


def stamp(record: dict[str, Any], call: Call, *, now: str, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Bookkeeping fields: created/updated time and actor, and a version for optimistic writes."""
    if previous is None:
        return {**record, "created_at": now, "updated_at": now, "created_by": call.actor, "version": 1}
    return {**record, "created_at": previous.get("created_at", now), "created_by": previous.get("created_by"),
            "updated_at": now, "updated_by": call.actor, "version": int(previous.get("version", 0)) + 1}


def utcnow() -> str:
    """Now as LiteLLM's admin API writes its times: ISO-8601 UTC, microseconds, ``Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Store:
    """The repository plus the audit log's retention; services build ops, ``commit`` applies them."""

    def __init__(self, repo: IdentityRepo | None = None, *, audit_retention_days: int | None = None) -> None:
        self.repo = repo or IdentityRepo()
        days = audit_retention_days or int(os.environ.get("TOLLWAY_AUDIT_RETENTION_DAYS",
                                                          DEFAULT_AUDIT_RETENTION_DAYS))
        self.audit_ttl_seconds = days * 86400
        #: called after every commit (the gateway drops its local auth caches; other instances
        #: see the change when their cache entries expire)
        self.listeners: list[Callable[[set[tuple[str, str]]], None]] = []

    def must_get(self, kind: str, ident: str, *, param: str) -> dict[str, Any]:
        record = self.repo.get(kind, ident)
        if record is None:
            raise NotFoundError(f"No {kind} with {param} '{ident}'.", param=param, code=f"{kind}_not_found")
        return record

    def audit(self, call: Call, action: str, target_type: str, target_id: str, *,
              before: dict[str, Any] | None, after: dict[str, Any] | None) -> Op:
        moment = datetime.now(UTC)
        entry = {
            "id": uuid.uuid4().hex, "time": moment.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "epoch": int(moment.timestamp()), "actor": call.actor, "actor_role": call.auth.role,
            "action": action, "target_type": target_type, "target_id": target_id,
            "before": redact(before), "after": redact(after), "request_id": call.request_id,
        }
        return self.repo.audit_entry(entry, ttl_seconds=self.audit_ttl_seconds)

    def commit(self, ops: list[Op]) -> None:
        self.repo.transact(ops)
        touched = {op.ref for op in ops if op.ref is not None}
        for listener in self.listeners:
            listener(touched)
