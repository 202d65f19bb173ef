"""``sagemaker_chat`` same wire: a Chat Completions request passed to the container, its answer relayed as is.

The container's body (or its stream's events, as framed) goes back to the client byte for byte.
Metering needs usage: a body without ``usage`` is charged on an estimate (prompt from the request,
completion from the answer's text); a stream that never sends its usage chunk gets one appended
(before ``[DONE]``), estimated from the prompt and one token per relayed event, so the front door
handles it as the usage chunk it always asks for.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, cast

from tollway.errors import UpstreamError
from tollway.passthrough.answers import NativeEvent, NativeResponse
from tollway.passthrough.readers import body_usage, event_readable, is_answer, stream_reader
from tollway.passthrough.sse import fields, raw_events
from tollway.passthrough.wire import OPENAI_CHAT
from tollway.providers import transport
from tollway.tokens import estimate_prompt, estimate_text
from tollway.types.chat import Usage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.passthrough.wire import WireRequest
    from tollway.types.chat import ChatRequest


def _prompt_tokens(request: WireRequest) -> int:
    return estimate_prompt(cast("ChatRequest", request))  # a WireRequest offers the same reads


def answer(request: WireRequest, raw: bytes, provider: str) -> NativeResponse:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not is_answer(OPENAI_CHAT, data):
        raise UpstreamError(f"{provider}: the endpoint's answer is not a chat completion",
                            code="upstream_bad_response")
    usage = body_usage(OPENAI_CHAT, data)
    if usage is None or not usage.total_tokens:
        prompt = _prompt_tokens(request)
        text = " ".join(str((c.get("message") or {}).get("content") or "") for c in data["choices"]
                        if isinstance(c, dict))
        completion = estimate_text(text)
        usage = Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)
    return NativeResponse(request.format, raw, data, usage)


async def events(request: WireRequest, parts: AsyncIterator[bytes], provider: str) -> AsyncIterator[NativeEvent]:
    """The container's SSE events as ``NativeEvent``s, with a usage chunk appended when it sent none."""
    reader = stream_reader(OPENAI_CHAT, provider)
    relayed, usage_seen, done = 0, False, None
    try:
        async for raw in raw_events(parts, max_event=transport.MAX_EVENT_BYTES):
            if fields(raw) == (None, ""):
                continue  # a keepalive comment
            if not relayed and not event_readable(raw):
                raise UpstreamError(f"{provider}: the endpoint sent a stream event we could not read",
                                    code="upstream_bad_stream")
            event = reader.read(raw)
            usage_seen = usage_seen or event.usage is not None
            if event.name == "done":
                done = event
                continue
            relayed += 1
            yield event
    except OverflowError:
        raise transport.ResponseTooLarge(provider, "stream event", transport.MAX_EVENT_BYTES) from None
    if not relayed:
        raise UpstreamError(f"{provider}: the endpoint ended the stream without sending any event",
                            code="upstream_bad_stream")
    if not usage_seen:
        yield _usage_event(_prompt_tokens(request), relayed)
    if done is not None:
        yield done


def _usage_event(prompt: int, completion: int) -> NativeEvent:
    usage = Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)
    data: dict[str, Any] = {"id": "chatcmpl-usage", "object": "chat.completion.chunk", "created": int(time.time()),
                            "model": "", "choices": [], "usage": usage.model_dump()}
    raw = f"data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
    return NativeEvent(raw, usage=usage, data=data)
