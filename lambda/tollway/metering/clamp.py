"""Budgets that serve what fits: the largest output a budget's headroom still pays for.

When a budget refuses a request's worst case (``cost.worst_case``), the request can still be served with
a smaller output limit. ``fitting_output`` finds the largest output token count whose worst case (the
prompt bound at the dearest input rate plus that many tokens per choice at the dearest output rate) fits
the headroom on every candidate deployment, i.e. on the priciest one; the meter reserves that worst case
with the same conditional write as any other, so spend still never exceeds a budget, and the pipeline caps
the upstream request at that count (``cap_canonical`` here, ``WireRequest.capped`` for a passthrough body).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollway.metering.cost import DEFAULT_MAX_OUTPUT, worst_case
from tollway.providers.reasoning import THINKING_OUTPUT_FLOOR, THINKING_RAISES_OUTPUT
from tollway.storage.counters_repo import dec

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tollway.metering.catalog import ModelPrice
    from tollway.types.chat import ChatRequest


def worst(prices: Sequence[ModelPrice | None], prompt_bound: int, output_limit: int | None,
          choices: int) -> tuple[float, int]:
    """(worst-case USD, worst-case tokens) over the candidate deployments (the dearest of each)."""
    cases = [worst_case(price, prompt_bound, output_limit, choices) for price in prices]
    return max((c[0] for c in cases), default=0.0), max((c[1] for c in cases), default=prompt_bound)


def fitting_output(prices: Sequence[ModelPrice | None], prompt_bound: int, choices: int, headroom: Decimal,
                   output_limit: int | None) -> int:
    """The largest output token count (at most the request's own limit, or each model's max output)
    whose worst case on every deployment of ``prices`` costs at most ``headroom``; 0 when none does
    (the prompt alone does not fit) or when the output cannot be capped (embedding models)."""
    if headroom <= 0 or any(p is not None and p.mode == "embedding" for p in prices):
        return 0
    choices = max(1, choices)
    ceiling = output_limit or min(((p.max_output_tokens if p else None) or DEFAULT_MAX_OUTPUT for p in prices),
                                  default=DEFAULT_MAX_OUTPUT)
    tokens = ceiling
    room = float(headroom)
    for price in prices:
        if price is None:
            continue  # an unpriced model costs 0 whatever it writes
        in_rate = max(price.input, price.cache_write or 0.0, price.cache_read or 0.0)
        out_rate = max(price.output, price.reasoning or 0.0)
        left = room - prompt_bound * in_rate
        if left < 0:
            return 0
        if out_rate > 0:
            tokens = min(tokens, math.floor(left / (out_rate * choices)))
    while tokens > 0 and dec(worst(prices, prompt_bound, tokens, choices)[0]) > headroom:
        tokens -= 1  # float rounding: the reserved amount is the Decimal of the float worst case
    return max(0, tokens)


def output_floor(request: Any, providers: Iterable[str]) -> int:
    """The least output limit an upstream call of ``request`` will use, whatever limit it is sent with:
    an Anthropic body's extended thinking needs more than its budget (``WireRequest.output_floor``), and
    the Claude adapters raise the limit above the smallest thinking budget when ``reasoning_effort`` is
    set; 0 when the limit sent is the limit used. The worst case and a clamp never go below it."""
    floor = getattr(request, "output_floor", 0)
    floor = floor if isinstance(floor, int) else 0
    if getattr(request, "reasoning_effort", None) and THINKING_RAISES_OUTPUT & set(providers):
        floor = max(floor, THINKING_OUTPUT_FLOOR)
    return floor


def cap_canonical(request: ChatRequest, tokens: int) -> ChatRequest:
    """A copy of ``request`` whose output limit is the lower of its own and ``tokens``, in the field(s)
    the caller used (``max_tokens`` when it set none)."""
    update: dict[str, int] = {}
    for name in ("max_completion_tokens", "max_tokens"):
        value = getattr(request, name)
        if value is not None:
            update[name] = min(value, tokens)
    return request.model_copy(update=update or {"max_tokens": tokens})
