"""``RequestContext``: per-request facts gathered along the way (for headers, logs, metering)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.auth.context import AuthContext
    from tollway.metering.meter import Charge
    from tollway.types.chat import Usage


@dataclass
class RequestContext:
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    upstream_seconds: float = 0.0
    model: str | None = None
    deployment: str | None = None
    provider: str | None = None
    auth: AuthContext | None = None
    usage: Usage | None = None
    error_type: str | None = None
    charge: Charge | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: ``time.monotonic()`` by which the request must be answered and settled (the Lambda invocation's
    #: remaining time, when known); upstream deadlines never run past it
    deadline: float | None = None
    #: the response's HTTP status once its start was sent (``RequestContextMiddleware``)
    status: int | None = None

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def overhead_ms(self) -> float:
        """Time spent in the gateway itself: everything but waiting on the upstream."""
        return max(0.0, self.elapsed_ms() - self.upstream_seconds * 1000)

    @contextmanager
    def upstream(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.upstream_seconds += time.perf_counter() - start


def context_of(request: Request) -> RequestContext:
    ctx = request.scope.get("state", {}).get("tollway_ctx")
    if ctx is None:  # outside the middleware (should not happen in the app)
        ctx = RequestContext(request_id="req-unknown")
        request.scope.setdefault("state", {})["tollway_ctx"] = ctx
    return ctx  # type: ignore[no-any-return]
