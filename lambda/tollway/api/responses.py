"""Serialising canonical responses: JSON bodies, SSE streams, and the gateway's headers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic_core import PydanticSerializationError
from starlette.responses import Response, StreamingResponse

from tollway.api.stream_failure import in_band

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pydantic import BaseModel

    from tollway.api.context import RequestContext
    from tollway.passthrough.answers import NativeEvent, NativeResponse
    from tollway.types.chat import ChatChunk, ChatResponse


def gateway_headers(ctx: RequestContext) -> dict[str, str]:
    headers = {"x-tollway-overhead-ms": f"{ctx.overhead_ms():.2f}"}
    if ctx.deployment:
        headers["x-tollway-deployment"] = ctx.deployment
    if "attempts" in ctx.extra:
        headers["x-tollway-attempts"] = str(ctx.extra["attempts"])
    charge = ctx.charge
    if charge is not None and charge.cost is not None:
        headers["x-tollway-response-cost"] = _usd(charge.cost)
    if charge is not None and charge.clamped is not None:
        headers["x-tollway-budget-clamped"] = str(charge.clamped)
    if charge is not None and charge.key_spend is not None:
        headers["x-tollway-key-spend"] = headers["x-litellm-key-spend"] = _usd(charge.key_spend)
    return headers


def _usd(amount: float) -> str:
    return f"{amount:.10f}".rstrip("0").rstrip(".") or "0"


def chat_json(response: ChatResponse, ctx: RequestContext) -> Response:
    data = response.model_dump(mode="json", exclude_none=True)
    for choice in data.get("choices", []):
        choice.setdefault("finish_reason", None)
        choice.get("message", {}).setdefault("content", None)
    return json_response(data, ctx)


def answer_json(answer: ChatResponse | NativeResponse, ctx: RequestContext) -> Response:
    """A complete answer: the upstream's own body when it passed through, else the canonical one."""
    from tollway.passthrough.answers import NativeResponse

    if isinstance(answer, NativeResponse):
        return native_response(answer, ctx)
    return chat_json(answer, ctx)


def native_response(answer: NativeResponse, ctx: RequestContext) -> Response:
    """The upstream's body, byte for byte, with the gateway's headers."""
    return Response(answer.content, media_type=answer.media_type, headers=gateway_headers(ctx))


def model_json(body: BaseModel, ctx: RequestContext) -> Response:
    return json_response(body.model_dump(mode="json", exclude_none=True), ctx)


def json_response(data: Any, ctx: RequestContext) -> Response:
    body = _utf8(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    return Response(body, media_type="application/json", headers=gateway_headers(ctx))


def sse_response(chunks: AsyncIterator[ChatChunk], ctx: RequestContext, *, include_usage: bool) -> StreamingResponse:
    headers = {**gateway_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(_sse(chunks, ctx, include_usage), media_type="text/event-stream", headers=headers)


async def _sse(chunks: AsyncIterator[ChatChunk], ctx: RequestContext, include_usage: bool) -> AsyncIterator[bytes]:
    """OpenAI's stream: chunks, then (if asked) one usage chunk with no choices, then ``[DONE]``.

    An error after the first byte can no longer change the status, so it is sent as an
    ``error`` event, as OpenAI does, and the stream ends.
    """
    usage_chunk: ChatChunk | None = None
    try:
        async for chunk in chunks:
            if chunk.usage is not None:
                ctx.usage = chunk.usage
                usage_chunk = chunk.model_copy(update={"choices": []})
                if not chunk.choices:
                    continue
                yield _event(_chunk_json(chunk.model_copy(update={"usage": None})))
                continue
            yield _event(_chunk_json(chunk))
    except Exception as exc:  # noqa: BLE001 - headers are sent: reported in-band, never a traceback
        yield _event(json.dumps(in_band(ctx, exc).to_dict()))
        return
    if include_usage and usage_chunk is not None:
        if ctx.charge is not None and ctx.charge.cost is not None and usage_chunk.usage is not None:
            usage_chunk.usage.cost = ctx.charge.cost  # type: ignore[attr-defined]  # settled: the stream ended
        yield _event(_chunk_json(usage_chunk))
    yield b"data: [DONE]\n\n"


def native_sse_response(events: AsyncIterator[NativeEvent], ctx: RequestContext, *,
                        include_usage: bool) -> StreamingResponse:
    headers = {**gateway_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(_native_sse(events, ctx, include_usage), media_type="text/event-stream",
                             headers=headers)


async def _native_sse(events: AsyncIterator[NativeEvent], ctx: RequestContext,
                      include_usage: bool) -> AsyncIterator[bytes]:
    """An OpenAI-compatible upstream's stream, relayed as received. The usage-only chunk (which the
    gateway always asks for) is held back to gain ``usage.cost`` once settled, and left out when the
    client did not ask for it; ``[DONE]`` follows it."""
    usage_event: NativeEvent | None = None
    try:
        async for event in events:
            if event.name == "done":
                continue
            if event.usage is not None and event.data is not None and not event.data.get("choices"):
                usage_event = event
                continue
            yield event.raw
    except Exception as exc:  # noqa: BLE001 - headers are sent: reported in-band, never a traceback
        yield _event(json.dumps(in_band(ctx, exc).to_dict()))
        return
    if include_usage and usage_event is not None and usage_event.data is not None:
        if ctx.charge is not None and ctx.charge.cost is not None:
            usage_event.data["usage"]["cost"] = ctx.charge.cost  # settled: the stream ended
            yield _event(json.dumps(usage_event.data, separators=(",", ":"), ensure_ascii=False))
        else:
            yield usage_event.raw
    yield b"data: [DONE]\n\n"


def _chunk_json(chunk: ChatChunk) -> str:
    try:
        return chunk.model_dump_json(exclude_none=True)
    except PydanticSerializationError:  # a lone surrogate in the upstream's text; ``_utf8`` escapes it
        return json.dumps(chunk.model_dump(mode="json", exclude_none=True), separators=(",", ":"), ensure_ascii=False)


def _event(data: str) -> bytes:
    return _utf8(f"data: {data}\n\n")


def _utf8(json_text: str) -> bytes:
    """Encode JSON text; a lone surrogate from an upstream (half an emoji split across stream chunks)
    becomes its JSON escape ``\\udXXX`` rather than an encoding error that loses the answer."""
    return json_text.encode("utf-8", "backslashreplace")
