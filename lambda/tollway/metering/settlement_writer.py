"""Writing settlements so none is ever dropped: retried, then queued durably, then replayed.

``write`` tries the store ``attempts`` times with exponential backoff, all of them together within
``store_timeout()`` and the request's deadline (a stalled store costs a request at most that long,
an unreachable one a few quick refusals); if every try fails, the entry goes
to the settlement queue (``settlement_queue``), with a ``SettlementsQueued`` EMF metric and a
warning log line. ``replay`` drains the queue in bounded batches: at startup of ``tollway serve``
and, at most once per ``REPLAY_INTERVAL`` seconds per process, after a request's settlement.
Replays are exactly-once because the store applies a reservation's settlement at most once.

Store failures are the ones an outage or a stall produces (``store_failures()``); anything else
is a bug and propagates.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from tollway.errors import StoreUnavailableError
from tollway.storage.counters_repo import Contention

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.metering.settlement_queue import PendingSettlement, SettlementQueue

log = logging.getLogger(__name__)

#: entries replayed per opportunistic pass, and the pause between passes (seconds)
REPLAY_BATCH = 10
REPLAY_INTERVAL = 30.0
_PENDING: set[asyncio.Future[Any]] = set()


def store_timeout() -> float:
    """Seconds a request waits for the store in one step (reserving; settling, retries included)
    before the store counts as unavailable (``TOLLWAY_STORE_TIMEOUT``, default 10)."""
    return float(os.environ.get("TOLLWAY_STORE_TIMEOUT", "10"))


def store_failures() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the store is unreachable, stalled or refusing service."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Contention, StoreUnavailableError, OSError, TimeoutError)


def background(work: Any) -> asyncio.Future[Any]:
    """Run ``work`` to completion even if the request is cancelled (a client that went away)."""
    task: asyncio.Future[Any] = asyncio.ensure_future(work)
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)
    return task


class SettlementWriter:
    def __init__(self, apply: Callable[[PendingSettlement], None], *, queue: SettlementQueue | None = None,
                 attempts: int = 3, backoff: float = 0.2) -> None:
        self.apply = apply
        self._queue = queue
        self.attempts = attempts
        self.backoff = backoff
        self._last_replay = float("-inf")

    @property
    def queue(self) -> SettlementQueue:
        if self._queue is None:
            from tollway.metering.settlement_queue import queue_from_env

            self._queue = queue_from_env()
        return self._queue

    async def write(self, entry: PendingSettlement, *, deadline: float | None = None) -> bool:
        """True once the store has it; False when it was queued instead (never raises for the store)."""
        failures = store_failures()
        ends = time.monotonic() + store_timeout()
        if deadline is not None:
            ends = min(ends, deadline)
        for attempt in range(self.attempts):
            budget = ends - time.monotonic()
            if budget <= 0:
                break
            try:
                await asyncio.wait_for(asyncio.to_thread(self.apply, entry), budget)
            except failures as exc:
                log.warning("settling %s failed (attempt %d): %s", entry.reservation_id, attempt + 1,
                            type(exc).__name__)
            else:
                await self.maybe_replay()
                return True
            pause = self.backoff * 2**attempt
            if attempt + 1 < self.attempts and time.monotonic() + pause < ends:
                await asyncio.sleep(pause)
        await self.enqueue(entry)
        return False

    async def enqueue(self, entry: PendingSettlement) -> None:
        try:
            await asyncio.to_thread(self.queue.put, entry)
        except store_failures():
            # the last resort: the whole entry in the log, so an operator can replay it by hand
            log.critical("settlement %s could not be queued: %s", entry.reservation_id, entry.to_json())
            raise
        log.warning("settlement %s queued in the %s for replay (the store did not take it)",
                    entry.reservation_id, self.queue.name)
        _emit_queued(entry)

    def replay(self, limit: int = REPLAY_BATCH) -> int:
        """Write up to ``limit`` queued settlements (blocking); returns how many were written."""
        self._last_replay = time.monotonic()
        done = self.queue.replay(self.apply, limit)
        if done:
            log.warning("replayed %d queued settlement(s) from the %s", done, self.queue.name)
        return done

    async def maybe_replay(self) -> None:
        """A bounded replay pass in the background, at most once per ``REPLAY_INTERVAL``."""
        if time.monotonic() - self._last_replay < REPLAY_INTERVAL:
            return
        self._last_replay = time.monotonic()
        background(self._replay_quietly())

    async def _replay_quietly(self) -> None:
        try:
            await asyncio.to_thread(self.replay)
        except store_failures() as exc:
            log.warning("replaying queued settlements failed: %s", type(exc).__name__)


def _emit_queued(entry: PendingSettlement) -> None:
    """``SettlementsQueued`` (no dimensions: the stack's alarm watches exactly that metric) on Lambda
    or where EMF metrics are on."""
    if not (os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or os.environ.get("TOLLWAY_EMF_METRICS")):
        return
    from tollway.observability.metrics import emit

    emit("SettlementsQueued", reservation_id=entry.reservation_id, request_id=str(entry.record.get("request_id")))
