"""Anthropic's front door: ``POST /v1/messages`` and ``/v1/messages/count_tokens`` for any model."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tollway import pipeline
from tollway.api.anthropic.models import CountTokensRequest, MessagesRequest
from tollway.api.anthropic.stream import message_events
from tollway.api.anthropic.translate import to_chat_request, to_message
from tollway.api.bodies import parse_body, split_extras
from tollway.api.deps import caller
from tollway.api.responses import gateway_headers, json_response
from tollway.tokens import estimate_prompt

router = APIRouter()


@router.post("/v1/messages")
@router.post("/messages", include_in_schema=False)
async def messages(request: Request) -> Response:
    gateway, auth, ctx = await caller(request)
    body = await parse_body(request, MessagesRequest)
    body.__pydantic_extra__ = {}  # Anthropic-only fields we do not model are ignored, as Anthropic's beta flags are
    chat = to_chat_request(body)
    split_extras(chat, drop_params=True)
    if body.stream:
        chat.stream = True
        chunks = await pipeline.chat_stream(gateway, auth, ctx, chat)
        headers = {**gateway_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
        return StreamingResponse(message_events(chunks, ctx, body.model), media_type="text/event-stream",
                                 headers=headers)
    response = await pipeline.chat(gateway, auth, ctx, chat)
    return json_response(to_message(response, body.model), ctx)


@router.post("/v1/messages/count_tokens")
@router.post("/messages/count_tokens", include_in_schema=False)
async def count_tokens(request: Request) -> JSONResponse:
    gateway, auth, ctx = await caller(request)
    body = await parse_body(request, CountTokensRequest)
    pipeline.candidates(gateway, auth, ctx, body.model)
    return JSONResponse({"input_tokens": estimate_prompt(to_chat_request(body))})
