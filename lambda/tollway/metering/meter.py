"""The metering seam the pipeline calls around every upstream call.

Contract (the pipeline relies on exactly this):

* ``await meter.reserve(auth, ctx, request, deployments)`` before any upstream call; it
  raises ``RateLimitError``/``BudgetExceededError`` to refuse, else returns a ``Charge``.
* Exactly one of ``await charge.settle(...)`` (answered, fully or partly) or
  ``await charge.release()`` (nothing answered) follows, also when a stream is abandoned.
* ``charge.observe(chunk)`` sees every streamed chunk, so an abandoned stream can be
  charged for what was generated so far; a non-streamed answer whose client went away is
  settled with ``status="abandoned"``.
* ``settle`` never raises for the store: a settlement the store does not take is queued
  durably and replayed (``settlement_writer``); the reservation is named by the gateway's own
  id, never by the client's ``x-request-id``.
* ``charge.cost`` is the settled cost in USD (for ``x-tollway-response-cost``); on streams, whose
  headers leave before it is known, the final usage chunk carries it as ``usage.cost`` (the
  stream's settlement has run by the time that chunk is written).
* ``charge.clamped`` is the output token cap the reservation fitted into a budget's headroom (the
  pipeline caps the upstream request at it; ``x-tollway-budget-clamped``), None when not clamped.
* ``charge.key_spend`` is the key's budget-period spend after a buffered answer was settled
  (``x-tollway-key-spend``), None when unknown (no key budget, a stream, a store that did not answer).

``Charge`` itself records nothing: the base of the real charge (``dynamo_meter``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tollway.config.models import Deployment
    from tollway.types.chat import ChatChunk, Usage


class Charge:
    """One request's reservation; the base class records nothing."""

    cost: float | None = None
    clamped: int | None = None
    key_spend: float | None = None

    def observe(self, chunk: ChatChunk) -> None:
        return None

    async def settle(self, usage: Usage | None, *, deployment: Deployment | None, status: str = "success",
                     error_type: str | None = None) -> None:
        return None

    async def release(self, *, error_type: str | None = None) -> None:
        return None
