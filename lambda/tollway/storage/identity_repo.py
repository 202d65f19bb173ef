"""Repository for the identity and audit tables: the only code that knows their key schemas.

Records are plain dicts addressed by ``(kind, id)``; see docs/data-model.md for the items:

* ``key``       pk ``KEY#<sha256>``       sk ``KEY``        gsi1 ``KIND#key`` / ``<created_at>#<id>``
* ``team``      pk ``TEAM#<id>``          sk ``TEAM``       gsi1 ``KIND#team`` / ``<created_at>#<id>``
* ``member``    pk ``TEAM#<team>``        sk ``MEMBER#<user>`` gsi1 ``MEMBEROF#<user>`` / ``TEAM#<team>``
* ``project``   pk ``PROJECT#<id>``       sk ``PROJECT``    gsi1 ``KIND#project``
* ``user``      pk ``USER#<id>``          sk ``USER``       gsi1 ``KIND#user``
* ``principal`` pk ``PRINCIPAL#<arn>``    sk ``PRINCIPAL``  gsi1 ``KIND#principal``
* ``alias``     pk ``KEYALIAS#<alias>``   sk ``KEYALIAS``   (uniqueness of ``key_alias``)
* ``customer``  pk ``CUSTOMER#<id>``      sk ``CUSTOMER``   gsi1 ``KIND#customer`` (end users: a request's ``user``)
* ``budget``    pk ``BUDGET#<id>``        sk ``BUDGET``     gsi1 ``KIND#budget`` (LiteLLM's budget table)
* audit entry   pk ``LOG``                sk ``<time>#<id>`` gsi1 ``TARGET#<type>#<id>`` / sk; TTL ``expires_at``

Every mutation is one store transaction (records plus their audit entry) with
conditions, so a failed request leaves nothing half-written. Calls block; run them in a
thread from async code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tollway.errors import ConflictError, InternalError, InvalidRequestError, NotFoundError
from tollway.storage.errors import ConditionFailed, InvalidCursor, StoreError, TransactionConflict
from tollway.storage.ops import Cond, Delete, Key, Put, Query
from tollway.storage.tables import AUDIT, IDENTITY
from tollway.storage.values import plain

if TYPE_CHECKING:
    from tollway.storage.backend import Store
    from tollway.storage.ops import Item, Write

_PK = {"key": ("KEY#", "KEY"), "team": ("TEAM#", "TEAM"), "project": ("PROJECT#", "PROJECT"),
       "user": ("USER#", "USER"), "principal": ("PRINCIPAL#", "PRINCIPAL"), "alias": ("KEYALIAS#", "KEYALIAS"),
       "customer": ("CUSTOMER#", "CUSTOMER"), "budget": ("BUDGET#", "BUDGET")}
_LISTED = frozenset({"key", "team", "project", "user", "principal", "customer", "budget"})
_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def _address(kind: str, ident: str) -> Key:
    if kind == "member":
        team, _, user = ident.partition("/")
        return Key(f"TEAM#{team}", f"MEMBER#{user}")
    prefix, sk = _PK[kind]
    return Key(f"{prefix}{ident}", sk)


def _index(kind: str, ident: str, record: dict[str, Any]) -> dict[str, str]:
    if kind == "member":
        team, _, user = ident.partition("/")
        return {"gsi1pk": f"MEMBEROF#{user}", "gsi1sk": f"TEAM#{team}"}
    if kind in _LISTED:
        return {"gsi1pk": f"KIND#{kind}", "gsi1sk": f"{record.get('created_at', '')}#{ident}"}
    return {}


def _item(kind: str, ident: str, record: dict[str, Any]) -> Item:
    address = _address(kind, ident)
    return {**record, "pk": address.pk, "sk": address.sk, **_index(kind, ident, record)}


def from_item(item: Item) -> dict[str, Any]:
    """A stored item as a record: key attributes dropped, numbers as JSON numbers."""
    return {k: plain(v) for k, v in item.items() if k not in _KEYS}


# ---------------------------------------------------------------------- transactions

@dataclass
class Op:
    """One write in a transaction, with the error to raise if its condition fails."""

    write: Write
    on_conflict: Exception = field(default_factory=lambda: ConflictError("A concurrent change; retry."))
    #: the identity record it writes, as ``(kind, id)`` (None for audit entries)
    ref: tuple[str, str] | None = None


@dataclass
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


class IdentityRepo:
    """Identity records and audit entries on the configured store (resolved per call)."""

    def __init__(self, store: Store | None = None) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is not None:
            return self._store
        from tollway.storage.client import store

        return store()

    # ------------------------------------------------------------------ reads

    def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        item = self.store.get(IDENTITY, _address(kind, ident))
        return from_item(item) if item else None

    def get_many(self, refs: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Several records in one read (missing ones are absent from the result)."""
        refs = list(dict.fromkeys(refs))
        if not refs:
            return {}
        by_address = {_address(*ref): ref for ref in refs}
        items = self.store.get_many(IDENTITY, list(by_address))
        return {by_address[Key(item["pk"], item["sk"])]: from_item(item) for item in items}

    def listing(self, kind: str) -> list[dict[str, Any]]:
        """Every record of a kind, oldest first (admin-scale)."""
        return self._query_all(Query(IDENTITY, f"KIND#{kind}", index="gsi1"))

    def members(self, team_id: str) -> list[dict[str, Any]]:
        return self._query_all(Query(IDENTITY, f"TEAM#{team_id}", sk_prefix="MEMBER#"))

    def memberships(self, user_id: str) -> list[dict[str, Any]]:
        return self._query_all(Query(IDENTITY, f"MEMBEROF#{user_id}", index="gsi1"))

    def _query_all(self, query: Query) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.store.query(replace(query, cursor=cursor))
            items += [from_item(item) for item in page.items]
            cursor = page.cursor
            if not cursor:
                return items

    # ------------------------------------------------------------------ write operations

    def put_new(self, kind: str, ident: str, record: dict[str, Any], *, conflict: str) -> Op:
        """Create a record that must not exist yet (else ConflictError(conflict))."""
        return Op(Put(IDENTITY, _item(kind, ident, record), when=(Cond.not_exists(),)), ConflictError(conflict),
                  (kind, ident))

    def replace(self, kind: str, ident: str, record: dict[str, Any], *, version: int | None) -> Op:
        """Overwrite a record read at ``version`` (optimistic concurrency; None: must exist)."""
        when = (Cond.exists(),) if version is None else (Cond.exists(), Cond.eq("version", version))
        return Op(Put(IDENTITY, _item(kind, ident, record), when=when),
                  ConflictError(f"The {kind} changed while it was being updated; retry."), (kind, ident))

    def delete(self, kind: str, ident: str, *, missing: str | None = None) -> Op:
        """Delete a record; with ``missing`` it must exist (else NotFoundError(missing))."""
        when = (Cond.exists(),) if missing is not None else ()
        return Op(Delete(IDENTITY, _address(kind, ident), when=when), NotFoundError(missing or "gone"), (kind, ident))

    def audit_entry(self, entry: dict[str, Any], *, ttl_seconds: int) -> Op:
        sk = f"{entry['time']}#{entry['id']}"
        item = {**entry, "pk": "LOG", "sk": sk, "gsi1pk": f"TARGET#{entry['target_type']}#{entry['target_id']}",
                "gsi1sk": sk, "expires_at": int(entry["epoch"]) + ttl_seconds}
        return Op(Put(AUDIT, item))

    def transact(self, ops: list[Op]) -> None:
        """Apply every op or none; a failed condition raises that op's error."""
        if not ops:
            return
        if len(ops) > 100:
            raise InvalidRequestError("Too many records in one change (at most 100).")
        try:
            self.store.transact([op.write for op in ops])
        except ConditionFailed as failed:
            raise ops[failed.indexes[0]].on_conflict from None
        except TransactionConflict:
            raise ConflictError("A concurrent change touched the same records; retry.") from None
        except (StoreError, TypeError, ValueError):
            raise InternalError("The identity store rejected the change.") from None

    # ------------------------------------------------------------------ audit reads

    def audit_page(self, *, target: str | None, actor: str | None, action: str | None, since: str | None,
                   until: str | None, limit: int, cursor: str | None) -> Page:
        """Audit entries newest first, filtered; ``cursor`` continues a previous page."""
        filters = {name: wanted for name, wanted in (("actor", actor), ("action", action)) if wanted}
        bounds = {"sk_from": since or "", "sk_to": (until or "9999") + "~"} if since or until else {}
        query = Query(AUDIT, f"TARGET#{target}" if target else "LOG", index="gsi1" if target else None,
                      descending=True, filters=filters, limit=limit, cursor=cursor or None, **bounds)
        try:
            page = self.store.query(query)
        except InvalidCursor:
            raise InvalidRequestError("Invalid value for 'cursor'.", param="cursor") from None
        return Page([from_item(item) for item in page.items], page.cursor)
