"""``CallHooks``: the one seam around every upstream call, on the passthrough and translated paths alike.

The pipeline calls, per attempt and in this order:

* ``before_call(ctx, request)`` just before the upstream call, with the request in the form this
  attempt sends: a ``WireRequest`` (the client's own body, passthrough) or a ``ChatRequest``
  (canonical, translated). It returns the request to send (the same object or a rewritten one)
  or raises a ``TollwayError`` to refuse.
* ``after_call(ctx, answer)`` with the complete answer: a ``NativeResponse`` (the upstream's body
  as received) or a ``ChatResponse``.
* ``on_event(ctx, item)`` for each stream item before it is relayed: a ``NativeEvent`` (raw SSE
  bytes; ``event.raw`` may be replaced) or a ``ChatChunk``.

Guardrails read and rewrite text through the per-format views (``tollway.views``) on whichever
form they are handed. The base class changes nothing; the gateway holds one instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tollway.api.context import RequestContext

T = TypeVar("T")


class CallHooks:
    async def before_call(self, ctx: RequestContext, request: T) -> T:
        return request

    async def after_call(self, ctx: RequestContext, answer: T) -> T:
        return answer

    async def on_event(self, ctx: RequestContext, item: T) -> T:
        return item
