"""OpenAI's legacy ``POST /v1/completions``: each prompt becomes a one-message chat.

Parameters the chat model cannot honour (``suffix``, ``echo``, ``best_of`` > n, ``logprobs``)
are a 400 naming them, or dropped with ``drop_params``. Token-id prompts are refused: the
gateway cannot know the upstream's tokenizer.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from starlette.responses import Response, StreamingResponse

from tollway import pipeline
from tollway.api.bodies import parse_body, split_extras
from tollway.api.deps import caller
from tollway.api.responses import gateway_headers
from tollway.api.routing import Router
from tollway.api.stream_failure import in_band
from tollway.errors import InvalidRequestError, UnsupportedParamError
from tollway.types.chat import ChatRequest, Usage
from tollway.types.completions import CompletionRequest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from tollway.api.context import RequestContext
    from tollway.types.chat import ChatChunk

router = Router()
_CHAT_FIELDS = ("model", "max_tokens", "temperature", "top_p", "n", "stop", "presence_penalty",
                "frequency_penalty", "logit_bias", "seed", "user")


@router.post("/v1/completions")
@router.post("/completions", include_in_schema=False)
async def completions(request: Request) -> Response:
    gateway, auth, ctx = await caller(request)
    body = await parse_body(request, CompletionRequest)
    extras = split_extras(body, drop_params=gateway.settings.drop_params)
    pipeline.take_tags(ctx, request.headers, extras.get("tags"), None)
    drop = gateway.settings.drop_params or extras.get("drop_params") is True
    prompts = _prompts(body)
    _check_unsupported(body, drop=drop)
    chats = [_chat(body, prompt) for prompt in prompts]
    if body.stream:
        if len(chats) != 1:
            raise InvalidRequestError("Streaming supports one prompt per request.", param="prompt")
        chunks = await pipeline.chat_stream(gateway, auth, ctx, chats[0], drop_params=drop)
        include_usage = bool(body.stream_options and body.stream_options.get("include_usage"))
        headers = {**gateway_headers(ctx), "cache-control": "no-cache"}
        return StreamingResponse(_sse(chunks, ctx, include_usage), media_type="text/event-stream", headers=headers)
    answers = await asyncio.gather(*(pipeline.chat(gateway, auth, ctx, chat, drop_params=drop) for chat in chats))
    n = body.n or 1
    choices, usage = [], Usage()
    for p, answer in enumerate(answers):
        for choice in answer.choices:
            choices.append({"text": choice.message.content or "", "index": p * n + choice.index,
                            "logprobs": None, "finish_reason": choice.finish_reason or "stop"})
        if answer.usage:
            usage.prompt_tokens += answer.usage.prompt_tokens
            usage.completion_tokens += answer.usage.completion_tokens
            usage.total_tokens += answer.usage.total_tokens
    data = {"id": f"cmpl-{uuid.uuid4().hex[:24]}", "object": "text_completion", "created": int(time.time()),
            "model": answers[0].model, "choices": choices, "usage": usage.model_dump(exclude_none=True)}
    return Response(json.dumps(data), media_type="application/json", headers=gateway_headers(ctx))


def _prompts(body: CompletionRequest) -> list[str]:
    prompt = body.prompt
    if isinstance(prompt, str):
        return [prompt]
    if prompt and all(isinstance(p, str) for p in prompt):
        return list(prompt)  # type: ignore[arg-type]
    if not prompt:
        raise InvalidRequestError("'prompt' must not be empty.", param="prompt")
    raise InvalidRequestError("Token-id prompts are not supported; send text.", param="prompt")


def _check_unsupported(body: CompletionRequest, *, drop: bool) -> None:
    unsupported = [name for name, bad in (("suffix", body.suffix is not None), ("echo", bool(body.echo)),
                                          ("best_of", (body.best_of or 1) > (body.n or 1)),
                                          ("logprobs", body.logprobs is not None)) if bad]
    if unsupported and not drop:
        raise UnsupportedParamError(
            f"The parameter '{unsupported[0]}' is not supported on /v1/completions "
            "(set litellm_settings.drop_params: true to drop it).", param=unsupported[0])


def _chat(body: CompletionRequest, prompt: str) -> ChatRequest:
    fields: dict[str, Any] = {name: getattr(body, name) for name in _CHAT_FIELDS if getattr(body, name) is not None}
    fields["messages"] = [{"role": "user", "content": prompt}]
    return ChatRequest.model_validate(fields)


async def _sse(chunks: AsyncIterator[ChatChunk], ctx: RequestContext, include_usage: bool) -> AsyncIterator[bytes]:
    completion_id = f"cmpl-{uuid.uuid4().hex[:24]}"
    usage: Usage | None = None
    try:
        async for chunk in chunks:
            if chunk.usage is not None:
                usage = ctx.usage = chunk.usage
            for choice in chunk.choices:
                text = choice.delta.content or ""
                if not text and not choice.finish_reason:
                    continue
                event = {"id": completion_id, "object": "text_completion", "created": chunk.created,
                         "model": chunk.model, "choices": [{"text": text, "index": choice.index, "logprobs": None,
                                                            "finish_reason": choice.finish_reason}]}
                yield f"data: {json.dumps(event)}\n\n".encode()
    except Exception as exc:  # noqa: BLE001 - headers are sent: reported in-band, never a traceback
        yield f"data: {json.dumps(in_band(ctx, exc).to_dict())}\n\n".encode()
        return
    if include_usage and usage is not None:
        event = {"id": completion_id, "object": "text_completion", "created": int(time.time()), "model": "",
                 "choices": [], "usage": usage.model_dump(exclude_none=True)}
        yield f"data: {json.dumps(event)}\n\n".encode()
    yield b"data: [DONE]\n\n"
