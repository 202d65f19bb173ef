"""Anthropic's front door: ``POST /v1/messages`` and ``/v1/messages/count_tokens`` for any model.

Claude deployments (``anthropic``, Bedrock and Vertex AI Claude) get the client's body as sent
and their answer is relayed as received; other models get it translated (``inbound``) per attempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response, StreamingResponse

from tollway import pipeline
from tollway.api.anthropic.models import CountTokensRequest, MessagesRequest
from tollway.api.anthropic.stream import message_events, native_events
from tollway.api.anthropic.translate import to_message
from tollway.api.bodies import gateway_fields, parse_body_and_data
from tollway.api.deps import caller
from tollway.api.responses import gateway_headers, json_response, native_response
from tollway.api.routing import Router
from tollway.tokens import estimate_prompt

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.gateway import Gateway
    from tollway.passthrough.wire import WireRequest
    from tollway.providers.base import Provider
    from tollway.types.chat import ChatRequest

router = Router()


@router.post("/v1/messages")
@router.post("/messages", include_in_schema=False)
async def messages(request: Request) -> Response:
    gateway, auth, ctx = await caller(request)
    body, data = await parse_body_and_data(request, MessagesRequest)
    extras = gateway_fields(body, data)
    pipeline.take_tags(ctx, request.headers, extras.get("tags"), None)
    fallbacks = pipeline.requested_fallbacks(gateway, auth, ctx, extras.get("fallbacks"))
    drop = extras.get("drop_params") is True
    wire = _wire(request, body, data, drop_params=drop or gateway.settings.drop_params)
    if body.stream:
        streamed = await pipeline.respond_stream(gateway, auth, ctx, wire, fallbacks=fallbacks, drop_params=drop)
        headers = {**gateway_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
        if streamed.events is not None:
            events = native_events(streamed.events, ctx)
        else:
            assert streamed.chunks is not None
            events = message_events(streamed.chunks, ctx, body.model, input_tokens=estimate_prompt(wire.canonical()))
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)
    from tollway.passthrough.answers import NativeResponse

    answer = await pipeline.respond(gateway, auth, ctx, wire, fallbacks=fallbacks, drop_params=drop)
    if isinstance(answer, NativeResponse):
        return native_response(answer, ctx)
    return json_response(to_message(answer, body.model), ctx)


@router.post("/v1/messages/count_tokens")
@router.post("/messages/count_tokens", include_in_schema=False)
async def count_tokens(request: Request) -> JSONResponse:
    """Claude deployments count with the provider's own API; other models get an estimate."""
    from tollway.passthrough.wire import ANTHROPIC_MESSAGES

    gateway, auth, ctx = await caller(request)
    body, data = await parse_body_and_data(request, CountTokensRequest)
    gateway_fields(body, data)
    deployment = pipeline.candidates(gateway, auth, ctx, body.model)[0]
    wire = _wire(request, body, data, drop_params=True)
    provider = gateway.provider(deployment)
    tokens = None
    if provider.speaks(ANTHROPIC_MESSAGES):
        if _counts_upstream(provider):
            await _guard_count(gateway, auth, ctx, wire)
        ctx.deployment, ctx.provider = deployment.id, deployment.provider
        with ctx.upstream():
            tokens = await provider.count_tokens(wire)
    if tokens is None:
        tokens = estimate_prompt(wire.canonical())
    return JSONResponse({"input_tokens": tokens}, headers=gateway_headers(ctx))


def _counts_upstream(provider: Provider) -> bool:
    """Whether the provider sends the prompt to its own count API (else it is counted here, sending nothing)."""
    from tollway.providers.base import Provider

    return type(provider).count_tokens is not Provider.count_tokens


async def _guard_count(gateway: Gateway, auth: AuthContext, ctx: RequestContext, wire: WireRequest) -> None:
    """The prompt goes to the provider's count endpoint: the request's input guardrails apply as for a
    message (a block is a 400, masking changes what is counted), but nothing caps output tokens."""
    from tollway.guardrails import hooks
    from tollway.views.anthropic import COUNT_TOKENS

    guard = await hooks.pre_call(gateway, auth, ctx, wire.body, COUNT_TOKENS, judge=pipeline.chat)
    await guard.checked()


def _wire(request: Request, body: MessagesRequest | CountTokensRequest, data: dict[str, object], *,
          drop_params: bool) -> WireRequest:
    from tollway.passthrough.wire import ANTHROPIC_MESSAGES, WireRequest, forwarded_headers

    def canonical() -> ChatRequest:
        from tollway.api.anthropic.inbound import to_chat_request

        return to_chat_request(body, drop_params=drop_params)

    return WireRequest(ANTHROPIC_MESSAGES, data, forwarded_headers(ANTHROPIC_MESSAGES, request.headers),
                       translate=canonical)
