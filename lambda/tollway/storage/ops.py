"""The repositories' operations as small typed values, the same for every backend.

* ``Cond``: a condition on one attribute of the item as it is when the write applies (``exists``,
  ``not_exists``, ``eq``, ``le``; ``le(..., or_absent=True)`` also holds when the attribute is
  absent). A write's ``when`` is a tuple of conditions that must all hold; a missing (or expired)
  item has no attributes.
* ``Put`` (replace a whole item), ``Update`` (atomic ``add`` to numbers, ``set`` and ``remove`` of
  top-level attributes; creates the item when missing), ``Delete``. ``Transaction`` is a list of
  them applied all or none.
* ``Query``: one partition of the table or of an index, in sort-key order, optionally within a
  sort-key range or prefix, filtered by attribute equality, a page at a time (``Page.cursor`` is
  opaque and continues it on either backend).

Keys are the table's ``pk``/``sk`` strings; index keys (``gsi1pk``/``gsi1sk``) are plain item
attributes. Only the backends translate these values: DynamoDB into expressions, SQLite into SQL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from tollway.storage.errors import InvalidCursor

if TYPE_CHECKING:
    from tollway.storage.tables import TableSpec

Item = dict[str, Any]


@dataclass(frozen=True)
class Key:
    pk: str
    sk: str


@dataclass(frozen=True)
class Cond:
    kind: Literal["exists", "not_exists", "eq", "le"]
    attr: str
    value: Any = None
    or_absent: bool = False

    @classmethod
    def exists(cls, attr: str = "pk") -> Cond:
        """The attribute is present (by default: the item exists)."""
        return cls("exists", attr)

    @classmethod
    def not_exists(cls, attr: str = "pk") -> Cond:
        """The attribute is absent (by default: the item does not exist)."""
        return cls("not_exists", attr)

    @classmethod
    def eq(cls, attr: str, value: Any) -> Cond:
        return cls("eq", attr, value)

    @classmethod
    def le(cls, attr: str, value: int | float | Decimal, *, or_absent: bool = False) -> Cond:
        """A number at most ``value`` (``or_absent``: or no such attribute)."""
        return cls("le", attr, value, or_absent)


@dataclass(frozen=True)
class Put:
    table: TableSpec
    item: Item
    when: tuple[Cond, ...] = ()

    @property
    def key(self) -> Key:
        return Key(self.item["pk"], self.item["sk"])


@dataclass(frozen=True)
class Update:
    table: TableSpec
    key: Key
    add: Mapping[str, int | float | Decimal] = field(default_factory=dict)
    set: Mapping[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    when: tuple[Cond, ...] = ()

    def __post_init__(self) -> None:
        names = [*self.add, *self.set, *self.remove]
        if len(set(names)) != len(names):
            raise ValueError("an update may name each attribute once (in add, set or remove)")


@dataclass(frozen=True)
class Delete:
    table: TableSpec
    key: Key
    when: tuple[Cond, ...] = ()


Write = Put | Update | Delete
Transaction = list[Write]


@dataclass(frozen=True)
class Query:
    table: TableSpec
    partition: str
    index: str | None = None
    #: inclusive sort-key bounds (either may be None)
    sk_from: str | None = None
    sk_to: str | None = None
    sk_prefix: str | None = None
    descending: bool = False
    #: attribute == value (strings), all of them
    filters: dict[str, str] = field(default_factory=dict)
    #: most items in the page (None: all of them)
    limit: int | None = None
    cursor: str | None = None

    def key_names(self) -> tuple[str, str]:
        """(partition, sort) attribute names of the table or index queried."""
        if self.index is None:
            return "pk", "sk"
        for index in self.table.indexes:
            if index.name == self.index:
                return index.partition_key, index.sort_key or ""
        raise ValueError(f"table {self.table.name} has no index {self.index}")

    def cursor_names(self) -> tuple[str, ...]:
        return ("pk", "sk") if self.index is None else ("pk", "sk", *self.key_names())


@dataclass
class Page:
    items: list[Item]
    cursor: str | None


def encode_cursor(key: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, names: tuple[str, ...]) -> dict[str, str]:
    """The key a cursor names, checked against the query's key attributes (else InvalidCursor)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise InvalidCursor("invalid cursor") from None
    if not isinstance(key, dict) or set(key) != set(names) or not all(isinstance(v, str) for v in key.values()):
        raise InvalidCursor("invalid cursor")
    return key
