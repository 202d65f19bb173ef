"""Repository for the identity and audit tables: the only code that knows their key schemas.

Records are plain dicts addressed by ``(kind, id)``; see docs/data-model.md for the items:

* ``key``       pk ``KEY#<sha256>``       sk ``KEY``        gsi1 ``KIND#key`` / ``<created_at>#<id>``
* ``team``      pk ``TEAM#<id>``          sk ``TEAM``       gsi1 ``KIND#team`` / ``<created_at>#<id>``
* ``member``    pk ``TEAM#<team>``        sk ``MEMBER#<user>`` gsi1 ``MEMBEROF#<user>`` / ``TEAM#<team>``
* ``project``   pk ``PROJECT#<id>``       sk ``PROJECT``    gsi1 ``KIND#project``
* ``user``      pk ``USER#<id>``          sk ``USER``       gsi1 ``KIND#user``
* ``principal`` pk ``PRINCIPAL#<arn>``    sk ``PRINCIPAL``  gsi1 ``KIND#principal``
* ``alias``     pk ``KEYALIAS#<alias>``   sk ``KEYALIAS``   (uniqueness of ``key_alias``)
* audit entry   pk ``LOG``                sk ``<time>#<id>`` gsi1 ``TARGET#<type>#<id>`` / sk; TTL ``expires_at``

Every mutation is one ``TransactWriteItems`` (records plus their audit entry) with
conditions, so a failed request leaves nothing half-written. Calls block; run them in a
thread from async code.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tollway.errors import ConflictError, InternalError, InvalidRequestError, NotFoundError
from tollway.storage import client as storage
from tollway.storage.tables import AUDIT, IDENTITY, physical_name

_PK = {"key": ("KEY#", "KEY"), "team": ("TEAM#", "TEAM"), "project": ("PROJECT#", "PROJECT"),
       "user": ("USER#", "USER"), "principal": ("PRINCIPAL#", "PRINCIPAL"), "alias": ("KEYALIAS#", "KEYALIAS")}
_LISTED = frozenset({"key", "team", "project", "user", "principal"})
_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def _address(kind: str, ident: str) -> dict[str, str]:
    if kind == "member":
        team, _, user = ident.partition("/")
        return {"pk": f"TEAM#{team}", "sk": f"MEMBER#{user}"}
    prefix, sk = _PK[kind]
    return {"pk": f"{prefix}{ident}", "sk": sk}


def _index(kind: str, ident: str, record: dict[str, Any]) -> dict[str, str]:
    if kind == "member":
        team, _, user = ident.partition("/")
        return {"gsi1pk": f"MEMBEROF#{user}", "gsi1sk": f"TEAM#{team}"}
    if kind in _LISTED:
        return {"gsi1pk": f"KIND#{kind}", "gsi1sk": f"{record.get('created_at', '')}#{ident}"}
    return {}


# ---------------------------------------------------------------------- attribute values

def _to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(Decimal(str(value)))}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): _to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_to_attr(v) for v in value]}
    raise InvalidRequestError(f"Unsupported value of type {type(value).__name__}.")


def _from_attr(attr: dict[str, Any]) -> Any:
    (tag, value), = attr.items()
    if tag == "NULL":
        return None
    if tag == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() and "." not in value else float(number)
    if tag == "M":
        return {k: _from_attr(v) for k, v in value.items()}
    if tag == "L":
        return [_from_attr(v) for v in value]
    return value  # S, BOOL


def to_item(record: dict[str, Any]) -> dict[str, Any]:
    return {k: _to_attr(v) for k, v in record.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_attr(v) for k, v in item.items() if k not in _KEYS}


# ---------------------------------------------------------------------- transactions

@dataclass
class Op:
    """One write in a transaction, with the error to raise if its condition fails."""

    request: dict[str, Any]
    on_conflict: Exception = field(default_factory=lambda: ConflictError("A concurrent change; retry."))
    #: the identity record it writes, as ``(kind, id)`` (None for audit entries)
    ref: tuple[str, str] | None = None


@dataclass
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


class IdentityRepo:
    """Identity records and audit entries on DynamoDB (table names resolved per call)."""

    @property
    def identity_table(self) -> str:
        return physical_name(IDENTITY)

    @property
    def audit_table(self) -> str:
        return physical_name(AUDIT)

    # ------------------------------------------------------------------ reads

    def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        item = storage.dynamodb().get_item(TableName=self.identity_table, Key=to_item(_address(kind, ident)),
                                           ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def get_many(self, refs: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Several records in one BatchGetItem (missing ones are absent from the result)."""
        refs = list(dict.fromkeys(refs))
        if not refs:
            return {}
        by_address = {(a["pk"], a["sk"]): ref for ref in refs for a in [_address(*ref)]}
        pending: dict[str, Any] = {self.identity_table: {
            "Keys": [to_item(_address(*ref)) for ref in refs], "ConsistentRead": True}}
        found: dict[tuple[str, str], dict[str, Any]] = {}
        while pending:
            answer = storage.dynamodb().batch_get_item(RequestItems=pending)
            for item in answer.get("Responses", {}).get(self.identity_table, []):
                found[by_address[(item["pk"]["S"], item["sk"]["S"])]] = from_item(item)
            pending = answer.get("UnprocessedKeys") or {}
        return found

    def listing(self, kind: str) -> list[dict[str, Any]]:
        """Every record of a kind, oldest first (admin-scale: paged through DynamoDB)."""
        return self._query_all(IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                               ExpressionAttributeValues={":p": {"S": f"KIND#{kind}"}})

    def members(self, team_id: str) -> list[dict[str, Any]]:
        return self._query_all(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                               ExpressionAttributeValues={":p": {"S": f"TEAM#{team_id}"}, ":s": {"S": "MEMBER#"}},
                               ConsistentRead=True)

    def memberships(self, user_id: str) -> list[dict[str, Any]]:
        return self._query_all(IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                               ExpressionAttributeValues={":p": {"S": f"MEMBEROF#{user_id}"}})

    def _query_all(self, **query: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = storage.dynamodb().get_paginator("query")
        for page in paginator.paginate(TableName=self.identity_table, **query):
            items.extend(from_item(item) for item in page["Items"])
        return items

    # ------------------------------------------------------------------ write operations

    def put_new(self, kind: str, ident: str, record: dict[str, Any], *, conflict: str) -> Op:
        """Create a record that must not exist yet (else ConflictError(conflict))."""
        item = {**to_item(record), **to_item(_address(kind, ident)), **to_item(_index(kind, ident, record))}
        return Op({"Put": {"TableName": self.identity_table, "Item": item,
                           "ConditionExpression": "attribute_not_exists(pk)"}}, ConflictError(conflict),
                  (kind, ident))

    def replace(self, kind: str, ident: str, record: dict[str, Any], *, version: int | None) -> Op:
        """Overwrite a record read at ``version`` (optimistic concurrency; None: must exist)."""
        item = {**to_item(record), **to_item(_address(kind, ident)), **to_item(_index(kind, ident, record))}
        put: dict[str, Any] = {"TableName": self.identity_table, "Item": item}
        if version is None:
            put["ConditionExpression"] = "attribute_exists(pk)"
        else:
            put["ConditionExpression"] = "attribute_exists(pk) AND version = :v"
            put["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
        return Op({"Put": put}, ConflictError(f"The {kind} changed while it was being updated; retry."),
                  (kind, ident))

    def delete(self, kind: str, ident: str, *, missing: str | None = None) -> Op:
        """Delete a record; with ``missing`` it must exist (else NotFoundError(missing))."""
        request: dict[str, Any] = {"TableName": self.identity_table, "Key": to_item(_address(kind, ident))}
        if missing is not None:
            request["ConditionExpression"] = "attribute_exists(pk)"
        return Op({"Delete": request}, NotFoundError(missing or "gone"), (kind, ident))

    def audit_entry(self, entry: dict[str, Any], *, ttl_seconds: int) -> Op:
        sk = f"{entry['time']}#{entry['id']}"
        item = {**to_item(entry), "pk": {"S": "LOG"}, "sk": {"S": sk},
                "gsi1pk": {"S": f"TARGET#{entry['target_type']}#{entry['target_id']}"}, "gsi1sk": {"S": sk},
                "expires_at": {"N": str(int(entry["epoch"]) + ttl_seconds)}}
        return Op({"Put": {"TableName": self.audit_table, "Item": item}})

    def transact(self, ops: list[Op]) -> None:
        """Apply every op or none; a failed condition raises that op's error."""
        if not ops:
            return
        if len(ops) > 100:
            raise InvalidRequestError("Too many records in one change (at most 100).")
        client = storage.dynamodb()
        try:
            client.transact_write_items(TransactItems=[op.request for op in ops])
        except client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            for op, reason in zip(ops, reasons, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed":
                    raise op.on_conflict from None
            if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
                raise ConflictError("A concurrent change touched the same records; retry.") from None
            raise InternalError("The identity store rejected the change.") from None

    # ------------------------------------------------------------------ audit reads

    def audit_page(self, *, target: str | None, actor: str | None, action: str | None, since: str | None,
                   until: str | None, limit: int, cursor: str | None) -> Page:
        """Audit entries newest first, filtered; ``cursor`` continues a previous page."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        if target:
            key, values[":p"] = ("gsi1pk", {"S": f"TARGET#{target}"})
            query: dict[str, Any] = {"IndexName": "gsi1"}
            sort = "gsi1sk"
        else:
            key, values[":p"] = ("pk", {"S": "LOG"})
            query = {}
            sort = "sk"
        condition = f"{key} = :p"
        if since or until:
            values[":a"] = {"S": since or ""}
            values[":b"] = {"S": (until or "9999") + "~"}
            condition += f" AND {sort} BETWEEN :a AND :b"
        filters = []
        for attr, wanted in (("actor", actor), ("action", action)):
            if wanted:
                names[f"#{attr}"] = attr
                values[f":{attr}"] = {"S": wanted}
                filters.append(f"#{attr} = :{attr}")
        query.update(TableName=self.audit_table, KeyConditionExpression=condition, ScanIndexForward=False,
                     ExpressionAttributeValues=values)
        if names:
            query["ExpressionAttributeNames"] = names
            query["FilterExpression"] = " AND ".join(filters)
        start = _decode_cursor(cursor)
        items: list[dict[str, Any]] = []
        client = storage.dynamodb()
        while True:
            if start:
                query["ExclusiveStartKey"] = start
            answer = client.query(Limit=limit - len(items), **query)
            for item in answer["Items"]:
                items.append(item)
            start = answer.get("LastEvaluatedKey")
            if len(items) >= limit or not start:
                break
        next_cursor = _encode_cursor(_key_of(items[-1], target)) if start and items else None
        return Page([from_item(item) for item in items], next_cursor)


def _key_of(item: dict[str, Any], target: str | None) -> dict[str, Any]:
    names = ("pk", "sk", "gsi1pk", "gsi1sk") if target else ("pk", "sk")
    return {name: item[name] for name in names}


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, dict) or not all(isinstance(v, dict) and set(v) == {"S"} for v in key.values()):
            raise ValueError
        return key
    except ValueError:
        raise InvalidRequestError("Invalid value for 'cursor'.", param="cursor") from None
