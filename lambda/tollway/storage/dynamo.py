"""The DynamoDB backend: the one place that builds DynamoDB requests and expressions.

Items cross as plain values (``values``); boto3's attribute-value shapes, expressions and
exceptions stay in this module. Reads skip items whose TTL has passed, as the SQLite backend
does. Connection failures, timeouts and throttling that outlast botocore's retries raise
``StoreUnavailableError``.
"""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollway.storage.backend import Store
from tollway.storage.errors import ConditionFailed, StoreError, StoreUnavailableError, TransactionConflict
from tollway.storage.ops import Cond, Page, Put, Update, decode_cursor, encode_cursor
from tollway.storage.tables import TABLES, TableSpec, create_table_request, physical_name
from tollway.storage.values import from_text, number

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from tollway.storage.ops import Item, Key, Query, Transaction, Write
    from tollway.storage.tables import TableSpec

_UNAVAILABLE_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                                "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable"})


# ---------------------------------------------------------------------- attribute values

def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(number(value))}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    raise TypeError(f"Cannot store a value of type {type(value).__name__}.")


def from_attr(attr: dict[str, Any]) -> Any:
    (tag, value), = attr.items()
    if tag == "N":
        return from_text(value)
    if tag == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if tag == "L":
        return [from_attr(v) for v in value]
    if tag == "NULL":
        return None
    if tag == "NS":
        return [from_text(v) for v in value]
    return value  # S, BOOL, SS, B


def to_item(item: Item) -> dict[str, Any]:
    return {k: to_attr(v) for k, v in item.items()}


def from_item(item: dict[str, Any]) -> Item:
    return {k: from_attr(v) for k, v in item.items()}


def _live(table: TableSpec, item: dict[str, Any]) -> bool:
    """False for an item whose TTL has passed (DynamoDB deletes it later, within days)."""
    expiry = item.get(table.ttl_attribute or "", {}).get("N")
    return expiry is None or Decimal(expiry) > int(time.time())


def _key(key: Key) -> dict[str, Any]:
    return {"pk": {"S": key.pk}, "sk": {"S": key.sk}}


# ---------------------------------------------------------------------- expressions

class _Expr:
    """Placeholders for one request's names and values."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attr: str) -> str:
        for placeholder, existing in self.names.items():
            if existing == attr:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attr
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attr(value)
        return placeholder

    def condition(self, conds: tuple[Cond, ...]) -> str | None:
        parts = [self._cond(c) for c in conds]
        return " AND ".join(f"({p})" for p in parts) if parts else None

    def _cond(self, cond: Cond) -> str:
        name = self.name(cond.attr)
        if cond.kind == "exists":
            return f"attribute_exists({name})"
        if cond.kind == "not_exists":
            return f"attribute_not_exists({name})"
        if cond.kind == "eq":
            return f"{name} = {self.value(cond.value)}"
        test = f"{name} <= {self.value(cond.value)}"
        return f"attribute_not_exists({name}) OR {test}" if cond.or_absent else test

    def update(self, op: Update) -> str:
        clauses = []
        if op.set:
            clauses.append("SET " + ", ".join(f"{self.name(k)} = {self.value(v)}" for k, v in op.set.items()))
        if op.add:
            clauses.append("ADD " + ", ".join(f"{self.name(k)} {self.value(v)}" for k, v in op.add.items()))
        if op.remove:
            clauses.append("REMOVE " + ", ".join(self.name(k) for k in op.remove))
        return " ".join(clauses)

    def attach(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


def _request(op: Write) -> tuple[str, dict[str, Any]]:
    """(operation kind, request parameters) of one write, for a single call or a transaction."""
    expr = _Expr()
    request: dict[str, Any] = {"TableName": physical_name(op.table)}
    if isinstance(op, Put):
        kind = "Put"
        request["Item"] = to_item(op.item)
    elif isinstance(op, Update):
        kind = "Update"
        request["Key"] = _key(op.key)
        request["UpdateExpression"] = expr.update(op)
    else:
        kind = "Delete"
        request["Key"] = _key(op.key)
    condition = expr.condition(op.when)
    if condition:
        request["ConditionExpression"] = condition
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return kind, expr.attach(request)


# ---------------------------------------------------------------------- the backend

class DynamoStore(Store):
    """Over a boto3 DynamoDB client, or the one ``client_factory`` returns at each call (the process's,
    which ``storage.client`` passes in so that a changed endpoint is picked up)."""

    def __init__(self, client: Any = None, *, client_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        if client is None and client_factory is None:
            raise ValueError("DynamoStore needs a client or a client factory")
        self._client = client
        self._factory = client_factory

    @property
    def client(self) -> Any:
        if self._client is not None:
            return self._client
        assert self._factory is not None
        return self._factory()

    @property
    def description(self) -> str:  # type: ignore[override]
        endpoint = self.client.meta.endpoint_url
        return f"DynamoDB at {endpoint}"

    def ensure_tables(self) -> list[str]:
        return ensure_dynamodb_tables(TABLES, client=self.client)

    @contextlib.contextmanager
    def _calls(self) -> Iterator[Any]:
        """The client; botocore outages become StoreUnavailableError."""
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

        try:
            yield self.client
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _UNAVAILABLE_CODES:
                raise StoreUnavailableError() from exc
            raise
        except (ConnectionError, HTTPClientError) as exc:
            raise StoreUnavailableError() from exc

    def _get(self, table: TableSpec, key: Key) -> Item | None:
        with self._calls() as client:
            item = client.get_item(TableName=physical_name(table), Key=_key(key), ConsistentRead=True).get("Item")
        return from_item(item) if item and _live(table, item) else None

    def _get_many(self, table: TableSpec, keys: list[Key]) -> list[Item]:
        name = physical_name(table)
        unique = list(dict.fromkeys(keys))
        found: list[Item] = []
        for start in range(0, len(unique), 100):
            pending: dict[str, Any] = {name: {"Keys": [_key(k) for k in unique[start:start + 100]],
                                              "ConsistentRead": True}}
            while pending:
                with self._calls() as client:
                    answer = client.batch_get_item(RequestItems=pending)
                found += [from_item(item) for item in answer.get("Responses", {}).get(name, []) if _live(table, item)]
                pending = answer.get("UnprocessedKeys") or {}
        return found

    def _write(self, op: Write) -> None:
        kind, request = _request(op)
        method = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}[kind]
        with self._calls() as client:
            try:
                getattr(client, method)(**request)
            except client.exceptions.ConditionalCheckFailedException as exc:
                old = exc.response.get("Item")
                raise ConditionFailed([(0, from_item(old) if old else None)]) from None

    def _transact(self, ops: Transaction) -> None:
        items = [dict([_request(op)]) for op in ops]
        with self._calls() as client:
            try:
                client.transact_write_items(TransactItems=items)
            except client.exceptions.TransactionCanceledException as exc:
                reasons = exc.response.get("CancellationReasons") or []
                failed = [(i, from_item(r["Item"]) if r.get("Item") else None) for i, r in enumerate(reasons)
                          if r.get("Code") == "ConditionalCheckFailed"]
                if failed:
                    raise ConditionFailed(failed) from None
                if any(r.get("Code") in ("TransactionConflict", "ThrottlingError") for r in reasons):
                    raise TransactionConflict() from None
                codes = sorted({str(r.get("Code")) for r in reasons} - {"None"})
                raise StoreError(f"DynamoDB cancelled the transaction: {', '.join(codes)}") from None

    def _query(self, query: Query) -> Page:
        part, sort = query.key_names()
        expr = _Expr()
        condition = f"{expr.name(part)} = {expr.value(query.partition)}"
        ranged = query.sk_from is not None or query.sk_to is not None or query.sk_prefix is not None
        sort_name = expr.name(sort) if ranged else ""
        if query.sk_from is not None and query.sk_to is not None:
            condition += f" AND {sort_name} BETWEEN {expr.value(query.sk_from)} AND {expr.value(query.sk_to)}"
        elif query.sk_from is not None:
            condition += f" AND {sort_name} >= {expr.value(query.sk_from)}"
        elif query.sk_to is not None:
            condition += f" AND {sort_name} <= {expr.value(query.sk_to)}"
        if query.sk_prefix is not None:
            condition += f" AND begins_with({sort_name}, {expr.value(query.sk_prefix)})"
        request: dict[str, Any] = {"TableName": physical_name(query.table), "KeyConditionExpression": condition,
                                   "ScanIndexForward": not query.descending}
        filters = [f"{expr.name(k)} = {expr.value(v)}" for k, v in query.filters.items()]
        ttl = query.table.ttl_attribute
        if ttl:  # expired items wait for DynamoDB's TTL sweep (up to days): never return them meanwhile
            name = expr.name(ttl)
            filters.append(f"(attribute_not_exists({name}) OR {name} > {expr.value(int(time.time()))})")
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if query.index:
            request["IndexName"] = query.index
        else:
            request["ConsistentRead"] = True
        expr.attach(request)
        names = query.cursor_names()
        start = {k: {"S": v} for k, v in decode_cursor(query.cursor, names).items()} if query.cursor else None
        items: list[Item] = []
        while True:
            if start:
                request["ExclusiveStartKey"] = start
            if query.limit is not None:
                request["Limit"] = max(1, query.limit - len(items))
            with self._calls() as client:
                answer = client.query(**request)
            items += [from_item(item) for item in answer.get("Items", [])]
            start = answer.get("LastEvaluatedKey")
            if not start or (query.limit is not None and len(items) >= query.limit):
                break
        cursor = encode_cursor({n: start[n]["S"] for n in names}) if start else None
        return Page(items, cursor)

    def scan(self, table: TableSpec) -> Iterator[Item]:
        with self._calls() as client:
            for page in client.get_paginator("scan").paginate(TableName=physical_name(table)):
                yield from (from_item(item) for item in page["Items"] if _live(table, item))


def ensure_dynamodb_tables(specs: Iterable[TableSpec], *, client: Any, prefix: str | None = None) -> list[str]:
    """Create any missing DynamoDB table (on-demand, with TTL) and return all their names.

    Meant for local and test endpoints; on AWS the tables come from the CDK stack.
    """
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    names = []
    for spec in specs:
        name = physical_name(spec, prefix)
        names.append(name)
        if name in existing:
            continue
        try:
            client.create_table(**create_table_request(spec, name))
        except client.exceptions.ResourceInUseException:
            continue  # another process created it meanwhile
        if spec.ttl_attribute:
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
    return names
