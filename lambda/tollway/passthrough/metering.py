"""What metering sees of a native stream: the first event (time to first token), the usage events, and, when the
stream is cut short, an estimate from what was relayed (the events are never parsed for their text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.api.context import RequestContext
    from tollway.metering.meter import Charge
    from tollway.passthrough.answers import NativeEvent
    from tollway.types.chat import Usage


def observe(charge: Charge, ctx: RequestContext, event: NativeEvent, *, first: bool) -> None:
    if event.usage is not None:
        ctx.usage = event.usage
    if first or event.usage is not None:
        from tollway.types.chat import ChatChunk

        charge.observe(ChatChunk(id="", created=0, model="", usage=event.usage))


def cut_short(usage: Usage | None, relayed: int, prompt_tokens: Callable[[], int]) -> Usage:
    """Usage of a stream that failed or was abandoned: what the upstream reported so far, with at least one
    output token per relayed event (streams send about one token per event) and the prompt's estimate when the
    upstream had reported nothing yet."""
    from tollway.types.chat import Usage

    if usage is None:
        prompt = prompt_tokens()
        return Usage(prompt_tokens=prompt, completion_tokens=relayed, total_tokens=prompt + relayed)
    if usage.completion_tokens >= relayed:
        return usage
    return usage.model_copy(update={"completion_tokens": relayed, "total_tokens": usage.prompt_tokens + relayed})
