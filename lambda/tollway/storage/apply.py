"""The meaning of ``Cond`` and ``Update`` on an item held in memory (the embedded store's engine).

DynamoDB evaluates the same operations server-side; ``tests/unit/storage`` checks that both agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollway.storage.values import number

if TYPE_CHECKING:
    from tollway.storage.ops import Cond, Item, Write


def holds(cond: Cond, item: Item | None) -> bool:
    present = item is not None and cond.attr in item
    if cond.kind == "exists":
        return present
    if cond.kind == "not_exists":
        return not present
    if not present:
        return cond.kind == "le" and cond.or_absent
    assert item is not None
    current = item[cond.attr]
    if cond.kind == "eq":
        if _is_number(current) and _is_number(cond.value):
            return number(current) == number(cond.value)
        return bool(current == cond.value and type(current) is type(cond.value))
    if not _is_number(current):
        return False
    return number(current) <= number(cond.value)


def all_hold(op: Write, item: Item | None) -> bool:
    return all(holds(cond, item) for cond in op.when)


def updated(op: Write, item: Item | None) -> Item | None:
    """The item after ``op`` (None: deleted). ``op`` must be a ``Put``, ``Update`` or ``Delete``."""
    from tollway.storage.ops import Delete, Put

    if isinstance(op, Delete):
        return None
    if isinstance(op, Put):
        return dict(op.item)
    new: dict[str, Any] = dict(item) if item is not None else {"pk": op.key.pk, "sk": op.key.sk}
    for name, amount in op.add.items():
        current = new.get(name, 0)
        if not _is_number(current):
            raise TypeError(f"cannot add to the non-number attribute {name!r}")
        new[name] = _tidy(number(current) + number(amount))
    for name, value in op.set.items():
        new[name] = value
    for name in op.remove:
        new.pop(name, None)
    return new


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _tidy(value: Decimal) -> int | Decimal:
    exponent = value.as_tuple().exponent
    return int(value) if isinstance(exponent, int) and exponent >= 0 else value
