"""What a request costs: the actual cost from usage, and the worst case reserved before the call.

Usage is OpenAI-shaped: ``prompt_tokens`` includes cache reads (``cached_tokens``) and cache writes
(``cache_creation_tokens``); ``completion_tokens`` includes ``reasoning_tokens``. Each kind is priced
at its own rate, falling back to the plain input/output price when the catalog has none.

The worst case must bound the real cost, or a budget could be overspent: the prompt bound is the
UTF-8 byte length of everything sent (a byte-level BPE token covers at least one byte), priced at the
dearest input rate (cache writes may cost more than plain input), plus the output limit
(``max_completion_tokens``/``max_tokens``, else the model's max output, else ``DEFAULT_MAX_OUTPUT``)
at the dearest output rate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.metering.catalog import ModelPrice
    from tollway.types.chat import Usage

#: output bound for a model whose catalog entry has no max output and a request without max_tokens
DEFAULT_MAX_OUTPUT = 8192


@dataclass(frozen=True)
class CostBreakdown:
    """USD by token kind; ``price_missing`` when the model has no price (then everything is 0)."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0
    reasoning: float = 0.0
    price_missing: bool = False

    @property
    def total(self) -> float:
        return self.input + self.output + self.cache_read + self.cache_write + self.reasoning


def cost_of(price: ModelPrice | None, usage: Usage | None) -> CostBreakdown:
    if price is None:
        return CostBreakdown(price_missing=True)
    if usage is None:
        return CostBreakdown()
    cached = max(0, usage.cached_tokens)
    written = max(0, usage.cache_creation_tokens)
    plain_in = max(0, usage.prompt_tokens - cached - written)
    reasoning = max(0, min(usage.reasoning_tokens, usage.completion_tokens))
    plain_out = max(0, usage.completion_tokens - reasoning)
    return CostBreakdown(
        input=plain_in * price.input,
        cache_read=cached * (price.cache_read if price.cache_read is not None else price.input),
        cache_write=written * (price.cache_write if price.cache_write is not None else price.input),
        output=plain_out * price.output,
        reasoning=reasoning * (price.reasoning if price.reasoning is not None else price.output),
    )


def worst_case(price: ModelPrice | None, prompt_bound: int, output_limit: int | None,
               choices: int = 1) -> tuple[float, int]:
    """(worst-case USD, worst-case total tokens) of a call; output 0 for embeddings.

    ``choices`` (the request's ``n``) multiplies the output: each choice may use the whole limit.
    """
    if price is not None and price.mode == "embedding":
        out_tokens = 0
    else:
        limit = output_limit or (price.max_output_tokens if price else None) or DEFAULT_MAX_OUTPUT
        out_tokens = limit * max(1, choices)
    if price is None:
        return 0.0, prompt_bound + out_tokens
    in_rate = max(price.input, price.cache_write or 0.0, price.cache_read or 0.0)
    out_rate = max(price.output, price.reasoning or 0.0)
    return prompt_bound * in_rate + out_tokens * out_rate, prompt_bound + out_tokens


def prompt_bound(request: Any) -> int:
    """An upper bound of the prompt's tokens: the UTF-8 length of what is sent, plus framing."""
    messages = getattr(request, "messages", None)
    if messages is not None:
        dumped = request.model_dump(mode="json", exclude_none=True,
                                    include={"messages", "tools", "response_format", "functions"})
        return len(json.dumps(dumped, ensure_ascii=False).encode()) + 8
    data = getattr(request, "input", None)
    if isinstance(data, str):
        return len(data.encode()) + 8
    if isinstance(data, list):
        total = 8
        for item in data:
            total += len(item) if isinstance(item, list) else (1 if isinstance(item, int) else len(str(item).encode()))
        return total
    return 8
