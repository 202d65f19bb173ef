"""A ``CountersRepo`` whose store can be taken down or stalled by the test (the fault sits in the
repository layer, so the rest of the store stays reachable for the test's own reads)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tollway.storage.counters_repo import CountersRepo
from tollway.storage.errors import StoreUnavailableError


class FaultyCounters(CountersRepo):
    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()  # operations that fail at once, as if the endpoint were unreachable
        self.stall: dict[str, float] = {}  # operations that hang this long first (then do their work)
        self.calls: Counter[str] = Counter()
        self.done: Counter[str] = Counter()  # calls that returned (their writes have landed)

    def _fault(self, operation: str) -> None:
        self.calls[operation] += 1
        if operation in self.stall:
            time.sleep(self.stall[operation])
        if operation in self.down:
            raise StoreUnavailableError()  # what either backend raises when it cannot be reached

    def reserve(self, *args: Any, **kwargs: Any) -> None:
        self._fault("reserve")
        super().reserve(*args, **kwargs)
        self.done["reserve"] += 1

    def settle(self, *args: Any, **kwargs: Any) -> int:
        self._fault("settle")
        calls = super().settle(*args, **kwargs)
        self.done["settle"] += 1
        return calls
