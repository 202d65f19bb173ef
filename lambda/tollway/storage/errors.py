"""What either storage backend raises, whatever it runs on.

::

    StoreError
    ├── ConditionFailed       a write's conditions did not hold (carries the items as they were)
    ├── TransactionConflict   concurrent transactions touched the same items; retrying may succeed
    └── InvalidCursor         (also a ValueError) a pagination cursor this store did not issue

    tollway.errors.StoreUnavailableError (503): the store could not be reached, timed out, stayed
    locked past its busy timeout or failed on disk. Raised by both backends for outages.
"""

from __future__ import annotations

from typing import Any

from tollway.errors import StoreUnavailableError

__all__ = ["ConditionFailed", "InvalidCursor", "StoreError", "StoreUnavailableError", "TransactionConflict"]


class StoreError(Exception):
    """Base of the backend-neutral storage errors."""


class ConditionFailed(StoreError):
    """``failures``: ``(index of the write, the item as it was or None)`` for each failed condition.

    Index 0 for a single write. Either backend reports at least one failed write.
    """

    def __init__(self, failures: list[tuple[int, dict[str, Any] | None]]) -> None:
        super().__init__(f"condition failed on write(s) {[i for i, _ in failures]}")
        self.failures = failures

    @property
    def indexes(self) -> list[int]:
        return [i for i, _ in self.failures]


class TransactionConflict(StoreError):
    """Another transaction was touching the same items; nothing was written."""


class InvalidCursor(StoreError, ValueError):
    """A pagination cursor that does not belong to this query."""
