"""Deadlines for upstream calls: one per request, one per attempt, and the gaps of a stream.

The router sets the running attempt's deadline (``attempt_scope``) — the earlier of the
deployment's ``timeout`` from the attempt's start and the request's own deadline — and every
wait on that attempt (connect, each read, the first chunk, the rest of a stream) is bounded by
it. A stream is also bounded between chunks by ``stream_timeout``; only canonical chunks count
as progress, so SSE keepalive comments and bytes trickled one at a time never extend anything.

All values are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from tollway.errors import GatewayTimeoutError, UpstreamError

T = TypeVar("T")

_ATTEMPT: ContextVar[tuple[float, float] | None] = ContextVar("tollway_attempt_deadline", default=None)


@contextmanager
def attempt_scope(deadline: float, timeout: float) -> Iterator[None]:
    """Within this block, upstream waits end by ``deadline`` (``timeout`` names the budget in errors)."""
    token = _ATTEMPT.set((deadline, timeout))
    try:
        yield
    finally:
        _ATTEMPT.reset(token)


def current() -> tuple[float, float] | None:
    """(deadline, budget seconds) of the running attempt, if the router set one."""
    return _ATTEMPT.get()


def attempt_deadline(timeout: float) -> float:
    """The running attempt's deadline, or ``timeout`` from now outside the router (a direct call)."""
    scope = _ATTEMPT.get()
    return scope[0] if scope is not None else time.monotonic() + timeout


def remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def timed_out(what: str, seconds: float) -> GatewayTimeoutError:
    return GatewayTimeoutError(f"{what}: no complete answer from the upstream within {seconds:g}s",
                               code="upstream_timeout")


async def bounded_stream(chunks: AsyncIterator[T], *, deadline: float, gap: float, what: str,
                         total: float) -> AsyncIterator[T]:
    """``chunks`` with a total ``deadline`` and at most ``gap`` seconds between two items.

    Only the waits on ``chunks`` are bounded (never the consumer's own time between items,
    which is already inside the total), and the source is closed on the way out.
    """
    loop = asyncio.get_running_loop()
    offset = loop.time() - time.monotonic()
    try:
        while True:
            until = min(deadline, time.monotonic() + gap)
            try:
                async with asyncio.timeout_at(until + offset):
                    item = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                if until >= deadline:
                    raise timed_out(what, total) from None
                raise GatewayTimeoutError(f"{what}: the upstream sent nothing for {gap:g}s in the middle of a stream",
                                          code="upstream_timeout") from None
            yield item
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def bound(chunks: AsyncIterator[T], *, timeout: float, gap: float, what: str) -> AsyncIterator[T]:
    """``chunks`` bounded by the running attempt's deadline (or ``timeout`` from now) and ``gap``."""
    scope = _ATTEMPT.get()
    until, total = scope if scope is not None else (time.monotonic() + timeout, timeout)
    return bounded_stream(chunks, deadline=until, gap=min(gap, total), what=what, total=total)


async def first(chunks: AsyncIterator[T], what: str) -> T:
    """The first item; a stream that ends before it is the upstream's failure (502, retryable)."""
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        raise UpstreamError(f"{what}: the upstream ended the stream without sending anything",
                            code="upstream_bad_stream") from None
