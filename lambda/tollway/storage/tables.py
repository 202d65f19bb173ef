"""The tables Tollway keeps, defined once for the local store, the tests and CDK.

Each table has generic ``pk``/``sk`` string keys; item kinds are told apart by key prefixes
(see docs/data-model.md). TTL attributes hold epoch seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """One DynamoDB table: its logical name, keys, secondary indexes and TTL attribute."""

    name: str
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None
    description: str = ""

    def key_attributes(self) -> list[str]:
        names = [self.partition_key] + ([self.sort_key] if self.sort_key else [])
        for index in self.indexes:
            names += [index.partition_key] + ([index.sort_key] if index.sort_key else [])
        return list(dict.fromkeys(names))


IDENTITY = TableSpec(
    name="identity",
    indexes=(Index("gsi1", "gsi1pk", "gsi1sk"),),
    description="virtual keys, teams, projects, users, memberships, IAM principal mappings",
)
COUNTERS = TableSpec(
    name="counters",
    ttl_attribute="expires_at",
    description="budget periods, rate-limit windows, in-flight reservations",
)
SPEND = TableSpec(
    name="spend",
    indexes=(Index("gsi1", "gsi1pk", "gsi1sk"),),
    ttl_attribute="expires_at",
    description="per-request spend logs and daily rollups",
)
AUDIT = TableSpec(
    name="audit",
    indexes=(Index("gsi1", "gsi1pk", "gsi1sk"),),
    ttl_attribute="expires_at",
    description="admin mutations: actor, action, target, before/after",
)

RESPONSES = TableSpec(
    name="responses",
    ttl_attribute="expires_at",
    description="stored Responses API responses: conversation state for previous_response_id (TTL)",
)

TABLES: tuple[TableSpec, ...] = (IDENTITY, COUNTERS, SPEND, AUDIT, RESPONSES)


def table_prefix() -> str:
    return os.environ.get("TOLLWAY_TABLE_PREFIX", "tollway-")


def physical_name(spec: TableSpec, prefix: str | None = None) -> str:
    """The DynamoDB table name: ``TOLLWAY_TABLE_PREFIX`` (default ``tollway-``) + logical name.

    On AWS the stack passes each table's real name in ``TOLLWAY_TABLE_<NAME>``, which wins.
    """
    explicit = os.environ.get(f"TOLLWAY_TABLE_{spec.name.upper()}")
    if explicit and prefix is None:
        return explicit
    return f"{table_prefix() if prefix is None else prefix}{spec.name}"


def create_table_request(spec: TableSpec, name: str) -> dict[str, object]:
    """A CreateTable request (on-demand) for local endpoints; CDK builds its own from the spec."""
    key_schema = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
    if spec.sort_key:
        key_schema.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
    request: dict[str, object] = {
        "TableName": name,
        "KeySchema": key_schema,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in spec.key_attributes()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
                + ([{"AttributeName": index.sort_key, "KeyType": "RANGE"}] if index.sort_key else []),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    return request
